"""Invariants of the tag compiler, run on a real in-memory DuckDB.

Each example writes random customers (and orders) into fresh tables of one in-memory DuckDB; the
catalog is built from in-memory definitions (the models the YAML loader produces), resolved,
compiled with ``features_query`` / ``tags_query`` (what ``build_tags`` runs), and every value is
compared with a pure-Python reference computed from the same rows.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import itertools
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from huaxiang.compiler.plan import Plan, customer_columns, resolve
from huaxiang.compiler.sql import features_query, tags_query
from huaxiang.definitions.loader import Catalog
from huaxiang.definitions.models import Feature, Tag
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.schema import TABLES

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- the warehouse -------------------------------------------------------------------------------

_DUCKDB_TYPES = {
    "string": "varchar",
    "integer": "integer",
    "decimal": "double",
    "date": "date",
    "timestamp": "timestamp",
    "boolean": "boolean",
    "json": "json",
}
# columns standardisation adds to the clean customers table
_EXTRA_TYPES = {
    "city_tier": "varchar",
    "area": "varchar",
    "region_code": "varchar",
    "sources": "varchar[]",
    "record_count": "bigint",
}
_META = {
    "name": "invariant",
    "layer": "value",
    "definition": "property test",
    "source": "CRM",
    "owner": "qa",
    "created": dt.date(2026, 1, 1),
}
AS_OF = dt.date(2026, 6, 30)
_TABLES = ("customers", "orders")


@pytest.fixture(scope="module")
def duck() -> Iterator[Engine]:
    """One in-memory DuckDB for the module: opening one costs ~30 ms, more than an example."""
    engine = Engine(None)
    try:
        yield engine
    finally:
        engine.close()


@contextmanager
def warehouse(engine: Engine) -> Iterator[Engine]:
    """``engine`` with no customers or orders: every example creates its own tables."""
    for table in _TABLES:
        engine.execute(f"drop table if exists {table}")
    try:
        yield engine
    finally:
        for table in _TABLES:
            engine.execute(f"drop table if exists {table}")


def _insert(engine: Engine, table: str, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    names = list(rows[0])
    values = ", ".join("(" + ", ".join("?" * len(names)) + ")" for _ in rows)
    engine.execute(
        f"insert into {table} ({', '.join(map(quote_ident, names))}) values {values}",
        [r[n] for r in rows for n in names],
    )


def create_customers(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """A clean customers table with every column a tag may name; ``rows`` give some of them."""
    types = {f.name: _DUCKDB_TYPES[f.type] for f in TABLES["customers"].fields} | _EXTRA_TYPES
    columns = ", ".join(
        f"{quote_ident(c)} {types[c]}" for c in ("customer_id", *customer_columns())
    )
    engine.execute(f"create table customers ({columns})")
    _insert(engine, "customers", rows)


def create_orders(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    engine.execute(
        "create table orders (customer_id varchar, order_id varchar, ordered_at timestamp, "
        "amount double, category varchar, channel varchar, coupon_used boolean, "
        "discount double, returned boolean, source_customer_id varchar)"
    )
    _insert(engine, "orders", rows)


def make_plan(features: Sequence[dict[str, Any]], tags: Sequence[dict[str, Any]]) -> Plan:
    """Resolve definitions given as the dicts a YAML file holds (no files needed: a Catalog is
    a plain dataclass; without origins, problems name the definition id)."""
    catalog = Catalog(
        features={f["id"]: Feature.model_validate(f) for f in features},
        tags={t["id"]: Tag.model_validate({**_META, **t}) for t in tags},
    )
    return resolve(catalog)


def run_features(engine: Engine, plan: Plan, as_of: dt.date = AS_OF) -> list[dict[str, Any]]:
    return engine.dicts(features_query(plan, as_of))


def run_tags(engine: Engine, plan: Plan, as_of: dt.date = AS_OF) -> dict[str, dict[str, Any]]:
    """Every customer's tags, as ``build_tags`` computes them (features, then tags over them)."""
    # the customers table has every column (create_customers), as build_tags would find
    available = {"customer_id", *customer_columns()}
    sql = tags_query(plan, as_of, f"(\n{features_query(plan, as_of)}\n)", available)
    rows = engine.dicts(sql)
    by_id = {r.pop("customer_id"): r for r in rows}
    assert len(by_id) == len(rows), "a customer has more than one row"
    return by_id


