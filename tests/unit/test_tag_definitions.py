"""Feature and tag definitions: every problem is reported at once, at its file, line and column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from huaxiang.compiler.plan import resolve
from huaxiang.definitions.loader import load_catalog
from huaxiang.errors import ConfigError
from huaxiang.workspace import Workspace

FEATURES = """\
version: 1
features:
  - id: orders_6m
    name: {zh: 近6个月订单数, en: Orders in 6 months}
    source: orders
    metric: count
    window: 6m
  - id: spend_total
    name: 累计消费
    source: orders
    metric: sum
    column: amount
"""


def write(root: Path, tags: str, features: str = FEATURES) -> Path:
    (root / "features").mkdir(exist_ok=True)
    (root / "tags").mkdir(exist_ok=True)
    (root / "features" / "f.yaml").write_text(features, encoding="utf-8")
    (root / "tags" / "t.yaml").write_text(textwrap.dedent(tags), encoding="utf-8")
    return root


def tag(ident: str, rule: str, **extra: str) -> str:
    """A tag definition in YAML (the rule as given, indented under `rule:`)."""
    lines = [
        f"  - id: {ident}",
        f"    name: {{zh: {ident}, en: {ident}}}",
        "    layer: value",
        "    definition: test",
        "    source: orders",
        "    owner: analytics",
        "    created: 2026-11-01",
        *(f"    {k}: {v}" for k, v in extra.items()),
        "    rule:",
        *(f"      {line}" for line in textwrap.dedent(rule).strip().splitlines()),
    ]
    return "\n".join(lines) + "\n"


def problems(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        resolve(load_catalog(root))
    return [str(p) for p in info.value.problems]


def test_valid_catalog_resolves_into_levels(tmp_path: Path) -> None:
    tags = "version: 1\ntags:\n" + tag("aov", "expression: spend_total / nullif(orders_6m, 0)")
    tags += tag("aov_band", "bins: {of: aov, edges: [200], labels: [low, high]}")
    plan = resolve(load_catalog(write(tmp_path, tags)))
    assert plan.levels == [["aov"], ["aov_band"]]
    assert plan.depends["aov"] == {"spend_total", "orders_6m"}
    assert plan.depends["aov_band"] == {"aov"}


def test_unknown_feature_points_at_the_word_with_a_suggestion(tmp_path: Path) -> None:
    tags = "version: 1\ntags:\n" + tag("busy", "expression: orders_6mo >= 3")
    [problem] = problems(write(tmp_path, tags))
    # the rule is on line 11, `orders_6mo` starts at column 19 of it
    assert problem.startswith(f"{Path('tags/t.yaml')}, line 11, column 19: unknown feature")
    assert "'orders_6mo'" in problem and "did you mean 'orders_6m'?" in problem
    snippet_line, caret_line = problem.splitlines()[1:3]
    assert snippet_line.strip() == "11 |       expression: orders_6mo >= 3"
    # the caret sits under the first letter of the unknown name
    assert caret_line.index("^") == snippet_line.index("orders_6mo")


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    tags = "version: 1\ntags:\n"
    tags += tag("a", "expression: sum(spend_total)")
    tags += tag("b", "case:\n  - {when: orders_6m > 1, then: many}\n  - {when: nope = 1, then: 2}")
    tags += tag("c", "expression: (select 1)")
    tags += tag("d", "expression: spend_total >")
    found = problems(write(tmp_path, tags))
    assert len(found) == 5
    text = "\n".join(found)
    assert "aggregate sum() is not allowed" in text
    assert "the 'then' values mix types" in text
    assert "unknown feature, tag or customer field 'nope'" in text
    assert "queries and tables are not allowed" in text
    assert "cannot parse the expression" in text


def test_a_cycle_names_its_tags(tmp_path: Path) -> None:
    tags = "version: 1\ntags:\n"
    tags += tag("x", "expression: y + 1")
    tags += tag("y", "expression: z + 1")
    tags += tag("z", "expression: x + 1")
    [problem] = problems(write(tmp_path, tags))
    assert "cycle: x -> y -> z -> x" in problem


def test_a_tag_named_like_a_customer_field_reads_that_field(tmp_path: Path) -> None:
    tags = "version: 1\ntags:\n" + tag("gender", "expression: gender")
    tags += tag("is_female", "expression: gender = 'female'")
    plan = resolve(load_catalog(write(tmp_path, tags)))
    assert plan.depends["gender"] == set()
    assert plan.depends["is_female"] == {"gender"}  # other tags see the tag
    assert plan.levels == [["gender"], ["is_female"]]


def test_feature_filters_may_only_name_columns_of_their_source(tmp_path: Path) -> None:
    features = FEATURES + (
        "  - id: app_logins\n"
        "    name: app logins\n"
        "    source: events\n"
        "    metric: count\n"
        "    where: event_type = 'login' and amount > 0\n"
    )
    [problem] = problems(write(tmp_path, "version: 1\ntags: []\n", features))
    assert "unknown column of events 'amount'" in problem
    # line 17 is the `where:`; `amount` starts at column 37 (11 for the key + 25 + 1)
    assert "line 17, column 37" in problem


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("    window: six months\n", "a window is a number and a unit"),
        ("    colour: red\n", "unknown key 'features.2.colour'"),
    ],
)
def test_shape_errors_in_features(tmp_path: Path, snippet: str, message: str) -> None:
    features = FEATURES + (
        "  - id: x\n    name: x\n    source: orders\n    metric: count\n" + snippet
    )
    [problem] = problems(write(tmp_path, "version: 1\ntags: []\n", features))
    assert message in problem and "line 1" in problem


def test_rule_shapes(tmp_path: Path) -> None:
    tags = "version: 1\ntags:\n"
    two = "expression: spend_total\nbins: {of: spend_total, edges: [1], labels: [a, b]}"
    tags += tag("two", two)
    tags += tag("labels", "bins: {of: spend_total, edges: [1, 2], labels: [a, b]}")
    tags += tag("order", "bins: {of: spend_total, edges: [2, 1], labels: [a, b, c]}")
    found = "\n".join(problems(write(tmp_path, tags)))
    assert "a rule is exactly one of" in found
    assert "2 edges make 3 bins" in found
    assert "edges must be strictly increasing" in found


def test_a_model_rule_reads_a_value_model_output(tmp_path: Path) -> None:
    tags = "version: 1\ntags:\n" + tag("p_alive", "model: p_alive")
    tags += tag("recency_t", "model: T")
    tags += tag("risk", "bins: {of: p_alive, edges: [0.3, 0.7], labels: [high, mid, low]}")
    plan = resolve(load_catalog(write(tmp_path, tags)))
    assert plan.tags["p_alive"].rule.kind == "model"
    assert plan.tags["p_alive"].rule.model == "p_alive"
    # a model tag uses no feature or tag: level 0; a tag over it comes after
    assert plan.depends["p_alive"] == set()
    assert plan.depends["risk"] == {"p_alive"}
    assert plan.levels == [["p_alive", "recency_t"], ["risk"]]
    assert plan.model_outputs() == {"p_alive", "T"}
    assert plan.needed(["risk"]).model_outputs() == {"p_alive"}


@pytest.mark.parametrize(
    ("given", "suggestion"),
    [
        ("p_alve", "did you mean 'p_alive'?"),
        ("t", "did you mean 'T'?"),
        ("churn", "one of p_alive"),
    ],
)
def test_an_unknown_model_output_is_located_with_a_suggestion(
    tmp_path: Path, given: str, suggestion: str
) -> None:
    tags = "version: 1\ntags:\n" + tag("p_alive", f"model: {given}")
    [problem] = problems(write(tmp_path, tags))
    # line 11 is the `model:` under `rule:`
    assert problem.startswith(f"{Path('tags/t.yaml')}, line 11, column 7: tags.0.rule.model")
    assert f"unknown model output {given!r}" in problem and suggestion in problem
    assert f"11 |       model: {given}" in problem


def test_a_model_rule_is_one_kind_only(tmp_path: Path) -> None:
    tags = "version: 1\ntags:\n" + tag("both", "model: p_alive\nexpression: spend_total")
    tags += tag("other", "model: clv_12m\nelse: 0")
    found = "\n".join(problems(write(tmp_path, tags)))
    assert "a rule is exactly one of: bins, quantile, expression, case, model" in found
    assert "'else' only goes with 'case'" in found


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "version: 1\ntags:\n" + tag("orders_6m", "expression: 1"))
    [problem] = problems(tmp_path)
    assert "duplicate id 'orders_6m' (first defined in features" in problem


def test_the_default_catalog_of_a_new_workspace_is_valid(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "ws") as ws:
        summary = ws.validate_tags()
        entries = ws.tag_dictionary("zh")
    assert summary["features"] >= 20 and summary["tags"] >= 30
    layers = {e["layer"] for e in entries}
    assert layers == {"basic", "behaviour", "preference", "value", "lifecycle"}
    # every tag has a Chinese and an English name and a definition
    assert all(e["name_zh"] and e["name_en"] and e["definition"] for e in entries)
    by_id = {e["id"]: e for e in entries}
    for required in (
        "age_band", "gender", "region", "city_tier", "occupation", "income_band",
        "purchase_frequency_6m", "category_preference", "channel_preference",
        "active_time_slot", "price_sensitivity", "coupon_sensitive", "service_preference",
        "aov", "ltv_band", "repurchase_rate", "lifecycle_stage", "churn_risk",
        "r_score", "f_score", "m_score", "rfm_level", "rfm_group",
    ):  # fmt: skip
        assert required in by_id, required
    assert by_id["ltv_band"]["rule"]["bins"]["labels"] == ["0-500", "501-2000", "2000+"]
