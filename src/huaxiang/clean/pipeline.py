"""Cleaning: raw text tables -> typed, checked, filled, de-duplicated tables.

One table at a time, every step one SQL statement over the whole table:

1. ``typed``     parse every field (dates, numbers, phones, genders, regions ...) and mark values
                 that were present but unreadable (``_bad_<field>``);
2. ``checked``   evaluate all rules: the first quarantine rule that fires sends the row to
                 ``quarantine``; flag rules add to ``_flags``; clear / cap rules fix values
                 (steps 1 and 2 are one statement: the typed rows are never stored apart);
3. ``filled``    missing-value strategies (unknown / mean / median / mode / constant);
4. de-duplicate  exact copies and key duplicates collapse to one survivor, the others are
                 recorded in ``hx_merges`` (customers go through identity resolution instead).

Every step reports what it changed into a :class:`~huaxiang.clean.accounting.Ledger`.
"""

from __future__ import annotations

from huaxiang.clean import dedupe
from huaxiang.clean.accounting import Ledger
from huaxiang.clean.parse import blank, field_expr
from huaxiang.clean.rules import (
    Rule,
    builtin_rules,
    configured_rules,
    needs_statistics,
    resolve_statistics,
)
from huaxiang.config.models import WorkspaceConfig
from huaxiang.engine.duckdb_engine import Engine, quote_ident, quote_str
from huaxiang.schema import TABLES
from huaxiang.warehouse import raw_table, staged

# standardised customer columns added next to the raw fields
REGION_COLUMNS = ("province", "city", "city_tier", "area", "region_code")


def _priorities(engine: Engine, config: WorkspaceConfig) -> None:
    engine.execute("create or replace temp table source_priority (_source varchar, _priority int)")
    for s in config.sources:
        engine.execute("insert into source_priority values (?, ?)", [s.name, s.priority])


def typed_select(config: WorkspaceConfig, table: str) -> str:
    """Step 1 as a query: typed values next to unreadable-value markers (``_bad_<field>``).

    Three small projections instead of one: blanking first keeps each parse expression short
    (the binder slows down sharply on deeply repeated sub-expressions).
    """
    spec = TABLES[table]
    c = config.cleaning
    blanks = ", ".join(
        f"{blank('r.' + quote_ident(f))} as {quote_ident(f)}" for f in spec.field_names
    )
    typed = []
    finals = []
    for f in spec.fields:
        col = quote_ident(f.name)
        expr = field_expr(f, col, day_first=c.day_first, timezone=c.timezone)
        if expr == col:
            finals.append(f"{col}, false as _bad_{f.name}")
        else:
            tmp = quote_ident(f"__t_{f.name}")
            typed.append(f"{expr} as {tmp}")
            finals.append(f"{tmp} as {col}, ({col} is not null and {tmp} is null) as _bad_{f.name}")
    # nested projections, not one: each level refers to the one below by column name, so no
    # expression is repeated textually (the binder slows down sharply on repeated
    # sub-expressions) and nothing is materialised in between
    return (
        f"select _source, _load_id, _row, _priority, "
        f"_loaded_at, attributes, {', '.join(finals)} from ("
        f"select *{''.join(', ' + t for t in typed)} from ("
        f"select r._source, r._load_id, r._row, coalesce(p._priority, 100) as _priority, "
        f"l.loaded_at as _loaded_at, r.attributes, {blanks} from {raw_table(table)} r "
        f"left join source_priority p using (_source) "
        f"left join hx_loads l on l.load_id = r._load_id))"
    )


