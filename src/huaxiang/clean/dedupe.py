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
from huaxiang.warehouse import staged

# oldest load / first row first: an exact copy keeps its earliest occurrence
FIRST_SEEN = "_priority, _loaded_at, _load_id, _row"


def survivorship_order(config: WorkspaceConfig) -> str:
    """ORDER BY of record versions, best first."""
    latest = "_loaded_at desc, _load_id desc, _row desc"
    if config.cleaning.dedupe.survivorship == "source_priority":
        return f"_priority, {latest}"
    return latest


def _collapse(
    engine: Engine,
    table: str,
    relation: str,
    partition: str,
    order: str,
    candidates: str,
    reason: str,
) -> int:
    """Delete all but the first row of each duplicate group, in place; record the merges.

    Only rows in ``candidates`` (a query of ``_load_id, _row`` that is cheap to compute and
    small, such as "the key occurs more than once") are ranked, so the expensive window
    never sorts the whole table.
    """
    engine.execute(
        f"create or replace temp table dedupe_losers as select * from ("
        f"select _source, _load_id, _row, row_number() over w as _rn, "
        f"first_value(_source) over w as _k_source, first_value(_load_id) over w as _k_load, "
        f"first_value(_row) over w as _k_row "
        f"from {relation} semi join ({candidates}) c using (_load_id, _row) "
        f"window w as (partition by {partition} order by {order})) where _rn > 1"
    )
    merged = engine.count("dedupe_losers")
    if merged:
        engine.execute(
            f"insert into {staged('hx_merges')} select '{table}', _source, _load_id, _row, "
            f"_k_source, _k_load, _k_row, ? from dedupe_losers",
            [reason],
        )
        engine.execute(
            f"delete from {relation} t using dedupe_losers l "
            f"where t._load_id = l._load_id and t._row = l._row"
        )
    engine.execute("drop table dedupe_losers")
    return merged


def key_repeats(engine: Engine, table: str, relation: str) -> str | None:
    """A small table of the rows whose natural key occurs more than once (None when the
    table has no natural key).

    Exact copies share their key, so among rows with a key only these can be exact copies:
    one scan of the key bounds both de-duplication steps, instead of a hash of every field
    of every row and then a count of every key.
    """
    key = TABLES[table].natural_key
    if not key:
        return None
    partition = ", ".join(quote_ident(k) for k in key)
    not_null = " and ".join(f"{quote_ident(k)} is not null" for k in key)
    engine.execute(
        "create or replace temp table dedupe_key_repeats as select _load_id, _row from ("
        f"select _load_id, _row, count(*) over (partition by {partition}) as n "
        f"from {relation} where {not_null}) where n > 1"
    )
    return "dedupe_key_repeats"


def exact(
    engine: Engine, table: str, relation: str, ledger: Ledger, repeats: str | None = None
) -> None:
    """Collapse exact copies; ``repeats`` (from :func:`key_repeats`) bounds the search among
    rows with a natural key."""
    fields = [quote_ident(f) for f in TABLES[table].field_names]
    partition = ", ".join([*fields, "attributes::varchar"])

    # rows whose hash over all fields repeats; equality is then checked exactly by the window
    def hash_repeats(where: str) -> str:
        return (
            f"select _load_id, _row from (select _load_id, _row, "
            f"count(*) over (partition by hash({partition})) as n from {relation}{where}) "
            "where n > 1"
        )

    if repeats is None:
        candidates = hash_repeats("")
    else:
        key = TABLES[table].natural_key
        keyless = " or ".join(f"{quote_ident(k)} is null" for k in key)
        candidates = f"from {repeats} union all {hash_repeats(f' where {keyless}')}"
    n = _collapse(engine, table, relation, partition, FIRST_SEEN, candidates, "exact_duplicate")
    ledger.add(
        RuleCount(
            table,
            "exact_duplicate",
            None,
            "merged",
            n,
            "the same record appears more than once",
            reason_zh="同一条记录重复出现",
        )
    )


def by_key(
    engine: Engine,
    config: WorkspaceConfig,
    table: str,
    relation: str,
    ledger: Ledger,
    repeats: str,
) -> None:
    """Collapse rows that share the natural key; ``repeats`` is :func:`key_repeats` (rows
    merged away as exact copies are gone from ``relation`` by then)."""
    key = TABLES[table].natural_key
    partition = ", ".join(quote_ident(k) for k in key)
    candidates = f"from {repeats}"
    n = _collapse(
        engine,
        table,
        relation,
        partition,
        survivorship_order(config),
        candidates,
        f"duplicate_{'_'.join(key)}",
    )
    rule = (
        "latest version" if config.cleaning.dedupe.survivorship == "latest" else "source priority"
    )
    ledger.add(
        RuleCount(
            table,
            f"duplicate_{'_'.join(key)}",
            key[0],
            "merged",
            n,
            f"several records share {', '.join(key)}; the {rule} survives",
            reason_zh=f"多条记录的 {', '.join(key)} 相同，保留"
            + ("最新版本" if config.cleaning.dedupe.survivorship == "latest" else "优先来源"),
        )
    )
