"""The analysis report (seed 004): numbers from the warehouse, conclusions tied to strategies,
charts, and HTML / PDF / Excel output."""

from huaxiang.report.build import (
    FORMATS,
    ReportResult,
    collect_report,
    write_report,
    write_reports,
)
from huaxiang.report.definition import ReportDefinition, StrategyRow, load_report_definition

__all__ = [
    "FORMATS",
    "ReportDefinition",
    "ReportResult",
    "StrategyRow",
    "collect_report",
    "load_report_definition",
    "write_report",
    "write_reports",
]
