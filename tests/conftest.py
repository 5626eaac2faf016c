"""Session-wide fixtures. Heavy lifting lives in ``tests/support``."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from huaxiang.engine.duckdb_engine import Engine
from support.pg_server import PostgresUnavailable, start_server


@pytest.fixture
def engine() -> Iterator[Engine]:
    """A fresh in-memory DuckDB warehouse."""
    eng = Engine(None)
    try:
        yield eng
    finally:
        eng.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Anything that needs the real server is a ``postgres`` test (select with -m postgres).
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLAlchemy URL of a real, empty PostgreSQL database private to this test session.

    Each xdist worker starts its own server on a free 127.0.0.1 port. Skipped when the
    server binaries are missing, except under CI (``CI`` set), where that is a failure.
    """
    try:
        server = start_server(tmp_path_factory.mktemp("postgres"))
    except PostgresUnavailable as exc:
        reason = str(exc)
    else:
        reason = ""
    if reason:
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"CI must not skip the PostgreSQL tests: {reason}", pytrace=False)
        pytest.skip(reason)
    try:
        yield server.url
    finally:
        server.stop()
