"""Model tags carry the value model's outputs (customer_value): unknown until it has run, its
values once it has, and a new scoring run recomputes them and the tags using them only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from huaxiang import Workspace
from huaxiang.compiler.sql import standalone_query
from huaxiang.demo import create_demo_workspace
from huaxiang.tagging.build import TagBuild, model_columns
from huaxiang.tagging.changes import dependents, scored_value_run

MODEL_TAGS = {"p_alive": "p_alive", "expected_purchases_90d": "expected_purchases_90d",
              "clv_12m": "clv_12m"}  # fmt: skip
BAND = "predicted_churn_risk"
# p_alive values the scoring run hands out in turn: both edges, either side of them, NULL
P_ALIVE = "[0.0, 0.29, 0.3, 0.5, 0.69, 0.7, 1.0, NULL]::double[]"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = create_demo_workspace(tmp_path / "shop", customers=300, seed=5)
    workspace.build()
    workspace.build_tags(full=True)
    return workspace


def score(ws: Workspace, run_id: str, shift: int = 0) -> None:
    """A scoring run written by hand: every fifth customer has no row (not scored)."""
    ws.engine.execute(
        f"""
        create or replace table customer_value as
        select customer_id, ? as run_id, date '2026-06-30' as as_of,
               n::double as frequency, (2 * n)::double as recency, (3 * n)::double as "T",
               100.0::double as monetary_value,
               list_extract({P_ALIVE}, (n + ?) % 8 + 1) as p_alive,
               (n + ?) / 100.0 as expected_purchases_90d,
               (10 * n)::double as expected_spend,
               (10 * n + ?)::double as clv_12m
        from (select customer_id, row_number() over (order by customer_id) as n from customers)
        where n % 5 <> 0
        """,
        [run_id, shift, shift, shift],
    )


def band(p: float | None) -> str | None:
    if p is None:
        return None
    return "high" if p < 0.3 else "medium" if p < 0.7 else "low"


def tags_and_scores(ws: Workspace) -> list[dict[str, Any]]:
    tags = ", ".join(f"t.{t}" for t in [*MODEL_TAGS, BAND])
    scores = ", ".join(f"v.{c} as v_{t}" for t, c in MODEL_TAGS.items())
    return ws.engine.dicts(
        f"select t.customer_id, {tags}, {scores}, v.customer_id is not null as scored "
        "from customer_tags t left join customer_value v using (customer_id) order by 1"
    )


def assert_tags_are_the_scores(ws: Workspace) -> None:
    rows = tags_and_scores(ws)
    assert rows and any(r["scored"] for r in rows) and not all(r["scored"] for r in rows)
    for r in rows:
        for tag in MODEL_TAGS:
            assert r[tag] == r[f"v_{tag}"], (r["customer_id"], tag)  # NULL without a row
        assert r[BAND] == band(r["p_alive"]), r
    # the edges go to the upper band: 0.3 is medium, 0.7 low
    bands = {(r["p_alive"], r[BAND]) for r in rows if r["scored"]}
    assert {(0.29, "high"), (0.3, "medium"), (0.69, "medium"), (0.7, "low"), (None, None)} <= bands


def table(ws: Workspace, name: str) -> list[tuple[object, ...]]:
    return ws.engine.rows(f"select * from {name} order by customer_id")


def assert_same_as_full(ws: Workspace, result: TagBuild) -> None:
    tags = table(ws, "customer_tags")
    full = ws.build_tags(result.as_of, full=True)
    assert full.computed_tags == full.tags
    assert table(ws, "customer_tags") == tags


def test_model_tags_are_unknown_until_the_model_has_run(ws: Workspace) -> None:
    assert scored_value_run(ws.engine) is None
    assert model_columns(ws.engine) == set()
    types = dict(
        ws.engine.rows(
            "select column_name, data_type from duckdb_columns() where table_name = 'customer_tags'"
        )
    )
    for tag in [*MODEL_TAGS, BAND]:
        assert ws.engine.count("customer_tags", f"{tag} is not null") == 0, tag
    assert {types[t] for t in MODEL_TAGS} == {"DOUBLE"}
    assert ws.engine.count("customer_tags") == ws.engine.count("customers")
    runs = ws.engine.rows("select value_run from hx_tag_runs")
    assert runs == [(None,)]


def test_model_tags_are_the_scores(ws: Workspace) -> None:
    score(ws, "value-1")
    assert scored_value_run(ws.engine) == "value-1"
    assert model_columns(ws.engine) == {
        "frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases_90d",
        "expected_spend", "clv_12m",
    }  # fmt: skip
    result = ws.build_tags(full=True)
    assert_tags_are_the_scores(ws)
    recorded = ws.engine.scalar(
        "select value_run from hx_tag_runs where run_id = ?", [result.run_id]
    )
    assert recorded == "value-1"
    # the snapshot keeps them as text, like every tag
    snapshot = dict(
        ws.engine.rows(
            f"select customer_id, {BAND} from tag_snapshots where run_id = ?", [result.run_id]
        )
    )
    assert snapshot == dict(ws.engine.rows(f"select customer_id, {BAND} from customer_tags"))


def test_a_new_scoring_run_recomputes_the_model_tags_and_their_users_only(
    ws: Workspace,
) -> None:
    plan = ws.tag_plan()
    models = {t for t, tag in plan.tags.items() if tag.rule.model is not None}
    assert models == set(MODEL_TAGS)
    expected = dependents(plan, models) & set(plan.tags)
    assert expected == {*MODEL_TAGS, BAND}

    score(ws, "value-1")
    first = ws.build_tags()
    assert (first.computed_tags, first.computed_features) == (len(expected), 0)
    assert first.reason == (
        f"the value model scores changed (None -> value-1) since {first.previous_run}"
    )
    assert_tags_are_the_scores(ws)

    same = ws.build_tags()
    assert (same.computed_tags, same.computed_features) == (0, 0)
    assert same.reason == "nothing changed"

    others = [c for c in ws.engine.columns("customer_tags") if c not in expected]
    before = ws.engine.rows(f"select {', '.join(others)} from customer_tags order by 1")
    score(ws, "value-2", shift=3)
    second = ws.build_tags()
    assert (second.computed_tags, second.computed_features) == (len(expected), 0)
    assert "(value-1 -> value-2)" in second.reason
    assert_tags_are_the_scores(ws)  # the new values: the table was rewritten with others
    assert ws.engine.scalar("select max(clv_12m - 10 * frequency) from customer_value") == 3
    assert ws.engine.rows(f"select {', '.join(others)} from customer_tags order by 1") == before
    assert_same_as_full(ws, second)


def test_definitions_and_scores_changed_together(ws: Workspace) -> None:
    score(ws, "value-1")
    path = ws.root / "tags" / "value.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("round(spend_total, 2)", "round(spend_total, 0)"), "utf-8")
    result = ws.build_tags()
    assert result.computed_tags == len(MODEL_TAGS) + 1 + 1  # the band, and ltv
    assert result.reason.startswith("1 definitions changed and the value model scores changed")
    assert_same_as_full(ws, result)


def test_a_missing_output_or_table_is_unknown(ws: Workspace) -> None:
    score(ws, "value-1")
    ws.engine.execute("alter table customer_value drop column clv_12m")
    lacking = ws.build_tags()
    assert lacking.computed_tags == len(MODEL_TAGS) + 1
    assert ws.engine.count("customer_tags", "clv_12m is not null") == 0
    assert ws.engine.count("customer_tags", "p_alive is not null") > 0

    ws.engine.execute("drop table customer_value")
    gone = ws.build_tags()
    assert "(value-1 -> None)" in gone.reason
    for tag in [*MODEL_TAGS, BAND]:
        assert ws.engine.count("customer_tags", f"{tag} is not null") == 0, tag


def test_builds_recorded_before_value_runs_existed(ws: Workspace) -> None:
    # hx_tag_runs of an older release has no value_run column: it is added, NULL in old rows
    ws.engine.execute("alter table hx_tag_runs drop column value_run")
    result = ws.build_tags()
    assert result.reason == "nothing changed"
    assert ws.engine.rows("select value_run from hx_tag_runs") == [(None,), (None,)]


def test_standalone_sql_reads_the_model_table(ws: Workspace) -> None:
    plan = ws.tag_plan()
    as_of = ws.engine.scalar("select as_of from hx_tag_runs")
    wanted = [BAND, "clv_12m"]
    cols = f"customer_id, {', '.join(wanted)}"
    # before the model has run: NULL for everyone, without the table
    sql = standalone_query(plan, as_of, wanted, model_columns(ws.engine))
    assert "customer_value" not in sql
    assert all(r[1:] == (None, None) for r in ws.engine.rows(sql))

    score(ws, "value-1")
    ws.build_tags()
    built = ws.engine.rows(f"select {cols} from customer_tags order by 1")
    for sql in (
        standalone_query(plan, as_of, wanted, model_columns(ws.engine)),
        ws.tag_sql(wanted, as_of),  # huaxiang tags sql: the table is read
    ):
        assert ws.engine.rows(f"select * from ({sql}) order by 1") == built
