"""The warehouse's default memory budget: half of what the process may use, bounded."""

from __future__ import annotations

import pytest

from huaxiang.engine.duckdb_engine import Engine, default_memory_limit

GIB = 1 << 30


@pytest.mark.parametrize(
    ("physical", "cgroup", "expected"),
    [
        (24 * GIB, "max", "8192MiB"),  # capped at 8 GiB
        (8 * GIB, "max", "4096MiB"),  # half of a laptop
        (64 * GIB, str(6 * GIB), "3072MiB"),  # a container's limit is lower than the host's
        (GIB, "max", "1024MiB"),  # never below 1 GiB
        (0, "max", "4GiB"),  # nothing readable
    ],
)
def test_default_memory_limit(physical: int, cgroup: str, expected: str) -> None:
    assert default_memory_limit(physical, cgroup) == expected


def test_the_engine_uses_the_default_and_a_configured_limit() -> None:
    def budget(engine: Engine) -> int:
        text = engine.scalar("select current_setting('memory_limit')")
        number, unit = str(text).split()
        assert unit == "GiB"
        return round(float(number) * GIB)

    default = default_memory_limit()
    assert default.endswith("MiB") or default == "4GiB"
    expected = int(default[:-3]) << 20 if default.endswith("MiB") else 4 * GIB
    assert abs(budget(Engine(None)) - expected) < 0.01 * GIB
    assert abs(budget(Engine(None, memory_limit="2GiB")) - 2 * GIB) < 0.01 * GIB
