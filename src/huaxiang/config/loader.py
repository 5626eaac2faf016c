"""Read YAML into validated models, with errors that name the file, line and fix.

YAML is composed into a node tree first so that every pydantic error location
(``sources.1.formt``) can be mapped back to the line and column it came from.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from huaxiang.errors import ConfigError, ConfigProblem, Location

M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, model: type[M], *, display: str | None = None) -> M:
    """Parse ``path`` as YAML and validate it as ``model``.

    Raises ConfigError listing all problems.
    """
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(Location(name), "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [ConfigProblem(Location(name), f"not UTF-8 text ({exc.reason})", "save it as UTF-8")]
        ) from None
    return parse_model(text, model, display=name)


def parse_model(text: str, model: type[M], *, display: str = "<string>") -> M:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise ConfigError(
            [
                ConfigProblem(
                    Location(display, line=line, column=col),
                    f"invalid YAML: {exc.problem}",
                    "check indentation and quoting around this position",
                    snippet=_snippet(text, line),
                )
            ]
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(Location(display, line=1), "expected a mapping of keys")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err, node, model, display, text) for err in exc.errors()]
        raise ConfigError(problems) from None


def _problem(
    err: Any, root: yaml.Node | None, model: type[BaseModel], display: str, text: str
) -> ConfigProblem:
    loc: tuple[Any, ...] = tuple(err["loc"])
    node, key_node = _find(root, loc)
    mark_node = key_node or node
    line = mark_node.start_mark.line + 1 if mark_node is not None else None
    column = mark_node.start_mark.column + 1 if mark_node is not None else None
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    hint: str | None = None
    kind = err["type"]
    if kind == "extra_forbidden":
        message = f"unknown key {dotted!r}"
        allowed = _allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
    elif kind == "missing":
        message = f"missing required key {dotted!r}"
        hint = f"add '{loc[-1]}:' here"
    elif kind == "literal_error":
        message = f"{dotted}: {err['msg']}"
    else:
        message = f"{dotted}: {err['msg']}"
    return ConfigProblem(
        Location(display, line=line, column=column), message, hint, snippet=_snippet(text, line)
    )


def _find(
    root: yaml.Node | None, loc: tuple[Any, ...]
) -> tuple[yaml.Node | None, yaml.Node | None]:
    """Walk the composed node tree along a pydantic loc; return (value node, key node)."""
    node, key_node = root, None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part):
                    node, key_node = v, k
                    break
            else:
                return node, key_node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part < len(node.value):
                node, key_node = node.value[part], None
            else:
                return node, key_node
        else:
            return node, key_node
    return node, key_node


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model that a loc prefix points into."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = _inner_model(field.annotation)
    return list(getattr(current, "model_fields", {}))


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _snippet(text: str, line: int | None) -> str | None:
    if line is None:
        return None
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        return f"{line:>4} | {lines[line - 1]}"
    return None
