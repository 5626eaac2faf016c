"""Persona cards on the built demo workspace, checked against pandas computations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rich.console import Console

from huaxiang.compiler.plan import Plan
from huaxiang.definitions.models import Text
from huaxiang.errors import UsageError
from huaxiang.personas import PersonaCard, build_card, card_renderable, render_html
from huaxiang.workspace import Workspace

FEMALE = "select customer_id from customer_tags where gender = 'female'"
VALUABLE = "select customer_id from customer_tags where rfm_group = 'important_value'"
UNKNOWN = {"unknown"}
STRATEGY = {
    "core": {"zh": "专属客服 + 新品优先体验", "en": "dedicated service + early access"},
    "channels": ["企业微信", "短信"],
    "content": None,
    "offer": {"zh": "生日礼遇", "en": "birthday gift"},
    "owner": "张*",
    "goal": {"metric": "repurchase_rate", "target": 0.7, "deadline": "2026-12-31"},
}


@pytest.fixture
def demo(built_demo: Path) -> Iterator[tuple[Workspace, Plan]]:
    ws = Workspace.open(built_demo)
    yield ws, ws.tag_plan()
    ws.close()


def card_of(demo: tuple[Workspace, Plan], members: str, **kw: Any) -> PersonaCard:
    ws, plan = demo
    kw.setdefault("ident", "test")
    kw.setdefault("name", Text(zh="高潜力职场女性", en="High-potential working women"))
    kw.setdefault("kind", "segment")
    return build_card(ws.engine, plan, members, **kw)


def frame(ws: Workspace, sql: str) -> pd.DataFrame:
    data: pd.DataFrame = ws.engine.arrow(sql).to_pandas()
    return data


def known_shares(column: pd.Series) -> pd.Series:
    """Value shares among the known values (null and "unknown" are missing)."""
    known = column.dropna()
    known = known[~known.astype(str).str.lower().isin(UNKNOWN)]
    return known.astype(str).value_counts(normalize=True)


def test_size_share_and_planted_feature(demo: tuple[Workspace, Plan]) -> None:
    ws, _ = demo
    tags = frame(ws, "select * from customer_tags")
    card = card_of(demo, FEMALE)
    females = int((tags["gender"] == "female").sum())
    assert card.size == females
    assert card.population == len(tags)
    assert card.share == round(females / len(tags), 4)
    top = card.core_features[0]
    share_pop = known_shares(tags["gender"])["female"]
    assert (top["tag"], top["value"]) == ("gender", "female")
    assert top["share"] == 1.0
    assert top["share_population"] == pytest.approx(share_pop, abs=1e-4)
    assert top["lift"] == pytest.approx(1 / share_pop, abs=1e-3)
    assert top["value_name"] == {"zh": "女", "en": "female"}
    assert top["tag_name"] == {"zh": "性别", "en": "Gender"}


def test_core_features_are_the_highest_lifts(demo: tuple[Workspace, Plan]) -> None:
    ws, plan = demo
    tags = frame(ws, "select * from customer_tags")
    members = tags[tags["rfm_group"] == "important_value"]
    best = []  # per categorical tag: the value of highest lift with share >= 10% and lift > 1
    for tag in plan.tags:
        if tag not in tags or tags[tag].dtype != object:
            continue
        seg, pop = known_shares(members[tag]), known_shares(tags[tag])
        lifts = [(seg[v] / pop[v], seg[v], v) for v in seg.index if seg[v] >= 0.1]
        lifts = [x for x in lifts if x[0] > 1]
        if lifts:
            lift, share, value = max(lifts)
            best.append((lift, share, tag, value, pop[value]))
    best.sort(reverse=True)
    card = card_of(demo, VALUABLE, top=4)
    assert len(card.core_features) == 4
    for feature, expected in zip(card.core_features, best, strict=False):
        lift, share, tag, value, share_pop = expected
        assert (feature["tag"], feature["value"]) == (tag, value)
        assert feature["lift"] == pytest.approx(lift, abs=1e-3)
        assert feature["share"] == pytest.approx(share, abs=1e-4)
        assert feature["share_population"] == pytest.approx(share_pop, abs=1e-4)
    assert [f["lift"] for f in card.core_features] == sorted(
        (f["lift"] for f in card.core_features), reverse=True
    )


def test_habits_and_value_match_pandas(demo: tuple[Workspace, Plan]) -> None:
    ws, _ = demo
    tags = frame(ws, "select * from customer_tags")
    members = tags[tags["rfm_group"] == "important_value"]
    card = card_of(demo, VALUABLE)
    slots = card.habits["active_time_slot"]["values"]
    expected = known_shares(members["active_time_slot"])
    assert slots[0]["value"] == expected.index[0]
    assert slots[0]["share"] == pytest.approx(expected.iloc[0], abs=1e-4)
    assert card.value["ltv"]["mean"] == pytest.approx(members["ltv"].mean(), abs=1e-3)
    assert card.value["ltv"]["median_population"] == pytest.approx(tags["ltv"].median(), abs=1e-3)
    assert card.value["repurchase_rate"]["mean"] == pytest.approx(
        members["repurchase_rate"].mean(), abs=1e-4
    )
    features = frame(ws, "select customer_id, orders_12m from customer_features")
    orders = features[features["customer_id"].isin(members["customer_id"])]["orders_12m"]
    assert card.habits["rhythm"]["orders_per_month"]["members"] == pytest.approx(
        orders.mean() / 12, abs=0.01
    )
    mix = {r["value"]: r["share"] for r in card.value["rfm_mix"]}
    assert mix == {"important_value": 1.0}
    # the model has not run: no probability alive, no CLV (absent, not zero)
    assert "p_alive" not in card.value and "clv_12m" not in card.value
    assert card.value_label["zh"] and card.value_label["en"]
    assert card.headline["zh"].endswith(f"客单价 ¥{card.value['aov']['mean']:,.0f}")


def test_model_columns_appear_when_they_exist(demo: tuple[Workspace, Plan]) -> None:
    ws, _ = demo
    # the catalog's model tags, NULL until the model has run (older catalogs lack them)
    ws.engine.execute("alter table customer_tags add column if not exists p_alive double")
    ws.engine.execute("alter table customer_tags add column if not exists clv_12m double")
    ws.engine.execute("update customer_tags set p_alive = (hash(customer_id) % 100) / 100.0")
    ws.engine.execute("update customer_tags set clv_12m = ltv / 2")
    tags = frame(ws, "select * from customer_tags")
    card = card_of(demo, FEMALE)
    female = tags[tags["gender"] == "female"]
    assert card.value["p_alive"]["mean"] == pytest.approx(female["p_alive"].mean(), abs=1e-4)
    assert card.value["clv_12m"]["mean_population"] == pytest.approx(
        tags["clv_12m"].mean(), abs=1e-3
    )
    assert "存活概率" in render_html([card], "zh")


def test_keyword_shares_match_a_python_count(demo: tuple[Workspace, Plan]) -> None:
    ws, _ = demo
    card = card_of(demo, FEMALE)
    feedback = frame(
        ws,
        "select f.customer_id, f.text from feedback f join customer_tags t using (customer_id) "
        "where t.gender = 'female'",
    )
    feedback = feedback[feedback["text"].fillna("").str.strip() != ""]
    texts_by_customer = feedback.groupby("customer_id")["text"].apply(list)
    assert card.needs["feedback_customers"] == len(texts_by_customer)
    assert card.needs["keywords"], "the demo's women left feedback"
    for k in card.needs["keywords"]:
        mention = sum(any(k["keyword"] in t for t in ts) for ts in texts_by_customer)
        assert k["customers"] == mention
        assert k["share"] == pytest.approx(mention / len(texts_by_customer), abs=1e-4)
        assert len(k["keyword"]) >= 2 and not any(c.isdigit() for c in k["keyword"])


def test_survey_answers_match_a_python_count(demo: tuple[Workspace, Plan]) -> None:
    ws, _ = demo
    card = card_of(demo, FEMALE)
    question = "6、近6个月您购买了几次"
    rows = frame(
        ws,
        "select s.attributes from survey_responses s join customer_tags t using (customer_id) "
        "where t.gender = 'female'",
    )
    answers = [json.loads(a).get(question) for a in rows["attributes"]]
    answers = [a for a in answers if a]
    assert card.needs["survey_responses"] == len(rows)
    found = {q["question"]: q for q in card.needs["survey"]}
    assert found[question]["kind"] == "single"
    assert found[question]["respondents"] == len(answers)
    top = found[question]["answers"][0]
    assert top["count"] == max(answers.count(a) for a in set(answers))
    assert top["share"] == pytest.approx(top["count"] / len(answers), abs=1e-4)
    # a multiple-choice question exported as one 0/1 column per option is one question
    reasons = found["3、您购买的主要原因(多选)"]
    assert reasons["kind"] == "multiple"
    assert {a["answer"] for a in reasons["answers"]} <= {"性价比", "品牌", "功能", "服务"}
    assert "来源" not in found  # the survey tool's own column, not a question


def test_no_feedback_and_no_survey_say_so(demo: tuple[Workspace, Plan]) -> None:
    silent = (
        "select customer_id from customer_tags where customer_id not in "
        "(select customer_id from feedback where customer_id is not null union all "
        " select customer_id from survey_responses where customer_id is not null)"
    )
    card = card_of(demo, silent)
    assert card.size > 0
    assert card.needs["keywords"] == [] and card.needs["survey"] == []
    assert card.needs["feedback_customers"] == 0
    notes = [n["en"] for n in card.notes]
    assert "no feedback texts from this group" in notes
    assert "no survey answers from this group" in notes


def test_a_few_survey_answers_are_not_shown(demo: tuple[Workspace, Plan]) -> None:
    ws, _ = demo
    two = (
        "select customer_id from survey_responses where customer_id is not null "
        "order by customer_id limit 2"
    )
    responses = ws.engine.scalar(
        f"select count(*) from survey_responses where customer_id in ({two})"
    )
    assert 0 < responses < 5
    card = card_of(demo, two)
    assert card.needs["survey"] == []
    assert card.needs["survey_responses"] == responses
    assert f"too few survey answers ({responses}) to show" in [n["en"] for n in card.notes]


def test_card_json_round_trips(demo: tuple[Workspace, Plan]) -> None:
    card = card_of(demo, VALUABLE, strategy=STRATEGY)
    data = card.as_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["strategy"]["owner"] == "张*"
    assert set(data) >= {"name", "size", "share", "core_features", "habits", "needs", "value"}


def test_html_in_both_languages_is_self_contained(demo: tuple[Workspace, Plan]) -> None:
    card = card_of(demo, VALUABLE, strategy=STRATEGY)
    hostile = card_of(demo, FEMALE, name=Text(zh="<script>alert(1)</script>", en="A & B"))
    zh, en = render_html([card, hostile], "zh"), render_html([card, hostile], "en")
    assert "高潜力职场女性" in zh and "核心特征" in zh and "张*" in zh
    assert "High-potential working women" in en and "Core features" in en
    assert "High-potential working women" not in zh
    for page in (zh, en):
        assert "http://" not in page and "https://" not in page
        assert "<script>" not in page and "<link" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in zh
    assert "A &amp; B" in en
    assert "¥" in zh and "%" in zh


def test_terminal_panel_renders(demo: tuple[Workspace, Plan]) -> None:
    card = card_of(demo, VALUABLE, strategy=STRATEGY)
    for lang, name in (("zh", "高潜力职场女性"), ("en", "High-potential working women")):
        console = Console(record=True, width=120)
        console.print(card_renderable(card, lang))
        text = console.export_text()
        assert name in text
        assert card.core_features[0]["tag_name"][lang] in text


def test_an_empty_group_gives_an_empty_card_with_a_note(demo: tuple[Workspace, Plan]) -> None:
    card = card_of(demo, "select customer_id from customer_tags where false")
    assert (card.size, card.share) == (0, 0.0)
    assert card.core_features == [] and card.needs["keywords"] == []
    assert card.notes[0]["en"] == "the group has no customers at present"
    assert json.loads(json.dumps(card.as_dict()))["size"] == 0
    assert "高潜力职场女性" in render_html([card], "zh")
    Console(record=True).print(card_renderable(card, "en"))


def test_bad_input_is_a_usage_error(demo: tuple[Workspace, Plan]) -> None:
    with pytest.raises(UsageError, match="must be a SELECT returning a column customer_id"):
        card_of(demo, "select gender from customer_tags")
    with pytest.raises(UsageError, match="unknown persona kind"):
        card_of(demo, FEMALE, kind="tribe")
