"""Delimited text (CSV, TSV, any single-character delimiter) into the staging relations."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Sequence
from pathlib import Path

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine, quote_ident, quote_str
from huaxiang.errors import DataError, EngineError, Location
from huaxiang.ingest.encoding import CHUNK, utf8_text
from huaxiang.ingest.scan import FileScan, scan_file
from huaxiang.ingest.staging import (
    HEADER_LIMIT,
    MAX_LINE,
    REJECTS,
    STAGE,
    STAGE_READ,
    duckdb_reason,
    fresh_name,
    unique_headers,
)


def stage_csv(
    engine: Engine, path: Path, source: SourceConfig, *, tab: bool, scan: FileScan | None = None
) -> str:
    with tempfile.TemporaryDirectory(prefix="huaxiang-") as tmp:
        encoding, readable = utf8_text(path, source.encoding, Path(tmp))
        mixed, lines = _line_endings(readable, scan if readable == path else None)
        if mixed:
            # DuckDB's strict reader refuses a file whose lines end in both \r\n and \n
            readable = _normalise_newlines(readable, Path(tmp) / "lf.csv")
        header = _first_line(readable)
        if not header.strip():
            raise DataError(
                "the first line (the header) is empty",
                location=Location(str(path), line=1),
                hint="the first line must name the columns",
            )
        delim = source.delimiter or ("\t" if tab else _sniff_delimiter(header))
        options = (
            "all_varchar = true, header = true, delim = ?, quote = '\"', escape = '\"', "
            f"store_rejects = true, max_line_size = {MAX_LINE}, null_padding = false, "
            "strict_mode = true"
        )
        try:
            _read_csv(engine, readable, delim, f"auto_detect = true, skip = 0, {options}")
        except EngineError as exc:
            # DuckDB's dialect detection failed (a line over the size limit, quotes inside a
            # value): read again with the header's own names, so that only the broken lines
            # are rejected
            names = _header_names(header, delim)
            spec = ", ".join(f"{quote_str(name)}: 'VARCHAR'" for name in names)
            try:
                if len(header.encode()) >= HEADER_LIMIT:
                    raise exc
                _read_csv(
                    engine,
                    readable,
                    delim,
                    f"auto_detect = false, columns = {{{spec}}}, {options}",
                )
            except EngineError:
                raise DataError(
                    f"cannot be read as delimited text: {duckdb_reason(exc)}",
                    location=Location(str(path)),
                    hint=f"check the delimiter ({delim!r}) and the quoting, or set 'delimiter:'",
                ) from None
        # one reject per line, even when the reader reports several errors on it
        engine.execute(
            f"insert into {REJECTS} select line, string_agg(distinct column_name, ', '), "
            "string_agg(distinct error_type || ': ' || error_message, '; '), "
            "any_value(csv_line) from reject_errors group by line"
        )
        # with one column an empty line is a record (an empty value); with more the reader
        # drops it, but a spreadsheet still shows it as a row. When every line is the header,
        # a record or a rejected line there is nothing to look for.
        columns = engine.columns(STAGE)
        accounted = 1 + engine.count(STAGE) + engine.count(REJECTS)
        blanks = _blank_records(readable, delim) if lines != accounted and len(columns) > 1 else []
        _number_rows(engine, columns, blanks)
    return encoding


def _read_csv(engine: Engine, path: Path, delim: str, options: str) -> None:
    engine.execute("drop table if exists reject_errors")
    engine.execute("drop table if exists reject_scans")
    engine.drop(STAGE)
    engine.execute(
        f"create temp table {STAGE} as select * from read_csv(?, {options})", [str(path), delim]
    )


def _header_names(header: str, delim: str) -> list[str]:
    line = header.lstrip("\ufeff").rstrip("\r\n")
    try:
        names = next(csv.reader([line], delimiter=delim, quotechar='"'), [])
    except (csv.Error, TypeError):  # a multi-character delimiter, a field over csv's limit
        names = line.split(delim)
    return unique_headers(names)


def _first_line(path: Path) -> str:
    with path.open("rb") as fh:
        line = fh.readline(HEADER_LIMIT)
    # a bad byte in the header shows as U+FFFD; the reader rejects bad bytes in records
    return line.decode("utf-8-sig", errors="replace")


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _blank_records(path: Path, delim: str) -> list[int]:
    """Record numbers (header = 1) of the empty lines of a delimited file.

    Follows the reader's quoting (a quote opens only at the start of a field, ``""`` inside
    quotes is a quote) so that empty lines inside a quoted value are not counted as records.
    """
    blanks: list[int] = []
    record = 0
    quoted = False
    with path.open("r", encoding="utf-8-sig", newline="\n") as fh:
        for line in fh:
            if not quoted:
                record += 1
                if line in ("\n", "\r\n"):
                    blanks.append(record)
                    continue
            if '"' in line:
                quoted = _still_quoted(line, delim, quoted)
    return blanks


def _line_endings(path: Path, scan: FileScan | None = None) -> tuple[bool, int]:
    """Whether lines end in both \r\n and \n; the number of lines (``scan``: the file's
    scan, when it is at hand)."""
    scan = scan or scan_file(path, sha256=False)
    lines = scan.lines
    if not scan.has_cr:  # the common case: the scan tells
        return False, lines
    lf = 0
    crlf = 0
    tail = b""
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            crlf += block.count(b"\r\n") + (tail == b"\r" and block.startswith(b"\n"))
            lf += block.count(b"\n")
            tail = block[-1:]
    return 0 < crlf < lf, lines


def _normalise_newlines(path: Path, dest: Path) -> Path:
    """Copy ``path`` to ``dest`` with every \r\n turned into \n."""
    with path.open("rb") as src, dest.open("wb") as out:
        carry = b""
        while block := src.read(CHUNK):
            block = carry + block
            carry = b"\r" if block.endswith(b"\r") else b""
            out.write(block[: len(block) - len(carry)].replace(b"\r\n", b"\n"))
        out.write(carry)
    return dest


def _still_quoted(line: str, delim: str, quoted: bool) -> bool:
    """Whether a quoted value is still open at the end of ``line``."""
    i, n = 0, len(line)
    field_start = not quoted
    while i < n:
        if quoted:
            j = line.find('"', i)
            if j < 0:
                return True
            if line.startswith('"', j + 1):  # "" inside quotes is one quote
                i = j + 2
                continue
            quoted, field_start, i = False, False, j + 1
        elif field_start and line.startswith('"', i):
            quoted, i = True, i + 1
        else:
            j = line.find(delim, i)
            if j < 0:
                return False
            field_start, i = True, j + len(delim)
    return quoted


def _number_rows(engine: Engine, columns: list[str], blanks: Sequence[int]) -> None:
    """Give the staged rows their spreadsheet row numbers, skipping the rows not in ``stage``:
    the rejected lines and the empty ones.

    The k-th staged record sits at data position k + #(skipped positions s_j with
    s_j - rank(s_j) < k); row = position + 1 for the header. Source columns whose names clash
    with ``_row`` are renamed (``_row_1``).
    """
    # a column called rowid hides DuckDB's row id, which is the order the rows were read in
    current = list(columns)
    for i, name in enumerate(columns):
        if name.lower() == "rowid":
            current[i] = fresh_name("hx_rowid", columns)
            engine.execute(
                f"alter table {STAGE} rename column {quote_ident(name)} to "
                f"{quote_ident(current[i])}"
            )
    names = unique_headers(columns)
    k = fresh_name("hx_k", [*columns, *current, *names])
    cols = "".join(
        f"acc.{quote_ident(c)} as {quote_ident(n)}, " for c, n in zip(current, names, strict=True)
    )
    # the stage was just created from the reader, so rowid is the read order 0..n-1; the
    # count of skipped positions below each record comes from an ASOF join (sort-merge)
    # because gap = pos - rank never decreases
    # `stage` becomes a view over the rows as read: the numbering is computed once, while
    # the load copies the rows into the raw table, instead of in a copy of its own
    engine.drop(STAGE_READ)
    engine.execute(f"alter table {STAGE} rename to {STAGE_READ}")
    # the few skipped positions, grouped by gap (a view cannot take parameters)
    engine.execute(
        "create or replace temp table stage_gaps as "
        f"with skipped as (select _row from {REJECTS} union select unnest(?::bigint[])), "
        f"rj as (select _row - 1 as pos, row_number() over (order by _row) as rnk from skipped) "
        f"select pos - rnk as gap, max(rnk) as rnk from rj group by all",
        [list(blanks)],
    )
    if not engine.count("stage_gaps"):
        # the common case, nothing skipped: the row is the read position after the header
        engine.execute(
            f"create temp view {STAGE} as select {cols}acc.rowid + 2 as _row from {STAGE_READ} acc"
        )
        return
    engine.execute(
        f"create temp view {STAGE} as "
        f"with acc as (select *, rowid + 1 as {k} from {STAGE_READ}) "
        f"select {cols}acc.{k} + 1 + coalesce(g.rnk, 0) as _row "
        f"from acc asof left join stage_gaps g on acc.{k} > g.gap"
    )
