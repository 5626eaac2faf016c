"""The shape of feature and tag definitions (YAML under a workspace's features/ and tags/).

A definition file holds ``version: 1`` and a list under ``features:`` or ``tags:``. Models are
frozen and reject unknown keys, so a typo is an error with its line, never a silent default.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
SOURCES = ("orders", "events", "feedback", "survey_responses")
Layer = Literal["basic", "behaviour", "preference", "value", "lifecycle"]
Metric = Literal["count", "sum", "avg", "min", "max", "distinct", "mode", "share", "first", "last"]
# The warehouse table the lifetime-value model writes (one row per customer, the scoring run in
# run_id) and the columns of it a `model` tag may read (DOUBLE; NULL where the model has no value).
MODEL_TABLE = "customer_value"
MODEL_OUTPUTS = (
    "p_alive",
    "expected_purchases_90d",
    "expected_spend",
    "clv_12m",
    "frequency",
    "recency",
    "T",
    "monetary_value",
)
_WINDOW = re.compile(r"^([0-9]+)\s*([dwmy])$")  # ASCII digits: ６m is a typo
_WINDOW_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in Chinese and English; either may be missing, not both."""

    zh: str | None = None
    en: str | None = None

    @model_validator(mode="after")
    def _one_language(self) -> Text:
        if not (self.zh or self.en):
            raise ValueError("give the text in zh, en or both")
        return self

    def get(self, lang: str) -> str:
        first, second = (self.zh, self.en) if lang.startswith("zh") else (self.en, self.zh)
        return first or second or ""


def _text(value: object) -> object:
    """A plain string is accepted where a bilingual text is expected (Chinese if it has CJK)."""
    if isinstance(value, str):
        return {"zh": value} if re.search(r"[\u4e00-\u9fff]", value) else {"en": value}
    return value


class Window(Strict):
    count: int = Field(ge=1)
    unit: Literal["day", "week", "month", "year"]

    def __str__(self) -> str:
        return f"{self.count} {self.unit}"


class Feature(Strict):
    """A per-customer metric over one source, optionally within a window before the as-of date."""

    id: str = Field(pattern=ID_PATTERN)
    name: Text
    source: Literal["orders", "events", "feedback", "survey_responses"]
    metric: Metric
    column: str | None = None
    where: str | None = None
    share_of: str | None = None  # share: the rows counted out of those matching `where`
    window: Window | None = None
    default: float | str | None = None
    description: Text | None = None

    _norm_name = field_validator("name", "description", mode="before")(_text)

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: object) -> object:
        if isinstance(value, str):
            m = _WINDOW.match(value.strip().lower())
            if not m:
                raise ValueError("a window is a number and a unit: 7d, 12w, 6m, 1y")
            return {"count": int(m.group(1)), "unit": _WINDOW_UNITS[m.group(2)]}
        return value

    @model_validator(mode="after")
    def _metric_needs(self) -> Feature:
        needs_column = self.metric not in ("count", "share")
        if needs_column and not self.column:
            raise ValueError(f"metric {self.metric!r} needs a 'column'")
        if self.metric == "share" and not self.share_of:
            raise ValueError("metric 'share' needs 'share_of': the condition counted")
        if self.metric != "share" and self.share_of:
            raise ValueError("'share_of' only goes with metric 'share'")
        return self


class Bins(Strict):
    of: str
    edges: list[float] = Field(min_length=1)
    labels: list[str]
    right: bool = True  # (lo, hi]: 500 falls in 0-500; false makes it [lo, hi)

    @model_validator(mode="after")
    def _shape(self) -> Bins:
        if sorted(self.edges) != self.edges or len(set(self.edges)) != len(self.edges):
            raise ValueError("edges must be strictly increasing")
        if len(self.labels) != len(self.edges) + 1:
            raise ValueError(
                f"{len(self.edges)} edges make {len(self.edges) + 1} bins: give that many labels"
            )
        return self


class Quantile(Strict):
    of: str
    n: int = Field(ge=2, le=100)
    labels: list[str] | None = None  # default: 1..n, 1 = lowest
    descending: bool = False  # true: 1 = highest

    @model_validator(mode="after")
    def _shape(self) -> Quantile:
        if self.labels is not None and len(self.labels) != self.n:
            raise ValueError(f"n = {self.n} buckets need {self.n} labels")
        return self


def _sql_text(value: object) -> object:
    """YAML reads `expression: 1` or `when: true` as a number or a boolean: SQL text either way."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return value


class When(Strict):
    when: str
    then: str | bool | int | float  # this order keeps 2 an integer (not 2.0)

    _norm_when = field_validator("when", mode="before")(_sql_text)


_RULE_KINDS = ("bins", "quantile", "expression", "case", "model")


class Rule(Strict):
    """Exactly one of the rule kinds."""

    bins: Bins | None = None
    quantile: Quantile | None = None
    expression: str | None = Field(default=None, min_length=1)
    case: list[When] | None = Field(default=None, min_length=1)
    model: str | None = None  # a column of the value model's table (MODEL_OUTPUTS)
    otherwise: str | bool | int | float | None = Field(default=None, alias="else")

    _norm_expression = field_validator("expression", mode="before")(_sql_text)

    @field_validator("model")
    @classmethod
    def _model_output(cls, value: str | None) -> str | None:
        if value is not None and value not in MODEL_OUTPUTS:
            # the name in other letter case (p_ALIVE, t) first, then a near spelling
            close = [m for m in MODEL_OUTPUTS if m.lower() == value.lower()]
            close = close or difflib.get_close_matches(value, MODEL_OUTPUTS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "one of " + ", ".join(MODEL_OUTPUTS)
            raise ValueError(f"unknown model output {value!r} ({hint})")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Rule:
        given = [k for k in _RULE_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a rule is exactly one of: " + ", ".join(_RULE_KINDS))
        if self.otherwise is not None and self.case is None:
            raise ValueError("'else' only goes with 'case'")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in _RULE_KINDS if getattr(self, k) is not None)


class Tag(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    layer: Layer
    definition: Text
    source: str
    kind: Literal["static", "dynamic"] = "dynamic"
    owner: str
    created: dt.date
    reviewed: dt.date | None = None
    refresh: Literal["daily", "weekly", "monthly", "quarterly"] = "daily"
    rule: Rule
    value_names: dict[str, Text] = Field(default_factory=dict)

    _norm_text = field_validator("name", "definition", mode="before")(_text)

    @field_validator("value_names", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(k): _text(v) for k, v in value.items()}
        return value


class FeatureFile(Strict):
    version: Literal[1]
    features: list[Feature] = Field(default_factory=list)


class TagFile(Strict):
    version: Literal[1]
    tags: list[Tag] = Field(default_factory=list)
