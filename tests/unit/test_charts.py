"""The chart layer (:mod:`huaxiang.charts`): specs, SVG / PNG / HTML output, checks, fonts."""

from __future__ import annotations

import itertools
import json
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from huaxiang import charts
from huaxiang.charts import fonts, render, runtime
from huaxiang.charts.cloud import cloud_layout
from huaxiang.charts.flows import layout as sankey_layout
from huaxiang.charts.theme import number_text
from huaxiang.charts.vega import VL_VERSION
from huaxiang.errors import DataError, UsageError

SEGMENTS = [
    {"分群": "高价值忠诚客户", "人数": 1234, "占比": 0.31},
    {"分群": "潜力新客", "人数": 2310, "占比": 0.42},
    {"分群": "流失风险", "人数": 820, "占比": 0.15},
    {"分群": "沉睡客户", "人数": 410, "占比": 0.12},
]
MIGRATION = [
    {"上期": "高价值", "本期": "高价值", "人数": 900},
    {"上期": "高价值", "本期": "沉睡", "人数": 300},
    {"上期": "潜力", "本期": "高价值", "人数": 150},
    {"上期": "潜力", "本期": "潜力", "人数": 600},
    {"上期": "潜力", "本期": "沉睡", "人数": 50},
]
KANO = [
    {"feature": "送货快", "better": 0.62, "worse": -0.71},
    {"feature": "包装精美", "better": 0.71, "worse": -0.2},
    {"feature": "发票齐全", "better": 0.2, "worse": -0.8},
    {"feature": "会员积分", "better": 0.3, "worse": -0.25},
]
WORDS = {"物流慢": 30, "客服态度": 22, "包装": 18, "价格实惠": 15, "质量好": 12, "退货": 8}

# kind -> (a chart of that kind, Chinese texts its SVG must hold as text)
EXAMPLES: dict[str, Callable[[], tuple[charts.Chart, list[str]]]] = {
    "bar": lambda: (
        charts.bar(SEGMENTS, x="分群", y="人数", title="各分群人数", show_values=True),
        ["各分群人数", "高价值忠诚客户", "沉睡客户"],
    ),
    "stacked_bar": lambda: (
        charts.stacked_bar(
            [
                {"月": m, "渠道": c, "订单": v}
                for m in ("一月", "二月")
                for c, v in (("天猫", 5), ("京东", 3))
            ],
            x="月",
            y="订单",
            color="渠道",
            normalize=True,
            title="渠道构成",
        ),
        ["渠道构成", "一月", "天猫", "京东"],
    ),
    "pie": lambda: (
        charts.pie(SEGMENTS, category="分群", value="人数", title="分群构成"),
        ["分群构成", "潜力新客"],
    ),
    "donut": lambda: (
        charts.donut(SEGMENTS, category="分群", value="人数", title="环形构成"),
        ["环形构成", "流失风险"],
    ),
    "line": lambda: (
        charts.line(
            [{"日期": f"2026-{m:02d}-01", "活跃人数": 100 + m} for m in range(1, 7)],
            x="日期",
            y="活跃人数",
            title="月活跃",
        ),
        ["月活跃", "活跃人数", "2026-03"],
    ),
    "scatter": lambda: (
        charts.scatter(
            [{"R": r, "M": 100 * r, "客户": f"客户{r}"} for r in range(1, 6)],
            x="R",
            y="M",
            label="客户",
            title="价值散点",
        ),
        ["价值散点", "客户3"],
    ),
    "histogram": lambda: (
        charts.histogram([1, 2, 2, 3, 5, 8], bins=4, title="购买次数分布", x_title="购买次数"),
        ["购买次数分布", "购买次数", "数量"],
    ),
    "heatmap": lambda: (
        charts.heatmap(
            [
                {"甲": a, "乙": b, "重合": 0.1 * (i + j)}
                for i, a in enumerate("春夏")
                for j, b in enumerate("秋冬")
            ],
            x="甲",
            y="乙",
            value="重合",
            percent=True,
            title="分群重合度",
        ),
        ["分群重合度", "春", "冬"],
    ),
    "sankey": lambda: (
        charts.sankey(MIGRATION, source="上期", target="本期", value="人数", title="分群迁移"),
        ["分群迁移", "高价值", "潜力", "沉睡"],
    ),
    "better_worse": lambda: (
        charts.better_worse(KANO, title="KANO 分析"),
        ["KANO 分析", "送货快", "必备", "期望", "魅力", "无差异"],
    ),
    "wordcloud": lambda: (charts.wordcloud(WORDS, title="反馈关键词"), ["反馈关键词", "物流慢"]),
}


