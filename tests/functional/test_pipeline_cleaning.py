"""Cleaning on small real workspaces: rules, quarantine, flags, fills, outliers, regions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from huaxiang.clean.accounting import RuleCount
from huaxiang.clean.run import CleanResult
from huaxiang.config.models import SourceConfig
from huaxiang.console import CaptureConsole, Task
from huaxiang.workspace import Workspace


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def make_workspace(
    root: Path,
    files: dict[str, str],
    sources: list[dict[str, Any]],
    cleaning: dict[str, Any] | None = None,
) -> Workspace:
    """A workspace in ``root`` with the given files and sources; ``cleaning`` overrides keys."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    ws = Workspace.init(root, sources=sources)
    if cleaning:
        ws.close()
        path = root / "huaxiang.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["cleaning"].update(cleaning)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        ws = Workspace.open(root)
    return ws


def rule(result: CleanResult, table: str, name: str) -> RuleCount:
    found = [r for r in result.ledger.rules if r.table == table and r.rule == name]
    assert len(found) == 1, f"{table}.{name}: {found}"
    return found[0]


CUSTOMERS = csv_text(
    [
        [
            "客户编号",
            "姓名",
            "手机号",
            "邮箱",
            "性别",
            "年龄",
            "出生日期",
            "省份",
            "所在城市",
            "会员等级",
            "爱好",
            "更新时间",
        ],
        [
            "C1",
            "张三",
            "138-0013-8000",
            "zs@example.com",
            "男",
            "25岁",
            "1999-01-02",
            "",
            "北京朝阳",
            "金卡",
            "跑步",
            "2024-05-01",
        ],
        [
            "C2",
            "李四",
            "+86 139 0013 9000",
            "ls@example.com",
            "女",
            "31",
            "",
            "广东",
            "广州",
            "银卡",
            "读书",
            "2024-05-02",
        ],
        [
            "C3",
            "王五",
            "12345",
            "not-an-email",
            "保密",
            "abc",
            "1990-13-45",
            "",
            "深圳",
            "",
            "",
            "2099-01-01",
        ],
        ["", "赵六", "", "", "男", "40", "", "", "", "", "", ""],
        ["C5", "钱七", "", "qq@example.com", "F", "130", "", "四川", "成都", "", "", "2024-05-03"],
    ]
)

ORDERS = csv_text(
    [
        ["订单号", "客户编号", "下单时间", "金额", "是否用券", "优惠金额", "备注"],
        ["O1", "C1", "2024-05-08 10:00:00", "100", "是", "5", "first"],  # row 2
        ["O2", "C2", "2024/5/8", "¥1,299.00", "否", "", "second"],  # 3
        ["", "C1", "2024-05-08", "10", "", "", ""],  # 4 missing_order_id
        ["O4", "", "2024-05-08", "10", "", "", ""],  # 5 missing_customer_id
        ["O5", "C1", "", "10", "", "", ""],  # 6 missing_ordered_at
        ["O6", "C1", "someday", "10", "", "", ""],  # 7 unreadable_ordered_at
        ["O7", "C1", "2099-01-01", "10", "", "", ""],  # 8 future_ordered_at
        ["O8", "C1", "2024-05-08", "", "", "", ""],  # 9 missing_amount
        ["O9", "C1", "2024-05-08", "lots", "", "", ""],  # 10 unreadable_amount
        ["O10", "C1", "2024-05-08", "-5", "", "", ""],  # 11 bounds_amount
        ["O11", "C1", "2024-05-08", "100", "maybe", "x", ""],  # 12 cleared coupon and discount
        ["O12", "C9", "2024-05-08", "100", "", "", ""],  # 13 unknown customer
        ["O12", "C9", "2024-05-08", "100", "", "", ""],  # 14 exact copy of 13
        ["O1", "C1", "2024-05-09 10:00:00", "100", "是", "5", "second version"],  # 15 O1 again
        ["O13", "C2", "2024-05-08", "9000", "", "", ""],  # 16 high-net-worth candidate
    ]
)

