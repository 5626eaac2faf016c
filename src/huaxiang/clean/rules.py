"""Cleaning rules as data: a condition in SQL and what to do when it holds.

Actions: ``quarantine`` (the row leaves the clean table, kept in ``quarantine`` with the reason),
``clear`` (the value becomes NULL, the row stays), ``cap`` (the value is clamped to the bound),
``flag`` (the row stays as it is and carries the rule name in ``_flags``; a flag with a
``finding`` name is reported as a business finding, e.g. a high-net-worth candidate).

Rules whose bounds depend on the data (3-sigma, IQR, ratio to the mean) are resolved into
constants by :func:`resolve_statistics` before they run, so every rule is one SQL predicate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from huaxiang.config.models import CleaningConfig, OutlierRule
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.schema import TABLES
from huaxiang.warehouse import SQL_TYPES

Action = str  # quarantine | clear | cap | flag


@dataclass(frozen=True)
class Rule:
    name: str
    table: str
    column: str | None
    action: Action
    condition: str  # SQL over the typed columns; true = the rule fires
    reason: str
    cap: str | None = None  # SQL value to clamp to, for action "cap"
    finding: str | None = None
    # unresolved statistical outlier rule, turned into a condition by resolve_statistics
    pending: OutlierRule | None = None
    reason_zh: str = ""  # the reason in Chinese, for zh-CN reports


def builtin_rules(table: str, timezone: str = "Asia/Shanghai") -> list[Rule]:
    """Rules every workspace gets: required fields, unreadable values, dates in the future.

    Parsed times are local times in ``timezone``, so "the future" starts at the current time
    there, not in the engine's session zone (a UTC server is eight hours behind Shanghai).
    """
    spec = TABLES[table]
    now = f"timezone('{timezone.replace(chr(39), chr(39) * 2)}', now())"
    rules: list[Rule] = []
    if table == "customers":
        ids = ("customer_id", "phone", "email", "credit_code", "union_id")
        rules.append(
            Rule(
                "no_identifier",
                table,
                None,
                "quarantine",
                " and ".join(f"{quote_ident(i)} is null" for i in ids),
                "no customer id, phone, email, credit code or union id: cannot identify",
                reason_zh="客户编号、手机号、邮箱、统一社会信用代码和 UnionID 均为空，无法识别客户",
            )
        )
    for f in spec.fields:
        col = quote_ident(f.name)
        bad = f"_bad_{f.name}"
        if f.required and table != "customers":
            rules.append(
                Rule(
                    f"missing_{f.name}",
                    table,
                    f.name,
                    "quarantine",
                    f"{col} is null and not {bad}",
                    f"required field {f.name} is empty",
                    reason_zh=f"必填字段「{f.label_zh}」为空",
                )
            )
        if f.type != "string" or f.name in ("phone", "email", "credit_code", "id_number", "gender"):
            action = "quarantine" if f.required and table != "customers" else "clear"
            rules.append(
                Rule(
                    f"unreadable_{f.name}",
                    table,
                    f.name,
                    action,
                    bad,
                    f"{f.name} cannot be read as {_type_words(f.name, f.type)[0]}",
                    reason_zh=f"「{f.label_zh}」无法识别为{_type_words(f.name, f.type)[1]}",
                )
            )
        if f.type in ("date", "timestamp"):
            action = "quarantine" if f.name == spec.time_field and f.required else "clear"
            rules.append(
                Rule(
                    f"future_{f.name}",
                    table,
                    f.name,
                    action,
                    f"{col} > {now}::{'date' if f.type == 'date' else 'timestamp'}",
                    f"{f.name} lies in the future",
                    reason_zh=f"「{f.label_zh}」晚于当前时间",
                )
            )
    return rules


# what a value of a field should be, in English and Chinese; specific fields before types
_TYPE_WORDS: dict[str, tuple[str, str]] = {
    "phone": ("a phone number", "手机号码"),
    "email": ("an email address", "邮箱地址"),
    "credit_code": ("a unified social credit code", "统一社会信用代码"),
    "id_number": ("an ID number", "身份证号"),
    "gender": ("a gender", "性别"),
    "timestamp": ("a date/time", "日期时间"),
    "date": ("a date", "日期"),
    "integer": ("an integer", "整数"),
    "decimal": ("a number", "数字"),
    "boolean": ("yes/no", "是/否"),
    "json": ("JSON", "JSON"),
}


def _type_words(name: str, type_: str) -> tuple[str, str]:
    return _TYPE_WORDS.get(name) or _TYPE_WORDS.get(type_, (type_, type_))


def default_outlier_rules() -> list[OutlierRule]:
    """The defaults written into a new workspace (users edit them in huaxiang.yaml)."""
    return [
        OutlierRule(table="customers", field="age", rule="bounds", min=0, max=120, action="clear"),
        OutlierRule(table="orders", field="amount", rule="bounds", min=0, action="quarantine"),
        OutlierRule(
            table="orders",
            field="amount",
            rule="bounds",
            above_mean_ratio=3,
            action="flag",
            finding="high_net_worth_candidate",
        ),
    ]


def configured_rules(config: CleaningConfig, table: str) -> list[Rule]:
    rules = []
    for i, o in enumerate(r for r in config.outliers if r.table == table):
        name = o.finding or f"{o.rule}_{o.field}" + (f"_{i}" if i else "")
        rules.append(
            Rule(name, table, o.field, o.action, "false", "", finding=o.finding, pending=o)
        )
    return rules


def resolve_statistics(engine: Engine, relation: str, rules: list[Rule]) -> list[Rule]:
    """Turn outlier rules into plain predicates with the statistics of ``relation``.

    Statistics (mean, standard deviation, quartiles) describe the rows that plain quarantine
    rules keep: a junk value that is quarantined anyway (a negative amount) must not move the
    mean that decides what counts as an outlier among the accepted rows.
    """
    plain = [r.condition for r in rules if r.action == "quarantine" and r.pending is None]
    plain += [
        _bounds_condition(quote_ident(r.pending.field), r.pending.min, r.pending.max)
        for r in rules
        if r.action == "quarantine" and r.pending is not None and _is_plain(r.pending)
    ]
    kept = f" where not coalesce({' or '.join(f'({c})' for c in plain)}, false)" if plain else ""
    out = []
    for rule in rules:
        o = rule.pending
        if o is None:
            out.append(rule)
            continue
        col = quote_ident(o.field)
        lo: float | None = o.min
        hi: float | None = o.max
        what = "outside the business bounds"
        what_zh = "超出业务范围"
        if o.rule in ("sigma", "iqr") or o.above_mean_ratio:
            mean, std, q1, q3 = engine.rows(
                f"select avg({col}), stddev_samp({col}), quantile_cont({col}, 0.25), "
                f"quantile_cont({col}, 0.75) from {relation}{kept}"
            )[0]
            if o.rule == "sigma" and mean is not None and std is not None:
                lo, hi = mean - o.k * std, mean + o.k * std
                what = f"more than {o.k:g} standard deviations from the mean {mean:,.2f}"
                what_zh = f"偏离均值 {mean:,.2f} 超过 {o.k:g} 个标准差"
            elif o.rule == "iqr" and q1 is not None and q3 is not None:
                lo, hi = q1 - o.k * (q3 - q1), q3 + o.k * (q3 - q1)
                what = f"outside {o.k:g} x IQR of [{q1:,.2f}, {q3:,.2f}]"
                what_zh = f"超出四分位区间 [{q1:,.2f}, {q3:,.2f}] 的 {o.k:g} 倍 IQR"
            if o.above_mean_ratio and mean is not None:
                hi = o.above_mean_ratio * mean
                what = f"above {o.above_mean_ratio:g} x the mean {mean:,.2f}"
                what_zh = f"高于均值 {mean:,.2f} 的 {o.above_mean_ratio:g} 倍"
        condition = _bounds_condition(col, lo, hi)
        if lo is not None and hi is not None:
            bounds, bounds_zh = (
                f"(allowed {lo:,.2f} to {hi:,.2f})",
                f"（允许 {lo:,.2f} 至 {hi:,.2f}）",
            )
        elif lo is not None:
            bounds, bounds_zh = f"(allowed >= {lo:,.2f})", f"（允许 ≥ {lo:,.2f}）"
        elif hi is not None:
            bounds, bounds_zh = f"(allowed <= {hi:,.2f})", f"（允许 ≤ {hi:,.2f}）"
        else:
            bounds = bounds_zh = ""
        field = TABLES[rule.table].by_name.get(o.field)
        label = field.label_zh if field is not None else o.field
        cap = None
        if o.action == "cap":
            cap = col
            if lo is not None:
                cap = f"greatest({cap}, {lo!r})"
            if hi is not None:
                cap = f"least({cap}, {hi!r})"
            if field is not None:  # clamping an integer to 120.0 must not turn it into a decimal
                cap = f"cast({cap} as {SQL_TYPES[field.type]})"
        out.append(
            replace(
                rule,
                condition=condition,
                cap=cap,
                reason=f"{o.field} {what} {bounds}".strip(),
                reason_zh=f"「{label}」{what_zh}{bounds_zh}",
                pending=None,
            )
        )
    return out


def needs_statistics(rule: Rule) -> bool:
    """An outlier rule whose limits come from the data (mean, deviation, quartiles)."""
    return rule.pending is not None and not _is_plain(rule.pending)


def _is_plain(o: OutlierRule) -> bool:
    """A bounds rule whose limits are constants (no statistic of the data needed)."""
    return o.rule == "bounds" and not o.above_mean_ratio


def _bounds_condition(col: str, lo: float | None, hi: float | None) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{col} < {lo!r}")
    if hi is not None:
        parts.append(f"{col} > {hi!r}")
    return "(" + " or ".join(parts) + ")" if parts else "false"
