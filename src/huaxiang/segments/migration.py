"""Segment migration: how customers moved between segments from one build to another.

Builds are named like tag builds (a run id, the start of one, or a day: the latest build
describing that day or earlier). Within an exclusive group a customer is in at most one
segment per build, so the movements form a from -> to matrix (``(none)`` for customers in no
segment of the group), which a Sankey chart draws directly. An ungrouped segment is its own
group of one: in or out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huaxiang.definitions.segments import SegmentCatalog
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import UsageError
from huaxiang.tagging.history import RunRef, pick_run

NONE = "(none)"


def segment_runs(engine: Engine) -> list[dict[str, Any]]:
    """Every segment build, newest first."""
    if not engine.table_exists("hx_segment_runs"):
        return []
    return engine.dicts(
        "select run_id, tag_run, as_of, built_at, customers from hx_segment_runs "
        "order by built_at desc"
    )


def resolve_segment_run(engine: Engine, ref: RunRef, *, default: int = 0) -> dict[str, Any]:
    return pick_run(
        segment_runs(engine), ref, default=default, what="segment build", command="segments"
    )


@dataclass(frozen=True)
class Migration:
    scope: str  # the group, or the segment id of an ungrouped segment
    segments: list[str]
    since: dict[str, Any]
    until: dict[str, Any]
    flows: list[dict[str, Any]]  # from, to, customers (moves only, largest first)
    matrix: list[dict[str, Any]]  # every from, to pair including the unchanged
    moved: int
    unchanged: int


def scope_segments(catalog: SegmentCatalog, scope: str) -> list[str]:
    """The segments of a group, or ``[scope]`` for one segment."""
    groups = catalog.groups()
    if scope in groups:
        return [s.id for s in groups[scope]]
    if scope in catalog.segments:
        return [scope]
    known = sorted({*groups, *catalog.segments})
    raise UsageError(
        f"no segment group or segment named {scope!r}",
        hint=f"groups: {', '.join(sorted(groups)) or '(none)'}; or one of: {', '.join(known)}",
    )


def _pair(segments: list[str]) -> str:
    """Both builds' segment (within ``segments``) per customer seen in either."""
    marks = ", ".join("?" for _ in segments)
    one = (
        "select customer_id, segment_id from segment_snapshots "
        f"where run_id = ? and segment_id in ({marks})"
    )
    return (
        f"select customer_id, coalesce(a.segment_id, '{NONE}') as \"from\", "
        f"coalesce(b.segment_id, '{NONE}') as \"to\" "
        f"from ({one}) a full join ({one}) b using (customer_id)"
    )


def segment_migration(
    engine: Engine,
    catalog: SegmentCatalog,
    scope: str,
    since: RunRef = None,
    until: RunRef = None,
) -> Migration:
    """Movements within ``scope`` (a group or a segment) from build ``since`` (default: the one
    before the latest) to build ``until`` (default: the latest)."""
    segments = scope_segments(catalog, scope)
    later = resolve_segment_run(engine, until)
    earlier = resolve_segment_run(engine, since, default=1)
    params = [earlier["run_id"], *segments, later["run_id"], *segments]
    matrix = engine.dicts(
        f'select "from", "to", count(*) as customers from ({_pair(segments)}) '
        'group by all order by customers desc, "from", "to"',
        params,
    )
    flows = [m for m in matrix if m["from"] != m["to"]]
    moved = sum(int(m["customers"]) for m in flows)
    unchanged = sum(int(m["customers"]) for m in matrix if m["from"] == m["to"])
    return Migration(scope, segments, earlier, later, flows, matrix, moved, unchanged)


def migrated_customers(
    engine: Engine,
    catalog: SegmentCatalog,
    scope: str,
    from_segment: str | None,
    to_segment: str | None,
    since: RunRef = None,
    until: RunRef = None,
) -> list[dict[str, Any]]:
    """The customers behind one from -> to pair (``(none)`` allowed; None: any)."""
    segments = scope_segments(catalog, scope)
    for name in (from_segment, to_segment):
        if name is not None and name != NONE and name not in segments:
            raise UsageError(
                f"{name!r} is not a segment of {scope}",
                hint=f"segments: {', '.join(segments)}, or {NONE}",
            )
    later = resolve_segment_run(engine, until)
    earlier = resolve_segment_run(engine, since, default=1)
    condition = '"from" <> "to"'
    extra: list[Any] = []
    if from_segment is not None:
        condition += ' and "from" = ?'
        extra.append(from_segment)
    if to_segment is not None:
        condition += ' and "to" = ?'
        extra.append(to_segment)
    return engine.dicts(
        f'select customer_id, "from", "to" from ({_pair(segments)}) where {condition} '
        "order by customer_id",
        [earlier["run_id"], *segments, later["run_id"], *segments, *extra],
    )
