"""Resolve a catalog: check every reference, order tags by dependency, report all problems.

Names a tag may use: customer fields, features, other tags and ``as_of`` (the build date).
Names a feature filter may use: the columns of its source table. Tags that depend only on
features and customer fields form level 0 (so do ``model`` tags: a column of the value model's
table, checked by the definition model); a tag using level-k tags is at level k + 1; a cycle is
an error naming the tags in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from huaxiang.compiler.expressions import Checked, ExpressionProblem, check_expression
from huaxiang.definitions.loader import Catalog
from huaxiang.definitions.models import Feature, Tag
from huaxiang.errors import ConfigError, ConfigProblem
from huaxiang.schema import TABLES

# columns of the clean customers table besides the canonical fields (standardisation adds them)
CUSTOMER_EXTRAS = ("city_tier", "area", "region_code", "sources", "record_count")
AS_OF = "as_of"


def field_alias(name: str) -> str:
    """The column a customer field is carried under next to features and tags."""
    return f"c__{name}"


def customer_columns() -> tuple[str, ...]:
    fields = [f for f in TABLES["customers"].field_names if f != "customer_id"]
    return (*fields, *CUSTOMER_EXTRAS)


def source_columns(source: str) -> tuple[str, ...]:
    return (*TABLES[source].field_names, "source_customer_id")


@dataclass
class Plan:
    """A checked catalog, ready to compile."""

    features: dict[str, Feature]
    tags: dict[str, Tag]
    levels: list[list[str]]
    # parsed expressions: (definition id, where) -> AST, where is "where", "share_of",
    # "expression" or "case.<i>"
    expressions: dict[tuple[str, str], exp.Expression] = field(default_factory=dict)
    depends: dict[str, set[str]] = field(default_factory=dict)

    def model_outputs(self) -> set[str]:
        """The columns of the value model's table that the ``model`` tags read."""
        return {t.rule.model for t in self.tags.values() if t.rule.model is not None}

    def needed(self, tag_ids: list[str]) -> Plan:
        """The part of the plan that ``tag_ids`` need (their features and tags, transitively)."""
        wanted: set[str] = set()
        stack = list(tag_ids)
        while stack:
            name = stack.pop()
            if name in wanted:
                continue
            wanted.add(name)
            stack.extend(self.depends.get(name, ()))
        return self.subset(wanted & set(self.features), wanted & set(self.tags))

    def subset(self, features: set[str], tags: set[str]) -> Plan:
        """Only ``features`` and ``tags`` (a tag may still refer to the others by name: the
        relation it is compiled over has to carry them)."""
        keep = features | tags
        return Plan(
            {k: v for k, v in self.features.items() if k in features},
            {k: v for k, v in self.tags.items() if k in tags},
            [[t for t in level if t in tags] for level in self.levels if set(level) & tags],
            {k: v for k, v in self.expressions.items() if k[0] in keep},
            {k: v for k, v in self.depends.items() if k in keep},
        )


def resolve(catalog: Catalog) -> Plan:
    """Check ``catalog``; raise ConfigError listing every problem."""
    problems: list[ConfigProblem] = []
    plan = Plan(dict(catalog.features), dict(catalog.tags), [])
    for feature in catalog.features.values():
        _check_feature(catalog, plan, feature, problems)
    reserved = {*customer_columns(), AS_OF, "customer_id"}
    for ident in [*catalog.features, *catalog.tags]:
        if ident in reserved and (ident in catalog.features or ident in (AS_OF, "customer_id")):
            problems.append(
                catalog.problem(
                    ident,
                    "id",
                    message=f"{ident!r} is a customer field or a reserved name",
                    hint=f"rename the feature, e.g. {ident}_value",
                )
            )
    names = {*customer_columns(), *catalog.features, *catalog.tags, AS_OF}
    for tag in catalog.tags.values():
        _check_tag(catalog, plan, tag, names, problems)
    if not problems:
        plan.levels = _levels(catalog, plan, problems)
    if problems:
        raise ConfigError(problems)
    return plan


def _check_feature(
    catalog: Catalog, plan: Plan, feature: Feature, problems: list[ConfigProblem]
) -> None:
    columns = source_columns(feature.source)
    if feature.column is not None:
        checked = _checked(
            catalog, feature.id, ("column",), feature.column, columns, problems,
            f"column of {feature.source}",
        )  # fmt: skip
        if checked is not None:
            plan.expressions[(feature.id, "column")] = checked.ast
    for key in ("where", "share_of"):
        text = getattr(feature, key)
        if text is None:
            continue
        checked = _checked(
            catalog, feature.id, (key,), text, columns, problems, f"column of {feature.source}"
        )
        if checked is not None:
            plan.expressions[(feature.id, key)] = checked.ast
    plan.depends[feature.id] = set()


