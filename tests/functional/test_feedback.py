"""Feedback themes and keywords on the built demo workspace, checked against what the demo
generator planted (planted.json, demo_vocab) and against pandas counts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from huaxiang.cli.main import app
from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo_people import CRM_ID_BASE, MEMBER_ID_BASE, build_people
from huaxiang.errors import ConfigError, UsageError
from huaxiang.feedback import Lexicon
from huaxiang.feedback.text import looks_personal
from huaxiang.workspace import Workspace

# the demo generator's themes and the built-in lexicon's
DEMO_THEMES = {
    "logistics": "delivery", "price": "price", "quality": "quality", "service": "service",
    "packaging": "packaging", "returns": "returns", "coupon": "promotion", "praise": "praise",
}  # fmt: skip
VALUE_BEHAVIOUR = {"high_value_loyal", "at_risk", "price_sensitive", "mid_potential"}
PLANTED_SEGMENTS = """\
version: 1
segments:
""" + "".join(
    f"  - {{id: planted_{s}, name: {{zh: {label}, en: {s}}}, rule: ltv >= 0, group: planted}}\n"
    for s, label in zip(V.SEGMENTS, V.SEGMENT_LABELS, strict=True)
)


@pytest.fixture
def demo(built_demo: Path) -> Iterator[Workspace]:
    ws = Workspace.open(built_demo)
    yield ws
    ws.close()


def planted(ws: Workspace) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ws.root / "data" / "planted.json").read_text("utf-8"))
    return data


def texts(ws: Workspace) -> pd.DataFrame:
    frame: pd.DataFrame = ws.engine.arrow(
        "select customer_id, text, channel from feedback where nullif(trim(text), '') is not null"
    ).to_pandas()
    return frame


def themes_of(text: str, lexicon: Lexicon) -> set[str]:
    """The themes of a text as the lexicon defines them, in Python."""
    t = text.lower()
    return {
        theme.id
        for theme in lexicon.themes
        if any(k in t for k in theme.keywords) and not any(x in t for x in theme.exclude)
    }


def test_theme_counts_equal_the_planted_counts(demo: Workspace) -> None:
    truth = planted(demo)["feedback"]
    result = demo.pain_points()
    o = result.overall
    assert o.texts == truth["rows"] - truth["empty_text"]
    for name, count in truth["themes"].items():
        assert o.theme(DEMO_THEMES[name]).feedback == count, name  # type: ignore[union-attr]
    other = o.theme("other")
    assert other is not None and other.feedback == other.customers == 0
    # every demo text has exactly one theme, so here the theme counts add up to all texts
    assert sum(t.feedback for t in o.themes) == o.texts
    frame = texts(demo)
    assert o.customers == frame.customer_id.nunique()
    praise = o.theme("praise")
    assert praise is not None and praise.kind == "praise"
    assert praise.mean_rating is not None and praise.mean_rating >= 4  # planted as 4-5 stars
    assert all(t.mean_rating is None or t.mean_rating <= 3 for t in o.themes if t.kind == "pain")


def _hidden_segments(ws: Workspace) -> pd.DataFrame:
    """The generator's hidden segment of every customer who left feedback (from the person
    behind each source customer id)."""
    gen = planted(ws)["generator"]
    people = build_people(gen["customers"], gen["seed"], dt.date.fromisoformat(gen["as_of"]))
    member_person = {
        int(number) + MEMBER_ID_BASE: person
        for ids in (people.member_primary, people.member_secondary)
        for person, number in enumerate(ids)
        if number >= 0
    }
    rows = []
    for customer, source in ws.engine.rows(
        "select distinct customer_id, source_customer_id from feedback "
        "where customer_id is not null"
    ):
        number = int(source[1:])
        person = number - CRM_ID_BASE if source[0] == "C" else member_person[number]
        rows.append((customer, f"planted_{V.SEGMENTS[people.seg[person]]}"))
    members = pd.DataFrame(rows, columns=["customer_id", "segment_id"]).drop_duplicates()
    assert not members.customer_id.duplicated().any()  # one person behind each customer
    return members


def test_the_planted_dominant_theme_of_each_segment_comes_out_on_top(demo: Workspace) -> None:
    """The demo plants per hidden segment a theme mix (demo_vocab.THEME_BY_SEGMENT); with the
    hidden segments as segment members, each segment's top pain point is its planted one."""
    demo.build_segments()
    (demo.root / "segments" / "planted.yaml").write_text(PLANTED_SEGMENTS, encoding="utf-8")
    members = _hidden_segments(demo)
    demo.engine.register("hidden", members)
    demo.engine.execute("insert into segment_members select customer_id, segment_id from hidden")
    result = demo.pain_points(group="planted")
    assert [s.key for s in result.segments] == [f"planted_{s}" for s in V.SEGMENTS]
    assert result.segment_run is not None
    names = [t[0] for t in V.FEEDBACK_THEMES]
    truth = planted(demo)["feedback"]["themes_by_segment"]
    for i, scope in enumerate(result.segments):
        mix = dict(zip(names, V.THEME_BY_SEGMENT[i], strict=True))
        expected = max((n for n in names if n != "praise"), key=mix.__getitem__)
        top = scope.top()
        assert top is not None and top.theme == DEMO_THEMES[expected], scope.key
        for name, count in truth[V.SEGMENTS[i]].items():
            assert scope.theme(DEMO_THEMES[name]).feedback == count  # type: ignore[union-attr]
        assert scope.name == {"zh": V.SEGMENT_LABELS[i], "en": V.SEGMENTS[i]}


