"""Building the analysis report: collect the numbers, draw the conclusions and the summary,
draw the charts, write HTML, PDF or Excel.

Each section is collected on its own; a section whose data is missing (no survey, no segments,
no value model yet) says so in the report instead of failing the whole report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from huaxiang.errors import UsageError
from huaxiang.report import collect, voice
from huaxiang.report.definition import load_report_definition
from huaxiang.report.figures import build_figures
from huaxiang.report.findings import conclusions, summary
from huaxiang.report.render import Lang, Report, render_html

if TYPE_CHECKING:
    from huaxiang.personas import PersonaCard
    from huaxiang.workspace import Workspace

Format = Literal["html", "pdf", "xlsx"]
FORMATS: tuple[Format, ...] = ("html", "pdf", "xlsx")


@dataclass(frozen=True)
class ReportResult:
    path: Path
    format: Format
    lang: str
    conclusions: int
    with_strategy: int
    summary: str
    seconds: dict[str, float]  # per step, for the curious and the benchmark

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "lang": self.lang,
            "conclusions": self.conclusions,
            "with_strategy": self.with_strategy,
            "summary": self.summary,
            "seconds": self.seconds,
        }


def collect_report(
    ws: Workspace,
    lang: Lang,
    timings: dict[str, float] | None = None,
    cards: list[PersonaCard] | None = None,
) -> Report:
    """Every section's numbers, the conclusions and the summary (no charts yet); ``cards``:
    the persona cards when the caller has drawn them already, in ``lang``."""
    definition = load_report_definition(ws.root)
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("meta", lambda: collect.meta(ws, lang)),
        ("sources", lambda: collect.sources(ws)),
        ("quality", lambda: collect.quality(ws)),
        ("segments", lambda: collect.segments(ws, lang)),
        ("personas", lambda: collect.personas(ws, lang, cards)),
        ("value", lambda: collect.value(ws, lang)),
        ("migration", lambda: collect.migration(ws)),
        ("survey", lambda: voice.survey(ws, definition.survey, lang)),
        ("pain", lambda: voice.pain_points(ws, _group(ws, definition.segment_group), lang)),
    ]
    data: dict[str, Any] = {}
    with ws.console.progress("report: collecting", total=len(steps)) as task:
        for name, step in steps:
            started = time.perf_counter()
            result = step()
            if name == "survey" and result:
                data["kano"] = result.pop("kano", None)
                data["competitors"] = result.pop("competitors", None)
            data[name] = result
            if timings is not None:
                timings[name] = round(time.perf_counter() - started, 3)
            task.advance()
    found = conclusions(data, definition)
    return Report(lang, data, definition, found, summary(data, found, definition, lang))


def _group(ws: Workspace, group: str | None) -> str | None:
    groups = ws.segment_catalog().groups()
    if group is not None and group not in groups:
        raise UsageError(
            f"report.yaml: segment_group {group!r} is not a segment group",
            hint=f"groups: {', '.join(groups) or '(none)'}",
        )
    return group or next(iter(groups), None)


def write_report(
    ws: Workspace,
    fmt: str,
    lang: str,
    path: Path | None = None,
    cards: list[PersonaCard] | None = None,
) -> ReportResult:
    """Write the report in one format (to ``path``, or ``report.<lang>.<fmt>`` among the
    workspace's reports)."""
    return write_reports(ws, [fmt], lang, {fmt: path} if path else None, cards)[0]


def write_reports(
    ws: Workspace,
    formats: Sequence[str],
    lang: str,
    paths: dict[str, Path] | None = None,
    cards: list[PersonaCard] | None = None,
) -> list[ReportResult]:
    """Write the report in several formats from one collection of its numbers."""
    for fmt in formats:
        if fmt not in FORMATS:
            raise UsageError(f"unknown report format {fmt!r}", hint="use html, pdf or xlsx")
    if lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}", hint="use zh or en")
    collected: dict[str, float] = {}
    report = collect_report(ws, cast(Lang, lang), collected, cards)
    results = []
    for fmt in formats:
        target = (paths or {}).get(fmt) or ws.reports_dir / f"report.{lang}.{fmt}"
        timings = dict(collected)
        _write(ws, report, cast(Format, fmt), target, timings)
        results.append(
            ReportResult(
                path=target,
                format=cast(Format, fmt),
                lang=lang,
                conclusions=len(report.conclusions),
                with_strategy=sum(1 for c in report.conclusions if c.strategies),
                summary=report.summary,
                seconds=timings,
            )
        )
    return results


def _write(
    ws: Workspace, report: Report, fmt: Format, target: Path, timings: dict[str, float]
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if fmt == "xlsx":
        from huaxiang.report.workbook import write_workbook

        write_workbook(ws, report, target)
    else:
        report.figures, report.runtime = build_figures(report, interactive=fmt == "html")
        timings["charts"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        if fmt == "html":
            target.write_text(render_html(report, "html"), encoding="utf-8")
        else:
            from huaxiang.report.pdf import write_pdf

            write_pdf(render_html(report, "print"), target)
    timings["write"] = round(time.perf_counter() - started, 3)
