"""Customer models and the summaries they are fitted on."""

from __future__ import annotations

from huaxiang.models.rfm_summary import rfm_summary

__all__ = ["rfm_summary"]
