"""The ``huaxiang.yaml`` a new workspace starts with, and adding a source to an existing one.

The file is written as commented text (users read and edit it), with ``sources:`` last so a new
source can be appended without rewriting — and losing — the user's comments.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

CONFIG_FILE = "huaxiang.yaml"

TEMPLATE = """\
# huaxiang workspace — see docs/configuration.md for every key
version: 1
name: {name}
locale: {locale}            # zh-CN | en: language of reports and messages

engine:
  kind: duckdb
  path: .huaxiang/warehouse.duckdb
  threads: null             # default: all cores
  memory_limit: null        # e.g. 4GB

store:
  url: null                 # default: SQLite in .huaxiang/state.sqlite; or postgresql+psycopg://...

# personal fields: masked in every output unless a permitted role asks
pii: [name, phone, email, id_number, credit_code]

cleaning:
  day_first: false          # read 08/05/2024 as 5 August (false) or 8 May (true)
  timezone: Asia/Shanghai   # times with a zone are converted to this one
  phone_region: CN
  dedupe:
    survivorship: latest    # latest | source_priority (lower 'priority' of a source wins)
    customer_keys: [customer_id, phone, email, credit_code, union_id]
  missing:                  # per field: leave | unknown | mean | median | mode | constant
    - {{table: customers, field: gender, strategy: unknown}}
  outliers:                 # rule: bounds | sigma | iqr; action: flag | cap | clear | quarantine
    - {{table: customers, field: age, rule: bounds, min: 0, max: 120, action: clear}}
    - {{table: orders, field: amount, rule: bounds, min: 0, action: quarantine}}
    - {{table: orders, field: amount, rule: bounds, above_mean_ratio: 3, action: flag, finding: high_net_worth_candidate}}
  codes: {{}}                # text categories -> codes, e.g. industry: {{互联网/电商: "001"}}

# raw inputs; `huaxiang ingest FILE --as TABLE` appends here
sources:{sources}
"""


def render(name: str, locale: str, sources: list[dict[str, Any]] | None = None) -> str:
    body = "".join("\n" + source_block(s) for s in sources or []) if sources else " []"
    return TEMPLATE.format(name=_scalar(name), locale=locale, sources=body)


def _scalar(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True).strip() \
        .removesuffix("...").strip()


def source_block(source: dict[str, Any]) -> str:
    items = [(k, v) for k, v in source.items() if v not in (None, "", {}, [])]
    lines = []
    for i, (key, value) in enumerate(items):
        lead = "  - " if i == 0 else "    "
        lines.append(f"{lead}{key}: {_scalar(value)}")
    return "\n".join(lines)


_SOURCES_LAST = re.compile(r"^sources:[ \t]*(\[\])?[ \t]*(#.*)?$", re.MULTILINE)


def add_source(path: Path, source: dict[str, Any]) -> None:
    """Append a source to ``path``, keeping the file's text (and comments) as it is."""
    text = path.read_text(encoding="utf-8")
    match = list(_SOURCES_LAST.finditer(text))
    tail = text[match[-1].end():] if match else ""
    top_level_after = re.search(r"^\S", tail, re.MULTILINE)
    if match and not top_level_after:
        head = text[: match[-1].start()] + "sources:"
        existing = tail.rstrip("\n") if not match[-1].group(1) else ""
        path.write_text(f"{head}{existing}\n{source_block(source)}\n", encoding="utf-8")
        return
    data = yaml.safe_load(text) or {}
    data.setdefault("sources", []).append(source)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
