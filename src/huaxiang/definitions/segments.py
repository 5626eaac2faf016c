"""The shape of segment definitions (YAML under a workspace's segments/), and their loader.

A segment is a group of customers a team acts on: who is in it (``rule``, an SQL condition over
tags, features and customer fields; or ``model``, a value of a model's output such as an RFM
group, a lifecycle stage or a cluster), and what to do with them (``strategy``: the core
strategy, channels, content, offer, owner and expected goal of SPEC.md's segment table).

Segments of one exclusivity ``group`` do not overlap: a customer belongs to the first segment of
the group (lowest ``priority``) whose condition holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, field_validator, model_validator

from huaxiang.config.loader import parse_model
from huaxiang.definitions.loader import Located, Origin, _definition_files, _items
from huaxiang.definitions.models import ID_PATTERN, Strict, Text, _sql_text, _text
from huaxiang.errors import ConfigError, ConfigProblem

CLUSTER = "cluster"  # the model output named by `model: {of: cluster, ...}`


class Goal(Strict):
    """The expected result: a metric, its target value and the day it should be reached."""

    metric: str
    target: float | str
    deadline: dt.date | None = None
    description: Text | None = None

    _norm_text = field_validator("description", mode="before")(_text)


class Strategy(Strict):
    core: Text | None = None
    channels: list[str] = Field(default_factory=list)
    content: Text | None = None
    offer: Text | None = None
    owner: str | None = None
    goal: Goal | None = None

    _norm_text = field_validator("core", "content", "offer", mode="before")(_text)


class ModelRef(Strict):
    """Members are the customers whose model output ``of`` (a tag such as rfm_group or
    lifecycle_stage, or ``cluster``) has one of ``values``."""

    of: str
    values: list[str | int] = Field(min_length=1)

    @field_validator("values", mode="before")
    @classmethod
    def _one_value(cls, value: object) -> object:
        return [value] if isinstance(value, str | int) else value


class Segment(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    description: Text | None = None
    kind: Literal["rules", "model"] = "rules"
    rule: str | None = Field(default=None, min_length=1)
    model: ModelRef | None = None
    group: str | None = Field(default=None, pattern=ID_PATTERN)
    priority: int = 100
    core: bool = True  # counts towards the 5-8 core segments of its group
    strategy: Strategy = Field(default_factory=Strategy)

    _norm_text = field_validator("name", "description", mode="before")(_text)
    _norm_rule = field_validator("rule", mode="before")(_sql_text)

    @model_validator(mode="after")
    def _kind_needs(self) -> Segment:
        if self.kind == "rules" and (self.rule is None or self.model is not None):
            raise ValueError("a 'rules' segment has a 'rule' (and no 'model')")
        if self.kind == "model" and (self.model is None or self.rule is not None):
            raise ValueError("a 'model' segment has a 'model' (and no 'rule')")
        return self


class SegmentFile(Strict):
    version: Literal[1]
    segments: list[Segment] = Field(default_factory=list)


@dataclass
class SegmentCatalog(Located):
    segments: dict[str, Segment] = field(default_factory=dict)

    def groups(self) -> dict[str, list[Segment]]:
        """Exclusivity groups, their segments in priority order (then file order)."""
        out: dict[str, list[Segment]] = {}
        for s in self.segments.values():
            if s.group is not None:
                out.setdefault(s.group, []).append(s)
        for members in out.values():
            members.sort(key=lambda s: s.priority)  # stable: file order breaks ties
        return out


def load_segments(root: Path) -> SegmentCatalog:
    """Read ``segments/*.yaml`` under ``root``; raise ConfigError with every problem."""
    catalog = SegmentCatalog()
    problems: list[ConfigProblem] = []
    for path in _definition_files(root / "segments"):
        display = str(path.relative_to(root))
        text = path.read_text(encoding="utf-8")
        try:
            parsed = parse_model(text, SegmentFile, display=display)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        nodes = list(_items(yaml.compose(text, Loader=yaml.SafeLoader), "segments"))
        for i, segment in enumerate(parsed.segments):
            origin = Origin(display, nodes[i] if i < len(nodes) else None, text)
            if segment.id in catalog.origins:
                location, snippet = origin.locate("id")
                problems.append(
                    ConfigProblem(
                        location,
                        f"duplicate segment id {segment.id!r} "
                        f"(first defined in {catalog.origins[segment.id].file})",
                        "rename one of them",
                        snippet=snippet,
                    )
                )
                continue
            catalog.origins[segment.id] = origin
            catalog.segments[segment.id] = segment
    if problems:
        raise ConfigError(problems)
    return catalog
