"""Identity resolution: source customer records -> golden customers with stable ids.

Records that share an identifier (customer id, phone, email, credit code, union id) belong to
one customer, transitively. Components are found in SQL by iterative label propagation over
the bipartite graph record <-> identifier (each round: an identifier takes the smallest label
of its records, a record the smallest label of its identifiers), so it scales with the engine.

Golden ids are stable across runs: ``identity_map`` remembers which golden id every identifier
had; a component inherits the smallest golden id any of its identifiers had before, and only a
truly new customer gets a new id. Contact identifiers shared by implausibly many records
(a shop's own phone typed into every form) are ignored and reported, not used to merge.
"""

from __future__ import annotations

from dataclasses import dataclass

from huaxiang.clean.accounting import Ledger, RuleCount
from huaxiang.clean.dedupe import survivorship_order
from huaxiang.config.models import WorkspaceConfig
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.schema import CUSTOMERS
from huaxiang.warehouse import staged

MAX_SHARED = 10  # records per phone / email / union id before it is treated as shared
TRUSTED = ("customer_id", "credit_code")  # keys that always identify, however often repeated
MAX_ROUNDS = 100

IDENTITY_MAP_DDL = (
    "create table if not exists identity_map (kind varchar, value varchar, golden_id varchar, "
    "primary key (kind, value))"
)


@dataclass(frozen=True)
class IdentityStats:
    records: int
    customers: int
    merged_records: int
    largest: int
    rounds: int
    shared_ignored: int
    new_ids: int


def resolve(
    engine: Engine, config: WorkspaceConfig, accepted: str, ledger: Ledger
) -> IdentityStats:
    engine.execute(IDENTITY_MAP_DDL)
    keys = config.cleaning.dedupe.customer_keys
    # best record version first: the latest update, or under source_priority the preferred
    # source first and the latest update within it
    latest = f"updated_at desc nulls last, {survivorship_order(config)}"
    order = (
        f"_priority, {latest}"
        if config.cleaning.dedupe.survivorship == "source_priority"
        else latest
    )
    # records are numbered on a narrow table (sorting the wide records costs seconds per
    # million); the view joins the number back, and (_load_id, _row) names one record
    engine.execute(
        "create or replace temp table id_order as select _load_id, _row, row_number() over "
        f"(order by _priority, _loaded_at, _load_id, _row) as rec from {accepted}"
    )
    engine.execute(
        f"create or replace temp view id_records as select o.rec, a.* from {accepted} a "
        "join id_order o on o._load_id = a._load_id and o._row = a._row"
    )
    union = (
        " union all ".join(
            f"select rec, '{k}' as kind, {quote_ident(k)}::varchar as value from id_records "
            f"where {quote_ident(k)} is not null"
            for k in keys
        )
        or "select null::bigint as rec, null::varchar as kind, null::varchar as value where false"
    )
    engine.execute(f"create or replace temp table id_keys_all as {union}")
    trusted = ", ".join(f"'{k}'" for k in TRUSTED)
    engine.execute(
        "create or replace temp table id_shared as select kind, value, count(distinct rec) as n "
        f"from id_keys_all where kind not in ({trusted}) group by all having n > {MAX_SHARED}"
    )
    shared = engine.count("id_shared")
    if shared:
        ledger.add(
            RuleCount(
                "customers",
                "shared_identifier",
                None,
                "ignored for matching",
                shared,
                f"a phone / email / union id used by more than "
                f"{MAX_SHARED} records is not used to merge them",
                reason_zh=f"被超过 {MAX_SHARED} 条记录共用的手机号/邮箱/UnionID 不用于合并",
            )
        )
    engine.execute(
        "create or replace temp table id_keys as select k.* from id_keys_all k "
        "anti join id_shared s using (kind, value)"
    )
    rounds = _propagate(engine)
    new_ids = _assign_golden(engine)
    _build_customers(engine, order)
    stats = engine.rows(
        "select count(*), count(distinct golden_id), max(n) from "
        "(select rec, golden_id, count(*) over (partition by golden_id) as n from id_golden)"
    )[0]
    records, customers, largest = int(stats[0]), int(stats[1]), int(stats[2] or 0)
    ledger.add(
        RuleCount(
            "customers",
            "identity_merge",
            None,
            "merged",
            records - customers,
            "records sharing an identifier became one customer",
            reason_zh="共享标识（客户编号、手机号、邮箱等）的记录合并为同一客户",
        )
    )
    engine.execute("drop view if exists id_records")
    for t in ("id_order", "id_keys_all", "id_keys", "id_edges", "id_shared", "id_labels"):
        engine.execute(f"drop table if exists {t}")
    return IdentityStats(records, customers, records - customers, largest, rounds, shared, new_ids)


def _propagate(engine: Engine) -> int:
    """Labels: the smallest record number of each component.

    Only identifiers held by two or more records link anything, so the rounds run on those
    edges alone (a few percent of the keys); every other record is its own component.
    """
    engine.execute(
        "create or replace temp table id_edges as select k.* from id_keys k semi join "
        "(select kind, value from id_keys group by all having count(distinct rec) > 1) s "
        "using (kind, value)"
    )
    engine.execute(
        "create or replace temp table id_labels as select distinct rec, rec as label from id_edges"
    )
    rounds = MAX_ROUNDS
    for n in range(1, MAX_ROUNDS + 1):
        engine.execute(
            "create or replace temp table id_next as "
            "with key_label as (select kind, value, min(l.label) as label from id_edges k "
            "  join id_labels l using (rec) group by kind, value), "
            "rec_label as (select k.rec, min(kl.label) as label from id_edges k "
            "  join key_label kl using (kind, value) group by k.rec) "
            "select l.rec, least(l.label, coalesce(r.label, l.label)) as label "
            "from id_labels l left join rec_label r using (rec)"
        )
        changed = engine.scalar(
            "select count(*) from id_next n join id_labels l using (rec) where n.label <> l.label"
        )
        engine.execute("drop table id_labels")
        engine.execute("alter table id_next rename to id_labels")
        if not changed:
            rounds = n
            break
    engine.execute(
        "create or replace temp table id_next as select o.rec, coalesce(l.label, o.rec) as label "
        "from id_order o left join id_labels l using (rec)"
    )
    engine.execute("drop table id_labels")
    engine.execute("alter table id_next rename to id_labels")
    return rounds


