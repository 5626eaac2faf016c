"""The demo data set, built end to end, finds exactly the dirt and the people the generator planted.

``data/planted.json`` is written by the generator while it plants each problem; the pipeline
never reads it. Here the two are compared.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from huaxiang.demo import create_demo_workspace
from huaxiang.workspace import Workspace


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, Any], Any]:
    root = tmp_path_factory.mktemp("demo") / "ws"
    ws = create_demo_workspace(root, customers=2_000, seed=11)
    ws.ingest()
    result = ws.clean()
    planted = json.loads((root / "data" / "planted.json").read_text(encoding="utf-8"))
    return ws, planted, result


def _quarantined(ws: Workspace, table: str, rule: str) -> list[int]:
    rows = ws.engine.rows(
        "select _row from quarantine where table_name = ? and rule = ? order by _row",
        [table, rule],
    )
    return [r[0] for r in rows]


def test_identity_resolution_finds_the_planted_people(built: Any) -> None:
    ws, planted, result = built
    assert result.identity.customers == planted["identity"]["expected_clusters"]
    assert ws.engine.count("customers") == planted["identity"]["expected_clusters"]


def test_every_table_balances(built: Any) -> None:
    _, _, result = built
    assert result.balanced
    assert set(result.tables) == {"customers", "orders", "events", "survey_responses", "feedback"}


def test_malformed_event_lines_are_quarantined_at_their_line_numbers(built: Any) -> None:
    ws, planted, _ = built
    assert _quarantined(ws, "events", "unreadable_row") == planted["events"]["malformed_lines"]


def test_order_dirt_is_found(built: Any) -> None:
    ws, planted, _ = built
    orders = planted["orders"]
    assert len(_quarantined(ws, "orders", "bounds_amount")) == orders["negative_amounts"]
    merged = ws.engine.scalar("select count(*) from hx_merges where table_name = 'orders'")
    assert merged == orders["duplicate_rows"]
    # "future" is judged against today, not against the generator's as-of date: count
    # independently which raw order times lie after now (Shanghai time)
    raw = pd.read_csv(ws.root / "data" / "orders.csv", dtype=str)["下单时间"]
    parsed = pd.to_datetime(raw.str.replace("+08:00", "", regex=False), format="mixed")
    now = pd.Timestamp.now(tz="Asia/Shanghai").tz_localize(None)
    future_rows = {i + 2 for i, t in enumerate(parsed) if t > now}
    negative = set(_quarantined(ws, "orders", "bounds_amount"))
    # a future-dated order that also has a negative amount is quarantined for the amount
    # (the first quarantine rule that fires is the recorded reason)
    assert set(_quarantined(ws, "orders", "future_ordered_at")) == future_rows - negative


def test_empty_feedback_is_quarantined(built: Any) -> None:
    ws, planted, _ = built
    assert len(_quarantined(ws, "feedback", "missing_text")) == planted["feedback"]["empty_text"]


def test_the_crm_remark_column_survives_as_an_attribute(built: Any) -> None:
    ws, planted, _ = built
    kept = ws.engine.scalar(
        "select count(*) from raw_customers where _source = 'crm_customers' "
        "and attributes->>'备注' is not null"
    )
    missing = planted["crm_customers"]["missing"]["备注"]
    assert kept == planted["crm_customers"]["rows"] - missing
