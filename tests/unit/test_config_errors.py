"""Configuration errors name the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from huaxiang.config.loader import load_model
from huaxiang.config.models import WorkspaceConfig
from huaxiang.config.template import render
from huaxiang.errors import ConfigError
from huaxiang.workspace import Workspace


def config_error(tmp_path: Path, text: str) -> ConfigError:
    (tmp_path / "huaxiang.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Workspace.open(tmp_path)
    return info.value


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_template_itself_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "huaxiang.yaml"
    path.write_text(
        render("门店", "zh-CN", [{"name": "crm", "table": "customers", "path": "c.csv"}]),
        encoding="utf-8",
    )
    config = load_model(path, WorkspaceConfig)
    assert config.name == "门店"
    assert [s.name for s in config.sources] == ["crm"]
    assert [(o.table, o.field, o.action) for o in config.cleaning.outliers] == [
        ("customers", "age", "clear"),
        ("orders", "amount", "quarantine"),
        ("orders", "amount", "flag"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "key", "suggestion"),
    [
        ("  day_first: false", "  day_frist: false", "cleaning.day_frist", "day_first"),
        ("locale: zh-CN", "locael: zh-CN", "locale", "locale"),
        ("    survivorship: latest", "    survivorshp: latest", "survivorshp", "survivorship"),
        ("    path: c.csv", "    path: c.csv\n    formt: csv", "sources.0.formt", "format"),
    ],
)
def test_unknown_key_names_file_line_and_a_close_key(
    tmp_path: Path, old: str, new: str, key: str, suggestion: str
) -> None:
    base = render("shop", "zh-CN", [{"name": "crm", "table": "customers", "path": "c.csv"}])
    assert old in base
    text = base.replace(old, new, 1)
    error = config_error(tmp_path, text)
    message = str(error)
    assert str(tmp_path / "huaxiang.yaml") in message
    bad_line = line_of(text, new.split("\n")[-1].strip())
    assert f"line {bad_line}" in message
    assert key.split(".")[-1] in message
    assert f"did you mean {suggestion!r}?" in message
    assert len(error.problems) == 1
    assert error.problems[0].location.line == bad_line


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("  day_first: false", "  day_first: maybe", ["cleaning.day_first", "boolean"]),
        ("  threads: null", "  threads: many", ["engine.threads", "integer"]),
        ("locale: zh-CN", "locale: fr", ["locale", "'zh-CN' or 'en'"]),
        ("    survivorship: latest", "    survivorship: newest", ["survivorship"]),
    ],
)
def test_wrong_types_name_the_line(tmp_path: Path, old: str, new: str, words: list[str]) -> None:
    text = render("shop", "zh-CN").replace(old, new, 1)
    message = str(config_error(tmp_path, text))
    assert f"line {line_of(text, new.strip())}" in message
    for word in words:
        assert word in message


def test_missing_keys_name_the_line(tmp_path: Path) -> None:
    text = "version: 1\nsources:\n  - table: customers\n    path: c.csv\n"
    error = config_error(tmp_path, text)
    messages = sorted(str(p) for p in error.problems)
    assert len(messages) == 2
    name_missing = next(m for m in messages if "'name'" in m and "sources" not in m)
    source_name_missing = next(m for m in messages if "sources.0.name" in m)
    assert "line 1" in name_missing
    assert "line 3" in source_name_missing  # the list item that lacks it
    assert "add 'name:' here" in source_name_missing
    assert str(error).startswith("2 problem(s) in the configuration")


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = (
        render("shop", "zh-CN")
        .replace("  day_first: false", "  day_frist: false")
        .replace("  threads: null", "  threads: -1")
    )
    error = config_error(tmp_path, text)
    lines = sorted(p.location.line or 0 for p in error.problems)
    assert lines == sorted([line_of(text, "day_frist"), line_of(text, "threads: -1")])


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("name: x\ncleaning:\n  day_first: [true\n  timezone: UTC\n", 4, 11),
        ("name: x\n  bad: indent\n", 2, 6),
        ("name: x\n\tlocale: en\n", 2, 1),
        ("name: 'x\n", 2, 1),
    ],
)
def test_invalid_yaml_names_line_and_column(
    tmp_path: Path, text: str, line: int, column: int
) -> None:
    error = config_error(tmp_path, text)
    (problem,) = error.problems
    assert "invalid YAML" in problem.message
    assert (problem.location.line, problem.location.column) == (line, column)
    assert f"line {line}, column {column}" in str(error)


def test_a_misspelt_rule_field_is_caught_when_loading(tmp_path: Path) -> None:
    text = (
        render("shop", "zh-CN")
        .replace(
            "{table: orders, field: amount, rule: bounds, min: 0, action: quarantine}",
            "{table: orders, field: amout, rule: bounds, min: 0, action: quarantine}",
        )
        .replace(
            "{table: customers, field: gender, strategy: unknown}",
            "{table: customers, field: gendr, strategy: unknown}",
        )
    )
    error = config_error(tmp_path, text)
    by_line = {p.location.line: p.message for p in error.problems}
    assert "did you mean 'amount'?" in by_line[line_of(text, "field: amout")]
    assert "did you mean 'gender'?" in by_line[line_of(text, "field: gendr")]


def test_outlier_rules_need_a_numeric_field(tmp_path: Path) -> None:
    text = render("shop", "zh-CN").replace(
        "{table: customers, field: age, rule: bounds",
        "{table: customers, field: city, rule: bounds",
    )
    message = str(config_error(tmp_path, text))
    assert "customers has no numeric field 'city'" in message
    assert f"line {line_of(text, 'field: city')}" in message


def test_duplicate_source_names_are_an_error(tmp_path: Path) -> None:
    sources = [
        {"name": "crm", "table": "customers", "path": "a.csv"},
        {"name": "crm", "table": "orders", "path": "b.csv"},
    ]
    message = str(config_error(tmp_path, render("shop", "zh-CN", sources)))
    assert "source name 'crm' is used twice" in message


def test_not_a_mapping_and_not_utf8(tmp_path: Path) -> None:
    assert "expected a mapping" in str(config_error(tmp_path, "- a\n- b\n"))
    (tmp_path / "huaxiang.yaml").write_bytes("name: 门店\n".encode("gbk"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        Workspace.open(tmp_path)
