"""The analysis-report part of the :class:`~huaxiang.workspace.Workspace` facade."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from huaxiang.report import ReportResult, write_report, write_reports

if TYPE_CHECKING:
    from huaxiang.personas import PersonaCard
    from huaxiang.workspace import Workspace


class ReportMixin:
    def report(
        self, fmt: str = "html", *, lang: str | None = None, path: Path | None = None
    ) -> ReportResult:
        """Write the analysis report (html, pdf or xlsx; zh or en) and say where it is.

        Sections without data (no survey yet, no second segment build) say so in the report.
        """
        ws = cast("Workspace", self)  # a mixin of the facade: self is the Workspace
        return write_report(ws, fmt, ws.language(lang), path)

    def reports(
        self,
        formats: Sequence[str] = ("html", "pdf"),
        *,
        lang: str | None = None,
        cards: list[PersonaCard] | None = None,
    ) -> list[ReportResult]:
        """Write the report in several formats from one collection of its numbers, to the
        workspace's reports folder. ``cards``: persona cards drawn already, in ``lang`` (a
        build draws them once for the cards page and the report)."""
        ws = cast("Workspace", self)
        return write_reports(ws, formats, ws.language(lang), cards=cards)
