"""The pain-point lexicon (loading, validation, workspace changes), theme matching in SQL, theme
shares that add up, and feedback keywords with a workspace's dictionary and stop words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from huaxiang.datasets import demo_vocab as V
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import ConfigError, UsageError
from huaxiang.feedback import Vocabulary, feedback_keywords, load_lexicon, theme_shares
from huaxiang.feedback.keywords import keywords_by_segment, read_word_list, workspace_vocabulary
from huaxiang.feedback.lexicon import Lexicon, parse_lexicon
from huaxiang.feedback.themes import theme_condition

# the demo generator's themes and the built-in lexicon's
DEMO_THEMES = {
    "logistics": "delivery", "price": "price", "quality": "quality", "service": "service",
    "packaging": "packaging", "returns": "returns", "coupon": "promotion", "praise": "praise",
}  # fmt: skip


def matched(texts: list[str], lexicon: Lexicon | None = None) -> list[set[str]]:
    """The themes of each text, by the SQL the shares use."""
    lexicon = lexicon or load_lexicon()
    flags = ", ".join(theme_condition(t) for t in lexicon.themes)
    with memory_engine() as engine:
        rows = engine.rows(
            f"select {flags} from (select i, lower(text) as hx_text from "
            "(select unnest(?::varchar[]) as text, unnest(range(len(?))) as i)) order by i",
            [texts, texts],
        )
    return [{t.id for t, hit in zip(lexicon.themes, row, strict=True) if hit} for row in rows]


@contextmanager
def memory_engine() -> Iterator[Engine]:
    engine = Engine(None)
    try:
        yield engine
    finally:
        engine.close()


# -- the built-in lexicon ------------------------------------------------------------------------
def test_builtin_lexicon_is_bilingual_and_unique() -> None:
    lexicon = load_lexicon()
    ids = [t.id for t in lexicon.themes]
    assert len(ids) == len(set(ids)) and "other" not in ids
    for theme in lexicon.themes:
        assert theme.name.zh and theme.name.en and theme.keywords
        assert theme.kind in ("pain", "praise") and theme.source == "builtin"
    delivery = lexicon.theme("delivery")
    assert delivery is not None and delivery.label("zh") == "配送时效"
    assert set(DEMO_THEMES.values()) <= set(ids)


def _demo_texts() -> list[tuple[str, str]]:
    """Every demo feedback template, filled with every category and a day count, with every
    opener and closer: (planted theme, text)."""
    out = []
    names = [t[0] for t in V.FEEDBACK_THEMES]
    for name, templates in zip(names, V.FEEDBACK_TEMPLATES, strict=True):
        closers = V.PRAISE_CLOSERS if name == "praise" else V.FEEDBACK_CLOSERS
        for template in templates:
            for category, _ in V.CATEGORIES:
                body = template.replace("{c}", category).replace("{d}", "3")
                out += [(name, o + body + c) for o in V.FEEDBACK_OPENERS for c in closers]
    return out


def test_every_demo_template_has_exactly_its_planted_theme() -> None:
    demo = _demo_texts()
    found = matched([text for _, text in demo])
    wrong = [
        (text, themes)
        for (name, text), themes in zip(demo, found, strict=True)
        if themes != {DEMO_THEMES[name]}
    ]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    ("text", "themes"),
    [
        ("物流太慢了，等了一周", {"delivery"}),
        ("物流不慢，就是包装破了", {"packaging"}),  # 不慢: not a delivery complaint
        ("物流很快，包装完好", set()),
        ("客服态度很好", {"praise"}),
        ("客服半天没人理，退款也没到账", {"service", "returns"}),
        ("衣服起球，还有色差", {"quality"}),
        ("价格实惠", set()),
        ("太贵了", {"price"}),
        ("APP总是闪退", {"app"}),
        ("BUG太多", {"app"}),  # case is ignored
        ("贵宾服务很周到", set()),  # no bare 贵
        ("客服响应太慢", {"service"}),  # no bare 慢 in delivery
        ("不满意", set()),
        ("很满意，会推荐", {"praise"}),
        ("", set()),
    ],
)  # fmt: skip
def test_theme_matching(text: str, themes: set[str]) -> None:
    assert matched([text]) == [themes]


def test_keywords_are_matched_literally() -> None:
    lexicon = Lexicon(
        parse_lexicon(
            "version: 1\nthemes:\n"
            "  - {id: odd, name: 怪, keywords: ['c++', '(急)', 'a.b', '价|格'],\n"
            "     exclude: ['不急']}\n"
        )
    )
    found = matched(["学c++", "（急）", "(急)", "axb", "a.b", "价格", "价|格", "(急)不急"], lexicon)
    assert found == [{"odd"}, set(), {"odd"}, set(), {"odd"}, set(), {"odd"}, set()]


# -- lexicon files -------------------------------------------------------------------------------
def write(root: Path, text: str, name: str = "pain_points.yaml") -> Path:
    folder = root / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_workspace_lexicon_changes_the_builtin_one(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
version: 1
themes:
  - id: delivery
    keywords: [慢死了]
    exclude: [顺丰很快]
    remove: [才到]
  - id: app
    enabled: false
  - id: size
    name: {zh: 尺码, en: Sizing}
    keywords: [尺码, 偏大, 偏小]
  - id: praise
    name: 表扬
""",
    )
    lexicon = load_lexicon(tmp_path)
    assert lexicon.files == ("builtin:pain_points.yaml", "feedback/pain_points.yaml")
    delivery = lexicon.theme("delivery")
    assert delivery is not None and delivery.source == "builtin+workspace"
    assert "慢死了" in delivery.keywords and "才到" not in delivery.keywords
    assert "物流" in delivery.keywords and delivery.exclude[-1] == "顺丰很快"
    assert lexicon.theme("app") is None
    size = lexicon.theme("size")
    assert size is not None and size.source == "workspace" and size.kind == "pain"
    assert [t.id for t in lexicon.themes][-1] == "size"
    praise = lexicon.theme("praise")
    assert praise is not None and praise.label("zh") == "表扬" and praise.kind == "praise"
    assert praise.label("en") == "表扬"  # a name in one language stands for both
    assert matched(["尺码偏大", "慢死了", "等了三天才到"], lexicon) == [
        {"size"},
        {"delivery"},
        set(),
    ]


