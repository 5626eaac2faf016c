"""The report as one Excel workbook: SPEC.md's templates as sheets, typed cells (numbers,
dates, percentages) and frozen header rows, in the report's language (the Chinese sheet and
column names are the templates' own; English ones under ``--lang en``).

Sheets: 说明 (what the workbook holds), 客户信息管理表 (personal fields masked), 标签表,
细分结果表, 营销策略制定表, 结论与策略, the survey's 问卷结果 / KANO when there is a survey,
and 图表 (the report's charts as pictures).
The customer sheet streams from the warehouse in Arrow batches; it holds at most
``customer_limit`` rows (Excel's own limit is 1,048,576) and says so on the first sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.drawing.image import Image
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from huaxiang.personas.render import pick
from huaxiang.privacy.mask import name_mask_sql, phone_mask_sql
from huaxiang.report.definition import DIRECTION_NAMES
from huaxiang.report.figures import chart_images
from huaxiang.report.render import KANO_NAMES, Report

if TYPE_CHECKING:
    from huaxiang.workspace import Workspace

CUSTOMER_LIMIT = 100_000
EXCEL_ROWS = 1_048_575  # one header row
PERCENT = "0.0%"
ROW_PIXELS = 20  # the height of a default Excel row
MONEY = "#,##0.00"
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="F0F4F8")

# 客户信息管理表 (SPEC.md): column title, table (c: customers, t: customer_tags), column, mask
CUSTOMER_COLUMNS: tuple[tuple[str, str, str, Callable[[str], str] | None], ...] = (
    ("客户编号", "c", "customer_id", None),
    ("姓名（脱敏）", "c", "name", name_mask_sql),
    ("年龄", "c", "age", None),
    ("性别", "c", "gender", None),
    ("城市", "c", "city", None),
    ("联系方式（脱敏）", "c", "phone", phone_mask_sql),
    ("职业", "c", "occupation", None),
    ("收入水平", "c", "income_band", None),
    ("消费能力标签", "t", "aov_band", None),
    ("活跃度标签", "t", "lifecycle_stage", None),
    ("购买品类", "t", "category_preference", None),
    ("核心需求标签", "t", "service_preference", None),
    ("最近更新", "c", "updated_at", None),
)


# sheet and column names in English (the Chinese ones are the templates' own)
ENGLISH = {
    "说明": "About",
    "项目": "Item",
    "内容": "Content",
    "报告": "Report",
    "工作区": "Workspace",
    "数据截至": "Data as of",
    "客户数": "Customers",
    "个人信息": "Personal data",
    "摘要": "Summary",
    "客户信息管理表": "Customers",
    "客户编号": "Customer id",
    "姓名（脱敏）": "Name (masked)",
    "年龄": "Age",
    "性别": "Gender",
    "城市": "City",
    "联系方式（脱敏）": "Phone (masked)",
    "职业": "Occupation",
    "收入水平": "Income band",
    "消费能力标签": "Spending power",
    "活跃度标签": "Activity",
    "购买品类": "Categories bought",
    "核心需求标签": "Core need",
    "最近更新": "Last updated",
    "标签表": "Tags",
    "维度": "Layer",
    "标签编号": "Tag id",
    "标签名称": "Tag name",
    "量化规则": "Rule",
    "覆盖率": "Coverage",
    "负责人": "Owner",
    "创建日期": "Created",
    "细分结果表": "Segments",
    "客群": "Segment",
    "核心特征": "Core features",
    "占比": "Share",
    "核心策略": "Core strategy",
    "预期目标": "Goal",
    "营销策略制定表": "Strategies",
    "策略方向": "Direction",
    "具体措施": "Measures",
    "时间节点": "Date",
    "预算（元）": "Budget (CNY)",
    "预期效果": "Expected effect",
    "对应结论": "Conclusions addressed",
    "结论与策略": "Conclusions",
    "结论": "Conclusion",
    "编号": "Key",
    "对应策略": "Strategies",
    "问卷结果": "Survey",
    "题目": "Question",
    "选项": "Answer",
    "人数": "Respondents",
    "优先级": "Priority",
    "功能": "Feature",
    "类别": "Category",
    "图表": "Charts",
}


def _say(text: str, lang: str) -> str:
    """A sheet or column name in ``lang`` (names such as KANO, Better or A stay as they are)."""
    return ENGLISH.get(text, text) if lang == "en" else text


def _says(texts: Sequence[str], lang: str) -> list[str]:
    return [_say(t, lang) for t in texts]


def write_workbook(
    ws: Workspace, report: Report, path: Path, *, customer_limit: int = CUSTOMER_LIMIT
) -> Path:
    book = Workbook(write_only=True)
    lang = report.lang
    en = lang == "en"
    limit = min(customer_limit, EXCEL_ROWS)
    total = report.data.get("meta", {}).get("customers") or 0
    shown = min(limit, total)
    _sheet(
        book,
        _say("说明", lang),
        _says(["项目", "内容"], lang),
        [
            [_say("报告", lang), report.title],
            [_say("工作区", lang), report.data.get("meta", {}).get("workspace")],
            [_say("数据截至", lang), report.data.get("meta", {}).get("as_of")],
            [_say("客户数", lang), total],
            [
                _say("客户信息管理表", lang),
                f"the first {shown:,} customers (by customer id) of {total:,}"
                if en
                else f"前 {shown:,} 名客户（按客户编号），共 {total:,} 名",
            ],
            [
                _say("个人信息", lang),
                "names and phone numbers are masked" if en else "姓名、联系方式已脱敏",
            ],
            [_say("摘要", lang), report.summary],
        ],
    )
    _customers(ws, book, limit, lang)
    _sheet(
        book,
        _say("标签表", lang),
        _says(["维度", "标签编号", "标签名称", "量化规则", "覆盖率", "负责人", "创建日期"], lang),
        [
            [
                e.get("layer"),
                e.get("id"),
                e.get("name_en" if en else "name_zh"),
                e.get("rule"),
                e.get("coverage"),
                e.get("owner"),
                _date(e.get("created")),
            ]
            for e in ws.tag_dictionary(lang)
        ],
        formats={4: PERCENT},
    )
    segments = report.data.get("segments") or {}
    cards = {c["id"]: c for c in report.data.get("personas") or []}
    _sheet(
        book,
        _say("细分结果表", lang),
        _says(["客群", "核心特征", "客户数", "占比", "核心策略", "负责人", "预期目标"], lang),
        [
            [
                s["name"],
                ("; " if en else "；").join(
                    f"{pick(f['tag_name'], lang)}={pick(f['value_name'], lang)}"
                    for f in cards.get(s["id"], {}).get("core_features", [])[:3]
                ),
                s["customers"],
                s["share"],
                s.get("strategy"),
                s.get("owner"),
                s.get("goal"),
            ]
            for s in segments.get("rows", [])
        ],
        formats={3: PERCENT},
    )
    _sheet(
        book,
        _say("营销策略制定表", lang),
        _says(
            ["策略方向", "具体措施", "负责人", "时间节点", "预算（元）", "预期效果", "对应结论"],
            lang,
        ),
        [
            [
                DIRECTION_NAMES[s.direction][1 if en else 0],
                s.measures.get(lang),
                s.owner,
                s.date,
                s.budget,
                s.expected_effect.get(lang) if s.expected_effect else None,
                (", " if en else "，").join(s.addresses),
            ]
            for s in report.definition.strategies
        ],
        formats={4: MONEY},
    )
    none = "(no strategy yet)" if en else "（尚无策略）"
    _sheet(
        book,
        _say("结论与策略", lang),
        _says(["结论", "编号", "对应策略"], lang),
        [
            [c.text(lang), c.key, (", " if en else "，").join(s.id for s in c.strategies) or none]
            for c in report.conclusions
        ],
    )
    _survey_sheets(book, report, lang)
    _charts_sheet(book, report, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _survey_sheets(book: Workbook, report: Report, lang: str) -> None:
    survey = report.data.get("survey")
    if survey and survey.get("questions"):
        rows = [
            [q["title"], a["label"], a["count"], a["share"]]
            for q in survey["questions"]
            for a in q["answers"]
        ]
        _sheet(
            book,
            _say("问卷结果", lang),
            _says(["题目", "选项", "人数", "占比"], lang),
            rows,
            formats={3: PERCENT},
        )
    kano = report.data.get("kano")
    if kano and kano.get("features"):
        _sheet(
            book,
            "KANO",
            _says(["优先级", "功能", "类别", "Better", "Worse", *"AOMIRQ"], lang),
            [
                [
                    i,
                    pick(f.get("name"), lang) or f["feature"],
                    KANO_NAMES[f["category"]][1 if lang == "en" else 0],
                    f["better"],
                    f["worse"],
                    *(f["counts"].get(c, 0) for c in "AOMIRQ"),
                ]
                for i, f in enumerate(kano["features"], 1)
            ],
            formats={3: "0.00", 4: "0.00"},
        )


def _charts_sheet(book: Workbook, report: Report, lang: str) -> None:
    """The report's charts as pictures, one under the other (PNG drawn at twice the size
    they are shown, so they stay sharp when zoomed)."""
    images = chart_images(report)
    sheet = _open(book, _say("图表", lang), [_say("图表", lang)])
    row = 2
    for _title, png in images:
        picture = Image(io.BytesIO(png))
        picture.width, picture.height = picture.width // 2, picture.height // 2
        sheet.add_image(picture, f"A{row}")
        row += picture.height // ROW_PIXELS + 2


def _customers(ws: Workspace, book: Workbook, limit: int, lang: str) -> None:
    e = ws.engine
    header = _says([title for title, *_ in CUSTOMER_COLUMNS], lang)
    sheet_name = _say("客户信息管理表", lang)
    if not e.table_exists("customers"):
        _sheet(book, sheet_name, header, [])
        return
    have = {"c": set(e.columns("customers"))}
    have["t"] = set(e.columns("customer_tags")) if e.table_exists("customer_tags") else set()
    select = []
    for i, (_title, table, column, mask) in enumerate(CUSTOMER_COLUMNS):
        expr = f"{table}.{column}" if column in have[table] else "null"
        select.append(f"{mask(expr) if mask and expr != 'null' else expr} as c{i}")
    join = "left join customer_tags t using (customer_id)" if have["t"] else ""
    reader = e.arrow(
        f"select {', '.join(select)} from customers c {join} order by c.customer_id limit ?",
        [limit],
    )
    sheet = _open(book, sheet_name, header)
    for batch in reader.to_batches(max_chunksize=20_000):
        for row in zip(*(col.to_pylist() for col in batch.columns), strict=True):
            sheet.append(list(row))


def _sheet(
    book: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    formats: dict[int, str] | None = None,
) -> None:
    sheet = _open(book, title, header)
    for raw in rows:
        row = [_plain(v) for v in raw]
        if not formats:
            sheet.append(row)
            continue
        cells: list[Any] = []
        for i, value in enumerate(row):
            if i in formats and isinstance(value, (int, float)):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = formats[i]
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)


def _open(book: Workbook, title: str, header: Sequence[str]) -> WriteOnlyWorksheet:
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    cells = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cells.append(cell)
    sheet.append(cells)
    return sheet


def _plain(value: Any) -> Any:
    """A value a cell holds: numbers, text, dates and booleans as they are, the rest as JSON."""
    if value is None or isinstance(value, (str, int, float, bool, dt.date, dt.datetime)):
        return value
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value
