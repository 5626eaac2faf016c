"""Plans to SQL: one aggregate pass per source table, then one projection per tag level.

Features of one source share a single GROUP BY: each feature is an aggregate with its own
FILTER (window and condition), so six windows over orders still read orders once. Tags are
nested projections over the features and customer fields, level by level; quantile rules are
window functions in their level. ``model`` tags read the value model's table (``customer_value``),
left-joined under the first level. The as-of date is a literal: a build is reproducible.
"""

from __future__ import annotations

import datetime as dt
import math

import sqlglot
from sqlglot import exp

from huaxiang.compiler.expressions import DIALECT, to_sql
from huaxiang.compiler.plan import AS_OF, Plan, customer_columns, field_alias
from huaxiang.definitions.models import MODEL_TABLE, Feature, Tag
from huaxiang.engine.duckdb_engine import quote_ident
from huaxiang.schema import TABLES

_SUMMING = ("count", "distinct", "sum")  # no rows means 0, not unknown


def _lit(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return f"'{value}'::double"  # inf, -inf, nan: YAML's .inf (a bare inf is a column)
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _date(as_of: dt.date) -> str:
    return f"date '{as_of.isoformat()}'"


class Shared:
    """Row expressions that several features of one source use (a window, a filter, a derived
    value): each is computed once per row, in the projection under the aggregate."""

    def __init__(self) -> None:
        self.columns: dict[str, str] = {}  # SQL text -> column name

    def __call__(self, sql: str, prefix: str = "_c") -> str:
        if sql not in self.columns:
            self.columns[sql] = f"{prefix}{len(self.columns)}"
        return self.columns[sql]

    def projection(self) -> str:
        return "".join(f",\n    {sql} as {name}" for sql, name in self.columns.items())


def _scope(plan: Plan, feature: Feature, as_of: dt.date, shared: Shared) -> list[str]:
    """The conditions (as shared columns) a row meets to count for ``feature``."""
    time = quote_ident(TABLES[feature.source].time_field or "")
    conditions = []
    if feature.window is not None:
        conditions.append(
            shared(
                f"{time} >= {_date(as_of)} + interval 1 day - "
                f"interval {feature.window.count} {feature.window.unit}"
            )
        )
    where = plan.expressions.get((feature.id, "where"))
    if where is not None:
        conditions.append(shared(f"coalesce({to_sql(where)}, false)"))
    return conditions


def feature_aggregate(plan: Plan, feature: Feature, as_of: dt.date, shared: Shared) -> str:
    """The aggregate expression of one feature over its source rows (not distinct / mode:
    those are counted per value, see :func:`value_query`)."""
    time = quote_ident(TABLES[feature.source].time_field or "")
    scope = " and ".join(_scope(plan, feature, as_of, shared))
    column = plan.expressions.get((feature.id, "column"))
    col = shared(to_sql(column), "_v") if column is not None else "*"

    def filtered(agg: str, extra: str | None = None) -> str:
        cond = " and ".join(c for c in (scope, extra) if c)
        return f"{agg} filter (where {cond})" if cond else agg

    m = feature.metric
    if m == "count":
        return filtered("count(*)")
    if m in ("sum", "avg", "min", "max"):
        return filtered(f"{m}({col})")
    if m in ("first", "last"):
        return filtered(f"{'arg_min' if m == 'first' else 'arg_max'}({col}, {time})")
    share = plan.expressions[(feature.id, "share_of")]
    hits = filtered("count(*)", shared(f"coalesce({to_sql(share)}, false)"))
    return f"{hits} / nullif({filtered('count(*)')}, 0)"


_SQL_TYPES = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "double",
    "date": "date",
    "timestamp": "timestamp",
    "boolean": "boolean",
    "json": "json",
}


def empty_source(source: str) -> str:
    """A relation with the columns and types of a clean ``source`` table and no rows: features
    of a source without data keep their types (a date stays a date, unknown)."""
    cols = [f"null::{_SQL_TYPES[f.type]} as {quote_ident(f.name)}" for f in TABLES[source].fields]
    cols.append("null::varchar as source_customer_id")
    return f"(select {', '.join(cols)} limit 0) as {source}"


def source_query(
    plan: Plan, source: str, features: list[Feature], as_of: dt.date, relation: str | None = None
) -> str:
    time = quote_ident(TABLES[source].time_field or "")
    shared = Shared()
    aggs = ",\n  ".join(
        f"{feature_aggregate(plan, f, as_of, shared)} as {quote_ident(f.id)}" for f in features
    )
    rows = (
        f"select customer_id, {time}{shared.projection()}\n  from {relation or source}\n"
        f"  where customer_id is not null and {time} < {_date(as_of)} + interval 1 day"
    )
    counted = _rows_counted([_scope(plan, f, as_of, shared) for f in features])
    where = f"\nwhere {counted}" if counted else ""
    return f"select customer_id,\n  {aggs}\nfrom (\n  {rows}\n){where}\ngroup by customer_id"


