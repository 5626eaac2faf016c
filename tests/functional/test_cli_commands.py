"""The ``huaxiang`` command line: in-process for the commands, as a process for exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from huaxiang.cli.main import app, run

HUAXIANG = Path(sys.executable).with_name("huaxiang")

CUSTOMERS = (
    "客户编号,姓名,手机号,邮箱,城市,兴趣\n"
    "C1,张三,138-0013-8000,zs@example.com,北京,跑步\n"
    "C2,李四,13800138000,ls@example.com,上海,\n"
    ",王五,,,,\n"
)
ORDERS = (
    "订单号,客户编号,下单时间,金额\n"
    "O1,C1,2024-05-08,100\n"
    "O2,C2,2024/5/9,¥1,299.00\n"  # unquoted thousands separator: a ragged row
    "O3,C3,2024-05-10,80\n"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def sources_in(ws: Path) -> list[str]:
    data = yaml.safe_load((ws / "huaxiang.yaml").read_text(encoding="utf-8"))
    return [s["name"] for s in data.get("sources") or []]


def test_init_ingest_clean_status(tmp_path: Path, runner: CliRunner) -> None:
    ws = tmp_path / "ws"
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "orders.csv").write_text(ORDERS, encoding="utf-8")

    code, out, err = invoke(runner, "init", ws, "--name", "门店")
    assert code == 0, err
    assert (ws / "huaxiang.yaml").is_file() and (ws / ".huaxiang").is_dir()
    assert "门店" in err and out == ""

    # dry run: the mapping and first problems, nothing written
    config_before = (ws / "huaxiang.yaml").read_text(encoding="utf-8")
    code, out, err = invoke(
        runner, "-w", ws, "ingest", tmp_path / "orders.csv", "--as", "orders", "--dry-run", "--json"
    )
    assert code == 0, err
    preview = json.loads(out)
    assert preview["mapping"]["fields"] == {
        "订单号": "order_id",
        "客户编号": "customer_id",
        "下单时间": "ordered_at",
        "金额": "amount",
    }
    assert (preview["rows_read"], preview["rows_rejected_on_read"]) == (3, 1)
    assert [p["row"] for p in preview["problems"]] == [3]
    assert (ws / "huaxiang.yaml").read_text(encoding="utf-8") == config_before
    code, out, _ = invoke(runner, "-w", ws, "status", "--json")
    assert json.loads(out)["loads"] == []

    code, out, err = invoke(
        runner, "-w", ws, "ingest", tmp_path / "customers.csv", "--as", "customers", "--name", "crm"
    )
    assert code == 0, err
    assert "crm" in out + err
    code, out, err = invoke(
        runner, "-w", ws, "ingest", tmp_path / "orders.csv", "--as", "orders", "--json"
    )
    assert code == 0, err
    load = json.loads(out)
    assert (load["source"], load["table"], load["status"]) == ("orders", "orders", "loaded")
    assert sources_in(ws) == ["crm", "orders"]

    code, out, err = invoke(runner, "-w", ws, "clean", "--json")
    assert code == 0, err
    cleaned = json.loads(out)
    assert cleaned["balanced"] is True
    assert cleaned["tables"]["customers"] == {
        "read": 3,
        "accepted": 1,
        "quarantined": 1,
        "merged": 1,
    }
    assert cleaned["tables"]["orders"] == {"read": 3, "accepted": 2, "quarantined": 1, "merged": 0}
    assert Path(cleaned["quality_report"]).is_file()

    code, out, err = invoke(runner, "-w", ws, "status", "--json")
    assert code == 0, err
    status = json.loads(out)  # stdout holds the JSON and nothing else
    assert status["name"] == "门店"
    assert status["tables"] == {"customers": 1, "orders": 2}
    assert status["quarantined"] == 2
    assert {(x["source"], x["rows_read"]) for x in status["loads"]} == {("crm", 3), ("orders", 3)}

    code, out, err = invoke(runner, "-w", ws, "status")
    assert code == 0
    assert "crm" in out + err

    # build: every source again (unchanged files load nothing new), then clean
    code, out, err = invoke(runner, "-w", ws, "build", "--json")
    assert code == 0, err
    built = json.loads(out)
    assert built["tables"] == cleaned["tables"]
    assert built["balanced"] is True


def test_build_from_sources_listed_at_init(tmp_path: Path, runner: CliRunner) -> None:
    ws = tmp_path / "ws"
    code, _, err = invoke(runner, "init", ws, "--locale", "en")
    assert code == 0, err
    (ws / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    config = ws / "huaxiang.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "sources: []", "sources:\n  - {name: crm, table: customers, path: c.csv}"
        ),
        encoding="utf-8",
    )
    code, out, err = invoke(runner, "-w", ws, "build", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["tables"]["customers"]["read"] == 3
    assert "Data quality report" in (ws / ".huaxiang" / "reports" / "quality.html").read_text(
        encoding="utf-8"
    )


def test_in_process_errors_are_huaxiang_errors(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["-w", str(tmp_path), "status"])
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "WorkspaceError"


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str | Path
) -> tuple[int, str, str]:
    """The console entry point ``run()``, in this process: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["huaxiang", *(str(a) for a in args)])
    monkeypatch.setenv("COLUMNS", "300")  # long paths on one line
    with pytest.raises(SystemExit) as exit_info:
        run()
        sys.exit(0)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out, err


