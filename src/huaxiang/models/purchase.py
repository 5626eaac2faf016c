"""What the purchase models (BG/NBD, MBG/NBD, Pareto/NBD) share: their input, one row per
customer with frequency, recency and T, and its checks."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from huaxiang.errors import DataError
from huaxiang.models.fitting import Array, BaseFitter
from huaxiang.models.inputs import columns_of, first_bad


class PurchaseFitter(BaseFitter):
    """``fit(frequency, recency, T[, weights])`` or ``fit(frame)``; recency and T in one time
    unit (say which with ``unit=`` so that horizons like "90d" can be converted)."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")

    def fit(
        self,
        frequency: Any,
        recency: Any = None,
        T: Any = None,
        weights: Any = None,
        *,
        initial_params: Any = None,
    ) -> Self:
        cols, index = columns_of(type(self).__name__, self.COLUMNS, frequency, [recency, T])
        check_rfm(cols, index)
        counted = (
            cols["frequency"]
            if weights is None
            else cols["frequency"][np.asarray(weights, float).reshape(-1) > 0]
        )
        if not np.any(counted > 0):
            raise DataError(
                "no customer has a repeat purchase: the purchase rate cannot be told apart "
                "from dropout",
                hint="use a longer history (repeat purchases are what these models learn from)",
            )
        return self._fit(cols, weights, initial_params)


def check_rfm(cols: dict[str, Array], index: pd.Index | None) -> None:
    """frequency, recency, T as the models need them, or a DataError saying which customer."""
    x, t_x, age = cols["frequency"], cols["recency"], cols["T"]
    if len(x) == 0:
        raise DataError("there are no customers to fit on")
    checks = [
        (
            ~(np.isfinite(x) & np.isfinite(t_x) & np.isfinite(age)),
            "has a missing or infinite value",
        ),
        (x < 0, "has a negative frequency"),
        (x != np.floor(x), "has a frequency that is not a whole number of repeat purchases"),
        (t_x < 0, "has a negative recency (the last purchase before the first?)"),
        (t_x > age * (1 + 1e-9) + 1e-12, "has recency > T (the last purchase after the end?)"),
        ((x == 0) & (t_x != 0), "has no repeat purchase but a non-zero recency"),
    ]
    for mask, problem in checks:
        if mask.any():
            raise DataError(
                f"{first_bad(index, mask)} {problem}",
                hint="rfm_summary(...) computes frequency, recency and T from a transaction log",
            )
    if not np.any(age > 0):
        raise DataError(
            "every customer made the first purchase at the end of the data (T = 0): there is no "
            "time to observe",
            hint="choose an observation end after the first purchases",
        )


def rate_spread_warnings(params: dict[str, float]) -> list[str]:
    """A gamma shape r above 100 means purchase rates vary by under 10% between customers."""
    if params["r"] <= 100:
        return []
    return [
        f"purchase rates barely differ between customers (r = {params['r']:.3g}, alpha = "
        f"{params['alpha']:.3g}): the data show no heterogeneity, so r and alpha are not "
        "determined separately; only their ratio (the mean rate) is"
    ]


def dropout_warnings(a: float, b: float) -> list[str]:
    if a / (a + b) >= 1e-4 or b < 1e3:
        return []
    return [
        f"dropout is almost nil (mean dropout probability a / (a + b) = {a / (a + b):.2g}): "
        "nearly every customer looks alive, so p_alive carries little information"
    ]
