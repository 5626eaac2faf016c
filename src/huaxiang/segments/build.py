"""Segment membership computed in the warehouse, and a snapshot of every build.

Tables written in one transaction (a failed build leaves the previous one in place):

- ``segment_members``: (customer_id, segment_id), the current membership;
- ``segment_snapshots``: every build's membership under its ``run_id``, for migrations;
- ``hx_segment_runs``: run id, the tag build it read, as-of day, time, sizes, and how many
  customers met the conditions of two segments of one exclusive group (priority decided).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any

from huaxiang.compiler.expressions import ExpressionProblem
from huaxiang.compiler.plan import Plan
from huaxiang.compiler.segments import (
    check_condition,
    check_segments,
    condition_sql,
    matches_query,
    members_query,
    segment_relation,
)
from huaxiang.console import Console
from huaxiang.definitions.segments import SegmentCatalog
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import DataError, EngineError, UsageError

RUNS_DDL = (
    "create table if not exists hx_segment_runs (run_id varchar primary key, tag_run varchar, "
    "as_of date, built_at timestamp, customers bigint, sizes json, contested json)"
)
SNAPSHOTS_DDL = (
    "create table if not exists segment_snapshots (run_id varchar, as_of date, "
    "customer_id varchar, segment_id varchar)"
)


@dataclass(frozen=True)
class SegmentBuild:
    run_id: str
    tag_run: str
    as_of: dt.date
    customers: int
    sizes: dict[str, int]
    unassigned: int  # customers in no segment at all
    # per exclusive group: customers whose conditions held in two or more of its segments
    contested: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class Preview:
    condition: str
    customers: int
    total: int
    sql: str

    @property
    def share(self) -> float:
        return self.customers / self.total if self.total else 0.0


def latest_tag_run(engine: Engine) -> dict[str, Any]:
    if not engine.table_exists("customer_tags") or not engine.table_exists("hx_tag_runs"):
        raise UsageError(
            "there are no tags yet: segments are built from them",
            hint="run huaxiang tags build first",
        )
    return engine.dicts("select run_id, as_of from hx_tag_runs order by built_at desc limit 1")[0]


def build_segments(
    engine: Engine, plan: Plan, catalog: SegmentCatalog, console: Console
) -> SegmentBuild:
    """Compute every segment's members from the latest tag build and snapshot them."""
    if not catalog.segments:
        raise UsageError("no segments are defined", hint="add segment definitions under segments/")
    tag_run = latest_tag_run(engine)
    as_of: dt.date = tag_run["as_of"]
    clusters = engine.table_exists("customer_clusters")
    conditions = check_segments(catalog, plan, clusters=clusters)
    started = time.perf_counter()
    run_id = f"segments-{dt.datetime.now():%Y%m%d-%H%M%S-%f}"
    available = set(engine.columns("customers"))
    query = matches_query(catalog, conditions, plan, as_of, available=available, clusters=clusters)
    with console.progress("building segments", total=3) as task:
        try:
            engine.execute(f"create or replace temp table segment_matches as {query}")
        except EngineError as exc:  # a type error only the data reveal (text compared to number)
            raise DataError(f"a segment condition failed on the data: {exc}") from exc
        contested = _contested(engine, catalog)
        task.advance()
        with engine.transaction():
            engine.execute(
                "create or replace table segment_members as "
                f"{members_query(catalog, 'segment_matches')}"
            )
            engine.execute(SNAPSHOTS_DDL)
            engine.execute(RUNS_DDL)
            engine.execute(
                "insert into segment_snapshots select ?, ?, customer_id, segment_id "
                "from segment_members",
                [run_id, as_of],
            )
            sizes = {s: 0 for s in catalog.segments}
            for segment_id, n in engine.rows(
                "select segment_id, count(*) from segment_members group by 1"
            ):
                sizes[str(segment_id)] = int(n)
            customers = engine.count("customer_tags")
            engine.execute(
                "insert into hx_segment_runs values (?, ?, ?, now()::timestamp, ?, ?, ?)",
                [run_id, tag_run["run_id"], as_of, customers, json.dumps(sizes),
                 json.dumps(contested)],
            )  # fmt: skip
            task.advance()
        unassigned = int(
            engine.scalar(
                "select count(*) from customer_tags t "
                "anti join segment_members m using (customer_id)"
            )
        )
        engine.execute("drop table if exists segment_matches")
        task.advance()
    return SegmentBuild(
        run_id,
        str(tag_run["run_id"]),
        as_of,
        customers,
        sizes,
        unassigned,
        contested,
        time.perf_counter() - started,
    )


def _contested(engine: Engine, catalog: SegmentCatalog) -> dict[str, dict[str, Any]]:
    """Per exclusive group: customers meeting two or more of its segments' conditions, and
    the pairs they fell between (the higher priority won)."""
    out: dict[str, dict[str, Any]] = {}
    for group, segments in catalog.groups().items():
        if len(segments) < 2:
            continue
        ids = [s.id for s in segments]
        met = " + ".join(f"{quote_ident(i)}::int" for i in ids)
        pairs = [(a, b) for n, a in enumerate(ids) for b in ids[n + 1 :]]
        counts = ", ".join(
            f"count(*) filter (where {quote_ident(a)} and {quote_ident(b)})" for a, b in pairs
        )
        row = engine.rows(
            f"select count(*) filter (where {met} >= 2), {counts} from segment_matches"
        )[0]
        if row[0]:
            out[group] = {
                "customers": int(row[0]),
                "pairs": [
                    {"kept": a, "over": b, "customers": int(n)}
                    for (a, b), n in zip(pairs, row[1:], strict=True)
                    if n
                ],
            }
    return out


def preview_condition(engine: Engine, plan: Plan, text: str) -> Preview:
    """How many customers ``text`` (a segment condition) selects, against the latest tags."""
    tag_run = latest_tag_run(engine)
    clusters = engine.table_exists("customer_clusters")
    try:
        condition = check_condition(text, plan, clusters=clusters)
    except ExpressionProblem as p:
        pointer = " " * p.offset + "^" * max(p.length, 1)
        raise UsageError(f"{p.message}\n  {text}\n  {pointer}", hint=p.hint) from None
    relation = segment_relation(
        plan,
        set(condition.columns),
        tag_run["as_of"],
        available=set(engine.columns("customers")),
        clusters=clusters,
    )
    sql = (
        f"select count(*) filter (where {condition_sql(condition, plan)}), count(*) "
        f"from ({relation})"
    )
    try:
        hit, total = engine.rows(sql)[0]
    except EngineError as exc:
        raise DataError(f"the condition failed on the data: {exc}") from exc
    return Preview(text, int(hit), int(total), sql)
