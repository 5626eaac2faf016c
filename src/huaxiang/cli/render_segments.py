"""Terminal rendering of segment results: builds, previews, analyses, migrations."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from huaxiang.cli.render import _n, _rich
from huaxiang.console import Console
from huaxiang.segments.build import Preview, SegmentBuild
from huaxiang.segments.migration import Migration


def segment_list(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="segments", title_justify="left")
    columns = ("id", "name", "group", "priority", "condition", "owner", "goal")
    for col in columns:
        table.add_column(col)
    for r in rows:
        table.add_row(*(escape(str(r.get(c) or "")) for c in columns))
    _rich(console).print(table)


def segment_build(console: Console, result: SegmentBuild, names: dict[str, str]) -> None:
    table = Table(title=f"segments {result.run_id} (tags as of {result.as_of})",
                  title_justify="left")  # fmt: skip
    for col in ("segment", "name", "customers", "share"):
        table.add_column(col, justify="right" if col in ("customers", "share") else "left")
    for sid, n in result.sizes.items():
        share = n / result.customers if result.customers else 0.0
        table.add_row(escape(sid), escape(names.get(sid, "")), _n(n), f"{share:.1%}")
    _rich(console).print(table)
    console.info(
        f"{result.customers:,} customers, {result.unassigned:,} in no segment; "
        f"built in {result.seconds:.1f} s"
    )
    for group, info in result.contested.items():
        console.warn(
            f"{info['customers']:,} customers met two or more conditions of group {group}: "
            "each went to the first by priority (see: huaxiang segments analyse)"
        )


def preview(console: Console, result: Preview) -> None:
    console.info(
        f"{result.customers:,} of {result.total:,} customers ({result.share:.1%}) match "
        f"{result.condition}"
    )


def analysis(console: Console, data: dict[str, Any]) -> None:
    table = Table(title=f"segments of {data['customers']:,} customers", title_justify="left")
    for col in ("segment", "name", "group", "customers", "share"):
        table.add_column(col, justify="right" if col in ("customers", "share") else "left")
    for r in data["segments"]:
        table.add_row(escape(r["segment"]), escape(r.get("name") or ""), escape(r["group"] or ""),
                      _n(r["customers"]), f"{r['share']:.1%}")  # fmt: skip
    _rich(console).print(table)
    console.info(f"{data['in_no_segment']:,} customers are in no segment")
    if data["overlaps"]:
        over = Table(title="overlaps (largest first)", title_justify="left")
        for col in ("segment", "segment ", "both", "jaccard"):
            over.add_column(col, justify="right" if col in ("both", "jaccard") else "left")
        for o in data["overlaps"][:15]:
            over.add_row(escape(o["a"]), escape(o["b"]), _n(o["both_"]), f"{o['jaccard']:.2f}")
        _rich(console).print(over)
    for f in data["findings"]:
        console.warn(f["message"])


def migration(console: Console, result: Migration, names: dict[str, str]) -> None:
    def shown(value: str) -> str:
        return escape(names.get(value, value))

    since, until = result.since, result.until
    table = Table(
        title=f"{result.scope}: {since['run_id']} (as of {since['as_of']}) -> "
        f"{until['run_id']} (as of {until['as_of']})",
        title_justify="left",
    )
    for col in ("from", "to", "customers"):
        table.add_column(col, justify="right" if col == "customers" else "left")
    for f in result.matrix:
        style = "" if f["from"] != f["to"] else "dim"
        table.add_row(shown(f["from"]), shown(f["to"]), _n(f["customers"]), style=style)
    _rich(console).print(table)
    console.info(f"{result.moved:,} customers moved, {result.unchanged:,} stayed")


def comparison(console: Console, data: dict[str, Any]) -> None:
    against = "the population" if data["against"] == "*" else data["against"]
    numbers = Table(title=f"{data['segment']} against {against}", title_justify="left")
    for col in ("tag / feature", "segment", "against", "ratio"):
        numbers.add_column(col, justify="left" if col == "tag / feature" else "right")
    for r in data["numeric"]:
        numbers.add_row(escape(r["name"]), _num(r["segment"]), _num(r["against"]),
                        _num(r["ratio"], "{:.2f}x"))  # fmt: skip
    _rich(console).print(numbers)
    values = Table(title="values that differ most", title_justify="left")
    for col in ("tag", "value", "segment", "against", "lift"):
        values.add_column(col, justify="left" if col in ("tag", "value") else "right")
    for r in data["text"][:15]:
        values.add_row(escape(r["tag"]), escape(str(r["value"])), f"{r['share_segment']:.1%}",
                       f"{r['share_against']:.1%}", _num(r["lift"], "{:.2f}"))  # fmt: skip
    _rich(console).print(values)


def _num(value: float | None, fmt: str = "{:,.2f}") -> str:
    return "-" if value is None else fmt.format(value)
