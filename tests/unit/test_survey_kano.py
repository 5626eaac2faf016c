"""KANO: the evaluation table as published, the satisfaction coefficients on a hand-worked
example, the majority and priority rules, and the SQL classification against the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from huaxiang.engine.duckdb_engine import Engine
from huaxiang.surveys import load_surveys, resolve
from huaxiang.surveys.kano import (
    ANSWERS,
    EVALUATION,
    better_worse,
    classify,
    kano_results,
    majority,
    pairs_sql,
    priority_key,
)

# The Kano evaluation table: Kano, Seraku, Takahashi & Tsuji (1984), "Attractive quality and
# must-be quality", Journal of the Japanese Society for Quality Control 14(2); as tabulated in
# Berger et al. (1993), "Kano's methods for understanding customer-defined quality", Center for
# Quality Management Journal 2(4), p. 3-36 (table "Kano evaluation table").
# Rows: the answer to the functional question; columns: the dysfunctional one.
#                 like  must-be  neutral  live-with  dislike
PUBLISHED = {
    "like": ("Q", "A", "A", "A", "O"),
    "must_be": ("R", "I", "I", "I", "M"),
    "neutral": ("R", "I", "I", "I", "M"),
    "live_with": ("R", "I", "I", "I", "M"),
    "dislike": ("R", "R", "R", "R", "Q"),
}


def test_the_evaluation_table_is_the_published_one() -> None:
    assert tuple(PUBLISHED) == ANSWERS
    assert dict(zip(ANSWERS, EVALUATION, strict=True)) == PUBLISHED
    assert classify("like", "dislike") == "O"  # wanted and missed: one-dimensional
    assert classify("like", "neutral") == "A"  # a delight, not missed
    assert classify("must_be", "dislike") == "M"  # expected; its absence dissatisfies
    assert classify("dislike", "like") == "R"
    assert classify("like", "like") == "Q" and classify("dislike", "dislike") == "Q"


def test_better_and_worse_on_a_hand_worked_example() -> None:
    # 100 answers: A 20, O 30, M 25, I 15, R 6, Q 4. R and Q are left out of the base:
    # A+O+M+I = 90; Better = (20+30)/90 = 0.5556; Worse = -(30+25)/90 = -0.6111
    counts = {"A": 20, "O": 30, "M": 25, "I": 15, "R": 6, "Q": 4}
    better, worse = better_worse(counts)
    assert better == pytest.approx(50 / 90) and round(better or 0, 4) == 0.5556
    assert worse == pytest.approx(-55 / 90) and round(worse or 0, 4) == -0.6111
    assert better_worse({"R": 3, "Q": 1}) == (None, None)


def test_majority_and_its_tie_rule() -> None:
    assert majority({"A": 5, "O": 9, "M": 2, "I": 1}) == "O"
    assert majority({"A": 7, "M": 7, "I": 3}) == "M"  # a tie goes to M > O > A > I
    assert majority({"A": 4, "I": 4}) == "A"
    assert majority({"Q": 6, "I": 5}) == "Q"
    assert majority({}) is None


def test_priority_order() -> None:
    rows = [
        {"feature": "i", "category": "I", "better": 0.4, "worse": -0.1},
        {"feature": "a_low", "category": "A", "better": 0.5, "worse": -0.9},
        {"feature": "a_high", "category": "A", "better": 0.7, "worse": -0.1},
        {"feature": "o", "category": "O", "better": 0.1, "worse": -0.5},
        {"feature": "m_small", "category": "M", "better": 0.9, "worse": -0.4},
        {"feature": "m_big", "category": "M", "better": 0.1, "worse": -0.8},
        {"feature": "none", "category": None, "better": None, "worse": None},
    ]
    order = [r["feature"] for r in sorted(rows, key=priority_key)]
    assert order == ["m_big", "m_small", "o", "a_high", "a_low", "i", "none"]


SURVEY = """\
version: 1
id: k
title: KANO
questions:
  - {id: fast_f, header: F, type: single}
  - {id: fast_d, header: D, type: single}
kano:
  labels: {like: L, must_be: M, neutral: N, live_with: W, dislike: X}
  features:
    - {name: {zh: 48小时送达, en: Fast delivery}, functional: fast_f, dysfunctional: fast_d}
"""


def test_the_sql_classifies_every_pair_as_the_table(tmp_path: Path) -> None:
    (tmp_path / "surveys").mkdir()
    (tmp_path / "surveys" / "k.yaml").write_text(SURVEY, encoding="utf-8")
    engine = Engine(None)
    engine.execute(
        "create table survey_responses (_source varchar, respondent_id varchar, "
        "customer_id varchar, started_at timestamp, submitted_at timestamp, "
        "duration_s double, attributes json)"
    )
    labels = "LMNWX"
    rows = [
        (f"{f}{d}", json.dumps({"F": labels[f], "D": labels[d]}))
        for f in range(5)
        for d in range(5)
    ]
    rows += [("odd", json.dumps({"F": "?", "D": "L"})), ("skip", json.dumps({"F": "L"}))]
    for rid, attributes in rows:
        engine.execute(
            "insert into survey_responses values ('s', ?, null, null, null, 600, ?)",
            [rid, attributes],
        )
    catalog = load_surveys(tmp_path)
    resolved = resolve(engine, catalog, catalog.get("k"), sources={"s": "survey_responses"})
    found = dict(engine.rows(f"select _respondent_id, category from ({pairs_sql(resolved)}) p"))
    assert {k: v for k, v in found.items() if k not in ("odd", "skip")} == {
        f"{f}{d}": EVALUATION[f][d] for f in range(5) for d in range(5)
    }
    assert found["odd"] is None and found["skip"] is None
    [result] = kano_results(engine, resolved, "en")
    assert result.name == "Fast delivery" and result.classified == 25 and result.unreadable == 1
    assert result.counts == {"A": 3, "O": 1, "M": 3, "I": 9, "R": 7, "Q": 2}
    assert sum(result.shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert result.category == "I" and result.priority == 1
    assert result.better == round(4 / 16, 4) and result.worse == round(-4 / 16, 4)
