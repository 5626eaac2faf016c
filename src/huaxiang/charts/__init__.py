"""Charts (图表) for reports and persona cards: one description, drawn as SVG, PNG or HTML.

Build a :class:`Chart` with the constructor of its kind, then render it::

    from huaxiang import charts

    chart = charts.bar(rows, x="分群", y="人数", title="各分群人数")
    charts.to_svg(chart)             # vector, for the PDF report
    charts.to_png(chart, scale=2)    # raster, for Excel
    charts.to_html(chart, "sizes")   # interactive, with charts.html_runtime() once per page
"""

from huaxiang.charts.categories import bar, donut, heatmap, pie, stacked_bar
from huaxiang.charts.diagrams import (
    QUADRANT_NAMES,
    Quadrant,
    better_worse,
    kano_quadrant,
    sankey,
    wordcloud,
)
from huaxiang.charts.fonts import FONT_FAMILY, CjkFont, cjk_font
from huaxiang.charts.render import to_html, to_png, to_svg
from huaxiang.charts.runtime import html_runtime
from huaxiang.charts.series import histogram, line, scatter
from huaxiang.charts.spec import Chart, ChartKind
from huaxiang.charts.vega import vega_lite

__all__ = [
    "FONT_FAMILY",
    "QUADRANT_NAMES",
    "Chart",
    "ChartKind",
    "CjkFont",
    "Quadrant",
    "bar",
    "better_worse",
    "cjk_font",
    "donut",
    "heatmap",
    "histogram",
    "html_runtime",
    "kano_quadrant",
    "line",
    "pie",
    "sankey",
    "scatter",
    "stacked_bar",
    "to_html",
    "to_png",
    "to_svg",
    "vega_lite",
    "wordcloud",
]
