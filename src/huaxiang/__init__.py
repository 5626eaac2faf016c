"""huaxiang (画像): customer profiling and segmentation workbench."""

from __future__ import annotations

__version__ = "0.1.0"
