"""Survey analysis: definitions of questionnaire exports, response validity, distributions and
cross-tabs by segment, KANO and the competitor comparison (see docs/surveys.md)."""

from huaxiang.surveys.analysis import SegmentRef, SurveyAnalysis, analyse
from huaxiang.surveys.kano import KanoAnalysis, KanoFeatureResult, kano_analysis
from huaxiang.surveys.loader import SurveyCatalog, load_surveys
from huaxiang.surveys.models import ALL, Survey
from huaxiang.surveys.resolve import resolve
from huaxiang.surveys.responses import Resolved, open_text_sql
from huaxiang.surveys.validity import VALIDITY_TABLE, SampleCheck, Validity, check_validity

__all__ = [
    "ALL",
    "VALIDITY_TABLE",
    "KanoAnalysis",
    "KanoFeatureResult",
    "Resolved",
    "SampleCheck",
    "SegmentRef",
    "Survey",
    "SurveyAnalysis",
    "SurveyCatalog",
    "Validity",
    "analyse",
    "check_validity",
    "kano_analysis",
    "load_surveys",
    "open_text_sql",
    "resolve",
]
