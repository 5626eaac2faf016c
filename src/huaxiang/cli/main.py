"""``huaxiang`` command line: parse, call the Workspace facade, render.

Errors a user can cause are printed as one clear message (exit code 1, or 2 for usage);
``--debug`` shows the traceback. ``--json`` prints a machine-readable summary on stdout while
progress and messages go to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from huaxiang.cli import render
from huaxiang.cli.cluster import cluster
from huaxiang.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    open_workspace,
    state,
)
from huaxiang.cli.feedback import feedback_app
from huaxiang.cli.personas import personas
from huaxiang.cli.report import report
from huaxiang.cli.segments import segments_app
from huaxiang.cli.survey import survey_app
from huaxiang.cli.tags import tags_app
from huaxiang.cli.value import value_app
from huaxiang.errors import DataError, HuaxiangError, UsageError
from huaxiang.schema import TABLES
from huaxiang.value import ValueScore
from huaxiang.workspace import Workspace

app = typer.Typer(
    name="huaxiang",
    help="画像 huaxiang — customer profiling workbench: ingest, clean, resolve identities, tag.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(tags_app, name="tags")
app.add_typer(segments_app, name="segments")
app.add_typer(value_app, name="value")
app.add_typer(feedback_app, name="feedback")
app.add_typer(survey_app, name="survey")
app.command("cluster")(cluster)
app.command("personas")(personas)
app.command("report")(report)


@app.callback()
def main(
    workspace: Annotated[
        Path,
        typer.Option("--workspace", "-w", help="Workspace folder (default: current directory)."),
    ] = Path("."),
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors and results.")] = False,
) -> None:
    state.update(workspace=workspace, debug=debug, quiet=quiet)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    name: Annotated[str | None, typer.Option(help="Workspace name (default: folder name).")] = None,
    locale: Annotated[str, typer.Option(help="zh-CN or en.")] = "zh-CN",
) -> None:
    """Create a workspace: huaxiang.yaml, definition folders and the .huaxiang/ stores."""
    ws = Workspace.init(directory, name=name, locale=locale, console=console())
    ws.console.info(f"workspace [bold]{ws.config.name}[/bold] created in {ws.root}")
    ws.console.info(f"next: huaxiang -w {directory} ingest FILE --as customers")
    ws.close()


@app.command()
def ingest(
    file: Annotated[
        Path | None, typer.Argument(help="A file to add (omit to load all sources).")
    ] = None,
    as_table: Annotated[
        str | None, typer.Option("--as", help=f"Target table: {', '.join(TABLES)}.")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option(help="Load only this source (repeatable).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Source name for FILE (default: file stem).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="xlsx sheet name or 0-based index.")] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding (default: detected).")] = "auto",
    fmt: Annotated[str, typer.Option("--format", help="csv|tsv|xlsx|parquet|jsonl.")] = "auto",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the mapping and first problems; write nothing.")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load raw sources into the warehouse (idempotent; a re-export replaces its old version)."""
    ws = open_workspace(workspace)
    with ws:
        if file is None:
            if dry_run or as_table:
                raise UsageError("--as and --dry-run need a FILE")
            results = ws.ingest(source)
            if as_json:
                emit_json([r.as_dict() for r in results])
            else:
                render.loads(ws.console, results)
            return
        if as_table is None:
            raise UsageError(f"say which table the file holds: --as {{{','.join(TABLES)}}}")
        sheet_value: str | int | None = int(sheet) if sheet and sheet.isdigit() else sheet
        src = ws.source_for_file(
            file, as_table, name=name, sheet=sheet_value, encoding=encoding, fmt=fmt
        )
        if dry_run:
            data = ws.preview_file(src)
            emit_json(data) if as_json else render.preview(ws.console, data)
            return
        result = ws.ingest_file(src)
        emit_json(result.as_dict()) if as_json else render.loads(ws.console, [result])


