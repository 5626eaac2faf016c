"""Survey invariants on random responses, against a plain Python reading of the same rules:

- every response's verdict is the one Python gives (too fast, required missing, the rule);
- responses = valid + invalid, and the invalid ones by their set of reasons add up;
- KANO counts add up to the classified pairs, the shares to 1, Better in [0, 1], Worse in
  [-1, 0].
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huaxiang.engine.duckdb_engine import Engine
from huaxiang.surveys import check_validity, load_surveys, resolve
from huaxiang.surveys.kano import classify, kano_results
from huaxiang.surveys.responses import Resolved

LABELS = ("喜欢", "理所当然", "无所谓", "能忍受", "不喜欢")
KEYS = ("like", "must_be", "neutral", "live_with", "dislike")
SURVEY = """\
version: 1
id: p
title: P
questions:
  - {id: freq, header: Q1, type: single, options: [never, once, often], required: true}
  - {id: habit, header: Q2, type: single, options: [weekly, monthly]}
  - {id: f, header: KF, type: single}
  - {id: d, header: KD, type: single}
kano:
  labels: {like: 喜欢, must_be: 理所当然, neutral: 无所谓, live_with: 能忍受, dislike: 不喜欢}
  features: [{name: x, functional: f, dysfunctional: d}]
rules:
  - {id: contra, when: "freq = 'never' and habit = 'weekly'", reason: contradiction}
"""

answer = st.none() | st.sampled_from(["never", "once", "often", "weekly", "monthly", "?"])
kano_answer = st.none() | st.sampled_from([*LABELS, "别的"])
responses = st.lists(
    st.tuples(
        st.none() | st.integers(0, 400),  # duration
        answer,
        answer,
        kano_answer,
        kano_answer,
    ),
    min_size=1,
    max_size=40,
)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Resolved]:
    root = tmp_path_factory.mktemp("survey")
    (root / "surveys").mkdir()
    (root / "surveys" / "p.yaml").write_text(SURVEY, encoding="utf-8")
    engine = Engine(None)
    engine.execute(
        "create table survey_responses (_source varchar, respondent_id varchar, "
        "customer_id varchar, started_at timestamp, submitted_at timestamp, "
        "duration_s double, attributes json)"
    )
    engine.execute(
        "insert into survey_responses values ('s', '0', null, null, null, 1, "
        '\'{"Q1": "x", "Q2": "x", "KF": "x", "KD": "x"}\')'
    )
    catalog = load_surveys(root)
    return engine, resolve(engine, catalog, catalog.get("p"), sources={"s": "survey_responses"})


def _load(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    engine.execute("delete from survey_responses")
    for i, (duration, freq, habit, f, d) in enumerate(rows):
        cells = {"Q1": freq, "Q2": habit, "KF": f, "KD": d}
        attributes = json.dumps({k: v for k, v in cells.items() if v is not None})
        engine.execute(
            "insert into survey_responses values ('s', ?, null, null, null, ?, ?)",
            [str(i), duration, attributes],
        )


def _reasons(duration: int | None, freq: str | None, habit: str | None) -> set[str]:
    out = set()
    if duration is not None and duration < 180:
        out.add("too_fast")
    if freq is None:
        out.add("missing:freq")
    if freq == "never" and habit == "weekly":
        out.add("rule:contra")
    return out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=responses)
def test_verdicts_match_python_and_add_up(
    setup: tuple[Engine, Resolved], rows: list[tuple[Any, ...]]
) -> None:
    engine, resolved = setup
    _load(engine, rows)
    v = check_validity(engine, resolved, "en")
    expected = [_reasons(duration, freq, habit) for duration, freq, habit, _, _ in rows]
    found = dict(engine.rows("select respondent_id, reasons from survey_validity"))
    assert [set(found[str(i)]) for i in range(len(rows))] == expected
    assert v.responses == len(rows) == v.valid + v.invalid
    assert v.valid == sum(1 for e in expected if not e)
    assert sum(c["responses"] for c in v.combinations) == v.invalid
    for r in v.by_reason:
        assert r["responses"] == sum(1 for e in expected if r["reason"] in e) <= v.invalid


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=responses)
def test_kano_counts_and_shares(
    setup: tuple[Engine, Resolved], rows: list[tuple[Any, ...]]
) -> None:
    engine, resolved = setup
    _load(engine, rows)
    [result] = kano_results(engine, resolved, "en")
    pairs = [
        classify(KEYS[LABELS.index(f)], KEYS[LABELS.index(d)])
        for duration, freq, habit, f, d in rows
        if not _reasons(duration, freq, habit) and f in LABELS and d in LABELS
    ]
    assert result.classified == len(pairs) == sum(result.counts.values())
    assert result.counts == {c: pairs.count(c) for c in "AOMIRQ"}
    if pairs:
        assert sum(result.shares.values()) == pytest.approx(1.0, abs=1e-3)
    if result.better is not None and result.worse is not None:
        assert 0 <= result.better <= 1 and -1 <= result.worse <= 0
