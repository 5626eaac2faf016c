"""Load one source into its raw table: mapped, provenanced, idempotent and atomic.

* The load id is derived from the source name and the content hash, so loading the same file
  twice changes nothing ("unchanged").
* A new version of a source replaces the rows of its previous version (the old load is kept in
  ``hx_loads`` as ``superseded``), so re-exports never double the data.
* Everything a load writes happens in one transaction: an error half-way leaves the warehouse as
  it was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huaxiang.config.models import SourceConfig, resolve_path
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import DataError, Location
from huaxiang.ingest.encoding import file_sha256
from huaxiang.ingest.mapping import ColumnMapping, match_columns
from huaxiang.ingest.readers import REJECTS, STAGE, Staged, stage
from huaxiang.schema import TABLES
from huaxiang.warehouse import ensure_layout, raw_table


@dataclass(frozen=True)
class LoadResult:
    source: str
    table: str
    load_id: str
    status: str  # loaded | unchanged | replaced
    rows_read: int
    rows_rejected: int
    format: str
    encoding: str | None
    mapping: ColumnMapping | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "table": self.table,
            "load_id": self.load_id,
            "status": self.status,
            "rows_read": self.rows_read,
            "rows_rejected_on_read": self.rows_rejected,
            "format": self.format,
            "encoding": self.encoding,
            "mapping": self.mapping.as_dict() if self.mapping else None,
        }


def source_path(source: SourceConfig, root: Path) -> Path | None:
    return resolve_path(root, source.path) if source.path else None


def preview(engine: Engine, source: SourceConfig, root: Path, limit: int = 10) -> dict[str, Any]:
    """What a load would do, without writing anything: mapping and first problems."""
    path = source_path(source, root)
    staged = stage(engine, source, path)
    mapping = match_columns(staged.headers, source.table, source.mapping)
    rejects = engine.dicts(
        f"select _row as row, column_name as column, reason from {REJECTS} order by _row "
        f"limit {int(limit)}"
    )
    return {
        "source": source.name,
        "table": source.table,
        "format": staged.format,
        "encoding": staged.encoding,
        "rows_read": staged.rows_read,
        "rows_rejected_on_read": staged.rows_rejected,
        "mapping": mapping.as_dict(),
        "problems": rejects,
    }


def load(engine: Engine, source: SourceConfig, root: Path) -> LoadResult:
    ensure_layout(engine)
    path = source_path(source, root)
    file_hash = file_sha256(path) if path is not None and path.exists() else None
    if file_hash is not None:
        current = _current_load(engine, source.name)
        if current and current["sha256"] == file_hash:
            return LoadResult(
                source.name, source.table, current["load_id"], "unchanged",
                int(current["rows_read"]), int(current["rows_rejected_on_read"]),
                current["format"], current["encoding"], None,
            )
    staged = stage(engine, source, path)
    mapping = match_columns(staged.headers, source.table, source.mapping)
    if mapping.missing_required:
        raise _missing_fields_error(source, path, mapping)
    content_hash = file_hash or _staged_hash(engine, source)
    load_id = f"{source.name}:{content_hash[:12]}"
    current = _current_load(engine, source.name)
    if current and current["sha256"] == content_hash:
        return LoadResult(
            source.name, source.table, current["load_id"], "unchanged", staged.rows_read,
            staged.rows_rejected, staged.format, staged.encoding, mapping,
        )
    with engine.transaction():
        replaced = _retire_previous(engine, source)
        engine.execute("delete from hx_loads where load_id = ?", [load_id])
        _insert_raw(engine, source, load_id, mapping)
        engine.execute(
            "insert into quarantine select ?, ?, ?, _row, 'read', 'unreadable_row', column_name, "
            f"reason, to_json(raw) from {REJECTS}",
            [source.table, source.name, load_id],
        )
        engine.execute(
            "insert into hx_loads (load_id, source, table_name, path, format, encoding, sha256, "
            "loaded_at, status, rows_read, rows_rejected_on_read, mapping) "
            "values (?, ?, ?, ?, ?, ?, ?, now()::timestamp, 'loaded', ?, ?, ?)",
            [
                load_id, source.name, source.table,
                str(path) if path else source.url and _redact_url(source.url),
                staged.format, staged.encoding, content_hash, staged.rows_read,
                staged.rows_rejected, json.dumps(mapping.as_dict(), ensure_ascii=False),
            ],
        )
    _drop_stage(engine)
    return LoadResult(
        source.name, source.table, load_id, "replaced" if replaced else "loaded",
        staged.rows_read, staged.rows_rejected, staged.format, staged.encoding, mapping,
    )


def _current_load(engine: Engine, source: str) -> dict[str, Any] | None:
    rows = engine.dicts(
        "select * from hx_loads where source = ? and status = 'loaded'", [source]
    )
    return rows[0] if rows else None


def _retire_previous(engine: Engine, source: SourceConfig) -> bool:
    previous = [
        r[0] for r in engine.rows(
            "select load_id from hx_loads where source = ? and status = 'loaded'", [source.name]
        )
    ]
    for load_id in previous:
        for table in TABLES:
            engine.execute(f"delete from {raw_table(table)} where _load_id = ?", [load_id])
        engine.execute("delete from quarantine where _load_id = ?", [load_id])
        engine.execute("update hx_loads set status = 'superseded' where load_id = ?", [load_id])
    return bool(previous)


def _insert_raw(engine: Engine, source: SourceConfig, load_id: str, mapping: ColumnMapping) -> None:
    table = TABLES[source.table]
    by_field = {f: h for h, f in mapping.fields.items()}
    selects = [
        f"{quote_ident(by_field[f])} as {quote_ident(f)}" if f in by_field else
        f"null as {quote_ident(f)}"
        for f in table.field_names
    ]
    if mapping.attributes:
        pairs = ", ".join(
            f"'{h.replace(chr(39), chr(39) * 2)}', {quote_ident(h)}" for h in mapping.attributes
        )
        attributes = f"json_object({pairs})"
    else:
        attributes = "null::json"
    engine.execute(
        f"insert into {raw_table(source.table)} (_source, _load_id, _row, "
        f"{', '.join(quote_ident(f) for f in table.field_names)}, attributes) "
        f"select ?, ?, _row, {', '.join(selects)}, {attributes} from {STAGE}",
        [source.name, load_id],
    )


def _staged_hash(engine: Engine, source: SourceConfig) -> str:
    """Content hash of a query result (order-insensitive), for idempotent SQL sources."""
    digest = engine.scalar(f"select bit_xor(hash({STAGE}::varchar)) from {STAGE}")
    count = engine.count(STAGE)
    text = f"{source.url}\n{source.query}\n{count}\n{digest}"
    return hashlib.sha256(text.encode()).hexdigest()


def _redact_url(url: str) -> str:
    """Never store a password in provenance."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database url>"


def _missing_fields_error(
    source: SourceConfig, path: Path | None, mapping: ColumnMapping
) -> DataError:
    table = TABLES[source.table]
    wanted = ", ".join(
        f"{f} ({table.by_name[f].label_zh})" for f in mapping.missing_required
    )
    candidates = [h for h in mapping.attributes][:8]
    example = candidates[0] if candidates else "<header>"
    return DataError(
        f"no column found for required field(s) of {source.table}: {wanted}; "
        f"unmatched headers: {', '.join(candidates) or '(none)'}",
        location=Location(str(path) if path else f"source {source.name}", line=1),
        hint=f"map a header in huaxiang.yaml, e.g. mapping: {{{example}: "
        f"{mapping.missing_required[0]}}}",
    )


def _drop_stage(engine: Engine) -> None:
    engine.execute(f"drop table if exists {STAGE}")
    engine.execute(f"drop table if exists {REJECTS}")


__all__ = ["LoadResult", "Staged", "load", "preview"]
