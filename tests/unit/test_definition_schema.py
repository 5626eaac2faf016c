"""The JSON Schema of definition files: it takes the YAML the loader takes, refuses what the loader
refuses, and the copies published in docs/schema are the ones the models produce now."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from huaxiang.definitions.loader import load_catalog
from huaxiang.definitions.schema import Kind, definition_schema, write_schemas
from huaxiang.definitions.segments import load_segments
from huaxiang.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "src" / "huaxiang" / "definitions" / "catalog"
PUBLISHED = ROOT / "docs" / "schema"
KINDS: tuple[Kind, ...] = ("features", "tags", "segments")
REGENERATE = ".venv/bin/python -m huaxiang.definitions.schema docs/schema"


class EditorLoader(yaml.SafeLoader):
    """YAML as an editor reads it (YAML 1.2): `created: 2026-11-01` is a string, not a date."""


EditorLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


@pytest.fixture(scope="module")
def validators() -> dict[str, list[Any]]:
    """Per kind, a validator of the declared draft 2020-12 and one of draft-07, the draft that
    older editor plugins validate with (the schema uses only keywords both drafts share)."""
    found: dict[str, list[Any]] = {}
    for kind in KINDS:
        schema = definition_schema(kind)
        found[kind] = []
        for draft in (jsonschema.Draft202012Validator, jsonschema.Draft7Validator):
            draft.check_schema(schema)
            found[kind].append(draft(schema, format_checker=draft.FORMAT_CHECKER))
    return found


def schema_errors(validators: dict[str, list[Any]], kind: str, text: str) -> list[str]:
    # through JSON, as an editor sees it: mapping keys become strings (`2000:` is "2000")
    data = json.loads(json.dumps(yaml.load(text, Loader=EditorLoader)))
    return [
        f"{type(v).__name__}, {'.'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}"
        for v in validators[kind]
        for e in v.iter_errors(data)
    ]


def loader_accepts(root: Path, kind: str, text: str) -> bool:
    (root / kind).mkdir()
    (root / kind / "file.yaml").write_text(text, encoding="utf-8")
    try:
        load_segments(root) if kind == "segments" else load_catalog(root)
    except ConfigError:
        return False
    return True


@pytest.mark.parametrize(
    "path", sorted(CATALOG.glob("*/*.yaml")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_default_catalog_validates_against_the_schema(
    validators: dict[str, list[Any]], path: Path
) -> None:
    assert path.parent.name in KINDS
    errors = schema_errors(validators, path.parent.name, path.read_text(encoding="utf-8"))
    assert not errors, f"{path.relative_to(ROOT)}:\n" + "\n".join(errors)


FEATURE = """\
version: 1
features:
  - id: orders_6m
    name: {zh: 近6个月订单数, en: Orders in 6 months}
    source: orders
    metric: count
"""

TAG = """\
version: 1
tags:
  - id: ltv_band
    name: {zh: LTV等级, en: LTV band}
    layer: value
    definition: {zh: 累计消费金额分档, en: Cumulative spend banded}
    source: orders
    owner: 数据分析组
    created: 2026-11-01
"""
BINS = "    rule:\n      bins: {of: spend_total, edges: [500, 2000], labels: [low, mid, high]}\n"
CASE = "    rule:\n      case:\n        - {when: spend_total > 0, then: buyer}\n"
MODEL_RULE = "    rule:\n      model: p_alive\n"


SEGMENT = """\
version: 1
segments:
  - id: high_value_loyal
    name: {zh: 高价值忠诚客户, en: High-value loyal}
