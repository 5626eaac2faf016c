"""Readers: any supported input -> a staging table of text columns in the warehouse.

Every reader produces the same thing: a temporary table ``stage`` whose columns are the source's
own headers (all VARCHAR, values untouched) plus ``_row``, the row number as a spreadsheet shows it
(header = 1), and a table ``stage_rejects`` with rows that could not be read at all (ragged rows,
broken JSON, oversized fields) and why. Typing and cleaning happen later, in SQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import DataError, EngineError, Location
from huaxiang.ingest.encoding import CHUNK, detect_encoding, transcode_to_utf8

STAGE = "stage"
STAGE_READ = "stage_read"  # the rows as read, under the numbering view `stage`
REJECTS = "stage_rejects"
MAX_LINE = 4_000_000  # bytes; longer lines are rejected, not read
HEADER_LIMIT = 1 << 20  # characters of the header line read in Python
_SUFFIX_FORMAT = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@dataclass(frozen=True)
class Staged:
    format: str
    encoding: str | None
    headers: list[str]
    rows_read: int
    rows_rejected: int


def detect_format(source: SourceConfig, path: Path | None) -> str:
    if source.format != "auto":
        return source.format
    if source.url or source.query:
        return "sql"
    assert path is not None
    fmt = _SUFFIX_FORMAT.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"cannot tell the format of {path.name!r} from its extension",
            location=Location(str(path)),
            hint="set format: csv | tsv | xlsx | parquet | jsonl in the source",
        )
    return fmt


def stage(engine: Engine, source: SourceConfig, path: Path | None) -> Staged:
    """Read one source into the staging tables (replacing earlier staging)."""
    fmt = detect_format(source, path)
    engine.execute(f"drop table if exists {REJECTS}")
    engine.execute(
        f"create temp table {REJECTS} (_row bigint, column_name varchar, reason varchar, "
        "raw varchar)"
    )
    engine.drop(STAGE)
    engine.drop(STAGE_READ)
    if fmt == "sql":
        encoding = None
        _stage_arrow(engine, _read_sql(source))
    else:
        assert path is not None
        if not path.exists():
            raise DataError("file not found", location=Location(str(path)))
        if not path.is_file():
            raise DataError("not a file", location=Location(str(path)))
        if path.stat().st_size == 0:
            raise DataError(
                "the file is empty", location=Location(str(path)), hint="export it again"
            )
        encoding = None
        if fmt in ("csv", "tsv"):
            encoding = _stage_csv(engine, path, source, tab=fmt == "tsv")
        elif fmt == "jsonl":
            encoding = _stage_jsonl(engine, path, source)
        elif fmt == "xlsx":
            _stage_arrow(engine, _read_xlsx(path, source.sheet))
        elif fmt == "parquet":
            _stage_parquet(engine, path)
    headers = [c for c in engine.columns(STAGE) if c != "_row"]
    accepted = engine.count(STAGE)
    rejected = engine.count(REJECTS)
    return Staged(fmt, encoding, headers, accepted + rejected, rejected)


# -- delimited text -------------------------------------------------------------------------
def _stage_csv(engine: Engine, path: Path, source: SourceConfig, *, tab: bool) -> str:
    encoding = detect_encoding(path, source.encoding)
    with tempfile.TemporaryDirectory(prefix="huaxiang-") as tmp:
        readable = path
        if encoding not in ("utf-8", "utf-8-sig"):
            readable = transcode_to_utf8(path, encoding, Path(tmp) / "utf8.csv")
        mixed, has_empty = _line_endings(readable)
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
            spec = ", ".join(
                f"{_sql_str(name)}: 'VARCHAR'" for name in _header_names(header, delim)
            )
            try:
                if len(header) >= HEADER_LIMIT:
                    raise exc
                _read_csv(
                    engine,
                    readable,
                    delim,
                    f"auto_detect = false, columns = {{{spec}}}, {options}",
                )
            except EngineError:
                raise DataError(
                    f"cannot be read as delimited text: {_duckdb_reason(exc)}",
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
        # drops it, but a spreadsheet still shows it as a row
        columns = engine.columns(STAGE)
        blanks = _blank_records(readable, delim) if has_empty and len(columns) > 1 else []
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
    return _unique_headers(names)


def _duckdb_reason(exc: EngineError) -> str:
    """The gist of DuckDB's own message (without the statement huaxiang generated)."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    if any(line.startswith("Maximum line size") for line in lines):
        return f"a line is longer than {MAX_LINE:,} bytes"
    return lines[0] if lines else type(cause).__name__


