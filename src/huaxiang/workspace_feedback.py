"""The feedback part of the :class:`~huaxiang.workspace.Workspace` facade: pain-point themes of
the customers' feedback (overall, per segment, per channel), keywords for word clouds, and the
effective lexicon. Every result is plain data (dataclasses with ``as_dict()``)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Protocol

from huaxiang.definitions.models import Text
from huaxiang.definitions.segments import SegmentCatalog
from huaxiang.engine.duckdb_engine import Engine, quote_str
from huaxiang.errors import UsageError
from huaxiang.feedback import (
    FeedbackKeywords,
    Lexicon,
    PainPoints,
    feedback_keywords,
    load_lexicon,
    theme_shares,
)
from huaxiang.feedback.keywords import (
    MIN_CUSTOMERS,
    SAMPLE,
    keywords_by_segment,
    workspace_vocabulary,
)
from huaxiang.segments.analytics import require_members

Label = dict[str, str]


class FeedbackCore(Protocol):
    root: Path

    @property
    def engine(self) -> Engine: ...

    def language(self, lang: str | None = None) -> str: ...

    def segment_catalog(self) -> SegmentCatalog: ...


class FeedbackMixin:
    def feedback_lexicon(self: FeedbackCore) -> Lexicon:
        """The pain-point lexicon in effect: the built-in one changed by the workspace's
        ``feedback/pain_points.yaml`` (ConfigError lists every problem of the file)."""
        return load_lexicon(self.root)

    def pain_points(
        self: FeedbackCore,
        *,
        by_segment: bool = False,
        by_channel: bool = False,
        group: str | None = None,
        lang: str | None = None,
    ) -> PainPoints:
        """Per theme of the lexicon: the feedback texts and the customers mentioning it, their
        share of the customers who left feedback and the mean rating of those texts; texts
        with no theme as ``other``. With ``by_segment`` the same per segment of the latest
        build (those of exclusivity ``group`` only, when given), with ``by_channel`` per
        feedback channel."""
        lexicon = load_lexicon(self.root)
        segments = run = None
        if by_segment or group is not None:
            segments = _segments(self, group)
            run = _latest_segment_run(self.engine)
        return theme_shares(
            self.engine,
            lexicon,
            lang=self.language(lang),
            segments=segments,
            by_channel=by_channel,
            segment_run=run,
        )

    def feedback_keywords(
        self: FeedbackCore,
        method: str = "tfidf",
        segment: str | None = None,
        top: int = 50,
        *,
        min_customers: int = MIN_CUSTOMERS,
        sample: int = SAMPLE,
    ) -> FeedbackKeywords:
        """The ``top`` keywords (TF-IDF or TextRank) of all feedback, or of one segment's
        customers in the latest build, with relative weights (``.cloud`` is ``{word:
        weight}``); only words at least ``min_customers`` customers used, read from a sample
        of at most ``sample`` texts of the scope."""
        members: str | None = None
        name: Label | None = None
        if segment is not None:
            require_members(self.engine)
            catalog = self.segment_catalog()
            if segment not in catalog.segments:
                raise _unknown(segment, list(catalog.segments), "segment")
            name = _label(catalog.segments[segment].name)
            members = "select customer_id from segment_members where segment_id = "
            members += quote_str(segment)
        return feedback_keywords(
            self.engine,
            workspace_vocabulary(self.root),
            members_sql=members,
            segment=segment,
            segment_name=name,
            method=method,
            top=top,
            min_customers=min_customers,
            sample=sample,
        )

    def export_word_cloud(
        self: FeedbackCore, result: FeedbackKeywords, path: Path, lang: str | None = None
    ) -> Path:
        """Draw ``result`` (from :meth:`feedback_keywords`) as a word cloud (.png or .svg)."""
        return write_word_cloud(result, path, self.language(lang))

    def feedback_keywords_by_segment(
        self: FeedbackCore,
        method: str = "tfidf",
        top: int = 50,
        *,
        group: str | None = None,
        min_customers: int = MIN_CUSTOMERS,
        sample: int = SAMPLE,
    ) -> list[FeedbackKeywords]:
        """The keywords of all feedback (first, ``segment`` None), then of every segment with
        members in the latest build (those of ``group`` only, when given), from one sample of
        at most ``sample`` texts segmented once: a report's word clouds."""
        return keywords_by_segment(
            self.engine,
            workspace_vocabulary(self.root),
            _segments(self, group),
            method=method,
            top=top,
            min_customers=min_customers,
            sample=sample,
        )


def write_word_cloud(result: FeedbackKeywords, path: Path, lang: str) -> Path:
    """The keywords as a word cloud image: PNG or SVG by the file's suffix (CJK font)."""
    from huaxiang import charts

    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise UsageError(
            f"cannot write a word cloud to {path.name}", hint="use a .png or .svg name"
        )
    if not result.cloud:
        raise UsageError(
            "no keywords to draw",
            hint="fewer customers used any word than --min-customers; lower it or add feedback",
        )
    name = (result.segment_name or {}).get(lang) if result.segment_name else None
    title = name or ("反馈关键词" if lang == "zh" else "Feedback keywords")
    chart = charts.wordcloud(result.cloud, title=title, lang="zh" if lang == "zh" else "en")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".png":
        path.write_bytes(charts.to_png(chart))
    else:
        path.write_text(charts.to_svg(chart), encoding="utf-8")
    return path


def _segments(ws: FeedbackCore, group: str | None) -> list[tuple[str, Label]]:
    """(id, name) of the segments with members in the latest build, in catalog order."""
    require_members(ws.engine)
    catalog = ws.segment_catalog()
    if group is not None and group not in catalog.groups():
        raise _unknown(group, list(catalog.groups()), "group")
    populated = {
        str(r[0]) for r in ws.engine.rows("select distinct segment_id from segment_members")
    }
    return [
        (s.id, _label(s.name))
        for s in catalog.segments.values()
        if s.id in populated and (group is None or s.group == group)
    ]


def _label(text: Text) -> Label:
    return {"zh": text.get("zh"), "en": text.get("en")}


def _latest_segment_run(engine: Engine) -> str | None:
    if not engine.table_exists("hx_segment_runs"):
        return None
    run = engine.scalar("select run_id from hx_segment_runs order by built_at desc limit 1")
    return None if run is None else str(run)


def _unknown(name: str, known: list[str], what: str) -> UsageError:
    close = difflib.get_close_matches(name, known, n=1)
    return UsageError(
        f"unknown {what} {name!r}",
        hint=f"did you mean {close[0]!r}?" if close else "see: huaxiang segments list",
    )
