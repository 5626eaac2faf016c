"""Time units of customer models, and horizons written as "90d", "13w" or "12m".

A model is fitted on recency and T in one unit; every horizon it predicts over must be in that
unit too. lifetimes leaves the unit implicit (its CLV assumes daily data), so weekly data
silently gave CLVs seven times too long. Here a fitter may be told its ``unit``; a horizon
given as text is then converted, and a horizon in another unit without a known model unit is
an error rather than a guess. A month is 30.4375 days (365.25 / 12), a year 365.25.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from huaxiang.errors import UsageError

Unit = Literal["day", "week", "month", "year"]
DAYS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 30.4375, "year": 365.25}
_SUFFIX = {"d": "day", "w": "week", "m": "month", "y": "year"}
_HORIZON = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dwmy])\s*$", re.IGNORECASE)


def check_unit(unit: str | None) -> Unit | None:
    if unit is None:
        return None
    name = _SUFFIX.get(unit, unit)
    name = name.removesuffix("s")
    if name not in DAYS:
        raise UsageError(
            f"unknown time unit {unit!r}", hint="use one of: day, week, month (30.4375 days), year"
        )
    result: Unit = name  # type: ignore[assignment]
    return result


def parse_horizon(text: str) -> tuple[float, Unit]:
    """'90d' -> (90, 'day'); '12m' -> (12, 'month')."""
    m = _HORIZON.match(text)
    if not m:
        raise UsageError(
            f"cannot read {text!r} as a horizon",
            hint="a number and a unit letter: 90d (days), 13w (weeks), 12m (months), 1y",
        )
    unit: Unit = _SUFFIX[m.group(2).lower()]  # type: ignore[assignment]
    return float(m.group(1)), unit


def in_units(horizons: Any, unit: Unit | None) -> npt.NDArray[np.float64]:
    """Like :func:`in_unit` for a horizon that may also be an array (one per customer)."""
    if isinstance(horizons, str) or np.ndim(horizons) == 0:
        return np.asarray(in_unit(horizons, unit))
    values = np.asarray(horizons, dtype=float)
    if not np.all(np.isfinite(values) & (values >= 0)):
        raise UsageError("every horizon must be a non-negative number")
    return values


def in_unit(horizon: Any, unit: Unit | None, *, what: str = "the horizon") -> float:
    """``horizon`` in ``unit``: a number is taken to be in ``unit`` already; a text such as
    '12m' is converted (and needs the model's unit)."""
    if isinstance(horizon, str):
        count, given = parse_horizon(horizon)
        if unit is None:
            raise UsageError(
                f"{what} {horizon!r} has a unit but the model does not know the unit of its data",
                hint="fit with unit='day' / 'week' / 'month' (the unit recency and T are in), "
                "or give the horizon as a plain number in that unit",
            )
        value = count * DAYS[given] / DAYS[unit]
    else:
        value = float(horizon)
    if not (math.isfinite(value) and value >= 0):
        raise UsageError(f"{what} must be a non-negative number, not {horizon!r}")
    return value


def label(value: float, unit: Unit | None) -> str:
    """'39 weeks', '1 day', '12.5 (model units)'."""
    number = f"{value:g}"
    if unit is None:
        return f"{number} (model time units)"
    return f"{number} {unit}{'' if value == 1 else 's'}"
