"""The warehouse layout: which tables exist, what they hold, and their DDL.

Layers, each rebuildable from the one before:

* ``raw_<table>`` — text exactly as read, one row per source record, with ``_source``,
  ``_load_id``, ``_row`` and ``attributes`` (JSON of columns no canonical field took).
* ``<table>`` — cleaned, typed, de-duplicated (``customers`` holds golden records).
* ``quarantine`` — every rejected record with its stage, rule, column and reason.
* ``hx_loads`` — provenance of every load; ``hx_merges`` / ``identity_*`` — what was merged, why.
"""

from __future__ import annotations

from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.schema import TABLES, FieldType

SQL_TYPES: dict[FieldType, str] = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "double",
    "date": "date",
    "timestamp": "timestamp",
    "boolean": "boolean",
    "json": "json",
}

LOADS_DDL = """
create table if not exists hx_loads (
    load_id varchar primary key,
    source varchar not null,
    table_name varchar not null,
    path varchar,
    format varchar,
    encoding varchar,
    sha256 varchar not null,
    loaded_at timestamp not null,
    status varchar not null,            -- loaded | superseded
    rows_read bigint not null,          -- records in the file (header excluded)
    rows_rejected_on_read bigint not null,
    rows_accepted bigint,               -- filled by cleaning: in the clean table
    rows_quarantined bigint,            -- read rejects + cleaning rejects
    rows_merged bigint,                 -- merged into another record (duplicates)
    mapping json
)
"""

QUARANTINE_DDL = """
create table if not exists quarantine (
    table_name varchar not null,
    _source varchar not null,
    _load_id varchar not null,
    _row bigint,
    stage varchar not null,             -- read | clean
    rule varchar not null,
    column_name varchar,
    reason varchar not null,
    record json
)
"""

MERGES_DDL = """
create table if not exists hx_merges (
    table_name varchar not null,
    _source varchar not null,
    _load_id varchar not null,
    _row bigint,
    kept_source varchar,
    kept_load_id varchar,
    kept_row bigint,
    reason varchar not null
)
"""


# one row per finished cleaning run: later builds (tags) know whether the clean tables changed
CLEANS_DDL = """
create table if not exists hx_cleans (
    clean_id varchar primary key,
    finished_at timestamp not null
)
"""


def raw_table(table: str) -> str:
    return f"raw_{table}"


# A cleaning run writes its tables under these names and publishes them in one short
# transaction at the end (see clean/run.py): working tables are then freed as the run goes,
# instead of being held until one long transaction commits.
STAGED_PREFIX = "hx_next_"


def staged(table: str) -> str:
    return f"{STAGED_PREFIX}{table}"


def ensure_layout(engine: Engine) -> None:
    for ddl in (LOADS_DDL, QUARANTINE_DDL, MERGES_DDL, CLEANS_DDL):
        engine.execute(ddl)
    for name, table in TABLES.items():
        cols = ", ".join(f"{quote_ident(f)} varchar" for f in table.field_names)
        engine.execute(
            f"create table if not exists {raw_table(name)} (_source varchar not null, "
            f"_load_id varchar not null, _row bigint, {cols}, attributes json)"
        )


def latest_clean(engine: Engine) -> str | None:
    """The id of the cleaning run the clean tables come from (None before the first)."""
    if not engine.table_exists("hx_cleans"):
        return None
    value = engine.scalar("select clean_id from hx_cleans order by finished_at desc limit 1")
    return str(value) if value is not None else None
