"""BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

While alive, a customer buys at a Poisson rate lambda ~ Gamma(r, alpha); after each purchase
(BG/NBD: after each repeat purchase; MBG/NBD: also at the first) the customer drops out with
probability p ~ Beta(a, b). The input per customer is x (frequency: repeat purchases), t_x
(recency: time of the last purchase since the first) and T (age: time since the first).

The two models differ only by one shift, so they share the code: with s = 0 (BG/NBD) or 1
(MBG/NBD) the log-likelihood is

    ln Gamma(r+x) - ln Gamma(r) + r ln alpha + ln B(a, b+x+s) - ln B(a, b)
      + ln[ (alpha+T)^-(r+x) + [x>0 or s=1] a / (b+x-1+s) (alpha+t_x)^-(r+x) ]

(FHL 2005 eq. 6; Batislam et al. 2007 eq. 6), with its analytic gradient.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln, hyp2f1

from huaxiang.models.fitting import Array, distinct_rows
from huaxiang.models.inputs import flat_arrays, shape_of
from huaxiang.models.purchase import PurchaseFitter, dropout_warnings, rate_spread_warnings
from huaxiang.models.units import in_unit, in_units


class BetaGeoFitter(PurchaseFitter):
    """BG/NBD. ``fit(frequency, recency, T[, weights])`` or ``fit(frame)``; recency and T in
    one time unit (say which with ``unit=`` so horizons like "90d" can be converted)."""

    PARAMS: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    ANALYTIC: ClassVar[bool] = True
    _SHIFT: ClassVar[int] = 0  # 1: MBG/NBD (dropout possible at the first purchase too)

    # -- likelihood ----------------------------------------------------------------------
    def _prepare(self, cols: dict[str, Array], weights: Array) -> None:
        x, t_x, age = cols["frequency"], cols["recency"], cols["T"]
        keep = weights > 0
        x, t_x, age, weights = x[keep], t_x[keep], age[keep], weights[keep]
        self._x, self._T, self._w = x, age, weights
        self._xs, x_inv = np.unique(x, return_inverse=True)
        self._x_w = np.bincount(x_inv, weights=weights)
        self._Ts, T_inv = np.unique(age, return_inverse=True)
        # BG/NBD customers without a repeat purchase have one bracket term, -r ln(alpha+T):
        # they are summed per distinct T; the others are kept row by row
        one = (x == 0) if self._SHIFT == 0 else np.zeros(len(x), dtype=bool)
        self._one_w = np.bincount(T_inv[one], weights=weights[one], minlength=len(self._Ts))
        two = ~one
        self._txs, tx_inv = np.unique(t_x[two], return_inverse=True)
        self._two = (x[two], x_inv[two], T_inv[two], tx_inv, weights[two])

    def _loglik_grad(self, params: Array) -> tuple[float, Array]:
        r, alpha, a, b = params
        s, w_all = self._SHIFT, self._w.sum()
        xs, xw, Ts = self._xs, self._x_w, self._Ts
        # terms of x alone, and of the customers with one bracket term
        log_Ts, inv_Ts = np.log(alpha + Ts), 1 / (alpha + Ts)
        ll = float(
            np.dot(xw, gammaln(r + xs) + gammaln(b + xs + s) - gammaln(a + b + xs + s))
            + w_all * (r * np.log(alpha) - gammaln(r) + gammaln(a + b) - gammaln(b))
            - r * np.dot(self._one_w, log_Ts)
        )
        d_r = float(np.dot(xw, digamma(r + xs)) - w_all * (digamma(r) - np.log(alpha)))
        d_r -= float(np.dot(self._one_w, log_Ts))
        d_alpha = w_all * r / alpha - r * float(np.dot(self._one_w, inv_Ts))
        d_ab = w_all * digamma(a + b) - float(np.dot(xw, digamma(a + b + xs + s)))
        d_a, d_b = d_ab, d_ab + float(np.dot(xw, digamma(b + xs + s))) - w_all * digamma(b)
        # customers with two bracket terms: ln[(alpha+T)^-(r+x) + a/(b+x-1+s) (alpha+t_x)^-(r+x)]
        x, x_inv, T_inv, tx_inv, w = self._two
        if len(x):
            log_T, log_tx = log_Ts[T_inv], np.log(alpha + self._txs)[tx_inv]
            rx = r + x
            with np.errstate(divide="ignore", invalid="ignore"):  # x = 0 has no second term
                lead = np.log(a) - np.log(b + xs - 1 + s)
            diff = lead[x_inv] - rx * (log_tx - log_T)  # log(second / first)
            soft = np.logaddexp(0.0, diff)
            ll += float(np.dot(w, soft - rx * log_T))
            with np.errstate(over="ignore"):
                share = w / (1 + np.exp(-diff))  # weight x the second term's share
            d_r -= float(np.dot(w, log_T)) + float(np.dot(share, log_tx - log_T))
            inv_T, inv_tx = inv_Ts[T_inv], 1 / (alpha + self._txs)[tx_inv]
            d_alpha -= float(np.dot(w * rx, inv_T)) + float(np.dot(share * rx, inv_tx - inv_T))
            share_sum = float(share.sum())
            d_a += share_sum / a
            by_x = np.bincount(x_inv, weights=share, minlength=len(xs))
            with np.errstate(divide="ignore", invalid="ignore"):
                d_b -= float(np.dot(by_x, np.where(by_x > 0, 1 / (b + xs - 1 + s), 0.0)))
        return ll, np.array([d_r, d_alpha, d_a, d_b])

    def _start(self) -> Array:
        bought = max(float(np.dot(self._w, self._x)), 1.0)
        rate = bought / max(float(np.dot(self._w, self._T)), 1e-9)
        return np.array([1.0, 1.0 / rate, 1.0, 3.0])

    def _diagnose(self, params: dict[str, float]) -> list[str]:
        return rate_spread_warnings(params) + dropout_warnings(params["a"], params["b"])

    # -- predictions ---------------------------------------------------------------------
    def conditional_probability_alive(self, frequency: Any, recency: Any, T: Any) -> Array:
        """P(alive at T | x, t_x, T)."""
        r, alpha, a, b = self._params().values()
        x, t_x, age = flat_arrays(frequency, recency, T)
        s = self._SHIFT
        with np.errstate(divide="ignore", invalid="ignore"):  # x = 0 is masked below
            log_odds = (
                np.log(a)
                - np.log(b + x - 1 + s)
                + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
            )
        if s == 0:
            log_odds = np.where(x > 0, log_odds, -np.inf)
        alive: Array = np.exp(-np.logaddexp(0.0, log_odds))
        return alive.reshape(shape_of(frequency, recency, T))

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: float | str, frequency: Any, recency: Any, T: Any
    ) -> Array:
        """E[X(T, T + t) | x, t_x, T]: expected purchases in the next ``t`` (a number in the
        model's unit, or a horizon such as "90d")."""
        x, t_x, age, times = flat_arrays(frequency, recency, T, in_units(t, self.unit))
        alive = self.conditional_probability_alive(x, t_x, age)
        out = self._growth(times, x, age) * alive
        return out.reshape(shape_of(frequency, recency, T, t))

    def _expected_many(self, times: Array, x: Array, t_x: Array, age: Array) -> Array:
        """Conditional expectations for several horizons at once: shape (len(times), n)."""
        alive = self.conditional_probability_alive(x, t_x, age)
        codes, one_row = distinct_rows(x, age)
        out = np.empty((len(times), len(x)))
        k_x, k_age = x[one_row], age[one_row]
        for i, t in enumerate(times):
            growth = self._growth_of(np.full(len(one_row), t), k_x, k_age)
            np.multiply(growth[codes], alive, out=out[i])
        return out

    def _growth(self, t: Array, x: Array, age: Array) -> Array:
        """E[X(T, T+t) | x, T, alive at T], computed once per distinct (x, T, t)."""
        codes, one_row = distinct_rows(x, age, t)
        return self._growth_of(t[one_row], x[one_row], age[one_row])[codes]

    def _growth_of(self, t: Array, x: Array, age: Array) -> Array:
        r, alpha, a, b = self._params().values()
        s = self._SHIFT
        a = _away_from_one(a)
        # Euler's transformation keeps 2F1(r+x, b+x+s; a+b+x-1+s; z) (1-z)^(r+x) finite for any
        # x: it equals (1-z)^(a-1) 2F1(a+b-1+s-r, a-1; a+b+x-1+s; z)
        z = t / (alpha + age + t)
        series = hyp2f1(a + b - 1 + s - r, a - 1, a + b + x - 1 + s, z)
        bracket = 1 - np.exp((a - 1) * np.log1p(-z)) * series
        return np.asarray((a + b + x - 1 + s) / (a - 1) * bracket)

    predict = conditional_expected_number_of_purchases_up_to_time  # lifetimes' name

    def expected_number_of_purchases_up_to_time(self, t: Any) -> Array:
        """E[X(t)]: expected repeat purchases of a new customer in ``t``."""
        r, alpha, a, b = self._params().values()
        s = self._SHIFT
        a = _away_from_one(a)
        times = np.array([in_unit(v, self.unit) for v in np.ravel(np.asarray(t, dtype=object))])
        z = times / (alpha + times)
        series = hyp2f1(a + b - 1 + s - r, a - 1, a + b - 1 + s, z)
        result = (a + b - 1 + s) / (a - 1) * (1 - np.exp((a - 1) * np.log1p(-z)) * series)
        return np.asarray(result).reshape(np.shape(t))


class ModifiedBetaGeoFitter(BetaGeoFitter):
    """MBG/NBD: as BG/NBD, but a customer may also drop out right after the first purchase,
    so customers without a repeat purchase are not all certainly alive."""

    _SHIFT: ClassVar[int] = 1


def _away_from_one(a: float) -> float:
    # the expectations are 0/0 at a = 1 exactly; the limit is continuous, so a step of 1e-9
    # changes the result by about 1e-9 relative
    return a if abs(a - 1) > 1e-9 else 1 + 1e-9
