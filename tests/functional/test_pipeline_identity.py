"""Identity resolution through real workspaces: chains, stable ids, shared keys, survivorship."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from huaxiang.workspace import Workspace

HEADER = ["客户编号", "手机号", "邮箱", "姓名", "会员等级", "更新时间"]


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write(root: Path, name: str, rows: list[list[str]], header: list[str] = HEADER) -> None:
    (root / name).write_text(csv_text([header, *rows]), encoding="utf-8")


def customers_source(name: str, path: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "table": "customers", "path": path, **extra}


def golden_by_source_id(ws: Workspace) -> dict[str, str]:
    """Source customer id -> golden id, from the audit of links."""
    rows = ws.engine.rows(
        "select source_customer_id, golden_id from identity_links "
        "where source_customer_id is not null"
    )
    result = dict(rows)
    assert len(result) == len(rows), "a source customer id links to two golden ids"
    return result


def build(
    root: Path, sources: list[dict[str, Any]], dedupe: dict[str, Any] | None = None
) -> Workspace:
    ws = Workspace.init(root, sources=sources)
    if dedupe:
        ws.close()
        path = root / "huaxiang.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["cleaning"]["dedupe"].update(dedupe)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        ws = Workspace.open(root)
    ws.ingest()
    ws.clean()
    return ws


CHAIN = [
    ["A", "138-0000-0001", "", "甲", "", "2024-01-01"],
    ["B", "+86 138 0000 0001", "b@example.com", "乙", "", "2024-01-02"],
    ["C", "", "B@Example.com", "丙", "", "2024-01-03"],
    ["D", "13900000009", "", "丁", "", "2024-01-04"],
]


def test_chain_of_shared_identifiers_is_one_customer(tmp_path: Path) -> None:
    write(tmp_path, "c.csv", CHAIN)
    with build(tmp_path, [customers_source("crm", "c.csv")]) as ws:
        ids = golden_by_source_id(ws)
        customers = ws.engine.dicts(
            "select customer_id, source_customer_ids, record_count, name from customers"
        )
        links = {
            r["source_customer_id"]: r
            for r in ws.engine.dicts(
                "select source_customer_id, survivor, matched_on from identity_links"
            )
        }
        merges = ws.engine.rows(
            "select _row, kept_row, reason from hx_merges where table_name = 'customers' "
            "order by _row"
        )
    assert ids["A"] == ids["B"] == ids["C"] != ids["D"]
    assert len(customers) == 2
    chain = next(c for c in customers if c["customer_id"] == ids["A"])
    assert sorted(chain["source_customer_ids"]) == ["A", "B", "C"]
    assert chain["record_count"] == 3
    assert chain["name"] == "丙"  # latest update survives
    assert links["A"]["matched_on"] == ["phone"]
    assert links["B"]["matched_on"] == ["email", "phone"]
    assert links["C"]["matched_on"] == ["email"]
    assert links["D"]["matched_on"] == []
    assert [link["survivor"] for link in (links["A"], links["B"], links["C"])] == [
        False,
        False,
        True,
    ]
    # rows 2 (A) and 3 (B) merged into row 4 (C), each with the identifiers that tied it
    assert merges == [(2, 4, "same phone"), (3, 4, "same email / phone")]


def test_golden_ids_stable_across_reruns_and_new_sources(tmp_path: Path) -> None:
    write(tmp_path, "c.csv", CHAIN)
    with build(tmp_path, [customers_source("crm", "c.csv")]) as ws:
        first = golden_by_source_id(ws)
        ws.clean()
        assert golden_by_source_id(ws) == first
    # a new source, listed first and preferred, brings a new customer and a new record of D
    write(
        tmp_path,
        "app.csv",
        [
            ["E", "13700000007", "", "戊", "", "2024-02-01"],
            ["D2", "139 0000 0009", "", "丁", "", "2024-02-02"],
        ],
    )
    config = tmp_path / "huaxiang.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "sources:\n",
            "sources:\n  - {name: app, table: customers, path: app.csv, priority: 1}\n",
        ),
        encoding="utf-8",
    )
    with Workspace.open(tmp_path) as ws:
        ws.ingest()
        result = ws.clean()
        second = golden_by_source_id(ws)
    assert {k: second[k] for k in first} == first
    assert second["D2"] == first["D"]
    assert second["E"] not in set(first.values())
    assert result.identity is not None and result.identity.new_ids == 1


def test_a_split_never_gives_two_customers_one_golden_id(tmp_path: Path) -> None:
    write(tmp_path, "c.csv", CHAIN)
    with build(tmp_path, [customers_source("crm", "c.csv")]) as ws:
        before = golden_by_source_id(ws)
        # B no longer carries the phone and email that tied A and C together
        write(
            tmp_path,
            "c.csv",
            [
                CHAIN[0],
                ["B", "", "", "乙", "", "2024-01-02"],
                CHAIN[2],
                CHAIN[3],
            ],
        )
        ws.ingest()
        ws.clean()
        after = golden_by_source_id(ws)
        golden = ws.engine.rows("select customer_id from customers")
    assert len({after["A"], after["B"], after["C"]}) == 3
    assert len(golden) == len({g for (g,) in golden}) == 4
    assert after["A"] == before["A"]  # one part keeps the old id, the others get new ones
    assert after["D"] == before["D"]
    assert {after["B"], after["C"]}.isdisjoint(before.values())


@pytest.mark.parametrize(("sharing", "customers"), [(10, 1), (11, 11)])
def test_an_identifier_shared_by_more_than_ten_records_is_not_used(
    tmp_path: Path, sharing: int, customers: int
) -> None:
    # a shop's own phone typed into every form must not merge strangers
    rows = [[f"S{i}", "13812345678", "", f"客{i}", "", ""] for i in range(sharing)]
    write(tmp_path, "c.csv", rows)
    with build(tmp_path, [customers_source("crm", "c.csv")]) as ws:
        n = ws.engine.count("customers")
        report = json.loads((ws.reports_dir / "quality.json").read_text(encoding="utf-8"))
    assert n == customers
    shared = [r for r in report["rules"] if r["rule"] == "shared_identifier"]
    assert [r["count"] for r in shared] == ([1] if sharing > 10 else [])
    assert report["identity"]["shared_ignored"] == (1 if sharing > 10 else 0)


SURVIVORS = {
    # crm is the preferred source (priority 1) but its record is older
    "crm.csv": [["C1", "13800000001", "", "张三", "金卡", "2024-01-01"]],
    "shop.csv": [["C1", "13800000001", "c1@example.com", "张叁", "", "2024-03-01"]],
}


@pytest.mark.parametrize(
    ("survivorship", "name", "level", "email"),
    [
        ("latest", "张叁", "金卡", "c1@example.com"),
        ("source_priority", "张三", "金卡", "c1@example.com"),
    ],
)
def test_survivorship_latest_or_source_priority(
    tmp_path: Path, survivorship: str, name: str, level: str, email: str
) -> None:
    for file, rows in SURVIVORS.items():
        write(tmp_path, file, rows)
    sources = [
        customers_source("shop", "shop.csv", priority=50),
        customers_source("crm", "crm.csv", priority=1),
    ]
    with build(tmp_path, sources, {"survivorship": survivorship}) as ws:
        rows = ws.engine.dicts(
            "select name, member_level, email, sources, record_count from customers"
        )
        survivor = ws.engine.rows("select _source from identity_links where survivor")
    assert len(rows) == 1
    golden = rows[0]
    assert golden["name"] == name
    # a field empty in the winning record is taken from the next best record
    assert golden["member_level"] == level
    assert golden["email"] == email
    assert sorted(golden["sources"]) == ["crm", "shop"]
    assert survivor == [("shop",) if survivorship == "latest" else ("crm",)]


ORDERS_HEADER = ["订单号", "客户编号", "下单时间", "金额"]


def test_orders_get_golden_ids_and_unknown_customers_are_flagged(tmp_path: Path) -> None:
    write(tmp_path, "c.csv", CHAIN)
    write(
        tmp_path,
        "o.csv",
        [
            ["O1", "A", "2024-05-08", "10"],
            ["O2", "C", "2024-05-08", "10"],
            ["O3", "D", "2024-05-08", "10"],
            ["O4", "Z", "2024-05-08", "10"],
        ],
        header=ORDERS_HEADER,
    )
    sources = [
        customers_source("crm", "c.csv"),
        {"name": "shop", "table": "orders", "path": "o.csv"},
    ]
    query = "select order_id, customer_id, source_customer_id, _flags from orders order by 1"
    with build(tmp_path, sources) as ws:
        ids = golden_by_source_id(ws)
        orders = {r["order_id"]: r for r in ws.engine.dicts(query)}
        assert orders["O1"]["customer_id"] == orders["O2"]["customer_id"] == ids["A"]
        assert orders["O3"]["customer_id"] == ids["D"]
        assert [orders[o]["source_customer_id"] for o in ("O1", "O2", "O3", "O4")] == [
            "A",
            "C",
            "D",
            "Z",
        ]
        assert orders["O4"]["customer_id"] is None
        assert orders["O4"]["_flags"] == ["unknown_customer"]
        assert [orders[o]["_flags"] for o in ("O1", "O2", "O3")] == [[], [], []]
        # D leaves the customer file: its orders must not point at a golden id that is gone
        write(tmp_path, "c.csv", CHAIN[:3])
        ws.ingest()
        result = ws.clean()
        orders = {r["order_id"]: r for r in ws.engine.dicts(query)}
        golden = {g for (g,) in ws.engine.rows("select customer_id from customers")}
    assert orders["O3"]["customer_id"] is None
    assert orders["O3"]["_flags"] == ["unknown_customer"]
    assert orders["O1"]["customer_id"] in golden
    unknown = [r for r in result.ledger.rules if r.rule == "unknown_customer"]
    assert [r.count for r in unknown] == [2]
