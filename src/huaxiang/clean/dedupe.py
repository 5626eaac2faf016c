"""De-duplication of non-customer tables: exact copies, then natural-key duplicates.

Survivorship orders the copies of one record; the first survives, the others are written to
``hx_merges`` with a pointer to the survivor and the reason. Customers are de-duplicated by
identity resolution (:mod:`huaxiang.identity.resolve`) instead, because their keys chain.
"""

from __future__ import annotations

from huaxiang.clean.accounting import Ledger, RuleCount
from huaxiang.config.models import WorkspaceConfig
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.schema import TABLES

# oldest load / first row first: an exact copy keeps its earliest occurrence
FIRST_SEEN = "_priority, _loaded_at, _load_id, _row"


def survivorship_order(config: WorkspaceConfig) -> str:
    """ORDER BY of record versions, best first."""
    latest = "_loaded_at desc, _load_id desc, _row desc"
    if config.cleaning.dedupe.survivorship == "source_priority":
        return f"_priority, {latest}"
    return latest


def _collapse(engine: Engine, table: str, relation: str, partition: str, order: str,
              where: str, reason: str) -> int:
    engine.execute(
        f"create or replace temp table dedupe_ranked as select *, "
        f"case when {where} then row_number() over w else 1 end as _rn, "
        f"first_value(_source) over w as _k_source, first_value(_load_id) over w as _k_load, "
        f"first_value(_row) over w as _k_row "
        f"from {relation} window w as (partition by {partition} order by {order})"
    )
    merged = engine.count("dedupe_ranked", "_rn > 1")
    if merged:
        engine.execute(
            f"insert into hx_merges select '{table}', _source, _load_id, _row, _k_source, "
            f"_k_load, _k_row, ? from dedupe_ranked where _rn > 1",
            [reason],
        )
    engine.execute(
        f"create or replace temp table {relation} as "
        f"select * exclude (_rn, _k_source, _k_load, _k_row) from dedupe_ranked where _rn = 1"
    )
    engine.execute("drop table dedupe_ranked")
    return merged


def exact(engine: Engine, table: str, relation: str, ledger: Ledger) -> None:
    fields = [quote_ident(f) for f in TABLES[table].field_names]
    partition = ", ".join([*fields, "attributes::varchar"])
    n = _collapse(engine, table, relation, partition, FIRST_SEEN, "true", "exact_duplicate")
    ledger.add(RuleCount(table, "exact_duplicate", None, "merged", n,
                         "the same record appears more than once"))


def by_key(engine: Engine, config: WorkspaceConfig, table: str, relation: str,
           ledger: Ledger) -> None:
    key = TABLES[table].natural_key
    if not key:
        return
    partition = ", ".join(quote_ident(k) for k in key)
    not_null = " and ".join(f"{quote_ident(k)} is not null" for k in key)
    n = _collapse(engine, table, relation, partition, survivorship_order(config), not_null,
                  f"duplicate_{'_'.join(key)}")
    rule = "latest version" if config.cleaning.dedupe.survivorship == "latest" else \
        "source priority"
    ledger.add(RuleCount(table, f"duplicate_{'_'.join(key)}", key[0], "merged", n,
                         f"several records share {', '.join(key)}; the {rule} survives"))