def test_a_workspace_lexicon_can_stand_alone(tmp_path: Path) -> None:
    write(
        tmp_path,
        "version: 1\nbuiltin: false\nthemes:\n  - {id: wait, name: 等待, keywords: 排队}\n",
    )
    lexicon = load_lexicon(tmp_path)
    assert [(t.id, t.keywords) for t in lexicon.themes] == [("wait", ("排队",))]


def test_lexicon_problems_are_all_reported_with_positions(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
version: 1
themes:
  - id: delivery
    keywords: [物流慢]
    remove: [不存在]
  - id: size
    keywords: [尺码]
  - id: size
    name: 尺码
    keywords: [尺码]
  - id: other
    name: 其他
    keywords: [别的]
  - id: taste
    name: 口味
    keywords: [难吃]
    exclude: [难吃]
""",
    )
    with pytest.raises(ConfigError) as err:
        load_lexicon(tmp_path)
    problems = {(p.location.file, p.location.line): p.message for p in err.value.problems}
    file = "feedback/pain_points.yaml"
    assert "不存在 not among the keywords of 'delivery'" in problems[(file, 5)]
    assert "theme 'size' has no name" in problems[(file, 6)]
    assert "duplicate theme id 'size'" in problems[(file, 8)]
    assert "reserved" in problems[(file, 11)]
    assert "难吃 both a keyword and an exclusion" in problems[(file, 17)]
    assert len(err.value.problems) == 5
    assert "line 5" in str(err.value) and "remove: [不存在]" in str(err.value)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("version: 1\nthemes:\n  - id: delivery\n    keyword: [慢]\n", 4, "unknown key"),
        ("version: 1\nthemes:\n  - id: Delivery Speed\n", 3, "themes.0.id"),
        ("version: 2\n", 1, "version"),
        ("version: 1\nthemes:\n  - id: delivery\n    keywords: ['  ']\n", 4, "cannot be empty"),
        ("version: 1\nthemes: [\n", 3, "invalid YAML"),
        ("version: 1\nthemes:\n  - id: price\n    kind: bad\n", 4, "themes.0.kind"),
        ("version: 1\nthemes:\n  - id: nope\n    enabled: false\n", 4, "no theme 'nope'"),
    ],
)  # fmt: skip
def test_lexicon_errors(tmp_path: Path, text: str, line: int, message: str) -> None:
    write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_lexicon(tmp_path)
    problem = err.value.problems[0]
    assert problem.location.file == "feedback/pain_points.yaml"
    assert problem.location.line == line
    assert message in problem.message


def test_removing_every_keyword_is_an_error(tmp_path: Path) -> None:
    keywords = load_lexicon().theme("packaging").keywords  # type: ignore[union-attr]
    write(
        tmp_path, f"version: 1\nthemes:\n  - id: packaging\n    remove: [{', '.join(keywords)}]\n"
    )
    with pytest.raises(ConfigError, match="left without keywords") as err:
        load_lexicon(tmp_path)
    assert err.value.problems[0].location.line == 4


def test_a_lexicon_that_is_not_utf8(tmp_path: Path) -> None:
    write(tmp_path, "")
    (tmp_path / "feedback" / "pain_points.yaml").write_bytes("themes: 物流".encode("gbk"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_lexicon(tmp_path)


# -- theme shares --------------------------------------------------------------------------------
@pytest.fixture
def engine() -> Iterator[Engine]:
    e = Engine(None)
    e.execute(
        "create table feedback (feedback_id varchar, customer_id varchar, text varchar, "
        "channel varchar, created_at timestamp, rating double)"
    )
    rows = [
        ("f1", "a", "物流太慢了", "APP", 1.0),
        ("f2", "a", "客服没人理，物流也慢", "APP", 2.0),
        ("f3", "b", "价格太贵", "门店", None),
        ("f4", "b", "东西收到了", "门店", 4.0),
        ("f5", "c", "很满意", None, 5.0),
        ("f6", "d", "随便写写", "APP", 3.0),
        ("f7", None, "快递丢件", "APP", 1.0),
        ("f8", "e", "   ", "APP", 1.0),
        ("f9", "e", None, "APP", 1.0),
    ]
    for fid, cid, text, channel, rating in rows:
        e.execute(
            "insert into feedback values (?, ?, ?, ?, null, ?)", [fid, cid, text, channel, rating]
        )
    e.execute(
        "create table segment_members as select * from (values ('a', 's1'), ('b', 's1'), "
        "('c', 's2'), ('z', 's2')) t(customer_id, segment_id)"
    )
    yield e
    e.close()


def test_theme_shares_add_up(engine: Engine) -> None:
    result = theme_shares(
        engine,
        load_lexicon(),
        lang="en",
        segments=[("s1", {"zh": "一", "en": "one"}), ("s2", {"zh": "二", "en": "two"}),
                  ("s3", {"zh": "三", "en": "three"})],
        by_channel=True,
    )  # fmt: skip
    o = result.overall
    # non-empty texts: f1..f7; customers with text: a, b, c, d (f7 has none)
    assert (o.texts, o.customers, o.rated) == (7, 4, 6)
    assert o.mean_rating == round((1 + 2 + 4 + 5 + 3 + 1) / 6, 2)
    delivery, service, price = o.theme("delivery"), o.theme("service"), o.theme("price")
    assert delivery is not None and service is not None and price is not None
    assert (delivery.feedback, delivery.customers, delivery.share) == (3, 1, 0.25)
    assert delivery.mean_rating == round((1 + 2 + 1) / 3, 2)
    assert delivery.feedback_share == round(3 / 7, 4)
    assert (service.feedback, service.customers) == (1, 1)
    assert (price.feedback, price.customers, price.mean_rating) == (1, 1, None)
    other = o.theme("other")
    assert other is not None and other.kind == "other" and o.themes[-1] is other
    # f4 and f6 match nothing; d wrote only those, b wrote one with a theme too
    assert (other.feedback, other.customers, other.mean_rating) == (2, 1, 3.5)
    assert o.customers_with_theme + other.customers == o.customers
    texts = [
        "物流太慢了",
        "客服没人理，物流也慢",
        "价格太贵",
        "东西收到了",
        "很满意",
        "随便写写",
        "快递丢件",
    ]
    matched_texts = sum(1 for themes in matched(texts) if themes)
    assert matched_texts + other.feedback == o.texts
    assert o.top() is delivery and delivery.headline("en").startswith("Delivery speed: 25%")
    assert o.top("praise") == o.theme("praise")
    assert delivery.headline("zh") == "配送时效：25% 的反馈客户提及"
    # pains by customers, then praise, other last
    kinds = [t.kind for t in o.themes]
    assert kinds == sorted(kinds, key=["pain", "praise", "other"].index)
    s1, s2, s3 = result.segments
    assert (s1.key, s1.name, s1.scope) == ("s1", {"zh": "一", "en": "one"}, "segment")
    assert (s1.texts, s1.customers, s1.theme("delivery").customers) == (4, 2, 1)  # type: ignore[union-attr]
    assert s1.theme("delivery").share == 0.5  # type: ignore[union-attr]
    assert (s2.texts, s2.customers, s2.top("praise").customers) == (1, 1, 1)  # type: ignore[union-attr]
    assert s2.top() is None
    assert (s3.texts, s3.customers, s3.themes[0].share) == (0, 0, 0.0)
    channels = {c.key: c for c in result.channels}
    assert list(channels) == ["APP", "门店", None]  # most texts first, none last
    assert channels["APP"].texts == 4 and channels[None].name == {"zh": "未注明", "en": "not given"}
    assert sum(c.texts for c in result.channels) == o.texts
    assert not engine.rows("select * from duckdb_tables() where temporary")
    data = result.as_dict()
    assert data["overall"]["themes"][0]["theme"] == "delivery"
    assert "物流" not in str(data)  # counts and names only, never a text


def test_no_feedback_table_gives_zeros_and_a_note() -> None:
    with memory_engine() as engine:
        result = theme_shares(engine, load_lexicon(), lang="zh")
        assert result.overall.texts == 0 and result.overall.themes[0].share == 0.0
        assert result.notes[0]["en"] == "no feedback data (table feedback)"
        engine.execute("create table feedback (customer_id varchar, text varchar)")
        result = theme_shares(engine, load_lexicon(), lang="zh")
        assert result.overall.texts == 0 and result.overall.mean_rating is None
        assert result.notes[0]["en"] == "the feedback table holds no text"


# -- keywords ------------------------------------------------------------------------------------
def test_keywords_with_customer_threshold_and_weights(engine: Engine) -> None:
    engine.execute("delete from feedback")
    texts = ["物流太慢了", "物流又慢了，联系13812345678", "小蓝盒物流慢"] * 2 + ["包装破损"]
    for i, text in enumerate(texts):
        engine.execute(
            "insert into feedback values (?, ?, ?, 'APP', null, 1)", [f"f{i}", f"c{i}", text]
        )
    result = feedback_keywords(engine, Vocabulary(), min_customers=2)
    assert (result.texts, result.texts_read, result.customers, result.customers_read) == (
        7,
        7,
        7,
        7,
    )
    assert result.notes == []
    words = [k["keyword"] for k in result.keywords]
    assert "物流" in words and "破损" not in words  # one customer wrote 破损
    assert not any(re.search(r"\d", w) for w in words)
    assert result.keywords[0]["weight"] == 1.0
    logistics = next(k for k in result.keywords if k["keyword"] == "物流")
    assert (logistics["customers"], logistics["share"]) == (6, round(6 / 7, 4))
    assert result.cloud == {k["keyword"]: k["weight"] for k in result.keywords}
    assert result.as_dict()["cloud"] == result.cloud
    sampled = feedback_keywords(engine, Vocabulary(), min_customers=1, sample=3)
    assert sampled.texts_read == 3 and sampled.texts == 7
    assert sampled.notes[0]["en"] == "keywords from a sample of 3 of 7 texts"
    again = feedback_keywords(engine, Vocabulary(), min_customers=1, sample=3)
    assert again.keywords == sampled.keywords  # the same sample every time
    ranked = feedback_keywords(engine, Vocabulary(), min_customers=1, method="textrank")
    assert ranked.method == "textrank" and ranked.keywords


def test_workspace_dictionary_and_stop_words(engine: Engine, tmp_path: Path) -> None:
    engine.execute("delete from feedback")
    texts = ["买了小蓝盒精华，物流太慢", "又买了小蓝盒精华", "这次的小蓝盒精华一般，物流慢"]
    for i, text in enumerate(texts):
        engine.execute(
            "insert into feedback values (?, ?, ?, 'APP', null, 1)", [f"f{i}", f"c{i}", text]
        )

    def words(vocabulary: Vocabulary) -> list[str]:
        found = feedback_keywords(engine, vocabulary, min_customers=1).keywords
        return [k["keyword"] for k in found]

    assert "小蓝盒" not in words(Vocabulary()) and "物流" in words(Vocabulary())
    write(tmp_path, "小蓝盒 100 n\n", "userdict.txt")
    (tmp_path / "feedback" / "stopwords.txt").write_text(
        "\ufeff# 不要的词\n物流  # 太常见\n\n", encoding="utf-8"
    )
    vocabulary = workspace_vocabulary(tmp_path)
    assert vocabulary.stop_words == ("物流",)
    assert vocabulary.files == ("feedback/userdict.txt", "feedback/stopwords.txt")
    assert "小蓝盒" in words(vocabulary) and "物流" not in words(vocabulary)
    assert workspace_vocabulary(tmp_path / "elsewhere") == Vocabulary()


def test_word_list_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "", "stopwords.txt")
    path.write_bytes("物流".encode("gbk"))
    with pytest.raises(ConfigError, match=r"stopwords\.txt: not UTF-8"):
        read_word_list(path)


def test_keywords_by_segment_share_one_sample(engine: Engine) -> None:
    segments = [("s1", {"zh": "一", "en": "one"}), ("s2", {"zh": "二", "en": "two"})]
    clouds = keywords_by_segment(engine, Vocabulary(), segments, min_customers=1)
    assert [c.segment for c in clouds] == [None, "s1", "s2"]
    overall, s1, s2 = clouds
    assert (overall.texts, overall.texts_read) == (7, 7)
    assert (s1.texts, s1.customers, s1.texts_read) == (4, 2, 4)
    assert "物流" in s1.cloud and "物流" not in s2.cloud
    assert s1.segment_name == {"zh": "一", "en": "one"}
    alone = feedback_keywords(
        engine,
        Vocabulary(),
        members_sql="select customer_id from segment_members where segment_id = 's1'",
        min_customers=1,
    )
    assert alone.keywords == s1.keywords  # the sample holds every text: the same answer


def test_keyword_options_are_checked(engine: Engine) -> None:
    with pytest.raises(UsageError, match="unknown keyword method"):
        feedback_keywords(engine, Vocabulary(), method="lda")
    with pytest.raises(UsageError, match="top must be at least 1"):
        feedback_keywords(engine, Vocabulary(), top=0)
    with memory_engine() as empty:
        result = feedback_keywords(empty, Vocabulary())
        assert result.keywords == [] and result.notes[0]["en"].startswith("no feedback data")


def test_a_user_dictionary_jieba_cannot_read(tmp_path: Path) -> None:
    path = write(tmp_path, "", "userdict.txt")
    path.write_bytes("小蓝盒 10 n\n".encode("gbk"))
    with pytest.raises(ConfigError, match=r"feedback/userdict\.txt: not UTF-8"):
        workspace_vocabulary(tmp_path)
