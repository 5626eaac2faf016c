"""Customer models and the summaries they are fitted on."""

from __future__ import annotations

from huaxiang.models.beta_geo import BetaGeoFitter, ModifiedBetaGeoFitter
from huaxiang.models.fitting import BaseFitter, NotFittedError
from huaxiang.models.gamma_gamma import GammaGammaFitter
from huaxiang.models.pareto_nbd import ParetoNBDFitter
from huaxiang.models.rfm_summary import rfm_summary

__all__ = [
    "BaseFitter",
    "BetaGeoFitter",
    "GammaGammaFitter",
    "ModifiedBetaGeoFitter",
    "NotFittedError",
    "ParetoNBDFitter",
    "rfm_summary",
]
