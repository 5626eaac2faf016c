"""Writing tag tables (the dictionary, moved customers) to a file: JSON, CSV (UTF-8 with BOM,
Excel opens it) or xlsx."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from huaxiang.errors import UsageError

COLUMNS = (
    ("id", "标签编号"),
    ("name_zh", "标签名称"),
    ("name_en", "name"),
    ("layer", "维度"),
    ("definition", "定义"),
    ("source", "数据来源"),
    ("rule_kind", "规则类型"),
    ("rule", "量化规则"),
    ("kind", "静态/动态"),
    ("owner", "负责人"),
    ("created", "创建日期"),
    ("reviewed", "复核日期"),
    ("refresh", "更新频率"),
    ("coverage", "覆盖率"),
    ("distribution", "取值分布"),
    ("drift", "漂移"),
)


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_dictionary(entries: list[dict[str, Any]], path: Path) -> Path:
    header = [f"{zh} ({en})" if en != zh else zh for en, zh in COLUMNS]
    rows = [[_cell(e.get(key)) for key, _ in COLUMNS] for e in entries]
    return write_table(path, header, rows, sheet="标签表", records=entries)


def write_table(
    path: Path,
    header: list[str],
    rows: list[list[Any]],
    *,
    sheet: str,
    records: list[dict[str, Any]],
) -> Path:
    """``rows`` under ``header`` as .csv or .xlsx, or ``records`` as .json (by the suffix)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(records, ensure_ascii=False, indent=2, default=str)
        path.write_text(text, encoding="utf-8")
        return path
    if suffix not in (".csv", ".xlsx"):
        raise UsageError(f"cannot write {path.name}", hint="use a .json, .csv or .xlsx file name")
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        return path
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    out = book.create_sheet(sheet)
    out.freeze_panes = "B2"
    out.append(header)
    for row in rows:
        out.append(row)
    book.save(path)
    return path