def customers_select(engine: Engine, config: WorkspaceConfig) -> str:
    """Step 1 for customers: the typed rows with their regions (province / city / tier), the
    age from the birth date where no age is given, and text categories as codes.

    A region depends only on the (province, city) text, so each distinct pair is resolved
    once into a small table that the typed rows join; the rows themselves are not copied.
    """
    from huaxiang.clean.regions import region_resolution_sql, register_divisions

    register_divisions(engine.con)
    c = config.cleaning
    by_name = TABLES["customers"].by_name
    place = {
        f: field_expr(by_name[f], blank(f"r.{f}"), day_first=c.day_first, timezone=c.timezone)
        for f in ("province", "city")
    }
    engine.execute(
        "create or replace temp table customer_places as select row_number() over () as _pid, * "
        f"from (select distinct {place['province']} as province, {place['city']} as city "
        f"from {raw_table('customers')} r)"
    )
    engine.execute(
        "create or replace temp table customer_regions as select p.province as _province, "
        "p.city as _city, g.* exclude (_pid) from customer_places p join ("
        + region_resolution_sql("customer_places", "_pid", "province", "city")
        + ") g on g._pid = p._pid"
    )
    engine.execute("drop table customer_places")
    codes = []
    for field, mapping in c.codes.items():
        whens = " ".join(f"when {quote_str(k)} then {quote_str(v)}" for k, v in mapping.items())
        codes.append(f"case t.{quote_ident(field)} {whens} end as {quote_ident(field + '_code')}")
    return (
        "select t.* exclude (province, city, age), g.province, g.city, g.city_tier, g.area, "
        "g.region_code, g.region_status as _region_status, "
        "coalesce(t.age, date_diff('year', t.birth_date, current_date)) as age, "
        "(t.age is null and t.birth_date is not null) as _age_derived"
        + "".join(f", {code}" for code in codes)
        + f" from ({typed_select(config, 'customers')}) t left join customer_regions g "
        "on g._province is not distinct from t.province and g._city is not distinct from t.city"
    )


def _rules(config: WorkspaceConfig, table: str) -> list[Rule]:
    return builtin_rules(table, config.cleaning.timezone) + configured_rules(config.cleaning, table)


def _verdicts(rules: list[Rule]) -> tuple[str, str]:
    """The first quarantine rule that fires, and the list of flags that fire, as SQL."""
    quarantine = [r for r in rules if r.action == "quarantine"]
    flags = [r for r in rules if r.action == "flag"]
    q_case = (
        "case "
        + " ".join(f"when {r.condition} then {quote_str(r.name)}" for r in quarantine)
        + " end"
        if quarantine
        else "null::varchar"
    )
    f_list = (
        "list_filter(["
        + ", ".join(f"case when {r.condition} then {quote_str(r.name)} end" for r in flags)
        + "], lambda x: x is not null)"
        if flags
        else "[]::varchar[]"
    )
    return q_case, f_list


def type_and_check(
    engine: Engine, config: WorkspaceConfig, table: str, ledger: Ledger, *, defer_flags: bool
) -> tuple[str, str]:
    """Steps 1 and 2 in one pass over the raw rows (one working table, not two); returns the
    relation of accepted rows and the SQL of their final ``_flags``.

    Rules with constant conditions are evaluated while typing. Outlier rules need statistics
    of the rows those rules keep, so they come second: the statistics are read from the
    working table, and the rows an outlier rule fires on get their verdict again with every
    rule in order, exactly as if all had been evaluated at once. With ``defer_flags`` the
    flags are not rewritten in place but returned as an expression for the one write that
    follows (a flag's condition must then see the same values there: no clear, cap or fill
    rule may change a column a flag rule reads).
    """
    given = _rules(config, table)
    late = [needs_statistics(r) for r in given]
    # constant rules need no statistics, so no relation is read to resolve them
    early = resolve_statistics(engine, "", [r for r, x in zip(given, late, strict=True) if not x])
    q_case, f_list = _verdicts(early)
    checked = f"accepted_{table}"
    customers = table == "customers"
    typed = customers_select(engine, config) if customers else typed_select(config, table)
    engine.execute(
        f"create or replace temp table {checked} as select *, {q_case} as _quarantine_rule, "
        f"{f_list} as _flags from ({typed})"
    )
    if customers:
        engine.execute("drop table customer_regions")
    ledger.completeness_before(engine, table, checked)
    rules = resolve_statistics(engine, checked, given)
    q_case, f_list = _verdicts(rules)
    flags = "_flags"
    defer_flags = defer_flags and _flags_stay_valid(config, table, rules)
    for action, column, verdict in (
        ("quarantine", "_quarantine_rule", q_case),
        ("flag", "_flags", f_list),
    ):
        fires = [r.condition for r, x in zip(rules, late, strict=True) if x and r.action == action]
        if fires:
            where = " or ".join(f"coalesce({c}, false)" for c in fires)
            if action == "flag" and defer_flags:
                flags = f"case when {where} then {verdict} else _flags end"
            else:
                engine.execute(f"update {checked} set {column} = {verdict} where {where}")
    _settle(engine, table, checked, rules, ledger)
    return checked, flags


def _flags_stay_valid(config: WorkspaceConfig, table: str, rules: list[Rule]) -> bool:
    """Whether every flag rule reads columns that no later step (clear, cap, fill) changes."""
    flagged = {r.column for r in rules if r.action == "flag"}
    changed = {r.column for r in rules if r.action in ("clear", "cap")} | {
        m.field for m in config.cleaning.missing if m.table == table and m.strategy != "leave"
    }
    return None not in flagged and not flagged & changed


