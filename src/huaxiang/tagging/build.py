"""Compute every feature and tag in the warehouse, and keep a snapshot of each build.

Tables written (one transaction, so a failed build leaves the previous one in place):

- ``customer_features``: one row per customer, one column per feature;
- ``customer_tags``: one row per customer, one column per tag;
- ``tag_snapshots``: every build's tag values (as text) under its ``run_id``, so that tag history
  and movements between values can be queried later; a new tag adds a column;
- ``hx_tag_runs``: run id, as-of date, time, customer count, each definition's hash, the
  cleaning run and the value model's scoring run the build read.

``model`` tags read the value model's table (``customer_value``) when it exists; until the model
has run (or for an output it lacks) they are unknown for everyone.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

from huaxiang.compiler.plan import Plan
from huaxiang.compiler.sql import features_query, tags_query
from huaxiang.console import Console
from huaxiang.definitions.models import MODEL_OUTPUTS, MODEL_TABLE, SOURCES
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import DataError, UsageError
from huaxiang.tagging.changes import Work, definition_hashes, plan_work, scored_value_run
from huaxiang.warehouse import latest_clean


@dataclass(frozen=True)
class TagBuild:
    run_id: str
    as_of: dt.date
    customers: int
    features: int
    tags: int
    seconds: float
    previous_run: str | None
    computed_features: int  # the rest were kept from the previous build
    computed_tags: int
    reason: str  # why this much was computed


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


def model_columns(engine: Engine) -> set[str]:
    """The value model outputs its table has (empty when the model has not run): what
    ``tags_query`` / ``standalone_query`` take as ``model_columns``."""
    if not engine.table_exists(MODEL_TABLE):
        return set()
    have = {c.lower() for c in engine.columns(MODEL_TABLE)}
    return {m for m in MODEL_OUTPUTS if m.lower() in have}


def build_tags(
    engine: Engine,
    plan: Plan,
    console: Console,
    *,
    as_of: dt.date | None = None,
    full: bool = False,
) -> TagBuild:
    """Compute the tags as of ``as_of``: everything on a first build, after new data or
    another as-of date (or with ``full``); otherwise only what changed definitions touch."""
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
    clean_id = latest_clean(engine)
    value_run = scored_value_run(engine)
    work = plan_work(engine, plan, as_of, clean_id, value_run, full=full)
    previous = engine.scalar("select run_id from hx_tag_runs order by built_at desc limit 1")
    with console.progress("building tags", total=3) as task, engine.transaction():
        _features(engine, plan, work, as_of, sources)
        task.advance()
        try:
            _tags(engine, plan, work, as_of)
        except Exception as exc:  # a type error only the data reveals (text compared to number)
            raise DataError(f"a tag rule failed on the data: {exc}") from exc
        task.advance()
        _snapshot(engine, plan, run_id, as_of)
        customers = engine.count("customer_tags")
        engine.execute(
            "insert into hx_tag_runs (run_id, as_of, built_at, customers, definitions, clean_id, "
            "value_run) values (?, ?, now()::timestamp, ?, ?, ?, ?)",
            [run_id, as_of, customers, json.dumps(definition_hashes(plan)), clean_id, value_run],
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
        len(work.features),
        len(work.tags),
        work.reason,
    )


def _features(engine: Engine, plan: Plan, work: Work, as_of: dt.date, sources: set[str]) -> None:
    if work.full:
        query = features_query(plan, as_of, sources)
        engine.execute(f"create or replace table customer_features as {query}")
        return
    kept = [f for f in plan.features if f not in work.features]
    if set(engine.columns("customer_features")) == {"customer_id", *kept} and not work.features:
        return  # nothing to compute, nothing to drop
    computed = features_query(plan.subset(set(work.features), set()), as_of, sources)
    _recombine(engine, "customer_features", list(plan.features), work.features, computed)


def _tags(engine: Engine, plan: Plan, work: Work, as_of: dt.date) -> None:
    available = set(engine.columns("customers"))
    models = model_columns(engine)
    if work.full:
        query = tags_query(plan, as_of, "customer_features", available, models)
        engine.execute(f"create or replace table customer_tags as {query}")
        return
    order = [t for level in plan.levels for t in level]
    kept = [t for t in order if t not in work.tags]
    if set(engine.columns("customer_tags")) == {"customer_id", *kept} and not work.tags:
        return
    # the recomputed tags read the features and the kept tags side by side
    carried = "".join(f", t.{quote_ident(t)}" for t in kept)
    relation = (
        f"(select f.*{carried} from customer_features f join customer_tags t using (customer_id))"
    )
    subset = plan.subset(set(plan.features), set(work.tags))
    query = tags_query(subset, as_of, relation, available, models)
    _recombine(engine, "customer_tags", order, work.tags, query)


def _recombine(
    engine: Engine, table: str, columns: list[str], computed: frozenset[str], query: str
) -> None:
    """Rewrite ``table`` with ``columns`` in this order: the ``computed`` ones from ``query``,
    the others as they are; a column whose definition is gone is left out."""
    cols = ", ".join(f"{'n' if c in computed else 'o'}.{quote_ident(c)}" for c in columns)
    join = f" left join ({query}) n using (customer_id)" if computed else ""
    engine.execute(
        f"create or replace table {table} as select o.customer_id, {cols} from {table} o{join}"
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
