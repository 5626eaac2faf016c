"""The look shared by every chart: palette, text sizes, number formats, the Vega-Lite config.

Vega-Lite charts get it through :func:`vega_config`; the Sankey diagram and the word cloud,
drawn by this package, read the same constants, so every kind in a report looks alike.
"""

from __future__ import annotations

import math
from typing import Any

from huaxiang.charts.fonts import FONT_FAMILY

# Calm, distinguishable category colours (muted Tableau-like hues; grey last, for "other").
PALETTE = (
    "#4E79A7",
    "#F28E2B",
    "#59A14F",
    "#E15759",
    "#76B7B2",
    "#EDC948",
    "#B07AA1",
    "#FF9DA7",
    "#9C755F",
    "#BAB0AC",
)
# Light to dark blue for magnitudes (heatmap cells).
SEQUENTIAL = ("#EFF4FA", "#C6DBEF", "#9ECAE1", "#6BAED6", "#3182BD", "#08519C")

INK = "#2F3437"  # titles and labels
MUTED = "#6B7280"  # axis titles, secondary text
GRID = "#E5E7EB"
RULE = "#9CA3AF"  # axis lines, reference lines
BACKGROUND = "#FFFFFF"

TITLE_SIZE = 15
LABEL_SIZE = 12
SMALL_SIZE = 11


def color(index: int) -> str:
    """The palette's colour for the ``index``-th category (it repeats after ten)."""
    return PALETTE[index % len(PALETTE)]


def d3_format(percent: bool) -> str:
    """A d3-format for values shown to people: ``12.5%`` or ``1,234.57`` (zeros trimmed)."""
    return ".1~%" if percent else ",.2~f"


def number_text(value: float, percent: bool = False) -> str:
    """The Python twin of :func:`d3_format`, for the charts drawn without Vega."""
    if not math.isfinite(value):
        return "-"
    if percent:
        text = f"{value * 100:,.1f}".rstrip("0").rstrip(".")
        return f"{text}%"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def text_width(text: str, size: float = LABEL_SIZE) -> float:
    """Roughly how wide ``text`` is in pixels: CJK characters are square, others about half."""
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80)
    return size * (wide + 0.6 * (len(text) - wide))


def vega_config() -> dict[str, Any]:
    """The Vega-Lite ``config`` of every chart.

    Label and title limits are 0 (no limit), so long Chinese names are never cut to "高价值…".
    The y axis title stands upright above the axis: Chinese set sideways is hard to read.
    """
    text = {"labelFontSize": LABEL_SIZE, "labelColor": INK, "labelLimit": 0}
    titles = {"titleFontSize": LABEL_SIZE, "titleFontWeight": "normal", "titleColor": MUTED}
    return {
        "font": FONT_FAMILY,
        "background": BACKGROUND,
        "padding": 8,
        "view": {"stroke": None},
        "title": {
            "fontSize": TITLE_SIZE,
            "fontWeight": 600,
            "color": INK,
            "anchor": "start",
            "offset": 14,
            "limit": 0,
        },
        "axis": {
            **text,
            **titles,
            "titleLimit": 0,
            "titlePadding": 8,
            "gridColor": GRID,
            "domainColor": RULE,
            "tickColor": RULE,
        },
        "axisY": {
            "titleAngle": 0,
            "titleAlign": "left",
            "titleAnchor": "end",
            "titleBaseline": "bottom",
            "titleX": 0,
            "titleY": -10,
        },
        "axisBand": {"ticks": False, "domainColor": RULE},
        "legend": {**text, **titles, "titleLimit": 0, "symbolType": "circle"},
        "range": {"category": list(PALETTE), "heatmap": list(SEQUENTIAL), "ramp": list(SEQUENTIAL)},
        "mark": {"color": PALETTE[0]},
        "text": {"color": INK, "fontSize": SMALL_SIZE},
    }
