"""A :class:`~huaxiang.charts.spec.Chart` as a Vega-Lite v5 specification.

One builder per kind drawn through Vega-Lite (every kind but sankey and wordcloud). Specs carry
their data inline (``data.values``), tooltips on every mark, the shared look of
:func:`~huaxiang.charts.theme.vega_config` and nothing that loads from elsewhere. The same spec
is drawn to SVG / PNG by vl-convert and in the browser by vega-embed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date
from typing import Any

from huaxiang.charts import theme
from huaxiang.charts.diagrams import CORNERS, KANO_AXIS_TITLES, QUADRANT_FIELD, QUADRANT_NAMES
from huaxiang.charts.spec import VEGA_KINDS, Chart
from huaxiang.errors import UsageError

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # names the format, never fetched
VL_VERSION = "5.20"  # the Vega-Lite of both vl-convert and the page runtime
Spec = dict[str, Any]

# words the charts add themselves: (zh, en)
WORDS = {
    "count": ("数量", "Count"),
    "share": ("占比", "Share"),
    "from": ("起", "From"),
    "to": ("止", "To"),
}
# the quadrants keep their colours whatever features a survey has
QUADRANT_COLORS = {
    "attractive": theme.PALETTE[2],
    "one_dimensional": theme.PALETTE[0],
    "must_be": theme.PALETTE[1],
    "indifferent": theme.PALETTE[9],
}


def vega_lite(chart: Chart) -> Spec:
    """The chart's Vega-Lite spec (a JSON-safe dict); sankey and wordcloud have none."""
    if chart.kind not in VEGA_KINDS:
        raise UsageError(
            f"{chart.name}: a {chart.kind} chart is drawn without Vega-Lite",
            hint="render it with to_svg, to_png or to_html",
        )
    spec: Spec = {"$schema": SCHEMA}
    if chart.title:
        spec["title"] = chart.title
    spec["width"] = chart.width
    spec["height"] = chart.height
    spec["data"] = {"values": [dict(row) for row in chart.rows]}
    if chart.x and chart.x_type == "temporal" and _days(chart) is not None:
        # JavaScript reads "2026-01-01" as UTC midnight, which is the previous day west of
        # Greenwich and shifts month ticks east of it: dates are read as local days instead.
        spec["data"]["format"] = {"parse": {chart.x: "date:'%Y-%m-%d'"}}
    spec.update(BUILDERS[chart.kind](chart))
    spec["config"] = theme.vega_config()
    return spec


def word(key: str, lang: str) -> str:
    """A word the chart adds itself, in ``lang``."""
    zh, en = WORDS[key]
    return en if lang == "en" else zh


def field(name: str) -> str:
    """A field name as Vega-Lite reads it: dots and brackets would mean nested access."""
    return name.replace("\\", "\\\\").replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")


def datum(name: str) -> str:
    """An expression reading field ``name`` of the current datum."""
    return f"datum[{json.dumps(name, ensure_ascii=False)}]"


def heading(given: str | None, name: str) -> str | None:
    """An axis or legend title: the one given, the field's name if none was, no title for ""."""
    return name if given is None else (given or None)


def tip(name: str, title: str | None, kind: str = "nominal", fmt: str | None = None) -> Spec:
    """One line of a tooltip: the field's value under ``title``, formatted with ``fmt``."""
    entry: Spec = {"field": field(name), "type": kind, "title": title or name}
    if fmt:
        entry["format"] = fmt
    return entry


def _category_axis(chart: Chart, name: str, title: str | None, horizontal: bool) -> Spec:
    channel: Spec = {"field": field(name), "type": "nominal", "title": heading(title, name)}
    if chart.sort == "input":
        channel["sort"] = None  # the rows' order, not alphabetical
    elif isinstance(chart.sort, tuple):
        channel["sort"] = list(chart.sort)
    else:
        channel["sort"] = {"op": "sum", "field": field(chart.y or ""), "order": chart.sort}
    if not horizontal:
        names = {str(v) for v in chart.field_values(name)}
        widest = max((theme.text_width(n) for n in names), default=0.0)
        band = chart.width / max(len(names), 1)
        if band < theme.LABEL_SIZE + 2:  # not even upright labels fit: show every other one
            channel["axis"] = {"labelAngle": -90, "labelOverlap": "parity"}
        elif widest + 6 > band:  # labels would collide: slant them
            channel["axis"] = {"labelAngle": -40}
        else:
            channel["axis"] = {"labelAngle": 0}
    return channel


