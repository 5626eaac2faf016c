"""Survey definitions: every problem reported at once, at its file, line and column, with the
near names; headers checked against the loaded export."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml

from huaxiang.datasets.demo_survey import survey_definition
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import ConfigError, DataError, UsageError
from huaxiang.surveys import load_surveys, resolve
from huaxiang.surveys.models import Question, Survey
from huaxiang.surveys.schema import FILE_NAME, survey_schema

ROOT = Path(__file__).resolve().parents[2]

SURVEY = """\
version: 1
id: shop
title: {zh: 满意度问卷, en: Satisfaction}
source: wjx
questions:
  - id: frequency
    header: "6、近6个月您购买了几次"
    type: single
    options: [从未购买, 1次, 2-3次]
    required: true
  - id: habit
    header: "7、您通常多久购买一次"
    type: single
    options: [每周, 每月]
  - id: reasons
    header: "3、购买原因"
    type: multiple
    layout: columns
    options: [性价比, 品牌]
  - id: score
    header: "4、满意度"
    type: rating
  - id: like_f
    header: "9、如果提供，您的感受是"
    type: single
  - id: like_d
    header: "10、如果不提供，您的感受是"
    type: single
kano:
  features:
    - name: 48小时送达
      functional: like_f
      dysfunctional: like_d
rules:
  - id: never_weekly
    when: frequency = '从未购买' and habit = '每周'
    reason: 矛盾
"""
HEADERS = {
    "6、近6个月您购买了几次": "从未购买",
    "7、您通常多久购买一次": "每周",
    "3、购买原因:性价比": "1",
    "3、购买原因:品牌": "0",
    "4、满意度": "5",
    "9、如果提供，您的感受是": "我很喜欢",
    "10、如果不提供，您的感受是": "无所谓",
    "来源": "微信",
}
SOURCES = {"wjx": "survey_responses", "crm": "customers"}


def write(root: Path, text: str, name: str = "shop.yaml") -> Path:
    (root / "surveys").mkdir(exist_ok=True)
    (root / "surveys" / name).write_text(text, encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_surveys(root)
    return [str(p) for p in info.value.problems]


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text``."""
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before.rsplit("\n", 1)[-1]) + 1


@pytest.fixture
def engine() -> Engine:
    e = Engine(None)
    e.execute(
        "create table survey_responses (_source varchar, respondent_id varchar, "
        "customer_id varchar, started_at timestamp, submitted_at timestamp, "
        "duration_s decimal(18, 3), attributes json)"
    )
    e.execute(
        "insert into survey_responses values ('wjx', '1', null, null, null, 200, ?)",
        [json.dumps(HEADERS, ensure_ascii=False)],
    )
    return e


def test_a_valid_definition_loads_with_its_defaults(tmp_path: Path) -> None:
    survey = load_surveys(write(tmp_path, SURVEY)).get("shop")
    assert survey.min_seconds == 180 and survey.separator == "┋" and survey.target == "all"
    assert survey.question("score") is not None and survey.question("score").points == (1, 5)  # type: ignore[union-attr]
    assert survey.kano is not None and survey.kano.labels.ordered()[0] == "我很喜欢"
    assert survey.title.get("en") == "Satisfaction" and survey.kano.features[0].name.zh


def test_unknown_key_says_did_you_mean_at_its_line(tmp_path: Path) -> None:
    text = SURVEY.replace("    required: true", "    requird: true")
    found = problems(write(tmp_path, text))
    line, _ = position(text, "requird")
    assert len(found) == 1
    assert f"surveys/shop.yaml, line {line}" in found[0]
    assert (
        "unknown key 'questions.0.requird'" in found[0] and "did you mean 'required'?" in found[0]
    )


def test_type_mismatches_are_errors(tmp_path: Path) -> None:
    text = SURVEY.replace("    type: rating\n", "    type: rating\n    options: [1, 2]\n")
    found = problems(write(tmp_path, text))
    assert any("'options' are for single and multiple questions" in p for p in found)


