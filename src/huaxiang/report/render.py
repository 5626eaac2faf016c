"""The analysis report as one HTML document: interactive (a self-contained file that opens
offline, charts drawn by the bundled Vega runtime) or print (static SVG charts and paged-media
CSS for WeasyPrint: page numbers, a table of contents with page numbers, PDF bookmarks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from huaxiang.definitions.models import Text
from huaxiang.personas.render import pick as pick_text_of
from huaxiang.report.definition import DIRECTION_NAMES, ReportDefinition
from huaxiang.report.findings import Conclusion

Mode = Literal["html", "print"]
Lang = Literal["zh", "en"]

SECTIONS = (
    ("summary", "摘要", "Summary"),
    ("goal", "分析目标与数据来源", "Goal and data sources"),
    ("quality", "数据质量", "Data quality"),
    ("personas", "客户画像", "Personas"),
    ("segments", "细分结果", "Segments"),
    ("needs", "需求与痛点", "Needs and pain points"),
    ("kano", "KANO 需求优先级", "KANO priorities"),
    ("competitors", "竞品对比", "Competitors"),
    ("value", "客户价值", "Customer value"),
    ("migration", "客群迁移", "Migration"),
    ("strategies", "结论与策略", "Conclusions and strategies"),
)
KANO_NAMES = {
    "M": ("基本型（必备）", "Must-be"),
    "O": ("期望型（一维）", "One-dimensional"),
    "A": ("魅力型（兴奋）", "Attractive"),
    "I": ("无差异型", "Indifferent"),
    "R": ("反向型", "Reverse"),
    "Q": ("可疑结果", "Questionable"),
}


@dataclass(frozen=True)
class Figure:
    """One chart of the report in its two forms."""

    title: str
    html: str  # interactive fragment (needs the page's runtime script)
    svg: str  # static vector drawing


@dataclass
class Report:
    lang: Lang
    data: dict[str, Any]
    definition: ReportDefinition
    conclusions: list[Conclusion]
    summary: str
    figures: dict[str, Figure] = field(default_factory=dict)
    runtime: str = ""  # the script that draws the interactive charts (html mode)

    @property
    def title(self) -> str:
        if self.definition.title and self.definition.title.get(self.lang):
            return str(self.definition.title.get(self.lang))
        return "客户分析报告" if self.lang == "zh" else "Customer analysis report"


def _template() -> tuple[str, str]:
    folder = resources.files("huaxiang.report") / "templates"
    return (
        (folder / "report.html").read_text(encoding="utf-8"),
        (folder / "report.css").read_text(encoding="utf-8"),
    )


def render_html(report: Report, mode: Mode = "html") -> str:
    zh = report.lang == "zh"
    lang = report.lang
    source, css = _template()
    env = Environment(autoescape=select_autoescape(["html"]))
    template = env.from_string(source)
    cards = {c["id"]: c for c in report.data.get("personas") or []}

    def t(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    def pick(value: Any) -> str:
        return pick_text_of(value, lang) if isinstance(value, dict) or value is None else str(value)

    def pick_text(value: Text | None) -> str:
        return (value.get(lang) or "") if value is not None else ""

    def fig(name: str) -> Markup:
        figure = report.figures.get(name)
        if figure is None:
            return Markup("")
        body = figure.html if mode == "html" else figure.svg
        return Markup(f'<figure class="chart" data-chart="{name}">{body}</figure>')

    def features_of(segment: str) -> str:
        card = cards.get(segment)
        if not card:
            return ""
        return "；".join(
            f"{pick(f['tag_name'])}={pick(f['value_name'])}" for f in card["core_features"][:3]
        )

    def budget(value: float | str | None) -> str:
        if value is None:
            return ""
        return f"¥{value:,.0f}" if isinstance(value, (int, float)) else str(value)

    def n(value: Any) -> str:
        return "—" if value is None else f"{value:,}"

    def p(value: Any) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    def money(value: Any) -> str:
        return "—" if value is None else f"¥{value:,.0f}"

    names = {k: t(z, e) for k, z, e in SECTIONS}
    return template.render(
        zh=zh,
        lang=lang,
        mode=mode,
        css=Markup(css),
        title=report.title,
        meta=report.data.get("meta", {}),
        sections=[(k, names[k]) for k, _, _ in SECTIONS],
        section_name=names.__getitem__,
        summary=report.summary,
        goal=pick_text(report.definition.goal),
        hypotheses=[pick_text(h) for h in report.definition.hypotheses],
        sources=report.data.get("sources") or [],
        quality=report.data.get("quality"),
        survey=report.data.get("survey"),
        personas=report.data.get("personas") or [],
        segments=report.data.get("segments"),
        pain=report.data.get("pain"),
        kano=report.data.get("kano"),
        competitors=report.data.get("competitors") or [],
        value=report.data.get("value") or {},
        migration=report.data.get("migration") or [],
        conclusions=report.conclusions,
        strategies=report.definition.strategies,
        runtime=Markup(report.runtime if mode == "html" else ""),
        t=t,
        pick=pick,
        pick_text=pick_text,
        fig=fig,
        features_of=features_of,
        budget=budget,
        direction=lambda d: t(*DIRECTION_NAMES[d]),
        kano_name=lambda c: t(*KANO_NAMES.get(c, (c, c))),
        n=n,
        p=p,
        money=money,
    )