def _value_axis(name: str, title: str | None, percent: bool, stack: str | None = None) -> Spec:
    channel: Spec = {"field": field(name), "type": "quantitative", "title": heading(title, name)}
    if percent:
        channel["axis"] = {"format": ".0%"}
    if stack:
        channel["stack"] = stack
    return channel


def _series(name: str, title: str | None) -> Spec:
    return {"field": field(name), "type": "nominal", "title": heading(title, name), "sort": None}


def _bar(chart: Chart) -> Spec:
    assert chart.x is not None and chart.y is not None
    cat, val = ("y", "x") if chart.horizontal else ("x", "y")
    stack = "normalize" if chart.normalize else ("zero" if chart.kind == "stacked_bar" else None)
    fmt = theme.d3_format(chart.percent)
    encoding: Spec = {
        cat: _category_axis(chart, chart.x, chart.x_title, chart.horizontal),
        val: _value_axis(chart.y, chart.y_title, chart.percent or chart.normalize, stack),
        "tooltip": [tip(chart.x, chart.x_title)],
    }
    if chart.color:
        encoding["color"] = _series(chart.color, chart.color_title)
        encoding["tooltip"].append(tip(chart.color, chart.color_title))
        if chart.kind == "bar":  # side by side; stacked bars share the band
            encoding[f"{cat}Offset"] = {"field": field(chart.color), "sort": None}
    encoding["tooltip"].append(tip(chart.y, chart.y_title, "quantitative", fmt))
    mark: Spec = {"type": "bar", "cornerRadiusEnd": 2}
    if not (chart.show_values and chart.kind == "bar"):
        return {"mark": mark, "encoding": encoding}
    labels: Spec = {"type": "text", "fontSize": theme.SMALL_SIZE}
    if chart.horizontal:
        labels.update({"align": "left", "dx": 4})
    else:
        labels.update({"baseline": "bottom", "dy": -3})
    text = {"field": field(chart.y), "type": "quantitative", "format": fmt}
    values = {"mark": labels, "encoding": {"text": text}}
    return {"encoding": encoding, "layer": [{"mark": mark}, values]}


def _pie(chart: Chart) -> Spec:
    assert chart.color is not None and chart.value is not None
    radius = max(chart.width, chart.height) / 2 - 4
    inner = radius * 0.55 if chart.kind == "donut" else 0
    encoding: Spec = {
        "theta": {"field": field(chart.value), "type": "quantitative", "stack": True},
        "color": _series(chart.color, chart.color_title),
        "order": {"field": "__order", "type": "quantitative"},
        "tooltip": [
            tip(chart.color, chart.color_title),
            tip(chart.value, None, "quantitative", theme.d3_format(chart.percent)),
            tip("__share", word("share", chart.lang), "quantitative", ".1%"),
        ],
    }
    layers: list[Spec] = [
        {"mark": {"type": "arc", "innerRadius": inner, "outerRadius": radius, "stroke": "#fff"}}
    ]
    if chart.show_values:  # shares on slices wide enough to hold them
        text = {
            "condition": {"test": "datum.__share >= 0.05", "field": "__share", "format": ".0%"},
            "value": "",
        }
        mark = {"type": "text", "radius": (radius + inner) / 2 if inner else radius * 0.68}
        layers.append({"mark": {**mark, "fill": "#fff"}, "encoding": {"text": text}})
    return {
        "transform": [
            {"window": [{"op": "row_number", "as": "__order"}]},
            {"joinaggregate": [{"op": "sum", "field": field(chart.value), "as": "__total"}]},
            {"calculate": f"{datum(chart.value)} / datum.__total", "as": "__share"},
        ],
        "encoding": encoding,
        "layer": layers,
    }


def _line(chart: Chart) -> Spec:
    assert chart.x is not None and chart.y is not None
    x: Spec = {
        "field": field(chart.x),
        "type": chart.x_type,
        "title": heading(chart.x_title, chart.x),
    }
    if chart.x_type == "ordinal":
        x["sort"] = None
    fmt = theme.d3_format(chart.percent)
    x_tip = tip(chart.x, chart.x_title, chart.x_type)
    if chart.x_type == "temporal":
        x["axis"], x_tip["format"] = _date_axis(chart)
    encoding: Spec = {
        "x": x,
        "y": _value_axis(chart.y, chart.y_title, chart.percent),
        "tooltip": [x_tip, tip(chart.y, chart.y_title, "quantitative", fmt)],
    }
    if chart.color:
        encoding["color"] = _series(chart.color, chart.color_title)
        encoding["tooltip"].insert(0, tip(chart.color, chart.color_title))
    return {"mark": {"type": "line", "point": {"filled": True, "size": 36}}, "encoding": encoding}


