"""Fixtures shared by the functional tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from huaxiang.demo import create_demo_workspace

DEMO_CUSTOMERS = 3_000


@pytest.fixture(scope="session")
def built_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace, ingested, cleaned and with its tags built (do not modify: copy it)."""
    root = tmp_path_factory.mktemp("built-demo") / "shop"
    with create_demo_workspace(root, customers=DEMO_CUSTOMERS, seed=7) as ws:
        ws.ingest()
        ws.clean()
        ws.build_tags()
    return root


@pytest.fixture
def built_demo(built_demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the built demo workspace, free to change."""
    target = tmp_path / "shop"
    shutil.copytree(built_demo_template, target)
    return target
