"""A chart in the three forms a report needs: SVG (PDF), PNG (Excel) and an HTML fragment.

Vega-Lite kinds are drawn by vl-convert (no browser); the Sankey diagram and the word cloud by
this package. SVG keeps text as text, so WeasyPrint puts real, searchable Chinese into the PDF.
HTML fragments are interactive with :func:`~huaxiang.charts.runtime.html_runtime` once on the page
and never load anything: Vega-Lite charts are an element plus their spec in a
``<script type="application/json">``, the others their SVG inline.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from huaxiang.charts.cloud import cloud_png, cloud_svg
from huaxiang.charts.flows import sankey_svg
from huaxiang.charts.fonts import FONT_ENV, cjk_font
from huaxiang.charts.runtime import CHART_ATTRIBUTE, SPEC_ATTRIBUTE
from huaxiang.charts.spec import VEGA_KINDS, Chart
from huaxiang.charts.vega import VL_VERSION, vega_lite
from huaxiang.errors import UsageError

ELEMENT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
JSON_IN_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}  # inert inside a <script>


def to_svg(chart: Chart) -> str:
    """The chart as a standalone SVG document (vector, text kept as text)."""
    if chart.kind == "sankey":
        return sankey_svg(chart)
    if chart.kind == "wordcloud":
        return cloud_svg(chart)
    import vl_convert as vlc

    return str(
        vlc.vegalite_to_svg(
            vega_lite(chart),
            vl_version=VL_VERSION,
            allowed_base_urls=[],  # the data is inline: nothing may be fetched
        )
    )


def to_png(chart: Chart, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes, ``scale`` times its pixel size (2 is sharp on screens and paper).

    Raster text needs the font itself, so a machine without a CJK font gets a
    :class:`~huaxiang.errors.UsageError` naming the package to install, not boxes for characters.
    """
    if not scale > 0:
        raise UsageError(f"{chart.name}: scale must be positive, not {scale}")
    _raster_font()
    if chart.kind == "wordcloud":
        return cloud_png(chart, scale)
    import vl_convert as vlc

    if chart.kind == "sankey":
        return bytes(vlc.svg_to_png(sankey_svg(chart), scale=scale))
    return bytes(
        vlc.vegalite_to_png(
            vega_lite(chart),
            vl_version=VL_VERSION,
            scale=scale,
            allowed_base_urls=[],
        )
    )


@lru_cache(maxsize=1)
def _raster_font() -> None:
    """Fails early without a CJK font; shows vl-convert a font named by ``HUAXIANG_CJK_FONT``
    (it finds system fonts itself, by the family names of ``FONT_FAMILY``)."""
    font = cjk_font()
    if os.environ.get(FONT_ENV):
        import vl_convert as vlc

        vlc.register_font_directory(str(font.path.parent.resolve()))


def to_html(chart: Chart, element_id: str) -> str:
    """An HTML fragment showing the chart, for a self-contained page.

    ``element_id`` must be unique on the page (letters, digits, ``-`` and ``_``, starting with
    a letter). Vega-Lite charts need :func:`~huaxiang.charts.runtime.html_runtime` once on the
    page to be drawn; sankey and wordcloud are inline SVG and need nothing.
    """
    if not ELEMENT_ID.match(element_id):
        raise UsageError(
            f"{chart.name}: element id {element_id!r} is not usable in HTML",
            hint="use letters, digits, - and _, starting with a letter (e.g. chart-3)",
        )
    label = escape(chart.title, {'"': "&quot;"})
    if chart.kind not in VEGA_KINDS:
        svg = to_svg(chart)
        return (
            f'<div class="hx-chart hx-{chart.kind}" id="{element_id}" {CHART_ATTRIBUTE}="svg">'
            f"{svg}</div>"
        )
    spec = vega_lite(chart)
    del spec["$schema"]  # the page names no URL at all; vega-embed is told the mode instead
    options: dict[str, Any] = {}  # vega-embed options beyond the runtime's defaults
    data = json.dumps({"spec": spec, "options": options}, ensure_ascii=False)
    for char, code in JSON_IN_HTML.items():
        data = data.replace(char, code)
    return (
        f'<div class="hx-chart hx-{chart.kind}" id="{element_id}" {CHART_ATTRIBUTE}="vega-lite"'
        f' {SPEC_ATTRIBUTE}="{element_id}-spec" role="img" aria-label="{label}"></div>\n'
        f'<script type="application/json" id="{element_id}-spec">{data}</script>'
    )
