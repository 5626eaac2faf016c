"""Readers: any supported input -> a staging table of text columns in the warehouse.

Every reader produces the same thing: a temporary table ``stage`` whose columns are the source's
own headers (all VARCHAR, values untouched) plus ``_row``, the row number as a spreadsheet shows it
(header = 1), and a table ``stage_rejects`` with rows that could not be read at all (ragged rows,
broken JSON, oversized fields) and why. Typing and cleaning happen later, in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import DataError, Location
from huaxiang.ingest.delimited import stage_csv
from huaxiang.ingest.jsonl import WORK_RELATIONS as JSONL_WORK
from huaxiang.ingest.jsonl import stage_jsonl
from huaxiang.ingest.scan import FileScan
from huaxiang.ingest.staging import REJECTS, STAGE, STAGE_READ
from huaxiang.ingest.tabular import read_sql, read_xlsx, stage_arrow, stage_parquet

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


def stage(
    engine: Engine, source: SourceConfig, path: Path | None, scan: FileScan | None = None
) -> Staged:
    """Read one source into the staging tables (replacing earlier staging); ``scan`` is the
    file's scan when the caller has it."""
    fmt = detect_format(source, path)
    drop_stage(engine)
    engine.execute(
        f"create temp table {REJECTS} (_row bigint, column_name varchar, reason varchar, "
        "raw varchar)"
    )
    if fmt == "sql":
        encoding = None
        stage_arrow(engine, read_sql(source))
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
            encoding = stage_csv(engine, path, source, tab=fmt == "tsv", scan=scan)
        elif fmt == "jsonl":
            encoding = stage_jsonl(engine, path, source)
        elif fmt == "xlsx":
            stage_arrow(engine, read_xlsx(path, source.sheet))
        elif fmt == "parquet":
            stage_parquet(engine, path)
    headers = [c for c in engine.columns(STAGE) if c != "_row"]
    accepted = engine.count(STAGE)
    rejected = engine.count(REJECTS)
    return Staged(fmt, encoding, headers, accepted + rejected, rejected)


def drop_stage(engine: Engine) -> None:
    """Drop the staging relations and every reader's working relations (the row-number gaps
    of delimited text, the lines of JSON Lines that the stage view reads)."""
    for name in (STAGE, STAGE_READ, REJECTS, "stage_gaps", *JSONL_WORK):
        engine.drop(name)


__all__ = ["REJECTS", "STAGE", "STAGE_READ", "Staged", "detect_format", "drop_stage", "stage"]
