"""Tag history: the builds kept in ``tag_snapshots`` and the movements between them.

A build is named by its run id, or by a day: the latest build whose as-of date is on or
before it ("since 2026-04-01" is the state the tags described on that day). Movements compare
one tag in two builds, customer by customer: who went from price-sensitive to quality-seeking.
A customer missing from a build (new since, or merged away) has no value there.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import UsageError

RunRef = str | dt.date | None


def tag_runs(engine: Engine) -> list[dict[str, Any]]:
    """Every tag build, newest first."""
    if not engine.table_exists("hx_tag_runs"):
        return []
    return engine.dicts(
        "select run_id, as_of, built_at, customers from hx_tag_runs order by built_at desc"
    )


def resolve_run(engine: Engine, ref: RunRef, *, default: int = 0) -> dict[str, Any]:
    """The build ``ref`` names: a run id, a day (``YYYY-MM-DD`` or a date), or None for the
    ``default``-th newest (0: the latest, 1: the one before)."""
    return pick_run(tag_runs(engine), ref, default=default, what="tag build", command="tags")


def pick_run(
    runs: list[dict[str, Any]], ref: RunRef, *, default: int, what: str, command: str
) -> dict[str, Any]:
    """One of ``runs`` (dicts with run_id, as_of, built_at; newest first) by ``ref``."""
    if not runs:
        raise UsageError(f"there are no {what}s yet", hint=f"run huaxiang {command} build first")
    if ref is None:
        if default >= len(runs):
            raise UsageError(
                f"there is only one {what}: nothing to compare it with",
                hint=f"run huaxiang {command} build again later and compare",
            )
        return runs[default]
    day = ref if isinstance(ref, dt.date) else _day(ref)
    if day is not None:
        before = [r for r in runs if r["as_of"] <= day]
        if not before:
            first = min(r["as_of"] for r in runs)
            raise UsageError(
                f"no {what} describes {day} or earlier",
                hint=f"the earliest is as of {first}; see: huaxiang {command} runs",
            )
        return max(before, key=lambda r: (r["as_of"], r["built_at"]))
    matches = [r for r in runs if r["run_id"] == ref] or [
        r for r in runs if str(r["run_id"]).startswith(str(ref))
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(
            f"no {what} {ref!r}", hint=f"give a run id or a day; see: huaxiang {command} runs"
        )
    raise UsageError(
        f"{ref!r} names {len(matches)} {what}s", hint="give more of the run id, or a day"
    )


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Moves:
    """One tag between two builds: how many customers went from each value to each other."""

    tag: str
    since: dict[str, Any]  # the earlier build (run id, as-of, built at, customers)
    until: dict[str, Any]
    flows: list[dict[str, Any]]  # from, to, customers; largest first; unchanged left out
    unchanged: int
    moved: int


def _pair(tag: str, from_value: str | None, to_value: str | None) -> tuple[str, str, list[Any]]:
    """The join of two snapshots and the condition of a move (with its parameters)."""
    col = quote_ident(tag)
    relation = (
        f"(select customer_id, {col} as v from tag_snapshots where run_id = ?) a "
        f"full join (select customer_id, {col} as v from tag_snapshots where run_id = ?) b "
        "using (customer_id)"
    )
    condition = "a.v is distinct from b.v"
    params: list[Any] = []
    if from_value is not None:
        condition += " and a.v is not distinct from ?"
        params.append(from_value)
    if to_value is not None:
        condition += " and b.v is not distinct from ?"
        params.append(to_value)
    return relation, condition, params


def _builds(
    engine: Engine, tag: str, since: RunRef, until: RunRef
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two builds compared (defaults: the one before the latest, the latest), once the
    tag is known to be in the history."""
    later = resolve_run(engine, until)
    earlier = resolve_run(engine, since, default=1)
    _check_tag(engine, tag)
    return earlier, later


def _check_tag(engine: Engine, tag: str) -> None:
    have = [
        c for c in engine.columns("tag_snapshots") if c not in ("run_id", "as_of", "customer_id")
    ]
    if tag not in have:
        close = difflib.get_close_matches(tag, have, n=1)
        raise UsageError(
            f"tag {tag!r} is in no build",
            hint=f"did you mean {close[0]!r}?" if close else "see: huaxiang tags list",
        )


def tag_moves(
    engine: Engine,
    tag: str,
    since: RunRef = None,
    until: RunRef = None,
    *,
    from_value: str | None = None,
    to_value: str | None = None,
) -> Moves:
    """Movements of ``tag`` from build ``since`` (default: the one before the latest) to build
    ``until`` (default: the latest); ``from_value`` / ``to_value`` keep only those moves."""
    earlier, later = _builds(engine, tag, since, until)
    relation, condition, params = _pair(tag, from_value, to_value)
    ids = [earlier["run_id"], later["run_id"]]
    flows = engine.dicts(
        f'select a.v as "from", b.v as "to", count(*) as customers from {relation} '
        f'where {condition} group by all order by customers desc, "from", "to"',
        [*ids, *params],
    )
    # kept: of the customers the filter is about, those whose value did not move
    kept = "a.v is not distinct from b.v"
    kept_params = [v for v in (from_value, to_value) if v is not None]
    kept += " and a.v is not distinct from ?" * len(kept_params)
    unchanged = engine.scalar(f"select count(*) from {relation} where {kept}", [*ids, *kept_params])
    return Moves(
        tag, earlier, later, flows, int(unchanged), sum(int(f["customers"]) for f in flows)
    )


def moved_customers(
    engine: Engine,
    tag: str,
    since: RunRef = None,
    until: RunRef = None,
    *,
    from_value: str | None = None,
    to_value: str | None = None,
) -> list[dict[str, Any]]:
    """The customers behind :func:`tag_moves`: customer id, value before, value after."""
    earlier, later = _builds(engine, tag, since, until)
    relation, condition, params = _pair(tag, from_value, to_value)
    return engine.dicts(
        f'select customer_id, a.v as "from", b.v as "to" from {relation} where {condition} '
        "order by customer_id",
        [earlier["run_id"], later["run_id"], *params],
    )
