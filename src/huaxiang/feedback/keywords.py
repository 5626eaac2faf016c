"""Keywords of the feedback texts, of all customers or per segment, with their weights (the
input of a word cloud).

Segmentation runs in Python (jieba, about 6,000 short texts a second), so it reads a
deterministic sample: the first ``sample`` texts by a hash of the feedback id (the same texts
every run, spread over time and customers), and the result says how many it read. Per segment,
one sample of all feedback is segmented once and each segment's keywords come from its members'
texts in it. A keyword's ``customers`` are the customers whose sampled texts contain it (exact
when the sample holds every text); words fewer than ``min_customers`` customers used are left
out, since a rare word can point at one person. Stop words, numbers and anything personal
never appear (:mod:`huaxiang.feedback.text`).

A workspace adds words to keep whole in ``feedback/userdict.txt`` (jieba's format: a word a
line, optionally its frequency and part of speech) and stop words in ``feedback/stopwords.txt``
(a word a line, ``#`` starts a comment), both added to the built-in ones.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import ConfigError, ConfigProblem, Location, UsageError
from huaxiang.feedback.lexicon import FOLDER
from huaxiang.feedback.text import METHODS, extract_keywords, segment_texts, tfidf
from huaxiang.feedback.themes import MEMBERS_JOIN

Label = dict[str, str]
Rows = list[tuple[str | None, str]]  # (customer id, text) of the sample
USER_DICT = "userdict.txt"
STOP_WORDS = "stopwords.txt"
SAMPLE = 20_000  # texts segmented per call: about three seconds
MIN_CUSTOMERS = 5
CANDIDATES = 3  # keywords extracted per keyword shown, before the customer threshold
TEXT = "nullif(trim(text), '') is not null"


@dataclass(frozen=True)
class Vocabulary:
    """What a workspace adds to the segmentation: a user dictionary and stop words."""

    user_dict: Path | None = None
    stop_words: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedbackKeywords:
    """Keywords of one scope (all feedback, or a segment), best first: ``keyword``,
    ``weight`` (relative, the first 1.0), ``customers`` (whose sampled texts contain it) and
    ``share`` (of ``customers_read``). ``texts_read`` of the scope's ``texts`` were read,
    written by ``customers_read`` of its ``customers``."""

    method: str
    segment: str | None
    segment_name: Label | None
    texts: int
    customers: int
    texts_read: int
    customers_read: int
    min_customers: int
    keywords: list[dict[str, Any]]
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[Label] = field(default_factory=list)

    @property
    def cloud(self) -> dict[str, float]:
        """``{word: weight}``, what a word cloud draws."""
        return {k["keyword"]: k["weight"] for k in self.keywords}

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"cloud": self.cloud}


def workspace_vocabulary(root: Path) -> Vocabulary:
    """The workspace's user dictionary and stop words (both optional)."""
    folder = root / FOLDER
    user_dict, stop_file = folder / USER_DICT, folder / STOP_WORDS
    if user_dict.is_file():
        read_word_list(user_dict)  # jieba fails on a file that is not UTF-8 (and leaves it open)
    return Vocabulary(
        user_dict=user_dict if user_dict.is_file() else None,
        stop_words=read_word_list(stop_file) if stop_file.is_file() else (),
        files=tuple(f"{FOLDER}/{p.name}" for p in (user_dict, stop_file) if p.is_file()),
    )