def _assign_golden(engine: Engine) -> int:
    """Golden id per component: inherited from identity_map where possible, else new."""
    engine.execute(
        "create or replace temp table id_claims as "
        "select l.label, min(m.golden_id) as claimed from id_labels l "
        "join id_keys k using (rec) join identity_map m using (kind, value) group by l.label"
    )
    # a split component may claim an id another part also claims: the smaller label keeps it
    engine.execute(
        "create or replace temp table id_component as "
        "select c.label, case when row_number() over (partition by m.claimed order by c.label) = 1 "
        "then m.claimed end as golden_id "
        "from (select distinct label from id_labels) c left join id_claims m using (label)"
    )
    top = engine.scalar(
        "select coalesce(max(try_cast(substr(golden_id, 3) as bigint)), 0) from identity_map"
    )
    new_ids = engine.count("id_component", "golden_id is null")
    engine.execute(
        "update id_component set golden_id = n.gid from (select label, 'HX' || lpad(("
        f"{int(top)} + row_number() over (order by label))::varchar, 9, '0') as gid "
        "from id_component where golden_id is null) n where id_component.label = n.label"
    )
    engine.execute(
        "create or replace temp table id_golden as select l.rec, c.golden_id from id_labels l "
        "join id_component c using (label)"
    )
    engine.execute(
        f"create or replace table {staged('identity_map')} as "
        "select kind, value, golden_id from (select distinct k.kind, k.value, g.golden_id "
        "from id_keys k join id_golden g using (rec)) "
        "union all select * from identity_map m where not exists "
        "(select 1 from id_keys k where k.kind = m.kind and k.value = m.value)"
    )
    engine.execute("drop table id_claims")
    engine.execute("drop table id_component")
    return new_ids


def _build_customers(engine: Engine, order: str) -> None:
    """Golden records (survivorship per field), the audit of links, and the merges."""
    # ranks on the columns the order uses only, then the records beside them
    engine.execute(
        "create or replace temp table id_rank as select rec, g.golden_id, "
        f"row_number() over w as _ord, count(*) over (partition by g.golden_id) as _size "
        f"from id_records r join id_golden g using (rec) "
        f"window w as (partition by g.golden_id order by {order})"
    )
    engine.execute(
        "create or replace temp table id_ranked as select r.*, k.golden_id, k._ord, k._size "
        "from id_records r join id_rank k using (rec)"
    )
    engine.execute("drop table id_rank")
    engine.execute(
        "create or replace temp table id_matched as select rec, list(distinct kind order by "
        "kind) as matched_on from id_edges group by rec"
    )
    fields = [
        f
        for f in engine.columns("id_ranked")
        if not f.startswith("_") and f not in ("rec", "golden_id", "customer_id", "attributes")
    ]
    # most customers have one record: copy those, aggregate only the merged groups
    single = ", ".join(quote_ident(f) for f in fields)
    survivors = ", ".join(
        f"arg_min({quote_ident(f)}, _ord) filter (where {quote_ident(f)} is not null) "
        f"as {quote_ident(f)}"
        for f in fields
    )
    engine.execute(
        f"create or replace table {staged('customers')} as select golden_id as customer_id, "
        f"{survivors}, "
        "arg_min(attributes, _ord) filter (where attributes is not null) as attributes, "
        "list(distinct customer_id) filter (where customer_id is not null) as source_customer_ids, "
        "list(distinct _source) as sources, count(*) as record_count, "
        "list_distinct(flatten(list(_flags))) as _flags, "
        "arg_min(_source, _ord) as _source, arg_min(_load_id, _ord) as _load_id, "
        "arg_min(_row, _ord) as _row "
        "from id_ranked where _size > 1 group by golden_id "
        f"union all by name select golden_id as customer_id, {single}, attributes, "
        "case when customer_id is null then [] else [customer_id] end as source_customer_ids, "
        "[_source] as sources, 1::bigint as record_count, list_distinct(_flags) as _flags, "
        "_source, _load_id, _row from id_ranked where _size = 1 "
        "order by customer_id"
    )
    engine.execute(
        f"create or replace table {staged('identity_links')} as select r.golden_id, "
        "r._source, r._load_id, r._row, r.customer_id as source_customer_id, "
        "r._ord = 1 as survivor, coalesce(m.matched_on, []) as matched_on "
        "from id_ranked r left join id_matched m using (rec)"
    )
    engine.execute(
        f"insert into {staged('hx_merges')} select 'customers', r._source, r._load_id, "
        "r._row, s._source, s._load_id, s._row, "
        "'same ' || array_to_string(coalesce(m.matched_on, ['record']), ' / ') "
        "from id_ranked r join id_ranked s on s.golden_id = r.golden_id and s._ord = 1 "
        "left join id_matched m on m.rec = r.rec where r._ord > 1"
    )
    engine.execute("drop table id_ranked")
    engine.execute("drop table id_matched")


# columns the golden table carries beyond the canonical fields
GOLDEN_EXTRA = ("source_customer_ids", "sources", "record_count")
CUSTOMER_FIELDS = CUSTOMERS.field_names
