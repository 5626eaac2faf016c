"""Segments checked against the tag plan and compiled to SQL.

A segment's condition may name tags, features and customer fields (in that order of
precedence: a tag called ``gender`` hides the customer field ``gender``), ``as_of`` and, once a
clustering has run, ``cluster``. Model segments (``model: {of: rfm_group, values: [...]}``)
compile to the same kind of condition, so every segment is one boolean expression over one
relation: the customer's tags, features and fields side by side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlglot import exp

from huaxiang.compiler.expressions import ExpressionProblem, check_expression, to_sql
from huaxiang.compiler.plan import AS_OF, Plan, customer_columns, field_alias
from huaxiang.compiler.sql import _date, _lit
from huaxiang.definitions.segments import CLUSTER, Segment, SegmentCatalog
from huaxiang.engine.duckdb_engine import quote_ident
from huaxiang.errors import ConfigError, ConfigProblem

WHAT = "tag, feature or customer field"


@dataclass(frozen=True)
class Condition:
    """A checked condition: its AST (names as written) and the names it reads."""

    ast: exp.Expression
    columns: frozenset[str]


def segment_names(plan: Plan, *, clusters: bool) -> set[str]:
    names = {*plan.tags, *plan.features, *customer_columns(), AS_OF}
    return names | {CLUSTER} if clusters else names


def check_condition(text: str, plan: Plan, *, clusters: bool) -> Condition:
    """One condition typed by a user (``segments preview``); raises ExpressionProblem."""
    checked = check_expression(text, segment_names(plan, clusters=clusters), what=WHAT)
    return Condition(checked.ast, checked.columns)


def check_segments(catalog: SegmentCatalog, plan: Plan, *, clusters: bool) -> dict[str, Condition]:
    """Every segment's condition; raise ConfigError listing every problem at once."""
    problems: list[ConfigProblem] = []
    conditions: dict[str, Condition] = {}
    for segment in catalog.segments.values():
        condition = _condition(catalog, segment, plan, clusters, problems)
        if condition is not None:
            conditions[segment.id] = condition
    if problems:
        raise ConfigError(problems)
    return conditions


def _condition(
    catalog: SegmentCatalog,
    segment: Segment,
    plan: Plan,
    clusters: bool,
    problems: list[ConfigProblem],
) -> Condition | None:
    if segment.rule is not None:
        try:
            return check_condition(segment.rule, plan, clusters=clusters)
        except ExpressionProblem as p:
            problems.append(
                catalog.problem(segment.id, "rule", message=p.message, hint=p.hint, offset=p.offset)
            )
            return None
    assert segment.model is not None
    of = segment.model.of
    if of == CLUSTER and not clusters:
        problems.append(
            catalog.problem(
                segment.id,
                "model",
                "of",
                message="no clustering has run yet",
                hint="run huaxiang cluster first",
            )
        )
        return None
    if of != CLUSTER and of not in plan.tags:
        problems.append(
            catalog.problem(
                segment.id,
                "model",
                "of",
                message=f"unknown model output {of!r}",
                hint="name a tag (rfm_group, rfm_level, lifecycle_stage, ...) or cluster",
            )
        )
        return None
    target: exp.Expression
    if of == CLUSTER:
        if not all(isinstance(v, int) for v in segment.model.values):
            problems.append(
                catalog.problem(
                    segment.id,
                    "model",
                    "values",
                    message="cluster ids are numbers",
                    hint="e.g. model: {of: cluster, values: [1, 2]}",
                )
            )
            return None
        target = exp.column(CLUSTER)
        values = [exp.Literal.number(v) for v in segment.model.values]
    else:
        # tag values compare as text, so `values: [1]` matches a score stored as a number
        target = exp.cast(exp.column(of), "varchar")
        values = [exp.Literal.string(str(v)) for v in segment.model.values]
    return Condition(exp.In(this=target, expressions=values), frozenset({of}))


def condition_sql(condition: Condition, plan: Plan) -> str:
    """The condition over the segment relation: customer fields renamed to their carriers."""
    shadowed = set(plan.tags) | set(plan.features)
    fields = set(customer_columns())

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name in fields and node.name not in shadowed:
            return exp.column(field_alias(node.name), quoted=True)
        return node

    return f"coalesce(({to_sql(condition.ast.transform(rename))}), false)"


def segment_relation(
    plan: Plan,
    needed: set[str],
    as_of: dt.date,
    *,
    available: set[str],
    clusters: bool,
) -> str:
    """customer_id and the ``needed`` names, one row per customer of ``customer_tags``.

    Only what a condition reads is joined, so a preview over one tag scans one column.
    """
    tags = sorted(n for n in needed if n in plan.tags)
    features = sorted(n for n in needed if n in plan.features and n not in plan.tags)
    shadowed = set(plan.tags) | set(plan.features)
    fields = sorted(n for n in needed if n in customer_columns() and n not in shadowed)
    cols = ["t.customer_id", *(f"t.{quote_ident(n)}" for n in tags)]
    cols += [f"f.{quote_ident(n)}" for n in features]
    cols += [
        f"{'c.' + quote_ident(n) if n in available else 'null'} as {quote_ident(field_alias(n))}"
        for n in fields
    ]
    joins = ""
    if features:
        joins += " join customer_features f using (customer_id)"
    if fields:
        joins += " join customers c using (customer_id)"
    if CLUSTER in needed and clusters:
        cols.append(f"k.cluster_id as {CLUSTER}")
        joins += " left join customer_clusters k using (customer_id)"
    if AS_OF in needed:
        cols.append(f"{_date(as_of)} as {AS_OF}")
    return f"select {', '.join(cols)} from customer_tags t{joins}"


def matches_query(
    catalog: SegmentCatalog,
    conditions: dict[str, Condition],
    plan: Plan,
    as_of: dt.date,
    *,
    available: set[str],
    clusters: bool,
) -> str:
    """customer_id and one boolean per segment: does the customer meet its condition."""
    needed: set[str] = set()
    for c in conditions.values():
        needed |= c.columns
    relation = segment_relation(plan, needed, as_of, available=available, clusters=clusters)
    flags = ", ".join(
        f"{condition_sql(conditions[s], plan)} as {quote_ident(s)}" for s in catalog.segments
    )
    return f"select customer_id, {flags} from ({relation})"


def members_query(catalog: SegmentCatalog, matches: str) -> str:
    """(customer_id, segment_id) pairs from the ``matches`` relation: an ungrouped segment
    takes everyone it matches, a group the first of its segments (by priority) that matches."""
    parts = [
        f"select customer_id, {_lit(s.id)} as segment_id from {matches} where {quote_ident(s.id)}"
        for s in catalog.segments.values()
        if s.group is None
    ]
    for segments in catalog.groups().values():
        whens = " ".join(f"when {quote_ident(s.id)} then {_lit(s.id)}" for s in segments)
        parts.append(
            f"select customer_id, segment_id from (select customer_id, case {whens} end "
            f"as segment_id from {matches}) where segment_id is not null"
        )
    if not parts:
        return "select null::varchar as customer_id, null::varchar as segment_id where false"
    return " union all ".join(parts)
