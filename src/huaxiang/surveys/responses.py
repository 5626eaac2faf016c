"""The responses of a survey as one SQL relation: a row per response, a column per question.

``survey_responses`` keeps every question of an export in the JSON column ``attributes``, keyed
by the original header. A resolved survey knows which keys each question reads; from it this
module writes the relation the validity check, the distributions and KANO read:

- ``_source``, ``_respondent_id``, ``_customer_id`` (the golden id, NULL when not linked) and
  ``_seconds`` (the answer time: the duration, or submit - start when there is none);
- one column per question id: single and text VARCHAR, rating and number DOUBLE (NULL when
  the answer is not a number, or a rating off its scale), multiple VARCHAR[] of the chosen
  options (NULL when none is chosen);
- and, in :func:`validity_sql`, ``_reasons`` (every reason the response is invalid) and
  ``_valid``.

The SQL is pure text built from the definition; nothing here touches the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from huaxiang.engine.duckdb_engine import quote_ident, quote_str
from huaxiang.surveys.models import Question, Survey

TABLE = "survey_responses"
TOO_FAST = "too_fast"
MISSING = "missing:"  # + question id
RULE = "rule:"  # + rule id
_NUMBER = r"^\s*([-+]?[0-9]+(\.[0-9]+)?)"  # "5", "4.5", "5分"
_CHOSEN = ("1", "1.0")  # a 0/1 option column that is ticked


@dataclass(frozen=True)
class Column:
    """How one question is read from ``attributes``."""

    question: Question
    keys: tuple[str, ...]  # one header; or, one column per option, one key per option
    options: tuple[str, ...] = ()  # declared, or for one column per option those found
    layout: Literal["joined", "columns"] | None = None
    separator: str | None = None


@dataclass(frozen=True)
class Resolved:
    """A survey matched against the data: where its responses are and how to read each
    question."""

    survey: Survey
    where: str  # condition on survey_responses (alias s): the survey's source
    columns: dict[str, Column]
    rules: dict[str, str] = field(default_factory=dict)  # rule id -> checked SQL


def pointer(key: str) -> str:
    """A JSON pointer to a top-level key (any header: dots, quotes, slashes, a leading $)."""
    return quote_str("/" + key.replace("~", "~0").replace("/", "~1"))


def _raw(key: str) -> str:
    return f"nullif(trim(s.attributes ->> {pointer(key)}), '')"


def _number(raw: str) -> str:
    return f"try_cast(nullif(regexp_extract({raw}, {quote_str(_NUMBER)}, 1), '') as double)"


def answer_sql(column: Column) -> str:
    """The SQL value of one question (before empty choice lists become NULL)."""
    q = column.question
    if q.type in ("single", "text"):
        return _raw(column.keys[0])
    if q.type == "number":
        return _number(_raw(column.keys[0]))
    if q.type == "rating":
        low, high = q.points
        value = _number(_raw(column.keys[0]))
        return f"(case when {value} between {low} and {high} then {value} end)"
    if column.layout == "columns":
        ticks = ", ".join(
            f"case when trim(s.attributes ->> {pointer(key)}) in {_CHOSEN!r} "
            f"then {quote_str(option)} end"
            for option, key in zip(column.options, column.keys, strict=True)
        )
        return f"list_filter([{ticks}]::varchar[], lambda x: x is not null)"
    sep = quote_str(column.separator or "")
    return (
        f"list_filter(list_transform(string_split({_raw(column.keys[0])}, {sep}), "
        "lambda x: trim(x)), lambda x: x <> '')"
    )


def responses_sql(resolved: Resolved) -> str:
    """One row per response of the survey's source, one column per question."""
    columns = [f"{answer_sql(c)} as {quote_ident(qid)}" for qid, c in resolved.columns.items()]
    lists = [qid for qid, c in resolved.columns.items() if c.question.type == "multiple"]
    inner = (
        "select s._source, s.respondent_id as _respondent_id, s.customer_id as _customer_id, "
        "coalesce(s.duration_s::double, "
        "date_diff('second', s.started_at, s.submitted_at)::double) as _seconds"
        + "".join(f", {c}" for c in columns)
        + f" from {TABLE} s where {resolved.where}"
    )
    if not lists:
        return inner
    empty = ", ".join(
        f"case when len({quote_ident(q)}) > 0 then {quote_ident(q)} end as {quote_ident(q)}"
        for q in lists
    )
    return f"select * replace ({empty}) from ({inner}) r0"


