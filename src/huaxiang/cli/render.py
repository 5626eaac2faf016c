"""Terminal rendering of facade results (tables and messages; no logic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console as RichConsole
from rich.markup import escape
from rich.table import Table

from huaxiang.clean.run import CleanResult
from huaxiang.console import Console, TerminalConsole
from huaxiang.errors import HuaxiangError
from huaxiang.ingest.loader import LoadResult


def _rich(console: Console) -> RichConsole:
    return console.rich if isinstance(console, TerminalConsole) else RichConsole(stderr=True)


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def loads(console: Console, results: list[LoadResult]) -> None:
    table = Table(title="loads", title_justify="left")
    for col in ("source", "table", "status", "format", "encoding", "read", "unreadable"):
        table.add_column(col, justify="right" if col in ("read", "unreadable") else "left")
    for r in results:
        table.add_row(
            r.source,
            r.table,
            r.status,
            r.format,
            r.encoding or "-",
            _n(r.rows_read),
            _n(r.rows_rejected),
        )
    _rich(console).print(table)


def preview(console: Console, data: dict[str, Any]) -> None:
    rich = _rich(console)
    mapping = data["mapping"]
    rich.print(
        f"[bold]{escape(data['source'])}[/bold] -> {data['table']} · {data['format']} · "
        f"encoding {data['encoding'] or '-'} · {data['rows_read']:,} rows, "
        f"{data['rows_rejected_on_read']:,} unreadable"
    )
    table = Table(title="column mapping (dry run: nothing written)", title_justify="left")
    table.add_column("header")
    table.add_column("field")
    table.add_column("note")
    for header, field in mapping["fields"].items():
        table.add_row(escape(header), field, "")
    for header in mapping["attributes"]:
        note = "kept as attribute"
        if header in mapping["suggestions"]:
            note += f" (did you mean {mapping['suggestions'][header]}?)"
        if header in mapping["duplicates"]:
            note += f" ({mapping['duplicates'][header]} already taken)"
        table.add_row(escape(header), "-", note)
    rich.print(table)
    if mapping["missing_required"]:
        rich.print(
            f"[red]missing required field(s):[/red] {', '.join(mapping['missing_required'])}"
        )
    for p in data["problems"]:
        rich.print(
            f"[yellow]row {p['row']}[/yellow]"
            + (f", column {escape(str(p['column']))}" if p["column"] else "")
            + f": {escape(p['reason'])}"
        )


def clean_summary(console: Console, result: CleanResult, report: Path) -> None:
    rich = _rich(console)
    table = Table(title="rows: read = accepted + quarantined + merged", title_justify="left")
    for col in ("table", "read", "accepted", "quarantined", "merged", ""):
        table.add_column(col, justify="left" if col == "table" else "right")
    for name, c in result.tables.items():
        ok = c["read"] == c["accepted"] + c["quarantined"] + c["merged"]
        table.add_row(
            name,
            _n(c["read"]),
            _n(c["accepted"]),
            _n(c["quarantined"]),
            _n(c["merged"]),
            "[green]✓[/green]" if ok else "[red]✗[/red]",
        )
    rich.print(table)
    if result.identity:
        i = result.identity
        rich.print(
            f"identity: {i.records:,} customer records -> [bold]{i.customers:,}[/bold] "
            f"customers ({i.merged_records:,} merged, largest group {i.largest})"
        )
    findings = [r for r in result.ledger.rules if r.finding and r.count]
    for f in findings:
        rich.print(f"finding: [bold]{f.finding}[/bold] {f.count:,} {f.table} rows — {f.reason}")
    for w in result.ledger.warnings:
        console.warn(w)
    rich.print(f"quality report: [link=file://{report}]{report}[/link]")


def status(console: Console, data: dict[str, Any]) -> None:
    rich = _rich(console)
    rich.print(f"workspace [bold]{escape(data['name'])}[/bold] at {data['workspace']}")
    table = Table(title="tables", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in data["tables"].items():
        table.add_row(name, _n(n))
    rich.print(table)
    if data["loads"]:
        loads_table = Table(title="sources", title_justify="left")
        for col in ("source", "table", "read", "accepted", "quarantined", "merged", "loaded at"):
            loads_table.add_column(col)
        for row in data["loads"]:
            loads_table.add_row(
                row["source"],
                row["table_name"],
                _n(row["rows_read"]),
                _n(row["rows_accepted"]),
                _n(row["rows_quarantined"]),
                _n(row["rows_merged"]),
                row["loaded_at"][:19],
            )
        rich.print(loads_table)
    rich.print(f"quality report: {data['quality_report'] or '(not yet: run huaxiang clean)'}")


def error(exc: HuaxiangError) -> None:
    rich = RichConsole(stderr=True, highlight=False)
    rich.print(f"[bold red]error:[/bold red] {escape(str(exc))}")


def usage(message: str) -> None:
    rich = RichConsole(stderr=True, highlight=False)
    rich.print(f"[bold red]usage:[/bold red] {escape(message)}")


def unexpected(exc: Exception) -> None:
    rich = RichConsole(stderr=True, highlight=False)
    rich.print(
        f"[bold red]internal error:[/bold red] {escape(exc.__class__.__name__)}: "
        f"{escape(str(exc))}\n"
        "  this is a bug in huaxiang; run again with --debug and report the traceback"
    )


def tag_build(console: Console, result: Any) -> None:
    console.info(
        f"{result.tags} tags and {result.features} features for {result.customers:,} customers "
        f"as of {result.as_of} in {result.seconds:.1f} s (run {result.run_id})"
    )
    if result.computed_tags < result.tags or result.computed_features < result.features:
        console.info(
            f"computed {result.computed_tags} tags and {result.computed_features} features, "
            f"kept the rest from {result.previous_run} ({result.reason})"
        )
    elif result.reason:
        console.info(f"computed everything: {result.reason}")
    console.info("see them with: huaxiang tags list")


def tag_dictionary(console: Console, entries: list[dict[str, Any]]) -> None:
    table = Table(title="tag dictionary 标签表", title_justify="left")
    for col in ("layer", "id", "name", "rule", "coverage", "top values / median", "drift"):
        table.add_column(col, justify="right" if col == "coverage" else "left")
    for e in entries:
        dist = e.get("distribution") or {}
        if "median" in dist:
            shown = f"median {dist['median']}"
        else:
            names = e.get("value_names") or {}
            shown = ", ".join(f"{names.get(k, k)} {v:.0%}" for k, v in list(dist.items())[:3])
        drift = e.get("drift") or {}
        drift_text = (
            f"PSI {drift['psi']} {drift['status']}"
            if "psi" in drift
            else f"mean {drift['relative_change']:+.1%}"
            if drift.get("relative_change") is not None
            else "-"
        )
        coverage = e.get("coverage")
        table.add_row(
            e["layer"],
            e["id"],
            escape(e["name"]),
            e["rule_kind"],
            "-" if coverage is None else f"{coverage:.1%}",
            escape(shown) or "-",
            drift_text,
        )
    _rich(console).print(table)


def tag_runs(console: Console, runs: list[dict[str, Any]]) -> None:
    if not runs:
        console.info("no tag builds yet: huaxiang tags build")
        return
    table = Table(title="tag builds", title_justify="left")
    for col in ("run", "as of", "built at", "customers"):
        table.add_column(col, justify="right" if col == "customers" else "left")
    for r in runs:
        table.add_row(
            r["run_id"], str(r["as_of"]), f"{r['built_at']:%Y-%m-%d %H:%M}", _n(r["customers"])
        )
    _rich(console).print(table)


def tag_moves(console: Console, moves: Any, names: dict[str, str]) -> None:
    def shown(value: str | None) -> str:
        return "(none)" if value is None else escape(names.get(value, value))

    since, until = moves.since, moves.until
    table = Table(
        title=f"{moves.tag}: {since['run_id']} (as of {since['as_of']}) -> "
        f"{until['run_id']} (as of {until['as_of']})",
        title_justify="left",
    )
    for col in ("from", "to", "customers", "share of moves"):
        table.add_column(col, justify="right" if col in ("customers", "share of moves") else "left")
    for f in moves.flows:
        share = f["customers"] / moves.moved if moves.moved else 0.0
        table.add_row(shown(f["from"]), shown(f["to"]), _n(f["customers"]), f"{share:.1%}")
    _rich(console).print(table)
    console.info(f"{moves.moved:,} customers moved, {moves.unchanged:,} kept their value")
