"""Every row read is accounted for exactly once: accepted, quarantined or merged.

Random small dirty customer and order files go through a real workspace; the property is
checked per load in ``hx_loads`` and, independently, row by row from the warehouse tables.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huaxiang.workspace import Workspace

CUSTOMER_HEADER = ["客户编号", "手机号", "邮箱", "年龄", "城市", "更新时间", "备注"]
ORDER_HEADER = ["订单号", "客户编号", "下单时间", "金额", "是否退货"]

ids = st.sampled_from(["C1", "C2", "C3", "C4", "", " ", "N/A"])
phones = st.sampled_from(
    ["13800138000", "+86 138 0013 8000", "139-0013-9000", "12345", "", "无", "电话"]
)
emails = st.sampled_from(["a@example.com", "A@Example.com", "b@example.com", "bad@", ""])
ages = st.sampled_from(["25", "25岁", "abc", "200", "-3", "", "41"])
cities = st.sampled_from(["北京", "上海浦东", "广东广州", "火星", ""])
times = st.sampled_from(["2024-05-01", "2024/5/2", "2099-01-01", "昨天", "", "45420"])
notes = st.sampled_from(["", "vip", "备注,含逗号", 'say "hi"'])
order_ids = st.sampled_from(["O1", "O2", "O3", "O4", "O5", ""])
amounts = st.sampled_from(["100", "¥1,299.00", "1299元", "abc", "-5", "", "0", "99999", "12.5"])
flags = st.sampled_from(["是", "否", "maybe", ""])

customer_rows = st.lists(
    st.tuples(ids, phones, emails, ages, cities, times, notes).map(list), min_size=1, max_size=12
)
order_rows = st.lists(
    st.tuples(order_ids, ids, times, amounts, flags).map(list), min_size=1, max_size=14
)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    customers=customer_rows,
    orders=order_rows,
    more_orders=st.one_of(st.none(), order_rows),
    duplicate=st.booleans(),
)
def test_rows_read_equal_accepted_quarantined_merged(
    customers: list[list[str]],
    orders: list[list[str]],
    more_orders: list[list[str]] | None,
    duplicate: bool,
) -> None:
    if duplicate:  # exact copies are common in exports
        customers = customers + customers[:1]
        orders = orders + orders[:2]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_csv(root / "customers.csv", CUSTOMER_HEADER, customers)
        write_csv(root / "orders.csv", ORDER_HEADER, orders)
        sources = [
            {"name": "crm", "table": "customers", "path": "customers.csv"},
            {"name": "shop", "table": "orders", "path": "orders.csv"},
        ]
        written = {"crm": len(customers), "shop": len(orders)}
        if more_orders is not None:
            write_csv(root / "orders2.csv", ORDER_HEADER, more_orders)
            sources.append({"name": "app", "table": "orders", "path": "orders2.csv"})
            written["app"] = len(more_orders)
        with Workspace.init(root, sources=sources) as ws:
            ws.ingest()
            result = ws.clean()
            loads = ws.engine.dicts("select * from hx_loads where status = 'loaded'")
            placed: dict[str, list[tuple[str, int]]] = {}
            for load in loads:
                lid = load["load_id"]
                where = "_load_id = ?"
                placed[load["source"]] = (
                    ws.engine.rows(
                        f"select 'accepted', _row from {load['table_name']} where {where}", [lid]
                    )
                    + ws.engine.rows(
                        f"select 'quarantined', _row from quarantine where {where}", [lid]
                    )
                    + ws.engine.rows(f"select 'merged', _row from hx_merges where {where}", [lid])
                )

    assert result.balanced
    assert {load["source"] for load in loads} == set(written)
    for load in loads:
        source = load["source"]
        assert load["rows_read"] == written[source]
        assert load["rows_read"] == (
            load["rows_accepted"] + load["rows_quarantined"] + load["rows_merged"]
        )
        # row by row: every data row (spreadsheet rows 2..n+1) sits in exactly one place
        rows = sorted(row for _, row in placed[source])
        assert rows == list(range(2, written[source] + 2)), placed[source]
    totals = {t: c["read"] for t, c in result.tables.items()}
    assert totals == {
        "customers": written["crm"],
        "orders": written["shop"] + written.get("app", 0),
    }