def answer_checks(resolved: Resolved) -> list[tuple[str, str, str]]:
    """(question id, "unreadable" | "unlisted", count expression over survey_responses s):
    answers given that are not a number (or off the scale), and choices not among the
    declared options."""
    out = []
    for qid, c in resolved.columns.items():
        q = c.question
        if q.type in ("rating", "number"):
            raw = _raw(c.keys[0])
            out.append(
                (
                    qid,
                    "unreadable",
                    f"count(*) filter (where {raw} is not null and {answer_sql(c)} is null)",
                )
            )
        elif q.options and (q.type == "single" or c.layout == "joined"):
            listed = "[" + ", ".join(quote_str(o) for o in q.options) + "]"
            chosen = f"[{answer_sql(c)}]" if q.type == "single" else answer_sql(c)
            out.append(
                (
                    qid,
                    "unlisted",
                    f"count(*) filter (where len(list_filter({chosen}, "
                    f"lambda x: x is not null and not list_contains({listed}, x))) > 0)",
                )
            )
    return out


def validity_sql(resolved: Resolved) -> str:
    """The responses with ``_reasons`` (too fast, each required question missing, each logic
    rule that holds) and ``_valid`` (no reason)."""
    survey = resolved.survey
    checks = [f"case when r._seconds < {survey.min_seconds!r} then '{TOO_FAST}' end"]
    checks += [
        f"case when r.{quote_ident(q.id)} is null then {quote_str(MISSING + q.id)} end"
        for q in survey.questions
        if q.required
    ]
    checks += [
        f"case when coalesce(({sql}), false) then {quote_str(RULE + rid)} end"
        for rid, sql in resolved.rules.items()
    ]
    reasons = f"list_filter([{', '.join(checks)}]::varchar[], lambda x: x is not null)"
    return (
        f"select r2.*, len(r2._reasons) = 0 as _valid from (select r.*, {reasons} as _reasons "
        f"from ({responses_sql(resolved)}) r) r2"
    )


def valid_sql(resolved: Resolved) -> str:
    """Only the valid responses (what distributions and KANO read)."""
    return f"select * from ({validity_sql(resolved)}) v where v._valid"


def open_text_sql(resolved: Resolved, question: str | None = None) -> str:
    """The open-text answers of the valid responses, long: (survey_id, question_id, header,
    respondent_id, customer_id, text). Personal text: for the feedback analysis to read, never
    to print."""
    texts = [
        c
        for qid, c in resolved.columns.items()
        if c.question.type == "text" and (question is None or qid == question)
    ]
    survey = quote_str(resolved.survey.id)
    parts = [
        f"select {survey} as survey_id, {quote_str(c.question.id)} as question_id, "
        f"{quote_str(c.question.header)} as header, v._respondent_id as respondent_id, "
        f"v._customer_id as customer_id, v.{quote_ident(c.question.id)} as text "
        f"from valid v where v.{quote_ident(c.question.id)} is not null"
        for c in texts
    ]
    if not parts:
        parts = [
            "select null::varchar as survey_id, null::varchar as question_id, "
            "null::varchar as header, null::varchar as respondent_id, "
            "null::varchar as customer_id, null::varchar as text where false"
        ]
    return f"with valid as ({valid_sql(resolved)}) " + " union all ".join(parts)
