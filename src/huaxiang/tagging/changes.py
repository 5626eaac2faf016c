"""What a tag build has to compute, and what it can keep from the previous build.

The previous build's columns in ``customer_features`` and ``customer_tags`` stay valid as long
as three things are unchanged: the clean tables (the cleaning run they come from), the as-of
date, and the definition (its hash). A feature or tag whose definition changed is computed
again, and so is every tag that uses it, directly or through other tags. Anything else (new
data, another as-of date, tables edited by hand, a first build) means a full build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from huaxiang.compiler.plan import Plan
from huaxiang.engine.duckdb_engine import Engine

# part of every definition hash: a release whose compiler gives a definition another meaning
# raises it, so the first build after an upgrade is a full one
COMPILER_VERSION = "1"

RUNS_DDL = (
    "create table if not exists hx_tag_runs (run_id varchar primary key, as_of date, "
    "built_at timestamp, customers bigint, definitions json, clean_id varchar)"
)


def definition_hashes(plan: Plan) -> dict[str, str]:
    """A stable hash per feature and tag definition; names, descriptions and owners do not
    change values, so they are left out."""
    out = {}
    for ident, model in [*plan.features.items(), *plan.tags.items()]:
        text = model.model_dump_json(exclude={"name", "description", "value_names", "owner"})
        digest = hashlib.sha256(f"{COMPILER_VERSION}\n{text}".encode())
        out[ident] = digest.hexdigest()[:16]
    return out


def dependents(plan: Plan, changed: set[str]) -> set[str]:
    """``changed`` and every tag that uses one of them, transitively."""
    users: dict[str, set[str]] = defaultdict(set)
    for tag, uses in plan.depends.items():
        for used in uses:
            users[used].add(tag)
    out = set(changed)
    stack = list(changed)
    while stack:
        for user in users[stack.pop()]:
            if user not in out:
                out.add(user)
                stack.append(user)
    return out


@dataclass(frozen=True)
class Work:
    """The features and tags a build computes; the rest come from ``reuse``."""

    features: frozenset[str]
    tags: frozenset[str]
    reuse: str | None  # the run whose columns are kept; None: everything is computed
    reason: str  # why, in one line

    @property
    def full(self) -> bool:
        return self.reuse is None


def plan_work(
    engine: Engine,
    plan: Plan,
    as_of: dt.date,
    clean_id: str | None,
    *,
    full: bool = False,
) -> Work:
    everything = Work(frozenset(plan.features), frozenset(plan.tags), None, "")

    def whole(reason: str) -> Work:
        return Work(everything.features, everything.tags, None, reason)

    engine.execute(RUNS_DDL)
    engine.execute("alter table hx_tag_runs add column if not exists clean_id varchar")
    if full:
        return whole("a full build was asked for")
    last = engine.dicts(
        "select run_id, as_of, definitions, clean_id from hx_tag_runs "
        "order by built_at desc limit 1"
    )
    if not last:
        return whole("first build")
    previous = last[0]
    if not (engine.table_exists("customer_features") and engine.table_exists("customer_tags")):
        return whole("the tables of the previous build are gone")
    if clean_id is None or previous["clean_id"] != clean_id:
        return whole("the clean data changed since the previous build")
    if previous["as_of"] != as_of:
        return whole(f"the as-of date changed ({previous['as_of']} -> {as_of})")
    old = json.loads(previous["definitions"] or "{}")
    new = definition_hashes(plan)
    have = {*engine.columns("customer_features"), *engine.columns("customer_tags")}
    changed = {i for i, h in new.items() if old.get(i) != h or i not in have}
    todo = dependents(plan, changed)
    run_id = str(previous["run_id"])
    return Work(
        frozenset(todo & set(plan.features)),
        frozenset(todo & set(plan.tags)),
        run_id,
        f"{len(changed)} definitions changed since {run_id}" if changed else "nothing changed",
    )
