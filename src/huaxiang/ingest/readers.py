"""Readers: any supported input -> a staging table of text columns in the warehouse.

Every reader produces the same thing: a temporary table ``stage`` whose columns are the source's
own headers (all VARCHAR, values untouched) plus ``_row``, the row number as a spreadsheet shows it
(header = 1), and a table ``stage_rejects`` with rows that could not be read at all (ragged rows,
broken JSON, oversized fields) and why. Typing and cleaning happen later, in SQL.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import DataError, Location
from huaxiang.ingest.encoding import detect_encoding, transcode_to_utf8

STAGE = "stage"
REJECTS = "stage_rejects"
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
    engine.execute(f"drop table if exists {STAGE}")
    if fmt == "sql":
        encoding = None
        _stage_arrow(engine, _read_sql(source))
    else:
        assert path is not None
        if not path.exists():
            raise DataError("file not found", location=Location(str(path)))
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
        header = _first_line(readable)
        if not header.strip():
            raise DataError(
                "the first line (the header) is empty",
                location=Location(str(path), line=1),
                hint="the first line must name the columns",
            )
        delim = source.delimiter or ("\t" if tab else _sniff_delimiter(header))
        engine.execute("drop table if exists reject_errors")
        engine.execute("drop table if exists reject_scans")
        engine.execute(
            f"create temp table {STAGE} as select * from read_csv(?, all_varchar = true, "
            "header = true, delim = ?, quote = '\"', escape = '\"', store_rejects = true, "
            "auto_detect = true, max_line_size = 4000000, null_padding = false, "
            "strict_mode = true)",
            [str(readable), delim],
        )
        # one reject per line, even when the reader reports several errors on it
        _number_rows(
            engine,
            "select line, string_agg(distinct column_name, ', '), "
            "string_agg(distinct error_type || ': ' || error_message, '; '), any_value(csv_line) "
            "from reject_errors group by line",
        )
    return encoding


def _first_line(path: Path) -> str:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        return fh.readline(1 << 20)


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _number_rows(engine: Engine, rejects_query: str) -> None:
    """Give accepted rows their spreadsheet row number, skipping the lines that were rejected.

    The k-th accepted record sits at data position k + #(rejected positions r_j with
    r_j - rank(r_j) < k); row = position + 1 for the header.
    """
    engine.execute(
        f"insert into {REJECTS} select * from ({rejects_query})"
    )
    engine.execute(
        f"create or replace temp table {STAGE} as "
        f"with acc as (select *, row_number() over (order by rowid) as k from {STAGE}), "
        f"rj as (select _row - 1 as pos, row_number() over (order by _row) as rnk "
        f"        from (select distinct _row from {REJECTS})) "
        f"select acc.* exclude (k), "
        f"  k + 1 + (select count(*) from rj where rj.pos - rj.rnk < acc.k) as _row "
        f"from acc order by k"
    )


# -- JSON Lines -----------------------------------------------------------------------------
def _stage_jsonl(engine: Engine, path: Path, source: SourceConfig) -> str:
    encoding = detect_encoding(path, source.encoding)
    with tempfile.TemporaryDirectory(prefix="huaxiang-") as tmp:
        readable = path
        if encoding not in ("utf-8", "utf-8-sig"):
            readable = transcode_to_utf8(path, encoding, Path(tmp) / "utf8.jsonl")
        # one VARCHAR per physical line: a delimiter and quote that JSON text never contains
        engine.execute(
            "create or replace temp table jsonl_read as select line from read_csv(?, "
            "columns = {'line': 'VARCHAR'}, header = false, delim = '\x1f', quote = '', "
            "escape = '', max_line_size = 4000000, strict_mode = false)",
            [str(readable)],
        )
        engine.execute(
            "create or replace temp table jsonl_lines as select "
            "row_number() over (order by rowid) as _row, line from jsonl_read"
        )
        engine.execute("drop table jsonl_read")
    engine.execute(
        f"insert into {REJECTS} select _row, null, "
        "case when json_valid(line) then 'not a JSON object' else 'malformed JSON' end, line "
        "from jsonl_lines where not coalesce("
        "case when json_valid(line) then json_type(line) = 'OBJECT' end, false)"
    )
    engine.execute(
        "create or replace temp table jsonl_ok as select _row, line::json as j from jsonl_lines "
        "where case when json_valid(line) then json_type(line) = 'OBJECT' else false end"
    )
    keys = [
        r[0]
        for r in engine.rows(
            "select k from (select unnest(json_keys(j)) as k, _row from jsonl_ok) "
            "group by k order by min(_row), k"
        )
    ]
    if not keys and not engine.count("jsonl_ok"):
        if engine.count(REJECTS):
            raise DataError(
                "no line of this file is a JSON object",
                location=Location(str(path), line=1),
                hint="JSON Lines means one {...} object per line",
            )
        raise DataError("the file has no records", location=Location(str(path)))
    cols = ", ".join(
        f"j->>{_sql_str('$.' + _json_path_key(k))} as {quote_ident(k)}" for k in keys
    )
    engine.execute(f"create temp table {STAGE} as select {cols}, _row from jsonl_ok order by _row")
    engine.execute("drop table jsonl_lines")
    engine.execute("drop table jsonl_ok")
    return encoding


def _json_path_key(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- Parquet --------------------------------------------------------------------------------
def _stage_parquet(engine: Engine, path: Path) -> None:
    try:
        names = [r[0] for r in engine.rows("describe select * from read_parquet(?)", [str(path)])]
    except Exception:
        raise DataError(
            "not a readable Parquet file", location=Location(str(path)), hint="export it again"
        ) from None
    cols = ", ".join(f"cast({quote_ident(n)} as varchar) as {quote_ident(n)}" for n in names)
    engine.execute(
        f"create temp table {STAGE} as select {cols}, "
        f"(row_number() over ()) + 1 as _row from read_parquet(?)",
        [str(path)],
    )


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
        header: list[str] | None = None
        data: list[list[str | None]] = []
        numbers: list[int] = []
        for index, row in enumerate(rows, start=1):
            texts = [_cell_text(v) for v in row]
            if header is None:
                if any(texts):
                    header = _unique_headers(texts)
                continue
            if any(texts):
                data.append(texts)
                numbers.append(index)
    finally:
        book.close()
    if header is None:
        raise DataError("the sheet is empty", location=Location(str(path)))
    columns = {
        name: pa.array([r[i] if i < len(r) else None for r in data], pa.string())
        for i, name in enumerate(header)
    }
    columns["_row"] = pa.array(numbers, pa.int64())
    return pa.table(columns)


def _unique_headers(texts: list[str | None]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, t in enumerate(texts):
        name = (t or f"column{i + 1}").strip()
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _read_sql(source: SourceConfig) -> pa.Table:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    assert source.url and source.query
    try:
        sa = create_engine(source.url)
        with sa.connect() as con:
            result = con.execute(text(source.query))
            header = _unique_headers(list(result.keys()))
            chunks: list[list[Any]] = [[] for _ in header]
            for row in result:
                for i, value in enumerate(row):
                    chunks[i].append(_cell_text(value))
        sa.dispose()
    except SQLAlchemyError as exc:
        raise DataError(
            f"the query failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}",
            location=Location(f"source {source.name}"),
            hint="check the source's url and query",
        ) from None
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
