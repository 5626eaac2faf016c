"""The report's charts, drawn from its numbers through the one chart layer (huaxiang.charts):
each as an interactive fragment for the HTML file and as an SVG for the PDF."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from huaxiang import charts
from huaxiang.charts import Chart
from huaxiang.personas.render import pick
from huaxiang.report.render import KANO_NAMES, Figure, Lang, Report

MAX_BARS = 12  # categories in one bar chart: more is a table's job


def build_figures(report: Report, *, interactive: bool) -> tuple[dict[str, Figure], str]:
    """Every chart the data supports, and the page's chart runtime (interactive only)."""
    figures: dict[str, Figure] = {}
    for name, chart in report_charts(report).items():
        html = charts.to_html(chart, f"chart-{name}") if interactive else ""
        svg = "" if interactive else charts.to_svg(chart)
        figures[name] = Figure(chart.title, html, svg)
    return figures, charts.html_runtime() if interactive and figures else ""


def chart_images(report: Report, scale: float = 2.0) -> list[tuple[str, bytes]]:
    """The report's charts as PNG (title, bytes), for the workbook."""
    return [(chart.title, charts.to_png(chart, scale)) for chart in report_charts(report).values()]


def report_charts(report: Report) -> dict[str, Chart]:
    """The charts the report's data support, by name, in the order of the report."""
    lang = report.lang
    zh = lang == "zh"

    def t(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    makers: dict[str, Callable[[], Chart | None]] = {
        "quality": lambda: _quality(report, t),
        "segment_shares": lambda: _segment_shares(report, t),
        "segment_overlap": lambda: _overlap(report, t),
        "pain_themes": lambda: _pain(report, t),
        "pain_by_segment": lambda: _pain_by_segment(report, t),
        "keywords_cloud": lambda: _cloud(report, t),
    }
    survey = report.data.get("survey") or {}
    for i, question in enumerate(survey.get("questions") or [], 1):
        makers[f"survey_{i}"] = partial(_question, question, report.lang)
    makers |= {
        "better_worse": lambda: _kano(report, t),
        "competitors": lambda: _competitors(report, t),
        "rfm_mix": lambda: _rfm(report, t),
        "ltv": lambda: _value_histogram(report, "ltv", t("历史消费额分布", "Lifetime spend"), t),
        "clv": lambda: _value_histogram(
            report, "clv", t("未来12个月预测价值分布", "Predicted 12-month value"), t
        ),
    }
    for i, flow in enumerate(report.data.get("migration") or [], 1):
        makers[f"migration_{i}"] = partial(_migration, flow, report.lang, t)
    out: dict[str, Chart] = {}
    for name, make in makers.items():
        chart = make()
        if chart is not None:
            out[name] = chart
    return out


Translate = Callable[[str, str], str]


def _quality(report: Report, t: Translate) -> Chart | None:
    quality = report.data.get("quality")
    if not quality or not quality.get("tables"):
        return None
    rows = [
        {"table": table, "what": t(*label), "rows": counts[key]}
        for table, counts in quality["tables"].items()
        for key, label in (
            ("accepted", ("接受", "accepted")),
            ("merged", ("合并", "merged")),
            ("quarantined", ("隔离", "quarantined")),
        )
    ]
    return charts.stacked_bar(
        rows,
        x="table",
        y="rows",
        color="what",
        horizontal=True,
        title=t("各表读入行的去向", "Where each table's rows went"),
        x_title=t("表", "table"),
        y_title=t("行数", "rows"),
        color_title="",
        lang=report.lang,
    )


def _segment_shares(report: Report, t: Translate) -> Chart | None:
    segments = report.data.get("segments")
    if not segments or not segments.get("rows"):
        return None
    rows = [
        {"segment": s["name"], "share": s["share"], "group": s.get("group") or "—"}
        for s in segments["rows"]
    ]
    return charts.bar(
        rows,
        x="segment",
        y="share",
        color="group",
        horizontal=True,
        percent=True,
        title=t("各客群占全部客户的比例", "Share of customers per segment"),
        x_title="",
        y_title=t("占比", "share"),
        color_title=t("分组", "group"),
        lang=report.lang,
    )


def _overlap(report: Report, t: Translate) -> Chart | None:
    segments = report.data.get("segments") or {}
    overlaps = segments.get("overlaps") or []
    if not overlaps:
        return None
    names = {s["id"]: s["name"] for s in segments.get("rows", [])}
    rows = []
    for o in overlaps[:60]:
        a, b = names.get(o["a"], o["a"]), names.get(o["b"], o["b"])
        rows.append({"a": a, "b": b, "jaccard": o["jaccard"]})
    return charts.heatmap(
        rows,
        x="a",
        y="b",
        value="jaccard",
        title=t("客群重叠（Jaccard）", "Segment overlap (Jaccard)"),
        lang=report.lang,
    )


def _pain(report: Report, t: Translate) -> Chart | None:
    pain = report.data.get("pain")
    if not pain or not pain.get("themes"):
        return None
    rows = [
        {"theme": pick(th["name"], report.lang), "share": th["share"]}
        for th in pain["themes"][:MAX_BARS]
    ]
    return charts.bar(
        rows,
        x="theme",
        y="share",
        horizontal=True,
        percent=True,
        show_values=True,
        title=t("痛点主题：提到的反馈客户占比", "Pain points: share of customers with feedback"),
        x_title="",
        y_title=t("客户占比", "share of customers"),
        lang=report.lang,
    )


def _pain_by_segment(report: Report, t: Translate) -> Chart | None:
    pain = report.data.get("pain") or {}
    rows = [
        {"segment": r["segment_name"], "theme": pick(r["name"], report.lang), "share": r["share"]}
        for r in pain.get("by_segment") or []
    ]
    if not rows:
        return None
    return charts.bar(
        rows,
        x="segment",
        y="share",
        color="theme",
        horizontal=True,
        percent=True,
        title=t("各客群的主要痛点", "Main pain points per segment"),
        x_title="",
        y_title=t("客户占比", "share of customers"),
        color_title=t("主题", "theme"),
        lang=report.lang,
    )


def _cloud(report: Report, t: Translate) -> Chart | None:
    pain = report.data.get("pain") or {}
    weights = pain.get("keywords") or {}
    if not weights:
        return None
    return charts.wordcloud(
        weights, title=t("反馈高频关键词", "Frequent feedback keywords"), lang=report.lang
    )


def _kano(report: Report, t: Translate) -> Chart | None:
    kano = report.data.get("kano") or {}
    features = kano.get("features") or []
    if not features:
        return None
    rows = [
        {
            "feature": pick(f.get("name"), report.lang) or f["feature"],
            "better": f["better"],
            "worse": f["worse"],
            "category": t(*KANO_NAMES[f["category"]]),
        }
        for f in features
    ]
    return charts.better_worse(
        rows,
        category="category",
        color_title=t("类别", "Category"),
        title=t("KANO Better-Worse 矩阵", "KANO Better-Worse diagram"),
        lang=report.lang,
    )


def _competitors(report: Report, t: Translate) -> Chart | None:
    rows = [
        {"brand": c["brand"], "mean": c["mean"]}
        for c in report.data.get("competitors") or []
        if c.get("mean") is not None
    ]
    if not rows:
        return None
    return charts.bar(
        rows,
        x="brand",
        y="mean",
        show_values=True,
        title=t("品牌评分对比（1-5分）", "Brand ratings (1-5)"),
        x_title="",
        y_title=t("均分", "mean rating"),
        lang=report.lang,
    )


def _rfm(report: Report, t: Translate) -> Chart | None:
    rfm = (report.data.get("value") or {}).get("rfm") or []
    if not rfm:
        return None
    return charts.donut(
        rfm,
        category="name",
        value="customers",
        title=t("RFM 客户构成", "RFM mix"),
        color_title=t("RFM 八类客户", "RFM group"),
        lang=report.lang,
    )


def _value_histogram(report: Report, key: str, title: str, t: Translate) -> Chart | None:
    dist = (report.data.get("value") or {}).get(key)
    if not dist:
        return None
    return charts.histogram(
        binned=dist["bins"],
        start="from",
        end="to",
        count="customers",
        title=title,
        x_title=t("金额（元，最后一组含更高者）", "yuan (last bin: and above)"),
        y_title=t("客户数", "customers"),
        lang=report.lang,
    )


def _question(question: dict[str, Any], lang: Lang) -> Chart | None:
    answers = question.get("answers") or []
    if not answers:
        return None
    rows = [{"answer": a["label"], "share": a["share"]} for a in answers[:MAX_BARS]]
    return charts.bar(
        rows,
        x="answer",
        y="share",
        horizontal=True,
        percent=True,
        show_values=True,
        title=question["title"],
        x_title="",
        y_title="",
        lang=lang,
    )


def _migration(flow: dict[str, Any], lang: Lang, t: Translate) -> Chart | None:
    rows = [
        {"from": f["from"], "to": f["to"], "customers": f["customers"]}
        for f in flow.get("flows") or []
        if f["customers"]
    ]
    if not rows:
        return None
    return charts.sankey(
        rows,
        source="from",
        target="to",
        value="customers",
        title=t(f"{flow['group']}：上次构建 → 本次构建", f"{flow['group']}: previous → latest"),
        lang=lang,
    )