def _first_line(path: Path) -> str:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        return fh.readline(HEADER_LIMIT)


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


def _line_endings(path: Path) -> tuple[bool, bool]:
    """Whether lines end in both \r\n and \n; whether any line is empty."""
    crlf = lf = 0
    empty = False
    tail = b""
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            lf += block.count(b"\n")
            crlf += block.count(b"\r\n") + (tail.endswith(b"\r") and block.startswith(b"\n"))
            joined = tail + block
            empty = empty or b"\n\n" in joined or b"\n\r\n" in joined
            tail = joined[-2:]
    return 0 < crlf < lf, empty


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
            current[i] = _fresh("hx_rowid", columns)
            engine.execute(
                f"alter table {STAGE} rename column {quote_ident(name)} to "
                f"{quote_ident(current[i])}"
            )
    names = _unique_headers(columns)
    k = _fresh("hx_k", [*columns, *current, *names])
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
    engine.execute(
        f"create temp view {STAGE} as "
        f"with acc as (select *, rowid + 1 as {k} from {STAGE_READ}) "
        f"select {cols}acc.{k} + 1 + coalesce(g.rnk, 0) as _row "
        f"from acc asof left join stage_gaps g on acc.{k} > g.gap"
    )


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fresh(base: str, taken: Sequence[str]) -> str:
    lower = {t.lower() for t in taken}
    name, n = base, 0
    while name.lower() in lower:
        n += 1
        name = f"{base}_{n}"
    return name


# -- JSON Lines -----------------------------------------------------------------------------
def _stage_jsonl(engine: Engine, path: Path, source: SourceConfig) -> str:
    encoding = detect_encoding(path, source.encoding)
    with tempfile.TemporaryDirectory(prefix="huaxiang-") as tmp:
        readable = path
        if encoding not in ("utf-8", "utf-8-sig"):
            readable = transcode_to_utf8(path, encoding, Path(tmp) / "utf8.jsonl")
        _read_lines(engine, readable, "jsonl_lines")
    # empty lines are not records (many writers end the file with one); they keep their numbers
    engine.execute(
        "create or replace temp table jsonl_class as select _row, line, case "
        "when line = '' or trim(line, ' \t\r') = '' then 'blank' "
        "when not json_valid(line) then 'malformed JSON' "
        "when json_type(line) <> 'OBJECT' then 'not a JSON object' end as problem "
        "from jsonl_lines"
    )
    engine.execute("drop table jsonl_lines")
    engine.execute(
        f"insert into {REJECTS} select _row, null, problem, line from jsonl_class "
        "where problem is not null and problem <> 'blank'"
    )
    # the text is valid JSON: keep it as text (the json functions read it), no cast pass
    engine.execute(
        "create or replace temp table jsonl_ok as select _row, line as j from jsonl_class "
        "where problem is null"
    )
    engine.execute("drop table jsonl_class")
    if not engine.count("jsonl_ok"):
        if engine.count(REJECTS):
            raise DataError(
                "no line of this file is a JSON object",
                location=Location(str(path), line=1),
                hint="JSON Lines means one {...} object per line",
            )
        raise DataError("the file has no records", location=Location(str(path)))
    keys = [
        r[0]
        for r in engine.rows(
            "select k from (select _row, unnest(json_keys(j)) as k, "
            "unnest(range(1, len(json_keys(j)) + 1)) as pos from jsonl_ok) "
            "group by k order by min(_row), arg_min(pos, _row), k"
        )
    ]
    if keys and all(_plain_json_key(k) for k in keys):
        # fast path: one parse per line extracts every key
        paths = "[" + ", ".join(_sql_str(f'$."{k}"') for k in keys) + "]"
        cols = "".join(
            f"v[{i}] as {quote_ident(name)}, "
            for i, name in enumerate(_unique_headers(keys), start=1)
        )
        engine.execute(
            f"create temp table {STAGE} as select {cols}_row from "
            f"(select _row, json_extract_string(j, {paths}) as v from jsonl_ok) order by _row"
        )
    else:
        _stage_json_members(engine, keys)
    for table in ("jsonl_ok", "jsonl_kv"):
        engine.execute(f"drop table if exists {table}")
    return encoding


