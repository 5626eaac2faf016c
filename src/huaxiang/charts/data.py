"""Chart rows: conversion to JSON-safe values and the checks every constructor runs.

Rows arrive as dicts, pandas frames or numpy-typed records; charts keep plain Python scalars
(numpy numbers unwrapped, ``Decimal`` as float, dates as ISO text, NaN and NA as ``None``) so a
Vega-Lite spec is ``json.dumps``-able and a chart compares equal to itself. ``where`` in every
function is how messages name the chart (``chart "分群规模"``).
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from huaxiang.errors import DataError, UsageError

Value = str | int | float | bool | None
Row = dict[str, Value]
FieldType = Literal["quantitative", "temporal", "ordinal", "nominal"]
RowsLike = Iterable[Mapping[str, Any]] | Any  # also anything with ``to_dict("records")`` (pandas)

# 2026-11-02, 2026-11-02T08:30, 2026-11-02 08:30:00.5+08:00
ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?$"
)


def plain(value: Any) -> Value:
    """A JSON-safe scalar: numpy numbers unwrapped, NaN → None, dates as ISO text."""
    if value is None or isinstance(value, str | bool | int):
        return value
    try:
        if value != value:  # NaN, pandas NaT (a datetime without a value) and NA
            return None
    except TypeError:  # pandas NA has no truth value
        return None
    except ValueError:  # nor has an array: shown as text
        return str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return plain(float(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return plain(value.item())
    return str(value)


def rows_of(rows: RowsLike, where: str) -> tuple[Row, ...]:
    """The rows as plain dicts; a :class:`DataError` when there are none."""
    if hasattr(rows, "to_dict") and callable(rows.to_dict):  # a pandas DataFrame
        rows = rows.to_dict(orient="records")
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Iterable):
        raise UsageError(
            f"{where}: rows must be a list of dicts (or a DataFrame), not {type(rows).__name__}"
        )
    data: list[Row] = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise UsageError(f"{where}: row {i} is a {type(row).__name__}, not a dict")
        data.append({str(k): plain(v) for k, v in row.items()})
    if not data:
        raise DataError(
            f"{where} has no rows to draw",
            hint="leave the chart out, or show a note instead, when there is no data",
        )
    return tuple(data)


def check_fields(rows: tuple[Row, ...], where: str, **roles: str | None) -> None:
    """Every named field (keyword = its role, for the message) exists in the rows."""
    known: dict[str, None] = {}
    for row in rows:
        known.update(dict.fromkeys(row))
    for role, name in roles.items():
        if name is None or name in known:
            continue
        close = difflib.get_close_matches(name, list(known), n=1)
        raise UsageError(
            f"{where}: no field {name!r} (given as {role}); "
            f"the rows have {', '.join(map(repr, known))}",
            hint=f"did you mean {close[0]!r}?" if close else None,
        )


def check_numbers(
    rows: tuple[Row, ...],
    where: str,
    name: str,
    role: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    allow_none: bool = True,
) -> None:
    """Field ``name`` holds numbers (``None`` for missing, when allowed) within the bounds."""
    what = f'{where}: {role} field "{name}"'
    for i, row in enumerate(rows, start=1):
        value = row.get(name)
        if value is None:
            if not allow_none:
                raise DataError(f"{what} is empty in row {i}")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DataError(f"{what} must hold numbers; row {i} has {value!r}")
        if minimum is not None and value < minimum:
            raise DataError(f"{what} must not be below {minimum:g}; row {i} has {value:g}")
        if maximum is not None and value > maximum:
            raise DataError(f"{what} must not be above {maximum:g}; row {i} has {value:g}")


def number(value: Value) -> float:
    """A checked numeric value as float (``None`` as 0)."""
    return float(value) if isinstance(value, int | float) else 0.0


def infer_type(rows: tuple[Row, ...], name: str) -> FieldType:
    """Numbers are quantitative, ISO dates temporal, anything else nominal."""
    values = [r.get(name) for r in rows if r.get(name) is not None]
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "quantitative"
    if values and all(isinstance(v, str) and ISO_DATE.match(v) for v in values):
        return "temporal"
    return "nominal"


def bin_values(
    values: Iterable[Any], bins: int | Sequence[float], where: str, share: bool
) -> tuple[Row, ...]:
    """Counts (or shares) of numbers per bin: rows ``start``, ``end``, ``count``."""
    import numpy as np

    numbers: list[float] = []
    for i, raw in enumerate(values, start=1):
        value = plain(raw)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DataError(f"{where}: value {i} is {value!r}, not a number")
        numbers.append(float(value))
    if not numbers:
        raise DataError(f"{where} has no values to draw")
    if isinstance(bins, int):
        if bins < 1:
            raise UsageError(f"{where}: bins must be at least 1")
        counts, edges = np.histogram(np.asarray(numbers), bins=bins)
    else:
        given = [float(e) for e in bins]
        if len(given) < 2 or any(b <= a for a, b in itertools.pairwise(given)):
            raise UsageError(f"{where}: bin edges must increase, e.g. [0, 100, 500, 1000]")
        counts, edges = np.histogram(np.asarray(numbers), bins=np.asarray(given))
    total = float(counts.sum()) or 1.0
    return tuple(
        {
            "start": float(edges[i]),
            "end": float(edges[i + 1]),
            "count": float(counts[i]) / total if share else int(counts[i]),
        }
        for i in range(len(counts))
    )
