"""Diagrams drawn without Vega-Lite's help or with a fixed layout: sankey, better_worse (the
KANO Better-Worse diagram) and wordcloud (constructors), and the Kano quadrants.

Better (satisfaction coefficient, 0..1) and Worse (dissatisfaction coefficient, -1..0) come from
the Kano answers (Berger et al., 1993). The diagram plots |Worse| across and Better up; its
quadrant lines split the features into four groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from huaxiang.charts.data import Row, RowsLike, check_fields, check_numbers, number, plain, rows_of
from huaxiang.charts.spec import Chart, Lang, make_chart, where
from huaxiang.errors import DataError, UsageError

Quadrant = Literal["attractive", "one_dimensional", "must_be", "indifferent"]
QUADRANT_FIELD = "quadrant"  # the field better_worse() adds to every row
# quadrant -> (|Worse| is high, Better is high), and its names (zh, en)
CORNERS: dict[Quadrant, tuple[bool, bool]] = {
    "attractive": (False, True),
    "one_dimensional": (True, True),
    "must_be": (True, False),
    "indifferent": (False, False),
}
QUADRANT_NAMES: dict[Quadrant, tuple[str, str]] = {
    "attractive": ("魅力", "Attractive"),
    "one_dimensional": ("期望", "One-dimensional"),
    "must_be": ("必备", "Must-be"),
    "indifferent": ("无差异", "Indifferent"),
}
# the legend: by category (True) or by quadrant (False)
LEGEND_TITLES = {True: {"zh": "类别", "en": "Category"}, False: {"zh": "象限", "en": "Quadrant"}}
KANO_AXIS_TITLES = {
    "zh": ("|Worse| 不满意影响力", "Better 满意影响力"),
    "en": ("|Worse| (dissatisfaction)", "Better (satisfaction)"),
}


def sankey(
    rows: RowsLike,
    *,
    source: str,
    target: str,
    value: str,
    step: str | None = None,
    title: str = "",
    percent: bool = False,
    show_values: bool = True,
    width: int = 640,
    height: int = 360,
    lang: Lang = "zh",
) -> Chart:
    """Flows of ``value`` from ``source`` to ``target``, e.g. segment migration between builds.

    Sources stand in one column and targets in the next, so a name may be on both sides
    (高价值 → 高价值). For several steps, ``step`` names the field holding each flow's source
    column (0, 1, ...); without it every flow goes from column 0 to column 1. Flows of 0 are
    left out.
    """
    name = where(title, "sankey")
    data = rows_of(rows, name)
    check_fields(data, name, source=source, target=target, value=value, step=step)
    check_numbers(data, name, value, "value", minimum=0.0, allow_none=False)
    if step is not None:
        check_numbers(data, name, step, "step", minimum=0.0, allow_none=False)
        if any(not isinstance(r[step], int) for r in data):
            raise DataError(f'{name}: step field "{step}" must hold whole numbers (0, 1, ...)')
    flows = tuple(r for r in data if number(r[value]) > 0)
    if not flows:
        raise DataError(f"{name}: every flow is 0, there is nothing to draw")
    return make_chart(
        "sankey",
        flows,
        title=title,
        x=source,
        y=target,
        value=value,
        step=step,
        percent=percent,
        show_values=show_values,
        width=width,
        height=height,
        lang=lang,
    )


def kano_quadrant(
    better: float, worse: float, *, lines: tuple[float, float] = (0.5, 0.5)
) -> Quadrant:
    """The quadrant of a feature; ``lines`` are (|Worse|, Better), a value on a line counts high.

    ``worse`` may be given negative (as computed) or as its absolute value.
    """
    high = (abs(worse) >= abs(lines[0]), better >= lines[1])
    return next(q for q, corner in CORNERS.items() if corner == high)


def quadrant_name(quadrant: Quadrant, lang: str) -> str:
    """The quadrant's name as people read it: 必备 / Must-be, ..."""
    zh, en = QUADRANT_NAMES[quadrant]
    return en if lang == "en" else zh


def better_worse(
    rows: RowsLike,
    *,
    feature: str = "feature",
    better: str = "better",
    worse: str = "worse",
    category: str | None = None,
    title: str = "",
    color_title: str | None = None,
    lines: tuple[float, float] = (0.5, 0.5),
    size: int = 480,
    lang: Lang = "zh",
) -> Chart:
    """The KANO Better-Worse diagram: |Worse| across, Better up, a labelled point per feature.

    ``better`` is in 0..1 and ``worse`` in -1..0; ``lines`` are the quadrant lines on the
    |Worse| and Better axes. Every row gets a ``quadrant`` field named in ``lang``: 魅力 /
    Attractive (upper left), 期望 / One-dimensional (upper right), 必备 / Must-be (lower right),
    无差异 / Indifferent (lower left). Points are coloured by ``category`` (e.g. the Kano
    category most answers gave) when given, else by quadrant; ``color_title`` names the legend
    (类别 / Category, or 象限 / Quadrant, unless given).
    """
    name = where(title, "better_worse")
    data = rows_of(rows, name)
    check_fields(data, name, feature=feature, better=better, worse=worse, category=category)
    check_numbers(data, name, better, "better", minimum=0.0, maximum=1.0, allow_none=False)
    check_numbers(data, name, worse, "worse", minimum=-1.0, maximum=0.0, allow_none=False)
    guides = (abs(lines[0]), lines[1])
    if not all(0 < v < 1 for v in guides):
        raise UsageError(f"{name}: the quadrant lines must lie inside 0..1, not {lines}")
    marked = tuple(
        {
            **row,
            QUADRANT_FIELD: quadrant_name(
                kano_quadrant(number(row[better]), number(row[worse]), lines=guides), lang
            ),
        }
        for row in data
    )
    return make_chart(
        "better_worse",
        marked,
        title=title,
        x=worse,
        y=better,
        label=feature,
        color=category or QUADRANT_FIELD,
        color_title=color_title
        if color_title is not None
        else LEGEND_TITLES[bool(category)].get(lang, ""),
        x_type="quantitative",
        lines=guides,
        width=size,
        height=size,
        lang=lang,
    )


def wordcloud(
    weights: Mapping[str, Any] | Iterable[tuple[str, Any]],
    *,
    title: str = "",
    width: int = 480,
    height: int = 300,
    max_words: int = 100,
    seed: int = 0,
    lang: Lang = "zh",
) -> Chart:
    """Words sized by weight (e.g. keyword counts); the same ``seed`` gives the same picture.

    ``weights`` maps words to numbers >= 0 (or is a list of pairs); words of weight 0 are left
    out, and only the ``max_words`` heaviest are drawn.
    """
    name = where(title, "wordcloud")
    pairs = weights.items() if isinstance(weights, Mapping) else weights
    data: tuple[Row, ...] = tuple({"word": str(w).strip(), "weight": plain(v)} for w, v in pairs)
    if not data:
        raise DataError(f"{name} has no words to draw")
    check_numbers(data, name, "weight", "weight", minimum=0.0, allow_none=False)
    words = tuple(r for r in data if r["word"] and number(r["weight"]) > 0)
    if not words:
        raise DataError(f"{name}: every weight is 0, there is nothing to draw")
    if max_words < 1:
        raise UsageError(f"{name}: max_words must be at least 1")
    return make_chart(
        "wordcloud",
        words,
        title=title,
        label="word",
        value="weight",
        width=width,
        height=height,
        max_words=max_words,
        seed=seed,
        lang=lang,
    )