def _plain_json_key(key: str) -> bool:
    """Keys a quoted JSON path can name without escaping."""
    return bool(key) and key != "*" and not any(ch in key for ch in '"\\')


def _stage_json_members(engine: Engine, keys: list[str]) -> None:
    """General path for keys a JSON path cannot name ('', '*', quotes, backslashes).

    One (row, key, text) per member; the first of repeated keys wins. json_each needs no
    JSON path, so any key is read as it is.
    """
    engine.execute(
        "create or replace temp table jsonl_kv as select o._row, e.key as k, "
        "e.value->>'$' as v, e.id from jsonl_ok o, json_each(o.j) e "
        "qualify row_number() over (partition by o._row, e.key order by e.id) = 1"
    )
    cols = "".join(
        f"any_value(kv.v) filter (where kv.k = ?) as {quote_ident(name)}, "
        for name in _unique_headers(keys)
    )
    engine.execute(
        f"create temp table {STAGE} as select {cols}o._row from jsonl_ok o "
        "left join jsonl_kv kv on kv._row = o._row group by o._row order by o._row",
        keys,
    )


def _read_lines(engine: Engine, path: Path, table: str, block: int = 1 << 24) -> None:
    """Split a UTF-8 file into ``table (_row, line)``, numbered as editors number lines.

    Works a block at a time with C-level splitting (no Python loop per line). Lines longer
    than ``MAX_LINE`` bytes are not read: they go to ``stage_rejects`` (with their first
    10,000 bytes) and memory stays bounded whatever the file holds.
    """
    engine.execute(f"create or replace temp table {table} (_row bigint, line varchar)")
    number = 0  # lines numbered so far
    carry = b""  # the unfinished last line of the previous block
    oversized = False  # inside a line that is already rejected as too long

    def emit(lines: list[bytes]) -> None:
        nonlocal number
        if number == 0 and lines and lines[0].startswith(b"\xef\xbb\xbf"):
            lines[0] = lines[0][3:]
        first = number + 1
        number += len(lines)
        if not lines:
            return
        arr = pa.array(lines, pa.binary())
        arr = pc.replace_substring_regex(arr, pattern="\r$", replacement="")
        try:
            text = arr.cast(pa.string())
        except pa.ArrowInvalid:
            raise DataError(
                "the file is not valid UTF-8", location=Location(str(path), line=first)
            ) from None
        engine.register(
            "lines_in",
            pa.table({"_row": pa.array(range(first, number + 1), pa.int64()), "line": text}),
        )
        try:
            engine.execute(f"insert into {table} select _row, line from lines_in")
        finally:
            engine.unregister("lines_in")

    def reject_long(head: bytes) -> None:
        nonlocal number
        number += 1
        engine.execute(
            f"insert into {REJECTS} values (?, null, ?, ?)",
            [
                number,
                f"line longer than {MAX_LINE:,} bytes",
                head[:10_000].decode("utf-8", errors="replace"),
            ],
        )

    with path.open("rb") as fh:
        while data := fh.read(block):
            if oversized:
                cut = data.find(b"\n")
                if cut < 0:
                    continue
                data = data[cut + 1 :]
                oversized = False
            data = carry + data
            parts = data.split(b"\n")
            carry = parts.pop()
            if any(len(p) > MAX_LINE for p in parts):
                run: list[bytes] = []
                for p in parts:
                    if len(p) > MAX_LINE:
                        emit(run)
                        run = []
                        reject_long(p)
                    else:
                        run.append(p)
                emit(run)
            else:
                emit(parts)
            if len(carry) > MAX_LINE:
                reject_long(carry)
                carry = b""
                oversized = True
    if carry and not oversized:
        emit([carry])


# -- Parquet --------------------------------------------------------------------------------
def _stage_parquet(engine: Engine, path: Path) -> None:
    try:
        described = engine.rows("describe select * from read_parquet(?)", [str(path)])
        names = [r[0] for r in described]
        # nested values (structs, lists, maps) become JSON text, as in JSON Lines
        cols = ", ".join(
            f"{_parquet_text(quote_ident(n), str(t))} as {quote_ident(alias)}"
            for (n, t, *_), alias in zip(described, _unique_headers(names), strict=True)
        )
        engine.execute(
            f"create temp table {STAGE} as select {cols}, "
            f"(row_number() over ()) + 1 as _row from read_parquet(?)",
            [str(path)],
        )
    except EngineError as exc:
        raise DataError(
            f"not a readable Parquet file ({_duckdb_reason(exc)})",
            location=Location(str(path)),
            hint="export it again",
        ) from None


