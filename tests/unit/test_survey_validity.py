"""Validity and distributions on a hand-made table of responses: every count worked out by hand
in the comments, and the counts add up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from huaxiang.engine.duckdb_engine import Engine
from huaxiang.surveys import (
    VALIDITY_TABLE,
    Resolved,
    SegmentRef,
    analyse,
    check_validity,
    load_surveys,
    open_text_sql,
    resolve,
)

SURVEY = """\
version: 1
id: shop
title: {zh: 满意度, en: Satisfaction}
source: wjx
separator: "|"
questions:
  - {id: freq, header: 近6个月购买次数, type: single, options: [从未购买, 1次, 2-3次],
     required: true}
  - {id: habit, header: 购买习惯, type: single, options: [每周, 每月]}
  - {id: reasons, header: 购买原因, type: multiple, options: [性价比, 品牌, 服务]}
  - {id: chan, header: 8、渠道, type: multiple}
  - {id: score, header: 满意度, type: rating, required: true}
  - {id: spend, header: 月消费, type: number}
  - {id: note, header: 建议, type: text}
rules:
  - id: never_weekly
    when: freq = '从未购买' and habit = '每周'
    reason: {zh: 矛盾, en: contradiction}
"""
T0 = "2026-05-01 10:00:00"
# respondent, customer, start, submit, duration, answers
ROWS: list[tuple[str, str | None, str | None, str | None, float | None, dict[str, str]]] = [
    # valid
    ("r1", "C1", None, None, 200, {"近6个月购买次数": "1次", "购买习惯": "每月",
     "购买原因": "性价比|品牌", "8、渠道：小红书": "1", "8、渠道：抖音": "0", "满意度": "5",
     "月消费": "100", "建议": "太慢了"}),
    # too fast
    ("r2", "C6", None, None, 100, {"近6个月购买次数": "2-3次", "购买习惯": "每周",
     "购买原因": "品牌", "满意度": "4"}),
    # no duration: submit - start = 300 s, not too fast; never bought but weekly: contradiction
    ("r3", None, T0, "2026-05-01 10:05:00", None, {"近6个月购买次数": "从未购买",
     "购买习惯": "每周", "满意度": "3"}),
    # submit - start = 60 s: too fast, and the required freq is missing
    ("r4", None, T0, "2026-05-01 10:01:00", None, {"满意度": "3"}),
    # no time at all (not checked for speed); "5分" reads as 5
    ("r5", "C2", None, None, None, {"近6个月购买次数": "1次", "满意度": "5分", "月消费": "300元"}),
    # the required score missing
    ("r6", None, None, None, 500, {"近6个月购买次数": "2-3次"}),
    # 7 is off the 1-5 scale: unreadable, so the required score is missing
    ("r7", None, None, None, 500, {"近6个月购买次数": "1次", "满意度": "7"}),
    # an answer outside the options (counted as other), spend not a number
    ("r8", "C3", None, None, 500, {"近6个月购买次数": "其他〖朋友代买〗", "购买原因": "服务",
     "满意度": "3", "月消费": "abc"}),
    ("r9", "C4", None, None, 181, {"近6个月购买次数": "2-3次", "购买原因": "性价比 | 服务 ||",
     "满意度": "4", "月消费": "50"}),
    # exactly 180 s is not too fast
    ("r10", "C5", None, None, 180, {"近6个月购买次数": "1次", "满意度": "2"}),
]  # fmt: skip


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Engine, Resolved]:
    (tmp_path / "surveys").mkdir()
    (tmp_path / "surveys" / "shop.yaml").write_text(SURVEY, encoding="utf-8")
    engine = Engine(None)
    engine.execute(
        "create table survey_responses (_source varchar, respondent_id varchar, "
        "customer_id varchar, started_at timestamp, submitted_at timestamp, "
        "duration_s decimal(18, 3), attributes json)"
    )
    for source, rows in (("wjx", ROWS), ("other", ROWS[:2])):  # another survey's rows
        for rid, customer, start, submit, duration, answers in rows:
            engine.execute(
                "insert into survey_responses values (?, ?, ?, ?, ?, ?, ?)",
                [source, rid, customer, start, submit, duration, json.dumps(answers)],
            )
    engine.execute(
        "create table customers as select 'C' || i as customer_id from range(1, 1001) t(i)"
    )
    engine.execute(
        "create table segment_members as select * from (values ('C1', 'big'), ('C2', 'big'), "
        "('C3', 'big'), ('C4', 'big'), ('C5', 'big'), ('C6', 'big'), ('C1', 'tiny')) "
        "t(customer_id, segment_id)"
    )
    catalog = load_surveys(tmp_path)
    return engine, resolve(
        engine, catalog, catalog.get("shop"), sources={"wjx": "survey_responses"}
    )


def test_validity_counts_add_up(shop: tuple[Engine, Resolved]) -> None:
    engine, resolved = shop
    v = check_validity(engine, resolved, "en")
    assert (v.responses, v.valid, v.invalid, v.no_time) == (10, 5, 5, 1)
    assert v.responses == v.valid + v.invalid
    assert {r["reason"]: r["responses"] for r in v.by_reason} == {
        "too_fast": 2, "missing:freq": 1, "missing:score": 2, "rule:never_weekly": 1,
    }  # fmt: skip
    assert [r["reason"] for r in v.by_reason] == [
        "too_fast", "missing:freq", "missing:score", "rule:never_weekly",
    ]  # fmt: skip
    combos = {" + ".join(c["reasons"]): c["responses"] for c in v.combinations}
    assert combos == {"too_fast": 1, "missing:freq + too_fast": 1, "missing:score": 2,
                      "rule:never_weekly": 1}  # fmt: skip
    assert sum(combos.values()) == v.invalid
    assert v.by_reason[0]["label"] == "answered too fast (under 180 s)"
    assert v.by_reason[3]["label"] == "contradiction"
    assert v.unreadable == {"score": 1, "spend": 1} and v.unlisted == {"freq": 1}


def test_the_verdicts_are_written_and_replaced(shop: tuple[Engine, Resolved]) -> None:
    engine, resolved = shop
    check_validity(engine, resolved, "zh")
    check_validity(engine, resolved, "zh")
    rows = dict(engine.rows(f"select respondent_id, reasons from {VALIDITY_TABLE}"))
    assert len(rows) == 10 and engine.count(VALIDITY_TABLE, "survey_id = 'shop'") == 10
    assert rows["r1"] == [] and sorted(rows["r4"]) == ["missing:freq", "too_fast"]
    seconds = dict(engine.rows(f"select respondent_id, seconds from {VALIDITY_TABLE}"))
    assert seconds["r3"] == 300 and seconds["r5"] is None


def test_sample_size_check(shop: tuple[Engine, Resolved]) -> None:
    engine, resolved = shop
    s = check_validity(engine, resolved, "en", write=False).sample
    assert (s.target_size, s.valid, s.needed, s.ok) == (1000, 5, 200, False)
    assert s.message is not None and "5 valid responses" in s.message and "200" in s.message
    engine.execute("delete from customers where customer_id not in ('C1', 'C2')")
    engine.execute("insert into customers select 'X' || i from range(3998) t(i)")
    s = check_validity(engine, resolved, "zh", write=False).sample
    assert (s.target_size, s.needed) == (4000, 200)  # 5% of 4,000 is 200
    engine.execute("insert into customers select 'Y' || i from range(20000) t(i)")
    s = check_validity(engine, resolved, "zh", write=False).sample
    assert s.needed == 1200 and s.message is not None and "样本量不足" in s.message


def _by_id(questions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in questions}


def test_distributions_of_the_valid_responses(shop: tuple[Engine, Resolved]) -> None:
    engine, resolved = shop
    v = check_validity(engine, resolved, "en", write=False)
    result = analyse(engine, resolved, v, "en")
    q = _by_id(result.questions)
    assert result.valid == 5 and result.linked == 5 and result.in_segments is None
    # valid: r1, r5, r8, r9, r10
    assert q["freq"]["answered"] == 5
    assert [(a["answer"], a["count"], a["share"]) for a in q["freq"]["answers"]] == [
        ("从未购买", 0, 0.0), ("1次", 3, 0.6), ("2-3次", 1, 0.2),
        ("other (answers not listed)", 1, 0.2),
    ]  # fmt: skip
    # multiple: of the 3 who chose anything, the share choosing each option
    assert q["reasons"]["answered"] == 3
    assert [(a["answer"], a["count"], a["share"]) for a in q["reasons"]["answers"]] == [
        ("性价比", 2, 0.6667), ("品牌", 1, 0.3333), ("服务", 2, 0.6667),
    ]  # fmt: skip
    # one column per option, found by the full-width colon
    assert q["chan"]["answered"] == 1 and q["chan"]["answers"][0]["answer"] == "小红书"
    # rating 5, 5, 3, 4, 2: mean 3.8, median 4, top-2-box 3 of 5
    score = q["score"]
    assert (score["mean"], score["median"], score["top2_count"], score["top2"]) == (
        3.8,
        4.0,
        3,
        0.6,
    )
    assert [a["count"] for a in score["answers"]] == [0, 1, 1, 1, 2]
    # number 100, 300, 50
    assert (q["spend"]["answered"], q["spend"]["mean"], q["spend"]["median"]) == (3, 150.0, 100.0)
    assert (q["spend"]["min"], q["spend"]["max"]) == (50.0, 300.0)
    # open text: how many answered, never the words
    assert q["note"]["answered"] == 1 and "answers" not in q["note"]
    assert "太慢了" not in json.dumps(result.questions, ensure_ascii=False)


def test_cross_tabs_by_segment(shop: tuple[Engine, Resolved]) -> None:
    engine, resolved = shop
    v = check_validity(engine, resolved, "zh", write=False)
    segments = [SegmentRef("big", "大客户", "g"), SegmentRef("tiny", "小", "g")]
    result = analyse(engine, resolved, v, "zh", segments)
    assert result.in_segments == 5
    assert [(s["segment"], s["respondents"], s["shown"]) for s in result.segments] == [
        ("big", 5, True), ("tiny", 1, False),
    ]  # fmt: skip
    score = _by_id(result.questions)["score"]
    big, tiny = score["by_segment"]
    assert big["mean"] == score["mean"] and big["answers"] == score["answers"]
    assert tiny == {"segment": "tiny", "name": "小", "answered": 1}  # too few to show answers


def test_open_text_relation(shop: tuple[Engine, Resolved]) -> None:
    engine, resolved = shop
    rows = engine.dicts(open_text_sql(resolved))
    assert rows == [{"survey_id": "shop", "question_id": "note", "header": "建议",
                     "respondent_id": "r1", "customer_id": "C1", "text": "太慢了"}]  # fmt: skip
    assert engine.rows(open_text_sql(resolved, "freq")) == []
