"""Rebuilding tags after a definition change computes only what depends on it, and the result
is exactly what a full build gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from huaxiang import Workspace
from huaxiang.compiler.plan import Plan
from huaxiang.demo import create_demo_workspace
from huaxiang.tagging.build import TagBuild
from huaxiang.tagging.changes import dependents


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = create_demo_workspace(tmp_path / "shop", customers=300, seed=5)
    workspace.build()
    workspace.build_tags(full=True)
    return workspace


def table(ws: Workspace, name: str) -> list[tuple[object, ...]]:
    return ws.engine.rows(f"select * from {name} order by customer_id")


def edit(ws: Workspace, kind: str, file: str, old: str, new: str) -> None:
    path = ws.root / kind / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_same_as_full(ws: Workspace, result: TagBuild) -> None:
    """The incremental tables equal a full build's, column order included."""
    tags, features = table(ws, "customer_tags"), table(ws, "customer_features")
    tag_cols, feature_cols = (
        ws.engine.columns("customer_tags"),
        ws.engine.columns("customer_features"),
    )
    full = ws.build_tags(result.as_of, full=True)
    assert full.computed_tags == full.tags
    assert ws.engine.columns("customer_tags") == tag_cols
    assert ws.engine.columns("customer_features") == feature_cols
    assert table(ws, "customer_tags") == tags
    assert table(ws, "customer_features") == features


def test_nothing_changed_computes_nothing(ws: Workspace) -> None:
    before = table(ws, "customer_tags")
    result = ws.build_tags()
    assert (result.computed_tags, result.computed_features) == (0, 0)
    assert result.reason == "nothing changed"
    assert table(ws, "customer_tags") == before
    # still a run of its own, with a full snapshot
    snap = ws.engine.scalar("select count(*) from tag_snapshots where run_id = ?", [result.run_id])
    assert snap == result.customers


def test_a_changed_tag_recomputes_it_and_its_users_only(ws: Workspace) -> None:
    plan = ws.tag_plan()
    expected = dependents(plan, {"aov"}) & set(plan.tags)
    assert {"aov", "aov_band"} <= expected < set(plan.tags)
    edit(ws, "tags", "value.yaml", "round(spend_total / nullif(orders_total, 0), 2)",
         "round(spend_total / nullif(orders_total, 0), 0)")  # fmt: skip
    result = ws.build_tags()
    assert result.computed_tags == len(expected)
    assert result.computed_features == 0
    assert "1 definitions changed" in result.reason
    # the new rule is in effect: whole yuan
    fractions = ws.engine.scalar("select count(*) from customer_tags where aov <> round(aov)")
    assert fractions == 0
    assert_same_as_full(ws, result)


def test_a_changed_feature_recomputes_the_tags_using_it(ws: Workspace) -> None:
    plan: Plan = ws.tag_plan()
    expected = dependents(plan, {"spend_total"})
    edit(ws, "features", "orders.yaml", "id: spend_total", "id: spend_total\n    default: 0")
    result = ws.build_tags()
    assert result.computed_features == 1
    assert result.computed_tags == len(expected & set(plan.tags)) > 1
    assert_same_as_full(ws, result)


def test_added_and_removed_tags(ws: Workspace) -> None:
    extra = ws.root / "tags" / "extra.yaml"
    extra.write_text(
        "version: 1\ntags:\n  - id: big_spender\n    name: {zh: 大客户, en: Big spender}\n"
        "    layer: value\n    definition: LTV over 2000\n    source: orders\n"
        "    owner: CRM\n    created: 2026-11-01\n"
        "    rule: {expression: ltv > 2000}\n",
        encoding="utf-8",
    )
    added = ws.build_tags()
    assert added.computed_tags == 1
    assert "big_spender" in ws.engine.columns("customer_tags")
    assert_same_as_full(ws, added)

    extra.unlink()
    removed = ws.build_tags()
    assert removed.computed_tags == 0
    assert "big_spender" not in ws.engine.columns("customer_tags")
    # the history keeps the column: older runs had values in it
    assert "big_spender" in ws.engine.columns("tag_snapshots")


def test_new_data_or_another_day_is_a_full_build(ws: Workspace) -> None:
    other_day = ws.build_tags(dt.date(2026, 5, 31))
    assert other_day.computed_tags == other_day.tags
    assert "as-of date changed" in other_day.reason

    ws.clean()
    after_clean = ws.build_tags(dt.date(2026, 5, 31))
    assert after_clean.computed_tags == after_clean.tags
    assert "clean data changed" in after_clean.reason


def test_tables_edited_by_hand_are_recomputed(ws: Workspace) -> None:
    ws.engine.execute("alter table customer_tags drop column ltv_band")
    result = ws.build_tags()
    assert "ltv_band" in ws.engine.columns("customer_tags")
    assert 0 < result.computed_tags < result.tags
    assert_same_as_full(ws, result)