def _check_tag(
    catalog: Catalog, plan: Plan, tag: Tag, names: set[str], problems: list[ConfigProblem]
) -> None:
    rule = tag.rule
    used: set[str] = set()
    what = "feature, tag or customer field"
    if rule.bins is not None or rule.quantile is not None:
        of = rule.bins.of if rule.bins is not None else rule.quantile.of  # type: ignore[union-attr]
        key = "bins" if rule.bins is not None else "quantile"
        checked = _checked(catalog, tag.id, ("rule", key, "of"), of, names, problems, what)
        if checked is not None:
            plan.expressions[(tag.id, "of")] = checked.ast
            used |= checked.columns
    elif rule.model is not None:
        pass  # a column of the model's table (Rule checks the name): no features, no tags
    elif rule.expression is not None:
        checked = _checked(
            catalog, tag.id, ("rule", "expression"), rule.expression, names, problems, what
        )
        if checked is not None:
            plan.expressions[(tag.id, "expression")] = checked.ast
            used |= checked.columns
    else:
        kinds = {type(c.then) for c in rule.case or []}
        if rule.otherwise is not None:
            kinds.add(type(rule.otherwise))
        if len(kinds - {int, float}) > 1 or (kinds & {int, float} and kinds - {int, float}):
            problems.append(
                catalog.problem(
                    tag.id,
                    "rule",
                    "case",
                    message="the 'then' values mix types",
                    hint="give every 'then' (and 'else') the same type: all text or all numbers",
                )
            )
        for i, case in enumerate(rule.case or []):
            checked = _checked(
                catalog, tag.id, ("rule", "case", i, "when"), case.when, names, problems, what
            )
            if checked is not None:
                plan.expressions[(tag.id, f"case.{i}")] = checked.ast
                used |= checked.columns
    # inside its own rule, a tag named like a customer field (gender) means that field
    own_field = tag.id in customer_columns()
    if tag.id in used and not own_field:
        problems.append(catalog.problem(tag.id, "rule", message=f"tag {tag.id!r} uses itself"))
    plan.depends[tag.id] = {
        n for n in used - {tag.id} if n in catalog.tags or n in catalog.features
    }


def _checked(
    catalog: Catalog,
    ident: str,
    path: tuple[str | int, ...],
    text: str,
    allowed: tuple[str, ...] | set[str],
    problems: list[ConfigProblem],
    what: str,
) -> Checked | None:
    try:
        return check_expression(text, allowed, what=what)
    except ExpressionProblem as p:
        problems.append(
            catalog.problem(ident, *path, message=p.message, hint=p.hint, offset=p.offset)
        )
        return None


def _levels(catalog: Catalog, plan: Plan, problems: list[ConfigProblem]) -> list[list[str]]:
    level: dict[str, int] = {}
    tags = list(catalog.tags)
    remaining = set(tags)
    while remaining:
        ready = [
            t
            for t in tags
            if t in remaining
            and all(d not in remaining for d in plan.depends[t] if d in catalog.tags)
        ]
        if not ready:
            cycle = _cycle(plan, remaining)
            problems.append(
                catalog.problem(
                    cycle[0],
                    "rule",
                    message="tags depend on each other in a cycle: " + " -> ".join(cycle),
                    hint="one of them must not use the other",
                )
            )
            return []
        for t in ready:
            deps = [level[d] for d in plan.depends[t] if d in catalog.tags]
            level[t] = 1 + max(deps) if deps else 0
            remaining.discard(t)
    depth = max(level.values(), default=-1) + 1
    return [[t for t in tags if level[t] == k] for k in range(depth)]


def _cycle(plan: Plan, remaining: set[str]) -> list[str]:
    """One cycle among ``remaining`` tags, as a path that returns to its start."""
    start = sorted(remaining)[0]
    path = [start]
    seen = {start}
    current = start
    while True:
        current = sorted(d for d in plan.depends[current] if d in remaining)[0]
        if current in seen:
            return [*path[path.index(current) :], current]
        path.append(current)
        seen.add(current)
