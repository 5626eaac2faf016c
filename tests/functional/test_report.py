"""The analysis report on the demo workspace: HTML opened offline in Chromium, the PDF rendered
and read back with poppler, the workbook read back with openpyxl."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from html import escape as html_escape
from pathlib import Path

import pytest
from openpyxl import load_workbook

from huaxiang.errors import ConfigError, UsageError
from huaxiang.report.definition import REPORT_FILE, load_report_definition
from huaxiang.report.findings import SUMMARY_LIMIT
from huaxiang.report.render import SECTIONS
from huaxiang.workspace import Workspace
from support.browser import Browser, open_browser

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reported(built_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with value scores and segments: everything a report reads."""
    root = tmp_path_factory.mktemp("report") / "shop"
    shutil.copytree(built_demo_template, root)
    with Workspace.open(root) as ws:
        ws.value_fit()
        ws.value_score()
        ws.build_segments()
    return root


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with open_browser() as b:
        yield b


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: make test installs poppler-utils")
    return path


@pytest.mark.browser
def test_html_report_opens_offline_with_every_chart_drawn(reported: Path, browser: Browser) -> None:
    with Workspace.open(reported) as ws:
        result = ws.report("html", lang="zh")
    html = result.path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    visit = browser.visit(
        result.path,
        until="document.querySelectorAll('figure.chart').length > 0 && "
        "[...document.querySelectorAll('figure.chart')].every(f => f.querySelector('svg, canvas'))",
        evaluate="[document.querySelectorAll('figure.chart').length, "
        "[...document.querySelectorAll('section h2')].map(h => h.textContent)]",
    )
    assert visit.clean, visit.problems()
    figures, headings = visit.result
    assert headings == [zh for _, zh, _ in SECTIONS]
    # the charts the demo data support: quality, segments (+ overlap), pain (+ per segment,
    # word cloud), survey questions, Better-Worse, competitors, RFM, LTV, CLV
    assert figures >= 12