def customer_ids(n: int) -> list[str]:
    return [f"c{i:03}" for i in range(n)]


# -- strategies ----------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
floats = st.floats(allow_nan=False)  # -inf and inf too: DuckDB doubles hold them
# few distinct values, so that ties are common; -0.0 equals 0.0
tie_prone = st.sampled_from([-2.5, -0.0, 0.0, 1.0, 1.0, 3.25, 1e6])
numbers = st.one_of(st.none(), tie_prone, floats)


def rows_of(
    elements: st.SearchStrategy[Any], max_size: int, min_size: int = 1, unique: bool = False
) -> Any:
    """Lists of min_size .. max_size elements, any size as likely (st.lists mostly makes short
    ones: too few rows for buckets, windows and ties to matter)."""
    return st.integers(min_size, max_size).flatmap(
        lambda n: st.lists(elements, min_size=n, max_size=n, unique=unique)
    )


# -- 1. quantile ---------------------------------------------------------------------------------


def _bucket(label: Any) -> int:
    assert isinstance(label, str), label
    return int(label)


@PROPERTY
@given(
    values=rows_of(numbers, 40),
    n=st.one_of(st.integers(2, 10), st.integers(2, 100)),
    descending=st.booleans(),
)
def test_quantile_labels_are_monotonic_buckets(
    duck: Engine, values: list[float | None], n: int, descending: bool
) -> None:
    ids = customer_ids(len(values))
    quantile = {"of": "avg_order_value", "n": n, "descending": descending}
    tag = {"id": "q", "rule": {"quantile": quantile}}
    with warehouse(duck) as engine:
        create_customers(
            engine,
            [{"customer_id": c, "avg_order_value": v} for c, v in zip(ids, values, strict=True)],
        )
        got = {c: r["q"] for c, r in run_tags(engine, make_plan([], [tag])).items()}
    assert sorted(got) == ids
    known = [(v, _bucket(got[c])) for c, v in zip(ids, values, strict=True) if v is not None]
    for c, v in zip(ids, values, strict=True):
        if v is None:
            assert got[c] is None, f"{c}: NULL value got bucket {got[c]!r}"
    for v, b in known:
        assert 1 <= b <= n, f"value {v!r}: bucket {b} outside 1..{n}"
    # sorted so that the bucket should rise (ascending) or fall (descending) along the list
    ordered = sorted(known, key=lambda vb: vb[0], reverse=descending)
    for (v1, b1), (v2, b2) in itertools.pairwise(ordered):
        if v1 == v2:
            assert b1 == b2, f"equal values {v1!r}, {v2!r} in buckets {b1}, {b2}"
        else:
            assert b1 <= b2, f"{v1!r} -> {b1} but {v2!r} -> {b2} (descending={descending})"
    if ordered:  # the last value in the order has every row up to it: ceil(n * N / N) = n
        assert ordered[-1][1] == n


