"""What a workspace declares for its analysis report (``report.yaml`` next to huaxiang.yaml):
the title, the goal of the analysis and the strategy rows the conclusions are tied to.

A strategy row is seed 004's 营销策略制定表 row: a direction (product / channel / promotion /
service), the measures, an owner, a start date, a budget and the expected effect. ``addresses``
names the findings it answers, so every conclusion of the report can point at the row that acts
on it, and a conclusion nobody acts on is shown as such:

- ``pain:<theme>``: a pain-point theme of the feedback (``pain:delivery``)
- ``kano:<feature>``: a KANO feature of a survey (its name, as in the survey definition)
- ``segment:<id>``: a segment (its size, strategy and goal)
- ``value:churn`` / ``value:clv``: customers likely to be lost / the value concentration
- ``quality``: the data-quality findings
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from huaxiang.config.loader import parse_model
from huaxiang.definitions.models import ID_PATTERN, Strict, Text, _text

REPORT_FILE = "report.yaml"
DIRECTIONS = ("product", "channel", "promotion", "service")
DIRECTION_NAMES = {
    "product": ("产品策略", "Product"),
    "channel": ("渠道策略", "Channel"),
    "promotion": ("推广策略", "Promotion"),
    "service": ("服务策略", "Service"),
}
FINDING_KINDS = ("pain", "kano", "segment", "value", "quality")
_FINDING = re.compile(r"^(pain|kano|segment|value):.+$|^quality$")


class StrategyRow(Strict):
    id: str = Field(pattern=ID_PATTERN)
    direction: Literal["product", "channel", "promotion", "service"]
    measures: Text
    owner: str
    date: dt.date | None = None
    budget: float | str | None = None  # a number (yuan) or a text such as "5万元"
    expected_effect: Text | None = None
    segments: list[str] = Field(default_factory=list)
    addresses: list[str] = Field(default_factory=list)

    _norm_text = field_validator("measures", "expected_effect", mode="before")(_text)

    @field_validator("addresses")
    @classmethod
    def _known_findings(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _FINDING.match(item):
                raise ValueError(
                    f"{item!r} is not a finding: use pain:<theme>, kano:<feature>, "
                    "segment:<id>, value:churn, value:clv or quality"
                )
        return value


class ReportDefinition(Strict):
    version: Literal[1] = 1
    title: Text | None = None
    goal: Text | None = None
    hypotheses: list[Text] = Field(default_factory=list)
    survey: str | None = None  # which survey definition the report reads (default: the first)
    # the exclusive segment group the per-segment charts compare (default: the catalog's first)
    segment_group: str | None = None
    strategies: list[StrategyRow] = Field(default_factory=list)

    _norm_text = field_validator("title", "goal", mode="before")(_text)

    @field_validator("hypotheses", mode="before")
    @classmethod
    def _texts(cls, value: object) -> object:
        return [_text(v) for v in value] if isinstance(value, list) else value

    def strategies_for(self, finding: str) -> list[StrategyRow]:
        return [s for s in self.strategies if finding in s.addresses]


def load_report_definition(root: Path) -> ReportDefinition:
    """The workspace's report.yaml, or an empty definition when there is none."""
    path = root / REPORT_FILE
    if not path.exists():
        return ReportDefinition()
    text = path.read_text(encoding="utf-8")
    return parse_model(text, ReportDefinition, display=REPORT_FILE)


EXAMPLE = """\
# The analysis report (huaxiang report): its goal and the strategies its conclusions point at.
version: 1
title: {zh: 客户分析报告, en: Customer analysis report}
goal: {zh: 提升老客户复购率15%, en: Raise the repeat-purchase rate of existing customers by 15%}
strategies:
  - id: fast_delivery
    direction: product            # product | channel | promotion | service
    measures: {zh: 优化供应链，将配送时效压缩至48小时内, en: Cut delivery time to 48 hours}
    owner: 供应链部 王主管
    date: 2026-08-01
    budget: 200000
    expected_effect: {zh: 配送相关投诉下降30%, en: 30% fewer delivery complaints}
    addresses: [pain:delivery]
"""
