"""Charts of categories: bar, stacked_bar, pie, donut and heatmap (constructors)."""

from __future__ import annotations

from collections.abc import Sequence

from huaxiang.charts.data import Row, RowsLike, check_fields, check_numbers, number, rows_of
from huaxiang.charts.spec import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    Chart,
    ChartKind,
    Lang,
    Sort,
    check_sort,
    make_chart,
    where,
)
from huaxiang.errors import DataError

ROW_HEIGHT = 28  # pixels per category of a horizontal bar chart: one line of text and a gap


def bar(
    rows: RowsLike,
    *,
    x: str,
    y: str,
    color: str | None = None,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    color_title: str | None = None,
    percent: bool = False,
    show_values: bool = False,
    horizontal: bool = False,
    sort: Sort | Sequence[str] = "input",
    width: int = DEFAULT_WIDTH,
    height: int | None = None,
    lang: Lang = "zh",
) -> Chart:
    """Bars of ``y`` per category ``x``; with ``color``, grouped bars, one per series.

    ``horizontal`` bars suit long category names; their height follows the number of
    categories unless given.
    """
    name = where(title, "bar")
    data = rows_of(rows, name)
    check_fields(data, name, x=x, y=y, color=color)
    check_numbers(data, name, y, "y")
    return make_chart(
        "bar",
        data,
        title=title,
        x=x,
        y=y,
        color=color,
        x_title=x_title,
        y_title=y_title,
        color_title=color_title,
        percent=percent,
        show_values=show_values,
        horizontal=horizontal,
        sort=check_sort(sort, name),
        width=width,
        height=_bar_height(data, x, horizontal, height),
        lang=lang,
    )


def stacked_bar(
    rows: RowsLike,
    *,
    x: str,
    y: str,
    color: str,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    color_title: str | None = None,
    percent: bool = False,
    normalize: bool = False,
    horizontal: bool = False,
    sort: Sort | Sequence[str] = "input",
    width: int = DEFAULT_WIDTH,
    height: int | None = None,
    lang: Lang = "zh",
) -> Chart:
    """Bars of ``y`` per category ``x``, stacked by series ``color``; ``normalize``: to 100%."""
    name = where(title, "stacked_bar")
    data = rows_of(rows, name)
    check_fields(data, name, x=x, y=y, color=color)
    check_numbers(data, name, y, "y", minimum=0.0 if normalize else None)
    return make_chart(
        "stacked_bar",
        data,
        title=title,
        x=x,
        y=y,
        color=color,
        x_title=x_title,
        y_title=y_title,
        color_title=color_title,
        percent=percent,
        normalize=normalize,
        horizontal=horizontal,
        sort=check_sort(sort, name),
        width=width,
        height=_bar_height(data, x, horizontal, height),
        lang=lang,
    )


def pie(
    rows: RowsLike,
    *,
    category: str,
    value: str,
    title: str = "",
    color_title: str | None = None,
    percent: bool = False,
    show_values: bool = True,
    size: int = 320,
    lang: Lang = "zh",
) -> Chart:
    """Slices of ``value`` (>= 0) per ``category`` in the rows' order; shares printed on them."""
    return _pie("pie", rows, category, value, title, color_title, percent, show_values, size, lang)


def donut(
    rows: RowsLike,
    *,
    category: str,
    value: str,
    title: str = "",
    color_title: str | None = None,
    percent: bool = False,
    show_values: bool = True,
    size: int = 320,
    lang: Lang = "zh",
) -> Chart:
    """A pie with a hole: slices of ``value`` (>= 0) per ``category``."""
    return _pie(
        "donut", rows, category, value, title, color_title, percent, show_values, size, lang
    )


def heatmap(
    rows: RowsLike,
    *,
    x: str,
    y: str,
    value: str,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    color_title: str | None = None,
    percent: bool = False,
    show_values: bool = True,
    width: int = DEFAULT_WIDTH,
    height: int | None = None,
    lang: Lang = "zh",
) -> Chart:
    """Cells of ``value`` at categories (``x``, ``y``), e.g. the overlap of segments.

    Both axes keep the rows' order of first appearance; the height follows the number of
    ``y`` categories unless given.
    """
    name = where(title, "heatmap")
    data = rows_of(rows, name)
    check_fields(data, name, x=x, y=y, value=value)
    check_numbers(data, name, value, "value")
    return make_chart(
        "heatmap",
        data,
        title=title,
        x=x,
        y=y,
        value=value,
        y_type="nominal",
        x_title=x_title,
        y_title=y_title,
        color_title=color_title,
        percent=percent,
        show_values=show_values,
        width=width,
        height=height or max(120, 32 * len({r.get(y) for r in data})),
        lang=lang,
    )


def _bar_height(rows: tuple[Row, ...], x: str, horizontal: bool, height: int | None) -> int:
    if height is not None:
        return height
    if not horizontal:
        return DEFAULT_HEIGHT
    return max(120, ROW_HEIGHT * len({r.get(x) for r in rows}))


def _pie(
    kind: ChartKind,
    rows: RowsLike,
    category: str,
    value: str,
    title: str,
    color_title: str | None,
    percent: bool,
    show_values: bool,
    size: int,
    lang: Lang,
) -> Chart:
    name = where(title, kind)
    data = rows_of(rows, name)
    check_fields(data, name, category=category, value=value)
    check_numbers(data, name, value, "value", minimum=0.0)
    if not any(number(r[value]) > 0 for r in data):
        raise DataError(f"{name}: every value is 0, there is nothing to divide")
    return make_chart(
        kind,
        data,
        title=title,
        color=category,
        value=value,
        color_title=color_title,
        percent=percent,
        show_values=show_values,
        width=size,
        height=size,
        lang=lang,
    )
