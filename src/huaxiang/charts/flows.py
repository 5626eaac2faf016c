"""The Sankey diagram: its layout and its SVG, drawn here (Vega-Lite has no Sankey).

Nodes stand in columns (sources of step s in column s, their targets in column s + 1); a node is
as tall as the larger of what flows in and out, every column on one scale (pixels per unit), so a
band's width is exactly its value times that scale. Bands are stroked cubic Béziers, leaving and
entering their nodes horizontally, stacked in the order of the nodes they go to (fewer crossings).
Within a column, names already in the previous column keep its order (高价值 stays on top of both
columns of a migration), then the others in the order of the rows. Output is deterministic text:
the same chart gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from huaxiang.charts import theme
from huaxiang.charts.data import number
from huaxiang.charts.fonts import FONT_FAMILY
from huaxiang.charts.spec import Chart
from huaxiang.errors import UsageError

NODE_WIDTH = 14
NODE_GAP = 12  # pixels between the nodes of a column, at most
LABEL_GAP = 6
PAD = 8
TITLE_HEIGHT = 30
BAND_OPACITY = 0.4


@dataclass(frozen=True)
class Node:
    """A box of the diagram: ``column``, ``name`` and where it is drawn."""

    column: int
    name: str
    value: float  # the larger of inflow and outflow
    outflow: float
    x: float
    y: float
    height: float
    color: str


@dataclass(frozen=True)
class Band:
    """A flow from ``source`` to ``target``, centred at ``y0`` on leaving, ``y1`` on arriving."""

    source: Node
    target: Node
    value: float
    width: float
    y0: float
    y1: float


@dataclass(frozen=True)
class Layout:
    """Where everything goes; ``scale`` is pixels per unit of value."""

    nodes: tuple[Node, ...]
    bands: tuple[Band, ...]
    scale: float


def layout(chart: Chart) -> Layout:
    """The positions of the nodes and bands of a sankey chart."""
    if chart.kind != "sankey" or not (chart.x and chart.y and chart.value):
        raise UsageError(f"{chart.name} is a {chart.kind} chart, not a sankey chart")
    flows = [
        (
            int(number(row.get(chart.step))) if chart.step else 0,
            str(row[chart.x]),
            str(row[chart.y]),
            number(row[chart.value]),
        )
        for row in chart.rows
    ]
    columns = _columns(flows, chart.name)
    inflow: dict[tuple[int, str], float] = {}
    outflow: dict[tuple[int, str], float] = {}
    for step, source, target, value in flows:
        outflow[(step, source)] = outflow.get((step, source), 0.0) + value
        inflow[(step + 1, target)] = inflow.get((step + 1, target), 0.0) + value

    def size(key: tuple[int, str]) -> float:
        return max(inflow.get(key, 0.0), outflow.get(key, 0.0))

    last = len(columns) - 1
    label_room = [
        max((theme.text_width(_label(chart, n, size((c, n)))) for n in names), default=0.0)
        for c, names in enumerate(columns)
    ]
    left = PAD + label_room[0] + LABEL_GAP
    right = chart.width - PAD - label_room[last] - LABEL_GAP - NODE_WIDTH
    if right - left < 40 * last:
        raise UsageError(
            f"{chart.name}: {chart.width} pixels are too narrow for its labels",
            hint="give the chart a larger width",
        )
    top = PAD + (TITLE_HEIGHT if chart.title else 0)
    room = chart.height - top - PAD
    most = max(len(names) for names in columns)
    gap = min(NODE_GAP, room * 0.3 / max(most - 1, 1))
    scale = min(
        (room - gap * (len(names) - 1)) / sum(size((c, n)) for n in names)
        for c, names in enumerate(columns)
    )
    colors = _colors(columns)
    nodes: dict[tuple[int, str], Node] = {}
    for c, names in enumerate(columns):
        x = left + (right - left) * c / last
        used = sum(size((c, n)) for n in names) * scale + gap * (len(names) - 1)
        y = top + (room - used) / 2  # columns are centred on each other
        for name in names:
            height = size((c, name)) * scale
            key = (c, name)
            nodes[key] = Node(c, name, size(key), outflow.get(key, 0.0), x, y, height, colors[name])
            y += height + gap
    return Layout(tuple(nodes.values()), _bands(flows, nodes, columns, scale), scale)


def sankey_svg(chart: Chart) -> str:
    """The diagram as a standalone SVG document (text as text, tooltips as ``<title>``)."""
    plan = layout(chart)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{chart.width}" height="{chart.height}"'
        f' viewBox="0 0 {chart.width} {chart.height}" font-family="{_attr(FONT_FAMILY)}"'
        f' font-size="{theme.LABEL_SIZE}" role="img" aria-label="{_attr(chart.title)}"'
        f' class="hx-sankey">',
        f'<rect width="100%" height="100%" fill="{theme.BACKGROUND}"/>',
    ]
    if chart.title:
        parts.append(
            f'<text x="{PAD}" y="{PAD + theme.TITLE_SIZE}" font-size="{theme.TITLE_SIZE}"'
            f' font-weight="600" fill="{theme.INK}">{escape(chart.title)}</text>'
        )
    parts.append(f'<g fill="none" stroke-opacity="{BAND_OPACITY}">')
    for band in plan.bands:
        x0, x1 = band.source.x + NODE_WIDTH, band.target.x
        middle = (x0 + x1) / 2
        path = (
            f"M{_n(x0)},{_n(band.y0)}C{_n(middle)},{_n(band.y0)} "
            f"{_n(middle)},{_n(band.y1)} {_n(x1)},{_n(band.y1)}"
        )
        parts.append(
            f'<path class="hx-band" d="{path}" stroke="{band.source.color}"'
            f' stroke-width="{_n(max(band.width, 0.5))}"><title>'
            f"{escape(_flow_text(chart, band))}</title></path>"
        )
    parts.append("</g><g>")
    last = max(node.column for node in plan.nodes)
    labelled = _labelled(plan.nodes)
    for node in plan.nodes:
        tip = f"{node.name}: {theme.number_text(node.value, chart.percent)}"
        parts.append(
            f'<rect class="hx-node" x="{_n(node.x)}" y="{_n(node.y)}" width="{NODE_WIDTH}"'
            f' height="{_n(max(node.height, 1.0))}" fill="{node.color}"><title>'
            f"{escape(tip)}</title></rect>"
        )
        if node not in labelled:
            continue
        at_left = node.column == 0 and last > 0
        x = node.x - LABEL_GAP if at_left else node.x + NODE_WIDTH + LABEL_GAP
        anchor = "end" if at_left else "start"
        value = ""
        if chart.show_values:
            value = (
                f' <tspan fill="{theme.MUTED}">'
                f"{escape(theme.number_text(node.value, chart.percent))}</tspan>"
            )
        parts.append(
            f'<text x="{_n(x)}" y="{_n(node.y + node.height / 2)}" dy="0.35em"'
            f' text-anchor="{anchor}" fill="{theme.INK}">{escape(node.name)}{value}</text>'
        )
    parts.append("</g></svg>")
    return "\n".join(parts)


def _labelled(nodes: tuple[Node, ...]) -> set[Node]:
    """The nodes whose labels fit: the larger nodes first, no two labels on one line.

    A node left without a label keeps its tooltip.
    """
    chosen: set[Node] = set()
    taken: dict[int, list[float]] = {}
    for node in sorted(nodes, key=lambda n: (-n.value, n.column, n.y)):
        middle = node.y + node.height / 2
        lines = taken.setdefault(node.column, [])
        if all(abs(middle - other) >= theme.LABEL_SIZE + 2 for other in lines):
            lines.append(middle)
            chosen.add(node)
    return chosen


def _columns(flows: list[tuple[int, str, str, float]], name: str) -> list[list[str]]:
    count = max(step for step, *_ in flows) + 2
    seen: list[dict[str, None]] = [{} for _ in range(count)]
    for step, source, target, _ in flows:
        seen[step].setdefault(source)
        seen[step + 1].setdefault(target)
    columns: list[list[str]] = []
    for c, names in enumerate(seen):
        before = [n for n in columns[c - 1] if n in names] if c else []
        columns.append(before + [n for n in names if n not in before])
    if any(not names for names in columns):
        raise UsageError(f"{name}: steps must count from 0 without a gap (0, 1, 2, ...)")
    return columns


def _colors(columns: list[list[str]]) -> dict[str, str]:
    """One colour per name, the same in every column (a segment keeps its colour)."""
    colors: dict[str, str] = {}
    for names in columns:
        for name in names:
            colors.setdefault(name, theme.color(len(colors)))
    return colors


def _bands(
    flows: list[tuple[int, str, str, float]],
    nodes: dict[tuple[int, str], Node],
    columns: list[list[str]],
    scale: float,
) -> tuple[Band, ...]:
    order = {(c, n): i for c, names in enumerate(columns) for i, n in enumerate(names)}
    merged: dict[tuple[int, str, str], float] = {}
    for step, source, target, value in flows:
        key = (step, source, target)
        merged[key] = merged.get(key, 0.0) + value
    # leave in the order of the targets, arrive in the order of the sources
    leaving = sorted(merged, key=lambda k: (k[0], order[(k[0], k[1])], order[(k[0] + 1, k[2])]))
    arriving = sorted(merged, key=lambda k: (k[0], order[(k[0] + 1, k[2])], order[(k[0], k[1])]))
    out_used: dict[tuple[int, str], float] = {}
    in_used: dict[tuple[int, str], float] = {}
    y0: dict[tuple[int, str, str], float] = {}
    for step, source, target in leaving:
        width = merged[(step, source, target)] * scale
        done = out_used.get((step, source), 0.0)
        y0[(step, source, target)] = nodes[(step, source)].y + done + width / 2
        out_used[(step, source)] = done + width
    bands: list[Band] = []
    for step, source, target in arriving:
        value = merged[(step, source, target)]
        width = value * scale
        done = in_used.get((step + 1, target), 0.0)
        y1 = nodes[(step + 1, target)].y + done + width / 2
        in_used[(step + 1, target)] = done + width
        start, end = nodes[(step, source)], nodes[(step + 1, target)]
        bands.append(Band(start, end, value, width, y0[(step, source, target)], y1))
    bands.sort(key=lambda b: (b.source.column, order[(b.source.column, b.source.name)], b.y1))
    return tuple(bands)


def _label(chart: Chart, name: str, value: float) -> str:
    return f"{name} {theme.number_text(value, chart.percent)}" if chart.show_values else name


def _flow_text(chart: Chart, band: Band) -> str:
    amount = theme.number_text(band.value, chart.percent)
    text = f"{band.source.name} → {band.target.name}: {amount}"
    if chart.percent or band.source.outflow <= 0:
        return text
    share = theme.number_text(band.value / band.source.outflow, percent=True)
    if chart.lang == "en":
        return f"{text} ({share} of {band.source.name})"
    return f"{text}（占{band.source.name}的 {share}）"


def _n(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros (the same text on every run)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})