QUARANTINED_ORDERS = {
    4: "missing_order_id",
    5: "missing_customer_id",
    6: "missing_ordered_at",
    7: "unreadable_ordered_at",
    8: "future_ordered_at",
    9: "missing_amount",
    10: "unreadable_amount",
    11: "bounds_amount",
}


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, CleanResult]]:
    root = tmp_path_factory.mktemp("cleaning")
    ws = make_workspace(
        root,
        {"customers.csv": CUSTOMERS, "orders.csv": ORDERS},
        [
            {"name": "crm", "table": "customers", "path": "customers.csv"},
            {"name": "shop", "table": "orders", "path": "orders.csv"},
        ],
    )
    ws.ingest()
    result = ws.clean()
    yield ws, result
    ws.close()


def test_every_order_rule_fires_and_is_counted(cleaned: tuple[Workspace, CleanResult]) -> None:
    _, result = cleaned
    for name in QUARANTINED_ORDERS.values():
        r = rule(result, "orders", name)
        assert (r.count, r.action) == (1, "quarantined"), name
    assert (
        rule(result, "orders", "unreadable_coupon_used").count,
        rule(result, "orders", "unreadable_discount").count,
    ) == (1, 1)
    assert rule(result, "orders", "unreadable_discount").action == "cleared"
    assert rule(result, "orders", "exact_duplicate").count == 1
    assert rule(result, "orders", "duplicate_order_id").count == 1
    assert rule(result, "orders", "unknown_customer").count == 1
    hnw = rule(result, "orders", "high_net_worth_candidate")
    assert (hnw.count, hnw.action, hnw.finding) == (1, "flagged", "high_net_worth_candidate")
    assert rule(result, "orders", "unreadable_returned").count == 0


def test_every_customer_rule_fires_with_masked_examples(
    cleaned: tuple[Workspace, CleanResult],
) -> None:
    _, result = cleaned
    expected = {
        "no_identifier": ("quarantined", 5, None),
        "unreadable_phone": ("cleared", 4, "*****"),
        "unreadable_email": ("cleared", 4, "n***********"),
        "unreadable_gender": ("cleared", 4, "保密"),
        "unreadable_age": ("cleared", 4, "abc"),
        "unreadable_birth_date": ("cleared", 4, "1990-13-45"),
        "future_updated_at": ("cleared", 4, "2099-01-01"),
        "bounds_age": ("cleared", 6, "130"),
    }
    for name, (action, row, value) in expected.items():
        r = rule(result, "customers", name)
        assert (r.count, r.action) == (1, action), name
        assert len(r.examples) == 1
        assert r.examples[0]["source"] == "crm"
        assert r.examples[0]["row"] == row
        assert r.examples[0].get("value") == value, name
    fill = rule(result, "customers", "fill_gender")
    assert (fill.count, fill.action) == (1, "filled")


def test_quarantine_holds_rule_reason_row_and_raw_record(
    cleaned: tuple[Workspace, CleanResult],
) -> None:
    ws, _ = cleaned
    rows = ws.engine.dicts(
        "select _row, _source, stage, rule, column_name, reason, record from quarantine "
        "where table_name = 'orders' order by _row"
    )
    assert {r["_row"]: r["rule"] for r in rows} == QUARANTINED_ORDERS
    assert {r["stage"] for r in rows} == {"clean"}
    assert {r["_source"] for r in rows} == {"shop"}
    by_row = {r["_row"]: r for r in rows}
    record = json.loads(by_row[10]["record"])
    assert record["amount"] == "lots"
    assert record["order_id"] == "O9"
    assert record["attributes"] == {"备注": None}
    assert by_row[10]["column_name"] == "amount"
    assert "amount" in by_row[10]["reason"]
    assert json.loads(by_row[11]["record"])["amount"] == "-5"
    assert "bounds" in by_row[11]["reason"]
    assert json.loads(by_row[7]["record"])["ordered_at"] == "someday"
    assert all(r["reason"] for r in rows)
    customers = ws.engine.dicts(
        "select _row, rule, record from quarantine where table_name = 'customers'"
    )
    assert [(c["_row"], c["rule"]) for c in customers] == [(5, "no_identifier")]
    assert json.loads(customers[0]["record"])["name"] == "赵六"


