"""The survey answers of a persona card: the most common answers of a group's members to the
questionnaire's choice questions, with their shares among the members and the population.

A questionnaire export (问卷星 and the like) arrives as survey_responses with the questions in
``attributes``: single choice in one column, multiple choice joined by ``┋`` or spread over
``question:option`` 0/1 columns. Answers few people gave are left out: they could point at one
person.
"""

from __future__ import annotations

import re
from typing import Any

from huaxiang.engine.duckdb_engine import Engine
from huaxiang.personas import keywords as kw

# Survey tools (问卷星 and the like) export columns that are not questions
SURVEY_META = frozenset({"来源", "来源详情", "来自ip", "ip", "总分", "序号", "所用时间"})
MULTI_SEP = "┋"  # how a multiple-choice answer is joined into one cell
MAX_CHOICES = 12  # a question with more distinct answers is open text, not a choice
MAX_QUESTIONS = 8
ANSWERS_TOP = 4
MIN_ANSWERS = 3  # an answer fewer respondents gave is not shown: it could point at one person
MIN_RESPONSES = 5  # nor a question fewer members answered: their answers would be exposed
_NUMBERED = re.compile(r"^\s*[Qq]?(\d+)")


ANSWERS = "hx_persona_answers"  # the choice answers of every response, long: one table per batch


def prepare_answers(engine: Engine) -> dict[str, str]:
    """The choice questions of the survey (key -> single / multiple / option) and, in the temp
    table ``hx_persona_answers(customer_id, key, answer)``, every response's answers to them:
    one pass over the JSON that every card of a batch then joins its members to.

    A question is a key of ``attributes``: single choice (a few distinct answers), multiple
    choice joined with "┋" in one cell, or one 0/1 column per option ("question:option").
    """
    engine.execute(
        f"""
        create or replace temp table {ANSWERS} as
        select s.customer_id, j.key, nullif(trim(j.value ->> '$'), '') as answer
        from survey_responses s, json_each(s.attributes) j
        where j.key is not null and answer is not null
        """
    )
    profile = engine.rows(
        f"""
        select key, count(distinct answer), bool_and(answer in ('0', '1')),
               bool_or(contains(answer, '{MULTI_SEP}'))
        from {ANSWERS} group by key
        """
    )
    kinds: dict[str, str] = {}
    for key, distinct, binary, multi in profile:
        if key.strip().lower() in SURVEY_META:
            continue
        if binary and re.search(r"[:：]", key):
            kinds[key] = "option"
        elif multi:
            kinds[key] = "multiple"
        elif distinct <= MAX_CHOICES:
            kinds[key] = "single"
    return kinds


def drop_answers(engine: Engine) -> None:
    engine.execute(f"drop table if exists temp.{ANSWERS}")


def survey_answers(
    engine: Engine, members: str, kinds: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The members' answers to the choice questions of the survey, most given first.

    ``kinds`` is what :func:`prepare_answers` returned for a batch of cards (its table still
    there); without it the answers are prepared for this call alone. Shares are among the
    members' (and all respondents') responses answering the question.
    """
    if kinds is None:
        try:
            return survey_answers(engine, members, prepare_answers(engine))
        finally:
            drop_answers(engine)
    if not kinds:
        return []
    rows = engine.rows(
        f"""
        select a.key, a.answer, count(*) as population, count(m.customer_id) as members
        from {ANSWERS} a left join {members} m on a.customer_id = m.customer_id
        where a.key in (select unnest(?::varchar[]))
        group by all
        """,
        [sorted(kinds)],
    )
    # question -> answer -> [members, population]; the responses answering each key likewise
    counts: dict[str, dict[str, list[int]]] = {}
    by_key: dict[str, list[int]] = {}
    question_of: dict[str, str] = {}
    for key, answer, pop, mem in rows:
        kind = kinds[key]
        question, items = key, [answer]
        if kind == "option":
            question = re.split(r"[:：]", key, maxsplit=1)[0]
            items = [key[len(question) + 1 :].strip()] if answer == "1" else []
        elif kind == "multiple":
            items = [i.strip() for i in answer.split(MULTI_SEP) if i.strip()]
        question_of[key] = question
        for item in items:
            c = counts.setdefault(question, {}).setdefault(item, [0, 0])
            c[0] += mem
            c[1] += pop
        k = by_key.setdefault(key, [0, 0])
        k[0] += mem
        k[1] += pop
    # every response answers all option columns of a question: any one of them counts them
    answered: dict[str, list[int]] = {}
    for key, (mem, pop) in by_key.items():
        a = answered.setdefault(question_of[key], [0, 0])
        a[0], a[1] = max(a[0], mem), max(a[1], pop)
    out = []
    for question in sorted(counts, key=_question_order):
        mem_total, pop_total = answered[question]
        if mem_total < MIN_RESPONSES:
            continue
        answers: list[dict[str, Any]] = [
            {
                "answer": item,
                "count": mem,
                "share": round(mem / mem_total, 4),
                "share_population": round(pop / pop_total, 4),
            }
            for item, (mem, pop) in counts[question].items()
            if mem and pop >= MIN_ANSWERS and not kw.looks_personal(item)
        ]
        answers.sort(key=lambda a: (-a["count"], a["answer"]))
        if answers:
            out.append(
                {
                    "question": question,
                    "kind": "single" if kinds.get(question) == "single" else "multiple",
                    "respondents": mem_total,
                    "answers": answers[:ANSWERS_TOP],
                }
            )
    return out[:MAX_QUESTIONS]


def _question_order(question: str) -> tuple[int, str]:
    m = _NUMBERED.match(question)
    return (int(m.group(1)) if m else 10**6, question)
