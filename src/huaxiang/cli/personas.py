"""``huaxiang personas``: persona cards (客户画像卡) of segments and clusters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from huaxiang.cli.common import JsonOpt, LangOpt, WorkspaceOpt, emit_json, open_workspace
from huaxiang.cli.render import _rich
from huaxiang.personas import card_renderable


def personas(
    segments: Annotated[
        list[str] | None, typer.Argument(help="Segment ids (default: every segment).")
    ] = None,
    clusters: Annotated[
        bool, typer.Option("--clusters", help="Cards of the latest clusters too.")
    ] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the cards as one HTML page.")
    ] = None,
    lang: LangOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Persona cards generated from data: size, features by lift, habits, needs and pain
    points, value, strategy, owner and goal."""
    with open_workspace(workspace) as ws:
        cards = ws.persona_cards(segments or None, clusters=clusters, lang=lang)
        language = ws.language(lang)
        if html is not None:
            ws.export_personas(html, cards, language)
        if as_json:
            emit_json([c.as_dict() for c in cards])
        elif html is None:
            for card in cards:
                _rich(ws.console).print(card_renderable(card, language))
        if html is not None:
            ws.console.info(f"{len(cards)} persona cards written to {html}")
