"""BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma against published figures on the CDNOW sample.

Data: tests/data/cdnow/CDNOW_sample.txt (see its README), summarised in weeks with same-day
purchases merged and the calibration ending 1997-09-30 (39 weeks from 1997-01-01).
Sources of the pinned numbers:
- BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative
  to the Pareto/NBD Model", Marketing Science 24(2) 275-284, section 4 (parameters, LL,
  E[X(39) | x=2, t_x=30.43, T=38.86] = 1.226, holdout 1,653 expected vs 1,882 actual); LL and
  parameters to 7 digits from Fader, Hardie & Lee (2005), "Implementing the BG/NBD Model for
  Customer Base Analysis in Excel".
- Pareto/NBD: Fader & Hardie (2005), "A Note on Implementing the Pareto/NBD Model in MATLAB".
- Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (946 repeat
  buyers: p = 6.25, q = 3.74, gamma = 15.44).
lifetimes 0.11.3 (a dev dependency) is a second witness for MBG/NBD and for predictions.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from huaxiang.errors import UsageError
from huaxiang.models import (
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    NotFittedError,
    ParetoNBDFitter,
    rfm_summary,
)
from huaxiang.models.holdout import calibration_and_holdout, holdout_comparison, tracking_curve

CDNOW = Path(__file__).parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"
OPTIONS = {"freq": "D", "freq_multiplier": 7, "datetime_format": "%Y%m%d"}


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    names = ["master_id", "id", "date", "quantity", "amount"]
    return pd.read_csv(CDNOW, sep=r"\s+", header=None, names=names)


@pytest.fixture(scope="module")
def summary(log: pd.DataFrame) -> pd.DataFrame:
    return rfm_summary(log, "id", "date", "amount", observation_period_end="19970930", **OPTIONS)


@pytest.fixture(scope="module")
def bgnbd(summary: pd.DataFrame) -> BetaGeoFitter:
    return BetaGeoFitter(unit="week").fit(summary)


def relative(got: float, want: float) -> float:
    return abs(got - want) / abs(want)


def test_bgnbd_matches_the_published_estimates(bgnbd: BetaGeoFitter) -> None:
    published = {"r": 0.2425945, "alpha": 4.4136019, "a": 0.7929199, "b": 2.4258881}
    for name, value in published.items():
        assert relative(bgnbd.params_[name], value) < 1e-4, name
    assert relative(bgnbd.log_likelihood_, -9582.429) < 1e-4
    assert abs(bgnbd.log_likelihood_ - -9582.429) < 0.01  # in fact to the published digits
    assert bgnbd.converged_ and bgnbd.warnings_ == []
    assert bgnbd.n_customers_ == 2357


def test_bgnbd_conditional_expectation_of_the_papers_customer(bgnbd: BetaGeoFitter) -> None:
    got = bgnbd.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)
    assert round(float(got), 3) == 1.226
    # the same horizon given as text in another unit
    text = bgnbd.conditional_expected_number_of_purchases_up_to_time("273d", 2, 30.43, 38.86)
    assert float(text) == pytest.approx(float(got), rel=1e-12)


def test_pareto_nbd_matches_the_published_estimates(summary: pd.DataFrame) -> None:
    model = ParetoNBDFitter(unit="week").fit(summary)
    published = {"r": 0.55315, "alpha": 10.57633, "s": 0.60625, "beta": 11.67150}
    # the likelihood is very flat along beta (its standard error is about 6): the published
    # optimum and ours differ in the fourth digit while their log-likelihoods differ by 1e-5
    for name, value in published.items():
        assert relative(model.params_[name], value) < 5e-4, name
    assert relative(model.log_likelihood_, -9594.976) < 1e-6
    at_published = model._loglik(np.array([list(published.values())]))[0]
    assert model.log_likelihood_ >= at_published - 1e-9
    assert model.converged_ and model.warnings_ == []


def test_gamma_gamma_matches_the_published_estimates(summary: pd.DataFrame) -> None:
    model = GammaGammaFitter().fit(summary["frequency"], summary["monetary_value"])
    assert model.n_customers_ == 946  # the repeat buyers only
    assert f"{model.params_['p']:.3g}" == "6.25"
    assert f"{model.params_['q']:.3g}" == "3.74"
    assert f"{model.params_['v']:.4g}" == "15.44"
    assert model.warnings_ == []


def test_holdout_matches_the_published_comparison(log: pd.DataFrame) -> None:
    frame = calibration_and_holdout(
        log, "id", "date", "19970930", "19980630", monetary_col="amount", **OPTIONS
    )
    assert len(frame) == 2357
    assert (frame["duration_holdout"] == 39).all()
    model = BetaGeoFitter(unit="week").fit(
        frame["frequency_cal"], frame["recency_cal"], frame["T_cal"]
    )
    report = holdout_comparison(model, frame)
    assert report.actual_total == 1882
    assert round(report.expected_total) == 1653
    assert report.error == pytest.approx((1653.4 - 1882) / 1882, abs=1e-3)
    assert list(report.by_frequency.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert report.by_frequency["customers"].sum() == 2357
    weighted = (report.by_frequency["customers"] * report.by_frequency["actual"]).sum()
    assert weighted == pytest.approx(1882)


def test_tracking_curve_counts_every_repeat_purchase(
    log: pd.DataFrame, bgnbd: BetaGeoFitter
) -> None:
    curve = tracking_curve(bgnbd, log, "id", "date", "19970930", "19980630", **OPTIONS)
    assert len(curve) == 78
    assert curve.loc[39.0, "actual"] == 2457  # every calibration repeat purchase (FHL: 2,457)
    assert curve["actual"].iloc[-1] == 2457 + 1882
    assert curve["actual"].is_monotonic_increasing and curve["expected"].is_monotonic_increasing
    # the model tracks the calibration period closely (FHL 2005, figure 2)
    assert abs(curve.loc[39.0, "expected"] - 2457) / 2457 < 0.05


def test_predictions_agree_with_lifetimes(bgnbd: BetaGeoFitter, summary: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter as TheirBG
        from lifetimes import ModifiedBetaGeoFitter as TheirMBG
        from lifetimes import ParetoNBDFitter as TheirPareto
    x, t_x, age = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    theirs = TheirBG()
    theirs.params_ = bgnbd.params_.copy()
    ours_alive = bgnbd.conditional_probability_alive(x, t_x, age)
    assert np.allclose(ours_alive, theirs.conditional_probability_alive(x, t_x, age), rtol=1e-9)
    ours = bgnbd.conditional_expected_number_of_purchases_up_to_time(10, x, t_x, age)
    want = theirs.conditional_expected_number_of_purchases_up_to_time(10, x, t_x, age)
    assert np.allclose(ours, want, rtol=1e-8)
    times = np.array([1.0, 10.0, 52.0])
    assert np.allclose(
        bgnbd.expected_number_of_purchases_up_to_time(times),
        theirs.expected_number_of_purchases_up_to_time(times),
        rtol=1e-9,
    )
    mbg = ModifiedBetaGeoFitter(unit="week").fit(summary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        their_mbg = TheirMBG().fit(summary["frequency"], summary["recency"], summary["T"])
    assert np.allclose(mbg.params_.to_numpy(), their_mbg.params_.to_numpy(), rtol=1e-3)
    their_mbg.params_ = mbg.params_.copy()
    assert np.allclose(
        mbg.conditional_expected_number_of_purchases_up_to_time(10, x, t_x, age),
        their_mbg.conditional_expected_number_of_purchases_up_to_time(10, x, t_x, age),
        rtol=1e-8,
    )
    pareto = ParetoNBDFitter(unit="week").fit(summary)
    their_pareto = TheirPareto()
    their_pareto.params_ = pareto.params_.copy()
    assert np.allclose(
        pareto.conditional_probability_alive(x, t_x, age),
        their_pareto.conditional_probability_alive(x, t_x, age),
        rtol=1e-8,
    )
    assert np.allclose(
        pareto.conditional_expected_number_of_purchases_up_to_time(10, x, t_x, age),
        their_pareto.conditional_expected_number_of_purchases_up_to_time(10, x, t_x, age),
        rtol=1e-8,
    )


def test_clv_is_the_discounted_sum_of_monthly_spend(
    bgnbd: BetaGeoFitter, summary: pd.DataFrame
) -> None:
    gg = GammaGammaFitter().fit(summary["frequency"], summary["monetary_value"])
    x, t_x, age, m = (summary[c].to_numpy()[:50] for c in summary.columns)
    got = gg.customer_lifetime_value(bgnbd, x, t_x, age, m, horizon="12m", discount_rate=0.01)
    # by hand: month k ends at k * 30.4375 / 7 weeks
    spend = gg.conditional_expected_average_profit(x, m)
    want = np.zeros(len(x))
    previous = np.zeros(len(x))
    for k in range(1, 13):
        now = bgnbd.conditional_expected_number_of_purchases_up_to_time(
            k * 30.4375 / 7, x, t_x, age
        )
        want += spend * (now - previous) / 1.01**k
        previous = now
    assert np.allclose(got, want, rtol=1e-12)
    undiscounted = gg.customer_lifetime_value(bgnbd, x, t_x, age, m, "12m", discount_rate=0.0)
    year = bgnbd.conditional_expected_number_of_purchases_up_to_time("365.25d", x, t_x, age)
    assert np.allclose(undiscounted, spend * year, rtol=1e-12)


def test_time_units_are_explicit(summary: pd.DataFrame) -> None:
    unitless = BetaGeoFitter().fit(summary)
    with pytest.raises(UsageError, match="does not know the unit"):
        unitless.conditional_expected_number_of_purchases_up_to_time("90d", 1, 5.0, 30.0)
    gg = GammaGammaFitter().fit(summary["frequency"], summary["monetary_value"])
    with pytest.raises(UsageError, match="time unit"):
        gg.customer_lifetime_value(unitless, 1, 5.0, 30.0, 20.0)
    weekly = BetaGeoFitter(unit="week").fit(summary)
    daily = weekly.conditional_expected_number_of_purchases_up_to_time("13w", 1, 5.0, 30.0)
    assert float(daily) == pytest.approx(
        float(weekly.conditional_expected_number_of_purchases_up_to_time(13, 1, 5.0, 30.0))
    )
    with pytest.raises(UsageError, match="horizon"):
        weekly.expected_number_of_purchases_up_to_time("soon")
    with pytest.raises(UsageError, match="unknown time unit"):
        BetaGeoFitter(unit="fortnight")


def test_save_load_and_summary(bgnbd: BetaGeoFitter, tmp_path: Path) -> None:
    path = tmp_path / "bgnbd.json"
    bgnbd.save(path)
    loaded = BetaGeoFitter.load(path)
    assert loaded.params_.equals(bgnbd.params_)
    assert loaded.unit == "week"
    assert loaded.log_likelihood_ == bgnbd.log_likelihood_
    x = np.array([0.0, 3.0, 10.0])
    assert np.array_equal(
        loaded.conditional_probability_alive(x, [0.0, 20.0, 35.0], [38.0, 38.0, 38.0]),
        bgnbd.conditional_probability_alive(x, [0.0, 20.0, 35.0], [38.0, 38.0, 38.0]),
    )
    table = bgnbd.summary()
    assert list(table.columns) == ["coef", "se(coef)", "lower 95% bound", "upper 95% bound"]
    assert (table["lower 95% bound"] < table["coef"]).all()
    assert (table["coef"] < table["upper 95% bound"]).all()
    assert (table["se(coef)"] > 0).all()
    with pytest.raises(UsageError, match="not a ParetoNBDFitter"):
        ParetoNBDFitter.load(path)
    with pytest.raises(NotFittedError, match="not been fitted"):
        BetaGeoFitter().conditional_probability_alive(1, 1, 2)


def test_weights_equal_repeated_rows(summary: pd.DataFrame) -> None:
    head = summary.iloc[:400]
    twice = pd.concat([head, head, head.iloc[:100]])
    weights = np.r_[np.full(100, 3.0), np.full(300, 2.0)]
    a = BetaGeoFitter().fit(twice)
    b = BetaGeoFitter().fit(head["frequency"], head["recency"], head["T"], weights=weights)
    assert np.allclose(a.params_.to_numpy(), b.params_.to_numpy(), rtol=1e-6)
    assert math.isclose(a.log_likelihood_, b.log_likelihood_, rel_tol=1e-9)


def test_a_penalty_shrinks_the_parameters(summary: pd.DataFrame) -> None:
    free = BetaGeoFitter().fit(summary)
    shrunk = BetaGeoFitter(penalizer_coef=0.1).fit(summary)
    assert (shrunk.params_**2).sum() < (free.params_**2).sum()
    assert shrunk.log_likelihood_ < free.log_likelihood_
