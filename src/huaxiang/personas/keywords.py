"""Keywords of customer texts for the persona cards.

The code lives in :mod:`huaxiang.feedback.text`, shared with the feedback themes and word
clouds; the names are kept here for the cards and their callers.
"""

from __future__ import annotations

from huaxiang.feedback.text import (
    DOMAIN_WORDS,
    METHODS,
    STOP_WORDS,
    _tokenizer,
    clean_text,
    extract_keywords,
    feedback_customers,
    is_keyword,
    keyword_shares,
    looks_personal,
    tokenizer,
    word_counts,
)

__all__ = [
    "DOMAIN_WORDS",
    "METHODS",
    "STOP_WORDS",
    "_tokenizer",
    "clean_text",
    "extract_keywords",
    "feedback_customers",
    "is_keyword",
    "keyword_shares",
    "looks_personal",
    "tokenizer",
    "word_counts",
]