def test_a_kano_pair_naming_a_missing_question_points_at_it(tmp_path: Path) -> None:
    text = SURVEY.replace("functional: like_f", "functional: like_ff")
    found = problems(write(tmp_path, text))
    line, column = position(text, "like_ff")
    assert found == [
        f"surveys/shop.yaml, line {line}, column {column}: unknown question 'like_ff'\n"
        f"    {line:>4} |       functional: like_ff\n"
        f"{' ' * (11 + column - 1)}^\n"
        "  hint: did you mean 'like_f'?"
    ]


def test_a_kano_pair_needs_single_choice_questions(tmp_path: Path) -> None:
    found = problems(
        write(tmp_path, SURVEY.replace("dysfunctional: like_d", "dysfunctional: score"))
    )
    assert any("question 'score' is a rating question" in p and "single" in p for p in found)


def test_a_rule_naming_an_unknown_question_points_inside_the_condition(tmp_path: Path) -> None:
    text = SURVEY.replace("habit = '每周'", "habbit = '每周'")
    found = problems(write(tmp_path, text))
    line, column = position(text, "habbit")
    assert len(found) == 1
    assert found[0].startswith(f"surveys/shop.yaml, line {line}, column {column}: ")
    assert "unknown question id 'habbit'" in found[0] and "did you mean 'habit'?" in found[0]


def test_a_rule_comparing_with_an_undeclared_option_is_an_error(tmp_path: Path) -> None:
    text = SURVEY.replace("frequency = '从未购买'", "frequency = '从未购卖'")
    found = problems(write(tmp_path, text))
    line, column = position(text, "从未购卖")
    assert len(found) == 1
    assert found[0].startswith(f"surveys/shop.yaml, line {line}, column {column}: ")
    assert "'从未购卖' is not an option of question 'frequency'" in found[0]
    assert "did you mean '从未购买'?" in found[0]


def test_all_problems_of_all_files_at_once(tmp_path: Path) -> None:
    write(tmp_path, SURVEY, "a.yaml")
    write(tmp_path, SURVEY, "b.yaml")  # the same survey id again
    other = SURVEY.replace("id: shop", "id: other").replace("  - id: habit", "  - id: frequency")
    write(tmp_path, other, "c.yaml")
    found = problems(tmp_path)
    assert any("duplicate survey id 'shop'" in p for p in found)
    assert any("duplicate question id 'frequency'" in p for p in found)


def test_unknown_survey_names_the_near_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown survey 'shp'") as info:
        load_surveys(write(tmp_path, SURVEY)).get("shp")
    assert info.value.hint == "did you mean 'shop'?"


def test_resolved_against_the_export(tmp_path: Path, engine: Engine) -> None:
    catalog = load_surveys(write(tmp_path, SURVEY))
    resolved = resolve(engine, catalog, catalog.get("shop"), sources=SOURCES)
    reasons = resolved.columns["reasons"]
    assert reasons.layout == "columns" and reasons.keys == (
        "3、购买原因:性价比",
        "3、购买原因:品牌",
    )
    assert resolved.where == "s._source = 'wjx'" and set(resolved.rules) == {"never_weekly"}


def test_a_header_the_export_lacks_names_the_closest_headers(
    tmp_path: Path, engine: Engine
) -> None:
    text = SURVEY.replace("7、您通常多久购买一次", "7、您通常多久买一次")
    catalog = load_surveys(write(tmp_path, text))
    with pytest.raises(ConfigError) as info:
        resolve(engine, catalog, catalog.get("shop"), sources=SOURCES)
    [problem] = info.value.problems
    line, column = position(text, '"7、您通常多久买一次"')
    assert (problem.location.line, problem.location.column) == (line, column)
    assert problem.message == "the export has no column '7、您通常多久买一次'"
    assert problem.hint is not None and problem.hint.startswith(
        "closest headers: '7、您通常多久购买一次'"
    )


