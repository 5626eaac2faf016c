"""``huaxiang feedback``: pain-point themes of the customers' feedback, keywords, the lexicon."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from huaxiang.cli.common import JsonOpt, LangOpt, WorkspaceOpt, emit_json, open_workspace
from huaxiang.cli.render import _n, _rich
from huaxiang.console import Console
from huaxiang.feedback import FeedbackKeywords, Lexicon, PainPoints, ThemeShares

feedback_app = typer.Typer(
    help="Customer feedback: pain-point themes (overall, per segment, per channel), keywords "
    "for word clouds, the pain-point lexicon.",
    no_args_is_help=True,
)


@feedback_app.command("themes")
def themes(
    by_segment: Annotated[
        bool, typer.Option("--by-segment", help="Per segment of the latest build too.")
    ] = False,
    group: Annotated[
        str | None, typer.Option("--group", help="Only the segments of this group.")
    ] = None,
    by_channel: Annotated[bool, typer.Option("--by-channel", help="Per channel too.")] = False,
    lang: LangOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Share of the customers with feedback who mention each pain point (配送时效, ...)."""
    with open_workspace(workspace) as ws:
        result = ws.pain_points(
            by_segment=by_segment, by_channel=by_channel, group=group, lang=lang
        )
        if as_json:
            emit_json(result.as_dict())
        else:
            render_themes(ws.console, result)


@feedback_app.command("keywords")
def keywords(
    method: Annotated[str, typer.Option("--method", help="tfidf or textrank (slower).")] = "tfidf",
    segment: Annotated[
        str | None, typer.Option("--segment", help="Keywords of one segment's customers.")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many keywords.")] = 50,
    min_customers: Annotated[
        int,
        typer.Option("--min-customers", min=1, help="Leave out words fewer customers used."),
    ] = 5,
    sample: Annotated[
        int, typer.Option("--sample", min=1, help="At most this many texts are read.")
    ] = 20_000,
    cloud: Annotated[
        Path | None, typer.Option("--cloud", help="Also draw them as a word cloud (.png / .svg).")
    ] = None,
    lang: LangOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Keywords of the feedback texts with their weights (a word cloud's input)."""
    with open_workspace(workspace) as ws:
        result = ws.feedback_keywords(
            method, segment, top, min_customers=min_customers, sample=sample
        )
        if cloud is not None:
            ws.console.info(f"word cloud written to {ws.export_word_cloud(result, cloud, lang)}")
        if as_json:
            emit_json(result.as_dict())
        else:
            render_keywords(ws.console, result, ws.language(lang))


@feedback_app.command("lexicon")
def lexicon(lang: LangOpt = None, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The pain-point lexicon in effect (built-in, changed by feedback/pain_points.yaml)."""
    with open_workspace(workspace) as ws:
        result = ws.feedback_lexicon()
        if as_json:
            emit_json(result.as_dict())
        else:
            render_lexicon(ws.console, result, ws.language(lang))


# -- rendering ---------------------------------------------------------------------------------
def _pct(share: float) -> str:
    return f"{share:.0%}"


def _rating(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def render_themes(console: Console, result: PainPoints) -> None:
    lang = result.lang
    zh = lang.startswith("zh")
    out = _rich(console)
    o = result.overall
    title = (
        f"反馈主题：{_n(o.customers)} 位客户的 {_n(o.texts)} 条反馈"
        if zh
        else f"feedback themes: {_n(o.texts)} texts from {_n(o.customers)} customers"
    )
    table = Table(title=title, title_justify="left")
    columns = ("主题", "客户", "占反馈客户", "反馈条数", "平均评分") if zh else (
        "theme", "customers", "of customers with feedback", "texts", "mean rating"
    )  # fmt: skip
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for t in o.themes:
        name = escape(t.name["zh" if zh else "en"])
        table.add_row(
            f"[dim]{name}[/dim]" if t.kind != "pain" else name,
            _n(t.customers),
            _pct(t.share),
            _n(t.feedback),
            _rating(t.mean_rating),
        )
    out.print(table)
    for scopes, what in ((result.segments, "segment"), (result.channels, "channel")):
        if scopes:
            out.print(_matrix(scopes, o, what, lang))
    top = o.top()
    if top is not None:
        console.info(top.headline(lang))
    for note in result.notes:
        console.warn(note["zh" if zh else "en"])


def _matrix(scopes: list[ThemeShares], overall: ThemeShares, what: str, lang: str) -> Table:
    """Scopes as rows, the themes anyone mentioned as columns (in the overall order): the share
    of customers mentioning each; the top pain point of a row in bold."""
    zh = lang.startswith("zh")
    titles = {"segment": ("各细分群体", "per segment"), "channel": ("各渠道", "per channel")}
    table = Table(title=titles[what][0 if zh else 1], title_justify="left")
    table.add_column("细分" if zh and what == "segment" else "渠道" if zh else what)
    table.add_column("反馈客户" if zh else "customers", justify="right")
    shown = [t for t in overall.themes if t.customers]
    ids = [t.theme for t in shown]
    for theme in shown:
        table.add_column(escape(theme.name["zh" if zh else "en"]), justify="right")
    for s in scopes:
        top = s.top()
        cells = []
        for ident in ids:
            found = s.theme(ident)
            cell = _pct(found.share) if found is not None and s.customers else "-"
            cells.append(f"[bold]{cell}[/bold]" if top is not None and top.theme == ident else cell)
        name = s.name["zh" if zh else "en"] if s.name else (s.key or "-")
        table.add_row(escape(name), _n(s.customers), *cells)
    return table


def render_keywords(console: Console, result: FeedbackKeywords, lang: str) -> None:
    zh = lang.startswith("zh")
    scope = (result.segment_name or {}).get("zh" if zh else "en") or (
        "全部反馈" if zh else "all feedback"
    )
    title = (
        f"反馈关键词（{result.method}）：{scope}，"
        f"读取 {_n(result.texts_read)} / {_n(result.texts)} 条"
        if zh
        else f"feedback keywords ({result.method}): {scope}, "
        f"{_n(result.texts_read)} of {_n(result.texts)} texts read"
    )
    table = Table()
    for i, col in enumerate(("关键词", "权重", "客户", "占比") if zh else (
        "keyword", "weight", "customers", "share"
    )):  # fmt: skip
        table.add_column(col, justify="left" if i == 0 else "right")
    for k in result.keywords:
        table.add_row(
            escape(k["keyword"]), f"{k['weight']:.3f}", _n(k["customers"]), _pct(k["share"])
        )
    out = _rich(console)
    out.print(escape(title))
    out.print(table)
    for note in result.notes:
        console.info(note["zh" if zh else "en"])
    if not result.keywords and result.texts:
        console.info(
            f"没有至少 {result.min_customers} 位客户使用的关键词"
            if zh
            else f"no keyword used by at least {result.min_customers} customers"
        )


def render_lexicon(console: Console, lexicon: Lexicon, lang: str) -> None:
    zh = lang.startswith("zh")
    table = Table(
        title=escape(f"pain-point lexicon: {', '.join(lexicon.files)}"), title_justify="left"
    )
    for col in ("id", "主题" if zh else "theme", "kind", "keywords", "exclude", "source"):
        table.add_column(col)
    for t in lexicon.themes:
        table.add_row(
            t.id,
            escape(t.label("zh" if zh else "en")),
            t.kind,
            escape(" ".join(t.keywords)),
            escape(" ".join(t.exclude)) or "-",
            t.source,
        )
    _rich(console).print(table)
