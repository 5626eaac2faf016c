"""Load every feature and tag definition of a workspace, keeping where each came from.

All files are read and all problems collected before anything is reported, so that
``huaxiang tags validate`` lists every error at once. A definition keeps its YAML node, so that
later checks (an unknown feature inside an expression) can point at the exact line and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from huaxiang.config.loader import parse_model
from huaxiang.definitions.models import Feature, FeatureFile, Tag, TagFile
from huaxiang.errors import ConfigError, ConfigProblem, Location


@dataclass(frozen=True)
class Origin:
    """A definition's file, its YAML node and the file text (for snippets)."""

    file: str
    node: yaml.Node | None
    text: str

    def locate(self, *path: str | int, offset: int | None = None) -> tuple[Location, str | None]:
        """Where ``path`` (keys below the definition) is; ``offset`` moves into a string value."""
        node = self.node
        for part in path:
            node = _child(node, part)
        if node is None:
            node = self.node
        if node is None:
            return Location(self.file), None
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if offset is not None and isinstance(node, yaml.ScalarNode):
            line, column = _offset_position(node, offset, line, column)
        return Location(self.file, line=line, column=column), _snippet(self.text, line, column)


@dataclass
class Located:
    """Definitions by id with where each came from, so a problem can point at its line."""

    origins: dict[str, Origin] = field(default_factory=dict)

    def problem(
        self,
        ident: str,
        *path: str | int,
        message: str,
        hint: str | None = None,
        offset: int | None = None,
    ) -> ConfigProblem:
        origin = self.origins.get(ident)
        if origin is None:
            return ConfigProblem(Location(ident), message, hint)
        location, snippet = origin.locate(*path, offset=offset)
        return ConfigProblem(location, message, hint, snippet=snippet)


@dataclass
class Catalog(Located):
    features: dict[str, Feature] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)


def load_catalog(root: Path) -> Catalog:
    """Read ``features/*.yaml`` and ``tags/*.yaml`` under ``root``; raise ConfigError with all
    problems (invalid YAML, unknown keys, duplicate ids)."""
    catalog = Catalog()
    problems: list[ConfigProblem] = []
    kinds: tuple[tuple[str, type[FeatureFile] | type[TagFile]], ...] = (
        ("features", FeatureFile),
        ("tags", TagFile),
    )
    for kind, model in kinds:
        for path in _definition_files(root / kind):
            display = str(path.relative_to(root))
            text = path.read_text(encoding="utf-8")
            try:
                parsed: FeatureFile | TagFile = parse_model(text, model, display=display)
            except ConfigError as exc:
                problems.extend(exc.problems)
                continue
            items = yaml.compose(text, Loader=yaml.SafeLoader)
            nodes = list(_items(items, kind))
            definitions: list[Feature | Tag] = list(
                parsed.features if isinstance(parsed, FeatureFile) else parsed.tags
            )
            for i, definition in enumerate(definitions):
                origin = Origin(display, nodes[i] if i < len(nodes) else None, text)
                if definition.id in catalog.origins:
                    first = catalog.origins[definition.id]
                    location, snippet = origin.locate("id")
                    problems.append(
                        ConfigProblem(
                            location,
                            f"duplicate id {definition.id!r} (first defined in {first.file})",
                            "ids are shared by features and tags: rename one",
                            snippet=snippet,
                        )
                    )
                    continue
                catalog.origins[definition.id] = origin
                if isinstance(definition, Feature):
                    catalog.features[definition.id] = definition
                else:
                    catalog.tags[definition.id] = definition
    if problems:
        raise ConfigError(problems)
    return catalog


def _definition_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _items(root: yaml.Node | None, key: str) -> Iterator[yaml.Node]:
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if k.value == key and isinstance(v, yaml.SequenceNode):
                yield from v.value


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == str(part):
                return v  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def _offset_position(node: yaml.ScalarNode, offset: int, line: int, column: int) -> tuple[int, int]:
    """Line and column of character ``offset`` of a scalar's value."""
    value: str = node.value
    before = value[:offset]
    if node.style in ("|", ">"):
        # a block scalar starts on the next line, indented
        indent = _block_indent(node)
        return line + 1 + before.count("\n"), indent + 1 + len(before.rsplit("\n", 1)[-1])
    if "\n" in before:
        return line + before.count("\n"), len(before.rsplit("\n", 1)[-1]) + 1
    quote = 1 if node.style in ("'", '"') else 0
    return line, column + quote + offset


def _block_indent(node: yaml.ScalarNode) -> int:
    buffer: Any = node.start_mark.buffer or ""
    lines = str(buffer).split("\n")
    following = lines[node.start_mark.line + 1] if node.start_mark.line + 1 < len(lines) else ""
    return len(following) - len(following.lstrip(" "))


def _snippet(text: str, line: int, column: int) -> str | None:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    marker = " " * (11 + column - 1) + "^"  # under the column, past the "    NNNN | " prefix
    return f"{line:>4} | {lines[line - 1]}\n{marker}"
