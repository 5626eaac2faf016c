"""The tag dictionary: every tag's definition with its coverage, distribution and drift.

Coverage is the share of customers with a value. The distribution is the value shares of a
label tag (top values) or the quantiles of a numeric one. Drift compares the latest build
with the one before: the population stability index (PSI) over the value shares of a label
tag (< 0.1 stable, 0.1-0.25 moving, > 0.25 shifted), the relative change of the mean of a
numeric one.
"""

from __future__ import annotations

import math
from typing import Any

from huaxiang.compiler.plan import Plan
from huaxiang.engine.duckdb_engine import Engine, quote_ident

TOP_VALUES = 12
_NUMERIC = ("DOUBLE", "FLOAT", "INTEGER", "BIGINT", "HUGEINT", "DECIMAL", "SMALLINT", "TINYINT")


def _column_types(engine: Engine, table: str) -> dict[str, str]:
    return dict(
        engine.rows(
            "select column_name, data_type from duckdb_columns() where table_name = ?", [table]
        )
    )


def dictionary(engine: Engine, plan: Plan, lang: str = "zh") -> list[dict[str, Any]]:
    """One entry per tag in catalog order; figures only when a build exists."""
    built = engine.table_exists("customer_tags")
    types = _column_types(engine, "customer_tags") if built else {}
    snapshot = set(engine.columns("tag_snapshots"))  # empty before the first build
    runs = (
        [r[0] for r in engine.rows("select run_id from hx_tag_runs order by built_at desc limit 2")]
        if engine.table_exists("hx_tag_runs")
        else []
    )
    total = engine.count("customer_tags") if built else 0
    entries = []
    for level, tags in enumerate(plan.levels):
        for tag_id in tags:
            tag = plan.tags[tag_id]
            rule = tag.rule
            entry: dict[str, Any] = {
                "id": tag.id,
                "name": tag.name.get(lang),
                "name_zh": tag.name.zh,
                "name_en": tag.name.en,
                "layer": tag.layer,
                "definition": tag.definition.get(lang),
                "source": tag.source,
                "kind": tag.kind,
                "owner": tag.owner,
                "created": tag.created.isoformat(),
                "reviewed": tag.reviewed.isoformat() if tag.reviewed else None,
                "refresh": tag.refresh,
                "rule_kind": rule.kind,
                "rule": rule.model_dump(by_alias=True, exclude_none=True),
                "uses": sorted(plan.depends.get(tag.id, ())),
                "level": level,
                "value_names": {k: v.get(lang) for k, v in tag.value_names.items()},
            }
            if tag_id in types and total:
                numeric = types[tag_id].upper().startswith(_NUMERIC)
                compare = runs if len(runs) == 2 and tag_id in snapshot else []
                entry |= _figures(engine, tag_id, total, numeric, compare)
            entries.append(entry)
    return entries


def _figures(
    engine: Engine, tag: str, total: int, numeric: bool, runs: list[str]
) -> dict[str, Any]:
    """Coverage and distribution; drift when ``runs`` holds the latest and the previous run."""
    col = quote_ident(tag)
    covered = engine.count("customer_tags", f"{col} is not null")
    out: dict[str, Any] = {"coverage": round(covered / total, 4), "customers": total}
    if numeric:
        row = engine.rows(
            f"select min({col}), quantile_cont({col}, 0.25), median({col}), "
            f"quantile_cont({col}, 0.75), max({col}), avg({col}) from customer_tags"
        )[0]
        out["distribution"] = dict(
            zip(("min", "p25", "median", "p75", "max", "mean"), map(_round, row), strict=True)
        )
        if runs:
            out["drift"] = _mean_drift(engine, col, runs)
        return out
    shares = engine.rows(
        f"select {col}::varchar, count(*) / {total} from customer_tags where {col} is not null "
        f"group by 1 order by 2 desc, 1 limit {TOP_VALUES}"
    )
    out["distribution"] = {str(v): round(float(s), 4) for v, s in shares}
    if runs:
        out["drift"] = _psi(engine, col, runs)
    return out


def _round(value: Any) -> Any:
    return round(float(value), 4) if isinstance(value, (int, float)) else value


def _psi(engine: Engine, col: str, runs: list[str]) -> dict[str, Any] | None:
    """Population stability index between the previous and the latest snapshot."""
    rows = engine.rows(
        f"select {col}, count(*) filter (where run_id = ?), count(*) filter (where run_id = ?) "
        f"from tag_snapshots where run_id in (?, ?) group by 1",
        [runs[1], runs[0], runs[1], runs[0]],
    )
    before_total = sum(r[1] for r in rows)
    after_total = sum(r[2] for r in rows)
    if not before_total or not after_total:
        return None
    psi = 0.0
    for _, before, after in rows:
        p = max(before / before_total, 1e-4)
        q = max(after / after_total, 1e-4)
        psi += (q - p) * math.log(q / p)
    status = "stable" if psi < 0.1 else "moving" if psi < 0.25 else "shifted"
    return {"previous_run": runs[1], "psi": round(psi, 4), "status": status}


def _mean_drift(engine: Engine, col: str, runs: list[str]) -> dict[str, Any] | None:
    before, after = engine.rows(
        f"select avg(try_cast({col} as double)) filter (where run_id = ?), "
        f"avg(try_cast({col} as double)) filter (where run_id = ?) from tag_snapshots "
        "where run_id in (?, ?)",
        [runs[1], runs[0], runs[1], runs[0]],
    )[0]
    if before is None or after is None:
        return None
    change = (after - before) / abs(before) if before else None
    return {
        "previous_run": runs[1],
        "mean_before": _round(before),
        "mean_after": _round(after),
        "relative_change": _round(change) if change is not None else None,
    }