def test_a_missing_option_column_lists_the_columns_found(tmp_path: Path, engine: Engine) -> None:
    catalog = load_surveys(write(tmp_path, SURVEY.replace("[性价比, 品牌]", "[性价比, 服务]")))
    with pytest.raises(ConfigError) as info:
        resolve(engine, catalog, catalog.get("shop"), sources=SOURCES)
    [problem] = info.value.problems
    assert problem.message == "the export has no column 3、购买原因:服务"
    assert problem.hint == "option columns found: 品牌, 性价比"


def test_source_and_target_are_checked(tmp_path: Path, engine: Engine) -> None:
    text = SURVEY.replace("source: wjx", "source: wjz\ntarget: vipp")
    catalog = load_surveys(write(tmp_path, text))
    with pytest.raises(ConfigError) as info:
        resolve(engine, catalog, catalog.get("shop"), sources=SOURCES, segments=["vip"])
    found = [str(p) for p in info.value.problems]
    assert "unknown source 'wjz'" in found[0] and "did you mean 'wjx'?" in found[0]
    assert "unknown segment 'vipp'" in found[1] and "did you mean 'vip'?" in found[1]
    catalog = load_surveys(write(tmp_path, SURVEY.replace("source: wjx", "source: crm")))
    with pytest.raises(ConfigError, match="not a survey source 'crm'"):
        resolve(engine, catalog, catalog.get("shop"), sources=SOURCES)


def test_a_rule_the_answers_cannot_satisfy_is_an_error(tmp_path: Path, engine: Engine) -> None:
    text = SURVEY.replace("frequency = '从未购买' and habit = '每周'", "reasons = '品牌'")
    catalog = load_surveys(write(tmp_path, text))
    with pytest.raises(ConfigError) as info:
        resolve(engine, catalog, catalog.get("shop"), sources=SOURCES)
    [problem] = info.value.problems
    assert problem.message.startswith("the condition does not fit the answers")
    assert problem.hint is not None and "list_contains" in problem.hint
    assert problem.location.line == position(text, "reasons = ")[0]


def test_no_responses_is_a_data_error(tmp_path: Path) -> None:
    catalog = load_surveys(write(tmp_path, SURVEY))
    with pytest.raises(DataError, match="no survey responses in the warehouse yet"):
        resolve(Engine(None), catalog, catalog.get("shop"), sources=SOURCES)


def test_published_schema_is_current_and_takes_the_demo_definition(tmp_path: Path) -> None:
    published = json.loads((ROOT / "docs" / "schema" / FILE_NAME).read_text(encoding="utf-8"))
    assert published == survey_schema(), (
        "run: .venv/bin/python -m huaxiang.surveys.schema docs/schema"
    )
    validator = jsonschema.Draft202012Validator(survey_schema())
    for text in (survey_definition(date(2026, 6, 30)), SURVEY):
        assert list(validator.iter_errors(yaml.safe_load(text))) == []
    bad = yaml.safe_load(SURVEY.replace("    type: rating", "    type: rating\n    scael: 5"))
    assert list(validator.iter_errors(bad))
    assert load_surveys(write(tmp_path, survey_definition(date(2026, 6, 30))))


def test_the_documented_example_loads(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "surveys.md").read_text(encoding="utf-8")
    example = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    survey = load_surveys(write(tmp_path, example, "customer_survey.yaml")).get("customer_survey")
    assert survey.kano is not None and survey.competitors is not None and survey.rules
    documented = set(re.findall(r"`([a-z_]+(?:\[\])?(?:\.[a-z_]+)*)`", guide))
    keys = {*Survey.model_fields, *(f"questions[].{k}" for k in Question.model_fields)}
    missing = {
        k for k in keys if not any(d == k or d.startswith((f"{k}.", f"{k}[]")) for d in documented)
    }
    assert not missing, f"survey keys missing from docs/surveys.md: {missing}"