def test_accepted_orders_are_typed_deduplicated_and_linked(
    cleaned: tuple[Workspace, CleanResult],
) -> None:
    ws, _ = cleaned
    orders = {
        r["order_id"]: r
        for r in ws.engine.dicts(
            "select order_id, _row, amount, coupon_used, discount, ordered_at::varchar as at, "
            "customer_id, source_customer_id, _flags, attributes from orders"
        )
    }
    assert sorted(orders) == ["O1", "O11", "O12", "O13", "O2"]
    assert orders["O2"]["amount"] == 1299.0
    assert orders["O2"]["coupon_used"] is False
    # the later row of O1 survives, with its own values
    assert orders["O1"]["_row"] == 15
    assert orders["O1"]["at"] == "2024-05-09 10:00:00"
    assert json.loads(orders["O1"]["attributes"]) == {"备注": "second version"}
    # the exact copy keeps its first occurrence
    assert orders["O12"]["_row"] == 13
    assert (orders["O11"]["coupon_used"], orders["O11"]["discount"]) == (None, None)
    assert orders["O13"]["_flags"] == ["high_net_worth_candidate"]
    assert orders["O12"]["_flags"] == ["unknown_customer"]
    assert orders["O12"]["customer_id"] is None
    assert orders["O12"]["source_customer_id"] == "C9"
    assert orders["O1"]["source_customer_id"] == "C1"
    assert orders["O1"]["customer_id"].startswith("HX")
    merges = ws.engine.rows(
        "select _row, kept_row, reason from hx_merges where table_name = 'orders' order by _row"
    )
    assert merges == [(2, 15, "duplicate_order_id"), (14, 13, "exact_duplicate")]


def test_regions_are_standardised_and_extra_columns_kept(
    cleaned: tuple[Workspace, CleanResult],
) -> None:
    ws, _ = cleaned
    rows = {
        r["src"]: r
        for r in ws.engine.dicts(
            "select source_customer_ids[1] as src, province, city, city_tier, age, gender, "
            "attributes from customers"
        )
    }
    assert sorted(rows) == ["C1", "C2", "C3", "C5"]
    regions = {k: (v["province"], v["city"], v["city_tier"]) for k, v in rows.items()}
    assert regions == {
        "C1": ("北京市", "北京市", "一线"),
        "C2": ("广东省", "广州市", "一线"),
        "C3": ("广东省", "深圳市", "一线"),
        "C5": ("四川省", "成都市", "新一线"),
    }
    assert json.loads(rows["C1"]["attributes"]) == {"爱好": "跑步"}
    assert rows["C1"]["age"] == 25
    assert rows["C5"]["age"] is None  # 130 is outside the default bounds: cleared
    assert rows["C3"]["gender"] == "unknown"  # unreadable, cleared, then filled


def test_rows_balance_per_table_and_per_load(cleaned: tuple[Workspace, CleanResult]) -> None:
    ws, result = cleaned
    assert result.tables == {
        "customers": {"read": 5, "accepted": 4, "quarantined": 1, "merged": 0},
        "orders": {"read": 15, "accepted": 5, "quarantined": 8, "merged": 2},
    }
    assert result.balanced
    for load in ws.engine.dicts("select * from hx_loads where status = 'loaded'"):
        assert load["rows_read"] == (
            load["rows_accepted"] + load["rows_quarantined"] + load["rows_merged"]
        )
        assert load["rows_accepted"] == ws.engine.count(
            load["table_name"], f"_load_id = '{load['load_id']}'"
        )


ORDER_HEADER = ["订单号", "客户编号", "下单时间", "金额"]


