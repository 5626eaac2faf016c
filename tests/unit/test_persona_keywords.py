"""Keywords of customer texts (:mod:`huaxiang.personas.keywords`): jieba, filters, SQL shares."""

from __future__ import annotations

import math
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import UsageError
from huaxiang.personas import keywords as kw

DELIVERY = [
    "物流太慢了，等了5天才到，配送一直延迟",
    "配送延迟，说好的次日达结果第14天才收到！",
    "快递一直不更新，物流信息好几天不动",
    "下单后7天还没发货，配送太慢",
    "物流太慢，配送员态度也不好",
]
PRAISE = ["整体满意，下次还来", "包装很好，质量不错"]


def test_delivery_complaints_give_delivery_keywords() -> None:
    words = [w for w, _ in kw.extract_keywords(DELIVERY + PRAISE, top=5)]
    assert "物流" in words
    assert "配送" in words


def test_weights_are_best_first_and_positive() -> None:
    ranked = kw.extract_keywords(DELIVERY, top=8)
    weights = [w for _, w in ranked]
    assert weights == sorted(weights, reverse=True)
    assert all(w > 0 for w in weights)
    assert len(ranked) == 8


def test_stop_words_single_characters_and_numbers_never_appear() -> None:
    words = [w for w, _ in kw.extract_keywords(DELIVERY + PRAISE, top=100)]
    assert words, "the texts have keywords"
    for word in words:
        assert len(word) >= 2
        assert word not in kw.STOP_WORDS
        assert not any(ch.isdigit() for ch in word)
    # "第14天才收到" would be cut as 天才 ("genius") without the day-count rule
    assert "天才" not in words
    assert "希望" not in [w for w, _ in kw.extract_keywords(["希望改进物流", "希望物流快点"])]


def test_phone_numbers_emails_and_ids_are_not_keywords() -> None:
    texts = [
        "请联系我 13812345678，物流太慢了",
        "邮箱 zhang.san@example.com 物流信息不更新",
        "电话 +86 139-1234-5678 订单 AB12345678 物流破损",
        "身份证 11010519491231002X 物流",
    ]
    words = [w for w, _ in kw.extract_keywords(texts, top=100)]
    assert "物流" in words
    for word in words:
        assert not kw.looks_personal(word)
        assert "138" not in word and "zhang" not in word and "example" not in word
        assert "AB" not in word and "com" not in word


def test_extra_stop_words() -> None:
    words = [w for w, _ in kw.extract_keywords(DELIVERY, top=20, stop_words=["物流"])]
    assert "物流" not in words
    assert "配送" in words