@app.command()
def clean(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Clean, de-duplicate and resolve identities; write the quality report."""
    with open_workspace(workspace) as ws:
        result = ws.clean()
        if as_json:
            emit_json(result.as_dict() | {"quality_report": str(ws.quality_report)})
        else:
            render.clean_summary(ws.console, result, ws.quality_report)


def _build(ws: Workspace, *, as_json: bool) -> None:
    """Ingest every source, clean, tag, segment, describe the segments, and show (or print as
    JSON) what happened."""
    loads = ws.ingest()
    result = ws.clean()
    plan = ws.tag_plan()
    has_customers = ws.engine.table_exists("customers") and ws.engine.count("customers")
    value = _value(ws) if has_customers else None
    tags = ws.build_tags(plan=plan) if plan.tags and has_customers else None
    segments = personas = None
    reports: list[Path] = []
    if tags is not None and ws.segment_catalog().segments:
        segments = ws.build_segments()
        cards = ws.persona_cards()  # drawn once for the cards page and the report
        personas = ws.export_personas(ws.reports_dir / "personas.html", cards)
        reports = [r.path for r in ws.reports(("html", "pdf"), cards=cards)]
    if as_json:
        emit_json(
            result.as_dict()
            | {
                "loads": [r.as_dict() for r in loads],
                "value": value.__dict__ if value else None,
                "tags": tags.__dict__ if tags else None,
                "segments": segments.sizes if segments else None,
                "personas": str(personas) if personas else None,
                "reports": [str(p) for p in reports],
            }
        )
    else:
        render.loads(ws.console, loads)
        render.clean_summary(ws.console, result, ws.quality_report)
        if value is not None:
            ws.console.info(
                f"value models: {value.scored:,} customers scored ({value.run_id}), mean "
                f"p_alive {value.mean_p_alive or 0:.2f}"
            )
        if tags is not None:
            render.tag_build(ws.console, tags)
        if segments is not None:
            ws.console.info(
                f"segments: {len(segments.sizes)} built ({segments.unassigned:,} customers in "
                f"none); persona cards: {personas}"
            )
        for path in reports:
            ws.console.info(f"analysis report: {path}")


def _value(ws: Workspace) -> ValueScore | None:
    """Fit and score the value models when the orders allow it; otherwise say why and go on
    (the prediction tags stay unknown)."""
    if not (ws.engine.table_exists("orders") and ws.engine.count("orders")):
        return None
    try:
        ws.value_fit()
        return ws.value_score(refresh_tags=False)[0]
    except (DataError, UsageError) as exc:
        ws.console.warn(f"value models skipped: {exc.message}")
        return None


@app.command()
def build(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Ingest every source, clean, fit and score the value models, build the tags and
    segments, write the persona cards: the whole pipeline."""
    with open_workspace(workspace) as ws:
        _build(ws, as_json=as_json)


@app.command()
def status(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Tables, loads and where the quality report is."""
    with open_workspace(workspace) as ws:
        data = ws.status()
        emit_json(data) if as_json else render.status(ws.console, data)


@app.command("demo-data")
def demo_data(
    directory: Annotated[Path, typer.Argument(help="Workspace folder to create or fill.")],
    customers: Annotated[int, typer.Option(min=100, help="Number of customers.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 7,
) -> None:
    """Write a realistic, messy Chinese retail data set and a workspace pointing at it."""
    from huaxiang.demo import create_demo_workspace

    ws = create_demo_workspace(directory, customers=customers, seed=seed, console=console())
    ws.console.info(f"demo data written; load it with: huaxiang -w {directory} build")
    ws.close()


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path(
        "demo"
    ),
    customers: Annotated[int, typer.Option(min=100, help="Number of customers.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    as_json: JsonOpt = False,
) -> None:
    """Build the demo workspace end to end: generate, ingest, clean, resolve, report, fit and
    score the value models, tag, segment and describe the segments."""
    from huaxiang.demo import create_demo_workspace

    with create_demo_workspace(directory, customers=customers, seed=seed, console=console()) as ws:
        _build(ws, as_json=as_json)


def run() -> None:
    """Console entry point: one clear message instead of a traceback."""
    from typer.exceptions import Abort, Exit, TyperException

    state.update(debug="--debug" in sys.argv[1:], workspace=Path("."), quiet=False)
    try:
        app(standalone_mode=False)
    except HuaxiangError as exc:
        if state["debug"]:
            raise
        render.error(exc)
        sys.exit(exc.exit_code)
    except Abort:
        sys.exit(130)
    except Exit as exc:
        sys.exit(exc.exit_code)
    except TyperException as exc:  # command-line usage errors
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            render.usage(str(exc))
        sys.exit(exc.exit_code)
    except Exception as exc:
        if state["debug"]:
            raise
        render.unexpected(exc)
        sys.exit(1)
