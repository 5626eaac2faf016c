"""A survey's analysis in one result: how many responses count, how many are linked to
customers, the distributions of every question overall and (optionally) per segment, and the
competitor comparison (per brand: the share of respondents who also bought it and how its
buyers rate it, beside our own rating), assembled from the distributions without a query of
its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from huaxiang.engine.duckdb_engine import Engine
from huaxiang.surveys.distributions import OVERALL, distributions
from huaxiang.surveys.models import Survey
from huaxiang.surveys.responses import Resolved, valid_sql
from huaxiang.surveys.validity import SampleCheck, Validity


@dataclass(frozen=True)
class SegmentRef:
    id: str
    name: str
    group: str | None


@dataclass(frozen=True)
class SurveyAnalysis:
    survey_id: str
    title: str
    responses: int
    valid: int
    linked: int  # valid responses whose respondent is a known customer
    in_segments: int | None  # of those, in at least one segment (by segment only)
    segments: list[dict[str, Any]]  # segment, name, group, respondents, shown (by segment)
    questions: list[dict[str, Any]]  # see SurveysMixin.survey_analysis
    competitors: list[dict[str, Any]]
    competitors_by_segment: dict[str, list[dict[str, Any]]]
    sample: SampleCheck


def analyse(
    engine: Engine,
    resolved: Resolved,
    validity: Validity,
    lang: str,
    segments: Sequence[SegmentRef] | None = None,
) -> SurveyAnalysis:
    """The distributions over the valid responses; per segment too when ``segments`` are
    given (segments of the latest build)."""
    survey = resolved.survey
    linked = int(engine.scalar(f"select count(_customer_id) from ({valid_sql(resolved)}) v"))
    overall = distributions(engine, resolved, lang).get(OVERALL)
    results = overall["questions"] if overall else {}
    questions = []
    for q in survey.questions:
        result = results.get(q.id, {"answered": 0})
        questions.append(
            {
                "id": q.id,
                "title": q.name(lang),
                "header": q.header,
                "type": q.type,
                "required": q.required,
                **({"scale": list(q.points)} if q.type == "rating" else {}),
                **result,
                "by_segment": [],
            }
        )
    competitors = competitor_rows(survey, results, lang)
    in_segments: int | None = None
    segment_rows: list[dict[str, Any]] = []
    by_segment_competitors: dict[str, list[dict[str, Any]]] = {}
    if segments is not None:
        in_segments = int(
            engine.scalar(
                f"select count(*) from ({valid_sql(resolved)}) v where exists (select 1 from "
                "segment_members m where m.customer_id = v._customer_id)"
            )
        )
        per = distributions(engine, resolved, lang, segments=[s.id for s in segments])
        for s in segments:
            found = per.get(s.id)
            if found is None:
                continue
            segment_rows.append(
                {
                    "segment": s.id,
                    "name": s.name,
                    "group": s.group,
                    "respondents": found["respondents"],
                    "shown": found["shown"],
                }
            )
            for row in questions:
                row["by_segment"].append(
                    {"segment": s.id, "name": s.name, **found["questions"][row["id"]]}
                )
            if found["shown"] and survey.competitors is not None:
                by_segment_competitors[s.id] = competitor_rows(survey, found["questions"], lang)
    return SurveyAnalysis(
        survey_id=survey.id,
        title=survey.title.get(lang),
        responses=validity.responses,
        valid=validity.valid,
        linked=linked,
        in_segments=in_segments,
        segments=segment_rows,
        questions=questions,
        competitors=competitors,
        competitors_by_segment=by_segment_competitors,
        sample=validity.sample,
    )


def competitor_rows(
    survey: Survey, questions: dict[str, dict[str, Any]], lang: str
) -> list[dict[str, Any]]:
    """One row per brand (ours first when a rating of ours is declared): brand, ours, bought
    (count and share of those answering the ``bought`` question), rated (count), mean rating
    and top-2-box."""
    c = survey.competitors
    if c is None:
        return []
    bought = questions.get(c.bought) if c.bought else None
    chosen = {a["answer"]: a for a in (bought or {}).get("answers", []) if not a.get("other")}
    rows = []
    if c.ours:
        rows.append(_row(c.our_name.get(lang), True, None, questions.get(c.ours)))
    for brand in c.brands:
        answer = chosen.get(brand.label) if bought is not None else None
        row = _row(brand.name.get(lang), False, answer, questions.get(brand.rating or ""))
        if bought is not None and answer is None:
            row["bought"], row["bought_share"] = 0, 0.0 if bought.get("answered") else None
        rows.append(row)
    return rows


def _row(
    name: str, ours: bool, answer: dict[str, Any] | None, rating: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "brand": name,
        "ours": ours,
        "bought": answer["count"] if answer else None,
        "bought_share": answer["share"] if answer else None,
        "rated": rating["answered"] if rating else None,
        "mean": rating.get("mean") if rating else None,
        "top2": rating.get("top2") if rating else None,
    }