def read_word_list(path: Path) -> tuple[str, ...]:
    """The words of a list file: one a line, blank lines and ``#`` comments skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        location = Location(f"{FOLDER}/{path.name}")
        problem = ConfigProblem(location, f"not UTF-8 text ({exc.reason})", "save it as UTF-8")
        raise ConfigError([problem]) from None
    words = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(w for w in words if w)


def check_options(method: str, top: int, min_customers: int, sample: int) -> None:
    if method not in METHODS:
        raise UsageError(f"unknown keyword method {method!r}", hint="use tfidf or textrank")
    for name, value in (("top", top), ("min_customers", min_customers), ("sample", sample)):
        if value < 1:
            raise UsageError(f"{name} must be at least 1, got {value}")


def feedback_keywords(
    engine: Engine,
    vocabulary: Vocabulary,
    *,
    members_sql: str | None = None,
    segment: str | None = None,
    segment_name: Label | None = None,
    method: str = "tfidf",
    top: int = 50,
    min_customers: int = MIN_CUSTOMERS,
    sample: int = SAMPLE,
) -> FeedbackKeywords:
    """The ``top`` keywords of the texts of the customers ``members_sql`` (SQL returning
    ``customer_id``; None: all feedback), read from a sample of at most ``sample`` texts."""
    check_options(method, top, min_customers, sample)
    started = time.perf_counter()
    empty = FeedbackKeywords(
        method, segment, segment_name, 0, 0, 0, 0, min_customers, [], list(vocabulary.files)
    )
    if not engine.table_exists("feedback"):
        return dataclasses.replace(empty, notes=[NO_FEEDBACK])
    scope = TEXT
    if members_sql is not None:
        scope += f" and customer_id in (select customer_id from ({members_sql}) as members)"
    texts, customers = engine.rows(
        f"select count(*), count(distinct customer_id) from feedback where {scope}"
    )[0]
    rows = read_sample(engine, scope, sample)
    words = segment_texts([t for _, t in rows], **_options(vocabulary)) if method == "tfidf" else {}
    result = _keywords(rows, words, vocabulary, method, top, min_customers)
    return _finish(empty, texts, customers, rows, result, started)


def keywords_by_segment(
    engine: Engine,
    vocabulary: Vocabulary,
    segments: list[tuple[str, Label]],
    *,
    method: str = "tfidf",
    top: int = 50,
    min_customers: int = MIN_CUSTOMERS,
    sample: int = SAMPLE,
) -> list[FeedbackKeywords]:
    """The keywords of all feedback, then of each of ``segments`` ((id, name); members from
    ``segment_members``), from one sample of all feedback segmented once."""
    check_options(method, top, min_customers, sample)
    started = time.perf_counter()
    files = list(vocabulary.files)
    if not engine.table_exists("feedback"):
        return [
            FeedbackKeywords(
                method, i, n, 0, 0, 0, 0, min_customers, [], files, notes=[NO_FEEDBACK]
            )
            for i, n in [(None, None), *segments]
        ]
    rows = read_sample(engine, TEXT, sample)
    words = segment_texts([t for _, t in rows], **_options(vocabulary)) if method == "tfidf" else {}
    sampled = sorted({c for c, _ in rows if c is not None})
    member_of: dict[str, set[str]] = {}
    for customer, segment in engine.rows(
        "select customer_id, segment_id from segment_members "
        "where customer_id in (select unnest(?::varchar[]))",
        [sampled],
    ):
        member_of.setdefault(str(customer), set()).add(str(segment))
    totals = {
        str(r[0]): (int(r[1]), int(r[2]))
        for r in engine.rows(
            "select m.segment_id, count(*), count(distinct customer_id) "
            f"from (select customer_id from feedback where {TEXT}) {MEMBERS_JOIN} group by 1"
        )
    }
    texts, customers = engine.rows(
        f"select count(*), count(distinct customer_id) from feedback where {TEXT}"
    )[0]
    out: list[FeedbackKeywords] = []
    for ident, name in [(None, None), *segments]:
        empty = FeedbackKeywords(method, ident, name, 0, 0, 0, 0, min_customers, [], files)
        mine = (
            rows if ident is None else [r for r in rows if ident in member_of.get(r[0] or "", ())]
        )
        n_texts, n_customers = (texts, customers) if ident is None else totals.get(ident, (0, 0))
        result = _keywords(mine, words, vocabulary, method, top, min_customers)
        out.append(_finish(empty, n_texts, n_customers, mine, result, started))
    seconds = round(time.perf_counter() - started, 3)  # one sample served them all
    return [dataclasses.replace(r, seconds=seconds) for r in out]


def read_sample(engine: Engine, scope: str, sample: int) -> Rows:
    """The first ``sample`` texts matching ``scope`` by a hash of the feedback id."""
    key = "feedback_id" if "feedback_id" in engine.columns("feedback") else "text"
    return [
        (None if c is None else str(c), str(t))
        for c, t in engine.rows(
            f"select customer_id, text from feedback where {scope} "
            f"order by hash(coalesce({key}, text)), {key}, text limit {int(sample)}"
        )
    ]


def _keywords(
    rows: Rows,
    words: dict[str, list[str]],
    vocabulary: Vocabulary,
    method: str,
    top: int,
    min_customers: int,
) -> list[dict[str, Any]]:
    """The keywords of ``rows`` (their segmented ``words`` for TF-IDF), each with the customers
    whose texts contain it; those fewer than ``min_customers`` used are left out."""
    if method == "tfidf":
        counts: Counter[str] = Counter()
        for _, text in rows:
            counts.update(words[text])
        candidates = tfidf(counts, top * CANDIDATES)
    else:
        texts = [t for _, t in rows]
        candidates = extract_keywords(
            texts, top=top * CANDIDATES, method=method, **_options(vocabulary)
        )
    writers: dict[str, set[str]] = {}
    for customer, text in rows:
        if customer is not None:
            writers.setdefault(text, set()).add(customer)
    customers = len({c for c, _ in rows if c is not None})
    kept: list[dict[str, Any]] = []
    for word, weight in candidates:
        users = set().union(*(who for text, who in writers.items() if word in text))
        if len(users) >= min_customers:
            kept.append({"keyword": word, "weight": weight, "customers": len(users)})
        if len(kept) == top:
            break
    best = kept[0]["weight"] if kept and kept[0]["weight"] > 0 else 1.0
    for k in kept:
        k["weight"] = round(k["weight"] / best, 4)
        k["share"] = round(k["customers"] / customers, 4) if customers else 0.0
    return kept


def _finish(
    empty: FeedbackKeywords,
    texts: int,
    customers: int,
    rows: Rows,
    keywords: list[dict[str, Any]],
    started: float,
) -> FeedbackKeywords:
    notes: list[Label] = []
    if len(rows) < texts:
        notes.append(
            {
                "zh": f"关键词取自 {len(rows):,} 条反馈样本（共 {texts:,} 条）",
                "en": f"keywords from a sample of {len(rows):,} of {texts:,} texts",
            }
        )
    return dataclasses.replace(
        empty,
        texts=int(texts),
        customers=int(customers),
        texts_read=len(rows),
        customers_read=len({c for c, _ in rows if c is not None}),
        keywords=keywords,
        seconds=round(time.perf_counter() - started, 3),
        notes=notes,
    )


def _options(vocabulary: Vocabulary) -> dict[str, Any]:
    return {"user_dict": vocabulary.user_dict, "stop_words": vocabulary.stop_words}


NO_FEEDBACK: Label = {
    "zh": "没有反馈数据（feedback 表）",
    "en": "no feedback data (table feedback)",
}
