"""``feedback.csv``: customer-service tickets and reviews whose pain points differ by segment."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo_fmt import (
    SECONDS_PER_DAY,
    Vocab,
    blank,
    concat,
    join,
    literal,
    mixed_datetimes,
    number,
    render,
    select,
)
from huaxiang.datasets.demo_orders import CHURN_QUIET_DAYS, OrderContext, id_block
from huaxiang.datasets.demo_people import by_segment

HEADER = ("反馈编号", "客户编号", "反馈内容", "渠道", "反馈时间", "评分")
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%-m/%-d %H:%M")
PRAISE = len(V.FEEDBACK_THEMES) - 1


def classify(text: str) -> str | None:
    """The theme of a feedback sentence: the first theme whose keyword it contains."""
    for name, _label, keywords in V.FEEDBACK_THEMES:
        if any(k in text for k in keywords):
            return name
    return None


def _split_templates() -> tuple[list[str], list[str], list[int], list[int]]:
    prefixes, suffixes, slots, offsets = [], [], [], [0]
    for group in V.FEEDBACK_TEMPLATES:
        for t in group:
            m = re.search(r"\{([cd])\}", t)
            prefixes.append(t[: m.start()] if m else t)
            suffixes.append(t[m.end() :] if m else "")
            slots.append(0 if not m else (1 if m.group(1) == "c" else 2))
        offsets.append(len(prefixes))
    return prefixes, suffixes, slots, offsets


def render_feedback(ctx: OrderContext, seed: int) -> tuple[bytes, dict[str, Any]]:
    rng = np.random.default_rng([seed, 5])
    p = ctx.people
    count = np.minimum(rng.poisson(np.asarray(V.FEEDBACK_RATE_BY_SEGMENT)[p.seg]), 5)
    owner = np.repeat(np.arange(p.size, dtype=np.int64), count)
    n = owner.size
    seg = p.seg[owner]
    as_of = p.as_of_day
    churn = seg == 3
    lo = np.maximum(as_of - 364, p.reg_s[owner] // SECONDS_PER_DAY)
    hi = np.where(churn, as_of - CHURN_QUIET_DAYS - 1, as_of)
    lo = np.minimum(lo, hi)
    day = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    secs = day * SECONDS_PER_DAY + rng.integers(8 * 3600, 23 * 3600, n)
    order = np.argsort(secs, kind="stable")
    owner, seg, secs = owner[order], seg[order], secs[order]

    theme = by_segment(rng, seg, V.THEME_BY_SEGMENT)
    prefixes, suffixes, slots, offsets = _split_templates()
    size = np.diff(offsets)
    template = np.asarray(offsets[:-1])[theme] + (rng.random(n) * size[theme]).astype(np.int64)
    slot = np.asarray(slots)[template]
    praise = theme == PRAISE
    opener = rng.integers(0, len(V.FEEDBACK_OPENERS), n)
    closer = rng.integers(0, len(V.FEEDBACK_CLOSERS), n)
    categories = Vocab([c[0] for c in V.CATEGORIES])
    fill = select(
        slot,
        [
            lambda i: literal("", i.size),
            lambda i: categories.take(rng.integers(0, len(categories), i.size)),
            lambda i: number(rng.integers(2, 16, i.size)),
        ],
    )
    closing = select(
        praise.astype(np.int64),
        [
            lambda i: Vocab(V.FEEDBACK_CLOSERS).take(closer[i]),
            lambda i: Vocab(V.PRAISE_CLOSERS).take(closer[i]),
        ],
    )
    text = concat(
        Vocab(V.FEEDBACK_OPENERS).take(opener),
        Vocab(prefixes).take(template),
        fill,
        Vocab(suffixes).take(template),
        closing,
    )
    empty = rng.random(n) < 0.005
    rating = np.where(praise, rng.integers(4, 6, n), rng.choice([1, 2, 3], n, p=[0.3, 0.4, 0.3]))
    no_rating = rng.random(n) < 0.05
    id_kind, id_num = ctx.customer_ids(rng, owner)
    cols = [
        concat(literal("FB", n), number(np.arange(1, n + 1), 8, pad=True)),
        id_block(id_kind, id_num),
        blank(text, empty),
        Vocab(V.FEEDBACK_CHANNELS).take(rng.integers(0, len(V.FEEDBACK_CHANNELS), n)),
        mixed_datetimes(secs, rng.choice(2, n, p=[0.8, 0.2]), TIME_FORMATS),
        blank(number(rating), no_rating),
    ]
    names = [t[0] for t in V.FEEDBACK_THEMES]
    kept = ~empty
    by_seg = {
        s: dict(
            zip(
                names,
                np.bincount(theme[kept & (seg == i)], minlength=len(names)).tolist(),
                strict=True,
            )
        )
        for i, s in enumerate(V.SEGMENTS)
    }
    stats: dict[str, Any] = {
        "rows": int(n),
        "empty_text": int(empty.sum()),
        "missing_rating": int(no_rating.sum()),
        "themes": dict(
            zip(names, np.bincount(theme[kept], minlength=len(names)).tolist(), strict=True)
        ),
        "themes_by_segment": by_seg,
    }
    header = (",".join(HEADER) + "\n").encode()
    return header + render(join(cols)), stats
