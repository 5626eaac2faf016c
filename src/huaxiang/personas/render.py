"""Persona cards for people: one self-contained HTML page (zh or en) and a terminal panel.

The page has its CSS inline and requests nothing (no CDN, no font, no script), so it opens
offline and can be mailed. Every text goes through Jinja2's autoescape. Numbers are formatted
here only (¥1,500, 60%, ×1.85), and so is the card's headline sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, select_autoescape
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text as RichText

if TYPE_CHECKING:
    from huaxiang.personas.card import PersonaCard


def money(value: float | None) -> str:
    return "-" if value is None else f"¥{value:,.0f}"


def percent(value: float | None) -> str:
    """60%; one decimal below 10% (3.4%), where a rounded 3% would hide differences."""
    if value is None:
        return "-"
    return f"{value:.0%}" if value == 0 or abs(value) >= 0.1 else f"{value:.1%}"


def lift(value: float | None) -> str:
    return "-" if value is None else f"×{value:.2f}"


def number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def pick(text: dict[str, Any] | None, lang: str) -> str:
    """A bilingual text in ``lang`` (the other language if that one is missing)."""
    if not text:
        return ""
    first, second = ("zh", "en") if lang.startswith("zh") else ("en", "zh")
    return str(text.get(first) or text.get(second) or "")


# the value block: key, zh, en, formatter
VALUE_ROWS: tuple[tuple[str, str, str, Callable[[float | None], str]], ...] = (
    ("ltv", "历史LTV", "Historic LTV", money),
    ("aov", "客单价", "Average order value", money),
    ("repurchase_rate", "复购率", "Repurchase rate", percent),
    ("p_alive", "存活概率", "Probability alive", percent),
    ("clv_12m", "未来12个月CLV", "CLV, next 12 months", money),
)
KIND = {"segment": ("分群", "segment"), "cluster": ("聚类", "cluster")}


# -- the headline ------------------------------------------------------------------------------
HEADLINE_LIFT = 1.1  # a basic trait weaker than this is noise, not a description
_SLOT = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def _slot(value: str) -> str:
    """'20-22' -> '20:00-22:00' (the catalog's time slots are hour ranges)."""
    m = _SLOT.match(value)
    return f"{int(m.group(1)):02d}:00-{int(m.group(2)):02d}:00" if m else value


def _top_value(habits: dict[str, Any], tag: str) -> dict[str, str] | None:
    values = habits.get(tag, {}).get("values", [])
    return values[0]["value_name"] if values else None


def headline(
    features: list[dict[str, Any]], habits: dict[str, Any], value: dict[str, Any]
) -> dict[str, str]:
    """One sentence from a card's figures: who they are (the basic tags standing out, else the
    strongest others; ``features`` ranked by lift), what they buy, where, when, how much."""
    basic = [f for f in features if f["layer"] == "basic" and f["lift"] >= HEADLINE_LIFT]
    basic.sort(key=lambda f: f["share"] < 0.5)  # traits most members share first, then by lift
    traits = (basic or [f for f in features if f["tag"] not in habits])[:3]
    zh: list[str] = []
    en: list[str] = []
    if traits:
        # "为主" (mostly) only when every trait holds for most members; else "偏多" (more often)
        most = all(t["share"] >= 0.5 for t in traits)
        zh.append(
            "、".join(f"{t['tag_name']['zh']}{t['value_name']['zh']}" for t in traits)
            + ("为主" if most else "偏多")
        )
        en.append(
            ("Mostly: " if most else "More often: ")
            + ", ".join(f"{t['tag_name']['en']} {t['value_name']['en']}" for t in traits)
        )
    if category := _top_value(habits, "category_preference"):
        zh.append(f"偏好{category['zh']}")
        en.append(f"prefers {category['en']}")
    if channel := _top_value(habits, "channel_preference"):
        zh.append(f"多在{channel['zh']}下单")
        en.append(f"orders via {channel['en']}")
    if slot := _top_value(habits, "active_time_slot"):
        zh.append(f"{_slot(slot['zh'])}活跃")
        en.append(f"active {_slot(slot['en'])}")
    aov = value.get("aov", {}).get("mean")
    if aov is not None:
        zh.append(f"客单价 {money(aov)}")
        en.append(f"AOV {money(aov)}")
    return {"zh": "；".join(zh), "en": "; ".join(en)}


# -- pages ---------------------------------------------------------------------------------------
def _translator(lang: str) -> Callable[[str, str], str]:
    zh = lang.startswith("zh")
    return lambda zh_text, en_text: zh_text if zh else en_text


def goal_text(goal: dict[str, Any] | None, lang: str) -> str:
    """'复购率 → 0.3（截至 2026-12-31）' / 'repurchase_rate → 0.3 (by 2026-12-31)'."""
    if not goal:
        return ""
    t = _translator(lang)
    text = f"{goal.get('metric')} → {goal.get('target')}"
    if goal.get("deadline"):
        text += t(f"（截至 {goal['deadline']}）", f" (by {goal['deadline']})")
    description = pick(goal.get("description"), lang)
    return f"{text} · {description}" if description else text


def render_html(cards: list[PersonaCard], lang: str) -> str:
    """One self-contained page with every card, labels in ``lang`` ("zh" / "zh-CN" or "en")."""
    env = Environment(autoescape=select_autoescape(["html"]))
    template = resources.files("huaxiang.personas").joinpath("templates/persona.html")
    zh = lang.startswith("zh")
    return env.from_string(template.read_text("utf-8")).render(
        cards=[c.as_dict() for c in cards],
        zh=zh,
        t=_translator(lang),
        l=lambda text: pick(text, lang),
        money=money,
        percent=percent,
        lift=lift,
        number=number,
        goal=lambda g: goal_text(g, lang),
        kind=lambda k: KIND.get(k, (k, k))[0 if zh else 1],
        value_rows=VALUE_ROWS,
    )


def card_renderable(card: PersonaCard, lang: str) -> RenderableType:
    """The card as a Rich panel for the terminal."""
    t = _translator(lang)
    kind = KIND.get(card.kind, (card.kind, card.kind))[0 if lang.startswith("zh") else 1]
    parts: list[RenderableType] = [
        RichText(pick(card.headline, lang), style="bold"),
        RichText(t("价值评估：", "Value: ") + pick(card.value_label, lang), style="cyan"),
    ]
    if card.core_features:
        table = Table(title=t("核心特征", "Core features"), title_justify="left", expand=False)
        for header in (t("特征", "Feature"), t("群体占比", "In group"), t("总体占比", "Overall")):
            table.add_column(header)
        table.add_column(t("提升度", "Lift"), justify="right")
        for f in card.core_features:
            table.add_row(
                f"{pick(f['tag_name'], lang)}: {pick(f['value_name'], lang)}",
                percent(f["share"]),
                percent(f["share_population"]),
                lift(f["lift"]),
            )
        parts.append(table)
    habits = [
        f"{pick(h['tag_name'], lang)}: "
        + ", ".join(f"{pick(v['value_name'], lang)} {percent(v['share'])}" for v in h["values"])
        for key, h in card.habits.items()
        if key != "rhythm"
    ]
    rhythm = card.habits.get("rhythm", {})
    if "orders_per_month" in rhythm:
        habits.append(
            t("月均购买", "Orders per month")
            + f": {number(rhythm['orders_per_month']['members'], 2)}"
        )
    if "median_interval_days" in rhythm:
        habits.append(
            t("购买间隔中位数", "Median purchase interval")
            + f": {number(rhythm['median_interval_days']['members'], 1)} "
            + t("天", "days")
        )
    if habits:
        parts.append(RichText(t("行为习惯", "Behaviour habits"), style="bold underline"))
        parts.extend(RichText("  " + h) for h in habits)
    needs = card.needs
    if needs.get("keywords") or needs.get("survey"):
        parts.append(RichText(t("需求与痛点", "Needs and pain points"), style="bold underline"))
    if needs.get("keywords"):
        words = ", ".join(f"{k['keyword']} {percent(k['share'])}" for k in needs["keywords"])
        parts.append(RichText("  " + t("反馈关键词：", "Feedback keywords: ") + words))
    for q in needs.get("survey", [])[:4]:
        answers = ", ".join(f"{a['answer']} {percent(a['share'])}" for a in q["answers"][:3])
        parts.append(RichText(f"  {q['question']}: {answers}"))
    value = Table(title=t("价值", "Value"), title_justify="left")
    for header in (t("指标", "Metric"), t("群体均值", "Group mean"), t("总体均值", "Overall")):
        value.add_column(header)
    for key, zh_name, en_name, fmt in VALUE_ROWS:
        if key in card.value:
            v = card.value[key]
            value.add_row(t(zh_name, en_name), fmt(v["mean"]), fmt(v["mean_population"]))
    if value.row_count:
        parts.append(value)
    if card.value.get("rfm_mix"):
        mix = ", ".join(
            f"{pick(r['value_name'], lang)} {percent(r['share'])}"
            for r in card.value["rfm_mix"][:4]
        )
        parts.append(RichText(t("RFM构成：", "RFM mix: ") + mix))
    if card.strategy:
        s = card.strategy
        line = [pick(s.get("core"), lang)]
        if s.get("channels"):
            line.append(t("渠道：", "channels: ") + "、".join(s["channels"]))
        if s.get("owner"):
            line.append(t("负责人：", "owner: ") + str(s["owner"]))
        if s.get("goal"):
            line.append(t("目标：", "goal: ") + goal_text(s["goal"], lang))
        parts.append(RichText(t("策略：", "Strategy: ") + " · ".join(x for x in line if x)))
    parts.extend(RichText(pick(n, lang), style="yellow") for n in card.notes)
    title = (
        f"{pick(card.name, lang)} · {kind} · {card.size:,} "
        + t("人", "customers")
        + f" ({percent(card.share)})"
    )
    return Panel(Group(*parts), title=title, title_align="left")
