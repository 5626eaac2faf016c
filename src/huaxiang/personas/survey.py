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


def survey_answers(engine: Engine, members: str) -> list[dict[str, Any]]:
    """The members' answers to the choice questions of the survey, most given first.

    A question is a key of ``attributes``: single choice (a few distinct answers), multiple
    choice joined with "┋" in one cell, or one 0/1 column per option ("question:option").
    Shares are among the members' (and all respondents') responses answering the question.
    """
    profile = engine.rows(
        f"""
        with answers as (
            select j.key, nullif(trim(j.value ->> '$'), '') as a
            from survey_responses s, json_each(s.attributes) j
        )
        select key, count(distinct a), bool_and(a in ('0', '1')),
               bool_or(contains(a, '{MULTI_SEP}'))
        from answers where key is not null and a is not null
        group by key
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
    if not kinds:
        return []
    rows = engine.rows(
        f"""
        select j.key, nullif(trim(j.value ->> '$'), '') as answer,
               count(*) as population, count(m.customer_id) as members
        from survey_responses s left join {members} m on s.customer_id = m.customer_id,
             json_each(s.attributes) j
        where j.key in (select unnest(?::varchar[])) and answer is not null
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