def _settle(engine: Engine, table: str, checked: str, rules: list[Rule], ledger: Ledger) -> None:
    """Count the verdicts, move quarantined rows out, then clear and cap in place."""
    ledger.count_rules(engine, checked, rules)
    _quarantine(engine, table, checked, [r for r in rules if r.action == "quarantine"])
    engine.execute(f"delete from {checked} where _quarantine_rule is not null")
    # clear / cap on the rows that stay, in place (they touch few rows); per column one
    # UPDATE whose conditions all see the original values, applied in rule order
    by_column: dict[str, list[Rule]] = {}
    for r in rules:
        if r.action in ("clear", "cap"):
            assert r.column is not None
            by_column.setdefault(r.column, []).append(r)
    for column, column_rules in by_column.items():
        col = quote_ident(column)
        whens = " ".join(
            f"when {r.condition} then {'null' if r.action == 'clear' else (r.cap or col)}"
            for r in column_rules
        )
        any_fires = " or ".join(f"({r.condition})" for r in column_rules)
        engine.execute(
            f"update {checked} set {col} = case {whens} else {col} end where {any_fires}"
        )


def _quarantine(engine: Engine, table: str, checked: str, rules: list[Rule]) -> None:
    if not rules:
        return
    engine.execute(
        "create or replace temp table rule_meta (rule varchar, column_name varchar, reason varchar)"
    )
    for r in rules:
        engine.execute("insert into rule_meta values (?, ?, ?)", [r.name, r.column, r.reason])
    engine.execute(
        f"insert into {staged('quarantine')} select {quote_str(table)}, c._source, c._load_id, "
        f"c._row, 'clean', c._quarantine_rule, m.column_name, m.reason, to_json(r) "
        f"from {checked} c join rule_meta m on m.rule = c._quarantine_rule "
        f"join {raw_table(table)} r on r._load_id = c._load_id and r._row = c._row "
        f"where c._quarantine_rule is not null"
    )


def fill_missing(
    engine: Engine, config: WorkspaceConfig, table: str, accepted: str, ledger: Ledger
) -> None:
    """Step 3: missing-value strategies from the configuration, applied in place."""
    spec = TABLES[table]
    for rule in (m for m in config.cleaning.missing if m.table == table):
        if rule.strategy == "leave":
            continue
        col = quote_ident(rule.field)
        known = set(spec.field_names) | set(engine.columns(accepted))
        if rule.field not in known:
            continue  # validated at config load time; a column may be absent in a table
        if rule.strategy == "unknown":
            field = spec.by_name.get(rule.field)
            if field is not None and field.type != "string":
                ledger.warn(f"{table}.{rule.field}: 'unknown' only fits text fields; skipped")
                continue
            value = "'unknown'"
        elif rule.strategy == "constant":
            value = quote_str(str(rule.value))
        else:
            agg = {"mean": "avg", "median": "median", "mode": "mode"}[rule.strategy]
            computed = engine.scalar(f"select {agg}({col}) from {accepted}")
            if computed is None:
                continue
            field = spec.by_name.get(rule.field)
            if field is not None and field.type == "integer" and isinstance(computed, float):
                computed = round(computed)  # the mean age 52.5 is stored (and reported) as 52
            number = isinstance(computed, (int, float))
            value = repr(computed) if number else quote_str(str(computed))
        n = engine.count(accepted, f"{col} is null")
        ledger.fill(table, rule.field, rule.strategy, n, value)
        if n:
            engine.execute(f"update {accepted} set {col} = {value} where {col} is null")


def clean_table(
    engine: Engine, config: WorkspaceConfig, table: str, ledger: Ledger, *, defer_flags: bool
) -> tuple[str, str]:
    """Steps 1-4 for one table; returns the relation holding its clean rows and the SQL of
    their ``_flags`` (see :func:`type_and_check`)."""
    _priorities(engine, config)
    accepted, flags = type_and_check(engine, config, table, ledger, defer_flags=defer_flags)
    fill_missing(engine, config, table, accepted, ledger)
    # customers are de-duplicated by key in identity resolution
    repeats = dedupe.key_repeats(engine, table, accepted) if table != "customers" else None
    dedupe.exact(engine, table, accepted, ledger, repeats)
    if repeats is not None:
        dedupe.by_key(engine, config, table, accepted, ledger, repeats)
        engine.execute(f"drop table {repeats}")
    return accepted, flags
