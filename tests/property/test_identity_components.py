"""Resolved customers equal connected components computed independently (union-find)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huaxiang.workspace import Workspace

PHONES = ["13800000001", "13900000002", "15000000003"]
EMAILS = ["a@example.com", "b@example.com", "c@example.com"]
MAX_SHARED = 10  # a phone / email on more records than this is ignored for matching


def phone_text(number: str, style: int) -> str:
    return [
        number,
        f"+86 {number[:3]} {number[3:7]} {number[7:]}",
        f"{number[:3]}-{number[3:7]}-{number[7:]}",
        f"0086{number}",
    ][style]


@st.composite
def records(draw: st.DrawFn) -> list[tuple[str, int | None, int | None]]:
    """(customer id, phone index, email index) per record."""
    n_phones = draw(st.integers(1, len(PHONES)))
    n = draw(st.integers(1, 14))
    out = []
    for _ in range(n):
        cid = draw(st.sampled_from(["", "", "K1", "K2", "K3", "K4"]))
        phone = draw(st.one_of(st.none(), st.integers(0, n_phones - 1)))
        email = draw(st.one_of(st.none(), st.integers(0, len(EMAILS) - 1)))
        out.append((cid, phone, email))
    return out


class UnionFind:
    def __init__(self, items: list[int]) -> None:
        self.parent = {i: i for i in items}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def expected_components(
    recs: list[tuple[str, int | None, int | None]],
) -> set[frozenset[int]]:
    """Components of spreadsheet rows (record i is row i + 2), computed in plain Python."""
    kept = [
        i
        for i, (cid, phone, email) in enumerate(recs)
        if cid or phone is not None or email is not None
    ]  # else: quarantined
    keys: dict[tuple[str, object], list[int]] = {}
    for i in kept:
        cid, phone, email = recs[i]
        if cid:
            keys.setdefault(("customer_id", cid), []).append(i)
        if phone is not None:
            keys.setdefault(("phone", phone), []).append(i)
        if email is not None:
            keys.setdefault(("email", email), []).append(i)
    uf = UnionFind(kept)
    for (kind, _), members in keys.items():
        if kind != "customer_id" and len(members) > MAX_SHARED:
            continue  # shared identifier: not evidence of one person
        for other in members[1:]:
            uf.union(members[0], other)
    groups: dict[int, set[int]] = {}
    for i in kept:
        groups.setdefault(uf.find(i), set()).add(i + 2)
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    recs=records(),
    styles=st.lists(st.integers(0, 3), min_size=14, max_size=14),
    upper=st.lists(st.booleans(), min_size=14, max_size=14),
)
def test_customers_are_the_connected_components(
    recs: list[tuple[str, int | None, int | None]], styles: list[int], upper: list[bool]
) -> None:
    rows = [["客户编号", "手机号", "邮箱", "姓名"]]
    for i, (cid, phone, email) in enumerate(recs):
        rows.append(
            [
                cid,
                "" if phone is None else phone_text(PHONES[phone], styles[i]),
                "" if email is None else (EMAILS[email].upper() if upper[i] else EMAILS[email]),
                f"记录{i}",  # no two records are exact copies
            ]
        )
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "c.csv").write_text(out.getvalue(), encoding="utf-8")
        sources = [{"name": "crm", "table": "customers", "path": "c.csv"}]
        with Workspace.init(root, sources=sources) as ws:
            ws.ingest()
            result = ws.clean()
            links = ws.engine.rows("select golden_id, _row from identity_links")
            golden = [g for (g,) in ws.engine.rows("select customer_id from customers")]
    groups: dict[str, set[int]] = {}
    for golden_id, row in links:
        groups.setdefault(golden_id, set()).add(row)
    expected = expected_components(recs)
    assert {frozenset(g) for g in groups.values()} == expected
    assert sorted(golden) == sorted(groups)
    assert len(golden) == len(set(golden))
    assert result.identity is not None
    assert result.identity.customers == len(expected)