def _days(chart: Chart) -> list[date] | None:
    """The x values as days, when they are all plain dates (no time of day)."""
    days: list[date] = []
    for value in chart.field_values(chart.x):
        if value is None:
            continue
        if not isinstance(value, str) or len(value) != 10:
            return None
        try:
            days.append(date.fromisoformat(value))
        except ValueError:  # a text x_type="temporal" was forced on
            return None
    return days or None


def _date_axis(chart: Chart) -> tuple[Spec, str]:
    """Ticks by month for monthly data, by day otherwise, labelled with numbers (2026-03)."""
    days = _days(chart)
    if days is None:  # times of day: Vega's own ticks and labels
        return {}, "%Y-%m-%d %H:%M"
    first, last = min(days), max(days)
    if all(d.day == 1 for d in days):
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        step = math.ceil(months * 64 / chart.width)  # a label is about 50 pixels wide
        return {"format": "%Y-%m", "tickCount": {"interval": "month", "step": step}}, "%Y-%m"
    label = "%m-%d" if first.year == last.year else "%Y-%m-%d"
    step = math.ceil(
        ((last - first).days + 1) * (48 if first.year == last.year else 80) / chart.width
    )
    return {"format": label, "tickCount": {"interval": "day", "step": step}}, "%Y-%m-%d"


def _scatter(chart: Chart) -> Spec:
    assert chart.x is not None and chart.y is not None
    y = _value_axis(chart.y, chart.y_title, chart.percent)
    # room at the ends for the outermost points and, across, their labels
    labels = [str(v) for v in chart.field_values(chart.label)]
    room = min(max((theme.text_width(t) for t in labels), default=0.0) + 10, chart.width / 4)
    near = {"zero": False}  # axes span the points, not 0 to the points
    encoding: Spec = {
        "x": {**_value_axis(chart.x, chart.x_title, False), "scale": {**near, "padding": room}},
        "y": {**y, "scale": {**near, "padding": 12}},
        "tooltip": [tip(chart.label, None)] if chart.label else [],
    }
    encoding["tooltip"] += [
        tip(chart.x, chart.x_title, "quantitative", theme.d3_format(False)),
        tip(chart.y, chart.y_title, "quantitative", theme.d3_format(chart.percent)),
    ]
    marks: Spec = {}  # colour and size belong to the points, not to their labels
    if chart.color:
        marks["color"] = _series(chart.color, chart.color_title)
        encoding["tooltip"].append(tip(chart.color, chart.color_title))
    if chart.size:
        marks["size"] = {"field": field(chart.size), "type": "quantitative", "title": chart.size}
        encoding["tooltip"].append(tip(chart.size, None, "quantitative", theme.d3_format(False)))
    points = {"mark": {"type": "point", "filled": True, "opacity": 0.85}, "encoding": marks}
    if not chart.label:
        return {"encoding": encoding, "layer": [points]}
    text = {"field": field(chart.label), "type": "nominal"}
    names = {"mark": {"type": "text", "align": "left", "dx": 7}, "encoding": {"text": text}}
    return {"encoding": encoding, "layer": [points, names]}


def _histogram(chart: Chart) -> Spec:
    assert chart.x is not None and chart.x2 is not None and chart.y is not None
    fmt = theme.d3_format(chart.percent)
    y_title = heading(chart.y_title, word("share" if chart.percent else "count", chart.lang))
    return {
        "mark": {"type": "bar", "binSpacing": 1},
        "encoding": {
            "x": {
                "field": field(chart.x),
                "bin": {"binned": True},
                "type": "quantitative",
                "title": chart.x_title or None,
            },
            "x2": {"field": field(chart.x2)},
            "y": _value_axis(chart.y, y_title, chart.percent),
            "tooltip": [
                tip(chart.x, word("from", chart.lang), "quantitative", theme.d3_format(False)),
                tip(chart.x2, word("to", chart.lang), "quantitative", theme.d3_format(False)),
                tip(chart.y, y_title or chart.y, "quantitative", fmt),
            ],
        },
    }


