"""huaxiang (画像): customer profiling and segmentation workbench.

The public API is small on purpose: open a :class:`Workspace` and call its methods.
"""

from __future__ import annotations

from huaxiang.errors import HuaxiangError
from huaxiang.workspace import Workspace

__version__ = "0.1.0"
__all__ = ["HuaxiangError", "Workspace", "__version__"]
