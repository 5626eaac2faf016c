"""huaxiang (画像): customer profiling and segmentation workbench.

The public API is small on purpose: open a :class:`Workspace` and call its methods;
:func:`rfm_summary` turns any transaction log into the per-customer frequency / recency / T /
monetary summary that lifetimes users know.
"""

from __future__ import annotations

from huaxiang.errors import HuaxiangError
from huaxiang.models import rfm_summary
from huaxiang.workspace import Workspace

__version__ = "0.1.0"
__all__ = ["HuaxiangError", "Workspace", "__version__", "rfm_summary"]