def orders_file(amounts: list[str]) -> str:
    return csv_text(
        [ORDER_HEADER] + [[f"O{i}", "C1", "2024-05-08", a] for i, a in enumerate(amounts)]
    )


def test_high_net_worth_is_a_finding_and_ignores_quarantined_junk(tmp_path: Path) -> None:
    # a typo of -1,000,000 is quarantined; it must not drag the mean below zero and make
    # every ordinary order a "high-net-worth candidate"
    amounts = ["100"] * 9 + ["5000", "-1000000"]
    ws = make_workspace(
        tmp_path,
        {"o.csv": orders_file(amounts)},
        [{"name": "o", "table": "orders", "path": "o.csv"}],
    )
    with ws:
        ws.ingest()
        result = ws.clean()
        flagged = ws.engine.rows(
            "select amount from orders where list_contains(_flags, 'high_net_worth_candidate')"
        )
        report = json.loads((ws.reports_dir / "quality.json").read_text(encoding="utf-8"))
    assert flagged == [(5000.0,)]
    mean = statistics.mean([100] * 9 + [5000])
    assert f"{mean:,.2f}" in rule(result, "orders", "high_net_worth_candidate").reason
    findings = [(f["finding"], f["table"], f["count"]) for f in report["findings"]]
    assert findings == [("high_net_worth_candidate", "orders", 1)]


CUSTOMER_HEADER = ["客户编号", "性别", "年龄", "客单价", "会员等级", "收入"]


def test_missing_value_strategies(tmp_path: Path) -> None:
    rows = [
        ["C1", "男", "20", "100", "金卡", "高"],
        ["C2", "", "30", "200", "金卡", ""],
        ["C3", "女", "", "", "", ""],
        ["C4", "", "41", "900", "银卡", "中"],
    ]
    ws = make_workspace(
        tmp_path,
        {"c.csv": csv_text([CUSTOMER_HEADER, *rows])},
        [{"name": "c", "table": "customers", "path": "c.csv"}],
        cleaning={
            "missing": [
                {"table": "customers", "field": "gender", "strategy": "unknown"},
                {"table": "customers", "field": "age", "strategy": "mean"},
                {"table": "customers", "field": "avg_order_value", "strategy": "median"},
                {"table": "customers", "field": "member_level", "strategy": "mode"},
                {
                    "table": "customers",
                    "field": "income_band",
                    "strategy": "constant",
                    "value": "未知",
                },
            ]
        },
    )
    with ws:
        ws.ingest()
        result = ws.clean()
        got = {
            r["src"]: r
            for r in ws.engine.dicts(
                "select source_customer_ids[1] as src, gender, age, typeof(age) as age_type, "
                "avg_order_value, member_level, income_band from customers"
            )
        }
    assert [got[c]["gender"] for c in ("C1", "C2", "C3", "C4")] == [
        "male",
        "unknown",
        "female",
        "unknown",
    ]
    assert got["C3"]["age"] == 30  # mean of 20, 30 and 41 is 30.33: ages stay whole numbers
    assert got["C3"]["age_type"] == "BIGINT"
    assert got["C3"]["avg_order_value"] == 200.0  # median of 100, 200, 900
    assert got["C3"]["member_level"] == "金卡"  # the most common level
    assert [got[c]["income_band"] for c in ("C1", "C2", "C3", "C4")] == ["高", "未知", "未知", "中"]
    counts = {
        r.rule: (r.count, r.action) for r in result.ledger.rules if r.rule.startswith("fill_")
    }
    assert counts == {
        "fill_gender": (2, "filled"),
        "fill_age": (1, "filled"),
        "fill_avg_order_value": (1, "filled"),
        "fill_member_level": (1, "filled"),
        "fill_income_band": (2, "filled"),
    }
    assert "(30)" in rule(result, "customers", "fill_age").reason


# ten values, one far out: every rule below catches exactly the 1000
VALUES = ["10", "11", "12", "13", "14", "15", "16", "17", "18", "1000"]
NUMBERS = [float(v) for v in VALUES]