def test_tfidf_weights_are_jiebas_on_the_joined_texts() -> None:
    """Same scores as jieba.analyse's TF-IDF (with our tokenizer) up to one factor (it
    normalises by the count of every word it keeps, we by the words we keep)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # jieba.analyse leaves its IDF file open
        import jieba.analyse

        extractor = jieba.analyse.TFIDF()
    extractor.tokenizer = kw.tokenizer()
    # repeated texts count as often as they occur; no "N天才" (we cut it differently, on purpose)
    texts = [t for t in DELIVERY + PRAISE + DELIVERY[2:] if "天才" not in t]
    ours = dict(kw.extract_keywords(texts, top=1000))
    theirs = dict(extractor.extract_tags("\n".join(texts), topK=None, withWeight=True))
    assert set(ours) == {w for w in theirs if kw.is_keyword(w)}
    factors = [ours[w] / theirs[w] for w in ours]
    assert all(math.isclose(f, factors[0], rel_tol=1e-9) for f in factors)


def test_complaint_phrases_come_out_whole() -> None:
    texts = ["客服排队半小时没人理", "优惠券结算时用不了", "打电话也没人理"]
    words = [w for w, _ in kw.extract_keywords(texts, top=10)]
    assert "没人理" in words and "用不了" in words
    assert "人理" not in words and "时用" not in words


def test_textrank_option() -> None:
    ranked = kw.extract_keywords(DELIVERY * 3, top=5, method="textrank")
    words = [w for w, _ in ranked]
    assert {"物流", "配送"} & set(words)
    assert all(kw.is_keyword(w) for w in words)


def test_user_dictionary_keeps_a_word_whole(tmp_path: Path) -> None:
    texts = ["买了小蓝盒精华", "又买了小蓝盒精华", "这次的小蓝盒精华一般"]
    assert "小蓝盒" not in [w for w, _ in kw.extract_keywords(texts, top=20)]
    user_dict = tmp_path / "words.txt"
    user_dict.write_text("小蓝盒 100 n\n", encoding="utf-8")
    words = [w for w, _ in kw.extract_keywords(texts, top=20, user_dict=user_dict)]
    assert "小蓝盒" in words
    # the user dictionary changes its own tokenizer only
    assert "小蓝盒" not in [w for w, _ in kw.extract_keywords(texts, top=20)]


def test_missing_user_dictionary_and_unknown_method(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="user dictionary not found"):
        kw.extract_keywords(DELIVERY, user_dict=tmp_path / "missing.txt")
    with pytest.raises(UsageError, match="unknown keyword method"):
        kw.extract_keywords(DELIVERY, method="lda")


def test_no_text_no_keywords() -> None:
    assert kw.extract_keywords([]) == []
    assert kw.extract_keywords(["", "   "]) == []
    assert kw.extract_keywords(["的了吗", "123 456"]) == []


def test_word_counts_count_repeated_texts() -> None:
    counts = kw.word_counts(["物流太慢", "物流太慢", "配送慢"])
    assert counts["物流"] == 2
    assert counts["配送"] == 1


def test_jieba_is_quiet_and_caches_in_the_temp_dir(capfd: pytest.CaptureFixture[str]) -> None:
    kw._tokenizer.cache_clear()
    tokenizer = kw.tokenizer()
    tokenizer.lcut("物流太慢")
    assert capfd.readouterr().err == ""
    assert tokenizer.tmp_dir == tempfile.gettempdir()


@pytest.mark.parametrize(
    ("word", "expected"),
    [("物流", True), ("的", False), ("希望", False), ("2024", False), ("三十", False),
     ("AB123456", False), ("APP", True), ("，。", False), ("第二次", False)],
)  # fmt: skip
def test_is_keyword(word: str, expected: bool) -> None:
    assert kw.is_keyword(word) is expected


@pytest.fixture
def engine() -> Iterator[Engine]:
    e = Engine(None)
    e.execute("create table feedback (customer_id varchar, text varchar)")
    e.execute(
        "insert into feedback values "
        "('a', '物流太慢'), ('a', '物流又慢了'), ('b', '客服不理人'), ('b', '物流还行'), "
        "('c', '质量好'), ('d', '物流慢'), ('e', ''), (null, '物流慢')"
    )
    yield e
    e.close()


def test_keyword_shares_count_members_with_feedback(engine: Engine) -> None:
    members = "select * from (values ('a'), ('b'), ('c'), ('e'), ('z')) t(customer_id)"
    shares = kw.keyword_shares(engine, members, ["物流", "客服", "退货", "物流"])
    # members with feedback text: a, b, c (e's text is empty, z has none)
    assert shares == [
        {"keyword": "物流", "customers": 2, "share": 2 / 3},
        {"keyword": "客服", "customers": 1, "share": 1 / 3},
        {"keyword": "退货", "customers": 0, "share": 0.0},
    ]
    assert kw.feedback_customers(engine, members) == 3
    both = kw.keyword_shares(engine, members, ["物流"], with_population=True)
    # everyone with a customer id and text: a, b, c, d; 物流: a, b, d
    assert both[0]["customers_population"] == 3
    assert both[0]["share_population"] == 3 / 4
    assert kw.keyword_shares(engine, members, []) == []


def test_keyword_shares_without_any_feedback(engine: Engine) -> None:
    members = "select 'z' as customer_id"
    assert kw.keyword_shares(engine, members, ["物流"]) == [
        {"keyword": "物流", "customers": 0, "share": 0.0}
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("订单AB12345678", True), ("手机13812345678谢谢", True), ("邮箱a.b@qq.com谢谢", True),
     ("电话010-12345678", True), ("+86 139-1234-5678", True), ("11010519491231002X", True),
     ("物流太慢", False), ("APP闪退", False), ("5G网络", False), ("4次及以上", False)],
)  # fmt: skip
def test_looks_personal(text: str, expected: bool) -> None:
    assert kw.looks_personal(text) is expected
