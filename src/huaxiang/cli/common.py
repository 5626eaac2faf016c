"""What every command shares: the workspace and --json options, opening, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from huaxiang.console import TerminalConsole
from huaxiang.workspace import Workspace

state: dict[str, Any] = {"debug": False, "workspace": Path("."), "quiet": False}

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: current directory)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="zh or en (default: the locale).")]
# the two builds a comparison reads (tag movements, segment migration)
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since", help="Earlier build: run id or day (default: the one before the latest)."
    ),
]
UntilOpt = Annotated[
    str | None,
    typer.Option("--until", help="Later build: run id or day (default: the latest)."),
]


def console() -> TerminalConsole:
    return TerminalConsole(quiet=state["quiet"])


def open_workspace(workspace: Path | None) -> Workspace:
    return Workspace.open(workspace or state["workspace"], console=console())


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
