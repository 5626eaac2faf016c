"""Predicted customer value in a workspace: fit the models on the clean orders, score every
customer, keep a record of both.

- ``fit_value``: the per-customer summary (frequency, recency, T, mean repeat spend) of the
  clean orders up to the as-of day, returns left out, same-day orders merged, in weeks by
  default; a transaction model (BG/NBD, MBG/NBD or Pareto/NBD) and Gamma-Gamma on it. With a
  ``holdout`` (say "26w") the transaction model is first fitted on the orders before
  as-of - holdout and its predictions for the holdout are set against what happened. The
  fitted models are saved as JSON under ``.huaxiang/models/`` and recorded in
  ``hx_value_runs``.
- ``score_value``: ``customer_value``, one row per customer: p_alive, expected purchases in
  the next 90 days, expected spend per purchase and the 12-month CLV (monthly discounting);
  NULL for customers without an order (the models describe customers after a first purchase).
  The tag catalog's prediction tags read it (rule ``model:``).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from huaxiang.console import Console
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import DataError, ModelWarning, UsageError
from huaxiang.models import (
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
    rfm_summary,
)
from huaxiang.models.holdout import calibration_and_holdout, holdout_comparison, tracking_curve
from huaxiang.models.units import DAYS, check_unit, in_unit

TransactionModel = BetaGeoFitter | ParetoNBDFitter  # MBG/NBD is a BetaGeoFitter
MODELS: dict[str, type[TransactionModel]] = {
    "bgnbd": BetaGeoFitter,
    "mbgnbd": ModifiedBetaGeoFitter,
    "pareto": ParetoNBDFitter,
}
ORDERS = "hx_value_orders"
RUNS_DDL = (
    "create table if not exists hx_value_runs (run_id varchar primary key, fitted_at timestamp, "
    "as_of date, model varchar, unit varchar, customers bigint, payload json, "
    "scored_at timestamp)"
)
PURCHASE_HORIZON = "90d"
CLV_HORIZON = "12m"
MONTHLY_DISCOUNT = 0.01  # per month, about 12.7% a year


@dataclass
class ValueFit:
    run_id: str
    as_of: dt.date
    model: str
    unit: str
    customers: int
    repeat_buyers: int
    transactions: dict[str, Any]  # the transaction model's saved form (params, errors, LL)
    spend: dict[str, Any] | None  # Gamma-Gamma's, or None when it could not be fitted
    holdout: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    path: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"as_of": self.as_of.isoformat()}


@dataclass(frozen=True)
class ValueScore:
    run_id: str  # the fitted run
    score_id: str  # this scoring (customer_value.run_id: the tags notice a new one)
    as_of: dt.date
    customers: int  # every customer in the table
    scored: int  # those with an order
    mean_p_alive: float | None
    expected_purchases_90d: float | None  # summed over customers
    clv_12m: float | None  # summed; None without a spend model
    alive_bands: dict[str, int]  # p_alive < 0.3 / 0.3-0.7 / >= 0.7
    seconds: float


def _orders(engine: Engine) -> None:
    if not engine.table_exists("orders") or not engine.count("orders"):
        raise UsageError(
            "there are no clean orders to learn from",
            hint="the value models need an order history: ingest orders and run huaxiang clean",
        )
    engine.execute(
        f"create or replace temp view {ORDERS} as select customer_id, ordered_at, "
        "amount::double as amount from orders where customer_id is not null "
        "and ordered_at is not null and not coalesce(returned, false)"
    )


def _summary(engine: Engine, as_of: dt.date, unit: str) -> pd.DataFrame:
    return rfm_summary(
        ORDERS,
        "customer_id",
        "ordered_at",
        "amount",
        observation_period_end=as_of,
        freq="D",
        freq_multiplier=DAYS[unit],
        engine=engine,
    )


def fit_value(
    engine: Engine,
    models_dir: Path,
    console: Console,
    *,
    as_of: dt.date,
    model: str = "bgnbd",
    unit: str = "week",
    holdout: str | None = None,
    penalizer: float = 0.0,
) -> ValueFit:
    if model not in MODELS:
        raise UsageError(f"unknown model {model!r}", hint=f"use one of: {', '.join(MODELS)}")
    unit_name = check_unit(unit) or "week"
    started = time.perf_counter()
    run_id = f"value-{dt.datetime.now():%Y%m%d-%H%M%S-%f}"
    _orders(engine)
    fitter = MODELS[model]
    steps = 3 if holdout else 2
    # the models' warnings are collected in the result (and shown by the front end)
    with console.progress("fitting value models", total=steps) as task, warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        report = None
        if holdout:
            report = _holdout(engine, fitter, as_of, unit_name, holdout, penalizer)
            task.advance()
        summary = _summary(engine, as_of, unit_name)
        transactions = fitter(penalizer, unit=unit_name).fit(summary)
        task.advance()
        spend, spend_notes = _spend_model(summary)
        task.advance()
    result = ValueFit(
        run_id=run_id,
        as_of=as_of,
        model=model,
        unit=unit_name,
        customers=len(summary),
        repeat_buyers=int((summary["frequency"] > 0).sum()),
        transactions=transactions.to_dict(),
        spend=spend.to_dict() if spend is not None else None,
        holdout=report,
        warnings=[
            *(f"holdout model: {w}" for w in (report or {}).get("warnings", [])),
            *transactions.warnings_,
            *(spend.warnings_ if spend else []),
            *spend_notes,
        ],
        seconds=time.perf_counter() - started,
    )
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"{run_id}.json"
    result.path = str(path)
    path.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
    engine.execute(RUNS_DDL)
    engine.execute(
        "insert into hx_value_runs (run_id, fitted_at, as_of, model, unit, customers, payload) "
        "values (?, now()::timestamp, ?, ?, ?, ?, ?)",
        [run_id, as_of, model, unit_name, result.customers, json.dumps(result.as_dict())],
    )
    return result


def _spend_model(summary: pd.DataFrame) -> tuple[GammaGammaFitter | None, list[str]]:
    """Gamma-Gamma on the repeat buyers with a positive mean spend; the others are counted."""
    repeat = summary["frequency"] > 0
    usable = repeat & (summary["monetary_value"] > 0)
    notes = []
    if (repeat & ~usable).any():
        notes.append(
            f"{int((repeat & ~usable).sum()):,} repeat buyers with a mean spend of 0 or less "
            "were left out of the spend model"
        )
    try:
        spend = GammaGammaFitter().fit(
            summary.loc[usable, "frequency"], summary.loc[usable, "monetary_value"]
        )
    except DataError as exc:
        return None, [*notes, f"no spend model: {exc.message}"]
    return spend, notes


def _holdout(
    engine: Engine,
    fitter: type[TransactionModel],
    as_of: dt.date,
    unit: str,
    holdout: str,
    penalizer: float,
) -> dict[str, Any]:
    length = in_unit(holdout, "day", what="the holdout")
    cal_end = as_of - dt.timedelta(days=round(length))
    frame = calibration_and_holdout(
        ORDERS,
        "customer_id",
        "ordered_at",
        cal_end,
        as_of,
        freq="D",
        freq_multiplier=DAYS[unit],
        engine=engine,
    )
    if frame.empty:
        raise UsageError(f"no customer bought before {cal_end}: the holdout {holdout} is too long")
    model = fitter(penalizer, unit=unit).fit(
        frame["frequency_cal"], frame["recency_cal"], frame["T_cal"]
    )
    report = holdout_comparison(model, frame)
    table = report.by_frequency.reset_index()
    curve = tracking_curve(
        model,
        ORDERS,
        "customer_id",
        "ordered_at",
        cal_end,
        as_of,
        freq="D",
        freq_multiplier=DAYS[unit],
        engine=engine,
    ).reset_index()
    curve["date"] = curve["date"].astype(str)
    return {
        "calibration_end": cal_end.isoformat(),
        "customers": len(frame),
        "actual": report.actual_total,
        "expected": report.expected_total,
        "error": report.error,
        "by_frequency": table.to_dict(orient="records"),
        # cumulative repeat purchases of the calibration customers, one point per time unit
        "tracking": curve.to_dict(orient="records"),
        "params": model.to_dict()["params"],
        "warnings": list(model.warnings_),
    }


def latest_value_run(engine: Engine, run_id: str | None = None) -> dict[str, Any]:
    if not engine.table_exists("hx_value_runs"):
        raise UsageError("no value model has been fitted", hint="run huaxiang value fit first")
    rows = engine.dicts(
        "select run_id, as_of, payload from hx_value_runs "
        + ("where run_id = ? " if run_id else "")
        + "order by fitted_at desc limit 1",
        [run_id] if run_id else None,
    )
    if not rows:
        raise UsageError(f"no value run {run_id!r}", hint="huaxiang value runs lists them")
    payload: dict[str, Any] = json.loads(rows[0]["payload"])
    return payload


def score_value(engine: Engine, console: Console, run_id: str | None = None) -> ValueScore:
    """Write ``customer_value`` from a fitted run (default: the latest)."""
    started = time.perf_counter()
    run = latest_value_run(engine, run_id)
    score_id = f"{run['run_id']}/scored-{dt.datetime.now():%Y%m%d-%H%M%S-%f}"
    as_of = dt.date.fromisoformat(run["as_of"])
    transactions = MODELS[run["model"]].from_dict(run["transactions"])
    spend = GammaGammaFitter.from_dict(run["spend"]) if run["spend"] else None
    _orders(engine)
    with console.progress("scoring customers", total=2) as task:
        summary = _summary(engine, as_of, run["unit"])
        x, t_x, age = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
        expected = transactions.conditional_expected_number_of_purchases_up_to_time
        m = summary["monetary_value"].to_numpy()
        scores = pd.DataFrame(
            {
                "customer_id": summary.index.astype(str),
                "frequency": x,
                "recency": t_x,
                "T": age,
                "monetary_value": m,
                "p_alive": transactions.conditional_probability_alive(x, t_x, age),
                "expected_purchases_90d": expected(PURCHASE_HORIZON, x, t_x, age),
            }
        )
        if spend is not None:
            scores["expected_spend"] = spend.conditional_expected_average_profit(x, m)
            scores["clv_12m"] = spend.customer_lifetime_value(
                transactions, x, t_x, age, m, CLV_HORIZON, MONTHLY_DISCOUNT
            )
        else:
            scores["expected_spend"] = np.nan
            scores["clv_12m"] = np.nan
        task.advance()
        engine.register("hx_value_scores", scores)
        try:
            with engine.transaction():
                engine.execute(
                    "create or replace table customer_value as select c.customer_id, "
                    "?::varchar as run_id, ?::varchar as fit_run, ?::date as as_of, "
                    "s.* exclude (customer_id) "
                    "from customers c left join hx_value_scores s using (customer_id)",
                    [score_id, run["run_id"], as_of],
                )
                engine.execute(
                    "update hx_value_runs set scored_at = now()::timestamp where run_id = ?",
                    [run["run_id"]],
                )
        finally:
            engine.unregister("hx_value_scores")
        task.advance()
    stats = engine.dicts(
        "select count(*) as customers, count(p_alive) as scored, avg(p_alive) as mean_p_alive, "
        "sum(expected_purchases_90d) as expected, sum(clv_12m) as clv, "
        "count(*) filter (where p_alive < 0.3) as low, "
        "count(*) filter (where p_alive >= 0.3 and p_alive < 0.7) as mid, "
        "count(*) filter (where p_alive >= 0.7) as high from customer_value"
    )[0]
    return ValueScore(
        run_id=run["run_id"],
        score_id=score_id,
        as_of=as_of,
        customers=int(stats["customers"]),
        scored=int(stats["scored"]),
        mean_p_alive=stats["mean_p_alive"],
        expected_purchases_90d=stats["expected"],
        clv_12m=stats["clv"] if spend is not None else None,
        alive_bands={"<0.3": stats["low"], "0.3-0.7": stats["mid"], ">=0.7": stats["high"]},
        seconds=time.perf_counter() - started,
    )


def value_runs(engine: Engine) -> list[dict[str, Any]]:
    if not engine.table_exists("hx_value_runs"):
        return []
    return engine.dicts(
        "select run_id, fitted_at::varchar as fitted_at, as_of::varchar as as_of, model, unit, "
        "customers, scored_at::varchar as scored_at from hx_value_runs order by fitted_at desc"
    )