def _parquet_text(column: str, sql_type: str) -> str:
    nested = sql_type.endswith("]") or sql_type.startswith(("STRUCT", "MAP", "UNION"))
    return f"to_json({column})::varchar" if nested else f"cast({column} as varchar)"


# -- Excel and SQL: rows arrive in Python, handed over as Arrow ------------------------------
def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):  # json / jsonb / array columns of a database
        return json.dumps(value, ensure_ascii=False, default=str)
    text = str(value)
    return text if text.strip() else None


def _read_xlsx(path: Path, sheet: str | int | None) -> pa.Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise DataError(
            f"not a readable .xlsx workbook ({exc.__class__.__name__})",
            location=Location(str(path)),
            hint="open it in Excel and save as .xlsx",
        ) from None
    try:
        names = book.sheetnames
        if sheet is None:
            ws = book[names[0]]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise DataError(
                    f"sheet index {sheet} does not exist",
                    location=Location(str(path)),
                    hint=f"sheets: {', '.join(names)}",
                )
            ws = book[names[sheet]]
        elif sheet in names:
            ws = book[sheet]
        else:
            raise DataError(
                f"no sheet named {sheet!r}",
                location=Location(str(path)),
                hint=f"sheets: {', '.join(names)}",
            )
        rows = ws.iter_rows(values_only=True)
        header_texts: list[str | None] | None = None
        data: list[list[str | None]] = []
        numbers: list[int] = []
        for index, row in enumerate(rows, start=1):
            texts = [_cell_text(v) for v in row]
            if header_texts is None:
                if any(texts):
                    header_texts = texts
                continue
            if any(texts):
                data.append(texts)
                numbers.append(index)
    except DataError:
        raise
    except Exception as exc:  # a damaged sheet, a chart sheet, ...
        raise DataError(
            f"cannot read the sheet ({exc.__class__.__name__}: {exc})",
            location=Location(str(path)),
            hint="open it in Excel and save as .xlsx",
        ) from None
    finally:
        book.close()
    if header_texts is None:
        raise DataError("the sheet is empty", location=Location(str(path)))
    # values right of the last header cell are kept, in columns named after their position
    width = max([len(header_texts)] + [max(i for i, t in enumerate(r) if t) + 1 for r in data])
    header = _unique_headers(header_texts + [None] * (width - len(header_texts)))
    columns = {
        name: pa.array([r[i] if i < len(r) else None for r in data], pa.string())
        for i, name in enumerate(header)
    }
    columns["_row"] = pa.array(numbers, pa.int64())
    return pa.table(columns)


def _unique_headers(texts: Sequence[str | None]) -> list[str]:
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


def _read_sql(source: SourceConfig) -> pa.Table:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    assert source.url and source.query
    sa = None
    try:
        sa = create_engine(source.url)
        with sa.connect() as con:
            result = con.execute(text(source.query))
            header = _unique_headers(list(result.keys()))
            chunks: list[list[Any]] = [[] for _ in header]
            for row in result:
                for i, value in enumerate(row):
                    chunks[i].append(_cell_text(value))
    except (SQLAlchemyError, ImportError) as exc:
        # ImportError: the URL names a database whose driver is not installed
        raise DataError(
            f"the query failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}",
            location=Location(f"source {source.name}"),
            hint="check the source's url and query (and that its database driver is installed)",
        ) from None
    finally:
        if sa is not None:
            sa.dispose()
    n = len(chunks[0]) if chunks else 0
    columns = {h: pa.array(c, pa.string()) for h, c in zip(header, chunks, strict=True)}
    columns["_row"] = pa.array(range(1, n + 1), pa.int64())
    return pa.table(columns)


def _stage_arrow(engine: Engine, table: pa.Table) -> None:
    engine.register("arrow_in", table)
    try:
        engine.execute(f"create temp table {STAGE} as select * from arrow_in")
    finally:
        engine.unregister("arrow_in")