def _rows_counted(scopes: list[list[str]]) -> str | None:
    """The rows any of the features counts, when every feature has a scope: the others are
    dropped before they are grouped (a 12-month window over 3 years of orders groups a third)."""
    if not scopes or not all(scopes):
        return None
    return " or ".join(f"({' and '.join(scope)})" for scope in dict.fromkeys(map(tuple, scopes)))


_PER_VALUE = ("distinct", "mode")


def value_query(
    plan: Plan,
    source: str,
    column: str,
    features: list[Feature],
    as_of: dt.date,
    relation: str | None = None,
) -> str:
    """``distinct`` and ``mode`` features over one value expression: rows are first counted
    per (customer, value), once for all of them; a distinct count is then the number of values
    counted, the mode the value counted most (ties: the smallest, so builds are reproducible)."""
    time = quote_ident(TABLES[source].time_field or "")
    shared = Shared()
    counts = []
    picks = []
    for k, f in enumerate(features):
        scope = " and ".join(_scope(plan, f, as_of, shared))
        counts.append(f"count(*){f' filter (where {scope})' if scope else ''} as _n{k}")
        if f.metric == "distinct":
            picks.append(f"count(*) filter (where _n{k} > 0) as {quote_ident(f.id)}")
        else:
            picks.append(
                f"first(_value order by _n{k} desc, _value) filter (where _n{k} > 0) "
                f"as {quote_ident(f.id)}"
            )
    rows = (
        f"select customer_id, {column} as _value{shared.projection()}\n"
        f"    from {relation or source}\n"
        f"    where customer_id is not null and {time} < {_date(as_of)} + interval 1 day"
    )
    counted = _rows_counted([_scope(plan, f, as_of, shared) for f in features])
    per_value = (
        f"select customer_id, _value, {', '.join(counts)}\n  from (\n    {rows}\n  )\n"
        f"  where _value is not null{f' and ({counted})' if counted else ''}\n"
        "  group by customer_id, _value"
    )
    return (
        f"select customer_id,\n  {', '.join(picks)}\nfrom (\n  {per_value}\n)\ngroup by customer_id"
    )


def _source_parts(
    plan: Plan, source: str, features: list[Feature], as_of: dt.date, relation: str | None
) -> list[tuple[str, list[Feature]]]:
    """The queries computing ``features`` of one source, each with the features it yields."""
    parts = []
    plain = [f for f in features if f.metric not in _PER_VALUE]
    if plain:
        parts.append((source_query(plan, source, plain, as_of, relation), plain))
    by_value: dict[str, list[Feature]] = {}
    for f in features:
        if f.metric in _PER_VALUE:
            by_value.setdefault(to_sql(plan.expressions[(f.id, "column")]), []).append(f)
    for column, group in by_value.items():
        parts.append((value_query(plan, source, column, group, as_of, relation), group))
    return parts


def features_query(plan: Plan, as_of: dt.date, sources: set[str] | None = None) -> str:
    """customer_id + every feature of ``plan``, one row per customer."""
    by_source: dict[str, list[Feature]] = {}
    for f in plan.features.values():
        by_source.setdefault(f.source, []).append(f)
    ctes: list[str] = []
    joins = []
    cols: dict[str, str] = {}
    for source, features in sorted(by_source.items()):
        # a source with no data yet: its features are their defaults, with their types
        relation = empty_source(source) if sources is not None and source not in sources else None
        for query, yields in _source_parts(plan, source, features, as_of, relation):
            alias = f"s{len(ctes)}"
            ctes.append(f"{alias} as (\n{query}\n)")
            joins.append(f"left join {alias} using (customer_id)")
            for f in yields:
                ref = f"{alias}.{quote_ident(f.id)}"
                cols[f.id] = f"{_default_value(f, ref)} as {quote_ident(f.id)}"
    with_ = ("with " + ",\n".join(ctes) + "\n") if ctes else ""
    # columns in definition order, whatever query computes them
    select = ",\n  ".join(["c.customer_id", *(cols[f] for f in plan.features)])
    return f"{with_}select {select}\nfrom customers c\n" + "\n".join(joins)


def _default_value(feature: Feature, ref: str) -> str:
    default = feature.default
    if default is None and feature.metric in _SUMMING:
        default = 0
    return f"coalesce({ref}, {_lit(default)})" if default is not None else ref


def _tag_sql(plan: Plan, tag: Tag, key: str) -> str:
    """A tag's expression with customer fields renamed to the columns that carry them."""
    fields = set(customer_columns())

    def rename(node: exp.Expression) -> exp.Expression:
        is_field = isinstance(node, exp.Column) and node.name in fields
        if is_field and (node.name == tag.id or node.name not in plan.tags):
            return exp.column(field_alias(node.name), quoted=True)
        return node

    return to_sql(plan.expressions[(tag.id, key)].transform(rename))