def test_segment_and_channel_shares_equal_a_pandas_count(demo: Workspace) -> None:
    demo.build_segments()
    lexicon = demo.feedback_lexicon()
    result = demo.pain_points(by_segment=True, by_channel=True, lang="en")
    frame = texts(demo)
    frame["themes"] = frame.text.map(lambda t: themes_of(t, lexicon))
    members = demo.engine.arrow("select customer_id, segment_id from segment_members").to_pandas()
    joined = frame.merge(members, on="customer_id")
    assert result.segments, "the demo's segments have members"
    for scope in result.segments:
        mine = joined[joined.segment_id == scope.key]
        assert scope.texts == len(mine) and scope.customers == mine.customer_id.nunique()
        for theme in scope.themes:
            if theme.theme == "other":
                with_theme = mine[mine.themes.map(bool)].customer_id.nunique()
                assert theme.customers == scope.customers - with_theme
                assert theme.feedback == int((~mine.themes.map(bool)).sum())
                continue
            hit = mine[mine.themes.map(lambda ts, t=theme.theme: t in ts)]
            assert (theme.feedback, theme.customers) == (len(hit), hit.customer_id.nunique())
            share = hit.customer_id.nunique() / scope.customers if scope.customers else 0.0
            assert theme.share == pytest.approx(share, abs=1e-4)
        assert scope.customers_with_theme + scope.theme("other").customers == scope.customers  # type: ignore[union-attr]
    # value_behaviour is an exclusive group: its segments' customers do not overlap
    group = [s for s in result.segments if s.key in VALUE_BEHAVIOUR]
    assert sum(s.customers for s in group) <= result.overall.customers
    assert sum(c.texts for c in result.channels) == result.overall.texts
    assert {c.key for c in result.channels} == set(frame.channel.dropna())


def test_keywords_overall_and_per_segment(demo: Workspace) -> None:
    demo.build_segments()
    frame = texts(demo)
    overall = demo.feedback_keywords(top=30)
    assert overall.texts == overall.texts_read == len(frame)  # under the sample size: all read
    assert overall.notes == [] and overall.keywords
    for k in overall.keywords:
        users = frame[frame.text.str.contains(k["keyword"], regex=False)].customer_id.nunique()
        assert k["customers"] == users >= overall.min_customers, k
        assert not looks_personal(k["keyword"]) and not any(c.isdigit() for c in k["keyword"])
    assert max(overall.cloud.values()) == 1.0 and len(overall.cloud) <= 30
    lexicon_words = {w for t in demo.feedback_lexicon().themes for w in t.keywords}
    assert lexicon_words & set(overall.cloud), "the planted complaints show in the keywords"
    clouds = demo.feedback_keywords_by_segment(top=20, group="value_behaviour")
    assert (
        clouds[0].segment is None and clouds[0].keywords == demo.feedback_keywords(top=20).keywords
    )
    at_risk = next(c for c in clouds if c.segment == "at_risk")
    alone = demo.feedback_keywords(segment="at_risk", top=20)
    assert alone.keywords == at_risk.keywords and alone.texts == at_risk.texts
    assert alone.segment_name == {"zh": "流失风险客户", "en": "Churn risk"}
    sampled = demo.feedback_keywords(sample=100, min_customers=2)
    assert sampled.texts_read == 100 and "sample of 100" in sampled.notes[0]["en"]
    ranked = demo.feedback_keywords(method="textrank", top=10)
    assert ranked.method == "textrank" and 0 < len(ranked.keywords) <= 10


