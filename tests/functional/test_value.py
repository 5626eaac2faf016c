"""Predicted value in a workspace: huaxiang value fit / score / runs on the built demo.

The scores are checked against the saved models applied to a summary computed here in pandas
from the clean orders (returns left out, same-day orders merged, weeks), not against the
warehouse's own summary.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from huaxiang.cli.main import app
from huaxiang.errors import DataError, UsageError
from huaxiang.models import BetaGeoFitter, GammaGammaFitter
from huaxiang.workspace import Workspace


@pytest.fixture
def ws(built_demo: Path) -> Workspace:
    workspace = Workspace.open(built_demo)
    yield workspace
    workspace.close()


def pandas_summary(ws: Workspace, as_of: str) -> pd.DataFrame:
    orders = ws.engine.arrow(
        "select customer_id, ordered_at, amount::double as amount, returned from orders"
    ).to_pandas()
    orders = orders[orders["customer_id"].notna() & ~orders["returned"].fillna(False).astype(bool)]
    orders["day"] = orders["ordered_at"].dt.normalize()
    orders = orders[orders["day"] <= pd.Timestamp(as_of)]
    days = orders.groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    first = days.groupby("customer_id")["day"].transform("min")
    per = days.assign(first=first)
    grouped = per.groupby("customer_id")
    out = pd.DataFrame(
        {
            "frequency": grouped.size() - 1.0,
            "recency": (grouped["day"].max() - grouped["first"].min()).dt.days / 7,
            "T": (pd.Timestamp(as_of) - grouped["first"].min()).dt.days / 7,
            "monetary_value": per[per["day"] > per["first"]]
            .groupby("customer_id")["amount"]
            .mean(),
        }
    )
    out["monetary_value"] = out["monetary_value"].fillna(0.0)
    return out.sort_index()


def test_fit_and_score_match_the_models_on_a_pandas_summary(ws: Workspace) -> None:
    fit = ws.value_fit(holdout="13w")
    assert fit.model == "bgnbd" and fit.unit == "week"
    summary = pandas_summary(ws, fit.as_of.isoformat())
    assert fit.customers == len(summary)
    assert fit.repeat_buyers == int((summary["frequency"] > 0).sum())
    saved = json.loads(Path(fit.path).read_text())
    model = BetaGeoFitter.from_dict(saved["transactions"])
    spend = GammaGammaFitter.from_dict(saved["spend"])
    # the fit is the optimum on this summary: refitting here gives the same parameters
    again = BetaGeoFitter(unit="week").fit(summary)
    assert np.allclose(again.params_.to_numpy(), model.params_.to_numpy(), rtol=1e-5)
    holdout = fit.holdout
    assert holdout is not None
    rows = holdout["by_frequency"]
    assert sum(r["customers"] for r in rows) == holdout["customers"]
    assert sum(r["customers"] * r["actual"] for r in rows) == pytest.approx(holdout["actual"])
    curve = pd.DataFrame(holdout["tracking"])
    assert curve["actual"].is_monotonic_increasing and curve["expected"].is_monotonic_increasing
    # every repeat purchase of the calibration customers up to the as-of day is on the curve
    last = curve["actual"].iloc[-1]
    before = curve.loc[curve["date"].str[:10] <= holdout["calibration_end"], "actual"].iloc[-1]
    assert last - before >= holdout["actual"] * 0.99

    score, _ = ws.value_score()
    assert score.run_id == fit.run_id
    value = ws.engine.arrow("select * from customer_value").to_pandas().set_index("customer_id")
    assert len(value) == ws.engine.count("customers")
    assert score.scored == len(summary) == int(value["p_alive"].notna().sum())
    got = value.loc[summary.index]
    x, t_x, age, m = (
        summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value")
    )
    assert np.allclose(got["p_alive"], model.conditional_probability_alive(x, t_x, age), rtol=1e-9)
    want_90d = model.conditional_expected_number_of_purchases_up_to_time(90 / 7, x, t_x, age)
    assert np.allclose(got["expected_purchases_90d"], want_90d, rtol=1e-9)
    clv = spend.customer_lifetime_value(model, x, t_x, age, m, "12m", 0.01)
    assert np.allclose(got["clv_12m"], clv, rtol=1e-9)
    assert sum(score.alive_bands.values()) == score.scored


def test_prediction_tags_read_the_scores(ws: Workspace) -> None:
    ws.value_fit()
    score, tags = ws.value_score()
    assert tags is not None  # the demo had tags: they were rebuilt
    assert tags.computed_tags < tags.tags  # only the prediction tags and their users
    frame = ws.engine.arrow(
        "select t.p_alive, t.predicted_churn_risk as churn_risk, t.clv_12m, "
        "v.p_alive as v_alive, v.clv_12m as v_clv "
        "from customer_tags t join customer_value v using (customer_id)"
    ).to_pandas()
    both = frame.dropna(subset=["v_alive"])
    assert np.allclose(both["p_alive"], both["v_alive"])
    assert np.allclose(both["clv_12m"], both["v_clv"])
    expected_band = np.select(
        [both["v_alive"] < 0.3, both["v_alive"] < 0.7], ["high", "medium"], default="low"
    )
    assert (both["churn_risk"].to_numpy() == expected_band).all()
    assert frame.loc[frame["v_alive"].isna(), "churn_risk"].isna().all()  # never bought
    assert score.scored == len(both)


def test_no_repeat_purchases_is_a_clear_error(ws: Workspace) -> None:
    ws.engine.execute(
        "delete from orders where order_id not in (select arg_min(order_id, ordered_at) "
        "from orders group by customer_id)"
    )
    with pytest.raises(DataError, match="no customer has a repeat purchase"):
        ws.value_fit()
    with pytest.raises(UsageError, match="unknown model"):
        ws.value_fit(model="prophet")


def test_cli_fit_score_runs(built_demo: Path) -> None:
    runner = CliRunner()
    root = str(built_demo)
    out = runner.invoke(app, ["-w", root, "value", "score"])
    # the runner hands back the exception the console entry point would print
    assert isinstance(out.exception, UsageError)
    assert "no value model has been fitted" in str(out.exception)
    out = runner.invoke(app, ["-w", root, "value", "fit", "--model", "pareto", "--json"])
    assert out.exit_code == 0, out.output
    fitted = json.loads(out.stdout)
    assert fitted["model"] == "pareto" and set(fitted["transactions"]["params"]) == {
        "r",
        "alpha",
        "s",
        "beta",
    }
    out = runner.invoke(app, ["-w", root, "value", "fit", "--holdout", "13w"])
    assert out.exit_code == 0, out.output
    assert "holdout after" in out.output and "purchases before" in out.output
    assert "tracking curve" in out.output
    out = runner.invoke(app, ["-w", root, "value", "score", "--json"])
    assert out.exit_code == 0, out.output
    scored = json.loads(out.stdout)
    assert scored["scored"] > 0 and scored["tags_run"]
    out = runner.invoke(app, ["-w", root, "value", "runs", "--json"])
    runs = json.loads(out.stdout)
    assert len(runs) == 2 and runs[0]["scored_at"] and runs[1]["model"] == "pareto"
    out = runner.invoke(app, ["-w", root, "value", "fit", "--model", "prophet"])
    assert isinstance(out.exception, UsageError) and "unknown model" in str(out.exception)
