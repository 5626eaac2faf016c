"""Which responses count: valid or invalid with every reason, and whether enough are valid.

A response is invalid when it was answered too fast (under the survey's minimum, 180 s by
default), leaves a required question unanswered, or meets a declared logic rule ("never bought"
with "buys weekly"). The verdicts are computed in one query over all responses and written to
``survey_validity`` (survey_id, source, respondent_id, customer_id, seconds, valid, reasons);
the counts always add up: responses = valid + invalid, and the invalid responses by their set
of reasons add up to the invalid ones (one response can have several reasons, so the counts per
reason may add up to more).

The sample is large enough when the valid responses are at least 5% of the target group (all
customers, or the members of a segment) and at least 200 (seed 003).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from huaxiang.engine.duckdb_engine import Engine, quote_str
from huaxiang.surveys.models import ALL, Survey
from huaxiang.surveys.responses import (
    MISSING,
    RULE,
    TABLE,
    TOO_FAST,
    Resolved,
    answer_checks,
    validity_sql,
)

VALIDITY_TABLE = "survey_validity"
MIN_SHARE = 0.05
MIN_RESPONSES = 200
_DDL = (
    f"create table if not exists {VALIDITY_TABLE} (survey_id varchar, source varchar, "
    "respondent_id varchar, customer_id varchar, seconds double, valid boolean, "
    "reasons varchar[])"
)


@dataclass(frozen=True)
class SampleCheck:
    target: str  # "all" or a segment id
    target_size: int | None  # None: unknown (no customers, or the segment not built)
    valid: int  # valid responses from the target group
    needed: int | None
    ok: bool
    message: str | None = None  # the warning when not ok, in the language asked for


@dataclass(frozen=True)
class Validity:
    survey_id: str
    responses: int
    valid: int
    invalid: int
    no_time: int  # responses without a duration or start and submit time (not checked)
    by_reason: list[dict[str, Any]]  # reason, label, responses (a response may have several)
    combinations: list[dict[str, Any]]  # reasons, responses: add up to `invalid`
    sample: SampleCheck
    unreadable: dict[str, int] = field(default_factory=dict)  # question -> answers not read
    unlisted: dict[str, int] = field(default_factory=dict)  # question -> not a declared option


def reason_label(survey: Survey, code: str, lang: str) -> str:
    """What a reason code means, in ``lang``."""
    zh = lang.startswith("zh")
    if code == TOO_FAST:
        seconds = f"{survey.min_seconds:g}"
        return f"答题过快（少于{seconds}秒）" if zh else f"answered too fast (under {seconds} s)"
    if code.startswith(MISSING):
        q = survey.question(code[len(MISSING) :])
        name = q.name(lang) if q else code[len(MISSING) :]
        return f"必答题未答：{name}" if zh else f"required question unanswered: {name}"
    if code.startswith(RULE):
        rule = next((r for r in survey.rules if r.id == code[len(RULE) :]), None)
        return rule.reason.get(lang) if rule else code
    return code


def check_validity(
    engine: Engine, resolved: Resolved, lang: str, *, write: bool = True
) -> Validity:
    """Every response's verdict (written to ``survey_validity`` when ``write``), the counts by
    reason and the sample-size check."""
    survey = resolved.survey
    relation = f"({validity_sql(resolved)})"
    if write:
        with engine.transaction():
            engine.execute(_DDL)
            engine.execute(f"delete from {VALIDITY_TABLE} where survey_id = ?", [survey.id])
            engine.execute(
                f"insert into {VALIDITY_TABLE} select ?, _source, _respondent_id, _customer_id, "
                f"_seconds, _valid, _reasons from {relation} v",
                [survey.id],
            )
            relation = (
                f"(select source as _source, respondent_id as _respondent_id, customer_id as "
                f"_customer_id, seconds as _seconds, valid as _valid, reasons as _reasons "
                f"from {VALIDITY_TABLE} where survey_id = {quote_str(survey.id)})"
            )
    responses, valid, no_time = engine.rows(
        f"select count(*), count(*) filter (where _valid), count(*) filter (where _seconds is "
        f"null) from {relation} v"
    )[0]
    reasons = engine.rows(
        f"select r, count(*) from {relation} v, unnest(v._reasons) as t(r) group by r"
    )
    combos = engine.rows(
        f"select list_sort(_reasons), count(*) from {relation} v where not _valid group by 1 "
        "order by 2 desc, 1"
    )
    unreadable, unlisted = answer_problems(engine, resolved)
    order = _reason_order(survey)
    by_reason = [
        {"reason": code, "label": reason_label(survey, code, lang), "responses": int(n)}
        for code, n in sorted(reasons, key=lambda r: (order.get(r[0], len(order)), r[0]))
    ]
    combinations = [
        {
            "reasons": list(codes),
            "labels": [reason_label(survey, c, lang) for c in codes],
            "responses": int(n),
        }
        for codes, n in combos
    ]
    return Validity(
        survey_id=survey.id,
        responses=int(responses),
        valid=int(valid),
        invalid=int(responses - valid),
        no_time=int(no_time),
        by_reason=by_reason,
        combinations=combinations,
        sample=sample_check(engine, survey, relation, lang),
        unreadable=unreadable,
        unlisted=unlisted,
    )


def _reason_order(survey: Survey) -> dict[str, int]:
    codes = [TOO_FAST, *(MISSING + q.id for q in survey.questions if q.required)]
    codes += [RULE + r.id for r in survey.rules]
    return {c: i for i, c in enumerate(codes)}


def sample_check(engine: Engine, survey: Survey, relation: str, lang: str) -> SampleCheck:
    """Valid responses against max(5% of the target group, 200)."""
    if survey.target == ALL:
        size = engine.count("customers") if engine.table_exists("customers") else None
        valid = int(engine.scalar(f"select count(*) from {relation} v where _valid"))
    else:
        built = engine.table_exists("segment_members")
        size = (
            int(
                engine.scalar(
                    "select count(*) from segment_members where segment_id = ?", [survey.target]
                )
            )
            if built
            else None
        )
        valid = (
            int(
                engine.scalar(
                    f"select count(*) from {relation} v where _valid and _customer_id in "
                    "(select customer_id from segment_members where segment_id = ?)",
                    [survey.target],
                )
            )
            if built
            else 0
        )
    if size is None:
        what = "customers" if survey.target == ALL else f"segment {survey.target}"
        return SampleCheck(
            survey.target,
            None,
            valid,
            None,
            False,
            _say(
                lang,
                zh=f"无法检查样本量：尚无{'客户表' if survey.target == ALL else '细分结果'}",
                en=f"cannot check the sample size: no {what} built yet",
            ),
        )
    needed = max(MIN_RESPONSES, math.ceil(MIN_SHARE * size))
    if valid >= needed:
        return SampleCheck(survey.target, size, valid, needed, True)
    share = valid / size if size else 0.0
    return SampleCheck(
        survey.target,
        size,
        valid,
        needed,
        False,
        _say(
            lang,
            zh=f"样本量不足：有效答卷 {valid:,} 份（占目标群体 {size:,} 人的 {share:.1%}），"
            f"需至少 {needed:,} 份（目标群体的 5% 且不少于 {MIN_RESPONSES} 份）",
            en=f"sample too small: {valid:,} valid responses ({share:.1%} of the {size:,} in the "
            f"target group); at least {needed:,} are needed (5% of the target group and at least "
            f"{MIN_RESPONSES})",
        ),
    )


def answer_problems(engine: Engine, resolved: Resolved) -> tuple[dict[str, int], dict[str, int]]:
    """Per question, the answers that could not be read (a rating or number that is not one,
    or off the scale) and the answers not among the declared options."""
    exprs = answer_checks(resolved)
    if not exprs:
        return {}, {}
    counts = engine.rows(
        f"select {', '.join(e for _, _, e in exprs)} from {TABLE} s where {resolved.where}"
    )[0]
    unreadable: dict[str, int] = {}
    unlisted: dict[str, int] = {}
    for (qid, kind, _), n in zip(exprs, counts, strict=True):
        if n:
            (unreadable if kind == "unreadable" else unlisted)[qid] = int(n)
    return unreadable, unlisted


def _say(lang: str, *, zh: str, en: str) -> str:
    return zh if lang.startswith("zh") else en
