"""Keywords of customer texts (feedback, open survey answers): jieba segmentation, then TF-IDF
or TextRank, with stop words, numbers and anything personal left out.

General on purpose: the feedback keywords and word clouds (:mod:`huaxiang.feedback.keywords`) and
the persona cards (through :mod:`huaxiang.personas.keywords`) use it. Only aggregates leave this
module (words and weights, shares computed in SQL), never a text.
"""

from __future__ import annotations

import logging
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import UsageError

METHODS = ("tfidf", "textrank")

# Function words, pronouns, degree adverbs and the filler of complaint texts ("说实话", "希望改进",
# "第二次反馈了"): frequent in every segment's feedback, so they say nothing about any segment.
_STOP_TEXT = """
的 了 是 我 你 他 她 它 们 我们 你们 他们 她们 这 那 这个 那个 这些 那些 这样 那样 这里 那里
这次 那次 上次 下次 每次 一次 第一次 第二次 第三次 有 没 没有 不 也 都 还 就 又 再 才 只 很 太
挺 非常 特别 比较 有点 有些 一点 一些 一下 一直 一样 已经 还是 就是 但是 可是 而且 所以 因为
如果 虽然 然后 而是 或者 以及 还有 什么 怎么 怎么样 为什么 哪里 多少 可以 可能 应该 需要 能够
会 要 想 让 把 被 给 对 在 从 到 和 与 跟 及 等 等等 啊 吧 呢 吗 哦 嗯 呀 哈 哈哈 啦 嘛 么
真的 确实 实在 感觉 觉得 认为 知道 看到 出来 起来 下去 之后 之前 以后 以前 时候 现在 今天
昨天 明天 东西 问题 情况 方面 地方 时间 事情 大家 自己 别人 本人 说实话 老实说 其实 反正
反馈 希望 改进 建议 谢谢 感谢 麻烦 收到 结果 居然 竟然 总是 经常 完全 根本 简直 好像 似乎
失望 太失望 不错 还行 一般 希望改进 请问 您好 你好 亲 客户 顾客 用户
the of is and to in that we for an are by be as on with can if from which you it this then
at have all not one has or was were very so but too
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())

# Complaint phrases jieba's general dictionary splits into fragments ("没人理" -> 没 / 人理,
# "用不了" -> 时用 / 不了): added to every tokenizer so a pain point comes out whole
DOMAIN_WORDS = (
    "没人理", "没人管", "用不了", "不能用", "次日达", "七天无理由", "运费险", "到账", "没到账",
    "发错货", "没发货", "不发货", "漏发", "错发", "少发", "催单", "凑单", "色差", "起球", "掉色",
)  # fmt: skip

# What must never become a keyword: e-mail addresses, links, phone numbers (mainland mobiles,
# +86 / 0086, landlines), resident id numbers, and order / account ids (letters mixed with digits)
_PERSONAL = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|(?:https?://|www\.)\S+"
    r"|(?:\+?86|0086)?[\s-]?1[3-9]\d(?:[\s-]?\d){8}"
    r"|0\d{2,3}-?\d{7,8}"
    r"|\d{17}[\dXx]"
    # ASCII boundaries: next to Chinese text (订单AB12345678) \b sees no boundary
    r"|(?<![A-Za-z0-9_-])(?=(?:[A-Za-z_-]*\d){4})(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{6,}"
    r"(?![A-Za-z0-9_-])"
)
# "等了3天才到" (arrived only after 3 days) is cut as 天才 ("genius"); separate the count from 才
_DAYS_THEN = re.compile(r"([0-9０-９一二三四五六七八九十两几多]+)\s*(天|周|个月|小时|分钟)(才)")
_HAS_DIGIT = re.compile(r"[0-9０-９]")
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
_NUMERAL = re.compile(r"^[零〇一二三四五六七八九十百千万亿两几第]+$")


def looks_personal(text: str) -> bool:
    """Whether ``text`` holds something personal (phone, e-mail, id number, link, account id)."""
    return bool(_PERSONAL.search(text))


def clean_text(text: str) -> str:
    """``text`` with personal data blanked out and day counts separated (ready to segment)."""
    return _DAYS_THEN.sub(r"\1\2 \3", _PERSONAL.sub(" ", text))


def is_keyword(word: str, stop_words: frozenset[str] = STOP_WORDS) -> bool:
    """A segment worth showing: two characters or more, not a stop word, no digit, no numeral,
    not punctuation, nothing personal."""
    word = word.strip()
    return (
        len(word) >= 2
        and word.lower() not in stop_words
        and not _HAS_DIGIT.search(word)
        and not _NUMERAL.match(word)
        and bool(_WORDLIKE.search(word))
        and not looks_personal(word)
    )


def _jieba() -> Any:
    """jieba, imported quietly: its logger announces dictionary loading on stderr, and jieba 0.42
    may import the deprecated pkg_resources."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba
    jieba.setLogLevel(logging.WARNING)
    return jieba


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    """The inverse document frequencies jieba.analyse's TF-IDF uses, and their median (for
    unknown words). Read directly: importing jieba.analyse builds default extractors (about a
    second of start-up) and leaves this file open."""
    text = resources.files("jieba").joinpath("analyse/idf.txt").read_text("utf-8")
    idf = {w: float(f) for w, f in (line.split(" ") for line in text.splitlines() if line)}
    return idf, sorted(idf.values())[len(idf) // 2]


@lru_cache(maxsize=2)
def _tokenizer(user_dict: str | None, stamp: float) -> Any:
    """A tokenizer of our own (a user dictionary must not change jieba's global one), its cache
    file kept in the system temp directory. ``stamp`` (the file's mtime) reloads an edited dict."""
    jieba = _jieba()
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = tempfile.gettempdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # jieba opens its files without closing them
        tokenizer.initialize()
        for word in DOMAIN_WORDS:
            tokenizer.add_word(word)
        if user_dict is not None:
            tokenizer.load_userdict(user_dict)
    return tokenizer


def tokenizer(user_dict: Path | None = None) -> Any:
    """The jieba tokenizer (jieba's dictionary, :data:`DOMAIN_WORDS` and ``user_dict``), cached."""
    if user_dict is None:
        return _tokenizer(None, 0.0)
    if not user_dict.is_file():
        raise UsageError(
            f"user dictionary not found: {user_dict}",
            hint="one word a line, optionally with a frequency and a part of speech",
        )
    return _tokenizer(str(user_dict.resolve()), user_dict.stat().st_mtime)


def _stop_set(stop_words: Iterable[str]) -> frozenset[str]:
    extra = {w.strip().lower() for w in stop_words if w.strip()}
    return STOP_WORDS | extra if extra else STOP_WORDS


# Segmented texts kept between calls: persona cards and reports segment overlapping samples of
# the same feedback (segments overlap, customers repeat themselves), and jieba is the slow part.
# Keyed by the vocabulary (user dictionary and its mtime, stop words); bounded.
MAX_REMEMBERED_TEXTS = 100_000
_remembered: dict[tuple[str | None, frozenset[str]], dict[str, list[str]]] = {}


def segment_texts(
    texts: Iterable[str], *, user_dict: Path | None = None, stop_words: Iterable[str] = ()
) -> dict[str, list[str]]:
    """The keyword-like words of each distinct text, in order (segmentation is the slow part:
    do it once and count any subset of the texts from the result)."""
    stop = _stop_set(stop_words)
    cut = tokenizer(user_dict).cut
    vocabulary = f"{user_dict.resolve()}@{user_dict.stat().st_mtime}" if user_dict else None
    memory = _remembered.setdefault((vocabulary, stop), {})
    verdicts: dict[str, bool] = {}  # words repeat: decide each once

    def keep(word: str) -> bool:
        if word not in verdicts:
            verdicts[word] = is_keyword(word, stop)
        return verdicts[word]

    out: dict[str, list[str]] = {}
    for text in dict.fromkeys(t for t in texts if t):
        words = memory.get(text)
        if words is None:
            words = [w.strip() for w in cut(clean_text(text)) if keep(w)]
            if len(memory) < MAX_REMEMBERED_TEXTS:
                memory[text] = words
        out[text] = words
    return out


def word_counts(
    texts: Iterable[str], *, user_dict: Path | None = None, stop_words: Iterable[str] = ()
) -> Counter[str]:
    """How often each keyword-like word occurs in ``texts`` (a word cloud's input).

    Each distinct text is segmented once and its words counted as often as the text occurs:
    customer feedback repeats itself a lot, and segmentation is the slow part.
    """
    repeats = Counter(t for t in texts if t)
    words = segment_texts(repeats, user_dict=user_dict, stop_words=stop_words)
    counts: Counter[str] = Counter()
    for text, times in repeats.items():
        for word in words[text]:
            counts[word] += times
    return counts


def tfidf(counts: Counter[str], top: int) -> list[tuple[str, float]]:
    """The ``top`` words of ``counts`` by term frequency times jieba's inverse document
    frequency, best first."""
    total = sum(counts.values())
    if not total or top <= 0:
        return []
    idf, median_idf = _idf()
    weights = {w: n / total * idf.get(w, median_idf) for w, n in counts.items()}
    ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(w, float(v)) for w, v in ranked[:top]]


