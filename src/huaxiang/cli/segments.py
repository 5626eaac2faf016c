"""``huaxiang segments ...``: list, validate, build and preview segments; analyse, compare and
follow them between builds."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from huaxiang.cli import render_segments as render
from huaxiang.cli.common import (
    JsonOpt,
    LangOpt,
    SinceOpt,
    UntilOpt,
    WorkspaceOpt,
    emit_json,
    open_workspace,
)

segments_app = typer.Typer(help="Segments: build, preview, analyse, compare, migration.")


@segments_app.command("list")
def list_(workspace: WorkspaceOpt = None, lang: LangOpt = None, as_json: JsonOpt = False) -> None:
    """Every segment: condition, group, strategy, owner, goal."""
    with open_workspace(workspace) as ws:
        rows = ws.segment_definitions(lang)
        emit_json(rows) if as_json else render.segment_list(ws.console, rows)


@segments_app.command("validate")
def validate(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Check every segment definition against the tags; report all problems at once."""
    with open_workspace(workspace) as ws:
        summary = ws.validate_segments()
        if as_json:
            emit_json(summary | {"valid": True})
        else:
            ws.console.info(
                f"{summary['segments']} segments are valid "
                f"({len(summary['groups'])} exclusive groups)"
            )


@segments_app.command("build")
def build(workspace: WorkspaceOpt = None, lang: LangOpt = None, as_json: JsonOpt = False) -> None:
    """Compute every segment's members from the latest tags and snapshot them."""
    with open_workspace(workspace) as ws:
        result = ws.build_segments()
        if as_json:
            emit_json(asdict(result))
        else:
            names = {r["id"]: r["name"] for r in ws.segment_definitions(lang)}
            render.segment_build(ws.console, result, names)


@segments_app.command("preview")
def preview(
    condition: Annotated[
        str, typer.Argument(help='A condition, e.g. "ltv > 2000 and repurchase_rate > 0.7".')
    ],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Count the customers a condition selects (nothing is written)."""
    with open_workspace(workspace) as ws:
        result = ws.preview_segment(condition)
        if as_json:
            emit_json(asdict(result) | {"share": result.share})
        else:
            render.preview(ws.console, result)


@segments_app.command("analyse")
def analyse(workspace: WorkspaceOpt = None, lang: LangOpt = None, as_json: JsonOpt = False) -> None:
    """Sizes, shares, overlaps, customers in no segment and granularity warnings."""
    with open_workspace(workspace) as ws:
        data = ws.segment_analysis(lang)
        emit_json(data) if as_json else render.analysis(ws.console, data)


@segments_app.command("compare")
def compare(
    segment: Annotated[str, typer.Argument(help="Segment id.")],
    other: Annotated[
        str | None, typer.Argument(help="Another segment id (default: all customers).")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A segment against the population or another segment, per tag and feature."""
    with open_workspace(workspace) as ws:
        data = ws.compare_segment(segment, other)
        emit_json(data) if as_json else render.comparison(ws.console, data)


@segments_app.command("runs")
def runs(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Every segment build (newest first)."""
    with open_workspace(workspace) as ws:
        found = ws.segment_runs()
        if as_json:
            emit_json(found)
        else:
            for r in found:
                ws.console.info(
                    f"{r['run_id']}  tags as of {r['as_of']}  built {r['built_at']:%Y-%m-%d %H:%M}"
                    f"  {r['customers']:,} customers"
                )


@segments_app.command("migration")
def migration(
    scope: Annotated[str, typer.Argument(help="An exclusive group, or one segment id.")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    from_segment: Annotated[
        str | None, typer.Option("--from", help="With --out: only customers leaving this.")
    ] = None,
    to_segment: Annotated[
        str | None, typer.Option("--to", help="With --out: only customers arriving here.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the moved customers (.csv/.xlsx/.json).")
    ] = None,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """How customers moved between the segments of a group from one build to another."""
    with open_workspace(workspace) as ws:
        result = ws.segment_migration(scope, since, until)
        if out is not None:
            ws.export_migrated_customers(out, scope, from_segment, to_segment, since, until)
        if as_json:
            emit_json(asdict(result) | ({"written": str(out)} if out else {}))
            return
        names = {r["id"]: r["name"] for r in ws.segment_definitions(lang)}
        render.migration(ws.console, result, names)
        if out is not None:
            ws.console.info(f"moved customers written to {out}")