def expected_bounds(kind: str, k: float) -> tuple[float | None, float | None]:
    """Bounds computed independently of the engine (quantiles: linear interpolation)."""
    if kind == "bounds":
        return 0.0, 100.0
    if kind == "sigma":
        mean, std = statistics.mean(NUMBERS), statistics.stdev(NUMBERS)
        return mean - k * std, mean + k * std
    q1, _, q3 = statistics.quantiles(NUMBERS, n=4, method="inclusive")
    return q1 - k * (q3 - q1), q3 + k * (q3 - q1)


@pytest.mark.parametrize("kind", ["bounds", "sigma", "iqr"])
def test_outlier_rules_and_actions(tmp_path: Path, kind: str) -> None:
    k = 2.0 if kind == "sigma" else 1.5
    customers = csv_text(
        [["客户编号", "年龄", "客单价"]] + [[f"C{i}", v, v] for i, v in enumerate(VALUES)]
    )
    orders = csv_text(
        [["订单号", "客户编号", "下单时间", "金额", "优惠金额"]]
        # the far discount sits on another order than the far amount (same ten values)
        + [
            [f"O{i}", f"C{i}", "2024-05-08", v, d]
            for i, (v, d) in enumerate(zip(VALUES, VALUES[-1:] + VALUES[:-1], strict=True))
        ]
    )
    extra: dict[str, Any] = {"rule": kind, "k": k}
    if kind == "bounds":
        extra = {"rule": "bounds", "min": 0, "max": 100}
    ws = make_workspace(
        tmp_path,
        {"c.csv": customers, "o.csv": orders},
        [
            {"name": "c", "table": "customers", "path": "c.csv"},
            {"name": "o", "table": "orders", "path": "o.csv"},
        ],
        cleaning={
            "outliers": [
                {"table": "orders", "field": "amount", "action": "quarantine", **extra},
                {"table": "orders", "field": "discount", "action": "clear", **extra},
                {"table": "customers", "field": "age", "action": "cap", **extra},
                {"table": "customers", "field": "avg_order_value", "action": "flag", **extra},
            ]
        },
    )
    lo, hi = expected_bounds(kind, k)
    assert lo is not None and hi is not None
    assert all(lo <= v <= hi for v in NUMBERS[:-1]) and NUMBERS[-1] > hi
    with ws:
        ws.ingest()
        result = ws.clean()
        by_action = {
            (r.table, r.column, r.action): r
            for r in result.ledger.rules
            if r.column in ("amount", "discount", "age", "avg_order_value")
            and not r.rule.startswith(("unreadable_", "missing_"))
        }
        quarantined = ws.engine.rows(
            "select _row, rule from quarantine where table_name = 'orders'"
        )
        orders_left = ws.engine.rows("select count(*), max(discount) from orders")[0]
        discount_1000 = ws.engine.count("orders", "discount is null")
        ages = ws.engine.rows("select max(age), typeof(max(age)) from customers")[0]
        flagged = ws.engine.rows(
            "select avg_order_value, _flags from customers where len(_flags) > 0"
        )
    for key in [
        ("orders", "amount", "quarantined"),
        ("orders", "discount", "cleared"),
        ("customers", "age", "capped"),
        ("customers", "avg_order_value", "flagged"),
    ]:
        assert by_action[key].count == 1, key
        assert f"{hi:,.2f}" in by_action[key].reason
    amount_rule = by_action[("orders", "amount", "quarantined")].rule
    assert quarantined == [(11, amount_rule)]
    # O0's discount of 1000 is cleared; O9 (amount 1000) left with its discount of 18
    assert orders_left == (9, 17.0)
    assert discount_1000 == 1
    assert ages == (round(hi), "BIGINT")
    flag_rule = by_action[("customers", "avg_order_value", "flagged")].rule
    assert flagged == [(1000.0, [flag_rule])]


