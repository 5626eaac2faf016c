"""``huaxiang tags ...``: validate, build, show the SQL of, list and export the tag catalog;
the history of builds and the moves between them; the definition schemas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from huaxiang.cli import render
from huaxiang.cli.common import (
    JsonOpt,
    LangOpt,
    SinceOpt,
    UntilOpt,
    WorkspaceOpt,
    emit_json,
    open_workspace,
)
from huaxiang.definitions.schema import write_schemas
from huaxiang.errors import UsageError

tags_app = typer.Typer(help="Features and tags: validate, build, show SQL, list, export.")

AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Day the tags describe, YYYY-MM-DD (default: tagging.as_of)."),
]


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date", hint="write it as YYYY-MM-DD") from None


@tags_app.command("validate")
def validate(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Check every feature and tag definition; report all problems at once."""
    with open_workspace(workspace) as ws:
        summary = ws.validate_tags()
        if as_json:
            emit_json(summary | {"valid": True})
        else:
            ws.console.info(
                f"{summary['features']} features and {summary['tags']} tags are valid "
                f"({len(summary['levels'])} dependency levels)"
            )


@tags_app.command("build")
def build(
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    full: Annotated[
        bool, typer.Option("--full", help="Compute everything, even what did not change.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compute the features and tags and snapshot the result. After a definition changed,
    only what depends on it is computed again."""
    with open_workspace(workspace) as ws:
        result = ws.build_tags(_date(as_of), full=full)
        if as_json:
            emit_json(result.__dict__)
        else:
            render.tag_build(ws.console, result)


@tags_app.command("sql")
def sql(
    tags: Annotated[list[str], typer.Argument(help="Tag ids.")],
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Print the SQL that computes the given tags (one query, readable)."""
    with open_workspace(workspace) as ws:
        typer.echo(ws.tag_sql(tags, _date(as_of)))


@tags_app.command("list")
def list_(workspace: WorkspaceOpt = None, lang: LangOpt = None, as_json: JsonOpt = False) -> None:
    """The tag dictionary: definition, rule, owner, coverage, distribution, drift."""
    with open_workspace(workspace) as ws:
        entries = ws.tag_dictionary(lang)
        emit_json(entries) if as_json else render.tag_dictionary(ws.console, entries)


@tags_app.command("export")
def export(
    path: Annotated[Path, typer.Argument(help="Output file: .xlsx, .csv or .json.")],
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Write the tag dictionary (标签表) to a file."""
    with open_workspace(workspace) as ws:
        written = ws.export_tag_dictionary(path, lang)
        ws.console.info(f"tag dictionary written to {written}")


@tags_app.command("runs")
def runs(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Every tag build: run id, as-of day, time, customers (newest first)."""
    with open_workspace(workspace) as ws:
        found = ws.tag_runs()
        emit_json(found) if as_json else render.tag_runs(ws.console, found)


@tags_app.command("moves")
def moves(
    tag: Annotated[str, typer.Argument(help="Tag id.")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    from_value: Annotated[
        str | None, typer.Option("--from", help="Only customers who had this value.")
    ] = None,
    to_value: Annotated[
        str | None, typer.Option("--to", help="Only customers who have this value now.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the moved customers to .csv, .xlsx or .json."),
    ] = None,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who moved between the values of a tag from one build to another."""
    with open_workspace(workspace) as ws:
        args = (tag, since, until)
        found = ws.tag_moves(*args, from_value=from_value, to_value=to_value)
        if out is not None:
            ws.export_moved_customers(out, *args, from_value=from_value, to_value=to_value)
        if as_json:
            emit_json(found.__dict__ | ({"written": str(out)} if out else {}))
            return
        render.tag_moves(ws.console, found, ws.tag_value_names(tag, lang))
        if out is not None:
            ws.console.info(f"{found.moved:,} moved customers written to {out}")


@tags_app.command("schema")
def schema(
    directory: Annotated[
        Path | None, typer.Argument(help="Where to write them (default: the workspace's .schema/).")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write JSON Schemas of the definition files, for editors to check and complete them."""
    with open_workspace(workspace) as ws:
        target = directory or ws.root / ".schema"
        for path in write_schemas(target):
            ws.console.info(f"wrote {path}")
        ws.console.info(
            "first line of a tags/*.yaml file: "
            "# yaml-language-server: $schema=../.schema/tags.schema.json"
        )
