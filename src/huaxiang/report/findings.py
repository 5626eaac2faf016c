"""Conclusions drawn from the report's numbers, each tied to the strategy rows that act on it,
and the summary (at most 300 characters) a decision maker reads first.

A conclusion is a sentence with its number ("配送时效: 40% of customers with feedback") and a
key naming the finding (``pain:delivery``); report.yaml's strategy rows list the keys they
address. Nothing here is written by hand: change the data and the conclusions change with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from huaxiang.report.definition import ReportDefinition, StrategyRow

SUMMARY_LIMIT = 300
TOP_THEMES = 3
KANO_SHOWN = ("M", "O", "A")  # must-be, one-dimensional, attractive: what a team acts on
CHURN_P_ALIVE = 0.5  # customers below this probability of being alive count as likely lost


@dataclass(frozen=True)
class Conclusion:
    key: str
    zh: str
    en: str
    strategies: list[StrategyRow] = field(default_factory=list)

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def conclusions(data: dict[str, Any], definition: ReportDefinition) -> list[Conclusion]:
    """Every conclusion the numbers support, most pressing first, with their strategies."""
    found: list[tuple[str, str, str]] = []
    found += _pain(data.get("pain"))
    found += _kano(data.get("kano"))
    found += _value(data.get("value"), data.get("meta", {}).get("customers") or 0)
    found += _segments(data.get("segments"))
    found += _quality(data.get("quality"))
    return [Conclusion(k, zh, en, definition.strategies_for(k)) for k, zh, en in found]


def _pain(pain: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    if not pain or not pain.get("themes"):
        return []
    out = []
    for theme in [t for t in pain["themes"] if t.get("id") != "other"][:TOP_THEMES]:
        name_zh, name_en = theme["name"].get("zh") or theme["id"], theme["name"].get("en")
        share = pct(theme["share"])
        out.append(
            (
                f"pain:{theme['id']}",
                f"痛点「{name_zh}」：{share}的反馈客户提到（{theme['customers']:,}人）",
                f"Pain point '{name_en or theme['id']}': raised by {share} of customers with "
                f"feedback ({theme['customers']:,})",
            )
        )
    return out


_KANO_NAMES = {
    "M": ("基本型需求", "a must-be need"),
    "O": ("期望型需求", "a one-dimensional need"),
    "A": ("魅力型需求", "an attractive need"),
}


def _kano(kano: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    if not kano or not kano.get("features"):
        return []
    out = []
    for f in kano["features"]:
        if f["category"] not in KANO_SHOWN:
            continue
        zh_kind, en_kind = _KANO_NAMES[f["category"]]
        name = f.get("name") or {}
        name_zh, name_en = name.get("zh") or f["feature"], name.get("en") or f["feature"]
        out.append(
            (
                f"kano:{f['feature']}",
                f"「{name_zh}」是{zh_kind}（Better {f['better']:.2f}，Worse {f['worse']:.2f}）",
                f"'{name_en}' is {en_kind} (Better {f['better']:.2f}, Worse {f['worse']:.2f})",
            )
        )
    return out


def _value(value: dict[str, Any] | None, customers: int) -> list[tuple[str, str, str]]:
    if not value:
        return []
    out = []
    clv = value.get("clv")
    if clv and clv.get("likely_lost") is not None and customers:
        lost = clv["likely_lost"]
        out.append(
            (
                "value:churn",
                f"{lost:,}名客户（{pct(lost / customers)}）存活概率低于{CHURN_P_ALIVE:.0%}，"
                "可能已流失",
                f"{lost:,} customers ({pct(lost / customers)}) are below a {CHURN_P_ALIVE:.0%} "
                "probability of being alive",
            )
        )
    basis = clv or value.get("ltv")
    if basis:
        what_zh, what_en = (
            ("未来12个月预测价值", "predicted 12-month value")
            if clv
            else (
                "历史消费额",
                "lifetime spend",
            )
        )
        out.append(
            (
                "value:clv",
                f"前20%的客户贡献了{pct(basis['top20_share'])}的{what_zh}",
                f"The top 20% of customers hold {pct(basis['top20_share'])} of the {what_en}",
            )
        )
    return out


def _segments(segments: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    if not segments or not segments.get("rows"):
        return []
    out = []
    seen: set[str] = set()
    for row in sorted(segments["rows"], key=lambda r: -r["customers"]):
        group = row.get("group") or row["id"]
        if group in seen:
            continue
        seen.add(group)
        out.append(
            (
                f"segment:{row['id']}",
                f"「{row['name']}」是{group}中最大的客群，占{pct(row['share'])}"
                f"（{row['customers']:,}人）",
                f"'{row['name']}' is the largest segment of {group}: {pct(row['share'])} "
                f"({row['customers']:,} customers)",
            )
        )
    return out[:3]


def _quality(quality: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    if not quality:
        return []
    problems = len(quality.get("warnings") or []) + (0 if quality.get("balanced", True) else 1)
    if not problems:
        return []
    return [
        (
            "quality",
            f"数据质量有{problems}项待处理的问题（见数据质量一节）",
            f"{problems} data-quality issue(s) to resolve (see Data quality)",
        )
    ]


def summary(
    data: dict[str, Any], found: list[Conclusion], definition: ReportDefinition, lang: str
) -> str:
    """At most 300 characters: the goal, the base, the most pressing conclusions and how many
    of them have a strategy; sentences that do not fit are left out whole."""
    customers = data.get("meta", {}).get("customers") or 0
    zh = lang == "zh"
    parts: list[str] = []
    goal = definition.goal.get(lang) if definition.goal else None
    if goal:
        parts.append(f"目标：{goal}。" if zh else f"Goal: {goal}.")
    parts.append(f"分析覆盖{customers:,}名客户。" if zh else f"{customers:,} customers analysed.")
    for c in found:
        parts.append(c.zh + "。" if zh else c.en + ".")
    acted = sum(1 for c in found if c.strategies)
    tail = (
        f"{len(found)}项结论中{acted}项已有对应策略。"
        if zh
        else f"{acted} of {len(found)} conclusions have a strategy."
    )
    out = ""
    sep = "" if zh else " "
    for part in parts:
        candidate = f"{out}{sep if out else ''}{part}"
        if len(candidate) + len(sep) + len(tail) > SUMMARY_LIMIT:
            continue
        out = candidate
    return f"{out}{sep if out else ''}{tail}"
