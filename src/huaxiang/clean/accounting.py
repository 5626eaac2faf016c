"""The ledger: what cleaning changed, per rule, with counts and (masked) examples.

The quality report is rendered from it; the row-count invariant
``rows read = accepted + quarantined + merged`` is checked from the warehouse itself
(:func:`huaxiang.clean.run.account_loads`), not from the ledger, so the two cross-check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from huaxiang.clean.rules import Rule
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.privacy.mask import PII_FIELDS, mask_value
from huaxiang.schema import TABLES
from huaxiang.warehouse import raw_table

EXAMPLES = 3


@dataclass
class RuleCount:
    table: str
    rule: str
    column: str | None
    action: str
    count: int
    reason: str
    finding: str | None = None
    examples: list[dict[str, Any]] = field(default_factory=list)
    reason_zh: str = ""


@dataclass
class Ledger:
    rules: list[RuleCount] = field(default_factory=list)
    completeness: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def add(self, count: RuleCount) -> None:
        self.rules.append(count)

    def count_rules(self, engine: Engine, checked: str, rules: list[Rule]) -> None:
        if not rules:
            return
        table = rules[0].table
        q = dict(
            engine.rows(
                f"select _quarantine_rule, count(*) from {checked} "
                "where _quarantine_rule is not null group by 1"
            )
        )
        others = [r for r in rules if r.action != "quarantine"]
        counts = dict(q)
        if others:
            aggs = ", ".join(
                f"count(*) filter (where ({r.condition}) and _quarantine_rule is null)"
                for r in others
            )
            values = engine.rows(f"select {aggs} from {checked}")[0]
            counts.update({r.name: int(v) for r, v in zip(others, values, strict=True)})
        for r in rules:
            n = int(counts.get(r.name, 0))
            examples = []
            if n:
                where = (
                    f"_quarantine_rule = '{r.name}'"
                    if r.action == "quarantine"
                    else f"({r.condition}) and _quarantine_rule is null"
                )
                examples = self._examples(engine, checked, table, r.column, where)
            self.add(
                RuleCount(
                    table,
                    r.name,
                    r.column,
                    _action_word(r.action),
                    n,
                    r.reason,
                    r.finding,
                    examples,
                    r.reason_zh,
                )
            )

    @staticmethod
    def _examples(
        engine: Engine, checked: str, table: str, column: str | None, where: str
    ) -> list[dict[str, Any]]:
        keys = engine.rows(
            f"select _load_id, _row, _source from {checked} where {where} "
            f"order by _load_id, _row limit {EXAMPLES}"
        )
        out = []
        for load_id, row, source in keys:
            example: dict[str, Any] = {"source": source, "row": row}
            if column and column in TABLES[table].by_name:
                value = engine.scalar(
                    f"select {quote_ident(column)} from {raw_table(table)} "
                    "where _load_id = ? and _row = ?",
                    [load_id, row],
                )
                example["value"] = mask_value(column, value)
            out.append(example)
        return out

    def fill(self, table: str, column: str, strategy: str, n: int, value: str) -> None:
        shown = "<masked>" if column in PII_FIELDS else value.strip("'")
        self.add(
            RuleCount(
                table,
                f"fill_{column}",
                column,
                "filled",
                n,
                f"missing {column} filled with {strategy} ({shown})",
                reason_zh=f"「{_label_zh(table, column)}」缺失值按 {strategy} 填充（{shown}）",
            )
        )

    def completeness_before(self, engine: Engine, table: str, typed: str) -> None:
        """Share of rows with a readable value per field, before cleaning."""
        self._completeness(engine, table, typed, "before")

    def completeness_after(self, engine: Engine, table: str, relation: str) -> None:
        self._completeness(engine, table, relation, "after")

    def _completeness(self, engine: Engine, table: str, relation: str, when: str) -> None:
        present = set(engine.columns(relation))  # one catalog query, not one per field
        fields = [f for f in TABLES[table].field_names if f in present]
        total = engine.count(relation)
        result = self.completeness.setdefault(table, {})
        if not fields:
            return
        aggs = ", ".join(f"count({quote_ident(f)})" for f in fields)
        values = engine.rows(f"select {aggs} from {relation}")[0] if total else [0] * len(fields)
        for f, v in zip(fields, values, strict=True):
            result.setdefault(f, {})[when] = round(v / total, 4) if total else None


def _action_word(action: str) -> str:
    return {
        "quarantine": "quarantined",
        "clear": "cleared",
        "cap": "capped",
        "flag": "flagged",
    }.get(action, action)


def _label_zh(table: str, column: str) -> str:
    field = TABLES[table].by_name.get(column)
    return field.label_zh if field is not None else column
