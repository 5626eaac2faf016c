"""``huaxiang survey ...``: list the survey definitions, check the responses' validity, analyse
the answers (by segment too) and the KANO pairs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from huaxiang.cli import render_surveys as render
from huaxiang.cli.common import JsonOpt, LangOpt, WorkspaceOpt, emit_json, open_workspace

survey_app = typer.Typer(
    help="Surveys: validity, distributions and cross-tabs by segment, KANO, competitors.",
    no_args_is_help=True,
)
SurveyArg = Annotated[str, typer.Argument(help="Survey id (surveys/<id>.yaml).")]


@survey_app.command("list")
def list_(workspace: WorkspaceOpt = None, lang: LangOpt = None, as_json: JsonOpt = False) -> None:
    """Every survey definition: title, source, target group, questions, KANO pairs, rules."""
    with open_workspace(workspace) as ws:
        rows = ws.survey_definitions(lang)
        emit_json(rows) if as_json else render.survey_list(ws.console, rows)


@survey_app.command("check")
def check(
    survey: SurveyArg,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Valid and invalid responses with every reason (written to survey_validity), and
    whether the sample is large enough."""
    with open_workspace(workspace) as ws:
        result = ws.check_survey(survey, lang)
        emit_json(asdict(result)) if as_json else render.validity(ws.console, result)


@survey_app.command("analyse")
def analyse(
    survey: SurveyArg,
    by_segment: Annotated[
        bool, typer.Option("--by-segment", help="Cross-tabs by segment of the latest build.")
    ] = False,
    group: Annotated[
        str | None,
        typer.Option(
            "--group", help="Only the segments of this exclusive group (implies --by-segment)."
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Distributions of the valid responses: choices, ratings (mean, top-2-box), numbers;
    by segment; the competitor comparison."""
    with open_workspace(workspace) as ws:
        result = ws.survey_analysis(survey, by_segment=by_segment, group=group, lang=lang)
        emit_json(asdict(result)) if as_json else render.analysis(ws.console, result)


@survey_app.command("kano")
def kano(
    survey: SurveyArg,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """KANO categories, Better and Worse per feature, in priority order."""
    with open_workspace(workspace) as ws:
        result = ws.survey_kano(survey, lang)
        emit_json(asdict(result)) if as_json else render.kano(ws.console, result)
