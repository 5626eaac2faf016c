"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013,
"The Gamma-Gamma Model of Monetary Value").

A customer's spend per transaction is Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers.
Fitted on customers with at least one repeat purchase (x > 0) and their mean spend m over the
x repeat transactions; the density of m is

    Gamma(px+q) / (Gamma(px) Gamma(q)) * gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q).

The model assumes spend does not depend on how often a customer buys: a clear correlation
between frequency and mean spend among repeat buyers is reported as a warning.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
from scipy.special import digamma, gammaln

from huaxiang.errors import DataError, UsageError
from huaxiang.models.fitting import Array, BaseFitter
from huaxiang.models.inputs import columns_of, first_bad, flat_arrays, shape_of
from huaxiang.models.units import DAYS, Unit, check_unit, in_unit

CORRELATION_WARNING = 0.3  # |Pearson r| of frequency and mean spend above which we warn


class GammaGammaFitter(BaseFitter):
    """Gamma-Gamma. ``fit(frequency, monetary_value[, weights])`` or ``fit(frame)``: rows
    without a repeat purchase are left out (their mean repeat spend is not observed)."""

    PARAMS: ClassVar[tuple[str, ...]] = ("p", "q", "v")
    ANALYTIC: ClassVar[bool] = True
    COLUMNS: ClassVar[tuple[str, ...]] = ("frequency", "monetary_value")

    def fit(
        self,
        frequency: Any,
        monetary_value: Any = None,
        weights: Any = None,
        *,
        initial_params: Any = None,
    ) -> Self:
        cols, index = columns_of(type(self).__name__, self.COLUMNS, frequency, [monetary_value])
        x, m = cols["frequency"], cols["monetary_value"]
        bad = ~(np.isfinite(x) & np.isfinite(m)) | (x < 0)
        if bad.any():
            raise DataError(f"{first_bad(index, bad)} has a missing, infinite or negative value")
        repeat = x > 0
        if repeat.sum() < 2:
            raise DataError(
                f"{int(repeat.sum())} customer(s) with a repeat purchase: too few to learn how "
                "spend varies between customers"
            )
        not_positive = repeat & (m <= 0)
        if not_positive.any():
            raise DataError(
                f"{first_bad(index, not_positive)} has a mean spend of zero or less: the "
                "Gamma-Gamma model describes positive amounts",
                hint="leave out returns and free orders (or customers whose net spend is <= 0)",
            )
        w = None if weights is None else np.asarray(weights, float).reshape(-1)[repeat]
        return self._fit({"frequency": x[repeat], "monetary_value": m[repeat]}, w, initial_params)

    def _prepare(self, cols: dict[str, Array], weights: Array) -> None:
        keep = weights > 0
        x, m, w = cols["frequency"][keep], cols["monetary_value"][keep], weights[keep]
        self._x, self._m, self._w = x, m, w
        # the terms in Gamma functions depend on x alone; the ones in log m and log x are
        # linear in p: both are summed once here, so an evaluation costs one log per customer
        self._xs, x_inv = np.unique(x, return_inverse=True)
        self._x_w = np.bincount(x_inv, weights=w)
        log_m, log_x = np.log(m), np.log(x)
        self._sum_w = float(w.sum())
        self._sum_w_log_m = float(np.dot(w, log_m))
        self._sum_wx_logs = float(np.dot(w * x, log_m + log_x))
        self._wx = w * x

    def _loglik_grad(self, params: Array) -> tuple[float, Array]:
        p, q, v = params
        xs, xw, w = self._xs, self._x_w, self._sum_w
        pxs = p * xs
        log_vmx = np.log(v + self._m * self._x)
        ll = (
            float(np.dot(xw, gammaln(pxs + q) - gammaln(pxs)))
            + w * (q * np.log(v) - gammaln(q))
            + p * self._sum_wx_logs
            - self._sum_w_log_m
            - p * float(np.dot(self._wx, log_vmx))
            - q * float(np.dot(self._w, log_vmx))
        )
        psi = digamma(pxs + q)
        d_p = float(np.dot(xw * xs, psi - digamma(pxs))) + self._sum_wx_logs
        d_p -= float(np.dot(self._wx, log_vmx))
        d_q = float(np.dot(xw, psi)) - w * digamma(q) + w * np.log(v)
        d_q -= float(np.dot(self._w, log_vmx))
        d_v = q * w / v - float(np.dot(p * self._wx + q * self._w, 1 / (v + self._m * self._x)))
        return ll, np.array([d_p, d_q, d_v])

    def _start(self) -> Array:
        mean = float(np.average(self._m, weights=self._w))
        return np.array([1.0, 2.0, mean])

    def _diagnose(self, params: dict[str, float]) -> list[str]:
        reasons = []
        if params["q"] <= 1:
            reasons.append(
                f"q = {params['q']:.3g} <= 1: the model's mean spend across customers is "
                "infinite (a few very large spenders); expected spend leans on each customer's "
                "own history"
            )
        if len(self._x) > 2 and np.std(self._x) > 0 and np.std(self._m) > 0:
            rho = float(np.corrcoef(self._x, self._m)[0, 1])
            if abs(rho) > CORRELATION_WARNING:
                reasons.append(
                    f"frequency and mean spend are correlated (r = {rho:.2f}): the model "
                    "assumes they are independent, so spend predictions may be biased"
                )
        return reasons

    # -- predictions ---------------------------------------------------------------------
    def conditional_expected_average_profit(self, frequency: Any, monetary_value: Any) -> Array:
        """E[M | x, m]: a weighted mean of the population mean p v / (q - 1) and the customer's
        own mean spend, the weight on the own mean growing with x (FHL 2005 eq. 5)."""
        p, q, v = self._params().values()
        x, m = flat_arrays(frequency, monetary_value)
        if q <= 1:
            # the population mean is infinite: without own history there is no finite guess
            result = np.where(
                x > 0, m * (p * x) / (p * x + q - 1) + p * v / (p * x + q - 1), np.nan
            )
        else:
            result = (p * (v + x * m)) / (p * x + q - 1)
        return np.asarray(result).reshape(shape_of(frequency, monetary_value))

    def customer_lifetime_value(
        self,
        transaction_model: Any,
        frequency: Any,
        recency: Any,
        T: Any,
        monetary_value: Any,
        horizon: float | str = "12m",
        discount_rate: float = 0.01,
        step: str = "month",
    ) -> Array:
        """Discounted expected spend over ``horizon``: the sum over steps k of expected spend
        times the expected purchases in step k, divided by (1 + discount_rate)^k.

        ``horizon`` is a text such as "12m" or "90d", or a number in the transaction model's
        unit; ``step`` is the length of one discounting period (day, week, month = 30.4375
        days, year) and ``discount_rate`` the rate per step (0.01 a month is about 12.7% a
        year). The transaction model must know its time unit for the two to be combined.
        """
        unit = transaction_model.unit
        if unit is None:
            raise UsageError(
                "the transaction model does not know the time unit of its data",
                hint="fit it with unit='day' / 'week' / 'month', the unit of recency and T",
            )
        step_unit: Unit | None = check_unit(step)
        if step_unit is None or not (discount_rate > -1):
            raise UsageError("step must be a time unit and discount_rate greater than -1")
        total = in_unit(horizon, unit)
        step_len = DAYS[step_unit] / DAYS[unit]
        n_steps = max(int(np.ceil(total / step_len - 1e-9)), 1)
        ends = np.minimum(np.arange(1, n_steps + 1) * step_len, total)
        x, t_x, age, m = flat_arrays(frequency, recency, T, monetary_value)
        spend = self.conditional_expected_average_profit(x, m)
        cumulative = transaction_model._expected_many(ends, x, t_x, age)
        per_step = np.diff(cumulative, axis=0, prepend=0.0)
        factors = (1 + discount_rate) ** -np.arange(1, n_steps + 1, dtype=float)
        value = spend * (factors @ per_step)
        return np.asarray(value).reshape(shape_of(frequency, recency, T, monetary_value))
