"""How the valid responses answered: per question, and per segment when the respondent is a
known customer.

- single choice: count and share of the respondents who answered the question;
- multiple choice: the share of the respondents who answered choosing each option (the shares
  add up to more than 1);
- rating: the count at every point of the scale, the mean, the median and the top-2-box (the
  share answering one of the two highest points);
- number: mean, median, lowest and highest;
- open text: only how many answered (the words are the feedback analysis's to read).

Two queries do the work, whatever the number of questions: one of counts and statistics per
group, one of answer counts per group. A group is all valid responses, or one segment of the
latest build (a customer may be in several segments: one per exclusive group).

Answers are never shown when they could point at a person: an answer outside the declared
options, or (without declared options) given by fewer than three respondents, is counted under
"other"; a segment with fewer than five responses shows only that number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from huaxiang.engine.duckdb_engine import Engine, quote_ident, quote_str
from huaxiang.surveys.responses import Column, Resolved, valid_sql

OVERALL = "*"
MIN_COUNT = 3  # an undeclared answer fewer respondents gave goes to "other"
MIN_RESPONDENTS = 5  # a segment with fewer responses shows no answers
OTHER = {"zh": "其他（未列出的回答）", "en": "other (answers not listed)"}


def groups_sql(resolved: Resolved, segments: Sequence[str] | None) -> str:
    """The valid responses with ``_group``: '*' for all, or (by segment) one row per segment a
    linked respondent is in."""
    valid = valid_sql(resolved)
    if segments is None:
        return f"select '{OVERALL}' as _group, v.* from ({valid}) v"
    listed = ", ".join(quote_str(s) for s in segments) or "null"
    return (
        f"select m.segment_id as _group, v.* from ({valid}) v join segment_members m "
        f"on m.customer_id = v._customer_id where m.segment_id in ({listed})"
    )


def _stats(columns: dict[str, Column]) -> list[tuple[str, str, str]]:
    """(question, statistic, SQL aggregate) of every question."""
    out = []
    for qid, c in columns.items():
        col = quote_ident(qid)
        out.append((qid, "answered", f"count({col})"))
        if c.question.type in ("rating", "number"):
            out += [(qid, "mean", f"avg({col})"), (qid, "median", f"median({col})")]
        if c.question.type == "rating":
            top = c.question.points[1] - 1
            out.append((qid, "top2", f"count({col}) filter (where {col} >= {top})"))
        if c.question.type == "number":
            out += [(qid, "min", f"min({col})"), (qid, "max", f"max({col})")]
    return out


def _answers_sql(columns: dict[str, Column], grouped: str) -> str | None:
    parts = []
    for qid, c in columns.items():
        col, kind = quote_ident(qid), c.question.type
        if kind == "single":
            value = col
        elif kind == "multiple":
            value = f"unnest({col})"
        elif kind == "rating":  # 4.0 shows as 4
            whole = f"{col}::bigint::varchar"
            value = f"case when {col} = floor({col}) then {whole} else {col}::varchar end"
        else:
            continue
        parts.append(
            f"select _group, {quote_str(qid)} as q, {value} as a from g where {col} is not null"
        )
    if not parts:
        return None
    union = " union all ".join(parts)
    return f"with g as ({grouped}) select _group, q, a, count(*) from ({union}) x group by all"


def distributions(
    engine: Engine,
    resolved: Resolved,
    lang: str,
    *,
    segments: Sequence[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """group -> {"respondents": n, "questions": {question id: result}} for all valid responses
    ('*'), or for each of ``segments`` (those with responses)."""
    grouped = groups_sql(resolved, segments)
    stats = _stats(resolved.columns)
    select = ", ".join(expr for _, _, expr in stats)
    rows = engine.rows(f"select _group, count(*), {select} from ({grouped}) g group by _group")
    counts: dict[tuple[str, str], dict[str, int]] = {}
    answers_sql = _answers_sql(resolved.columns, grouped)
    for group, q, a, n in engine.rows(answers_sql) if answers_sql else []:
        counts.setdefault((group, q), {})[a] = int(n)
    out: dict[str, dict[str, Any]] = {}
    for group, respondents, *values in rows:
        by_question: dict[str, dict[str, Any]] = {}
        for (qid, name, _), value in zip(stats, values, strict=True):
            by_question.setdefault(qid, {})[name] = value
        shown = respondents >= MIN_RESPONDENTS or group == OVERALL
        questions = {
            qid: _result(
                resolved.columns[qid], by_question[qid], counts.get((group, qid), {}), lang, shown
            )
            for qid in resolved.columns
        }
        out[group] = {"respondents": int(respondents), "shown": shown, "questions": questions}
    return out


def _result(
    column: Column, stats: dict[str, Any], counts: dict[str, int], lang: str, shown: bool
) -> dict[str, Any]:
    q = column.question
    answered = int(stats["answered"])
    result: dict[str, Any] = {"answered": answered}
    if not shown:
        return result
    if q.type in ("rating", "number"):
        result["mean"] = _round(stats["mean"])
        result["median"] = _round(stats["median"])
    if q.type == "number":
        result["min"], result["max"] = _round(stats["min"]), _round(stats["max"])
        return result
    if q.type == "text":
        return result
    if q.type == "rating":
        low, high = q.points
        options: tuple[str, ...] = tuple(str(p) for p in range(low, high + 1))
        result["top2_count"] = int(stats["top2"])
        result["top2"] = _share(int(stats["top2"]), answered)
    else:
        options = tuple(q.options) or column.options
    result["answers"] = _answers(options, counts, answered, lang)
    return result


def _answers(
    options: tuple[str, ...], counts: dict[str, int], answered: int, lang: str
) -> list[dict[str, Any]]:
    """Declared options in their order (none left out); otherwise the answers by count; the
    rest as one "other" row."""
    if options:
        listed = list(options)
        rest = sum(n for a, n in counts.items() if a not in options)
    else:
        listed = sorted(
            (a for a, n in counts.items() if n >= MIN_COUNT), key=lambda a: (-counts[a], a)
        )
        rest = sum(n for a, n in counts.items() if n < MIN_COUNT)
    rows = [
        {"answer": a, "count": counts.get(a, 0), "share": _share(counts.get(a, 0), answered)}
        for a in listed
    ]
    if rest:
        label = OTHER["zh" if lang.startswith("zh") else "en"]
        rows.append(
            {"answer": label, "count": rest, "share": _share(rest, answered), "other": True}
        )
    return rows


def _share(n: int, of: int) -> float | None:
    return round(n / of, 4) if of else None


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)
