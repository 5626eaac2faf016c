"""What a chart shows: :class:`Chart`, plain data checked once by its constructor.

A chart holds JSON-safe rows (see :mod:`huaxiang.charts.data`) and the names of the fields it
draws; renderers never meet an unknown field, a text where a number belongs or an empty chart.
The constructors, one per kind, live in :mod:`~huaxiang.charts.categories` (bar, stacked_bar,
pie, donut, heatmap), :mod:`~huaxiang.charts.series` (line, scatter, histogram) and
:mod:`~huaxiang.charts.diagrams` (sankey, better_worse, wordcloud).

Field roles per kind:

- bar, stacked_bar: ``x`` category, ``y`` value, ``color`` series (grouped or stacked)
- line, scatter: ``x``, ``y``, ``color`` series; scatter also ``size`` and ``label``
- histogram: ``x`` bin start, ``x2`` bin end, ``y`` count (or share)
- pie, donut: ``color`` category, ``value``
- heatmap: ``x``, ``y``, ``value`` (the cell's colour)
- sankey: ``x`` source, ``y`` target, ``value`` flow, ``step`` (optional) the source's column
- better_worse: ``x`` Worse, ``y`` Better, ``label`` feature, ``color`` category or quadrant
- wordcloud: ``label`` word, ``value`` weight
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from huaxiang.charts.data import FieldType, Row
from huaxiang.errors import UsageError

ChartKind = Literal[
    "bar",
    "stacked_bar",
    "pie",
    "donut",
    "line",
    "scatter",
    "histogram",
    "heatmap",
    "sankey",
    "better_worse",
    "wordcloud",
]
Lang = Literal["zh", "en"]
# "input" keeps the rows' order; "ascending" / "descending" order the categories by value;
# a tuple lists the categories in the order wanted.
Sort = Literal["input", "ascending", "descending"] | tuple[str, ...]

# drawn through Vega-Lite; the others (sankey, wordcloud) are drawn by this package
VEGA_KINDS = frozenset(
    (
        "bar",
        "stacked_bar",
        "pie",
        "donut",
        "line",
        "scatter",
        "histogram",
        "heatmap",
        "better_worse",
    )
)
DEFAULT_WIDTH = 480
DEFAULT_HEIGHT = 300


@dataclass(frozen=True)
class Chart:
    """One chart: its kind, rows, the fields drawn (roles in the module docstring) and options.

    ``percent``: the values are fractions, shown as percentages. ``show_values``: the values are
    printed on the marks (bar ends, heatmap cells, pie slices, Sankey nodes). ``normalize``:
    bars stack to 100%. ``horizontal``: bars run left to right. ``lines``: the Better-Worse
    quadrant lines (|Worse|, Better). ``seed`` and ``max_words``: the word cloud's layout.
    Width and height are pixels of the plotting area (Vega-Lite) or of the whole picture.
    """

    kind: ChartKind
    rows: tuple[Row, ...] = field(hash=False)
    title: str = ""
    x: str | None = None
    x2: str | None = None
    y: str | None = None
    color: str | None = None
    size: str | None = None
    label: str | None = None
    value: str | None = None
    step: str | None = None
    x_type: FieldType = "nominal"
    y_type: FieldType = "quantitative"
    x_title: str | None = None
    y_title: str | None = None
    color_title: str | None = None
    percent: bool = False
    show_values: bool = False
    normalize: bool = False
    horizontal: bool = False
    sort: Sort = "input"
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    lang: Lang = "zh"
    lines: tuple[float, float] = (0.5, 0.5)
    seed: int = 0
    max_words: int = 100

    @property
    def name(self) -> str:
        """How messages refer to the chart: its title, else its kind."""
        return where(self.title, self.kind)

    def field_values(self, name: str | None) -> list[Any]:
        """The values of one field, in row order (``[]`` for no field)."""
        return [] if name is None else [row.get(name) for row in self.rows]


def where(title: str, kind: str) -> str:
    """How error messages name a chart being built."""
    return f'chart "{title}"' if title else f"{kind} chart"


def make_chart(kind: ChartKind, rows: tuple[Row, ...], **options: Any) -> Chart:
    """A :class:`Chart` whose common options (size, language, sort) are checked."""
    chart = Chart(kind, rows, **options)
    if not all(isinstance(v, int) and v > 0 for v in (chart.width, chart.height)):
        raise UsageError(f"{chart.name}: width and height must be positive pixel counts")
    if chart.lang not in ("zh", "en"):
        raise UsageError(f'{chart.name}: lang must be "zh" or "en", not {chart.lang!r}')
    return chart


def check_sort(sort: Sort | Sequence[str], chart_name: str) -> Sort:
    """A sort option as :class:`Chart` keeps it (a list of categories becomes a tuple)."""
    if isinstance(sort, str):
        if sort not in ("input", "ascending", "descending"):
            raise UsageError(
                f'{chart_name}: sort must be "input", "ascending", "descending" or a list of '
                f"categories, not {sort!r}"
            )
        return cast("Sort", sort)
    return tuple(str(s) for s in sort)
