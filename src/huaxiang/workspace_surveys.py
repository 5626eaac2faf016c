"""The survey part of the :class:`~huaxiang.workspace.Workspace` facade: survey definitions,
response validity, distributions and cross-tabs by segment, KANO and the competitor comparison.

Every method reads the survey definition (``surveys/<id>.yaml``) and checks it against the
loaded responses first, so a header the export does not have is reported at its line before
anything is computed. Results are plain data (dataclasses and dicts) for the CLI, the report
and notebooks to render; none of them carries personal data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from huaxiang.config.models import WorkspaceConfig
from huaxiang.console import Console
from huaxiang.definitions.segments import SegmentCatalog
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import UsageError
from huaxiang.store.opstore import OperationalStore
from huaxiang.surveys import (
    ALL,
    KanoAnalysis,
    Resolved,
    SegmentRef,
    SurveyAnalysis,
    SurveyCatalog,
    Validity,
    analyse,
    check_validity,
    kano_analysis,
    load_surveys,
    open_text_sql,
    resolve,
)


class SurveysCore(Protocol):
    root: Path
    config: WorkspaceConfig
    console: Console

    @property
    def engine(self) -> Engine: ...

    @property
    def store(self) -> OperationalStore: ...

    def language(self, lang: str | None = None) -> str: ...

    def segment_catalog(self) -> SegmentCatalog: ...


class SurveysMixin:
    def survey_catalog(self: SurveysCore) -> SurveyCatalog:
        """Every survey definition under surveys/ (ConfigError lists all problems)."""
        return load_surveys(self.root)

    def survey_definitions(self: SurveysCore, lang: str | None = None) -> list[dict[str, Any]]:
        """id, title, file, source, target group and the number of questions, KANO features,
        competitors and logic rules of every survey."""
        language = self.language(lang)
        catalog = load_surveys(self.root)
        return [
            {
                "id": s.id,
                "title": s.title.get(language),
                "file": catalog.origins[s.id].file,
                "source": s.source,
                "target": s.target,
                "min_seconds": s.min_seconds,
                "questions": len(s.questions),
                "kano_features": len(s.kano.features) if s.kano else 0,
                "competitors": len(s.competitors.brands) if s.competitors else 0,
                "rules": len(s.rules),
            }
            for s in catalog.surveys.values()
        ]

    def check_survey(self: SurveysCore, survey_id: str, lang: str | None = None) -> Validity:
        """Every response valid or invalid with its reasons, written to ``survey_validity``;
        the counts by reason (responses = valid + invalid) and the sample-size check."""
        resolved = _resolve(self, survey_id)
        result = check_validity(self.engine, resolved, self.language(lang))
        self.store.audit(
            "survey.check",
            {"survey": survey_id, "responses": result.responses, "valid": result.valid},
        )
        if result.sample.message is not None:
            self.console.warn(result.sample.message)
        return result

    def survey_analysis(
        self: SurveysCore,
        survey_id: str,
        *,
        by_segment: bool = False,
        group: str | None = None,
        lang: str | None = None,
        validity: Validity | None = None,
    ) -> SurveyAnalysis:
        """Distributions of the valid responses: per question ``answered`` and, by type,
        ``answers`` [{answer, count, share, other?}] (single, multiple: share of those who
        answered; rating: every scale point) with ``mean``, ``median``, ``top2`` (ratings),
        ``min``/``max`` (numbers); with ``by_segment`` also per segment of the latest build
        (``group``: only that exclusive group's segments); and the competitor rows.
        ``validity``: what :meth:`check_survey` just returned (not computed, nor warned about,
        again)."""
        language = self.language(lang)
        resolved = _resolve(self, survey_id)
        segments = _segments(self, group, language) if by_segment or group else None
        if validity is None or validity.survey_id != survey_id:
            validity = check_validity(self.engine, resolved, language, write=False)
            if validity.sample.message is not None:
                self.console.warn(validity.sample.message)
        return analyse(self.engine, resolved, validity, language, segments)

    def survey_kano(self: SurveysCore, survey_id: str, lang: str | None = None) -> KanoAnalysis:
        """Per KANO feature: counts of A / O / M / I / R / Q, category, Better and Worse, in
        priority order (the rows of the Better-Worse chart)."""
        resolved = _resolve(self, survey_id)
        if resolved.survey.kano is None:
            raise UsageError(
                f"survey {survey_id!r} declares no KANO pairs",
                hint="add kano: features: [{name, functional, dysfunctional}] to its definition",
            )
        return kano_analysis(self.engine, resolved, self.language(lang))

    def survey_open_text_sql(self: SurveysCore, survey_id: str, question: str | None = None) -> str:
        """The SQL of the valid responses' open-text answers (survey_id, question_id, header,
        respondent_id, customer_id, text), to run on :attr:`engine`. The text is personal:
        analyse it, do not print it."""
        resolved = _resolve(self, survey_id)
        if question is not None and (
            question not in resolved.columns or resolved.columns[question].question.type != "text"
        ):
            texts = [q for q, c in resolved.columns.items() if c.question.type == "text"]
            raise UsageError(
                f"{question!r} is not an open-text question of survey {survey_id!r}",
                hint=f"open-text questions: {', '.join(texts) or '(none)'}",
            )
        return open_text_sql(resolved, question)


def _resolve(ws: SurveysCore, survey_id: str) -> Resolved:
    catalog = load_surveys(ws.root)
    survey = catalog.get(survey_id)
    segments = list(ws.segment_catalog().segments) if survey.target != ALL else None
    sources = {s.name: s.table for s in ws.config.sources}
    return resolve(ws.engine, catalog, survey, sources=sources, segments=segments)


def _segments(ws: SurveysCore, group: str | None, lang: str) -> list[SegmentRef]:
    """The segments of the latest build (their names from the catalog), catalog order first."""
    if not ws.engine.table_exists("segment_members"):
        raise UsageError("no segments built yet", hint="build them with: huaxiang segments build")
    built = [
        r[0] for r in ws.engine.rows("select distinct segment_id from segment_members order by 1")
    ]
    catalog = ws.segment_catalog().segments
    if group is not None and not any(s.group == group for s in catalog.values()):
        groups = sorted({s.group for s in catalog.values() if s.group})
        raise UsageError(f"unknown segment group {group!r}", hint=f"groups: {', '.join(groups)}")
    order = [s for s in catalog if s in built] + [s for s in built if s not in catalog]
    refs = []
    for sid in order:
        definition = catalog.get(sid)
        if group is not None and (definition is None or definition.group != group):
            continue
        name = definition.name.get(lang) if definition else sid
        refs.append(SegmentRef(sid, name, definition.group if definition else None))
    return refs