@PROPERTY
@given(
    values=rows_of(floats, 60, unique=True),
    nulls=st.integers(0, 5),
    n=st.one_of(st.integers(2, 10), st.integers(2, 100)),
    descending=st.booleans(),
)
def test_quantile_buckets_are_balanced_for_distinct_values(
    duck: Engine, values: list[float], nulls: int, n: int, descending: bool
) -> None:
    # sql.py: bucket = (n * upto + rows - 1) // rows = ceil(n * k / N), where N = rows with a
    # value and k = upto = rank of the value in the order (distinct values: no peers). So the
    # value of rank k is in bucket b iff (b - 1) * N < n * k <= b * N, i.e.
    # floor((b - 1) * N / n) < k <= floor(b * N / n): bucket b holds exactly
    # size(b) = floor(b * N / n) - floor((b - 1) * N / n) values, and
    # floor(N / n) <= size(b) <= ceil(N / n) (empty buckets exist only when N < n).
    # NULL values are not among the N (they are their own partition).
    all_values: list[float | None] = [*values, *([None] * nulls)]
    ids = customer_ids(len(all_values))
    tag = {
        "id": "q",
        "rule": {"quantile": {"of": "avg_order_value", "n": n, "descending": descending}},
    }
    with warehouse(duck) as engine:
        create_customers(
            engine,
            [
                {"customer_id": c, "avg_order_value": v}
                for c, v in zip(ids, all_values, strict=True)
            ],
        )
        got = {c: r["q"] for c, r in run_tags(engine, make_plan([], [tag])).items()}
    big = len(values)
    ranked = sorted(values, reverse=descending)
    by_value = {v: _bucket(got[c]) for c, v in zip(ids, all_values, strict=True) if v is not None}
    for k, v in enumerate(ranked, start=1):
        assert by_value[v] == (n * k + big - 1) // big, f"rank {k} of {big}: value {v!r}"
    sizes = [sum(1 for b in by_value.values() if b == bucket) for bucket in range(1, n + 1)]
    assert sizes == [b * big // n - (b - 1) * big // n for b in range(1, n + 1)]
    assert all(big // n <= s <= -(-big // n) for s in sizes), sizes
    assert sum(got[c] is None for c in ids) == nulls


# -- 2. bins -------------------------------------------------------------------------------------


@st.composite
def bins_case(
    draw: st.DrawFn, infinite: bool = False
) -> tuple[str, list[float], bool, list[float | int | None]]:
    """A value column, edges (with -inf or inf among them when ``infinite``), ``right`` and
    values, many of them on an edge or next to one."""
    column = draw(st.sampled_from(["avg_order_value", "age"]))
    edges = draw(st.lists(finite, min_size=0 if infinite else 1, max_size=6, unique=True))
    if infinite:
        edges += draw(st.sampled_from([[-math.inf], [math.inf], [-math.inf, math.inf]]))
    edges.sort()
    if column == "age":
        near: list[int] = [
            max(-(2**31) + 1, min(2**31 - 1, k))
            for e in edges
            if math.isfinite(e)
            for k in (math.floor(e), math.ceil(e))
        ]
        value: st.SearchStrategy[float | int | None] = st.one_of(
            st.none(),
            st.sampled_from(near) if near else st.none(),
            st.integers(-(2**31) + 1, 2**31 - 1),
        )
    else:
        value = st.one_of(st.none(), st.sampled_from(edges), tie_prone, floats)
    values = draw(rows_of(value, 30))
    return column, edges, draw(st.booleans()), values


def check_bins(
    engine: Engine, case: tuple[str, list[float], bool, list[float | int | None]]
) -> None:
    column, edges, right, values = case
    labels = [f"bin {i}'s 档" for i in range(len(edges) + 1)]  # a quote and CJK: literals
    bins = {"of": column, "edges": edges, "labels": labels, "right": right}
    tag = {"id": "band", "rule": {"bins": bins}}
    ids = customer_ids(len(values))
    with warehouse(engine):
        create_customers(
            engine, [{"customer_id": c, column: v} for c, v in zip(ids, values, strict=True)]
        )
        got = {c: r["band"] for c, r in run_tags(engine, make_plan([], [tag])).items()}

    def reference(x: float | None) -> str | None:
        if x is None:
            return None
        # right: (lo, hi], x goes to the first edge >= x; else [lo, hi), the first edge > x
        return labels[(bisect.bisect_left if right else bisect.bisect_right)(edges, x)]

    assert got == {c: reference(v) for c, v in zip(ids, values, strict=True)}


@PROPERTY
@given(case=bins_case())
def test_bins_match_a_bisect_over_the_edges(
    duck: Engine, case: tuple[str, list[float], bool, list[float | int | None]]
) -> None:
    check_bins(duck, case)


@settings(PROPERTY, phases=[Phase.explicit, Phase.generate])  # fails at once: no shrinking
@given(case=bins_case(infinite=True))
@example(case=("avg_order_value", [0.0, math.inf], True, [1.0]))  # the minimal counterexample
def test_bins_with_infinite_edges_match_a_bisect_over_the_edges(
    duck: Engine, case: tuple[str, list[float], bool, list[float | int | None]]
) -> None:
    check_bins(duck, case)


# -- 3. case -------------------------------------------------------------------------------------

# conditions over customer fields, as (sql, evaluate) where evaluate gives SQL's three-valued
# result (None: unknown) for a customer row
Cond = tuple[str, Any]
_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compare(field: str, op: str, const: Any) -> Cond:
    sql_const = f"'{const}'" if isinstance(const, str) else repr(const)

    def evaluate(row: dict[str, Any]) -> bool | None:
        x = row[field]
        return None if x is None else _OPS[op](x, const)

    return f"{field} {op} {sql_const}", evaluate


def _is_null(field: str, negate: bool) -> Cond:
    return (
        f"{field} is {'not ' if negate else ''}null",
        lambda row: (row[field] is None) != negate,
    )


def _constant(value: bool | None) -> Cond:
    return ("null" if value is None else str(value).lower()), lambda row: value


def _and(a: Cond, b: Cond) -> Cond:
    def evaluate(row: dict[str, Any]) -> bool | None:
        x, y = a[1](row), b[1](row)
        if x is False or y is False:
            return False
        return None if x is None or y is None else True

    return f"({a[0]} and {b[0]})", evaluate


def _or(a: Cond, b: Cond) -> Cond:
    def evaluate(row: dict[str, Any]) -> bool | None:
        x, y = a[1](row), b[1](row)
        if x is True or y is True:
            return True
        return None if x is None or y is None else False

    return f"({a[0]} or {b[0]})", evaluate


def _not(a: Cond) -> Cond:
    def evaluate(row: dict[str, Any]) -> bool | None:
        x = a[1](row)
        return None if x is None else not x

    return f"(not {a[0]})", evaluate


ops = st.sampled_from(sorted(_OPS))
atoms = st.one_of(
    st.builds(_compare, st.just("age"), ops, st.integers(-1, 80)),
    st.builds(_compare, st.just("avg_order_value"), ops, st.sampled_from([-1.5, 0, 2.5, 100])),
    st.builds(_compare, st.just("gender"), st.sampled_from(["=", "<>"]), st.sampled_from("FMx")),
    st.builds(_is_null, st.sampled_from(["age", "gender", "member_level"]), st.booleans()),
    st.builds(_constant, st.sampled_from([True, False, None])),
)
conditions = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.builds(_and, inner, inner), st.builds(_or, inner, inner), st.builds(_not, inner)
    ),
    max_leaves=4,
)
case_rows = st.fixed_dictionaries(
    {
        "age": st.one_of(st.none(), st.integers(-1, 80)),
        "gender": st.sampled_from([None, "F", "M", "x"]),
        "avg_order_value": st.one_of(st.none(), st.sampled_from([-1.5, 0.0, 2.5, 100.0]), finite),
        "member_level": st.sampled_from([None, "gold", "silver"]),
    }
)
texts = st.text(alphabet="ab '%中", max_size=4)
THEN_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "text": texts,
    "integer": st.integers(-(2**40), 2**40),
    # integers and floats together are numbers (resolve allows the mix)
    "number": st.one_of(st.integers(-(2**40), 2**40), finite),
    "boolean": st.booleans(),
}


