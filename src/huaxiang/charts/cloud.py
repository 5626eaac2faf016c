"""The word cloud: words placed on a free spot of an occupancy map, drawn as SVG and PNG.

Placement follows the ``wordcloud`` package (largest word first, sizes by relative weight, a
random free spot from its integral-image map, seeded: a chart always gives the same picture) but
is done here, because its own loop sizes a word by its ink and draws it from the font's ascender,
so tall CJK faces overlap their neighbours, and its SVG adds a page-wide ``text {}`` style (it
would restyle every chart of an HTML page), does not escape ``<`` or ``&`` and names a font
collection's first face (Noto's Japanese one). Words stay ``<text>`` in the SVG; the PNG uses the
Simplified Chinese face of :func:`~huaxiang.charts.fonts.cjk_font`. Words are set horizontally:
Chinese turned on its side is hard to read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from random import Random
from typing import Any
from xml.sax.saxutils import escape

from huaxiang.charts import theme
from huaxiang.charts.data import number
from huaxiang.charts.fonts import FONT_FAMILY, cjk_font
from huaxiang.charts.spec import Chart
from huaxiang.errors import UsageError

PAD = 8
TITLE_HEIGHT = 30
MIN_FONT_SIZE = 10
MARGIN = 4  # pixels kept free around every word
RELATIVE_SCALING = 0.5  # how far size follows weight (wordcloud's default): 0 by rank, 1 by weight
WORD_COLORS = theme.PALETTE[:7]  # the warm and cool hues, not the greys


@dataclass(frozen=True)
class Word:
    """A placed word: font ``size`` in pixels, (``x``, ``y``) the top-left of its line box (the
    font's ascender line), relative to the word area below the title."""

    text: str
    weight: float
    size: int
    x: int
    y: int
    color: str


@lru_cache(maxsize=32)
def cloud_layout(chart: Chart) -> tuple[Word, ...]:
    """Where the words of a wordcloud chart go (cached: SVG and PNG share one layout)."""
    if chart.kind != "wordcloud" or not (chart.label and chart.value):
        raise UsageError(f"{chart.name} is a {chart.kind} chart, not a wordcloud chart")
    weights: dict[str, float] = {}
    for row in chart.rows:
        text = str(row[chart.label])
        weights[text] = weights.get(text, 0.0) + number(row[chart.value])
    ranked = sorted(weights, key=lambda w: (-weights[w], w))[: chart.max_words]
    width, height = chart.width - 2 * PAD, chart.height - _top(chart) - PAD
    largest = int(min(height * 0.4, width * 0.85 / max(theme.text_width(ranked[0], 1.0), 1.0)))
    if width < 40 or height < 20 or largest <= MIN_FONT_SIZE:
        raise UsageError(
            f"{chart.name}: {chart.width}×{chart.height} pixels are too small for a word cloud",
            hint="give it at least 200×120 pixels",
        )
    return tuple(_place(ranked, weights, width, height, largest, chart.seed))


def _place(
    ranked: list[str], weights: dict[str, float], width: int, height: int, largest: int, seed: int
) -> list[Word]:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont
    from wordcloud.wordcloud import IntegralOccupancyMap

    font = cjk_font()
    faces: dict[int, Any] = {}
    canvas = Image.new("L", (width, height))
    draw = ImageDraw.Draw(canvas)
    occupancy = IntegralOccupancyMap(height, width, None)
    random = Random(seed)
    size, previous = largest, weights[ranked[0]]
    placed: list[Word] = []
    for rank, text in enumerate(ranked):
        weight = weights[text]
        size = round((RELATIVE_SCALING * weight / previous + 1 - RELATIVE_SCALING) * size)
        spot = None
        while size >= MIN_FONT_SIZE:
            if size not in faces:
                faces[size] = ImageFont.truetype(str(font.path), size, index=font.index)
            left, top, right, bottom = draw.textbbox((0, 0), text, font=faces[size], anchor="la")
            spot = occupancy.sample_position(bottom - top + MARGIN, right - left + MARGIN, random)
            if spot is not None:
                break
            size -= 1
        if spot is None:
            break  # not even the smallest size fits: the cloud is full
        # the ink's box goes to the free spot; the line box starts left / above it
        row, column = int(spot[0]) + MARGIN // 2, int(spot[1]) + MARGIN // 2
        x, y = column - int(left), row - int(top)
        draw.text((x, y), text, fill=255, font=faces[size], anchor="la")
        occupancy.update(np.asarray(canvas), row, column)
        color = WORD_COLORS[rank % len(WORD_COLORS)]
        placed.append(Word(text, weight, size, x, y, color))
        previous = weight
    if not placed:
        raise UsageError("the word cloud has no room for even its first word")
    return placed


def cloud_svg(chart: Chart) -> str:
    """The word cloud as a standalone SVG document; every word is a ``<text>``."""
    words = cloud_layout(chart)
    ascent = _ascent_ratio()
    top = _top(chart)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{chart.width}" height="{chart.height}"'
        f' viewBox="0 0 {chart.width} {chart.height}" font-family="{_attr(FONT_FAMILY)}"'
        f' role="img" aria-label="{_attr(chart.title)}" class="hx-wordcloud">',
        f'<rect width="100%" height="100%" fill="{theme.BACKGROUND}"/>',
    ]
    if chart.title:
        parts.append(
            f'<text x="{PAD}" y="{PAD + theme.TITLE_SIZE}" font-size="{theme.TITLE_SIZE}"'
            f' font-weight="600" fill="{theme.INK}">{escape(chart.title)}</text>'
        )
    for word in words:
        baseline = top + word.y + round(word.size * ascent, 2)
        tip = f"{word.text}: {theme.number_text(word.weight)}"
        parts.append(
            f"<g><title>{escape(tip)}</title>"
            f'<text class="hx-word" x="{PAD + word.x}" y="{baseline:g}" font-size="{word.size}"'
            f' fill="{word.color}">{escape(word.text)}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def cloud_png(chart: Chart, scale: float = 2.0) -> bytes:
    """The word cloud as PNG bytes, ``scale`` times the chart's pixel size."""
    from PIL import Image, ImageDraw, ImageFont

    words = cloud_layout(chart)
    font = cjk_font()
    size = (round(chart.width * scale), round(chart.height * scale))
    image = Image.new("RGB", size, theme.BACKGROUND)
    draw = ImageDraw.Draw(image)

    def face(pixels: float) -> Any:
        return ImageFont.truetype(str(font.path), max(round(pixels * scale), 1), index=font.index)

    if chart.title:
        title_font = face(theme.TITLE_SIZE)
        draw.text((PAD * scale, PAD * scale), chart.title, fill=theme.INK, font=title_font)
    top = _top(chart)
    for word in words:
        # the layout's corner is the top of the line box, PIL's default anchor ("la")
        where = ((PAD + word.x) * scale, (top + word.y) * scale)
        draw.text(where, word.text, fill=word.color, font=face(word.size))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _top(chart: Chart) -> int:
    return PAD + (TITLE_HEIGHT if chart.title else 0)


@lru_cache(maxsize=1)
def _ascent_ratio() -> float:
    """The font's ascent per pixel of size: from a word's top corner down to its baseline."""
    from PIL import ImageFont

    font = cjk_font()
    ascent, _ = ImageFont.truetype(str(font.path), 100, index=font.index).getmetrics()
    return float(ascent) / 100


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})