"""
RULE = "    rule: ltv > 2000 and repurchase_rate > 0.7\n"
MODEL = "    kind: model\n    model: {of: rfm_group, values: [important_value]}\n"
STRATEGY = (
    "    group: value\n    priority: 1\n    strategy:\n      core: 专属权益维系\n"
    "      channels: [企业微信]\n      owner: 会员运营组\n"
    "      goal: {metric: repurchase_rate, target: 0.8, deadline: 2027-03-31}\n"
)


def feature(*lines: str) -> str:
    return FEATURE + "".join(f"    {line}\n" for line in lines)


def tag(rule: str, *lines: str) -> str:
    return TAG + "".join(f"    {line}\n" for line in lines) + rule


# (kind, YAML, whether the file is valid)
CASES = {
    # shorthand the models take before validation
    "text as a plain string": ("features", feature("description: 下单次数"), True),
    "tag texts as plain strings": (
        "tags",
        tag(BINS).replace("{zh: LTV等级, en: LTV band}", "LTV"),
        True,
    ),
    "value name as a plain string": ("tags", tag(BINS, "value_names: {low: 低, 2000: high}"), True),
    "window 6m": ("features", feature("window: 6m"), True),
    "window 12M in spaces": ("features", feature("window: ' 12M '"), True),
    "window 7 d": ("features", feature("window: 7 d"), True),
    "window as a mapping": ("features", feature("window: {count: 6, unit: month}"), True),
    "when as a boolean": ("tags", tag(CASE.replace("spend_total > 0", "true")), True),
    "expression as a number": ("tags", tag("    rule:\n      expression: 1\n"), True),
    "case with else": ("tags", tag(CASE + "      else: 0\n"), True),
    "sum with a column": ("features", feature("column: amount").replace("count", "sum"), True),
    "share with share_of": (
        "features",
        feature("share_of: amount > 100").replace("count", "share"),
        True,
    ),
    "quantile": ("tags", tag("    rule:\n      quantile: {of: spend_total, n: 5}\n"), True),
    "model output": ("tags", tag(MODEL_RULE), True),
    "model output T": ("tags", tag(MODEL_RULE.replace("p_alive", "T")), True),
    "rules segment with a strategy": ("segments", SEGMENT + RULE + STRATEGY, True),
    "model segment": ("segments", SEGMENT + MODEL, True),
    "model segment with one value": (
        "segments",
        SEGMENT + MODEL.replace("[important_value]", "important_value"),
        True,
    ),
    "rule as a boolean": ("segments", SEGMENT + "    rule: true\n", True),
    # invalid files
    "unknown key": ("features", feature("windw: 6m"), False),
    "bad metric": ("features", FEATURE.replace("count", "median"), False),
    "bad id": ("features", FEATURE.replace("orders_6m", "Orders6m"), False),
    "missing version": ("features", FEATURE.replace("version: 1\n", ""), False),
    "version 2": ("tags", tag(BINS).replace("version: 1", "version: 2"), False),
    "bad window": ("features", feature("window: 6 months"), False),
    "window in fractions": ("features", feature("window: 1.5m"), False),
    "window of zero days": ("features", feature("window: 0d"), False),
    "window of zero as a mapping": ("features", feature("window: {count: 0, unit: day}"), False),
    "window in full-width digits": ("features", feature("window: ６m"), False),
    "case without conditions": ("tags", tag("    rule:\n      case: []\n"), False),
    "empty text": ("features", feature("description: ''"), False),
    "text in neither language": ("features", feature("description: {zh: null}"), False),
    "sum without a column": ("features", FEATURE.replace("count", "sum"), False),
    "share without share_of": ("features", FEATURE.replace("count", "share"), False),
    "share_of without share": ("features", feature("share_of: amount > 100"), False),
    "missing rule": ("tags", TAG, False),
    "two rule kinds": ("tags", tag(BINS + "      expression: spend_total\n"), False),
    "empty expression": ("tags", tag("    rule:\n      expression: ''\n"), False),
    "else without case": ("tags", tag(BINS + "      else: other\n"), False),
    "unknown model output": ("tags", tag(MODEL_RULE.replace("p_alive", "p_alve")), False),
    "model output in other case": ("tags", tag(MODEL_RULE.replace("p_alive", "P_ALIVE")), False),
    "empty model output": ("tags", tag(MODEL_RULE.replace("p_alive", "''")), False),
    "model and bins": ("tags", tag(BINS + "      model: p_alive\n"), False),
    "model with else": ("tags", tag(MODEL_RULE + "      else: 0\n"), False),
    "quantile of one bucket": ("tags", tag("    rule:\n      quantile: {of: x, n: 1}\n"), False),
    "bad layer": ("tags", tag(BINS).replace("layer: value", "layer: worth"), False),
    "unknown key in a rule": ("tags", tag(BINS.replace("labels", "lables")), False),
    "segment without a rule": ("segments", SEGMENT, False),
    "segment with a rule and a model": ("segments", SEGMENT + MODEL + RULE, False),
    "model segment without a model": ("segments", SEGMENT + "    kind: model\n", False),
    "empty segment rule": ("segments", SEGMENT + "    rule: ''\n", False),
    "model without values": ("segments", SEGMENT + MODEL.replace("[important_value]", "[]"), False),
    "unknown strategy key": ("segments", SEGMENT + RULE + STRATEGY.replace("owner", "ownr"), False),
}


@pytest.mark.parametrize(
    ("kind", "text", "valid"),
    [pytest.param(*case, id=name) for name, case in CASES.items()],
)
def test_loader_verdict(tmp_path: Path, kind: str, text: str, valid: bool) -> None:
    assert loader_accepts(tmp_path, kind, text) == valid


@pytest.mark.parametrize(
    ("kind", "text"), [pytest.param(k, t, id=n) for n, (k, t, _) in CASES.items()]
)
def test_schema_agrees_with_the_loader(
    validators: dict[str, list[Any]], tmp_path: Path, kind: str, text: str
) -> None:
    errors = schema_errors(validators, kind, text)
    if loader_accepts(tmp_path, kind, text):
        assert not errors, "the loader accepts this file, the schema does not:\n" + "\n".join(
            errors
        )
    else:
        assert errors, "the loader refuses this file, the schema accepts it"


def test_published_schemas_are_current(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    assert [p.name for p in written] == [f"{kind}.schema.json" for kind in KINDS]
    for path in written:
        published = PUBLISHED / path.name
        assert published.is_file(), f"docs/schema/{path.name} is missing: run {REGENERATE}"
        assert published.read_bytes() == path.read_bytes(), (
            f"docs/schema/{path.name} differs from the models: run {REGENERATE}"
        )


def test_schema_metadata() -> None:
    for kind in KINDS:
        schema = definition_schema(kind)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith(f":{kind}:v1")
        assert schema["title"] and schema["description"]
        assert set(schema["properties"]) == {"version", kind}