def test_pdf_report_has_contents_page_numbers_and_embedded_cjk_fonts(
    reported: Path, tmp_path: Path
) -> None:
    with Workspace.open(reported) as ws:
        result = ws.report("pdf", lang="zh", path=tmp_path / "报告.pdf")
        customers = ws.engine.count("customers")
    info = subprocess.run(
        [_tool("pdfinfo"), str(result.path)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert pages >= len(SECTIONS)  # every section starts on a new page
    text = subprocess.run(
        [_tool("pdftotext"), "-layout", str(result.path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for _, zh, _ in SECTIONS:
        assert zh in text
    assert f"{customers:,}" in text
    assert f"1 / {pages}" in text and f"{pages} / {pages}" in text  # page numbers
    # the table of contents names the page each section starts on, and it does start there
    toc = dict(re.findall(r"^\s*\d+\.\s*(\S.*?)\s*\.{3,}\s*(\d+)\s*$", text, re.MULTILINE))
    assert list(toc) == [zh for _, zh, _ in SECTIONS]
    numbers = [int(n) for n in toc.values()]
    assert numbers == sorted(numbers) and numbers[-1] <= pages
    for name in ("KANO 需求优先级", "客户价值"):
        page = subprocess.run(
            [_tool("pdftotext"), "-f", toc[name], "-l", toc[name], str(result.path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert page.lstrip().startswith(name)
    fonts = subprocess.run(
        [_tool("pdffonts"), str(result.path)], capture_output=True, text=True, check=True
    ).stdout
    assert "CJK" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # embedded
    # charts are vectors: their labels are text in the PDF, not pixels
    assert "Better" in text and "|Worse|" in text
    pages_to_png = [_tool("pdftoppm"), "-r", "40", "-png", "-f", "1", "-l", "2"]
    subprocess.run([*pages_to_png, str(result.path), str(tmp_path / "p")], check=True)
    rendered = sorted(tmp_path.glob("p-*.png"))
    assert len(rendered) == 2 and all(p.stat().st_size > 2_000 for p in rendered)


def test_workbook_holds_the_templates_typed_and_masked(reported: Path, tmp_path: Path) -> None:
    with Workspace.open(reported) as ws:
        result = ws.report("xlsx", path=tmp_path / "report.xlsx")
        customers = ws.engine.count("customers")
        segments = ws.engine.rows("select count(distinct segment_id) from segment_members")[0][0]
    book = load_workbook(result.path)
    assert {"客户信息管理表", "标签表", "细分结果表", "营销策略制定表", "问卷结果", "KANO"} <= set(
        book.sheetnames
    )
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
    people = book["客户信息管理表"]
    header = [c.value for c in people[1]]
    assert header[:3] == ["客户编号", "姓名（脱敏）", "年龄"]
    assert people.max_row == customers + 1
    phones = [r[5] for r in people.iter_rows(min_row=2, values_only=True) if r[5]]
    names = [r[1] for r in people.iter_rows(min_row=2, values_only=True) if r[1]]
    assert phones and all("****" in p for p in phones)
    assert names and all("*" in n for n in names)
    table = book["细分结果表"]
    rows = list(table.iter_rows(min_row=2))
    assert len(rows) == segments
    share = rows[0][3]
    assert isinstance(share.value, float) and share.number_format == "0.0%"
    assert isinstance(rows[0][2].value, int)
    strategies = book["营销策略制定表"]
    assert [c.value for c in strategies[1]][:3] == ["策略方向", "具体措施", "负责人"]
    assert strategies.max_row - 1 == len(load_report_definition(reported).strategies)
    # the charts as pictures: as many PNGs as the report draws charts
    with Workspace.open(reported) as ws:
        from huaxiang.report import collect_report
        from huaxiang.report.figures import report_charts

        drawn = len(report_charts(collect_report(ws, "zh")))
    with zipfile.ZipFile(result.path) as archive:
        pictures = [n for n in archive.namelist() if n.startswith("xl/media/")]
        assert len(pictures) == drawn >= 10
        assert all(archive.read(n)[:4] == b"\x89PNG" for n in pictures)


def test_conclusions_point_at_the_declared_strategies(reported: Path) -> None:
    with Workspace.open(reported) as ws:
        from huaxiang.report import collect_report

        report = collect_report(ws, "zh")
        points = ws.pain_points(lang="zh")
    keys = {c.key for c in report.conclusions}
    top = points.overall.top()
    assert top is not None and f"pain:{top.theme}" in keys
    definition = load_report_definition(reported)
    for c in report.conclusions:
        assert [s.id for s in c.strategies] == [
            s.id for s in definition.strategies if c.key in s.addresses
        ]
    assert any(c.strategies for c in report.conclusions)
    # the number in the conclusion is the feedback module's own
    pain = next(c for c in report.conclusions if c.key == f"pain:{top.theme}")
    assert f"{top.share * 100:.0f}%" in pain.zh
    assert len(report.summary) <= SUMMARY_LIMIT


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_fits_300_characters_and_names_the_base(reported: Path, lang: str) -> None:
    with Workspace.open(reported) as ws:
        from huaxiang.report import collect_report

        report = collect_report(ws, lang)  # type: ignore[arg-type]
        customers = ws.engine.count("customers")
    assert 0 < len(report.summary) <= SUMMARY_LIMIT
    assert f"{customers:,}" in report.summary


def test_english_report_speaks_english(reported: Path, tmp_path: Path) -> None:
    with Workspace.open(reported) as ws:
        result = ws.report("html", lang="en", path=tmp_path / "r.html")
    html = result.path.read_text(encoding="utf-8")
    for _, _, en in SECTIONS:
        assert f">{en}<" in html
    assert 'lang="en"' in html


def test_a_bad_report_definition_names_file_and_line(reported: Path, tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(reported, root)
    (root / REPORT_FILE).write_text(
        "version: 1\nstrategies:\n  - id: x\n    direction: pricing\n    measures: 降价\n"
        "    owner: 市场部\n",
        encoding="utf-8",
    )
    with Workspace.open(root) as ws, pytest.raises(ConfigError) as err:
        ws.report("html")
    problem = err.value.problems[0]
    assert problem.location.file == REPORT_FILE and problem.location.line == 4
    assert "pricing" in str(err.value) or "direction" in str(err.value)


def test_unknown_format_is_a_usage_error(reported: Path) -> None:
    with Workspace.open(reported) as ws, pytest.raises(UsageError, match="html, pdf or xlsx"):
        ws.report("docx")


def test_sections_without_data_say_what_to_run(built_demo: Path) -> None:
    """Tags only: no segments, no value model, no survey definition, no report.yaml."""
    shutil.rmtree(built_demo / "surveys")
    (built_demo / REPORT_FILE).unlink(missing_ok=True)
    with Workspace.open(built_demo) as ws:
        result = ws.report("html", lang="en")
    html = result.path.read_text(encoding="utf-8")
    assert "No segments yet: run huaxiang segments build." in html
    assert "No predicted value yet" in html
    assert "The survey has no KANO pairs." in html
    assert "No goal declared" in html
    assert result.conclusions > 0 and result.with_strategy == 0  # pain points still found


def test_report_command_prints_where_it_went(reported: Path, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from huaxiang.cli.main import app

    target = tmp_path / "r.xlsx"
    out = CliRunner().invoke(
        app, ["-w", str(reported), "report", "--format", "xlsx", "-o", str(target), "--json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["path"] == str(target) and target.exists()
    assert data["format"] == "xlsx" and len(data["summary"]) <= SUMMARY_LIMIT
    bad = CliRunner().invoke(app, ["-w", str(reported), "report", "--format", "docx"])
    # the runner hands the error back as it is; the real entry point prints it (exit code 2)
    assert isinstance(bad.exception, UsageError)
    assert "docx" in str(bad.exception) and bad.exception.hint == "use html, pdf or xlsx"


def test_migration_since_the_last_build_is_a_sankey_in_html_and_pdf(
    reported: Path, tmp_path: Path
) -> None:
    import datetime as dt

    root = tmp_path / "shop"
    shutil.copytree(reported, root)
    with Workspace.open(root) as ws:
        ws.build_tags(dt.date(2026, 3, 31))
        ws.build_segments()
        ws.build_tags()  # back to the workspace's as-of day: customers move between stages
        ws.build_segments()
        moved = ws.segment_migration("lifecycle").moved
        html = ws.report("html", lang="zh").path.read_text(encoding="utf-8")
        pdf = ws.report("pdf", lang="zh", path=tmp_path / "r.pdf").path
    assert moved > 0
    assert 'data-chart="migration_' in html
    assert f"{moved:,}" in html
    text = subprocess.run(
        [_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "上次构建 → 本次构建" in text  # the Sankey's title, drawn as text


def test_several_formats_from_one_collection_with_the_given_cards(reported: Path) -> None:
    """A build draws the persona cards once: the report uses the cards it is given."""
    with Workspace.open(reported) as ws:
        cards = ws.persona_cards(lang="en")
        kept = cards[:1]
        results = ws.reports(("html", "xlsx"), lang="en", cards=kept)
        all_cards = ws.report("html", lang="en", path=ws.reports_dir / "all.html")
    assert [r.format for r in results] == ["html", "xlsx"]
    assert all(r.path.is_file() and r.path.stat().st_size > 0 for r in results)
    assert results[0].summary == results[1].summary
    assert "personas" in results[0].seconds and "personas" in results[1].seconds
    html = results[0].path.read_text(encoding="utf-8")
    full = all_cards.path.read_text(encoding="utf-8")
    assert len(cards) > 1
    # a card's headline is written only on its card
    lines = [html_escape(c.headline["en"]) for c in cards]
    assert lines[0] in html and lines[0] in full
    for line in set(lines[1:]) - {lines[0]}:
        assert line in full and line not in html


def test_english_workbook_names_sheets_and_columns_in_english(
    reported: Path, tmp_path: Path
) -> None:
    with Workspace.open(reported) as ws:
        result = ws.report("xlsx", lang="en", path=tmp_path / "report.en.xlsx")
    book = load_workbook(result.path)
    assert book.sheetnames[:6] == [
        "About",
        "Customers",
        "Tags",
        "Segments",
        "Strategies",
        "Conclusions",
    ]
    assert {"Survey", "KANO", "Charts"} <= set(book.sheetnames)
    chinese = re.compile(r"[\u4e00-\u9fff]")
    for sheet in book.worksheets:
        header = [c.value for c in sheet[1] if c.value is not None]
        assert header and not any(chinese.search(str(h)) for h in header), sheet.title
    assert [c.value for c in book["Customers"][1]][:3] == ["Customer id", "Name (masked)", "Age"]
    conclusions = [r[0] for r in book["Conclusions"].iter_rows(min_row=2, values_only=True)]
    assert conclusions and not any(chinese.search(c) for c in conclusions)
    directions = {r[0] for r in book["Strategies"].iter_rows(min_row=2, values_only=True)}
    assert directions and not any(chinese.search(d) for d in directions)
