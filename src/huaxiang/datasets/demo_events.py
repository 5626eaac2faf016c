"""``events.jsonl``: app / web / mini-program behaviour, one JSON object per line.

Churn-risk customers fall silent 90+ days before the as-of date; price-sensitive customers claim
and use coupons on the mini program; high-value customers open the app in the evening. A handful
of lines are truncated (invalid JSON) at positions recorded in ``planted.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo_fmt import (
    SECONDS_PER_DAY,
    Block,
    IntArray,
    Vocab,
    concat,
    datetimes,
    literal,
    number,
    render,
    select,
    truncate,
)
from huaxiang.datasets.demo_orders import CHURN_QUIET_DAYS, OrderContext, id_block
from huaxiang.datasets.demo_people import by_segment

RECENT_DAYS = 180
TYPES = Vocab(V.EVENT_TYPES)
CHANNELS = Vocab(V.EVENT_CHANNELS)
PAGES = Vocab(V.PAGES)
CATEGORIES = Vocab([c[0] for c in V.CATEGORIES])
CAMPAIGNS = Vocab(V.CAMPAIGNS)
DEVICES = Vocab(V.DEVICES)
TOPICS = Vocab(V.SERVICE_TOPICS)
METHODS = Vocab(["sms", "password", "wechat"])
COUPON_VALUES = np.asarray([5, 10, 20, 30, 50])


def _properties(rng: np.random.Generator, n: int, etype: IntArray) -> Block:
    """The ``properties`` object of every event, by type."""

    def lit(text: str, m: int) -> Block:
        return literal(text, m)

    def sku(m: int) -> Block:
        return concat(
            lit('"sku":"SKU', m), number(rng.integers(100_000, 1_000_000, m), 6), lit('"', m)
        )

    def coupon(m: int) -> Block:
        return concat(
            lit('{"coupon_id":"CP', m),
            number(rng.integers(0, 10**8, m), 8, pad=True),
            lit('","value":', m),
            number(rng.choice(COUPON_VALUES, m)),
            lit("}", m),
        )

    def view(i: IntArray) -> Block:
        m = i.size
        return concat(
            lit('{"page":"', m),
            PAGES.take(rng.integers(0, len(PAGES), m)),
            lit('",', m),
            sku(m),
            lit(',"dwell_s":', m),
            number(rng.integers(2, 600, m)),
            lit("}", m),
        )

    def cart(i: IntArray) -> Block:
        m = i.size
        return concat(
            lit("{", m),
            sku(m),
            lit(',"qty":', m),
            number(rng.integers(1, 4, m)),
            lit(',"category":"', m),
            CATEGORIES.take(rng.integers(0, len(CATEGORIES), m)),
            lit('"}', m),
        )

    def login(i: IntArray) -> Block:
        m = i.size
        return concat(lit('{"method":"', m), METHODS.take(rng.integers(0, 3, m)), lit('"}', m))

    def app_open(i: IntArray) -> Block:
        m = i.size
        return concat(
            lit('{"device":"', m),
            DEVICES.take(rng.choice(3, m, p=[0.45, 0.45, 0.1])),
            lit('","app_version":"5.', m),
            number(rng.integers(0, 10, m)),
            lit(".", m),
            number(rng.integers(0, 10, m)),
            lit('"}', m),
        )

    def campaign(link: bool) -> Callable[[IntArray], Block]:
        def make(i: IntArray) -> Block:
            m = i.size
            parts = [lit('{"campaign":"', m), CAMPAIGNS.take(rng.integers(0, len(CAMPAIGNS), m))]
            if link:
                parts += [lit('","link":"', m), PAGES.take(rng.integers(0, len(PAGES), m))]
            return concat(*parts, lit('"}', m))

        return make

    def service(i: IntArray) -> Block:
        m = i.size
        return concat(
            lit('{"topic":"', m), TOPICS.take(rng.integers(0, len(TOPICS), m)), lit('"}', m)
        )

    makers = [
        view,
        cart,
        login,
        app_open,
        lambda i: coupon(i.size),
        lambda i: coupon(i.size),
        campaign(False),
        campaign(True),
        service,
    ]
    return select(etype, makers)


def event_chunk(
    ctx: OrderContext, seed: int, chunk: int, p0: int, p1: int, malformed: int
) -> tuple[bytes, dict[str, Any]]:
    """Events of persons ``p0..p1``; ``malformed`` lines are truncated (local 0-based indices)."""
    rng = np.random.default_rng([seed, 20, chunk])
    p = ctx.people
    persons = np.arange(p0, p1, dtype=np.int64)
    seg = p.seg[persons]
    rate = np.asarray(V.EVENT_RATE_BY_SEGMENT)[seg] * rng.gamma(2.0, 0.5, persons.size)
    count = np.minimum(rng.poisson(rate), 200)
    owner = np.repeat(persons, count)
    eseg = seg[np.repeat(np.arange(persons.size), count)]
    n = owner.size
    as_of = p.as_of_day
    churn = eseg == 3
    reg_day = p.reg_s[owner] // SECONDS_PER_DAY
    lo = np.maximum(np.where(churn, as_of - 365, as_of - RECENT_DAYS + 1), reg_day)
    hi = np.where(churn, as_of - CHURN_QUIET_DAYS - 1, as_of)
    u = rng.random(n)
    u = np.where(eseg == 0, u**0.7, u)
    day = lo + (u * (hi - lo + 1)).astype(np.int64)
    secs = day * SECONDS_PER_DAY + ctx.hours(rng, eseg) * 3600 + rng.integers(0, 3600, n)
    etype = by_segment(rng, eseg, V.EVENT_TYPE_BY_SEGMENT)
    channel = by_segment(rng, eseg, V.EVENT_CHANNEL_BY_SEGMENT)
    channel[etype == V.EVENT_TYPES.index("app_open")] = 0
    email = np.isin(etype, [V.EVENT_TYPES.index("email_open"), V.EVENT_TYPES.index("email_click")])
    channel[email] = 1
    id_kind, id_num = ctx.customer_ids(rng, owner)
    order = np.argsort(secs, kind="stable")
    etype, channel, secs = etype[order], channel[order], secs[order]
    id_kind, id_num, eseg = id_kind[order], id_num[order], eseg[order]

    body = concat(
        literal('{"customer_id":"', n),
        id_block(id_kind, id_num),
        literal('","time":"', n),
        datetimes(secs, "%Y-%m-%dT%H:%M:%S+08:00"),
        literal('","type":"', n),
        TYPES.take(etype),
        literal('","channel":"', n),
        CHANNELS.take(channel),
        literal('","properties":', n),
        _properties(rng, n, etype),
        literal("}", n),
    )
    bad = np.sort(rng.choice(n, size=min(malformed, n), replace=False)) if n else np.zeros(0, int)
    body = truncate(body, bad.astype(np.int64))
    data = render(concat(body, literal("\n", n)))
    by_type = np.bincount(etype, minlength=len(V.EVENT_TYPES))
    stats = {
        "lines": int(n),
        "malformed_local": bad.tolist(),
        "types": by_type.tolist(),
        "segments": np.bincount(eseg, minlength=4).tolist(),
        "churn_recent": int(
            ((secs >= (as_of - CHURN_QUIET_DAYS + 1) * SECONDS_PER_DAY) & (eseg == 3)).sum()
        ),
    }
    return data, stats
