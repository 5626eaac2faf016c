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
  memory_limit: null        # default: half the memory, 1-8 GiB; beyond it work spills to disk

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

tagging:
  as_of: null               # the day tags describe (YYYY-MM-DD); null: day of the latest order/event

# raw inputs; `huaxiang ingest FILE --as TABLE` appends here
sources:{sources}
"""  # noqa: E501 (the comment-aligned YAML reads better unbroken)


def render(name: str, locale: str, sources: list[dict[str, Any]] | None = None) -> str:
    body = "".join("\n" + source_block(s) for s in sources or []) if sources else " []"
    return TEMPLATE.format(name=_scalar(name), locale=locale, sources=body)


def _scalar(value: Any) -> str:
    return (
        yaml.safe_dump(value, allow_unicode=True, default_flow_style=True)
        .strip()
        .removesuffix("...")
        .strip()
    )


def source_block(source: dict[str, Any]) -> str:
    items = [(k, v) for k, v in source.items() if v not in (None, "", {}, [])]
    lines = []
    for i, (key, value) in enumerate(items):
        lead = "  - " if i == 0 else "    "
        lines.append(f"{lead}{key}: {_scalar(value)}")
    return "\n".join(lines)


_SOURCES_LAST = re.compile(r"^sources:[ \t]*(\[\])?[ \t]*(#.*)?$", re.MULTILINE)


def add_source(path: Path, source: dict[str, Any]) -> None:
    """Append a source to ``path``, keeping the file's text (and comments) as it is.

    The new entry goes at the end of the block ``sources:`` (before any top-level key that
    follows it; comment lines do not end the block). Only when the text cannot be extended
    safely (e.g. sources written in flow style) is the file rewritten from its data.
    """
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    data["sources"] = [*(data.get("sources") or []), source]
    match = list(_SOURCES_LAST.finditer(text))
    if match:
        m = match[-1]
        line = (m.group(0).replace("[]", "", 1) if m.group(1) else m.group(0)).rstrip()
        tail = text[m.end() :]
        after = re.search(r"^[^\s#-]", tail, re.MULTILINE)  # the next top-level key, if any
        body = tail[: after.start()] if after else tail
        rest = tail[after.start() :] if after else ""
        kept = body.rstrip("\n")
        gap = body[len(kept) :] if rest else "\n"
        item = re.search(r"^([ \t]*)- ", body, re.MULTILINE)  # follow the existing indentation
        indent = item.group(1) if item else "  "
        block = "\n".join(indent + ln[2:] for ln in source_block(source).splitlines())
        new_text = f"{text[: m.start()]}{line}{kept}\n{block}{gap}{rest}"
        try:
            same = yaml.safe_load(new_text) == data
        except yaml.YAMLError:
            same = False
        if same:
            path.write_text(new_text, encoding="utf-8")
            return
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