def test_cli(demo: Workspace) -> None:
    root = str(demo.root)
    demo.build_segments()
    demo.close()
    runner = CliRunner()
    out = runner.invoke(app, ["-w", root, "feedback", "themes", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["overall"]["texts"] > 0 and data["segments"] == []
    out = runner.invoke(
        app, ["-w", root, "feedback", "themes", "--by-segment", "--group", "value_behaviour",
              "--by-channel", "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert {s["key"] for s in data["segments"]} <= VALUE_BEHAVIOUR
    assert data["channels"] and data["segment_run"]
    for args in (["themes", "--by-segment", "--by-channel"], ["themes", "--lang", "en"],
                 ["keywords", "--top", "5"], ["lexicon"]):  # fmt: skip
        out = runner.invoke(app, ["-w", root, "feedback", *args])
        assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["-w", root, "feedback", "keywords", "--segment", "at_risk", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["segment"] == "at_risk"
    # errors reach the entry point (one message, exit code 2 for usage, 1 for a config file)
    out = runner.invoke(app, ["-w", root, "feedback", "keywords", "--segment", "at_rsk"])
    assert isinstance(out.exception, UsageError) and out.exception.exit_code == 2
    assert "did you mean 'at_risk'" in str(out.exception)
    out = runner.invoke(app, ["-w", root, "feedback", "keywords", "--method", "lda"])
    assert isinstance(out.exception, UsageError) and "unknown keyword method" in str(out.exception)
    (Path(root) / "feedback").mkdir()
    lexicon = Path(root) / "feedback" / "pain_points.yaml"
    lexicon.write_text(
        "version: 1\nthemes:\n  - {id: size, name: 尺码, keywords: [尺码]}\n", "utf-8"
    )
    out = runner.invoke(app, ["-w", root, "feedback", "lexicon", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["files"][-1] == "feedback/pain_points.yaml"
    assert data["themes"][-1]["id"] == "size" and data["themes"][-1]["source"] == "workspace"
    lexicon.write_text("version: 1\nthemes:\n  - id: size\n    keyword: [尺码]\n", "utf-8")
    out = runner.invoke(app, ["-w", root, "feedback", "themes"])
    assert isinstance(out.exception, ConfigError) and out.exception.exit_code == 1
    assert "feedback/pain_points.yaml, line 4" in str(out.exception)
    assert "unknown key" in str(out.exception)


def test_keywords_drawn_as_a_word_cloud(demo: Workspace, tmp_path: Path) -> None:
    result = demo.feedback_keywords(top=30)
    png = demo.export_word_cloud(result, tmp_path / "词云.png", "zh")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = demo.export_word_cloud(result, tmp_path / "cloud.svg", "zh").read_text("utf-8")
    top = result.keywords[0]["keyword"]
    assert f">{top}<" in svg  # words stay text in the vector form
    with pytest.raises(UsageError, match=r"\.png or \.svg"):
        demo.export_word_cloud(result, tmp_path / "cloud.jpg", "zh")
    out = CliRunner().invoke(
        app, ["-w", str(demo.root), "feedback", "keywords", "--cloud", str(tmp_path / "c.svg")]
    )
    assert out.exit_code == 0, out.output
    assert (tmp_path / "c.svg").read_text("utf-8").count("<text") >= 10