@st.composite
def case_rule(draw: st.DrawFn) -> tuple[str, list[tuple[Cond, Any]], Any]:
    kind = draw(st.sampled_from(sorted(THEN_VALUES)))
    values = THEN_VALUES[kind]  # one type for every then and the else
    whens = draw(st.lists(st.tuples(conditions, values), min_size=1, max_size=5))
    return kind, whens, draw(st.one_of(st.none(), values))


def _same_then(kind: str, actual: Any, expected: Any) -> bool:
    if actual is None or expected is None:
        return actual is expected
    if kind == "number":
        # a float literal may come back as a DECIMAL (0.1 is DECIMAL(1,1) in DuckDB) or a DOUBLE;
        # either way it must be the number written in the definition
        numeric = isinstance(actual, int | float | Decimal) and not isinstance(actual, bool)
        return numeric and Decimal(str(actual)) == Decimal(repr(expected))
    # == says True == 1: text stays text, an integer stays an integer, a boolean a boolean
    return type(actual) is type(expected) and actual == expected


@PROPERTY
@given(rule=case_rule(), rows=rows_of(case_rows, 25))
def test_case_gives_the_then_of_the_first_true_when(
    duck: Engine, rule: tuple[str, list[tuple[Cond, Any]], Any], rows: list[dict[str, Any]]
) -> None:
    kind, whens, otherwise = rule
    spec: dict[str, Any] = {"case": [{"when": c[0], "then": then} for c, then in whens]}
    if otherwise is not None:
        spec["else"] = otherwise
    ids = customer_ids(len(rows))
    with warehouse(duck) as engine:
        create_customers(engine, [{"customer_id": c, **r} for c, r in zip(ids, rows, strict=True)])
        plan = make_plan([], [{"id": "pick", "rule": spec}])
        got = {c: r["pick"] for c, r in run_tags(engine, plan).items()}

    def reference(row: dict[str, Any]) -> Any:
        # NULL (unknown) is not true: that when does not match
        return next((then for c, then in whens if c[1](row) is True), otherwise)

    assert sorted(got) == ids
    wrong = [
        f"{cid}: got {got[cid]!r}, expected {reference(row)!r}"
        for cid, row in zip(ids, rows, strict=True)
        if not _same_then(kind, got[cid], reference(row))
    ]
    assert wrong == []


