"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), as implemented by Fader & Hardie.

While alive a customer buys at a Poisson rate lambda ~ Gamma(r, alpha); lifetimes are
exponential with rate mu ~ Gamma(s, beta). The log-likelihood of (x, t_x, T) is
(Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model", eq. 22)

    ln Gamma(r+x) - ln Gamma(r) + r ln alpha + s ln beta
      + ln[ (alpha+T)^-(r+x) (beta+T)^-s + s / (r+s+x) A0 ]

where A0 = F(t_x) - F(T) and F(t) = 2F1(r+s+x, b'; r+s+x+1; |alpha-beta| / (M+t)) / (M+t)^(r+s+x),
with M = max(alpha, beta) and b' = s+1 when alpha >= beta, r+x otherwise. Everything is in
log space (special.log_hyp2f1_a_plus_one), so customers with thousands of purchases are fine.
F depends on (x, t_x) and (x, T) only, so it is evaluated once per distinct pair.
There is no closed-form gradient in r and s; the base class differentiates numerically.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import gammaln

from huaxiang.models.fitting import Array, distinct_rows
from huaxiang.models.inputs import flat_arrays, shape_of
from huaxiang.models.purchase import PurchaseFitter, rate_spread_warnings
from huaxiang.models.special import log_diff_exp, log_hyp2f1_a_plus_one, one_minus_pow_over
from huaxiang.models.units import in_unit, in_units


class _Pairs:
    """Distinct (x, time) pairs and where each customer's pair is."""

    def __init__(self, x: Array, time: Array) -> None:
        self.inverse, first = distinct_rows(x, time)
        self.x, self.time = x[first], time[first]

    def log_f(self, r: float, alpha: float, s: float, beta: float) -> Array:
        """log F(time) per customer (see the module docstring)."""
        big = max(alpha, beta)
        b = np.full(len(self.x), s + 1) if alpha >= beta else r + self.x
        a = r + s + self.x
        z = abs(alpha - beta) / (big + self.time)
        values = log_hyp2f1_a_plus_one(a, b, z) - a * np.log(big + self.time)
        return values[self.inverse]


def _terms(
    params: tuple[float, ...], x: Array, age: Array, at_tx: _Pairs, at_T: _Pairs
) -> tuple[Array, Array]:
    """Per customer: the log of the 'alive at T' term and of the 'died in (t_x, T)' term."""
    r, alpha, s, beta = params
    alive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
    died = (
        np.log(s)
        - np.log(r + s + x)
        + log_diff_exp(at_tx.log_f(r, alpha, s, beta), at_T.log_f(r, alpha, s, beta))
    )
    return alive, died


class ParetoNBDFitter(PurchaseFitter):
    """Pareto/NBD. ``fit(frequency, recency, T[, weights])`` or ``fit(frame)``."""

    PARAMS: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")

    def _prepare(self, cols: dict[str, Array], weights: Array) -> None:
        keep = weights > 0
        x, t_x, age = cols["frequency"][keep], cols["recency"][keep], cols["T"][keep]
        self._x, self._tx, self._T, self._w = x, t_x, age, weights[keep]
        self._at_tx, self._at_T = _Pairs(x, t_x), _Pairs(x, age)

    def _loglik(self, params: Array) -> Array:
        out = np.empty(len(params))
        w = self._w
        for i, (r, alpha, s, beta) in enumerate(params):
            alive, died = _terms((r, alpha, s, beta), self._x, self._T, self._at_tx, self._at_T)
            head = gammaln(r + self._x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            out[i] = float(np.dot(w, head + np.logaddexp(alive, died)))
        return out

    def _start(self) -> Array:
        rate = max(float(np.dot(self._w, self._x)), 1.0) / max(
            float(np.dot(self._w, self._T)), 1e-9
        )
        return np.array([1.0, 1.0 / rate, 1.0, float(np.average(self._T, weights=self._w))])

    def _diagnose(self, params: dict[str, float]) -> list[str]:
        return rate_spread_warnings(params)

    # -- predictions ---------------------------------------------------------------------
    def conditional_probability_alive(self, frequency: Any, recency: Any, T: Any) -> Array:
        """P(alive at T | x, t_x, T)."""
        x, t_x, age = flat_arrays(frequency, recency, T)
        return np.exp(self._log_alive(x, t_x, age)).reshape(shape_of(frequency, recency, T))

    def _log_alive(self, x: Array, t_x: Array, age: Array) -> Array:
        params = tuple(self._params().values())
        alive, died = _terms(params, x, age, _Pairs(x, t_x), _Pairs(x, age))
        result: Array = alive - np.logaddexp(alive, died)
        return result

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: float | str, frequency: Any, recency: Any, T: Any
    ) -> Array:
        """E[X(T, T + t) | x, t_x, T] (Fader & Hardie 2005 eq. 41)."""
        x, t_x, age, times = flat_arrays(frequency, recency, T, in_units(t, self.unit))
        r, alpha, s, beta = self._params().values()
        alive = np.exp(self._log_alive(x, t_x, age))
        rate = (r + x) * (beta + age) / (alpha + age)
        out = alive * rate * one_minus_pow_over(s - 1, (beta + age) / (beta + age + times))
        return out.reshape(shape_of(frequency, recency, T, t))

    def _expected_many(self, times: Array, x: Array, t_x: Array, age: Array) -> Array:
        """Conditional expectations for several horizons at once: shape (len(times), n)."""
        r, alpha, s, beta = self._params().values()
        alive = np.exp(self._log_alive(x, t_x, age))
        rate = (r + x) * (beta + age) / (alpha + age)
        return np.stack(
            [
                alive * rate * one_minus_pow_over(s - 1, (beta + age) / (beta + age + t))
                for t in times
            ]
        )

    predict = conditional_expected_number_of_purchases_up_to_time  # lifetimes' name

    def expected_number_of_purchases_up_to_time(self, t: Any) -> Array:
        """E[X(t)] for a new customer (Fader & Hardie 2005 eq. 17)."""
        r, alpha, s, beta = self._params().values()
        times = np.array([in_unit(v, self.unit) for v in np.ravel(np.asarray(t, dtype=object))])
        result = r * beta / alpha * one_minus_pow_over(s - 1, beta / (beta + times))
        return np.asarray(result).reshape(np.shape(t))