def test_cleared_outlier_keeps_the_row(tmp_path: Path) -> None:
    orders = csv_text(
        [["订单号", "客户编号", "下单时间", "金额", "优惠金额"]]
        + [[f"O{i}", "C1", "2024-05-08", "10", v] for i, v in enumerate(VALUES)]
    )
    ws = make_workspace(
        tmp_path,
        {"o.csv": orders},
        [{"name": "o", "table": "orders", "path": "o.csv"}],
        cleaning={
            "outliers": [{"table": "orders", "field": "discount", "rule": "iqr", "action": "clear"}]
        },
    )
    with ws:
        ws.ingest()
        ws.clean()
        rows = dict(ws.engine.rows("select order_id, discount from orders"))
    assert len(rows) == 10
    assert rows["O9"] is None
    assert rows["O0"] == 10.0


def test_the_future_starts_now_in_the_workspace_zone(tmp_path: Path) -> None:
    # Kiritimati is UTC+14: an order placed an hour ago there is still "tomorrow" for a
    # server that runs on UTC, but it is not in the future
    zone = "Pacific/Kiritimati"
    now = dt.datetime.now(ZoneInfo(zone)).replace(tzinfo=None)
    rows = [
        ["O1", "C1", (now - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"), "10"],
        ["O2", "C1", (now + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S"), "10"],
    ]
    ws = make_workspace(
        tmp_path,
        {"o.csv": csv_text([ORDER_HEADER, *rows])},
        [{"name": "o", "table": "orders", "path": "o.csv"}],
        cleaning={"timezone": zone},
    )
    with ws:
        ws.ingest()
        ws.clean()
        accepted = ws.engine.rows("select order_id from orders")
        quarantined = ws.engine.rows("select _row, rule from quarantine")
    assert accepted == [("O1",)]
    assert quarantined == [(3, "future_ordered_at")]


def test_rule_order_holds_across_constant_and_statistical_rules(tmp_path: Path) -> None:
    """Constant rules are judged while typing, outlier rules after the statistics; a row that
    several rules catch still goes to the first of them in configuration order, and flags of
    both kinds add up in rule order."""
    amounts = [*VALUES[:-1], "1000", "1000", "12"]
    discounts = ["1", "2", *["1"] * 7, "500", "1", "500"]  # O9: amount and discount rules fire
    orders = csv_text(
        [["订单号", "客户编号", "下单时间", "金额", "优惠金额"]]
        + [
            [f"O{i}", f"C{i}", "2024-05-08", a, d]
            for i, (a, d) in enumerate(zip(amounts, discounts, strict=True))
        ]
    )
    ws = make_workspace(
        tmp_path,
        {"o.csv": orders},
        [{"name": "o", "table": "orders", "path": "o.csv"}],
        cleaning={
            "outliers": [
                {
                    "table": "orders",
                    "field": "amount",
                    "action": "quarantine",
                    "rule": "sigma",
                    "k": 1.5,
                },
                {
                    "table": "orders",
                    "field": "discount",
                    "action": "quarantine",
                    "rule": "bounds",
                    "min": 0,
                    "max": 100,
                },
                {"table": "orders", "field": "amount", "action": "flag", "rule": "iqr", "k": 0.1},
                {
                    "table": "orders",
                    "field": "discount",
                    "action": "flag",
                    "rule": "bounds",
                    "min": 0,
                    "max": 1,
                },
            ]
        },
    )
    with ws:
        ws.ingest()
        result = ws.clean()
        verdicts = dict(
            ws.engine.rows(
                "select r.order_id, q.rule from quarantine q join raw_orders r "
                "using (_load_id, _row) where q.table_name = 'orders'"
            )
        )
        flags = {
            k: [f for f in v if f != "unknown_customer"]  # no customers table here
            for k, v in ws.engine.rows("select order_id, _flags from orders")
        }
    names = {
        (r.column, r.action): r.rule
        for r in result.ledger.rules
        if r.table == "orders" and r.column in ("amount", "discount") and r.count
    }
    amount_out, discount_out = names[("amount", "quarantined")], names[("discount", "quarantined")]
    # statistics describe the rows no constant rule catches (O9 and O11 have a discount of 500)
    kept = [float(a) for a, d in zip(amounts, discounts, strict=True) if float(d) <= 100]
    mean, std = statistics.mean(kept), statistics.stdev(kept)
    assert mean + 1.5 * std < 1000  # so both 1000s are outliers
    assert verdicts == {"O9": amount_out, "O10": amount_out, "O11": discount_out}
    q1, _, q3 = statistics.quantiles(kept, n=4, method="inclusive")
    lo, hi = q1 - 0.1 * (q3 - q1), q3 + 0.1 * (q3 - q1)
    amount_flag, discount_flag = names[("amount", "flagged")], names[("discount", "flagged")]
    expected = {
        f"O{i}": [amount_flag] * (not lo <= float(amounts[i]) <= hi)
        + [discount_flag] * (float(discounts[i]) > 1)
        for i in range(9)
    }
    assert flags == expected
    assert flags["O1"] == [amount_flag, discount_flag]  # both kinds, in rule order
    assert result.balanced


def test_a_flag_sees_the_values_before_a_cap_on_its_column(tmp_path: Path) -> None:
    """Late flags are written with the clean table unless a cap / clear / fill changes a
    column they read: then they are judged on the values as typed, like every rule."""
    amounts = [*VALUES[:-1], "5000"]
    orders = csv_text(
        [["订单号", "客户编号", "下单时间", "金额"]]
        + [[f"O{i}", f"C{i}", "2024-05-08", a] for i, a in enumerate(amounts)]
    )
    outliers = [
        {
            "table": "orders",
            "field": "amount",
            "action": "flag",
            "rule": "bounds",
            "above_mean_ratio": 3,
            "finding": "high_net_worth_candidate",
        }
    ]
    capped = [{"table": "orders", "field": "amount", "action": "cap", "rule": "bounds", "max": 10}]
    seen = {}
    for name, rules in (("flag", outliers), ("flag+cap", outliers + capped)):
        ws = make_workspace(
            tmp_path / name,
            {"o.csv": orders},
            [{"name": "o", "table": "orders", "path": "o.csv"}],
            cleaning={"outliers": rules},
        )
        with ws:
            ws.ingest()
            ws.clean()
            seen[name] = ws.engine.rows(
                "select order_id, amount from orders "
                "where list_contains(_flags, 'high_net_worth_candidate')"
            )
    assert seen["flag"] == [(f"O{len(amounts) - 1}", 5000.0)]
    assert seen["flag+cap"] == [(f"O{len(amounts) - 1}", 10.0)]  # flagged, then capped


class _InterruptingConsole(CaptureConsole):
    """Presses Ctrl-C when the cleaning progress reaches step ``after``."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    @contextmanager
    def progress(self, label: str, total: int | None = None) -> Iterator[Task]:
        with super().progress(label, total) as task:
            yield _Interrupting(task, self.after if label == "cleaning" else None)


@dataclass
class _Interrupting:
    task: Task
    after: int | None
    done: int = 0

    def advance(self, amount: int = 1) -> None:
        self.task.advance(amount)
        self.done += amount
        if self.after is not None and self.done >= self.after:
            raise KeyboardInterrupt

    def update(self, *, completed: int | None = None, total: int | None = None) -> None:
        self.task.update(completed=completed, total=total)


CLEAN_STATE = (
    "customers",
    "orders",
    "identity_map",
    "identity_links",
    "quarantine",
    "hx_merges",
    "hx_cleans",
)


def warehouse_state(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    return {t: sorted(map(repr, ws.engine.rows(f"select * from {t}"))) for t in CLEAN_STATE}


@pytest.mark.parametrize("after", [1, 2], ids=["after-customers", "after-orders"])
def test_an_interrupted_clean_leaves_the_previous_clean_tables(tmp_path: Path, after: int) -> None:
    root = tmp_path / "ws"
    ws = make_workspace(
        root,
        {"customers.csv": CUSTOMERS, "orders.csv": ORDERS},
        [
            {"name": "crm", "table": "customers", "path": "customers.csv"},
            {"name": "shop", "table": "orders", "path": "orders.csv"},
        ],
    )
    ws.ingest()
    first = ws.clean()
    # a new order source, so that a finished run would change orders and the quarantine
    (root / "more.csv").write_text(
        csv_text(
            [
                ["订单号", "客户编号", "下单时间", "金额", "手机号"],
                ["O900", "C900", "2024-05-01 10:00:00", "88.00", ""],
                ["O901", "C1", "2099-05-01 10:00:00", "88.00", ""],
            ]
        ),
        encoding="utf-8",
    )
    ws.ingest_file(SourceConfig(name="more", table="orders", path="more.csv"))
    before = warehouse_state(ws)
    assert before["orders"] and before["quarantine"] and before["identity_map"]
    ws.close()

    ws = Workspace.open(root, console=_InterruptingConsole(after))
    with pytest.raises(KeyboardInterrupt):
        ws.clean()
    assert warehouse_state(ws) == before
    leftovers = ws.engine.rows(
        "select table_name from duckdb_tables() where starts_with(table_name, 'hx_next_')"
    )
    assert leftovers == []
    ws.close()

    ws = Workspace.open(root)
    second = ws.clean()
    assert second.balanced
    assert second.tables["orders"]["read"] == first.tables["orders"]["read"] + 2
    assert second.tables["orders"]["quarantined"] == first.tables["orders"]["quarantined"] + 1
    assert ws.engine.count("orders", "order_id = 'O900' and customer_id is null") == 1
    assert warehouse_state(ws)["hx_cleans"] != before["hx_cleans"]
    ws.close()


def test_exact_copies_with_and_without_a_key_and_key_duplicates(tmp_path: Path) -> None:
    """Feedback ids are optional: copies without an id are found by their values, copies
    with an id among the rows sharing it, and a shared id with other values is a key
    duplicate (the latest version survives)."""
    feedback = csv_text(
        [
            ["反馈编号", "客户编号", "反馈内容", "反馈时间"],
            ["", "C1", "物流太慢", "2024-05-01"],  # row 2
            ["", "C1", "物流太慢", "2024-05-01"],  # row 3: exact copy of 2, no id
            ["", "C2", "物流太慢", "2024-05-01"],  # row 4: other customer, kept
            ["F1", "C1", "客服很好", "2024-05-02"],  # row 5
            ["F1", "C1", "客服很好", "2024-05-02"],  # row 6: exact copy of 5
            ["F1", "C1", "客服很好，已解决", "2024-05-03"],  # row 7: same id, newer
            ["F2", "C2", "包装破损", "2024-05-04"],  # row 8
        ]
    )
    customers = csv_text([["客户编号", "姓名"], ["C1", "张三"], ["C2", "李四"]])
    ws = make_workspace(
        tmp_path / "ws",
        {"c.csv": customers, "f.csv": feedback},
        [
            {"name": "crm", "table": "customers", "path": "c.csv"},
            {"name": "fb", "table": "feedback", "path": "f.csv"},
        ],
    )
    with ws:
        ws.ingest()
        result = ws.clean()
        kept = ws.engine.rows("select _row from feedback order by _row")
        merges = ws.engine.rows(
            "select _row, kept_row, reason from hx_merges where table_name = 'feedback' "
            "order by _row"
        )
    assert kept == [(2,), (4,), (7,), (8,)]
    assert merges == [
        (3, 2, "exact_duplicate"),
        (5, 7, "duplicate_feedback_id"),
        (6, 5, "exact_duplicate"),
    ]
    assert rule(result, "feedback", "exact_duplicate").count == 2
    assert rule(result, "feedback", "duplicate_feedback_id").count == 1
    assert result.tables["feedback"] == {"read": 7, "accepted": 4, "quarantined": 0, "merged": 3}
