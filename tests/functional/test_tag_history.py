"""Tag history: builds named by run id or day, movements between two builds, the customers
behind them, in the facade and on the command line."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huaxiang import Workspace
from huaxiang.cli.main import app
from huaxiang.demo import create_demo_workspace
from huaxiang.errors import UsageError

SPRING, SUMMER = dt.date(2026, 3, 31), dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = create_demo_workspace(tmp_path_factory.mktemp("history") / "shop", customers=500)
    workspace.build()
    workspace.build_tags(SPRING)
    workspace.build_tags(SUMMER)
    return workspace


def snapshot(ws: Workspace, run_id: str, tag: str) -> dict[str, str | None]:
    rows = ws.engine.rows(
        f'select customer_id, "{tag}" from tag_snapshots where run_id = ?', [run_id]
    )
    return dict(rows)


def test_moves_match_the_snapshots_customer_by_customer(ws: Workspace) -> None:
    moves = ws.tag_moves("lifecycle_stage")
    assert (moves.since["as_of"], moves.until["as_of"]) == (SPRING, SUMMER)
    before = snapshot(ws, moves.since["run_id"], "lifecycle_stage")
    after = snapshot(ws, moves.until["run_id"], "lifecycle_stage")
    everyone = before.keys() | after.keys()
    expected = Counter(
        (before.get(c), after.get(c)) for c in everyone if before.get(c) != after.get(c)
    )
    assert {(f["from"], f["to"]): f["customers"] for f in moves.flows} == expected
    assert moves.moved + moves.unchanged == len(everyone)
    assert moves.moved > 0  # three months of demo data move some customers
    counts = [f["customers"] for f in moves.flows]
    assert counts == sorted(counts, reverse=True)

    customers = ws.moved_customers("lifecycle_stage")
    assert len(customers) == moves.moved
    assert all(before.get(r["customer_id"]) == r["from"] for r in customers)
    assert all(after.get(r["customer_id"]) == r["to"] for r in customers)


def test_a_filter_by_value_or_by_its_display_name(ws: Workspace) -> None:
    by_code = ws.tag_moves("rfm_group", from_value="important_value")
    by_name = ws.tag_moves("rfm_group", from_value="重要价值客户")
    assert by_code.flows == by_name.flows and by_code.moved > 0
    assert {f["from"] for f in by_code.flows} == {"important_value"}
    before = snapshot(ws, by_code.since["run_id"], "rfm_group")
    after = snapshot(ws, by_code.until["run_id"], "rfm_group")
    had = [c for c, v in before.items() if v == "important_value"]
    assert by_code.unchanged == sum(after.get(c) == "important_value" for c in had)
    assert by_code.moved + by_code.unchanged == len(had)

    arrived = ws.moved_customers("rfm_group", to_value="important value")
    assert arrived and all(r["to"] == "important_value" for r in arrived)


def test_builds_named_by_day_or_run_id(ws: Workspace) -> None:
    runs = ws.tag_runs()
    spring = next(r for r in runs if r["as_of"] == SPRING)
    # a day names the latest build describing that day or before it
    same = ws.tag_moves("aov_band", since="2026-05-15", until=spring["run_id"][:-3])
    assert same.since["run_id"] == same.until["run_id"] == spring["run_id"]
    assert same.moved == 0 and not same.flows
    with pytest.raises(UsageError, match="no tag build describes 2025-01-01"):
        ws.tag_moves("aov_band", since="2025-01-01")
    with pytest.raises(UsageError, match="no tag build 'tags-1999"):
        ws.tag_moves("aov_band", since="tags-1999")
    with pytest.raises(UsageError, match="is in no build") as info:
        ws.tag_moves("aov_bnd")
    assert info.value.hint == "did you mean 'aov_band'?"


def test_one_build_has_nothing_to_compare_with(tmp_path: Path) -> None:
    workspace = create_demo_workspace(tmp_path / "one", customers=200)
    workspace.build()
    workspace.build_tags()
    with pytest.raises(UsageError, match="only one tag build"):
        workspace.tag_moves("aov_band")


def test_cli_runs_moves_and_the_customer_file(ws: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["-w", str(ws.root), "tags", "runs", "--json"])
    assert result.exit_code == 0, result.stderr
    assert [r["as_of"] for r in json.loads(result.stdout)][:2] == ["2026-06-30", "2026-03-31"]

    out = tmp_path / "moved.csv"
    args = ["-w", str(ws.root), "tags", "moves", "lifecycle_stage", "--since", "2026-03-31"]
    result = runner.invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == summary["moved"] == sum(f["customers"] for f in summary["flows"])
    assert set(rows[0]) == {"customer_id", "from", "to"}

    result = runner.invoke(app, [*args, "--lang", "zh"])
    assert result.exit_code == 0, result.stderr
    assert "流失客户" in result.stderr + result.stdout  # values shown by their names
