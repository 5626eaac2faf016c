"""Predicted customer value in a workspace: fitted models, scores, run records."""

from __future__ import annotations

from huaxiang.value.run import (
    MODELS,
    ValueFit,
    ValueScore,
    fit_value,
    latest_value_run,
    score_value,
    value_runs,
)

__all__ = [
    "MODELS",
    "ValueFit",
    "ValueScore",
    "fit_value",
    "latest_value_run",
    "score_value",
    "value_runs",
]
