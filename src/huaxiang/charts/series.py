"""Charts of numbers along an axis: line, scatter and histogram (constructors)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from huaxiang.charts.data import (
    FieldType,
    RowsLike,
    bin_values,
    check_fields,
    check_numbers,
    infer_type,
    rows_of,
)
from huaxiang.charts.spec import DEFAULT_HEIGHT, DEFAULT_WIDTH, Chart, Lang, make_chart, where
from huaxiang.errors import UsageError


def line(
    rows: RowsLike,
    *,
    x: str,
    y: str,
    color: str | None = None,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    color_title: str | None = None,
    x_type: FieldType | None = None,
    percent: bool = False,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    lang: Lang = "zh",
) -> Chart:
    """``y`` along ``x``, one line per ``color``.

    ``x`` holding dates (or ISO date texts) is a time axis, numbers a number axis, anything else
    ordered categories in the rows' order; ``x_type`` overrides the guess.
    """
    name = where(title, "line")
    data = rows_of(rows, name)
    check_fields(data, name, x=x, y=y, color=color)
    check_numbers(data, name, y, "y")
    kind = x_type or infer_type(data, x)
    return make_chart(
        "line",
        data,
        title=title,
        x=x,
        y=y,
        color=color,
        x_title=x_title,
        y_title=y_title,
        color_title=color_title,
        x_type="ordinal" if kind == "nominal" else kind,
        percent=percent,
        width=width,
        height=height,
        lang=lang,
    )


def scatter(
    rows: RowsLike,
    *,
    x: str,
    y: str,
    color: str | None = None,
    size: str | None = None,
    label: str | None = None,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    color_title: str | None = None,
    percent: bool = False,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    lang: Lang = "zh",
) -> Chart:
    """Points at (``x``, ``y``), coloured by ``color``, sized by ``size``, named by ``label``.

    ``percent`` formats ``y`` as a percentage.
    """
    name = where(title, "scatter")
    data = rows_of(rows, name)
    check_fields(data, name, x=x, y=y, color=color, size=size, label=label)
    check_numbers(data, name, x, "x")
    check_numbers(data, name, y, "y")
    if size is not None:
        check_numbers(data, name, size, "size", minimum=0.0)
    return make_chart(
        "scatter",
        data,
        title=title,
        x=x,
        y=y,
        color=color,
        size=size,
        label=label,
        x_type="quantitative",
        x_title=x_title,
        y_title=y_title,
        color_title=color_title,
        percent=percent,
        width=width,
        height=height,
        lang=lang,
    )


def histogram(
    values: Iterable[Any] | None = None,
    *,
    bins: int | Sequence[float] = 10,
    binned: RowsLike | None = None,
    start: str = "start",
    end: str = "end",
    count: str = "count",
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    percent: bool = False,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    lang: Lang = "zh",
) -> Chart:
    """The distribution of numbers, from ``values`` or from ``binned`` rows.

    ``values`` are binned here (``bins``: how many equal bins, or their edges; values outside
    given edges are not counted; ``None`` and NaN are skipped), and with ``percent`` each bin
    shows its share of the values. ``binned`` rows were counted by the caller (e.g. in SQL) and
    name their fields with ``start``, ``end`` and ``count``.
    """
    name = where(title, "histogram")
    if (values is None) == (binned is None):
        raise UsageError(f"{name}: give either values or binned rows, not both or neither")
    if binned is not None:
        data = rows_of(binned, name)
        check_fields(data, name, start=start, end=end, count=count)
        check_numbers(data, name, start, "start", allow_none=False)
        check_numbers(data, name, end, "end", allow_none=False)
        check_numbers(data, name, count, "count", minimum=0.0)
    else:
        assert values is not None  # the check above
        data = bin_values(values, bins, name, percent)
        start, end, count = "start", "end", "count"
    return make_chart(
        "histogram",
        data,
        title=title,
        x=start,
        x2=end,
        y=count,
        x_type="quantitative",
        x_title=x_title,
        y_title=y_title,
        percent=percent,
        width=width,
        height=height,
        lang=lang,
    )
