"""What a tag build has to compute, and what it can keep from the previous build.

The previous build's columns in ``customer_features`` and ``customer_tags`` stay valid as long
as three things are unchanged: the clean tables (the cleaning run they come from), the as-of
date, and the definition (its hash). A feature or tag whose definition changed is computed
again, and so is every tag that uses it, directly or through other tags. The ``model`` tags
also read the value model's table: when its scoring run is not the one the previous build read,
they and the tags using them are computed again. Anything else (new data, another as-of date,
tables edited by hand, a first build) means a full build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from huaxiang.compiler.plan import Plan
from huaxiang.definitions.models import MODEL_TABLE, Tag
from huaxiang.engine.duckdb_engine import Engine

# part of every definition hash: a release whose compiler gives a definition another meaning
# raises it, so the first build after an upgrade is a full one
COMPILER_VERSION = "1"

RUNS_DDL = (
    "create table if not exists hx_tag_runs (run_id varchar primary key, as_of date, "
    "built_at timestamp, customers bigint, definitions json, clean_id varchar, "
    "value_run varchar)"
)
# tables of builds before a column existed get it (NULL in their rows)
RUNS_COLUMNS = ("clean_id", "value_run")


def scored_value_run(engine: Engine) -> str | None:
    """The scoring run of the value model's table (its ``run_id``); None when there is none."""
    if not engine.table_exists(MODEL_TABLE):
        return None
    if "run_id" not in {c.lower() for c in engine.columns(MODEL_TABLE)}:
        return None
    run = engine.scalar(f"select any_value(run_id) from {MODEL_TABLE}")
    return None if run is None else str(run)


def definition_hashes(plan: Plan) -> dict[str, str]:
    """A stable hash per feature and tag definition; names, descriptions and owners do not
    change values, so they are left out."""
    out = {}
    for ident, model in [*plan.features.items(), *plan.tags.items()]:
        exclude: dict[str, Any] = dict.fromkeys(
            ("name", "description", "value_names", "owner"), True
        )
        if isinstance(model, Tag) and model.rule.model is None:
            exclude["rule"] = {"model": True}  # the hashes of the other kinds stay as they were
        text = model.model_dump_json(exclude=exclude)
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
    value_run: str | None = None,
    *,
    full: bool = False,
) -> Work:
    """What to compute for a build of ``plan`` on the data of ``clean_id`` as of ``as_of``,
    the model tags reading the scoring run ``value_run`` (see :func:`scored_value_run`)."""
    everything = Work(frozenset(plan.features), frozenset(plan.tags), None, "")

    def whole(reason: str) -> Work:
        return Work(everything.features, everything.tags, None, reason)

    engine.execute(RUNS_DDL)
    for column in RUNS_COLUMNS:
        engine.execute(f"alter table hx_tag_runs add column if not exists {column} varchar")
    if full:
        return whole("a full build was asked for")
    last = engine.dicts(
        "select run_id, as_of, definitions, clean_id, value_run from hx_tag_runs "
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
    rescored = previous["value_run"] != value_run
    models = {t for t, tag in plan.tags.items() if tag.rule.model is not None}
    todo = dependents(plan, changed | (models if rescored else set()))
    run_id = str(previous["run_id"])
    why = [f"{len(changed)} definitions changed"] if changed else []
    if rescored and models:
        why.append(f"the value model scores changed ({previous['value_run']} -> {value_run})")
    return Work(
        frozenset(todo & set(plan.features)),
        frozenset(todo & set(plan.tags)),
        run_id,
        f"{' and '.join(why)} since {run_id}" if why else "nothing changed",
    )
