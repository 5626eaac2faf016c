"""``add_source`` appends to huaxiang.yaml without losing the user's comments."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from huaxiang.config.loader import load_model
from huaxiang.config.models import WorkspaceConfig
from huaxiang.config.template import add_source, render
from huaxiang.workspace import Workspace

NEW = {"name": "shop", "table": "orders", "path": "orders.csv", "mapping": {"单号": "order_id"}}


def comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")] + [
        line.split("#", 1)[1].strip()
        for line in text.splitlines()
        if "#" in line and not line.strip().startswith("#")
    ]


def sources_after_adding(path: Path, text: str) -> tuple[str, list[dict[str, object]]]:
    path.write_text(text, encoding="utf-8")
    add_source(path, NEW)
    new_text = path.read_text(encoding="utf-8")
    config = load_model(path, WorkspaceConfig)
    return new_text, [
        s.model_dump(include={"name", "table", "path", "mapping"}) for s in config.sources
    ]


TEMPLATE = render("shop", "zh-CN")
WITH_ONE = render("shop", "zh-CN", [{"name": "crm", "table": "customers", "path": "c.csv"}])
CRM = {"name": "crm", "table": "customers", "path": "c.csv", "mapping": {}}


@pytest.mark.parametrize(
    ("text", "before"),
    [
        (TEMPLATE, []),
        (WITH_ONE, [CRM]),
        (WITH_ONE + "# my own note at the end\n", [CRM]),
        (TEMPLATE.replace("sources: []", "sources: []   # keep this one"), []),
        (
            TEMPLATE.replace("sources: []\n", "sources: []\n\n") + "# later\npii: [name]  # mine\n",
            [],
        ),
        (
            "# top\nname: shop\nsources:\n- name: crm\n  table: customers\n  path: c.csv\n# end\n",
            [CRM],
        ),
    ],
    ids=["template", "one-source", "comment-after", "comment-on-line", "key-after", "unindented"],
)
def test_add_source_keeps_every_comment(
    tmp_path: Path, text: str, before: list[dict[str, object]]
) -> None:
    new_text, sources = sources_after_adding(tmp_path / "huaxiang.yaml", text)
    assert sources == [*before, NEW]
    assert comments(new_text) == comments(text)
    # everything before the sources block is untouched, byte for byte
    head = text[: text.index("sources:")]
    assert new_text.startswith(head)


def test_add_source_to_flow_style_sources_still_adds(tmp_path: Path) -> None:
    text = "name: shop\nsources: [{name: crm, table: customers, path: c.csv}]\n"
    _, sources = sources_after_adding(tmp_path / "huaxiang.yaml", text)
    assert sources == [CRM, NEW]


def test_add_source_twice(tmp_path: Path) -> None:
    path = tmp_path / "huaxiang.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    add_source(path, {"name": "a", "table": "customers", "path": "a.csv"})
    add_source(path, {"name": "b", "table": "orders", "path": "b.csv", "sheet": 0})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["sources"] == [
        {"name": "a", "table": "customers", "path": "a.csv"},
        {"name": "b", "table": "orders", "path": "b.csv", "sheet": 0},
    ]
    assert comments(path.read_text(encoding="utf-8")) == comments(TEMPLATE)


def test_ingesting_a_file_remembers_it_and_keeps_comments(tmp_path: Path) -> None:
    (tmp_path / "会员.csv").write_text("客户编号,手机号\nC1,13800138000\n", encoding="utf-8")
    Workspace.init(tmp_path / "ws").close()
    config = tmp_path / "ws" / "huaxiang.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "# 我的备注\n", encoding="utf-8")
    original = config.read_text(encoding="utf-8")
    with Workspace.open(tmp_path / "ws") as ws:
        source = ws.source_for_file(tmp_path / "会员.csv", "customers", name="members")
        result = ws.ingest_file(source)
        assert result.rows_read == 1
        assert [s.name for s in ws.config.sources] == ["members"]
    text = config.read_text(encoding="utf-8")
    assert comments(text) == comments(original)
    assert text.startswith(original[: original.index("sources:")])
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.config.sources[0].path == str(tmp_path / "会员.csv")
        assert [r.status for r in ws.ingest()] == ["unchanged"]
