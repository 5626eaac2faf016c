"""``orders.csv``: purchase history with seasonality, segment behaviour and planted anomalies.

Orders are generated per chunk of persons (each chunk has its own random stream, so the output does
not depend on scheduling). Every number reported in ``planted.json`` is counted here, while the rows
are made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo_fmt import (
    SECONDS_PER_DAY,
    Block,
    BoolArray,
    IntArray,
    Vocab,
    blank,
    civil,
    concat,
    join,
    literal,
    mixed_datetimes,
    money,
    number,
    render,
    select,
)
from huaxiang.datasets.demo_people import (
    CRM_ID_BASE,
    MEMBER_ID_BASE,
    People,
    by_segment,
    day_number,
)

HEADER = (
    "订单号", "客户编号", "下单时间", "金额", "品类", "渠道", "是否用券", "优惠金额", "是否退货",
)  # fmt: skip
TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%-m/%-d %-H:%M",
    "%Y-%m-%dT%H:%M:%S+08:00",
    "%Y/%m/%d %H:%M:%S",
)
HISTORY_DAYS = 3 * 365
EXTREME_MIN_YUAN = 12_000
NATURAL_CAP_YUAN = 2_999
SPRING_FESTIVALS = (
    "2019-02-05",
    "2020-01-25",
    "2021-02-12",
    "2022-02-01",
    "2023-01-22",
    "2024-02-10",
    "2025-01-29",
    "2026-02-17",
    "2027-02-06",
    "2028-01-26",
)
# dirt kinds, drawn once per order row with these probabilities
CLEAN, NEGATIVE, EXTREME, FUTURE, UNKNOWN, NO_CATEGORY, CURRENCY = range(7)
_DIRT_RATES = (0.001, 0.0003, 0.0005, 0.001, 0.003, 0.01)
DIRT_P = (1 - sum(_DIRT_RATES), *_DIRT_RATES)
DUPLICATE_P = 0.005
CHURN_QUIET_DAYS = 90


def day_weights(first_day: int, last_day: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Relative order volume per day: weekends, 618, 双11, 双12, 3.8 and a Spring Festival dip."""
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    _, month, day = civil(days)
    w = 1.0 + 0.12 * ((days + 3) % 7 >= 5)
    w *= 0.85 + 0.3 * (days - first_day) / max(1, last_day - first_day)
    rules = (
        ((month == 11) & (day <= 10), 1.5),
        ((month == 11) & (day == 11), 6.0),
        ((month == 11) & (day == 12), 1.8),
        ((month == 6) & (day <= 17), 1.4),
        ((month == 6) & (day == 18), 4.0),
        ((month == 12) & (day == 12), 2.0),
        ((month == 3) & (day == 8), 1.6),
    )
    for cond, factor in rules:
        w[cond] *= factor
    for text in SPRING_FESTIVALS:
        cny = day_number(date.fromisoformat(text))
        w[(days >= cny - 20) & (days <= cny - 8)] *= 1.25
        w[(days >= cny - 3) & (days <= cny + 6)] *= 0.35
    return np.asarray(w, dtype=np.float64)


@dataclass
class OrderContext:
    people: People
    first_day: int
    cum: np.ndarray[Any, np.dtype[np.float64]]
    n_members: int

    @classmethod
    def build(cls, people: People) -> OrderContext:
        first = people.as_of_day - HISTORY_DAYS
        w = day_weights(first, people.as_of_day)
        cum = np.concatenate([[0.0], np.cumsum(w)])
        return cls(people, first, cum, int(people.member_person.size))

    def sample_days(
        self, lo: IntArray, hi: IntArray, u: np.ndarray[Any, np.dtype[np.float64]]
    ) -> IntArray:
        """Days in ``[lo, hi]`` following the seasonal weights."""
        a, b = self.cum[lo - self.first_day], self.cum[hi - self.first_day + 1]
        pos = np.searchsorted(self.cum, a + u * (b - a), side="right") - 1
        out: IntArray = np.clip(pos + self.first_day, lo, hi)
        return out

    def customer_ids(self, rng: np.random.Generator, owner: IntArray) -> tuple[IntArray, IntArray]:
        """Which id a row carries: (kind 0 CRM / 1 member, number)."""
        p = self.people
        prim, sec = p.member_primary[owner], p.member_secondary[owner]
        use_member = (prim >= 0) & ((owner >= p.n_crm) | (rng.random(owner.size) < 0.45))
        use_sec = use_member & (sec >= 0) & (rng.random(owner.size) < 0.3)
        row = np.where(use_sec, sec, prim)
        number_ = np.where(use_member, row + MEMBER_ID_BASE, owner + CRM_ID_BASE)
        return use_member.astype(np.int64), number_

    def hours(self, rng: np.random.Generator, seg: np.ndarray[Any, np.dtype[np.int8]]) -> IntArray:
        return by_segment(rng, seg, V.HOURS_BY_SEGMENT)