# -- 4. features ---------------------------------------------------------------------------------

_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}


def _minus_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment - interval <months> month`` as DuckDB does it: the day is clamped to the
    month's last day (2026-03-31 - 1 month = 2026-02-28)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def window_start(as_of: dt.date, count: int, unit: str) -> dt.datetime:
    """A window of ``count`` units ends with the as-of day and starts ``count`` units before
    the end of that day (docs: a 90d window as of 2026-06-30 starts at 2026-04-02 00:00)."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    if unit in ("d", "w"):
        return end - dt.timedelta(days=count * (7 if unit == "w" else 1))
    return _minus_months(end, count * (12 if unit == "y" else 1))


@st.composite
def orders_case(draw: st.DrawFn) -> dict[str, Any]:
    as_of = draw(st.dates(dt.date(2023, 1, 1), dt.date(2027, 12, 31)))
    unit = draw(st.sampled_from(sorted(_UNITS)))
    count = draw(st.integers(1, {"d": 400, "w": 60, "m": 30, "y": 3}[unit]))
    start = window_start(as_of, count, unit)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    ids = customer_ids(draw(st.integers(0, 8)))
    # inside the window (most), at its edges to the microsecond, or up to two years around it
    span = (end - start) // dt.timedelta(microseconds=1)
    inside = st.integers(0, span - 1).map(lambda us: start + dt.timedelta(microseconds=us))
    edges = [start, end, end - dt.timedelta(days=1)]
    day = 10**6 * 86400
    at_edge = st.builds(
        lambda anchor, us: anchor + dt.timedelta(microseconds=us),
        st.sampled_from(edges),
        st.integers(-3, 3) | st.integers(-day, day),
    )
    around = st.builds(
        lambda anchor, us: anchor + dt.timedelta(microseconds=us),
        st.sampled_from(edges),
        st.integers(-800 * day, 200 * day),
    )
    moment = st.one_of(inside, st.sampled_from(edges), at_edge, around)
    order = st.fixed_dictionaries(
        {
            # NULL and ids the customers table does not have belong to nobody
            "customer_id": st.sampled_from([*ids, "zz9", None]) if ids else st.just("zz9"),
            "ordered_at": st.none() | moment,
            # quarters: sums are exact; 10 is the threshold of the where below
            "amount": st.one_of(
                st.none(),
                st.sampled_from([0.0, 9.75, 10.0, 10.25]),
                st.integers(-4000, 400_000).map(lambda k: k / 4),
            ),
            "category": st.sampled_from([None, "a", "b", "B", "a ", "中"]),
        }
    )
    orders = draw(rows_of(order, 40, min_size=0))
    for i, o in enumerate(orders):
        o["order_id"] = f"o{i}"
    return {"as_of": as_of, "window": f"{count}{unit}", "start": start, "end": end,
            "ids": ids, "orders": orders}  # fmt: skip


def _feature(ident: str, metric: str, column: str | None, window: str | None) -> dict[str, Any]:
    f: dict[str, Any] = {"id": ident, "name": ident, "source": "orders", "metric": metric}
    if column is not None:
        f["column"] = column
    if window is not None:
        f["window"] = window
    return f


def reference_features(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every feature of :func:`test_features_match_a_python_reference`, from the rows."""
    out = {}
    for cid in case["ids"]:
        # a row counts up to the end of the as-of day; a row without a time is never known to be
        # before it (ordered_at is required, so clean data has none)
        mine = [
            o
            for o in case["orders"]
            if o["customer_id"] == cid and o["ordered_at"] is not None
            and o["ordered_at"] < case["end"]
        ]  # fmt: skip
        recent = [o for o in mine if o["ordered_at"] >= case["start"]]
        amounts = [o["amount"] for o in recent if o["amount"] is not None]
        out[cid] = {
            "n_all": len(mine),
            "spend_all": sum(o["amount"] for o in mine if o["amount"] is not None),
            "kinds_all": len({o["category"] for o in mine if o["category"] is not None}),
            "n_win": len(recent),
            "n_big_win": sum(1 for o in recent if o["amount"] is not None and o["amount"] >= 10),
            "spend_win": sum(amounts),
            "avg_win": sum(amounts) / len(amounts) if amounts else None,
            "min_win": min(amounts, default=None),
            "max_win": max(amounts, default=None),
            "kinds_win": len({o["category"] for o in recent if o["category"] is not None}),
        }
    return out


