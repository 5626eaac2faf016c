"""Parquet, Excel workbooks and SQL query results into the staging relations."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import DataError, EngineError, Location
from huaxiang.ingest.staging import (
    STAGE,
    duckdb_reason,
    unique_headers,
)


# -- Parquet --------------------------------------------------------------------------------
def stage_parquet(engine: Engine, path: Path) -> None:
    try:
        described = engine.rows("describe select * from read_parquet(?)", [str(path)])
        names = [r[0] for r in described]
        # nested values (structs, lists, maps) become JSON text, as in JSON Lines
        cols = ", ".join(
            f"{_parquet_text(quote_ident(n), str(t))} as {quote_ident(alias)}"
            for (n, t, *_), alias in zip(described, unique_headers(names), strict=True)
        )
        engine.execute(
            f"create temp table {STAGE} as select {cols}, "
            f"(row_number() over ()) + 1 as _row from read_parquet(?)",
            [str(path)],
        )
    except EngineError as exc:
        raise DataError(
            f"not a readable Parquet file ({duckdb_reason(exc)})",
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


def read_xlsx(path: Path, sheet: str | int | None) -> pa.Table:
    # calamine (Rust) reads a sheet some 30x faster than openpyxl; values arrive typed and
    # become text here, as every reader's do
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise DataError(
            f"not a readable .xlsx workbook ({exc.__class__.__name__})",
            location=Location(str(path)),
            hint="open it in Excel and save as .xlsx",
        ) from None
    try:
        names = book.sheet_names
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise DataError(
                    f"sheet index {sheet} does not exist",
                    location=Location(str(path)),
                    hint=f"sheets: {', '.join(names)}",
                )
            name = names[sheet]
        elif sheet in names:
            name = sheet
        else:
            raise DataError(
                f"no sheet named {sheet!r}",
                location=Location(str(path)),
                hint=f"sheets: {', '.join(names)}",
            )
        # skip_empty_area=False keeps row 1 at index 0, so row numbers are the sheet's own
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
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
    if header_texts is None:
        raise DataError("the sheet is empty", location=Location(str(path)))
    # values right of the last header cell are kept, in columns named after their position
    last_header = max(i for i, t in enumerate(header_texts) if t) + 1
    width = max([last_header] + [max(i for i, t in enumerate(r) if t) + 1 for r in data])
    header_texts = header_texts[:width] + [None] * (width - len(header_texts))
    header = unique_headers(header_texts)
    columns = {
        name: pa.array([r[i] if i < len(r) else None for r in data], pa.string())
        for i, name in enumerate(header)
    }
    columns["_row"] = pa.array(numbers, pa.int64())
    return pa.table(columns)


def read_sql(source: SourceConfig) -> pa.Table:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    assert source.url and source.query
    sa = None
    try:
        sa = create_engine(source.url)
        with sa.connect() as con:
            result = con.execute(text(source.query))
            header = unique_headers(list(result.keys()))
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


def stage_arrow(engine: Engine, table: pa.Table) -> None:
    engine.register("arrow_in", table)
    try:
        engine.execute(f"create temp table {STAGE} as select * from arrow_in")
    finally:
        engine.unregister("arrow_in")