def _heatmap(chart: Chart) -> Spec:
    assert chart.x is not None and chart.y is not None and chart.value is not None
    fmt = theme.d3_format(chart.percent)
    numbers = [float(v) for v in chart.field_values(chart.value) if isinstance(v, int | float)]
    middle = (min(numbers) + max(numbers)) / 2 if numbers else 0.0
    legend: Spec = {"title": heading(chart.color_title, chart.value), "format": fmt}
    encoding: Spec = {
        "x": {**_series(chart.x, chart.x_title), "axis": {"labelAngle": 0}},
        "y": _series(chart.y, chart.y_title),
        "tooltip": [
            tip(chart.x, chart.x_title),
            tip(chart.y, chart.y_title),
            tip(chart.value, chart.color_title, "quantitative", fmt),
        ],
    }
    cells = {
        "mark": {"type": "rect", "stroke": "#fff", "strokeWidth": 1},
        "encoding": {"color": {**_value_axis(chart.value, None, False), "legend": legend}},
    }
    if not chart.show_values:
        return {"encoding": encoding, **cells}
    light = {"test": f"{datum(chart.value)} > {middle!r}", "value": "#fff"}  # on dark cells
    ink = {"condition": light, "value": theme.INK}
    text = {"field": field(chart.value), "type": "quantitative", "format": fmt}
    values = {"mark": {"type": "text"}, "encoding": {"text": text, "color": ink}}
    return {"encoding": encoding, "layer": [cells, values]}


def _better_worse(chart: Chart) -> Spec:
    assert chart.x is not None and chart.y is not None and chart.label is not None
    x_title, y_title = KANO_AXIS_TITLES[chart.lang]
    across = {"field": "__abs_worse", "type": "quantitative", "title": x_title}
    up = {"field": field(chart.y), "type": "quantitative", "title": y_title}
    scale = {"domain": [0, 1], "nice": False}
    color_by = chart.color or QUADRANT_FIELD
    color: Spec = {"field": field(color_by), "type": "nominal"}
    color["title"] = heading(chart.color_title, color_by)
    if color_by == QUADRANT_FIELD:
        names = {q: n[1] if chart.lang == "en" else n[0] for q, n in QUADRANT_NAMES.items()}
        color["scale"] = {
            "domain": list(names.values()),
            "range": [QUADRANT_COLORS[q] for q in names],
        }
    features = {
        "transform": [{"calculate": f"abs({datum(chart.x)})", "as": "__abs_worse"}],
        "encoding": {
            "x": {**across, "scale": scale},
            "y": {**up, "scale": scale},
            "color": color,
            "tooltip": [
                tip(chart.label, None),
                tip(chart.y, "Better", "quantitative", ".2f"),
                tip(chart.x, "Worse", "quantitative", ".2f"),
                tip(color_by, color["title"]),
            ],
        },
        "layer": [
            {"mark": {"type": "point", "filled": True, "size": 80, "opacity": 0.9}},
            {
                "mark": {"type": "text", "align": "left", "dx": 7, "color": theme.INK},
                "encoding": {"text": {"field": field(chart.label), "type": "nominal"}},
            },
        ],
    }
    once: Spec = {"values": [{}]}  # guides are drawn once, not once per feature
    rule = {"type": "rule", "strokeDash": [4, 4], "color": theme.RULE}
    guides: list[Spec] = [
        {
            "data": once,
            "mark": rule,
            "encoding": {channel: {"datum": at, "type": "quantitative", "scale": scale}},
        }
        for channel, at in (("x", chart.lines[0]), ("y", chart.lines[1]))
    ]
    for quadrant, (high_worse, high_better) in CORNERS.items():
        zh, en = QUADRANT_NAMES[quadrant]
        mark = {
            "type": "text",
            "align": "right" if high_worse else "left",
            "baseline": "top" if high_better else "bottom",
            "fontSize": theme.LABEL_SIZE + 1,
            "fontWeight": "bold",
            "color": QUADRANT_COLORS[quadrant],
            "opacity": 0.75,
        }
        place = {
            "x": {"datum": 0.98 if high_worse else 0.02, "type": "quantitative"},
            "y": {"datum": 0.98 if high_better else 0.02, "type": "quantitative"},
            "text": {"value": en if chart.lang == "en" else zh},
        }
        guides.append({"data": once, "mark": mark, "encoding": place})
    return {"layer": [*guides, features]}


BUILDERS: dict[str, Callable[[Chart], Spec]] = {
    "bar": _bar,
    "stacked_bar": _bar,
    "pie": _pie,
    "donut": _pie,
    "line": _line,
    "scatter": _scatter,
    "histogram": _histogram,
    "heatmap": _heatmap,
    "better_worse": _better_worse,
}