def svg_texts(svg: str) -> str:
    """All text of an SVG document (parsing it proves it is well-formed XML)."""
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return " ".join("".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text"))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# -- every kind ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_kind_renders_svg_with_its_chinese_text_as_text(kind: str) -> None:
    chart, labels = EXAMPLES[kind]()
    assert chart.kind == kind
    texts = svg_texts(charts.to_svg(chart))
    missing = [label for label in labels if label not in texts]
    assert not missing, f"not in the SVG's <text>: {missing}"


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_kind_renders_a_png_scaled_as_asked(kind: str) -> None:
    chart, _ = EXAMPLES[kind]()
    width1, height1 = png_size(charts.to_png(chart, scale=1))
    width2, height2 = png_size(charts.to_png(chart, scale=2))
    assert abs(width2 - 2 * width1) <= 2 and abs(height2 - 2 * height1) <= 2
    # the picture is at least the plotting area (Vega adds axes and legends around it)
    assert width1 >= chart.width and height1 >= chart.height


def test_charts_without_vega_have_no_spec() -> None:
    chart, _ = EXAMPLES["sankey"]()
    with pytest.raises(UsageError, match="without Vega-Lite"):
        charts.vega_lite(chart)


# -- Vega-Lite specs ----------------------------------------------------------------------


def test_bar_spec_carries_the_rows_and_keeps_their_order() -> None:
    spec = charts.vega_lite(charts.bar(SEGMENTS, x="分群", y="人数", title="各分群人数"))
    assert spec["data"]["values"] == SEGMENTS
    assert spec["title"] == "各分群人数"
    assert spec["encoding"]["x"]["field"] == "分群"
    assert spec["encoding"]["x"]["sort"] is None  # the rows' order, not alphabetical
    assert spec["encoding"]["y"] == {"field": "人数", "type": "quantitative", "title": "人数"}
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == ["分群", "人数"]
    assert spec["config"]["font"].startswith("Noto Sans CJK SC")
    assert spec["config"]["axis"]["labelLimit"] == 0  # long Chinese names are never cut
    json.dumps(spec)  # JSON-safe


def test_bar_options_reach_the_spec() -> None:
    six = [*SEGMENTS, {"分群": "新客", "占比": 0.0}, {"分群": "其他", "占比": 0.0}]
    chart = charts.bar(six, x="分群", y="占比", percent=True, horizontal=True, sort="descending")
    spec = charts.vega_lite(chart)
    assert spec["encoding"]["y"]["field"] == "分群"  # horizontal: categories go down
    assert spec["encoding"]["x"]["axis"]["format"] == ".0%"
    assert spec["encoding"]["y"]["sort"] == {"op": "sum", "field": "占比", "order": "descending"}
    assert spec["encoding"]["tooltip"][-1]["format"] == ".1~%"
    assert chart.height == 6 * 28  # one row of text per category
    listed = charts.vega_lite(charts.bar(SEGMENTS, x="分群", y="人数", sort=["沉睡客户"]))
    assert listed["encoding"]["x"]["sort"] == ["沉睡客户"]


def test_category_labels_turn_when_they_would_collide() -> None:
    def angle(count: int, name: str) -> int:
        rows = [{"c": f"{name}{i}", "v": i} for i in range(count)]
        return int(
            charts.vega_lite(charts.bar(rows, x="c", y="v"))["encoding"]["x"]["axis"]["labelAngle"]
        )

    assert angle(4, "高价值") == 0
    assert angle(12, "高价值忠诚客户") == -40
    assert angle(60, "客户") == -90


def test_titles_default_to_field_names_and_empty_means_none() -> None:
    named = charts.vega_lite(charts.bar(SEGMENTS, x="分群", y="人数", y_title="客户数"))
    assert named["encoding"]["x"]["title"] == "分群"
    assert named["encoding"]["y"]["title"] == "客户数"
    assert named["encoding"]["tooltip"][-1]["title"] == "客户数"
    bare = charts.vega_lite(charts.bar(SEGMENTS, x="分群", y="人数", x_title="", y_title=""))
    assert bare["encoding"]["x"]["title"] is None and bare["encoding"]["y"]["title"] is None
    assert bare["encoding"]["tooltip"][0]["title"] == "分群"  # a tooltip line keeps a name
    assert "分群" not in svg_texts(
        charts.to_svg(charts.bar(SEGMENTS, x="分群", y="人数", x_title=""))
    )


def test_grouped_and_stacked_bars() -> None:
    rows = [{"月": "一月", "渠道": "天猫", "订单": 5}, {"月": "一月", "渠道": "京东", "订单": 3}]
    grouped = charts.vega_lite(charts.bar(rows, x="月", y="订单", color="渠道"))
    assert grouped["encoding"]["xOffset"]["field"] == "渠道"
    stacked = charts.vega_lite(charts.stacked_bar(rows, x="月", y="订单", color="渠道"))
    assert "xOffset" not in stacked["encoding"]
    assert stacked["encoding"]["y"]["stack"] == "zero"
    shares = charts.vega_lite(
        charts.stacked_bar(rows, x="月", y="订单", color="渠道", normalize=True)
    )
    assert shares["encoding"]["y"]["stack"] == "normalize"
    assert shares["encoding"]["y"]["axis"]["format"] == ".0%"
    assert shares["encoding"]["tooltip"][-1]["format"] == ",.2~f"  # the counts, not 500%


def test_field_names_with_dots_and_brackets_are_escaped() -> None:
    rows = [{"a.b": "甲", "x[1]": 3}]
    spec = charts.vega_lite(charts.bar(rows, x="a.b", y="x[1]"))
    assert spec["encoding"]["x"]["field"] == "a\\.b"
    assert spec["encoding"]["y"]["field"] == "x\\[1\\]"
    assert "甲" in svg_texts(charts.to_svg(charts.bar(rows, x="a.b", y="x[1]")))


def test_pie_shares_come_from_the_values() -> None:
    spec = charts.vega_lite(charts.pie(SEGMENTS, category="分群", value="人数"))
    assert spec["data"]["values"] == SEGMENTS
    assert {"joinaggregate": [{"op": "sum", "field": "人数", "as": "__total"}]} in spec["transform"]
    assert {"calculate": 'datum["人数"] / datum.__total', "as": "__share"} in spec["transform"]
    assert spec["encoding"]["theta"]["field"] == "人数"
    arc = spec["layer"][0]["mark"]
    assert arc["innerRadius"] == 0
    donut = charts.vega_lite(charts.donut(SEGMENTS, category="分群", value="人数"))
    assert donut["layer"][0]["mark"]["innerRadius"] > 0
    svg = svg_texts(charts.to_svg(charts.pie(SEGMENTS, category="分群", value="人数")))
    assert "48%" in svg  # 2,310 of 4,774 printed on its slice


def test_line_guesses_dates_and_keeps_category_order() -> None:
    dated = charts.line([{"日": date(2026, 1, m), "人": m} for m in (1, 2, 3)], x="日", y="人")
    assert dated.x_type == "temporal"
    assert dated.rows[0]["日"] == "2026-01-01"
    spec = charts.vega_lite(dated)
    assert spec["encoding"]["x"]["type"] == "temporal"
    # read as local days (JavaScript would read "2026-01-01" as UTC midnight)
    assert spec["data"]["format"] == {"parse": {"日": "date:'%Y-%m-%d'"}}
    assert spec["encoding"]["x"]["axis"]["format"] == "%m-%d"
    ordered = charts.line([{"档": t, "人": 1} for t in ("低", "中", "高")], x="档", y="人")
    assert charts.vega_lite(ordered)["encoding"]["x"] == {
        "field": "档",
        "type": "ordinal",
        "title": "档",
        "sort": None,
    }


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_monthly_dates_keep_their_months_in_every_time_zone(zone: str) -> None:
    # vl-convert reads the time zone once per process: draw the spec in a process of that zone
    chart = charts.line([{"月": f"2026-{m:02d}-01", "人": m} for m in range(1, 7)], x="月", y="人")
    code = (
        "import json, sys, vl_convert; "
        f"print(vl_convert.vegalite_to_svg(json.load(sys.stdin), vl_version={VL_VERSION!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(charts.vega_lite(chart)),
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": zone},
        check=True,
    )
    assert re.findall(r">(2026-\d\d)<", done.stdout) == [f"2026-{m:02d}" for m in range(1, 7)]


def test_monthly_axis_ticks_by_month() -> None:
    chart = charts.line([{"月": f"2026-{m:02d}-01", "人": m} for m in range(1, 13)], x="月", y="人")
    axis = charts.vega_lite(chart)["encoding"]["x"]["axis"]
    assert axis == {"format": "%Y-%m", "tickCount": {"interval": "month", "step": 2}}
    assert re.findall(r">(2026-\d\d)<", charts.to_svg(chart))[:2] == ["2026-01", "2026-03"]


def test_histogram_bins_values_or_takes_bins() -> None:
    chart = charts.histogram([1, 2, 2, 3, None, float("nan"), 4], bins=[0, 2, 4])
    assert chart.rows == (
        {"start": 0.0, "end": 2.0, "count": 1},
        {"start": 2.0, "end": 4.0, "count": 4},
    )
    shares = charts.histogram([1, 1, 3], bins=[0, 2, 4], percent=True)
    assert [r["count"] for r in shares.rows] == pytest.approx([2 / 3, 1 / 3])
    binned = charts.histogram(
        binned=[{"lo": 0, "hi": 10, "n": 7}, {"lo": 10, "hi": 20, "n": 2}],
        start="lo",
        end="hi",
        count="n",
    )
    spec = charts.vega_lite(binned)
    assert spec["encoding"]["x"]["bin"] == {"binned": True}
    assert spec["encoding"]["x2"]["field"] == "hi"
    assert [r["n"] for r in spec["data"]["values"]] == [7, 2]


def test_heatmap_colours_cells_by_value_and_prints_it() -> None:
    rows = [{"a": "甲", "b": "乙", "v": 0.2}, {"a": "甲", "b": "丙", "v": 0.8}]
    spec = charts.vega_lite(charts.heatmap(rows, x="a", y="b", value="v", percent=True))
    cells, values = spec["layer"]
    assert cells["encoding"]["color"]["field"] == "v"
    assert values["encoding"]["text"]["format"] == ".1~%"
    # white text on the dark half of the scale
    assert values["encoding"]["color"]["condition"]["test"] == 'datum["v"] > 0.5'
    assert "80%" in svg_texts(
        charts.to_svg(charts.heatmap(rows, x="a", y="b", value="v", percent=True))
    )


def test_scatter_labels_points() -> None:
    rows = [{"x": 1, "y": 2, "名": "甲"}, {"x": 2, "y": 3, "名": "乙"}]
    spec = charts.vega_lite(charts.scatter(rows, x="x", y="y", label="名"))
    points, labels = spec["layer"]
    assert points["mark"]["type"] == "point"
    assert labels["encoding"]["text"]["field"] == "名"


# -- the KANO Better-Worse diagram ---------------------------------------------------------


@pytest.mark.parametrize(
    ("better", "worse", "quadrant"),
    [
        (0.7, -0.2, "attractive"),
        (0.7, -0.7, "one_dimensional"),
        (0.2, -0.8, "must_be"),
        (0.3, -0.25, "indifferent"),
        (0.5, -0.5, "one_dimensional"),  # on the lines: high
        (0.49, 0.8, "must_be"),  # |Worse| may be given
    ],
)
def test_kano_quadrants(better: float, worse: float, quadrant: str) -> None:
    assert charts.kano_quadrant(better, worse) == quadrant


def test_better_worse_names_quadrants_in_the_language_asked() -> None:
    zh = charts.better_worse(KANO)
    assert [r["quadrant"] for r in zh.rows] == ["期望", "魅力", "必备", "无差异"]
    en = charts.better_worse(KANO, lang="en")
    assert [r["quadrant"] for r in en.rows] == [
        "One-dimensional",
        "Attractive",
        "Must-be",
        "Indifferent",
    ]
    assert "Must-be" in svg_texts(charts.to_svg(en))
    legend = charts.vega_lite(zh)["layer"][-1]["encoding"]["color"]
    assert legend["title"] == "象限" and legend["scale"]["domain"] == [
        "魅力",
        "期望",
        "必备",
        "无差异",
    ]
    by_category = charts.better_worse([{**r, "类": "O"} for r in KANO], category="类", lang="en")
    assert charts.vega_lite(by_category)["layer"][-1]["encoding"]["color"]["title"] == "Category"
    moved = charts.better_worse(KANO, lines=(0.75, 0.65))
    assert [r["quadrant"] for r in moved.rows] == ["无差异", "魅力", "必备", "无差异"]


def test_better_worse_spec_plots_absolute_worse_against_better() -> None:
    spec = charts.vega_lite(charts.better_worse(KANO))
    features = spec["layer"][-1]
    assert features["transform"] == [{"calculate": 'abs(datum["worse"])', "as": "__abs_worse"}]
    assert features["encoding"]["x"]["field"] == "__abs_worse"
    assert features["encoding"]["y"]["field"] == "better"
    assert features["encoding"]["x"]["scale"]["domain"] == [0, 1]
    rules = [
        layer["encoding"] for layer in spec["layer"] if layer.get("mark", {}).get("type") == "rule"
    ]
    assert rules == [
        {"x": {"datum": 0.5, "type": "quantitative", "scale": {"domain": [0, 1], "nice": False}}},
        {"y": {"datum": 0.5, "type": "quantitative", "scale": {"domain": [0, 1], "nice": False}}},
    ]
    assert [r["worse"] for r in spec["data"]["values"]] == [-0.71, -0.2, -0.8, -0.25]


def test_better_worse_checks_its_coefficients() -> None:
    with pytest.raises(DataError, match=r'worse field "worse" must not be above 0; row 1 has 0\.3'):
        charts.better_worse([{"feature": "甲", "better": 0.5, "worse": 0.3}])
    with pytest.raises(DataError, match="must not be above 1"):
        charts.better_worse([{"feature": "甲", "better": 1.5, "worse": -0.3}])
    with pytest.raises(UsageError, match="quadrant lines"):
        charts.better_worse(KANO, lines=(0.5, 1.0))


# -- the Sankey diagram --------------------------------------------------------------------


def test_sankey_band_widths_are_proportional_to_the_flows() -> None:
    chart = charts.sankey(MIGRATION, source="上期", target="本期", value="人数")
    plan = sankey_layout(chart)
    assert plan.scale > 0
    for band in plan.bands:
        assert band.width == pytest.approx(band.value * plan.scale)
    # the drawn bands: stroke width over value is one constant
    root = ET.fromstring(charts.to_svg(chart))
    ns = "{http://www.w3.org/2000/svg}"
    drawn = {}
    for path in root.iter(f"{ns}path"):
        if path.get("class") == "hx-band":
            tip = path.find(f"{ns}title")
            assert tip is not None and tip.text is not None
            flow = re.match(r"(.+) → (.+): ([\d,]+)", tip.text)
            assert flow is not None
            drawn[(flow[1], flow[2])] = (
                float(path.get("stroke-width", "0")),
                int(flow[3].replace(",", "")),
            )
    assert len(drawn) == len(MIGRATION)
    ratios = [width / value for width, value in drawn.values()]
    assert max(ratios) == pytest.approx(min(ratios), rel=0.02)
    assert drawn[("高价值", "高价值")][1] == 900


def test_sankey_nodes_are_as_tall_as_their_flows_and_keep_names_aligned() -> None:
    chart = charts.sankey(MIGRATION, source="上期", target="本期", value="人数")
    plan = sankey_layout(chart)
    nodes = {(n.column, n.name): n for n in plan.nodes}
    assert nodes[(0, "高价值")].value == 1200
    assert nodes[(1, "高价值")].value == 1050
    assert nodes[(1, "沉睡")].value == 350
    for node in plan.nodes:
        assert node.height == pytest.approx(node.value * plan.scale)
    # a name on both sides keeps its place and its colour
    left = [n.name for n in plan.nodes if n.column == 0]
    right = [n.name for n in plan.nodes if n.column == 1]
    assert left == ["高价值", "潜力"] and right == ["高价值", "潜力", "沉睡"]
    assert nodes[(0, "潜力")].color == nodes[(1, "潜力")].color
    assert all(n.y >= 0 and n.y + n.height <= chart.height for n in plan.nodes)


def test_sankey_tooltips_and_several_steps() -> None:
    rows = [
        {"a": "甲", "b": "乙", "s": 0, "v": 10},
        {"a": "乙", "b": "丙", "s": 1, "v": 4},
        {"a": "乙", "b": "丁", "s": 1, "v": 6},
    ]
    chart = charts.sankey(rows, source="a", target="b", value="v", step="s")
    plan = sankey_layout(chart)
    assert sorted({n.column for n in plan.nodes}) == [0, 1, 2]
    svg = charts.to_svg(chart)
    assert "<title>乙 → 丁: 6（占乙的 60%）</title>" in svg
    assert "<title>甲: 10</title>" in svg
    en = charts.sankey(rows, source="a", target="b", value="v", step="s", lang="en")
    assert "乙 → 丁: 6 (60% of 乙)" in charts.to_svg(en)
    assert charts.to_svg(chart) == charts.to_svg(chart)  # deterministic


def test_sankey_labels_never_overlap() -> None:
    rows = [{"a": f"源{i}", "b": f"汇{i % 3}", "v": i + 1} for i in range(30)]
    chart = charts.sankey(rows, source="a", target="b", value="v", height=300)
    root = ET.fromstring(charts.to_svg(chart))
    ns = "{http://www.w3.org/2000/svg}"
    columns: dict[str, list[float]] = {}
    for text in root.iter(f"{ns}text"):
        if text.get("text-anchor"):
            columns.setdefault(text.get("x", ""), []).append(float(text.get("y", "0")))
    assert len(columns) == 2
    for lines in columns.values():
        lines.sort()
        assert all(b - a >= 12 for a, b in itertools.pairwise(lines))
    assert len(columns[min(columns, key=float)]) < 30  # some small nodes go without
    assert svg_texts(charts.to_svg(chart)).count("源29") == 1  # the largest keep theirs


def test_sankey_checks_its_flows() -> None:
    with pytest.raises(DataError, match="must not be below 0"):
        charts.sankey([{"a": "甲", "b": "乙", "v": -1}], source="a", target="b", value="v")
    with pytest.raises(DataError, match="every flow is 0"):
        charts.sankey([{"a": "甲", "b": "乙", "v": 0}], source="a", target="b", value="v")
    with pytest.raises(DataError, match="whole numbers"):
        charts.sankey(
            [{"a": "甲", "b": "乙", "v": 1, "s": 0.5}], source="a", target="b", value="v", step="s"
        )


# -- the word cloud ------------------------------------------------------------------------


def test_wordcloud_is_deterministic_for_a_seed() -> None:
    first = charts.wordcloud(WORDS, seed=7)
    svg = charts.to_svg(first)
    png = charts.to_png(first, scale=1)
    cloud_layout.cache_clear()
    again = charts.wordcloud(dict(reversed(list(WORDS.items()))), seed=7)
    assert charts.to_svg(again) == svg
    assert charts.to_png(again, scale=1) == png
    other = charts.wordcloud(WORDS, seed=8)
    assert [(w.x, w.y) for w in cloud_layout(other)] != [(w.x, w.y) for w in cloud_layout(first)]


def test_wordcloud_sizes_follow_weights_and_words_do_not_overlap() -> None:
    chart = charts.wordcloud(WORDS, seed=1)
    words = cloud_layout(chart)
    assert words[0].text == "物流慢"
    sizes = [w.size for w in words]
    assert sizes == sorted(sizes, reverse=True)
    assert {w.text for w in words} == set(WORDS)
    # no pixel is inked by two words (words may nest in each other's empty corners)
    from PIL import Image, ImageDraw, ImageFont

    font = charts.cjk_font()
    inked = np.zeros((chart.height, chart.width), dtype=int)
    for w in words:
        mask = Image.new("1", (chart.width, chart.height))
        face = ImageFont.truetype(str(font.path), w.size, index=font.index)
        ImageDraw.Draw(mask).text((w.x, w.y), w.text, fill=1, font=face, anchor="la")
        inked += np.asarray(mask, dtype=int)
    assert inked.max() == 1


def test_wordcloud_svg_escapes_words_and_styles_nothing_else() -> None:
    svg = charts.to_svg(charts.wordcloud({"<b>&物流": 3, "客服": 2}))
    assert "<b>&物流" in svg_texts(svg)
    assert "<style" not in svg  # a page-wide style would restyle the other charts


def test_wordcloud_checks_its_weights() -> None:
    with pytest.raises(DataError, match="every weight is 0"):
        charts.wordcloud({"甲": 0})
    with pytest.raises(DataError, match="no words"):
        charts.wordcloud({})
    with pytest.raises(DataError, match="must hold numbers"):
        charts.wordcloud({"甲": "many"})
    with pytest.raises(UsageError, match="too small"):
        charts.to_svg(charts.wordcloud(WORDS, width=30, height=20))


# -- checks --------------------------------------------------------------------------------


def test_unknown_field_names_the_fields_there_are() -> None:
    with pytest.raises(UsageError) as caught:
        charts.bar(SEGMENTS, x="分群", y="人", title="各分群人数")
    message = str(caught.value)
    assert "chart \"各分群人数\": no field '人' (given as y)" in message
    assert "'分群', '人数', '占比'" in message
    assert "did you mean '人数'?" in message


def test_bad_inputs_give_clear_errors() -> None:
    with pytest.raises(DataError, match=r"pie chart: value field \"人数\" must not be below 0"):
        charts.pie([{"分群": "甲", "人数": -3}], category="分群", value="人数")
    with pytest.raises(DataError, match="every value is 0"):
        charts.pie([{"分群": "甲", "人数": 0}], category="分群", value="人数")
    with pytest.raises(DataError, match='chart "空" has no rows to draw'):
        charts.bar([], x="a", y="b", title="空")
    with pytest.raises(DataError, match="must hold numbers; row 2 has 'n/a'"):
        charts.bar([{"a": "甲", "b": 1}, {"a": "乙", "b": "n/a"}], x="a", y="b")
    with pytest.raises(UsageError, match="rows must be a list of dicts"):
        charts.bar("a,b", x="a", y="b")
    with pytest.raises(UsageError, match='sort must be "input"'):
        charts.bar(SEGMENTS, x="分群", y="人数", sort="biggest")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="either values or binned"):
        charts.histogram()
    with pytest.raises(UsageError, match="bin edges must increase"):
        charts.histogram([1, 2], bins=[3, 1])
    with pytest.raises(UsageError, match="width and height"):
        charts.bar(SEGMENTS, x="分群", y="人数", width=0)
    with pytest.raises(UsageError, match="lang"):
        charts.bar(SEGMENTS, x="分群", y="人数", lang="fr")  # type: ignore[arg-type]