def model_alias(output: str) -> str:
    """The column a value model output is carried under next to features and tags."""
    return f"m__{output}"


def tag_expression(plan: Plan, tag: Tag) -> str:
    rule = tag.rule
    if rule.model is not None:
        return quote_ident(model_alias(rule.model))
    if rule.bins is not None:
        x = f"({_tag_sql(plan, tag, 'of')})"
        op = "<=" if rule.bins.right else "<"
        whens = " ".join(
            f"when {x} {op} {_lit(edge)} then {_lit(label)}"
            for edge, label in zip(rule.bins.edges, rule.bins.labels, strict=False)
        )
        return f"case when {x} is null then null {whens} else {_lit(rule.bins.labels[-1])} end"
    if rule.quantile is not None:
        q = rule.quantile
        x = f"({_tag_sql(plan, tag, 'of')})"
        order = "desc" if q.descending else "asc"
        # bucket = ceil(n * rows up to this value / rows), in integers (a float cume_dist
        # puts 0.55 * 100 in bucket 56); ties share a bucket, so a value has one score
        part = f"partition by {x} is null"
        upto = f"count(*) over ({part} order by {x} {order})"
        rows = f"count(*) over ({part})"
        bucket = f"(({q.n} * {upto} + {rows} - 1) // {rows})"
        labels = q.labels or [str(i) for i in range(1, q.n + 1)]
        label_list = "[" + ", ".join(_lit(v) for v in labels) + "]"
        return f"case when {x} is null then null else {label_list}[{bucket}] end"
    if rule.expression is not None:
        return f"({_tag_sql(plan, tag, 'expression')})"
    whens = " ".join(
        f"when {_tag_sql(plan, tag, f'case.{i}')} then {_lit(c.then)}"
        for i, c in enumerate(rule.case or [])
    )
    otherwise = _lit(rule.otherwise) if rule.otherwise is not None else "null"
    return f"case {whens} else {otherwise} end"


def tags_query(
    plan: Plan,
    as_of: dt.date,
    features: str,
    available: set[str] | None = None,
    model_columns: set[str] | None = None,
) -> str:
    """customer_id + every tag of ``plan`` over the relation ``features`` (a table or a
    parenthesised query) joined with the customer fields (``available``: the columns the
    customers table has; a field it lacks is unknown for everyone) and, when the plan has
    ``model`` tags, the value model's outputs (``model_columns``: the outputs its table has, an
    empty set when there is no table; an output it lacks is unknown for everyone; None: all)."""
    fields = ", ".join(
        f"{'c.' + quote_ident(c) if available is None or c in available else 'null'} "
        f"as {quote_ident(field_alias(c))}"
        for c in customer_columns()
    )
    outputs = sorted(plan.model_outputs())
    present = [m for m in outputs if model_columns is None or m in model_columns]
    models = "".join(
        f", {'v.' + quote_ident(m) if m in present else 'null'}::double "
        f"as {quote_ident(model_alias(m))}"
        for m in outputs
    )
    join = f"\nleft join {MODEL_TABLE} v using (customer_id)" if present else ""
    relation = (
        f"select f.*, {fields}{models}, {_date(as_of)} as {AS_OF}\n"
        f"from {features} f join customers c using (customer_id){join}"
    )
    for level in plan.levels:
        exprs = ",\n  ".join(
            f"{tag_expression(plan, plan.tags[t])} as {quote_ident(t)}" for t in level
        )
        relation = f"select *,\n  {exprs}\nfrom (\n{relation}\n)"
    tags = [t for level in plan.levels for t in level]
    cols = ", ".join(["customer_id", *(quote_ident(t) for t in tags)])
    return f"select {cols}\nfrom (\n{relation}\n)"


def standalone_query(
    plan: Plan, as_of: dt.date, tag_ids: list[str], model_columns: set[str] | None = None
) -> str:
    """One query computing ``tag_ids`` from the clean tables, for analysts to read
    (``model_columns`` as in :func:`tags_query`: None reads every output from the model's
    table)."""
    needed = plan.needed(tag_ids)
    features = f"(\n{features_query(needed, as_of)}\n)"
    query = tags_query(needed, as_of, features, model_columns=model_columns)
    cols = ", ".join(["customer_id", *(quote_ident(t) for t in tag_ids)])
    return pretty(f"select {cols} from (\n{query}\n)")


def pretty(sql: str) -> str:
    """sqlglot's layout of ``sql`` when it can read it; the text as it is otherwise."""
    try:
        return sqlglot.transpile(sql, read=DIALECT, write=DIALECT, pretty=True)[0]
    except sqlglot.errors.SqlglotError:
        return sql
