"""The models stay finite and exact where the textbook forms overflow, and degenerate data end
in an error or a warning that says why. Reference values come from mpmath at 50 digits."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pandas as pd
import pytest

from huaxiang.errors import DataError, ModelWarning
from huaxiang.models import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from huaxiang.models.special import log_hyp2f1_a_plus_one, one_minus_pow_over

mpmath.mp.dps = 50


@pytest.mark.parametrize(
    ("a", "b", "z"),
    [
        (1.2, 1.6, 0.05),
        (1.2, 1.6, 0.95),
        (30.5, 0.4, 0.99),
        (300.6, 300.1, 0.5),  # b = r + x with x = 300: 2F1 itself is about 1e90
        (2000.6, 2000.1, 0.9),  # overflows a double by far (about 10^1999)
        (5.0, 2.0, 0.0),
    ],
)
def test_log_hyp2f1_matches_mpmath(a: float, b: float, z: float) -> None:
    want = float(mpmath.log(mpmath.hyp2f1(a, b, a + 1, z)))
    got = float(log_hyp2f1_a_plus_one(np.array([a]), np.array([b]), np.array([z]))[0])
    assert got == pytest.approx(want, rel=1e-11, abs=1e-12)


def test_one_minus_pow_over_is_continuous_at_zero() -> None:
    u = np.array([0.3, 0.9, 1.0])
    assert np.allclose(one_minus_pow_over(0.0, u), -np.log(u))
    assert np.allclose(one_minus_pow_over(1e-12, u), -np.log(u), rtol=1e-9)
    assert np.allclose(one_minus_pow_over(0.5, u), (1 - u**0.5) / 0.5)


def pareto_loglik_mp(
    r: float, alpha: float, s: float, beta: float, x: int, t_x: float, T: float
) -> float:
    """Fader & Hardie (2005) eq. 22, evaluated at 50 digits (their alpha >= beta branch or not)."""
    r, alpha, s, beta, t_x, T = map(mpmath.mpf, (r, alpha, s, beta, t_x, T))
    big, small_first = (alpha, False) if alpha >= beta else (beta, True)
    b = r + x if small_first else s + 1
    a = r + s + x

    def f(t: mpmath.mpf) -> mpmath.mpf:
        return mpmath.hyp2f1(a, b, a + 1, abs(alpha - beta) / (big + t)) / (big + t) ** a

    head = (
        mpmath.loggamma(r + x) - mpmath.loggamma(r) + r * mpmath.log(alpha) + s * mpmath.log(beta)
    )
    bracket = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / a * (f(t_x) - f(T))
    return float(head + mpmath.log(bracket))


@pytest.mark.parametrize("params", [(0.55, 10.6, 0.61, 11.7), (0.55, 30.0, 0.61, 2.0)])
@pytest.mark.parametrize(
    ("x", "t_x", "T"), [(0, 0.0, 30.0), (3, 12.5, 38.0), (400, 37.0, 38.0), (3000, 77.0, 78.0)]
)
def test_pareto_loglik_is_exact_at_any_frequency(
    params: tuple[float, ...], x: int, t_x: float, T: float
) -> None:
    model = ParetoNBDFitter()
    frame = pd.DataFrame({"frequency": [x, 1.0], "recency": [t_x, 1.0], "T": [T, 2.0]})
    # a second customer with a repeat purchase, so that the data are fit to be prepared
    model._prepare({c: frame[c].to_numpy() for c in frame.columns}, np.array([1.0, 1.0]))
    got = model._loglik(np.array([params]))[0]
    want = pareto_loglik_mp(*params, x, t_x, T) + pareto_loglik_mp(*params, 1, 1.0, 2.0)
    assert np.isfinite(got)
    assert got == pytest.approx(want, rel=1e-9)


def test_predictions_stay_finite_for_heavy_buyers() -> None:
    bg = BetaGeoFitter.from_dict(
        {
            "model": "BetaGeoFitter",
            "params": {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4},
            "unit": "week",
        }
    )
    pareto = ParetoNBDFitter.from_dict(
        {
            "model": "ParetoNBDFitter",
            "params": {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7},
            "unit": "week",
        }
    )
    x = np.array([0.0, 10.0, 500.0, 5000.0])
    t_x = np.array([0.0, 38.0, 38.9, 39.0])  # all seen recently: more purchases, more expected
    age = np.full(4, 39.0)
    for model in (bg, pareto):
        alive = model.conditional_probability_alive(x, t_x, age)
        expected = model.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, age)
        assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
        assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
        assert expected[3] > expected[2] > expected[1]  # more purchases, more expected
    # BG/NBD at x = 500 against the closed form at 50 digits (FHL 2005 eq. 10)
    r, alpha, a, b = (mpmath.mpf(v) for v in (0.24, 4.4, 0.79, 2.4))
    xm, txm, Tm, t = mpmath.mpf(500), mpmath.mpf(38), mpmath.mpf(39), mpmath.mpf(39)
    top = (
        (a + b + xm - 1)
        / (a - 1)
        * (
            1
            - ((alpha + Tm) / (alpha + Tm + t)) ** (r + xm)
            * mpmath.hyp2f1(r + xm, b + xm, a + b + xm - 1, t / (alpha + Tm + t))
        )
    )
    bottom = 1 + a / (b + xm - 1) * ((alpha + Tm) / (alpha + txm)) ** (r + xm)
    got = bg.conditional_expected_number_of_purchases_up_to_time(39, 500.0, 38.0, 39.0)
    assert float(got) == pytest.approx(float(top / bottom), rel=1e-9)


def test_analytic_gradients_match_differences() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 8, 300).astype(float)
    age = rng.uniform(5, 40, 300)
    t_x = np.where(x > 0, age * rng.uniform(0, 1, 300), 0.0)
    spend = rng.gamma(3, 10, 300)
    cases = [
        (BetaGeoFitter(), {"frequency": x, "recency": t_x, "T": age}, [0.4, 5.0, 0.9, 2.5]),
        (
            GammaGammaFitter(),
            {"frequency": x[x > 0], "monetary_value": spend[x > 0]},
            [5.0, 3.0, 12.0],
        ),
    ]
    for model, cols, params in cases:
        n = len(next(iter(cols.values())))
        model._prepare(cols, np.ones(n))
        _, grad = model._loglik_grad(np.array(params))
        for i in range(len(params)):
            step = np.zeros(len(params))
            step[i] = 1e-6 * params[i]
            up = model._loglik(np.array([np.array(params) + step]))[0]
            down = model._loglik(np.array([np.array(params) - step]))[0]
            assert grad[i] == pytest.approx((up - down) / (2 * step[i]), rel=1e-5), (model, i)


def test_no_repeat_buyers_is_an_error() -> None:
    frame = pd.DataFrame({"frequency": [0.0] * 5, "recency": [0.0] * 5, "T": [10.0, 12, 30, 4, 8]})
    for model in (BetaGeoFitter(), ParetoNBDFitter()):
        with pytest.raises(DataError, match="no customer has a repeat purchase"):
            model.fit(frame)


def test_everyone_bought_on_the_last_day_is_an_error() -> None:
    frame = pd.DataFrame({"frequency": [0.0, 0.0], "recency": [0.0, 0.0], "T": [0.0, 0.0]})
    with pytest.raises(DataError, match="T = 0"):
        BetaGeoFitter().fit(frame)


def test_bad_rows_name_the_customer() -> None:
    frame = pd.DataFrame(
        {"frequency": [1.0, 2.0, 3.0], "recency": [2.0, 9.0, 1.0], "T": [5.0, 8.0, 6.0]},
        index=pd.Index(["c1", "c2", "c3"], name="customer"),
    )
    with pytest.raises(DataError, match=r"customer 'c2' has recency > T"):
        BetaGeoFitter().fit(frame)
    frame.loc["c2", "recency"] = 1.0
    frame.loc["c3", "frequency"] = 1.5
    with pytest.raises(DataError, match=r"c3.*whole number"):
        ParetoNBDFitter().fit(frame)
    with pytest.raises(DataError, match="row 2 has a missing"):
        BetaGeoFitter().fit([1.0, np.nan], [1.0, 1.0], [2.0, 2.0])


def test_zero_or_negative_spend_is_an_error() -> None:
    x = pd.Series([1.0, 2.0, 3.0, 0.0], index=["a", "b", "c", "d"])
    spend = pd.Series([10.0, 0.0, -5.0, 0.0], index=x.index)
    with pytest.raises(
        DataError, match=r"customer 'b' and 1 more has a mean spend of zero or less"
    ):
        GammaGammaFitter().fit(x, spend)
    with pytest.raises(DataError, match="too few"):
        GammaGammaFitter().fit([1.0, 0.0], [3.0, 0.0])


def test_rates_without_heterogeneity_end_in_a_warning() -> None:
    # everyone buys at exactly the same rate and nobody drops out: the gamma mixing
    # distribution degenerates (r and alpha grow together without bound)
    rng = np.random.default_rng(11)
    n = 4000
    age = np.full(n, 52.0)
    x = rng.poisson(0.2 * age).astype(float)
    t_x = np.where(x > 0, age * rng.uniform(0.9, 1.0, n) ** (1 / np.maximum(x, 1)), 0.0)
    frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": age})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = BetaGeoFitter().fit(frame)
    reasons = " ".join(model.warnings_)
    assert model.warnings_, model.params_
    assert any(issubclass(w.category, ModelWarning) for w in caught)
    assert "no heterogeneity" in reasons
    assert "dropout is almost nil" in reasons


def test_spend_correlated_with_frequency_is_reported() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(1, 20, 2000).astype(float)
    spend = rng.gamma(4, (5 + 2 * x) / 4)  # mean spend 5 + 2x: r is about 0.64
    with pytest.warns(ModelWarning, match="correlated"):
        model = GammaGammaFitter().fit(x, spend)
    assert any("correlated" in w for w in model.warnings_)
