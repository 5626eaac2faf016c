"""Segment invariants on random data and random definitions, against pandas.

- a rules segment holds exactly the customers an independent pandas filter selects (with SQL's
  three-valued logic: pandas' nullable types follow the same Kleene rules);
- an exclusive group holds each customer at most once, covers exactly the customers meeting
  any of its conditions, and gives each to the first segment by priority;
- the sizes recorded for a build add up to the memberships.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huaxiang.compiler.plan import Plan
from huaxiang.console import NullConsole
from huaxiang.definitions.models import Feature, Tag
from huaxiang.definitions.segments import Segment, SegmentCatalog
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.segments.build import build_segments

Frame = pd.DataFrame
Predicate = Callable[[Frame], "pd.Series[Any]"]
AS_OF = dt.date(2026, 6, 30)


def _tag(ident: str) -> Tag:
    return Tag.model_validate(
        {"id": ident, "name": ident, "layer": "basic", "definition": ident, "source": "test",
         "owner": "test", "created": "2026-01-01", "rule": {"expression": "1"}}
    )  # fmt: skip


ORDERS_COUNT = Feature.model_validate(
    {"id": "f", "name": "f", "source": "orders", "metric": "count"}
)
PLAN = Plan(
    features={"f": ORDERS_COUNT},
    tags={t: _tag(t) for t in ("a", "b", "c")},
    levels=[["a", "b", "c"]],
)

rows = st.lists(
    st.tuples(
        st.none() | st.integers(0, 9),
        st.none() | st.floats(0, 10, allow_nan=False).map(lambda x: round(x, 1)),
        st.none() | st.sampled_from(["x", "y", "z"]),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=60,
)

OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": lambda s, k: s > k, ">=": lambda s, k: s >= k, "<": lambda s, k: s < k,
    "<=": lambda s, k: s <= k, "=": lambda s, k: s == k, "<>": lambda s, k: s != k,
}  # fmt: skip


@st.composite
def atoms(draw: st.DrawFn) -> tuple[str, Predicate]:
    kind = draw(st.sampled_from(["a", "b", "c", "f", "in"]))
    if kind in ("a", "f"):
        op, k = draw(st.sampled_from(sorted(OPS))), draw(st.integers(0, 9))
        return f"{kind} {op} {k}", lambda t: OPS[op](t[kind], k)
    if kind == "b":
        lo = draw(st.integers(0, 10))
        hi = draw(st.integers(lo, 10))
        return f"b between {lo} and {hi}", lambda t: (t.b >= lo) & (t.b <= hi)
    if kind == "c":
        v = draw(st.sampled_from(["x", "y", "z"]))
        return f"c = '{v}'", lambda t: t.c == v
    vs = draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=2, unique=True))
    sql = "c in (" + ", ".join(f"'{v}'" for v in vs) + ")"

    def isin(t: Frame) -> Any:  # isin() would turn NULL into false; SQL keeps it unknown
        out = t.c == vs[0]
        for v in vs[1:]:
            out = out | (t.c == v)
        return out

    return sql, isin


def conditions(depth: int = 2) -> st.SearchStrategy[tuple[str, Predicate]]:
    if depth == 0:
        return atoms()
    sub = conditions(depth - 1)

    def combine(parts: tuple[str, tuple[str, Predicate], tuple[str, Predicate]]) -> Any:
        op, (ls, lp), (rs, rp) = parts
        if op == "and":
            return f"({ls}) and ({rs})", lambda t: lp(t) & rp(t)
        if op == "or":
            return f"({ls}) or ({rs})", lambda t: lp(t) | rp(t)
        return f"not ({ls})", lambda t: ~lp(t)

    return atoms() | st.tuples(st.sampled_from(["and", "or", "not"]), sub, sub).map(combine)


definitions = st.lists(
    st.tuples(conditions(), st.sampled_from([None, "g1", "g2"]), st.integers(1, 5)),
    min_size=1,
    max_size=6,
)


def _warehouse(data: list[tuple[Any, ...]]) -> tuple[Engine, Frame]:
    t = pd.DataFrame(data, columns=["a", "b", "c", "f"])
    t.insert(0, "customer_id", [f"C{i:03d}" for i in range(len(t))])
    # nullable types: comparisons with a missing value are unknown, as in SQL
    text = pd.StringDtype("python", na_value=pd.NA)
    t = t.astype({"a": "Int64", "b": "Float64", "c": text, "f": "Int64"})
    engine = Engine(None)
    engine.register("t_in", t)
    engine.execute("create table customer_tags as select customer_id, a, b, c from t_in")
    engine.execute("create table customer_features as select customer_id, f from t_in")
    engine.execute("create table customers as select customer_id from t_in")
    engine.unregister("t_in")
    engine.execute(
        "create table hx_tag_runs as select 'tags-1' as run_id, ? as as_of, "
        "now()::timestamp as built_at",
        [AS_OF],
    )
    return engine, t


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rows, defs=definitions)
def test_segments_match_pandas_and_groups_partition(
    data: list[tuple[Any, ...]], defs: list[tuple[tuple[str, Predicate], str | None, int]]
) -> None:
    engine, t = _warehouse(data)
    try:
        catalog = SegmentCatalog()
        predicates: dict[str, Predicate] = {}
        for i, ((sql, predicate), group, priority) in enumerate(defs):
            sid = f"s{i}"
            catalog.segments[sid] = Segment.model_validate(
                {"id": sid, "name": sid, "rule": sql, "group": group, "priority": priority}
            )
            predicates[sid] = predicate
        result = build_segments(engine, PLAN, catalog, NullConsole())
        got: dict[str, set[str]] = {s: set() for s in catalog.segments}
        for customer, segment in engine.rows("select customer_id, segment_id from segment_members"):
            got[str(segment)].add(str(customer))
        met = {
            s: set(t.customer_id[p(t).fillna(False).astype(bool)]) for s, p in predicates.items()
        }

        for s in catalog.segments.values():
            if s.group is None:
                assert got[s.id] == met[s.id], s.rule
        groups: dict[str, list[tuple[int, int, str]]] = {}
        for i, (_, group, priority) in enumerate(defs):
            if group is not None:
                groups.setdefault(group, []).append((priority, i, f"s{i}"))
        for group, ordered in groups.items():
            seen: set[str] = set()
            for _, _, sid in sorted(ordered):  # lowest priority first, then file order
                assert got[sid] == met[sid] - seen, (group, sid)
                seen |= got[sid]
            assert seen == set().union(*(met[sid] for _, _, sid in ordered))

        assert result.sizes == {s: len(ids) for s, ids in got.items()}
        assert sum(result.sizes.values()) == engine.count("segment_members")
        recorded = json.loads(str(engine.scalar("select sizes from hx_segment_runs")))
        assert recorded == result.sizes
        anywhere = set().union(*got.values())
        assert result.unassigned == len(t) - len(anywhere)
    finally:
        engine.close()
