"""The shape of a survey definition (YAML under a workspace's surveys/, one survey per file).

A definition names the questions of a questionnaire export by the header text the export uses,
says what kind of answer each one takes, and declares what the analysis needs: KANO pairs,
competitor questions and the logic rules that make a response invalid. Models are frozen and
reject unknown keys; references between parts (a KANO pair naming a question) are checked by
the loader, where a problem can point at its line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from huaxiang.definitions.models import ID_PATTERN, Strict, Text, _sql_text, _text

QuestionType = Literal["single", "multiple", "rating", "text", "number"]
MULTI_SEPARATOR = "┋"  # how 问卷星 joins the options of a multiple-choice answer in one cell
MIN_SECONDS = 180.0  # seed 003: an answer time under three minutes is invalid
ALL = "all"  # `source: all` reads every survey source, `target: all` means all customers


class Question(Strict):
    """One question of the export: its column header and the kind of answer it takes."""

    id: str = Field(pattern=ID_PATTERN)
    header: str = Field(min_length=1)
    title: Text | None = None
    type: QuestionType
    options: list[str] = Field(default_factory=list)
    layout: Literal["joined", "columns"] | None = None
    separator: str | None = Field(default=None, min_length=1)
    scale: tuple[int, int] | None = None
    required: bool = False

    _norm_text = field_validator("title", mode="before")(_text)

    @field_validator("options", mode="before")
    @classmethod
    def _options_as_text(cls, value: object) -> object:
        """YAML reads the option `1次` as text but `5` as a number: options are text."""
        if isinstance(value, list):
            return [str(v) if isinstance(v, int | float) else v for v in value]
        return value

    @field_validator("scale", mode="before")
    @classmethod
    def _scale_text(cls, value: object) -> object:
        """``scale: 1-5`` as well as ``scale: [1, 5]``."""
        if isinstance(value, str) and "-" in value.strip()[1:]:
            low, _, high = value.strip().partition("-")
            try:
                return (int(low), int(high))
            except ValueError:
                return value
        return value

    @model_validator(mode="after")
    def _fits_type(self) -> Question:
        if self.options and self.type not in ("single", "multiple"):
            raise ValueError("'options' are for single and multiple questions")
        if len(set(self.options)) != len(self.options):
            raise ValueError("an option is listed twice")
        if (self.layout or self.separator) and self.type != "multiple":
            raise ValueError("'layout' and 'separator' are for multiple questions")
        if self.layout == "columns" and self.separator:
            raise ValueError("'separator' is for a joined cell, not one column per option")
        if self.scale is not None:
            if self.type != "rating":
                raise ValueError("'scale' is for rating questions")
            if self.scale[0] >= self.scale[1]:
                raise ValueError("a scale goes from its lowest to its highest point, e.g. [1, 5]")
        return self

    @property
    def points(self) -> tuple[int, int]:
        """The rating scale (default 1-5)."""
        return self.scale or (1, 5)

    def name(self, lang: str) -> str:
        return self.title.get(lang) if self.title else self.header


class KanoLabels(Strict):
    """The answer texts of the five Kano answers, as the questionnaire words them."""

    like: str = "我很喜欢"
    must_be: str = "理所当然"
    neutral: str = "无所谓"
    live_with: str = "能忍受"
    dislike: str = "我很不喜欢"

    @model_validator(mode="after")
    def _distinct(self) -> KanoLabels:
        if len(set(self.ordered())) != 5:
            raise ValueError("the five Kano answers need five different labels")
        return self

    def ordered(self) -> tuple[str, str, str, str, str]:
        """In the order of the evaluation table's rows and columns."""
        return (self.like, self.must_be, self.neutral, self.live_with, self.dislike)


class KanoFeature(Strict):
    """A feature asked about twice: if it is there (functional) and if it is not."""

    name: Text
    functional: str
    dysfunctional: str

    _norm_text = field_validator("name", mode="before")(_text)


class Kano(Strict):
    labels: KanoLabels = Field(default_factory=KanoLabels)
    features: list[KanoFeature] = Field(min_length=1)


class Brand(Strict):
    """A competitor: its option in the ``bought`` question, and a question rating it."""

    name: Text
    option: str | None = None  # default: the name (Chinese first)
    rating: str | None = None

    _norm_text = field_validator("name", mode="before")(_text)

    @property
    def label(self) -> str:
        return self.option or self.name.zh or self.name.en or ""


class Competitors(Strict):
    bought: str | None = None  # a multiple question: which brands did you also buy
    ours: str | None = None  # a rating question about our own brand, to compare with
    our_name: Text = Field(default_factory=lambda: Text(zh="本品牌", en="our brand"))
    brands: list[Brand] = Field(min_length=1)

    _norm_text = field_validator("our_name", mode="before")(_text)


class LogicRule(Strict):
    """A response for which ``when`` (an SQL condition over question ids) holds is invalid."""

    id: str = Field(pattern=ID_PATTERN)
    when: str = Field(min_length=1)
    reason: Text

    _norm_when = field_validator("when", mode="before")(_sql_text)
    _norm_text = field_validator("reason", mode="before")(_text)


class Survey(Strict):
    version: Literal[1]
    id: str = Field(pattern=ID_PATTERN)
    title: Text
    description: Text | None = None
    source: str = ALL
    target: str = ALL
    min_seconds: float = Field(default=MIN_SECONDS, ge=0)
    separator: str = Field(default=MULTI_SEPARATOR, min_length=1)
    questions: list[Question] = Field(min_length=1)
    kano: Kano | None = None
    competitors: Competitors | None = None
    rules: list[LogicRule] = Field(default_factory=list)

    _norm_text = field_validator("title", "description", mode="before")(_text)

    def question(self, ident: str) -> Question | None:
        return next((q for q in self.questions if q.id == ident), None)

    def index(self, ident: str) -> int:
        return next(i for i, q in enumerate(self.questions) if q.id == ident)
