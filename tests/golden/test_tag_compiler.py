"""Golden files for the tag compiler, and the values its SQL gives on a hand-made warehouse.

Each ``cases/<name>.yaml`` holds feature and tag definitions (the workspace format), an as-of
date, the tags to show and, under ``expect:``, every customer's value of each shown tag, worked
out by hand from the fixture below. For each case:

- ``standalone_query`` must give exactly ``expected/<name>.sql`` (HUAXIANG_UPDATE_GOLDEN=1
  rewrites the file instead);
- that SQL, run on the fixture, must give the expected values;
- ``build_tags`` on the fixture must give the same values in ``customer_tags`` and
  ``tag_snapshots`` (which go through the unprettified SQL), and record the build.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from huaxiang.compiler.plan import Plan, customer_columns, resolve
from huaxiang.compiler.sql import standalone_query
from huaxiang.console import NullConsole
from huaxiang.definitions.loader import load_catalog
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.schema import TABLES
from huaxiang.tagging.build import build_tags

HERE = Path(__file__).parent
CASES = sorted(p.stem for p in (HERE / "cases").glob("*.yaml"))
UPDATE = os.environ.get("HUAXIANG_UPDATE_GOLDEN", "").lower() not in ("", "0", "false")

# -- the fixture ---------------------------------------------------------------------------------
# The case files use the as-of date 2026-06-30, so the day ends at 2026-07-01 00:00 (excluded).
# A 90d window starts at 2026-04-02 00:00, a 6m window at 2026-01-01 00:00, a 2w window at
# 2026-06-17 00:00 and a 1y window at 2025-07-01 00:00.

_DUCKDB_TYPES = {
    "string": "varchar",
    "integer": "integer",
    "decimal": "double",
    "date": "date",
    "timestamp": "timestamp",
    "boolean": "boolean",
    "json": "json",
}
# columns standardisation adds to customers (see identity.resolve for sources / record_count)
_EXTRA_TYPES = {
    "city_tier": "varchar",
    "area": "varchar",
    "region_code": "varchar",
    "sources": "varchar[]",
    "record_count": "bigint",
}

CUSTOMER_IDS = ("c1", "c2", "c3", "c4", "c5")
# customer_id, gender, age, birth_date, city_tier, registered_at, member_level
CUSTOMERS = [
    ("c1", "F", 35, "1991-03-02", "1", "2024-01-15 09:30:00", "gold"),
    ("c2", "M", 17, None, "2", "2026-06-30 18:00:00", None),  # registered on the as-of day
    ("c3", None, None, None, None, None, None),  # no orders at all, unknown everything
    ("c4", "F", 60, None, "3", "2020-02-29 00:00:00", "silver"),
    ("c5", "M", 18, None, "1", "2025-06-30 12:00:00", None),
]

# order_id, customer_id, ordered_at, amount, category, channel, coupon_used, discount, returned
ORDERS = [
    # c1: windows, a return, a tie between food and books (2 each, kept orders)
    ("o01", "c1", "2026-06-30 23:59:59", 100.0, "food", "app", True, 10.0, False),  # last second
    ("o02", "c1", "2026-07-01 00:00:00", 999.0, "toys", "app", False, 0.0, False),  # after as-of
    ("o03", "c1", "2026-04-02 00:00:00", 200.0, "books", "web", False, 0.0, False),  # in 90d
    ("o04", "c1", "2026-04-01 23:59:59", 300.0, "books", "store", None, None, False),  # not 90d
    ("o05", "c1", "2026-01-01 00:00:00", 50.0, "food", "web", False, 5.0, False),  # in 6m
    ("o06", "c1", "2025-12-31 23:59:59", 400.0, "toys", "app", False, None, False),  # not 6m
    ("o07", "c1", "2026-05-15 10:00:00", 500.0, "toys", "app", True, 50.0, True),  # returned
    # c2: returned unknown (counts as kept), a NULL category on the first order, a return
    ("o08", "c2", "2026-06-01 09:00:00", 80.0, "food", "app", True, 5.0, False),
    ("o09", "c2", "2026-06-01 12:00:00", 120.0, "food", "mini", False, None, None),
    ("o10", "c2", "2026-03-10 15:00:00", 1000.0, "electronics", "web", True, 100.0, False),
    ("o11", "c2", "2025-06-30 08:00:00", 60.0, None, "store", False, 0.0, False),  # not 1y
    ("o17", "c2", "2026-06-15 19:00:00", 30.0, "electronics", "mini", False, 0.0, True),
    # c4: one old kept order, one recent returned one
    ("o12", "c4", "2025-01-15 11:00:00", 700.0, "books", "store", False, 0.0, False),
    ("o13", "c4", "2026-06-20 20:00:00", 250.0, "toys", "app", True, 20.0, True),
    # c5: one order (coupon unknown), one after the as-of date
    ("o14", "c5", "2026-06-29 21:00:00", 500.0, "food", "web", None, None, False),
    ("o18", "c5", "2026-07-15 00:00:00", 100.0, "toys", "app", False, 0.0, False),
    # nobody's: no customer id, and a customer id the customers table does not have
    ("o15", None, "2026-06-01 10:00:00", 9999.0, "food", "app", False, 0.0, False),
    ("o16", "c9", "2026-06-01 10:00:00", 10.0, "food", "app", False, 0.0, False),
]

# customer_id, occurred_at, event_type, channel, properties
EVENTS = [
    ("c1", "2026-06-30 08:00:00", "login", "app", None),
    ("c1", "2026-04-02 00:00:00", "login", "web", None),  # first instant of 90d
    ("c1", "2026-04-01 23:59:59", "login", "web", None),  # just before 90d
    ("c1", "2026-06-10 10:00:00", "view", "app", '{"page": "home"}'),
    ("c1", "2026-06-11 10:00:00", "view", "app", '{"page": "sku"}'),
    ("c1", "2026-06-25 22:00:00", "cart", "app", '{"sku": "A1"}'),
    ("c2", "2026-05-01 09:00:00", "login", "mini", None),
    ("c2", "2026-05-02 09:00:00", "view", "web", '{"page": "home"}'),
    ("c2", "2026-05-03 09:00:00", "view", "mini", '{"page": "home"}'),
    ("c3", "2026-06-01 10:00:00", "login", "web", None),
    ("c3", "2026-06-02 10:00:00", "login", "app", None),  # web and app tie: app
    ("c3", "2026-06-03 10:00:00", "view", None, '{"page": "sku"}'),  # NULL channel twice:
    ("c3", "2026-06-04 10:00:00", "view", None, '{"page": "home"}'),  # not a mode candidate
    ("c4", "2025-06-01 10:00:00", "login", "store", None),
    ("c5", "2026-07-01 00:00:00", "login", "app", None),  # after the as-of day
    (None, "2026-06-01 10:00:00", "login", "app", None),
]

# the value model's table: customer_id, frequency, recency, T, monetary_value, p_alive,
# expected_purchases_90d, expected_spend, clv_12m (c3, a non-buyer, has no row)
CUSTOMER_VALUE = [
    ("c1", 3.0, 180.0, 540.0, 150.0, 0.7, 1.25, 180.0, 820.5),
    ("c2", 2.0, 100.0, 365.0, 400.0, 0.3, 0.4, 410.0, 300.25),
    ("c4", 0.0, 0.0, 500.0, None, 0.05, 0.01, None, None),
    ("c5", 0.0, 0.0, 1.0, None, 1.0, 0.8, None, None),
    ("c9", 1.0, 10.0, 20.0, 10.0, 0.5, 0.5, 10.0, 10.0),  # not a customer
]


def _create_customers(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    assert set(customer_columns()) == {
        f.name for f in TABLES["customers"].fields if f.name != "customer_id"
    } | set(_EXTRA_TYPES), "customer_columns() changed: update the fixture"
    types = {f.name: _DUCKDB_TYPES[f.type] for f in TABLES["customers"].fields}
    types.update(_EXTRA_TYPES)
    columns = ", ".join(
        f"{quote_ident(c)} {types[c]}" for c in ("customer_id", *customer_columns())
    )
    engine.execute(f"create table customers ({columns})")
    for c in rows:
        engine.execute(
            "insert into customers (customer_id, gender, age, birth_date, city_tier, "
            "registered_at, member_level, sources, record_count) "
            "values (?, ?, ?, ?::date, ?, ?::timestamp, ?, ['crm'], 1)",
            list(c),
        )


def _create_tables(engine: Engine) -> None:
    _create_customers(engine, CUSTOMERS)
    engine.execute(
        "create table orders (customer_id varchar, order_id varchar, ordered_at timestamp, "
        "amount double, category varchar, channel varchar, coupon_used boolean, "
        "discount double, returned boolean, source_customer_id varchar)"
    )
    for o in ORDERS:
        oid, cid, *rest = o
        engine.execute(
            "insert into orders values (?, ?, ?::timestamp, ?, ?, ?, ?, ?, ?, ?)",
            [cid, oid, *rest, cid and f"crm-{cid}"],
        )
    engine.execute(
        "create table events (customer_id varchar, occurred_at timestamp, event_type varchar, "
        "channel varchar, properties json, source_customer_id varchar)"
    )
    for e in EVENTS:
        engine.execute(
            "insert into events values (?, ?::timestamp, ?, ?, ?::json, ?)",
            [*e, e[0] and f"app-{e[0]}"],
        )
    engine.execute(
        "create table customer_value (customer_id varchar, run_id varchar, as_of date, "
        'frequency double, recency double, "T" double, monetary_value double, p_alive double, '
        "expected_purchases_90d double, expected_spend double, clv_12m double)"
    )
    for v in CUSTOMER_VALUE:
        engine.execute(
            "insert into customer_value values (?, 'value-1', date '2026-06-30', ?, ?, ?, ?, ?, "
            "?, ?, ?)",
            list(v),
        )


@pytest.fixture
def warehouse(engine: Engine) -> Engine:
    _create_tables(engine)
    return engine


def test_fixture_has_what_the_cases_assume(warehouse: Engine) -> None:
    # the customers the expectations list, and the rows the comments above describe
    ids = [r[0] for r in warehouse.rows("select customer_id from customers order by 1")]
    assert ids == list(CUSTOMER_IDS)
    assert warehouse.count("orders") == 18
    assert warehouse.count("events") == 16
    assert warehouse.count("orders", "returned") == 3
    assert warehouse.count("orders", "returned is null") == 1
    assert warehouse.count("customer_value") == 5


# -- cases ---------------------------------------------------------------------------------------


def _case(name: str) -> dict[str, Any]:
    data = yaml.safe_load((HERE / "cases" / f"{name}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _plan(case: dict[str, Any], root: Path) -> Plan:
    """Write the case's definitions as a workspace's features/ and tags/ and resolve them."""
    for kind in ("features", "tags"):
        folder = root / kind
        folder.mkdir(parents=True)
        text = yaml.safe_dump(
            {"version": 1, kind: case.get(kind, [])}, allow_unicode=True, sort_keys=False
        )
        (folder / "x.yaml").write_text(text, encoding="utf-8")
    return resolve(load_catalog(root))


def _same(actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return actual is expected
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, float) or isinstance(actual, float):
        number = isinstance(actual, int | float) and isinstance(expected, int | float)
        return number and actual == pytest.approx(expected, rel=1e-12, abs=1e-12)
    return type(actual) is type(expected) and actual == expected


def _as_text(expected: Any) -> str | None:
    """How DuckDB writes a value as varchar (tag_snapshots keeps text)."""
    if expected is None:
        return None
    if isinstance(expected, bool):
        return "true" if expected else "false"
    if isinstance(expected, dt.datetime):
        return expected.isoformat(sep=" ")
    return str(expected)


def _same_text(actual: str | None, expected: Any) -> bool:
    if isinstance(expected, int | float) and not isinstance(expected, bool) and actual:
        return float(actual) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    return actual == _as_text(expected)


def _mismatches(
    rows: list[dict[str, Any]], expect: dict[str, dict[str, Any]], same: Any = _same
) -> list[str]:
    by_id = {r["customer_id"]: r for r in rows}
    assert len(by_id) == len(rows), "a customer has more than one row"
    assert sorted(by_id) == sorted(expect) == list(CUSTOMER_IDS)
    return [
        f"{cid}.{tag}: got {by_id[cid][tag]!r}, expected {value!r}"
        for cid, values in sorted(expect.items())
        for tag, value in values.items()
        if not same(by_id[cid][tag], value)
    ]


@pytest.fixture(params=CASES)
def case(request: pytest.FixtureRequest) -> dict[str, Any]:
    data = _case(request.param)
    data["name"] = request.param
    return data


def test_cases_are_complete() -> None:
    assert len(CASES) >= 5
    # no golden file outlives its case
    assert sorted(p.stem for p in (HERE / "expected").glob("*.sql")) == CASES
    for name in CASES:
        data = _case(name)
        assert isinstance(data["as_of"], dt.date), name
        assert sorted(data["expect"]) == list(CUSTOMER_IDS), name
        for cid, values in data["expect"].items():
            assert list(values) == data["show"], f"{name}: {cid} must give every shown tag"


def test_standalone_sql_matches_the_golden_file(case: dict[str, Any], tmp_path: Path) -> None:
    plan = _plan(case, tmp_path)
    sql = standalone_query(plan, case["as_of"], case["show"]) + "\n"
    golden = HERE / "expected" / f"{case['name']}.sql"
    if UPDATE:
        golden.write_text(sql, encoding="utf-8")
    assert golden.is_file(), f"no {golden.name}: run with HUAXIANG_UPDATE_GOLDEN=1"
    assert sql == golden.read_text(encoding="utf-8")


def test_levels(case: dict[str, Any], tmp_path: Path) -> None:
    plan = _plan(case, tmp_path)
    expected = case.get("levels") or [[t["id"] for t in case["tags"]]]
    assert plan.levels == expected


def test_standalone_sql_gives_the_expected_values(
    case: dict[str, Any], tmp_path: Path, warehouse: Engine
) -> None:
    sql = standalone_query(_plan(case, tmp_path), case["as_of"], case["show"])
    rows = warehouse.dicts(sql)
    assert list(rows[0]) == ["customer_id", *case["show"]]
    assert _mismatches(rows, case["expect"]) == []


def test_build_gives_the_expected_values_and_a_snapshot(
    case: dict[str, Any], tmp_path: Path, warehouse: Engine
) -> None:
    plan = _plan(case, tmp_path)
    build = build_tags(warehouse, plan, NullConsole(), as_of=case["as_of"])
    assert build.as_of == case["as_of"]
    assert build.customers == len(CUSTOMER_IDS)
    assert build.previous_run is None
    tags = [t["id"] for t in case["tags"]]
    assert sorted(warehouse.columns("customer_tags")) == sorted(["customer_id", *tags])
    assert _mismatches(warehouse.dicts("select * from customer_tags"), case["expect"]) == []
    snapshot = warehouse.dicts(
        "select * exclude (run_id, as_of) from tag_snapshots where run_id = ? and as_of = ?",
        [build.run_id, case["as_of"]],
    )
    assert _mismatches(snapshot, case["expect"], _same_text) == []


def test_two_builds_keep_two_snapshots_and_record_their_as_of(
    tmp_path: Path, warehouse: Engine
) -> None:
    case = _case("levels")
    plan = _plan(case, tmp_path)
    first = build_tags(warehouse, plan, NullConsole(), as_of=dt.date(2026, 6, 30))
    second = build_tags(warehouse, plan, NullConsole(), as_of=dt.date(2026, 7, 31))
    assert first.run_id != second.run_id
    assert second.previous_run == first.run_id
    runs = warehouse.rows("select run_id, as_of, customers from hx_tag_runs order by built_at")
    assert runs == [
        (first.run_id, dt.date(2026, 6, 30), 5),
        (second.run_id, dt.date(2026, 7, 31), 5),
    ]
    per_run = warehouse.rows(
        "select run_id, as_of, count(*), count(distinct customer_id) from tag_snapshots "
        "group by all order by as_of"
    )
    assert per_run == [
        (first.run_id, dt.date(2026, 6, 30), 5, 5),
        (second.run_id, dt.date(2026, 7, 31), 5, 5),
    ]
    # customer_tags holds the latest build only; the first build's snapshot is kept as it was
    assert warehouse.count("customer_tags") == 5
    kept = warehouse.dicts(
        "select * exclude (run_id, as_of) from tag_snapshots where run_id = ?", [first.run_id]
    )
    assert _mismatches(kept, case["expect"], _same_text) == []


# -- behaviour found wrong -----------------------------------------------------------------------

_META = {
    "name": "golden",
    "layer": "value",
    "definition": "golden case",
    "source": "CRM",
    "owner": "qa",
    "created": dt.date(2026, 1, 1),
}


def test_integer_case_values_stay_integers(tmp_path: Path, warehouse: Engine) -> None:
    tag = {**_META, "id": "score", "rule": {"case": [{"when": "age >= 18", "then": 2}], "else": 0}}
    plan = _plan({"tags": [tag]}, tmp_path)
    build = build_tags(warehouse, plan, NullConsole(), as_of=dt.date(2026, 6, 30))
    # age: c1 35, c2 17, c3 NULL (else), c4 60, c5 18
    expected = {"c1": 2, "c2": 0, "c3": 0, "c4": 2, "c5": 2}
    values = dict(warehouse.rows("select customer_id, score from customer_tags"))
    assert values == expected
    assert all(type(v) is int for v in values.values())
    texts = dict(
        warehouse.rows(
            "select customer_id, score from tag_snapshots where run_id = ?", [build.run_id]
        )
    )
    assert texts == {cid: str(v) for cid, v in expected.items()}


def test_percentile_buckets_are_exact(tmp_path: Path, engine: Engine) -> None:
    # 20 customers aged 1 .. 20, 100 buckets: the k-th has cume_dist k/20, bucket 100k/20 = 5k
    _create_customers(engine, [(f"p{k:02}", None, k, None, None, None, None) for k in range(1, 21)])
    tag = {**_META, "id": "age_pct", "rule": {"quantile": {"of": "age", "n": 100}}}
    plan = _plan({"tags": [tag]}, tmp_path)
    build_tags(engine, plan, NullConsole(), as_of=dt.date(2026, 6, 30))
    got = dict(engine.rows("select customer_id, age_pct from customer_tags"))
    assert got == {f"p{k:02}": str(5 * k) for k in range(1, 21)}