def _same(actual: Any, expected: Any) -> bool:
    if actual is None or expected is None:
        return actual is expected
    if isinstance(expected, float) and not expected.is_integer():
        return math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-12)
    return bool(actual == expected)


@settings(PROPERTY, max_examples=60)  # up to 40 orders and two queries per example
@given(case=orders_case())
def test_features_match_a_python_reference(duck: Engine, case: dict[str, Any]) -> None:
    w = case["window"]
    features = [
        _feature("n_all", "count", None, None),
        _feature("spend_all", "sum", "amount", None),
        _feature("kinds_all", "distinct", "category", None),
        _feature("n_win", "count", None, w),
        {**_feature("n_big_win", "count", None, w), "where": "amount >= 10"},
        _feature("spend_win", "sum", "amount", w),
        _feature("avg_win", "avg", "amount", w),
        _feature("min_win", "min", "amount", w),
        _feature("max_win", "max", "amount", w),
        _feature("kinds_win", "distinct", "category", w),
    ]
    plan = make_plan(features, [])
    with warehouse(duck) as engine:
        create_customers(engine, [{"customer_id": c} for c in case["ids"]])
        create_orders(engine, case["orders"])
        rows = run_features(engine, plan, case["as_of"])
        # rows after the as-of day are never counted: without them, nothing changes
        engine.execute("delete from orders where ordered_at >= ?", [case["end"]])
        without_later = run_features(engine, plan, case["as_of"])
    got = {r["customer_id"]: r for r in rows}
    assert len(got) == len(rows), "a customer has more than one row"
    assert sorted(got) == case["ids"], "every customer appears exactly once"
    expected = reference_features(case)
    wrong = [
        f"{cid}.{name}: got {got[cid][name]!r}, expected {value!r}"
        for cid, values in expected.items()
        for name, value in values.items()
        if not _same(got[cid][name], value)
    ]
    assert wrong == [], f"window {w} from {case['start']}, as of {case['as_of']}"
    # a customer without orders: 0 for the summing metrics, unknown for the others
    ordered = {o["customer_id"] for o in case["orders"]}
    for cid in set(case["ids"]) - ordered:
        assert {k: got[cid][k] for k in ("n_all", "spend_all", "kinds_all", "n_win")} == {
            "n_all": 0, "spend_all": 0, "kinds_all": 0, "n_win": 0
        }  # fmt: skip
        assert got[cid]["avg_win"] is None and got[cid]["min_win"] is None
        assert got[cid]["max_win"] is None
    assert sorted(without_later, key=lambda r: r["customer_id"]) == sorted(
        rows, key=lambda r: r["customer_id"]
    )


