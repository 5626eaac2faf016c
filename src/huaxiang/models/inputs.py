"""The inputs of a fitter or a prediction: columns from a frame or from arrays, checked for
length and type; where a bad row is, for messages; arrays broadcast and flattened, and the shape
to give the result back in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from huaxiang.errors import DataError, UsageError

Array = npt.NDArray[np.float64]


def column(name: str, values: Any, n: int | None = None) -> Array:
    try:
        array = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numbers: {exc}") from None
    if n is not None and len(array) != n:
        raise DataError(f"{name} has {len(array)} values, the other columns {n}")
    return array


def columns_of(
    model: str,
    names: Sequence[str],
    first: Any,
    rest: Sequence[Any],
) -> tuple[dict[str, Array], pd.Index | None]:
    """The model's input columns from either a frame (``first``) or separate arrays."""
    if isinstance(first, pd.DataFrame):
        frame = first
        aliases = {
            "x": "frequency",
            "t_x": "recency",
            "m": "monetary_value",
            "zbar": "monetary_value",
        }
        found = {aliases.get(str(c), str(c)): c for c in frame.columns}
        missing = [n for n in names if n not in found]
        if missing:
            raise UsageError(
                f"{model}.fit needs column(s) {', '.join(missing)}; the frame has "
                f"{', '.join(map(str, frame.columns))}",
                hint="rfm_summary(...) makes a frame with frequency, recency, T, monetary_value",
            )
        return {n: column(n, frame[found[n]]) for n in names}, frame.index
    values = [first, *rest]
    if len(values) < len(names) or any(v is None for v in values[: len(names)]):
        raise UsageError(f"{model}.fit needs {', '.join(names)} (or one frame with those columns)")
    n = len(np.asarray(first).reshape(-1))
    index = first.index if isinstance(first, pd.Series) else None
    return {name: column(name, v, n) for name, v in zip(names, values, strict=False)}, index


def first_bad(index: pd.Index | None, mask: npt.NDArray[np.bool_]) -> str:
    """Where the first row of ``mask`` is, for a message: 'customer 1234' or 'row 17'."""
    at = int(np.flatnonzero(mask)[0])
    count = int(mask.sum())
    where = f"customer {index[at]!r}" if index is not None else f"row {at + 1}"
    return f"{where}{f' and {count - 1} more' if count > 1 else ''}"


def flat_arrays(*values: Any) -> tuple[Array, ...]:
    """The values broadcast together and flattened (predictions reshape back with shape_of)."""
    arrays = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in values])
    return tuple(a.reshape(-1) for a in arrays)


def shape_of(*values: Any) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*(np.shape(v) for v in values)))
