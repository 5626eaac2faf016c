"""``huaxiang tags ...`` on a small demo workspace: validate, build, sql, list, export."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from huaxiang.cli.main import app

HUAXIANG = Path(sys.executable).with_name("huaxiang")


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run(*args: str | Path) -> tuple[int, str, str]:
    """As a process: errors become one message and an exit code."""
    done = subprocess.run(
        [str(HUAXIANG), *map(str, args)], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tags") / "shop"
    code, _, err = invoke("-q", "demo", root, "--customers", "400", "--seed", "3")
    assert code == 0, err
    return root


def test_validate_build_list_and_snapshots(workspace: Path) -> None:
    code, out, err = invoke("-w", workspace, "tags", "validate", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["valid"] and summary["tags"] >= 30 and len(summary["levels"]) >= 2

    code, out, err = invoke("-w", workspace, "tags", "build", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["as_of"] == "2026-06-30"  # the demo workspace's tagging.as_of
    warehouse = workspace / ".huaxiang" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        customers = con.execute("select count(*) from customers").fetchall()[0][0]
        tagged = con.execute("select count(*) from customer_tags").fetchall()[0][0]
        assert tagged == customers == first["customers"]
        # lifecycle stages partition the customers; no one is left without a stage
        stages = dict(
            con.execute("select lifecycle_stage, count(*) from customer_tags group by 1").fetchall()
        )
        assert None not in stages and sum(stages.values()) == customers
        assert set(stages) <= {
            "prospect", "new", "reactivated", "churned", "dormant", "growing", "mature"
        }  # fmt: skip
        # a rule score and its ingredients agree row by row
        mismatched = con.execute(
            "select count(*) from customer_tags where rfm_total "
            "<> r_score::int + f_score::int + m_score::int"
        ).fetchall()[0][0]
        assert mismatched == 0

    code, out, err = invoke("-w", workspace, "tags", "build", "--as-of", "2026-03-31", "--json")
    assert code == 0, err
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = con.execute(
            "select s.as_of::varchar, count(*) from tag_snapshots s join hx_tag_runs r "
            "using (run_id) group by s.run_id, s.as_of, r.built_at order by r.built_at"
        ).fetchall()
    # `huaxiang demo` built the tags once already; every build is one snapshot of everyone
    assert runs == [("2026-06-30", tagged), ("2026-06-30", tagged), ("2026-03-31", tagged)]

    code, out, err = invoke("-w", workspace, "tags", "list", "--json", "--lang", "en")
    assert code == 0, err
    entries = {e["id"]: e for e in json.loads(out)}
    ltv_band = entries["ltv_band"]
    assert ltv_band["name"] == "LTV band" and 0 < ltv_band["coverage"] <= 1
    assert abs(sum(ltv_band["distribution"].values()) - ltv_band["coverage"]) < 1e-3
    assert ltv_band["drift"]["previous_run"] == first["run_id"]
    assert ltv_band["drift"]["psi"] >= 0
    assert set(entries["aov"]["distribution"]) == {"min", "p25", "median", "p75", "max", "mean"}


def test_tag_sql_is_the_query_that_was_built(workspace: Path) -> None:
    code, _, err = invoke("-w", workspace, "tags", "build", "--as-of", "2026-06-30")
    assert code == 0, err
    code, out, err = invoke("-w", workspace, "tags", "sql", "rfm_level", "--as-of", "2026-06-30")
    assert code == 0, err
    assert "rfm_level" in out and "from orders" in out.lower()
    warehouse = workspace / ".huaxiang" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        printed = con.execute(f"select customer_id, rfm_level from ({out}) order by 1").fetchall()
        built = con.execute(
            "select customer_id, rfm_level from customer_tags order by 1"
        ).fetchall()
    assert printed == built and any(v for _, v in built)


def test_unknown_tag_suggests_the_close_one(workspace: Path) -> None:
    code, _, err = run("-w", workspace, "tags", "sql", "ltv_bnd")
    assert code == 2
    assert "unknown tag 'ltv_bnd'" in err and "did you mean 'ltv_band'?" in err


def test_export_in_three_formats(workspace: Path, tmp_path: Path) -> None:
    for name in ("dict.xlsx", "dict.csv", "dict.json"):
        code, _, err = invoke("-w", workspace, "tags", "export", tmp_path / name)
        assert code == 0, err
    sheet = load_workbook(tmp_path / "dict.xlsx")["标签表"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["标签编号 (id)", "标签名称 (name_zh)"]
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    raw = (tmp_path / "dict.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert [r[0] for r in rows[1:]] == ids
    assert [e["id"] for e in json.loads((tmp_path / "dict.json").read_text("utf-8"))] == ids


def test_a_broken_definition_stops_validate_with_its_location(
    workspace: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    code, _, err = invoke("init", broken)
    assert code == 0, err
    path = broken / "tags" / "value.yaml"
    path.write_text(
        path.read_text("utf-8").replace("spend_total / nullif", "spend_totl / nullif"), "utf-8"
    )
    code, out, err = run("-w", broken, "tags", "validate")
    assert code == 1 and out == ""
    assert "tags/value.yaml, line" in err and "did you mean 'spend_total'?" in err
