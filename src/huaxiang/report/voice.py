"""The customers' own voice in the report: the survey (validity, answers, KANO, competitors)
and the feedback's pain points, read through the facade and shaped for the report."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from huaxiang.workspace import Workspace

MAX_QUESTIONS = 8  # charts of choice and rating questions in the report
SHOWN_TYPES = ("single", "multiple", "rating")


def survey(ws: Workspace, survey_id: str | None, lang: str) -> dict[str, Any] | None:
    """Validity, distributions, KANO and competitors of the report's survey (report.yaml's
    ``survey``, else the first one defined); None when the workspace has no survey or no
    responses."""
    catalog = ws.survey_catalog()
    if not catalog.surveys or not ws.engine.table_exists("survey_responses"):
        return None
    if not ws.engine.count("survey_responses"):
        return None
    ident = survey_id or next(iter(catalog.surveys))
    validity = ws.check_survey(ident, lang)
    analysis = ws.survey_analysis(ident, lang=lang, validity=validity)
    kano = ws.survey_kano(ident, lang) if catalog.get(ident).kano is not None else None
    questions = []
    for q in analysis.questions:
        if q["type"] not in SHOWN_TYPES or not q.get("answers"):
            continue
        questions.append(
            {
                "id": q["id"],
                "title": q["title"],
                "kind": q["type"],
                "answered": q.get("answered"),
                "answers": [
                    {"label": str(a["answer"]), "count": a["count"], "share": a["share"]}
                    for a in q["answers"]
                ],
                "mean": q.get("mean"),
                "top2": q.get("top2"),
            }
        )
    features = [
        {
            "feature": f.feature,
            "name": {"zh": f.name, "en": f.name},
            "category": f.category,
            "better": f.better,
            "worse": f.worse,
            "counts": f.counts,
            "classified": f.classified,
        }
        for f in (kano.features if kano else [])
        if f.category is not None and f.better is not None and f.worse is not None
    ]
    competitors = [
        {
            "brand": c["brand"],
            "ours": c.get("ours", False),
            "responses": c.get("rated") or c.get("bought") or 0,
            "mean": c.get("mean"),
            "top2": c.get("top2"),
            "share": c.get("bought_share"),
        }
        for c in analysis.competitors
    ]
    sample = asdict(validity.sample)
    return {
        "id": ident,
        "title": analysis.title,
        "responses": validity.responses,
        "valid": validity.valid,
        "invalid": validity.invalid,
        "linked": analysis.linked,
        "reasons": [{"label": r["label"], "responses": r["responses"]} for r in validity.by_reason],
        "sample": sample,
        "warnings": [sample["message"]] if not sample["ok"] and sample.get("message") else [],
        "questions": questions[:MAX_QUESTIONS],
        "kano": {
            "features": features,
            "tie_rule": kano.tie_rule if kano else None,
            "order_rule": kano.order_rule if kano else None,
        },
        "competitors": competitors,
    }


TOP_THEMES_PER_SEGMENT = 3
CLOUD_WORDS = 60


def pain_points(ws: Workspace, group: str | None, lang: str) -> dict[str, Any] | None:
    """Pain-point themes over the customers with feedback, per segment of ``group`` (the
    report's segment group), and the keywords for the word cloud; None without feedback."""
    e = ws.engine
    if not e.table_exists("feedback") or not e.count("feedback"):
        return None
    with_segments = e.table_exists("segment_members") and group is not None
    points = ws.pain_points(group=group if with_segments else None, lang=lang)
    overall = points.overall
    themes = [
        {
            "id": t.theme,
            "name": dict(t.name),
            "kind": t.kind,
            "customers": t.customers,
            "share": t.share,
            "feedback": t.feedback,
            "mean_rating": t.mean_rating,
        }
        for t in overall.themes
        if t.kind == "pain" and t.customers
    ]
    by_segment = []
    for scope in points.segments:
        pains = [t for t in scope.themes if t.kind == "pain" and t.customers]
        for t in pains[:TOP_THEMES_PER_SEGMENT]:
            by_segment.append(
                {
                    "segment": scope.key,
                    "segment_name": (scope.name or {}).get(lang) or scope.key,
                    "theme": t.theme,
                    "name": dict(t.name),
                    "share": t.share,
                }
            )
    keywords = ws.feedback_keywords(top=CLOUD_WORDS)
    return {
        "texts": overall.texts,
        "customers_with_feedback": overall.customers,
        "themes": themes,
        "by_segment": by_segment,
        "keywords": dict(keywords.cloud),
        "keywords_read": keywords.texts_read,
    }
