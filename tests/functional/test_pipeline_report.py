"""The quality report: written as JSON and HTML, matching the warehouse, with PII masked."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from huaxiang.workspace import Workspace

MOBILES = ["13800138000", "13900139000", "15012345678", "18611112222", "17799998888"]
EMAILS = ["zhang.san@example.com", "li.si@example.cn", "wang@example.org"]

CUSTOMERS = [
    ["客户编号", "姓名", "手机号", "邮箱", "年龄", "城市"],
    ["C1", "张三", "138-0013-8000", "zhang.san@example.com", "30", "北京"],
    ["C2", "李四", "+86 139 0013 9000", "li.si@example.cn", "abc", "上海"],
    # two numbers typed into one cell: unreadable, and neither may show in full
    ["C3", "王五", "15012345678 / 18611112222", "wang@example.org; li.si@example.cn", "28", "广州"],
    ["C4", "赵六", "177999988881", "not-an-email", "200", "深圳"],  # one digit too many
    ["", "钱七", "", "", "", ""],  # nothing to identify
    ["C6", "孙八", "138 0013 8000", "", "35", "成都"],  # the same phone as C1
]
ORDERS = [
    ["订单号", "客户编号", "下单时间", "金额"],
    ["O1", "C1", "2024-05-08", "100"],
    ["O2", "C2", "2024-05-09", "120"],
    ["O3", "C3", "2024-05-10", "abc"],
    ["O4", "C4", "", "90"],
    ["O5", "C6", "2024-05-11", "110"],
    ["O5", "C6", "2024-05-11", "110"],
    ["O6", "C9", "2024-05-11", "5000"],
]


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Path]]:
    root = tmp_path_factory.mktemp("report")
    (root / "customers.csv").write_text(csv_text(CUSTOMERS), encoding="utf-8")
    (root / "orders.csv").write_text(csv_text(ORDERS), encoding="utf-8")
    ws = Workspace.init(
        root,
        sources=[
            {"name": "crm", "table": "customers", "path": "customers.csv"},
            {"name": "shop", "table": "orders", "path": "orders.csv"},
        ],
    )
    ws.ingest()
    ws.clean()
    yield ws, ws.reports_dir
    ws.close()


def load_json(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "quality.json").read_text(encoding="utf-8"))
    return data


def test_both_files_are_written(reported: tuple[Workspace, Path]) -> None:
    ws, folder = reported
    assert (folder / "quality.json").is_file()
    assert ws.quality_report == folder / "quality.html"
    text = ws.quality_report.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert "数据质量报告" in text
    assert ws.status()["quality_report"] == str(ws.quality_report)


def test_numbers_match_the_warehouse(reported: tuple[Workspace, Path]) -> None:
    ws, folder = reported
    data = load_json(folder)
    warehouse = {
        t: {"read": r, "accepted": a, "quarantined": q, "merged": m}
        for t, r, a, q, m in ws.engine.rows(
            "select table_name, sum(rows_read)::int, sum(rows_accepted)::int, "
            "sum(rows_quarantined)::int, sum(rows_merged)::int from hx_loads "
            "where status = 'loaded' group by 1"
        )
    }
    assert data["tables"] == warehouse
    assert data["tables"]["orders"]["accepted"] == ws.engine.count("orders")
    assert data["tables"]["customers"]["accepted"] == ws.engine.count("customers")
    assert data["tables"]["orders"]["read"] == len(ORDERS) - 1
    assert data["tables"]["customers"]["read"] == len(CUSTOMERS) - 1
    assert data["balanced"] is True
    # every quarantine rule's count is the number of rows it put in quarantine
    in_quarantine = dict(
        ws.engine.rows(
            "select table_name || '.' || rule, count(*) from quarantine where stage = 'clean' "
            "group by 1"
        )
    )
    reported_q = {
        f"{r['table']}.{r['rule']}": r["count"]
        for r in data["rules"]
        if r["action"] == "quarantined" and r["count"]
    }
    assert reported_q == in_quarantine
    assert reported_q == {
        "customers.no_identifier": 1,
        "orders.missing_ordered_at": 1,
        "orders.unreadable_amount": 1,
    }
    identity = data["identity"]
    assert identity["customers"] == ws.engine.count("customers")
    assert identity["records"] == ws.engine.count("identity_links")
    assert identity["merged_records"] == ws.engine.count("hx_merges", "table_name = 'customers'")
    merged = {r["rule"]: r["count"] for r in data["rules"] if r["action"] == "merged"}
    assert merged["exact_duplicate"] == 1
    assert merged["identity_merge"] == 1
    loads = {(x["source"], x["rows_read"], x["rows_accepted"]) for x in data["provenance"]}
    assert loads == set(
        ws.engine.rows(
            "select source, rows_read, rows_accepted from hx_loads where status = 'loaded'"
        )
    )


def test_html_shows_the_same_numbers(reported: tuple[Workspace, Path]) -> None:
    ws, folder = reported
    data = load_json(folder)
    page = ws.quality_report.read_text(encoding="utf-8")
    for table, c in data["tables"].items():
        row = (
            f'<tr><td>{table}</td><td class="n">{c["read"]:,}</td>'
            f'<td class="n">{c["accepted"]:,}</td><td class="n">{c["quarantined"]:,}</td>'
            f'<td class="n">{c["merged"]:,}</td>'
        )
        assert row in page
    assert '<span class="ok">✓</span>' in page and "✗" not in page
    assert html.escape(data["identity"]["customers"].__str__()) in page
    for r in data["rules"]:
        if r["count"]:
            assert f"<code>{r['rule']}</code>" in page


def test_no_personal_data_appears_in_the_report(reported: tuple[Workspace, Path]) -> None:
    ws, folder = reported
    data = load_json(folder)
    examples = [e for r in data["rules"] for e in r["examples"]]
    assert examples, "the report has examples to check"
    values = {r["rule"]: [e.get("value") for e in r["examples"]] for r in data["rules"]}
    assert values["unreadable_phone"] == ["*********** / *******2222", "1779****8881"]
    for name in ("quality.json", "quality.html"):
        text = (folder / name).read_text(encoding="utf-8")
        unescaped = html.unescape(text)
        digits_only = re.sub(r"[\s\-+/]", "", unescaped)
        for mobile in MOBILES:
            assert mobile not in digits_only, (name, mobile)
        for email in EMAILS:
            assert email not in unescaped, (name, email)
        for raw in ("138-0013-8000", "+86 139 0013 9000", "138 0013 8000"):
            assert raw not in unescaped
    # the warehouse itself keeps the real values (trusted, analyst access)
    assert ws.engine.count("customers", "phone = '+8613800138000'") == 1
