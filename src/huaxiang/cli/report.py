"""``huaxiang report``: the analysis report (seed 004) as HTML, PDF or Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from huaxiang.cli.common import JsonOpt, LangOpt, WorkspaceOpt, emit_json, open_workspace


def report(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html (interactive, offline), pdf or xlsx.")
    ] = "html",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: .huaxiang/reports/)."),
    ] = None,
    lang: LangOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Summary, goal and sources, data quality, personas, segments, needs and pain points,
    KANO, competitors, customer value, migration, and conclusions tied to strategies."""
    with open_workspace(workspace) as ws:
        result = ws.report(fmt.lower(), lang=lang, path=output)
        if as_json:
            emit_json(result.as_dict())
            return
        ws.console.info(result.summary)
        ws.console.info(
            f"{result.conclusions} conclusions, {result.with_strategy} with a strategy "
            "(declare strategies in report.yaml)"
        )
        ws.console.info(f"report written to {result.path}")