# -- 5. dependency -------------------------------------------------------------------------------

BASE_EXPRESSIONS = [
    "age * 2 + coalesce(purchase_frequency, 0)",
    "avg_order_value / nullif(age, 0)",
    "coalesce(avg_order_value, -1) - age",
    "case when gender = 'F' then age else purchase_frequency end",
    "greatest(age, purchase_frequency)",
    "round(avg_order_value, 1)",
    "age",
]
MID_TEMPLATES = ["{a} + 1", "coalesce({a}, 0) * 3", "abs({a}) - {a} / 2", "{a}", "-{a}"]


@st.composite
def top_rule(draw: st.DrawFn) -> dict[str, Any]:
    """A rule of any kind over ``{b}`` (and sometimes ``{a}``), as a template."""
    kind = draw(st.sampled_from(["bins", "quantile", "case", "expression"]))
    if kind == "bins":
        edges = sorted(draw(st.lists(st.integers(-50, 250), min_size=1, max_size=4, unique=True)))
        labels = [f"L{i}" for i in range(len(edges) + 1)]
        right = draw(st.booleans())
        return {"bins": {"of": "{b}", "edges": edges, "labels": labels, "right": right}}
    if kind == "quantile":
        n, descending = draw(st.integers(2, 7)), draw(st.booleans())
        return {"quantile": {"of": "{b}", "n": n, "descending": descending}}
    if kind == "case":
        k1, k2, k3 = draw(st.lists(st.integers(-20, 200), min_size=3, max_size=3))
        return {
            "case": [
                {"when": f"{{b}} > {k1}", "then": "high"},
                {"when": "{b} is null", "then": "none"},
                {"when": f"{{b}} <= {k2} and {{a}} > {k3}", "then": "mixed"},
            ],
            "else": "low",
        }
    return {"expression": "{b} * 2 - coalesce({a}, 0)"}


def _fill(rule: Any, a: str, b: str) -> Any:
    """``rule`` with every ``{a}`` / ``{b}`` in its expression texts replaced."""
    if isinstance(rule, dict):
        return {k: _fill(v, a, b) for k, v in rule.items()}
    if isinstance(rule, list):
        return [_fill(v, a, b) for v in rule]
    if isinstance(rule, str):
        return rule.replace("{a}", a).replace("{b}", b)
    return rule


dependency_rows = st.fixed_dictionaries(
    {
        "age": st.one_of(st.none(), st.integers(0, 120)),
        "gender": st.sampled_from([None, "F", "M"]),
        "avg_order_value": st.one_of(st.none(), st.integers(-1000, 100_000).map(lambda k: k / 8)),
        "purchase_frequency": st.one_of(st.none(), st.integers(0, 60)),
    }
)


@PROPERTY
@given(
    # a tag named like a customer field (age) is that field inside its own rule and the tag
    # everywhere else
    base_id=st.sampled_from(["base_score", "age"]),
    base=st.sampled_from(BASE_EXPRESSIONS),
    mid=st.sampled_from(MID_TEMPLATES),
    top=top_rule(),
    rows=rows_of(dependency_rows, 25),
)
def test_a_tag_using_tags_equals_the_tag_with_them_inlined(
    duck: Engine, base_id: str, base: str, mid: str, top: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    layered = [
        {"id": base_id, "rule": {"expression": base}},
        {"id": "mid_score", "rule": {"expression": mid.format(a=base_id)}},
        {"id": "top", "rule": _fill(top, base_id, "mid_score")},
    ]
    inlined_mid = "(" + mid.format(a=f"({base})") + ")"
    inlined = [{"id": "top", "rule": _fill(top, f"({base})", inlined_mid)}]
    ids = customer_ids(len(rows))
    with warehouse(duck) as engine:
        create_customers(engine, [{"customer_id": c, **r} for c, r in zip(ids, rows, strict=True)])
        plan = make_plan([], layered)
        assert plan.levels == [[base_id], ["mid_score"], ["top"]]
        got = {c: r["top"] for c, r in run_tags(engine, plan).items()}
        expected = {c: r["top"] for c, r in run_tags(engine, make_plan([], inlined)).items()}
    assert sorted(got) == ids
    assert got == expected
