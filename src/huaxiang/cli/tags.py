"""``huaxiang tags ...``: validate, build, show the SQL of, list and export the tag catalog."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from huaxiang.cli import render
from huaxiang.cli.common import JsonOpt, WorkspaceOpt, emit_json, open_workspace
from huaxiang.errors import UsageError

tags_app = typer.Typer(help="Features and tags: validate, build, show SQL, list, export.")

AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Day the tags describe, YYYY-MM-DD (default: tagging.as_of)."),
]
LangOpt = Annotated[str | None, typer.Option("--lang", help="zh or en (default: the locale).")]


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
def build(workspace: WorkspaceOpt = None, as_of: AsOfOpt = None, as_json: JsonOpt = False) -> None:
    """Compute every feature and tag in the warehouse and snapshot the result."""
    with open_workspace(workspace) as ws:
        result = ws.build_tags(_date(as_of))
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
