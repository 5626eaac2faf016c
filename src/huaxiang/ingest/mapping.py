"""Match a source's headers to canonical fields.

Order of precedence: the source's explicit ``mapping`` in huaxiang.yaml, then the synonym table in
:mod:`huaxiang.schema` (Chinese template headers and common English ones), compared after
normalisation (width, case, spaces, punctuation and survey numbering such as ``1、`` removed).
Headers that match nothing are kept as attributes; near misses are suggested, never guessed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from huaxiang.errors import UsageError
from huaxiang.schema import TABLES, Table

_NUMBERING = re.compile(r"^\s*(?:q?\d+[\s、.．:：)）]+)", re.IGNORECASE)
_NOISE = re.compile(r"[\s_\-—/\\.()（）\[\]【】:：*＊]+")


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = _NUMBERING.sub("", text)
    return _NOISE.sub("", text)


@dataclass(frozen=True)
class ColumnMapping:
    table: str
    fields: dict[str, str]  # source header -> canonical field
    attributes: list[str]  # headers kept in attributes
    missing_required: list[str]
    suggestions: dict[str, str] = field(default_factory=dict)  # unmatched header -> near field
    duplicates: dict[str, str] = field(default_factory=dict)  # header -> field already taken

    def as_dict(self) -> dict[str, object]:
        return {
            "table": self.table,
            "fields": self.fields,
            "attributes": self.attributes,
            "missing_required": self.missing_required,
            "suggestions": self.suggestions,
            "duplicates": self.duplicates,
        }


def _synonym_index(table: Table) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in table.fields:
        for syn in (f.name, *f.synonyms):
            index.setdefault(normalise_header(syn), f.name)
    return index


def match_columns(
    headers: list[str], table_name: str, explicit: dict[str, str] | None = None
) -> ColumnMapping:
    table = TABLES.get(table_name)
    if table is None:
        raise UsageError(f"unknown table {table_name!r}", hint=f"one of: {', '.join(TABLES)}")
    explicit = explicit or {}
    for named, field_name in explicit.items():
        if field_name not in table.by_name and field_name != "attributes":
            close = difflib.get_close_matches(field_name, table.field_names, n=1)
            raise UsageError(
                f"mapping {named!r} -> {field_name!r}: {table_name} has no field {field_name!r}",
                hint=f"did you mean {close[0]!r}?"
                if close
                else f"fields: {', '.join(table.field_names)}",
            )
    absent = [h for h in explicit if h not in headers]
    if absent:
        close = difflib.get_close_matches(absent[0], headers, n=1)
        raise UsageError(
            f"the mapping names column(s) the file does not have: {', '.join(absent)}",
            hint=f"did you mean {close[0]!r}?" if close else f"columns: {', '.join(headers)}",
        )
    index = _synonym_index(table)
    fields: dict[str, str] = {}
    taken: dict[str, str] = {}
    attributes: list[str] = []
    suggestions: dict[str, str] = {}
    duplicates: dict[str, str] = {}
    # explicit mappings claim their fields first, whatever the column order; a field claimed
    # twice keeps the first header, the other goes to attributes (never dropped)
    for header in headers:
        wanted = explicit.get(header)
        if wanted and wanted != "attributes" and wanted not in taken:
            fields[header] = wanted
            taken[wanted] = header
    for header in headers:
        if header in fields:
            continue
        wanted = explicit.get(header)
        if wanted == "attributes":
            attributes.append(header)
            continue
        target = wanted or index.get(normalise_header(header))
        if target is None:
            attributes.append(header)
            close = difflib.get_close_matches(
                normalise_header(header), list(index), n=1, cutoff=0.8
            )
            if close:
                suggestions[header] = index[close[0]]
        elif target in taken:
            attributes.append(header)
            duplicates[header] = target
        else:
            fields[header] = target
            taken[target] = header
    missing = [f.name for f in table.fields if f.required and f.name not in taken]
    return ColumnMapping(table_name, fields, attributes, missing, suggestions, duplicates)
