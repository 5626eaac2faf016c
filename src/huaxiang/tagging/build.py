"""Compute every feature and tag in the warehouse, and keep a snapshot of each build.

Tables written (one transaction, so a failed build leaves the previous one in place):

- ``customer_features``: one row per customer, one column per feature;
- ``customer_tags``: one row per customer, one column per tag;
- ``tag_snapshots``: every build's tag values (as text) under its ``run_id``, so that tag history
  and movements between values can be queried later; a new tag adds a column;
- ``hx_tag_runs``: run id, as-of date, time, customer count, and each definition's hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass

from huaxiang.compiler.plan import Plan
from huaxiang.compiler.sql import features_query, tags_query
from huaxiang.console import Console
from huaxiang.definitions.models import SOURCES
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import DataError, UsageError

RUNS_DDL = (
    "create table if not exists hx_tag_runs (run_id varchar primary key, as_of date, "
    "built_at timestamp, customers bigint, definitions json)"
)


@dataclass(frozen=True)
class TagBuild:
    run_id: str
    as_of: dt.date
    customers: int
    features: int
    tags: int
    seconds: float
    previous_run: str | None


def definition_hashes(plan: Plan) -> dict[str, str]:
    """A stable hash per feature and tag definition (what changed between two builds)."""
    out = {}
    for ident, model in [*plan.features.items(), *plan.tags.items()]:
        text = model.model_dump_json(exclude={"name", "description", "value_names", "owner"})
        out[ident] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return out


def default_as_of(engine: Engine) -> dt.date:
    """The day of the latest order or event: tags describe the data as it stands, which for
    an export analysed later is not today."""
    parts = [
        f"select max({col})::date as d from {table}"
        for table, col in (("orders", "ordered_at"), ("events", "occurred_at"))
        if engine.table_exists(table)
    ]
    latest = engine.scalar(f"select max(d) from ({' union all '.join(parts)})") if parts else None
    if isinstance(latest, dt.date):
        return latest
    return dt.date.today()


def build_tags(
    engine: Engine, plan: Plan, console: Console, *, as_of: dt.date | None = None
) -> TagBuild:
    if not engine.table_exists("customers"):
        raise UsageError(
            "there are no clean customers yet",
            hint="run huaxiang ingest and huaxiang clean (or huaxiang build) first",
        )
    if not plan.tags:
        raise UsageError("no tags are defined", hint="add tag definitions under tags/")
    as_of = as_of or default_as_of(engine)
    started = time.perf_counter()
    run_id = f"tags-{dt.datetime.now():%Y%m%d-%H%M%S-%f}"
    sources = {s for s in SOURCES if engine.table_exists(s)}
    engine.execute(RUNS_DDL)
    previous = engine.scalar("select run_id from hx_tag_runs order by built_at desc limit 1")
    with console.progress("building tags", total=3) as task, engine.transaction():
        engine.execute(
            f"create or replace table customer_features as {features_query(plan, as_of, sources)}"
        )
        task.advance()
        try:
            engine.execute(
                "create or replace table customer_tags as "
                + tags_query(plan, as_of, "customer_features", set(engine.columns("customers")))
            )
        except Exception as exc:  # a type error only the data reveals (text compared to number)
            raise DataError(f"a tag rule failed on the data: {exc}") from exc
        task.advance()
        _snapshot(engine, plan, run_id, as_of)
        customers = engine.count("customer_tags")
        engine.execute(
            "insert into hx_tag_runs values (?, ?, now()::timestamp, ?, ?)",
            [run_id, as_of, customers, json.dumps(definition_hashes(plan))],
        )
        task.advance()
    return TagBuild(
        run_id,
        as_of,
        customers,
        len(plan.features),
        len(plan.tags),
        time.perf_counter() - started,
        previous,
    )


def _snapshot(engine: Engine, plan: Plan, run_id: str, as_of: dt.date) -> None:
    tags = [t for level in plan.levels for t in level]
    if not engine.table_exists("tag_snapshots"):
        engine.execute(
            "create table tag_snapshots (run_id varchar, as_of date, customer_id varchar)"
        )
    have = set(engine.columns("tag_snapshots"))
    for t in tags:
        if t not in have:
            engine.execute(f"alter table tag_snapshots add column {quote_ident(t)} varchar")
    cols = ", ".join(f"{quote_ident(t)}::varchar as {quote_ident(t)}" for t in tags)
    engine.execute(
        f"insert into tag_snapshots by name select ? as run_id, ? as as_of, customer_id, {cols} "
        "from customer_tags",
        [run_id, as_of],
    )
