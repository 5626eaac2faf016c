"""JSON Schema of the feature, tag and segment definition files, for editors that validate YAML.

The schema is generated from the models and then adjusted to the YAML as people write it: the
models' ``mode="before"`` validators take shorthand that the generated schema does not know (a
plain string for a bilingual text, ``6m`` for a window, a bare number or boolean where SQL text
is expected), and the ``mode="after"`` checks that JSON Schema can express are added (a text in at
least one language, exactly one rule kind, the column a metric reads). What JSON Schema cannot say
(increasing bin edges, one label per bin) is left to ``huaxiang tags validate``.

The published copies live in docs/schema; regenerate them with
``python -m huaxiang.definitions.schema docs/schema``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any, Literal, get_args

from huaxiang.definitions.models import MODEL_OUTPUTS, FeatureFile, Metric, TagFile
from huaxiang.definitions.segments import SegmentFile

Schema = dict[str, Any]
Kind = Literal["features", "tags", "segments"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# The models' window pattern after strip() and lower(), in ASCII digits (portable across regex
# engines): 7d, 12w, 6m, 1y, "6 M".
WINDOW_PATTERN = r"^\s*0*[1-9][0-9]*\s*[dDwWmMyY]\s*$"
# YAML reads `when: true` or `expression: 1` as a boolean or a number: the models take it as SQL.
_SQL_SCALAR = ["string", "number", "boolean"]
_NON_EMPTY = {"type": "string", "minLength": 1}

_FILES: dict[Kind, tuple[type[FeatureFile] | type[TagFile] | type[SegmentFile], str, str]] = {
    "features": (
        FeatureFile,
        "huaxiang feature definitions",
        "A features/*.yaml file of a huaxiang workspace: per-customer metrics over one source.",
    ),
    "tags": (
        TagFile,
        "huaxiang tag definitions",
        "A tags/*.yaml file of a huaxiang workspace: rules that turn features, customer fields "
        "and other tags into a value per customer.",
    ),
    "segments": (
        SegmentFile,
        "huaxiang segment definitions",
        "A segments/*.yaml file of a huaxiang workspace: groups of customers (a condition over "
        "tags, features and customer fields, or a model output) with their strategy.",
    ),
}

# Hover texts for the fields whose meaning the name does not give away.
_DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Feature", "id"): "Lower case, digits and _; unique among all features and tags.",
    ("Feature", "column"): "What sum/avg/min/max/distinct/mode/first/last read (SQL expression).",
    ("Feature", "where"): "Which rows count (SQL condition over the source's columns).",
    ("Feature", "share_of"): "Metric share only: the share of the `where` rows matching this.",
    ("Feature", "window"): "Rows in the window ending on the as-of day: 7d, 12w, 6m, 1y.",
    ("Feature", "default"): "Value for customers without rows.",
    ("Tag", "id"): "Lower case, digits and _; unique among all features and tags.",
    ("Tag", "source"): "Where the data comes from, for people (CRM, orders, events + orders).",
    ("Tag", "kind"): "static (attributes) or dynamic (recomputed from behaviour).",
    ("Tag", "value_names"): "Display names of the values, by value.",
    ("Rule", "expression"): "Row-level SQL over features, customer fields, other tags, as_of.",
    ("Rule", "case"): "The first condition that holds gives the value.",
    ("Rule", "else"): "Case only: the value when no condition holds.",
    ("Rule", "model"): "A column of the value model's table customer_value (NULL until it runs).",
    ("Bins", "edges"): "Increasing thresholds; n edges make n + 1 bins.",
    ("Bins", "labels"): "One label per bin: one more than the edges.",
    ("Bins", "right"): "true: a value on an edge goes to the lower bin (lo, hi]; false: [lo, hi).",
    ("Quantile", "n"): "Number of equal-share buckets.",
    ("Quantile", "descending"): "true: bucket 1 holds the highest values.",
    ("When", "when"): "SQL condition.",
    ("Segment", "id"): "Lower case, digits and _; unique among the segments.",
    ("Segment", "kind"): "rules (a condition in `rule`) or model (a model output in `model`).",
    ("Segment", "rule"): "SQL condition over tags, features, customer fields, as_of, cluster.",
    ("Segment", "group"): "Exclusivity group: a customer is in the first segment that fits.",
    ("Segment", "priority"): "Order within the group: the lowest number is tried first.",
    ("Segment", "core"): "Counts towards the 5-8 core segments of its group.",
    ("ModelRef", "of"): "A tag (rfm_group, lifecycle_stage, ...) or cluster.",
    ("ModelRef", "values"): "The values (or cluster ids) whose customers are members.",
    ("Goal", "metric"): "What is measured, e.g. repurchase_rate.",
}


def definition_schema(kind: Kind) -> Schema:
    """The JSON Schema (draft 2020-12) of a whole ``features/*.yaml`` or ``tags/*.yaml`` file."""
    model, title, description = _FILES[kind]
    generated = model.model_json_schema(mode="validation")
    defs: dict[str, Schema] = generated.pop("$defs")
    for (name, field), text in _DESCRIPTIONS.items():
        if name in defs:
            defs[name]["properties"][field]["description"] = text
    defs["Text"] = _text(defs["Text"])
    if kind == "features":
        defs["Window"] = {
            "title": "Window",
            "anyOf": [
                {
                    "type": "string",
                    "pattern": WINDOW_PATTERN,
                    "examples": ["7d", "12w", "6m", "1y"],
                },
                defs["Window"],
            ],
        }
        defs["Feature"]["allOf"] = _metric_needs()
    elif kind == "segments":
        segment = defs["Segment"]
        segment["properties"]["rule"]["anyOf"] = [
            {"type": _SQL_SCALAR, "not": {"const": ""}},
            {"type": "null"},
        ]
        # Segment._kind_needs: a rules segment has a rule and no model, a model one the reverse
        segment["if"] = _given("kind", {"const": "model"})
        segment["then"] = {"required": ["model"], "properties": {"rule": {"type": "null"}}}
        segment["else"] = {"required": ["rule"], "properties": {"model": {"type": "null"}}}
        values = defs["ModelRef"]["properties"]["values"]
        defs["ModelRef"]["properties"]["values"] = {
            "anyOf": [{"type": ["string", "integer"]}, values],
            "description": values.get("description", ""),
        }
    else:
        when = defs["When"]["properties"]["when"]
        when["type"] = _SQL_SCALAR
        rule = defs["Rule"]
        rule["properties"]["expression"]["anyOf"] = [{"type": _SQL_SCALAR}, {"type": "null"}]
        rule["properties"]["model"]["anyOf"] = [_RULE_KINDS["model"], {"type": "null"}]
        rule["oneOf"] = [_given(k, s) for k, s in _RULE_KINDS.items()]
        rule["if"] = _given("else", {"not": {"type": "null"}})
        rule["then"] = _given("case", _RULE_KINDS["case"])
    generated.pop("title", None)
    schema = {
        "$schema": DIALECT,
        "$id": f"urn:huaxiang:definitions:{kind}:v1",
        "title": title,
        "description": description,
        **generated,
        "$defs": defs,
    }
    return copy.deepcopy(schema)  # the caller's own: no part shared with module constants


def write_schemas(directory: Path) -> list[Path]:
    """Write ``features.schema.json``, ``tags.schema.json`` and ``segments.schema.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in _FILES:
        path = directory / f"{kind}.schema.json"
        text = json.dumps(definition_schema(kind), indent=2, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# A rule kind counts when it is given and not empty, as in Rule._exactly_one.
_RULE_KINDS: dict[str, Schema] = {
    "bins": {"type": "object"},
    "quantile": {"type": "object"},
    "expression": {"not": {"enum": [None, ""]}},
    "case": {"type": "array", "minItems": 1},
    "model": {"enum": list(MODEL_OUTPUTS)},
}


def _given(key: str, value: Schema) -> Schema:
    return {"required": [key], "properties": {key: value}}


def _text(model: Schema) -> Schema:
    """A bilingual text, or one plain string (Chinese if it has CJK characters, else English)."""
    one_language = [_given(lang, _NON_EMPTY) for lang in ("zh", "en")]
    return {
        "title": "Text",
        "description": "A plain string, or {zh: ..., en: ...} with at least one of the two.",
        "anyOf": [_NON_EMPTY, {**model, "anyOf": one_language}],
    }


def _metric_needs() -> list[Schema]:
    """Feature._metric_needs: the column a metric reads, and share_of with share only."""
    reads_column = [m for m in get_args(Metric) if m not in ("count", "share")]
    not_share = [m for m in get_args(Metric) if m != "share"]
    no_share_of = {"properties": {"share_of": {"enum": [None, ""]}}}
    return [
        {"if": _given("metric", {"enum": reads_column}), "then": _given("column", _NON_EMPTY)},
        {"if": _given("metric", {"const": "share"}), "then": _given("share_of", _NON_EMPTY)},
        {"if": _given("metric", {"enum": not_share}), "then": no_share_of},
    ]


def main(argv: list[str] | None = None) -> int:
    """``python -m huaxiang.definitions.schema DIRECTORY`` writes both schemas there."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m huaxiang.definitions.schema DIRECTORY\n")
        return 2
    for path in write_schemas(Path(args[0])):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