def test_entry_point_exit_codes_and_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "ws"
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert run_main(monkeypatch, capsys, "init", ws)[0] == 0
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "huaxiang.yaml").write_text(
        "name: x\ncleaning:\n  day_frist: true\n", encoding="utf-8"
    )

    # a user error: exit 1, one message on stderr, no traceback
    code, out, err = run_main(monkeypatch, capsys, "-w", tmp_path / "nowhere", "status")
    assert (code, out) == (1, "")
    assert err.count("error:") == 1
    assert "is not a huaxiang workspace" in err
    assert "hint: create one with: huaxiang init" in err
    assert "Traceback" not in err
    # configuration errors point at the file and the line
    code, out, err = run_main(monkeypatch, capsys, "-w", tmp_path / "bad", "status")
    assert code == 1
    assert "line 3" in err and "did you mean 'day_first'?" in err
    assert "Traceback" not in err
    # usage errors: exit 2
    usage = {
        "no --as": ["-w", ws, "ingest", tmp_path / "c.csv"],
        "unknown table": ["-w", ws, "ingest", tmp_path / "c.csv", "--as", "order"],
        "--as without FILE": ["-w", ws, "ingest", "--as", "orders"],
        "unknown option": ["-w", ws, "status", "--bogus"],
        "unknown command": ["bogus"],
    }
    for what, args in usage.items():
        code, out, err = run_main(monkeypatch, capsys, *args)
        assert code == 2, (what, err)
        assert "Traceback" not in err
        assert out == ""
    code, out, err = run_main(monkeypatch, capsys, *usage["unknown table"])
    assert "unknown table 'order'" in err
    code, out, err = run_main(monkeypatch, capsys, *usage["unknown option"])
    assert "--bogus" in err
    # success: JSON on stdout
    code, out, err = run_main(monkeypatch, capsys, "-w", ws, "status", "--json")
    assert code == 0
    assert json.loads(out)["tables"] == {}


@pytest.mark.skipif(not HUAXIANG.exists(), reason="console script not installed")
def test_the_installed_command_hides_tracebacks_unless_debug(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    commands = [["-w", "nowhere", "status"], ["--debug", "-w", "nowhere", "status"]]
    # both processes at once: starting one costs about a second
    procs = [
        subprocess.Popen(
            [str(HUAXIANG), *cmd],
            cwd=tmp_path,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for cmd in commands
    ]
    (plain_out, plain_err), (_, debug_err) = (p.communicate(timeout=60) for p in procs)
    plain, debug = procs
    assert plain.returncode == 1
    assert plain_out == ""
    assert "Traceback" not in plain_err
    assert plain_err.count("error:") == 1 and "is not a huaxiang workspace" in plain_err
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug_err
    assert "WorkspaceError" in debug_err


def test_build_json_reports_what_ingest_did(tmp_path: Path, runner: CliRunner) -> None:
    ws = tmp_path / "ws"
    assert invoke(runner, "init", ws)[0] == 0
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert invoke(runner, "-w", ws, "ingest", tmp_path / "c.csv", "--as", "customers")[0] == 0
    code, out, _ = invoke(runner, "-w", ws, "build", "--json")
    assert code == 0
    assert [x.get("status") for x in json.loads(out)["loads"]] == ["unchanged"]