def test_rows_become_plain_json_values() -> None:
    frame = pd.DataFrame(
        {
            "名": ["甲", "乙", "丙"],
            "数": [np.int64(3), np.int64(4), np.int64(5)],
            "额": [Decimal("1.5"), float("nan"), 2.0],
            "日": pd.to_datetime(["2026-01-01", None, "2026-01-03"]),
        }
    )
    chart = charts.bar(frame, x="名", y="数")
    assert chart.rows[0] == {"名": "甲", "数": 3, "额": 1.5, "日": "2026-01-01T00:00:00"}
    assert chart.rows[1]["额"] is None and chart.rows[1]["日"] is None
    assert type(chart.rows[0]["数"]) is int
    json.dumps(charts.vega_lite(chart))


def test_number_text_matches_the_vega_formats() -> None:
    assert number_text(1234.5) == "1,234.5"
    assert number_text(1234.0) == "1,234"
    assert number_text(0.125, percent=True) == "12.5%"
    assert number_text(0.5, percent=True) == "50%"


# -- HTML ----------------------------------------------------------------------------------

INERT_URLS = {
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/2000/xmlns/",
    "https://github.com/vega/vega-lite/issues/2415",
    "https://vega.github.io/editor/",
    "https://vega.github.io/schema/vega/v5.json",
}
OFF_MACHINE = re.compile(r"""(?:src|href|action|srcset)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_html_fragments_load_nothing(kind: str) -> None:
    chart, _ = EXAMPLES[kind]()
    html = charts.to_html(chart, f"chart-{kind}")
    assert f'id="chart-{kind}"' in html
    assert not OFF_MACHINE.search(html)
    assert "url(" not in html and "@import" not in html
    # the only web address is the SVG namespace, which names and loads nothing
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {"http://www.w3.org/2000/svg"}


def test_vega_html_fragment_carries_its_spec_as_inert_json() -> None:
    rows = [{"分群": "</script><script>alert(1)</script>", "人数": 3}]
    html = charts.to_html(charts.bar(rows, x="分群", y="人数", title="a & b"), "sizes")
    assert html.count("</script>") == 1  # the JSON cannot end its element early
    match = re.search(r'<script type="application/json" id="sizes-spec">(.*)</script>', html, re.S)
    assert match is not None
    payload = json.loads(match[1])
    assert payload["spec"]["data"]["values"] == rows
    assert "$schema" not in payload["spec"]
    assert 'data-hx-chart="vega-lite"' in html and 'aria-label="a &amp; b"' in html


def test_html_element_ids_are_checked() -> None:
    chart, _ = EXAMPLES["bar"]()
    with pytest.raises(UsageError, match="element id"):
        charts.to_html(chart, 'x" onload="alert(1)')


def test_runtime_is_one_offline_script() -> None:
    script = charts.html_runtime()
    assert script.startswith("<script>") and script.endswith("</script>")
    assert script.count("</script") == 1 and script.lower().count("<script") == 1
    assert "window.vegaEmbed" in script
    assert "actions: false" in script  # no menu linking to the online editor
    assert not OFF_MACHINE.search(script)
    # web addresses only as inert text: XML namespaces, the schema's name, a warning's link and
    # the editor link of the action menu, which is off
    assert set(re.findall(r"https?://[^\s\"'<>)]+", script)) <= INERT_URLS


def test_script_safe_neutralises_closing_tags() -> None:
    code = 'var a = "</script><!-- x"; var b = "</SCRIPT>";'
    safe = runtime.script_safe(code)
    assert "</script" not in safe.lower() and "<!--" not in safe
    assert safe == 'var a = "<\\/script><\\!-- x"; var b = "<\\/SCRIPT>";'


def test_bundle_is_read_from_the_cache_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = runtime._cache_file()
    assert cached is not None and cached.is_relative_to(tmp_path)
    runtime._write(cached, "/* cached */ window.vegaEmbed = function () {};")
    assert list(cached.parent.iterdir()) == [cached]  # no temporary file left behind
    runtime.vega_bundle.cache_clear()
    try:
        assert runtime.vega_bundle().startswith("/* cached */")
    finally:
        runtime.vega_bundle.cache_clear()


# -- fonts ---------------------------------------------------------------------------------


def test_the_cjk_font_is_found() -> None:
    font = charts.cjk_font()
    assert font.path.is_file()
    from PIL import ImageFont

    family = ImageFont.truetype(str(font.path), 12, index=font.index).getname()[0]
    assert family and ("CJK SC" in family or "Hei" in family)


def test_a_missing_font_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    monkeypatch.setattr(fonts, "_from_fontconfig", lambda: None)
    monkeypatch.setattr(fonts, "KNOWN_FONT_FILES", ("/nonexistent/font.ttc",))
    fonts.cjk_font.cache_clear()
    render._raster_font.cache_clear()
    try:
        with pytest.raises(UsageError) as caught:
            fonts.cjk_font()
        with pytest.raises(UsageError, match="no Chinese"):  # raster text needs the font
            charts.to_png(EXAMPLES["bar"]()[0])
        charts.to_svg(EXAMPLES["bar"]()[0])  # vector text names the family only
    finally:
        fonts.cjk_font.cache_clear()
        render._raster_font.cache_clear()
    assert "fonts-noto-cjk" in str(caught.value)


def test_the_font_override_must_be_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fonts.FONT_ENV, "/nonexistent/font.ttf")
    fonts.cjk_font.cache_clear()
    try:
        with pytest.raises(UsageError, match="not a font file"):
            fonts.cjk_font()
    finally:
        fonts.cjk_font.cache_clear()
