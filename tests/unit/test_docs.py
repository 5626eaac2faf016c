"""Documentation keeps up with the code: every setting and command is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from huaxiang.cli.main import app
from huaxiang.config.models import SourceConfig, WorkspaceConfig

ROOT = Path(__file__).resolve().parents[2]


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        inner: Any = field.annotation
        nested = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
        if nested is not None and nested is not SourceConfig:
            keys.extend(_keys(nested, f"{path}."))
        else:
            keys.append(path)
    return keys


def test_every_workspace_setting_is_in_the_configuration_reference() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_.\[\]]+)`", text))
    missing = [
        k for k in _keys(WorkspaceConfig) if k not in documented and f"{k}[]" not in documented
    ]
    assert not missing, f"undocumented settings in docs/configuration.md: {missing}"


def test_every_source_key_is_in_the_configuration_reference() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = text.split("## Sources", 1)[1]
    missing = [k for k in SourceConfig.model_fields if f"`{k}`" not in section]
    assert not missing, f"undocumented source keys: {missing}"


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    assert names, "the CLI registers no commands"
    missing = [
        n
        for n in names
        if f"huaxiang {n}" not in readme
        and f"-w shop {n}" not in readme
        and f"-w DIR {n}" not in readme
    ]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_subcommand_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    groups = [(g.name, g.typer_instance) for g in app.registered_groups]
    assert groups, "the CLI registers no command groups"
    missing = []
    for group, sub in groups:
        assert sub is not None
        for c in sub.registered_commands:
            name = c.name or (c.callback.__name__ if c.callback else "")
            if f"{group} {name}" not in readme:
                missing.append(f"{group} {name}")
    assert not missing, f"commands missing from README.md: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    block_start = lines.index("```bash")
    commands = lines[block_start + 1 : lines.index("```", block_start + 1)]
    assert [c.split("#")[0].strip() for c in commands] == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def test_every_default_tag_and_feature_is_in_the_tag_guide() -> None:
    from huaxiang.definitions.loader import load_catalog

    text = (ROOT / "docs" / "tags.md").read_text(encoding="utf-8")
    catalog = load_catalog(ROOT / "src" / "huaxiang" / "definitions" / "catalog")
    missing = [i for i in [*catalog.features, *catalog.tags] if f"`{i}`" not in text]
    assert catalog.tags and not missing, f"undocumented in docs/tags.md: {missing}"
