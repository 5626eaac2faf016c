"""The pain-point lexicon (痛点词库): keywords that put a feedback text under a theme.

The built-in lexicon (``pain_points.yaml`` next to this module) is read first; a workspace's
``feedback/pain_points.yaml`` then adds themes and changes built-in ones: a theme with a new id
is added, one with a built-in id adds its ``keywords`` and ``exclude`` to the built-in theme's,
drops the built-in keywords it lists under ``remove``, replaces ``name`` and ``kind`` when it
gives them, and ``enabled: false`` switches the theme off. ``builtin: false`` at the top starts
from an empty lexicon instead.

Both files are validated like every definition file (unknown keys, wrong types, duplicate ids,
empty themes), every problem reported at once with its file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, field_validator

from huaxiang.config.loader import parse_model
from huaxiang.definitions.loader import Origin, _items
from huaxiang.definitions.models import ID_PATTERN, Strict, Text, _text
from huaxiang.errors import ConfigError, ConfigProblem, Location

FOLDER = "feedback"  # the workspace folder of the feedback files
LEXICON_FILE = "pain_points.yaml"
BUILTIN = "builtin"
OTHER = "other"  # the theme of texts no keyword matches


class ThemeSpec(Strict):
    """One theme as a file gives it. A new theme needs ``name`` and ``keywords``; a change to
    a built-in theme gives only what it changes."""

    id: str = Field(pattern=ID_PATTERN)
    name: Text | None = None
    kind: Literal["pain", "praise"] | None = None
    keywords: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)
    enabled: bool = True

    _norm_text = field_validator("name", mode="before")(_text)

    @field_validator("keywords", "exclude", "remove", mode="before")
    @classmethod
    def _one_word(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("keywords", "exclude", "remove")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        words = [w.strip().lower() for w in value]
        if any(not w for w in words):
            raise ValueError("a keyword cannot be empty")
        return list(dict.fromkeys(words))


class LexiconFile(Strict):
    version: Literal[1]
    builtin: bool = True  # a workspace file: start from the built-in lexicon
    themes: list[ThemeSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class Theme:
    """A theme of the effective lexicon. ``source``: builtin, workspace or builtin+workspace."""

    id: str
    name: Text
    kind: str
    keywords: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    source: str = BUILTIN

    def label(self, lang: str) -> str:
        return self.name.get(lang)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": {"zh": self.name.get("zh"), "en": self.name.get("en")},
            "kind": self.kind,
            "keywords": list(self.keywords),
            "exclude": list(self.exclude),
            "source": self.source,
        }


@dataclass(frozen=True)
class Lexicon:
    themes: tuple[Theme, ...]
    files: tuple[str, ...] = field(default=())  # what was read, built-in first

    def theme(self, ident: str) -> Theme | None:
        return next((t for t in self.themes if t.id == ident), None)

    def as_dict(self) -> dict[str, object]:
        return {"files": list(self.files), "themes": [t.as_dict() for t in self.themes]}


def builtin_text() -> str:
    return resources.files("huaxiang.feedback").joinpath(LEXICON_FILE).read_text("utf-8")


def load_lexicon(root: Path | None = None) -> Lexicon:
    """The built-in lexicon, changed by ``root/feedback/pain_points.yaml`` when there is one.
    Raises ConfigError with every problem of a file."""
    files = [f"{BUILTIN}:{LEXICON_FILE}"]
    themes = parse_lexicon(builtin_text(), display=files[0])
    path = root / FOLDER / LEXICON_FILE if root is not None else None
    if path is not None and path.is_file():
        display = f"{FOLDER}/{LEXICON_FILE}"
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problem = ConfigProblem(Location(display), f"not UTF-8 text ({exc.reason})")
            raise ConfigError([problem]) from None
        themes = parse_lexicon(text, display=display, base=themes)
        files.append(display)
    return Lexicon(themes, tuple(files))


def parse_lexicon(
    text: str, *, display: str = "<string>", base: tuple[Theme, ...] | None = None
) -> tuple[Theme, ...]:
    """The themes of lexicon file ``text`` applied to ``base`` (None: a complete lexicon,
    every theme new, as the built-in file is)."""
    parsed = parse_model(text, LexiconFile, display=display)
    nodes = list(_items(yaml.compose(text, Loader=yaml.SafeLoader), "themes"))
    source = BUILTIN if base is None else "workspace"
    merged = {t.id: t for t in (base or ()) if parsed.builtin}
    problems: list[ConfigProblem] = []
    seen: set[str] = set()
    for i, spec in enumerate(parsed.themes):
        problem = _Problems(Origin(display, nodes[i] if i < len(nodes) else None, text), problems)
        if spec.id in seen:
            problem("id", f"duplicate theme id {spec.id!r}", "one entry per theme")
            continue
        seen.add(spec.id)
        if spec.id == OTHER:
            problem("id", f"{OTHER!r} is reserved for texts that match no theme", "rename it")
            continue
        theme = _apply(spec, merged.get(spec.id), source, problem)
        if theme is None:
            merged.pop(spec.id, None)
        else:
            merged[spec.id] = theme
    if problems:
        raise ConfigError(problems)
    return tuple(merged.values())


@dataclass(frozen=True)
class _Problems:
    """Reports a problem at a key of one theme entry."""

    origin: Origin
    found: list[ConfigProblem]

    def __call__(self, key: str, message: str, hint: str | None = None) -> None:
        location, snippet = self.origin.locate(key)
        self.found.append(ConfigProblem(location, message, hint, snippet=snippet))


def _apply(spec: ThemeSpec, old: Theme | None, source: str, problem: _Problems) -> Theme | None:
    """``spec`` applied to the theme ``old`` (None: a new theme); None when switched off."""
    if old is None and not spec.enabled:
        problem("enabled", f"there is no theme {spec.id!r} to switch off", _LIST)
        return None
    if old is None:
        for key in ("name", "keywords"):
            if not getattr(spec, key):
                problem("id", f"theme {spec.id!r} has no {key}", _NEW_THEME)
        if spec.remove:
            problem("remove", f"theme {spec.id!r} is new: there is nothing to remove")
        if not spec.name or not spec.keywords:
            return None
    unknown = [w for w in spec.remove if old is not None and w not in old.keywords]
    if unknown:
        problem(
            "remove",
            f"{', '.join(unknown)} not among the keywords of {spec.id!r}",
            _LIST,
        )
    if not spec.enabled:
        return None
    keywords = [w for w in (*(old.keywords if old else ()), *spec.keywords) if w not in spec.remove]
    exclude = [*(old.exclude if old else ()), *spec.exclude]
    both = sorted(set(keywords) & set(exclude))
    if both:
        problem("exclude", f"{', '.join(both)} both a keyword and an exclusion of {spec.id!r}")
    if not keywords:
        problem("remove", f"theme {spec.id!r} is left without keywords", "use enabled: false")
    name = spec.name or (old.name if old else None)
    if name is None:  # reported above
        return None
    return Theme(
        id=spec.id,
        name=name,
        kind=spec.kind or (old.kind if old else "pain"),
        keywords=tuple(dict.fromkeys(keywords)),
        exclude=tuple(dict.fromkeys(exclude)),
        source=source if old is None else f"{old.source}+{source}",
    )


_NEW_THEME = "a new theme needs a name ({zh: ..., en: ...}) and keywords"
_LIST = "see the effective lexicon: huaxiang feedback lexicon"
