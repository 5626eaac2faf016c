"""``huaxiang value``: fit the customer-value models, score the customers, list the runs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.table import Table

from huaxiang.cli.common import JsonOpt, WorkspaceOpt, emit_json, open_workspace
from huaxiang.cli.render import _n, _rich
from huaxiang.console import Console
from huaxiang.value import ValueFit, ValueScore

value_app = typer.Typer(
    help="Predicted value: probability alive, expected purchases, CLV (BG/NBD, Pareto/NBD, "
    "Gamma-Gamma).",
    no_args_is_help=True,
)


@value_app.command("fit")
def fit(
    model: Annotated[
        str, typer.Option("--model", help="bgnbd, mbgnbd (modified BG/NBD) or pareto.")
    ] = "bgnbd",
    unit: Annotated[
        str, typer.Option("--unit", help="Time unit of the model: day, week, month.")
    ] = "week",
    holdout: Annotated[
        str | None,
        typer.Option(
            "--holdout",
            help="Check the model on the last stretch of history first, e.g. 26w or 90d.",
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last day of data used (default: as tags).")
    ] = None,
    penalizer: Annotated[
        float, typer.Option("--penalizer", min=0.0, help="L2 penalty on the parameters.")
    ] = 0.0,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit the purchase model and the spend model on the clean orders."""
    day = _day(as_of)
    with open_workspace(workspace) as ws:
        result = ws.value_fit(
            model=model, unit=unit, holdout=holdout, as_of=day, penalizer=penalizer
        )
        if as_json:
            emit_json(result.as_dict())
        else:
            render_fit(ws.console, result)
            ws.console.info("score the customers with: huaxiang value score")


@value_app.command("score")
def score(
    run: Annotated[
        str | None, typer.Option("--run", help="A fitted run id (default: the latest).")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score every customer into customer_value and refresh the prediction tags."""
    with open_workspace(workspace) as ws:
        result, tags = ws.value_score(run)
        if as_json:
            emit_json(result.__dict__ | {"tags_run": tags.run_id if tags else None})
        else:
            render_score(ws.console, result)
            if tags is not None:
                ws.console.info(f"tags rebuilt ({tags.run_id}: {tags.reason})")
            else:
                ws.console.info("build the tags to use the scores: huaxiang tags build")


@value_app.command("runs")
def runs(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Fitted value runs, newest first."""
    with open_workspace(workspace) as ws:
        rows = ws.value_runs()
        if as_json:
            emit_json(rows)
            return
        table = Table(title="value runs", title_justify="left")
        for col in ("run_id", "fitted_at", "as_of", "model", "unit", "customers", "scored_at"):
            table.add_column(col)
        for r in rows:
            table.add_row(*(str(r[c]) if r[c] is not None else "-" for c in r))
        _rich(ws.console).print(table)


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _params_table(title: str, saved: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("parameter", "value", "std. error"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    errors = saved.get("standard_errors") or {}
    for name, value in saved["params"].items():
        se = errors.get(name)
        table.add_row(name, f"{value:.6g}", f"{se:.3g}" if se is not None else "-")
    return table


def render_fit(console: Console, fit: ValueFit) -> None:
    out = _rich(console)
    t = fit.transactions
    out.print(
        _params_table(
            f"{fit.model} on {_n(fit.customers)} customers ({_n(fit.repeat_buyers)} repeat "
            f"buyers), as of {fit.as_of}, time in {fit.unit}s; log-likelihood "
            f"{t['log_likelihood']:.3f}",
            t,
        )
    )
    if fit.spend is not None:
        out.print(
            _params_table(
                f"Gamma-Gamma spend model on {_n(fit.spend['n_customers'])} repeat buyers",
                fit.spend,
            )
        )
    if fit.holdout is not None:
        h = fit.holdout
        table = Table(
            title=f"holdout after {h['calibration_end']}: {h['actual']:,.0f} purchases made, "
            f"{h['expected']:,.0f} expected ({h['error']:+.1%})",
            title_justify="left",
        )
        for col in ("purchases before", "customers", "actual (mean)", "expected (mean)"):
            table.add_column(col, justify="right")
        for row in h["by_frequency"]:
            table.add_row(
                str(row["frequency_cal"]),
                _n(row["customers"]),
                f"{row['actual']:.2f}",
                f"{row['expected']:.2f}",
            )
        out.print(table)
        _tracking(console, h["tracking"], h["calibration_end"])
    for warning in fit.warnings:
        console.warn(warning)
    console.info(f"saved as {fit.path} ({fit.seconds:.1f} s)")


def _tracking(console: Console, points: list[dict[str, Any]], calibration_end: str) -> None:
    """Cumulative repeat purchases, actual against expected, at a few points of the curve."""
    if not points:
        return
    last_cal = max(
        (p for p in points if p["date"][:10] <= calibration_end),
        key=lambda p: p["t"],
        default=points[0],
    )
    picks = [points[len(points) // 4], last_cal, points[-1]]
    text = "; ".join(
        f"{p['date'][:10]}: {p['actual']:,.0f} actual / {p['expected']:,.0f} expected"
        for p in picks
    )
    console.info(f"cumulative repeat purchases (tracking curve in --json): {text}")


def render_score(console: Console, score: ValueScore) -> None:
    bands = ", ".join(f"{k}: {_n(v)}" for k, v in score.alive_bands.items())
    console.info(
        f"{_n(score.scored)} of {_n(score.customers)} customers scored with {score.run_id} "
        f"(as of {score.as_of}); the others never bought"
    )
    if score.mean_p_alive is not None:
        console.info(f"mean p_alive {score.mean_p_alive:.3f}; p_alive bands {bands}")
    if score.expected_purchases_90d is not None:
        console.info(f"expected purchases in the next 90 days: {score.expected_purchases_90d:,.0f}")
    if score.clv_12m is not None:
        console.info(f"12-month CLV, all customers: {score.clv_12m:,.0f}")
