"""What every reader writes: the staging relations, their limits, and shared helpers.

``stage`` holds the source's own headers as VARCHAR columns plus ``_row`` (the row number a
spreadsheet or editor shows); ``stage_rejects`` holds the rows that could not be read at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from huaxiang.errors import EngineError

STAGE = "stage"
STAGE_READ = "stage_read"  # the rows as read, under the numbering view `stage`
REJECTS = "stage_rejects"
MAX_LINE = 4_000_000  # bytes; longer lines are rejected, not read
HEADER_LIMIT = 1 << 20  # bytes of the header line read in Python


def fresh_name(base: str, taken: Sequence[str]) -> str:
    lower = {t.lower() for t in taken}
    name, n = base, 0
    while name.lower() in lower:
        n += 1
        name = f"{base}_{n}"
    return name


def unique_headers(texts: Sequence[str | None]) -> list[str]:
    """Column names for a header: blanks become ``columnN``; a repeated name (compared ignoring
    case, as SQL does) gets ``_1``, ``_2``...; ``_row`` is taken by the row number."""
    taken = {"_row"}
    out = []
    for i, t in enumerate(texts):
        base = (t or "").strip() or f"column{i + 1}"
        name, n = base, 0
        while name.lower() in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name.lower())
        out.append(name)
    return out


def duckdb_reason(exc: EngineError) -> str:
    """The gist of DuckDB's own message (without the statement huaxiang generated)."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    if any(line.startswith("Maximum line size") for line in lines):
        return f"a line is longer than {MAX_LINE:,} bytes"
    return lines[0] if lines else type(cause).__name__