ID_PREFIX = Vocab(["C", "M"])


def id_block(kind: IntArray, num: IntArray) -> Block:
    return concat(ID_PREFIX.take(kind), number(num, 8, pad=True))


def order_chunk(
    ctx: OrderContext, seed: int, chunk: int, p0: int, p1: int
) -> tuple[bytes, dict[str, Any], IntArray]:
    rng = np.random.default_rng([seed, 10, chunk])
    p = ctx.people
    persons = np.arange(p0, p1, dtype=np.int64)
    seg = p.seg[persons]
    churn = seg == 3
    as_of = p.as_of_day
    start = np.maximum(p.reg_s[persons] // SECONDS_PER_DAY, ctx.first_day)
    room = np.maximum(as_of - CHURN_QUIET_DAYS - 1 - (start + 30), 0)
    gap = (rng.random(persons.size) * np.minimum(room, 240)).astype(np.int64)
    end = np.where(churn, as_of - CHURN_QUIET_DAYS - 1 - gap, as_of)
    years = (end - start + 1) / 365.0
    rate = np.asarray(V.ORDER_RATE_BY_SEGMENT)[seg] * rng.gamma(1.5, 1 / 1.5, persons.size)
    count = rng.poisson(rate * years)
    count = np.where(churn, np.maximum(count, 2), count)
    count = np.where(seg == 0, np.maximum(count, 3), count)
    count = np.minimum(count, 400)
    owner = np.repeat(persons, count)
    local = np.repeat(np.arange(persons.size), count)
    n = owner.size
    oseg = seg[local]

    u = rng.random(n)
    u = np.where(oseg == 0, u**0.8, u)
    day = ctx.sample_days(start[local], end[local], u)
    secs = day * SECONDS_PER_DAY + ctx.hours(rng, oseg) * 3600 + rng.integers(0, 3600, n)
    category = np.where(
        rng.random(n) < 0.6, p.fav_category[owner], by_segment(rng, oseg, V.CATEGORY_BY_SEGMENT)
    )
    channel = np.where(
        rng.random(n) < 0.7, p.fav_channel[owner], by_segment(rng, oseg, V.ORDER_CHANNEL_BY_SEGMENT)
    )
    median, sigma = (np.asarray(c) for c in zip(*V.AOV_BY_SEGMENT, strict=True))
    person_scale = np.exp(rng.normal(0, 0.2, persons.size))[local]
    mult = np.asarray([c[1] for c in V.CATEGORIES])[category]
    yuan = median[oseg] * mult * person_scale * np.exp(rng.normal(0, sigma[oseg]))
    yuan = np.where(yuan > NATURAL_CAP_YUAN, rng.uniform(1500, NATURAL_CAP_YUAN, n), yuan)
    yuan = np.maximum(yuan, 1.0)
    ending = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    cents = np.round(yuan).astype(np.int64) * 100
    cents = np.where(
        ending == 1, cents - 10, np.where(ending == 2, (yuan * 100).astype(np.int64), cents)
    )
    propensity = rng.beta(2, 2, persons.size)[local] * 2
    coupon = rng.random(n) < np.asarray(V.COUPON_BY_SEGMENT)[oseg] * propensity
    discount = np.where(coupon, np.round(cents * rng.uniform(0.05, 0.3, n) / 100) * 100, 0)
    returned = rng.random(n) < np.asarray(V.RETURN_BY_SEGMENT)[oseg]
    id_kind, id_num = ctx.customer_ids(rng, owner)
    id_day = day.copy()

    dirt = rng.choice(len(DIRT_P), n, p=DIRT_P)
    dirt[(dirt == EXTREME) & (oseg != 0)] = CLEAN
    dirt[(dirt == FUTURE) & churn[local]] = CLEAN
    cents = np.where(dirt == NEGATIVE, -cents, cents)
    extreme = dirt == EXTREME
    cents[extreme] = rng.integers(EXTREME_MIN_YUAN, 88_000, int(extreme.sum())) * 100
    future = dirt == FUTURE
    secs[future] = secs[future] + rng.integers(1, 400, int(future.sum())) * SECONDS_PER_DAY
    secs[future] = np.maximum(secs[future], (as_of + 1) * SECONDS_PER_DAY + 3600)
    unknown = dirt == UNKNOWN
    id_kind[unknown] = rng.integers(0, 2, int(unknown.sum()))
    base = np.where(id_kind[unknown] == 0, CRM_ID_BASE + p.n_crm, MEMBER_ID_BASE + ctx.n_members)
    id_num[unknown] = base + rng.integers(1, 1_000_000, int(unknown.sum()))

    # time order within the chunk; duplicated rows follow their original
    order = np.argsort(secs, kind="stable")
    dup = rng.random(n) < DUPLICATE_P
    rows = np.repeat(order, 1 + dup[order])
    serial = chunk * 10_000_000 + np.arange(n)
    fmt_kind = rng.choice(len(TIME_FORMATS), n, p=[0.75, 0.12, 0.08, 0.05])
    y, mo, d = civil(id_day[rows])
    r_cents = cents[rows]
    cat = category[rows]
    cols = [
        concat(
            literal("DD", rows.size),
            number((y % 100) * 10_000 + mo * 100 + d, 6, pad=True),
            number(serial[rows], 10, pad=True),
        ),
        id_block(id_kind[rows], id_num[rows]),
        mixed_datetimes(secs[rows], fmt_kind[rows], TIME_FORMATS),
        concat(blank(literal("¥", rows.size), dirt[rows] != CURRENCY), money(r_cents)),
        blank(CATEGORY_VOCAB.take(cat), dirt[rows] == NO_CATEGORY),
        CHANNEL_VOCAB.take(channel[rows]),
        YES_NO.take(coupon[rows].astype(np.int64)),
        select(
            (discount[rows] > 0).astype(np.int64),
            [lambda i: literal("0", i.size), lambda i: money(discount[rows][i])],
        ),
        YES_NO.take(returned[rows].astype(np.int64)),
    ]
    data = render(join(cols))
    stats = _stats(p, owner, oseg, secs, cents, coupon, channel, dirt, dup, fmt_kind, as_of)
    stats["rows"] = int(rows.size)
    return data, stats, r_cents


CATEGORY_VOCAB = Vocab([c[0] for c in V.CATEGORIES])
CHANNEL_VOCAB = Vocab(V.ORDER_CHANNELS)
YES_NO = Vocab(["否", "是"])


def _stats(
    p: People,
    owner: IntArray,
    oseg: np.ndarray[Any, np.dtype[np.int8]],
    secs: IntArray,
    cents: IntArray,
    coupon: BoolArray,
    channel: IntArray,
    dirt: IntArray,
    dup: BoolArray,
    fmt_kind: IntArray,
    as_of: int,
) -> dict[str, Any]:
    clean = (dirt != UNKNOWN) & (dirt != FUTURE)
    tod = secs % SECONDS_PER_DAY // 3600
    recent = secs >= (as_of - CHURN_QUIET_DAYS + 1) * SECONDS_PER_DAY
    seg_rows: dict[str, list[int]] = {}
    for s, name in enumerate(V.SEGMENTS):
        m = clean & (oseg == s)
        seg_rows[name] = [
            int(m.sum()),
            int(cents[m & (dirt != NEGATIVE)].sum()),
            int((m & coupon).sum()),
            int((m & (channel == 0)).sum()),
            int((m & (channel == 1)).sum()),
            int((m & (tod >= 20) & (tod < 22)).sum()),
            int((m & (tod >= 11) & (tod < 14)).sum()),
            int((m & recent).sum()),
        ]
    recent_churn = np.unique(owner[clean & recent & (oseg == 3)]).size
    return {
        "duplicate_rows": int(dup.sum()),
        "negative_amounts": int((dirt == NEGATIVE).sum() + (dup & (dirt == NEGATIVE)).sum()),
        "extreme_amounts": int((dirt == EXTREME).sum() + (dup & (dirt == EXTREME)).sum()),
        "future_dated": int((dirt == FUTURE).sum() + (dup & (dirt == FUTURE)).sum()),
        "unknown_customer": int((dirt == UNKNOWN).sum() + (dup & (dirt == UNKNOWN)).sum()),
        "missing_category": int((dirt == NO_CATEGORY).sum() + (dup & (dirt == NO_CATEGORY)).sum()),
        "currency_prefixed": int((dirt == CURRENCY).sum() + (dup & (dirt == CURRENCY)).sum()),
        "time_formats": (
            np.bincount(fmt_kind, minlength=4) + np.bincount(fmt_kind[dup], minlength=4)
        ).tolist(),
        "segments": seg_rows,
        "churn_persons_with_recent_orders": int(recent_churn),
        "buyers": int(np.unique(owner).size),
    }
