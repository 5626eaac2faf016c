"""Terminal rendering of survey results: definitions, validity, distributions, KANO."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from huaxiang.cli.render import _n, _rich
from huaxiang.console import Console
from huaxiang.surveys import KanoAnalysis, SurveyAnalysis, Validity

MAX_SEGMENT_COLUMNS = 8  # wider cross-tabs are in --json (or narrow them with --group)


def survey_list(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="surveys", title_justify="left")
    columns = ("id", "title", "source", "target", "questions", "kano_features", "rules", "file")
    for col in columns:
        table.add_column(col.replace("_", " "))
    for r in rows:
        table.add_row(*(escape(str(r[c])) for c in columns))
    _rich(console).print(table)
    if not rows:
        console.info("no surveys yet: describe one in surveys/<id>.yaml (see docs/surveys.md)")


def validity(console: Console, result: Validity) -> None:
    console.info(
        f"{result.survey_id}: {_n(result.responses)} responses = {_n(result.valid)} valid + "
        f"{_n(result.invalid)} invalid"
    )
    if result.by_reason:
        table = Table(
            title="invalid responses by reason (one may have several)", title_justify="left"
        )
        table.add_column("reason")
        table.add_column("label")
        table.add_column("responses", justify="right")
        for r in result.by_reason:
            table.add_row(escape(r["reason"]), escape(r["label"]), _n(r["responses"]))
        _rich(console).print(table)
    if len(result.combinations) > 1 or any(len(c["reasons"]) > 1 for c in result.combinations):
        combos = Table(
            title=f"by combination (adds up to {result.invalid:,})", title_justify="left"
        )
        combos.add_column("reasons")
        combos.add_column("responses", justify="right")
        for c in result.combinations:
            combos.add_row(escape(" + ".join(c["reasons"])), _n(c["responses"]))
        _rich(console).print(combos)
    if result.no_time:
        console.warn(f"{result.no_time:,} responses have no answer time: not checked for speed")
    for qid, n in result.unreadable.items():
        console.warn(f"{qid}: {n:,} answers are not a number on the scale (left out)")
    for qid, n in result.unlisted.items():
        console.warn(f"{qid}: {n:,} responses answered outside the declared options")
    s = result.sample
    if s.ok:
        console.info(
            f"sample size ok: {s.valid:,} valid responses, at least {_n(s.needed)} needed "
            f"(target {s.target}: {_n(s.target_size)})"
        )


def analysis(console: Console, result: SurveyAnalysis) -> None:
    linked = f"{result.linked:,} linked to customers"
    if result.in_segments is not None:
        linked += f", {result.in_segments:,} of them in a segment"
    console.info(
        f"{escape(result.title)}: {result.valid:,} valid of {result.responses:,} responses; "
        f"{linked}"
    )
    segments = [s for s in result.segments if s["shown"]][:MAX_SEGMENT_COLUMNS]
    hidden = [s for s in result.segments if not s["shown"]]
    for q in result.questions:
        _question(console, q, segments)
    if result.competitors:
        _competitors(console, result.competitors)
    if hidden:
        console.info(
            "segments with too few responses to show: "
            + ", ".join(f"{escape(s['name'])} ({s['respondents']})" for s in hidden)
        )
    if len([s for s in result.segments if s["shown"]]) > MAX_SEGMENT_COLUMNS:
        console.info(f"only {MAX_SEGMENT_COLUMNS} segments shown: see --json, or use --group")


def _question(console: Console, q: dict[str, Any], segments: list[dict[str, Any]]) -> None:
    title = f"{q['id']} · {q['title']} ({q['type']}, {q['answered']:,} answered)"
    if q["type"] == "text":
        console.info(f"{escape(title)}: open text, read by the feedback analysis")
        return
    if q["type"] == "number":
        console.info(
            f"{escape(title)}: mean {_num(q.get('mean'))}, median {_num(q.get('median'))}, "
            f"{_num(q.get('min'))}-{_num(q.get('max'))}"
        )
        return
    by_segment = {b["segment"]: b for b in q["by_segment"]}
    table = Table(title=escape(title), title_justify="left")
    table.add_column("answer")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for s in segments:
        table.add_column(escape(s["name"]), justify="right")
    for i, a in enumerate(q.get("answers", [])):
        cells = [_share(by_segment.get(s["segment"], {}), i) for s in segments]
        table.add_row(escape(a["answer"]), _n(a["count"]), _pct(a["share"]), *cells)
    if q["type"] == "rating":
        table.add_row(
            "mean",
            "",
            _num(q.get("mean")),
            *(_num(by_segment.get(s["segment"], {}).get("mean")) for s in segments),
            style="bold",
        )
        table.add_row(
            "top-2-box",
            "",
            _pct(q.get("top2")),
            *(_pct(by_segment.get(s["segment"], {}).get("top2")) for s in segments),
            style="bold",
        )
    _rich(console).print(table)


def _share(result: dict[str, Any], index: int) -> str:
    answers = result.get("answers") or []
    return _pct(answers[index]["share"]) if index < len(answers) else "-"


def _competitors(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="competitors", title_justify="left")
    for col in ("brand", "also bought", "share", "rated", "mean", "top-2-box"):
        table.add_column(col, justify="left" if col == "brand" else "right")
    for r in rows:
        table.add_row(
            escape(r["brand"]),
            _n(r["bought"]),
            _pct(r["bought_share"]),
            _n(r["rated"]),
            _num(r["mean"]),
            _pct(r["top2"]),
            style="bold" if r["ours"] else "",
        )
    _rich(console).print(table)


def kano(console: Console, result: KanoAnalysis) -> None:
    table = Table(
        title=f"KANO · {escape(result.title)} ({result.valid:,} valid responses)",
        title_justify="left",
    )
    for col in ("#", "feature", "category", "A", "O", "M", "I", "R", "Q", "Better", "Worse"):
        table.add_column(col, justify="left" if col in ("feature", "category") else "right")
    for f in result.features:
        category = f"{f.category} {f.category_name}" if f.category else "-"
        table.add_row(
            str(f.priority),
            escape(f.name),
            escape(category),
            *(_n(f.counts[c]) for c in "AOMIRQ"),
            _num(f.better),
            _num(f.worse),
        )
    _rich(console).print(table)
    console.info(result.tie_rule)
    console.info(result.order_rule)
    for f in result.features:
        if f.unreadable:
            console.warn(f"{f.name}: {f.unreadable:,} answers are not one of the five Kano answers")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"