def extract_keywords(
    texts: Iterable[str],
    *,
    top: int = 10,
    method: str = "tfidf",
    user_dict: Path | None = None,
    stop_words: Iterable[str] = (),
) -> list[tuple[str, float]]:
    """The ``top`` keywords of ``texts`` with their weights, best first.

    ``tfidf``: term frequency over all texts times jieba's inverse document frequency (the
    weights ``jieba.analyse.extract_tags`` gives the texts joined, computed on the counts of
    :func:`word_counts`). ``textrank``: jieba's TextRank (nouns and verbs co-occurring within
    five words), slower. Stop words, single characters, numbers and personal data never appear.
    """
    if method not in METHODS:
        raise UsageError(f"unknown keyword method {method!r}", hint="use tfidf or textrank")
    texts = [t for t in texts if t and t.strip()]
    if not texts or top <= 0:
        return []
    if method == "textrank":
        return _textrank(texts, top, user_dict, _stop_set(stop_words))
    return tfidf(word_counts(texts, user_dict=user_dict, stop_words=stop_words), top)


def _textrank(
    texts: list[str], top: int, user_dict: Path | None, stop: frozenset[str]
) -> list[tuple[str, float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # see _idf: jieba.analyse leaves its IDF file open
        import jieba.analyse
        import jieba.posseg
    ranker = jieba.analyse.TextRank()  # a fresh instance: stop words are instance state
    ranker.tokenizer = ranker.postokenizer = jieba.posseg.POSTokenizer(tokenizer(user_dict))
    ranker.stop_words = set(stop)
    text = "\n".join(clean_text(t) for t in texts)
    ranked = ranker.textrank(text, topK=None, withWeight=True)
    kept = [(w, float(v)) for w, v in ranked if is_keyword(w, stop)]
    return kept[:top]


def keyword_shares(
    engine: Engine, members_sql: str, keywords: Sequence[str], *, with_population: bool = False
) -> list[dict[str, Any]]:
    """For each keyword (in the given order): how many of the members who left feedback text
    mention it (``contains``, case-sensitive) and their share of those members; with
    ``with_population`` the same among all customers who left feedback (one pass over it).

    ``members_sql`` returns a column ``customer_id``. A share is 0.0 when nobody left feedback.
    """
    words = list(dict.fromkeys(keywords))
    if not words:
        return []
    scope = "" if with_population else "and member"
    rows = engine.rows(
        f"""
        with fb as (
            select customer_id, text,
                   customer_id in (select customer_id from ({members_sql}) as members) as member
            from feedback
            where nullif(trim(text), '') is not null and customer_id is not null {scope}
        ),
        k as (select unnest(?::varchar[]) as keyword)
        select k.keyword,
               count(distinct fb.customer_id) filter (where member),
               (select count(distinct customer_id) filter (where member) from fb),
               count(distinct fb.customer_id),
               (select count(distinct customer_id) from fb)
        from k left join fb on contains(fb.text, k.keyword)
        group by k.keyword
        """,
        [words],
    )
    found = {row[0]: [int(n) for n in row[1:]] for row in rows}
    out = []
    for word in words:
        customers, total, customers_all, total_all = found[word]
        entry: dict[str, Any] = {
            "keyword": word,
            "customers": customers,
            "share": customers / total if total else 0.0,
        }
        if with_population:
            entry["customers_population"] = customers_all
            entry["share_population"] = customers_all / total_all if total_all else 0.0
        out.append(entry)
    return out


def feedback_customers(engine: Engine, members_sql: str) -> int:
    """How many of the members left at least one feedback text."""
    return int(
        engine.scalar(
            f"""
            select count(distinct f.customer_id) from feedback f
            where nullif(trim(f.text), '') is not null
              and f.customer_id in (select customer_id from ({members_sql}) as members)
            """
        )
    )
