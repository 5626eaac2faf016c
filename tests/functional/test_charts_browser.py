"""Charts in a real browser: a page with every kind opens offline, draws, and asks for nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from huaxiang import charts
from support.browser import Browser, open_browser

pytestmark = pytest.mark.browser

SEGMENTS = [
    {"分群": "高价值忠诚客户", "人数": 1234},
    {"分群": "潜力新客", "人数": 2310},
    {"分群": "流失风险", "人数": 820},
]
ALL_DRAWN = """() => [...document.querySelectorAll('[data-hx-chart="vega-lite"]')]
    .every(el => el.hasAttribute("data-hx-drawn") || el.hasAttribute("data-hx-error"))"""
REPORT = """() => [...document.querySelectorAll("[data-hx-chart]")].map(el => ({
    id: el.id,
    mode: el.getAttribute("data-hx-chart"),
    error: el.getAttribute("data-hx-error"),
    drawn: el.querySelectorAll("svg, canvas").length,
    marks: el.querySelectorAll("svg path, svg rect, svg text").length,
    text: el.textContent,
}))"""


def every_kind() -> dict[str, charts.Chart]:
    return {
        "bar": charts.bar(SEGMENTS, x="分群", y="人数", title="各分群人数", show_values=True),
        "stacked_bar": charts.stacked_bar(
            [{"月": "一月", "渠道": c, "订单": v} for c, v in (("天猫", 5), ("京东", 3))],
            x="月",
            y="订单",
            color="渠道",
        ),
        "pie": charts.pie(SEGMENTS, category="分群", value="人数", title="分群构成"),
        "donut": charts.donut(SEGMENTS, category="分群", value="人数"),
        "line": charts.line(
            [{"日期": f"2026-{m:02d}-01", "活跃": 100 + m} for m in range(1, 7)], x="日期", y="活跃"
        ),
        "scatter": charts.scatter(
            [{"R": r, "M": 10 * r, "名": f"客户{r}"} for r in range(1, 5)], x="R", y="M", label="名"
        ),
        "histogram": charts.histogram([1, 2, 2, 3, 5, 8], bins=4),
        "heatmap": charts.heatmap(
            [
                {"a": a, "b": b, "v": i + j}
                for i, a in enumerate("甲乙")
                for j, b in enumerate("丙丁")
            ],
            x="a",
            y="b",
            value="v",
        ),
        "sankey": charts.sankey(
            [{"从": "高价值", "到": "沉睡", "n": 3}, {"从": "高价值", "到": "高价值", "n": 9}],
            source="从",
            target="到",
            value="n",
            title="分群迁移",
        ),
        "better_worse": charts.better_worse(
            [{"feature": "送货快", "better": 0.6, "worse": -0.7}], title="KANO"
        ),
        "wordcloud": charts.wordcloud({"物流慢": 5, "客服": 3, "包装": 2}, title="关键词"),
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with open_browser() as b:
        yield b


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fragments = [charts.to_html(chart, f"chart-{kind}") for kind, chart in every_kind().items()]
    html = (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>图表</title>'
        "</head><body>\n" + "\n".join(fragments) + "\n" + charts.html_runtime() + "\n</body></html>"
    )
    path = tmp_path_factory.mktemp("charts") / "charts.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_every_kind_draws_offline_without_errors(browser: Browser, page: Path) -> None:
    shot = page.with_suffix(".png")
    # east of Greenwich, where reading "2026-01-01" as UTC would lose January's tick
    visit = browser.visit(
        page, until=ALL_DRAWN, evaluate=REPORT, screenshot=shot, timezone="Asia/Shanghai"
    )
    assert visit.clean, visit.problems()
    report = {entry["id"]: entry for entry in visit.result}
    assert sorted(report) == sorted(f"chart-{kind}" for kind in every_kind())
    for chart_id, entry in report.items():
        assert entry["error"] is None, f"{chart_id}: {entry['error']}"
        assert entry["drawn"] >= 1 and entry["marks"] > 3, f"{chart_id} drew nothing: {entry}"
    assert "高价值忠诚客户" in report["chart-bar"]["text"]
    assert "送货快" in report["chart-better_worse"]["text"]
    assert re.findall(r"2026-\d\d", report["chart-line"]["text"])[:2] == ["2026-01", "2026-02"]
    assert "物流慢" in report["chart-wordcloud"]["text"]
    assert shot.stat().st_size > 10_000


def test_tooltips_show_the_data(browser: Browser, page: Path) -> None:
    hover = """async () => {
        const bar = document.querySelector("#chart-bar svg path[aria-roledescription='bar']");
        const box = bar.getBoundingClientRect();
        const at = {clientX: box.x + box.width / 2, clientY: box.y + box.height / 2,
                    bubbles: true};
        bar.dispatchEvent(new MouseEvent("pointermove", at));
        bar.dispatchEvent(new MouseEvent("mousemove", at));
        await new Promise(resolve => setTimeout(resolve, 300));
        const tip = document.querySelector("#vg-tooltip-element");
        return tip ? tip.textContent : null;
    }"""
    visit = browser.visit(page, until=ALL_DRAWN, evaluate=hover)
    assert visit.clean, visit.problems()
    assert visit.result is not None and "高价值忠诚客户" in visit.result
    assert "1,234" in visit.result


def test_the_browser_helper_reports_outside_requests(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "cdn.html"
    page.write_text(
        '<!doctype html><meta charset="utf-8">'
        '<script src="https://cdn.example.invalid/echarts.min.js"></script><p>离线</p>',
        encoding="utf-8",
    )
    visit = browser.visit(page, wait_for="p")
    assert visit.outside_requests == ["https://cdn.example.invalid/echarts.min.js"]
    assert not visit.clean
