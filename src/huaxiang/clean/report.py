"""The data-quality report: JSON for scripts, one self-contained HTML page for people.

Both come from the same dictionary (:meth:`CleanResult.as_dict`); examples inside are already
masked by the ledger, so the report can be shared.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from huaxiang.clean.run import CleanResult
from huaxiang.config.models import WorkspaceConfig


def report_data(result: CleanResult, config: WorkspaceConfig) -> dict[str, Any]:
    data = result.as_dict()
    data["name"] = config.name
    data["generated_at"] = datetime.now().isoformat(timespec="seconds")
    data["findings"] = [r for r in data["rules"] if r["finding"] and r["count"]]
    return data


def render_html(data: dict[str, Any], locale: str) -> str:
    env = Environment(autoescape=select_autoescape(["html"]))
    text = resources.files("huaxiang.clean").joinpath("templates/quality.html").read_text("utf-8")
    zh = locale == "zh-CN"

    actions_zh = {
        "quarantined": "隔离",
        "cleared": "清空",
        "capped": "截断",
        "flagged": "标记",
        "merged": "合并",
        "filled": "填充",
        "ignored for matching": "不参与匹配",
    }

    def action(value: str) -> str:
        return actions_zh.get(value, value) if zh else value

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    return env.from_string(text).render(
        **data,
        zh=zh,
        t=lambda zh_text, en_text: zh_text if zh else en_text,
        pct=pct,
        action=action,
        quiet_rules=sorted({r["rule"] for r in data["rules"] if not r["count"]}),
    )


def write_quality_report(
    result: CleanResult, folder: Path, config: WorkspaceConfig
) -> tuple[Path, Path]:
    data = report_data(result, config)
    json_path = folder / "quality.json"
    html_path = folder / "quality.html"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), "utf-8")
    html_path.write_text(render_html(data, config.locale), "utf-8")
    return html_path, json_path
