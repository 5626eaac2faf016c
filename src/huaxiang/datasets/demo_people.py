"""The hidden population behind the demo data set: persons, their CRM records and shop members.

A *person* is one real customer. Persons ``0..n-1`` have a CRM record (customer id ``C…``); the rest
exist only as shop members (``M…``). Some CRM persons are also shop members, linked only through a
phone number or an e-mail address, and a few shop members form chains that tie two CRM records
together. Phones and e-mail addresses are unique per person by construction (bijective scrambles of
the person index), so every match in the files is a planted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo_fmt import SECONDS_PER_DAY, BoolArray, IntArray, civil

PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
CRM_ID_BASE = 10_000_001
MEMBER_ID_BASE = 30_000_001
HISTORY_START = date(2018, 1, 1)

# shop member kinds
MEMBER_ONLY, BY_PHONE, BY_EMAIL, BY_BOTH, CHAIN, DUPLICATE = range(6)
MEMBER_KIND_NAMES = (
    "member_only",
    "by_phone_only",
    "by_email_only",
    "by_phone_and_email",
    "chain",
    "duplicate_registration",
)


def day_number(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def by_segment(
    rng: np.random.Generator, seg: NDArray[np.int8], table: tuple[tuple[float, ...], ...]
) -> IntArray:
    """For every row, an index drawn from ``table[segment]`` (probabilities are normalised)."""
    out = np.zeros(seg.size, np.int64)
    for s, probs in enumerate(table):
        rows = np.flatnonzero(seg == s)
        p = np.asarray(probs, float)
        out[rows] = rng.choice(p.size, size=rows.size, p=p / p.sum())
    return out


def scramble(x: IntArray, modulus: int, salt: int) -> IntArray:
    """A bijection of ``[0, modulus)`` (modulus a power of ten) that hides sequential input."""
    digits = len(str(modulus)) - 1
    y = (x * 7_919_093 + salt) % modulus
    rev = np.zeros_like(y)
    for _ in range(digits):
        rev = rev * 10 + y % 10
        y //= 10
    return (rev * 3_571_427 + salt // 7) % modulus


@dataclass
class People:
    n_crm: int
    as_of_day: int
    seg: NDArray[np.int8]
    female: BoolArray
    birth_day: IntArray
    age: IntArray
    city: IntArray
    occupation: IntArray
    income: IntArray
    level: IntArray
    signup_channel: IntArray
    surname: IntArray
    given1: IntArray  # index into GIVEN_MALE + GIVEN_FEMALE
    given2: IntArray  # -1: one-character given name
    reg_s: IntArray  # CRM registration, or shop signup for member-only persons
    phone_prefix: IntArray
    phone_rest: IntArray  # the last eight digits
    alt_phone_rest: IntArray  # a second number, used where a member must not match by phone
    email_kind: IntArray  # 0 pinyin+digits, 1 QQ number, 2 pinyin_pinyin+digits
    email_num: IntArray
    alt_email_num: IntArray
    email_domain: IntArray
    fav_category: IntArray
    fav_channel: IntArray
    company: BoolArray
    # shop members (one row per member record, in member-id order)
    member_person: IntArray
    member_kind: IntArray
    member_signup_s: IntArray
    member_email_person: IntArray  # whose e-mail the member record carries (chains: person B)
    member_dup_of: IntArray  # for duplicate registrations: the member row they repeat, else -1
    # per person: primary and secondary member row, -1 if none
    member_primary: IntArray
    member_secondary: IntArray
    crm_email_required: BoolArray
    crm_phone_required: BoolArray

    @property
    def size(self) -> int:
        return int(self.seg.size)


def _ages(birth_day: IntArray, as_of_day: int) -> IntArray:
    by, bm, bd = civil(birth_day)
    ay, am, ad = civil(np.array([as_of_day], np.int64))
    before = (bm > am[0]) | ((bm == am[0]) & (bd > ad[0]))
    out: IntArray = ay[0] - by - before.astype(np.int64)
    return out


def build_people(n: int, seed: int, as_of: date) -> People:
    rng = np.random.default_rng([seed, 1])
    as_of_day = day_number(as_of)
    m_total = round(0.4 * n)
    overlap = round(0.3 * m_total)
    chains = max(1, round(0.01 * m_total))
    dups = max(1, round(0.005 * m_total))
    P = n + m_total - overlap

    seg = rng.choice(4, size=P, p=np.asarray(V.SEGMENT_SHARES)).astype(np.int8)
    age_mean, age_sd, p_female = (np.asarray(c) for c in zip(*V.AGE_GENDER_BY_SEGMENT, strict=True))
    female = rng.random(P) < p_female[seg]
    target_age = np.clip(np.round(rng.normal(age_mean[seg], age_sd[seg])), 18, 78).astype(np.int64)
    birth_day = as_of_day - (target_age * 365.2425).astype(np.int64) - rng.integers(0, 365, P)
    age = _ages(birth_day, as_of_day)

    tiers = np.asarray([c[3] for c in V.CITIES])
    city_table = tuple(
        tuple(probs[t] / np.count_nonzero(tiers == t) for t in tiers) for probs in V.TIER_BY_SEGMENT
    )
    city = by_segment(rng, seg, city_table)
    occupation = by_segment(rng, seg, V.OCCUPATION_BY_SEGMENT)
    student, retired = V.OCCUPATIONS.index("学生"), V.OCCUPATIONS.index("退休")
    occupation[(occupation == student) & (age > 26)] = V.OCCUPATIONS.index("自由职业")
    occupation[(occupation == retired) & (age < 52)] = V.OCCUPATIONS.index("企业管理")
    occupation[(age >= 60) & (rng.random(P) < 0.7)] = retired
    income = by_segment(rng, seg, V.INCOME_BY_SEGMENT)
    level = by_segment(rng, seg, V.LEVEL_BY_SEGMENT)
    signup_channel = by_segment(rng, seg, V.SIGNUP_BY_SEGMENT)

    weights = np.asarray([s[2] for s in V.SURNAMES])
    surname = rng.choice(weights.size, size=P, p=weights / weights.sum())
    n_m, n_f = len(V.GIVEN_MALE), len(V.GIVEN_FEMALE)
    offset = np.where(female, n_m, 0)
    pool = np.where(female, n_f, n_m)
    given1 = offset + (rng.random(P) * pool).astype(np.int64)
    given2 = np.where(rng.random(P) < 0.7, offset + (rng.random(P) * pool).astype(np.int64), -1)

    start = day_number(HISTORY_START)
    churn = seg == 3
    u = rng.random(P)
    reg_day = np.where(
        churn,
        start + (u * (as_of_day - 200 - start)).astype(np.int64),
        start + (u**0.55 * (as_of_day - 7 - start)).astype(np.int64),
    )
    reg_s = reg_day * SECONDS_PER_DAY + rng.integers(8 * 3600, 23 * 3600, P)

    idx = np.arange(P, dtype=np.int64)
    salt = int(rng.integers(1, 10**6))
    phone_prefix = rng.integers(0, len(PHONE_PREFIXES), P)
    phone_rest = scramble(idx, 10**8, salt)
    alt_phone_rest = scramble(idx + P, 10**8, salt)
    email_kind = rng.choice(3, size=P, p=[0.55, 0.30, 0.15])
    email_num = scramble(idx, 10**7, salt + 17)
    alt_email_num = scramble(idx + P, 10**7, salt + 17)
    email_domain = rng.integers(0, len(V.EMAIL_DOMAINS), P)
    fav_category = by_segment(rng, seg, V.CATEGORY_BY_SEGMENT)
    fav_channel = by_segment(rng, seg, V.ORDER_CHANNEL_BY_SEGMENT)
    company = np.zeros(P, bool)
    company[:n] = rng.random(n) < 0.05

    # --- shop members ------------------------------------------------------------------------
    individuals = np.flatnonzero(~company[:n])
    picked = rng.choice(individuals, size=overlap + chains, replace=False)
    overlap_persons, chain_b = picked[:overlap], picked[overlap:]
    mode = rng.choice([BY_PHONE, BY_EMAIL, BY_BOTH], size=overlap, p=[0.40, 0.25, 0.35])
    mode[:chains] = CHAIN
    member_only_persons = np.arange(n, P, dtype=np.int64)
    dup_src = rng.choice(member_only_persons.size, size=dups, replace=False)

    person = np.concatenate([member_only_persons, overlap_persons, member_only_persons[dup_src]])
    kind = np.concatenate(
        [np.full(member_only_persons.size, MEMBER_ONLY), mode, np.full(dups, DUPLICATE)]
    )
    email_person = person.copy()
    email_person[member_only_persons.size : member_only_persons.size + chains] = chain_b
    dup_of = np.full(person.size, -1, np.int64)
    dup_of[-dups:] = dup_src  # row numbers before sorting
    signup = np.where(
        kind == MEMBER_ONLY,
        reg_s[person],
        reg_s[person]
        + (rng.random(person.size) * (as_of_day * SECONDS_PER_DAY - reg_s[person])).astype(
            np.int64
        ),
    )
    dup_rows = np.flatnonzero(kind == DUPLICATE)
    src_signup = signup[dup_of[dup_rows]]
    gap = (rng.random(dups) * (as_of_day * SECONDS_PER_DAY - src_signup)).astype(np.int64)
    signup[dup_rows] = src_signup + np.maximum(gap, 3600)
    order = np.argsort(signup, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    member_person, member_kind, member_signup = person[order], kind[order], signup[order]
    member_email_person = email_person[order]
    member_dup_of = np.where(dup_of[order] >= 0, rank[np.maximum(dup_of[order], 0)], -1)

    primary = np.full(P, -1, np.int64)
    secondary = np.full(P, -1, np.int64)
    first_rows = np.flatnonzero(member_kind != DUPLICATE)
    primary[member_person[first_rows]] = first_rows
    dup_rows = np.flatnonzero(member_kind == DUPLICATE)
    secondary[member_person[dup_rows]] = dup_rows

    phone_req = np.zeros(P, bool)
    email_req = np.zeros(P, bool)
    phone_req[overlap_persons[np.isin(mode, [BY_PHONE, BY_BOTH, CHAIN])]] = True
    email_req[overlap_persons[np.isin(mode, [BY_EMAIL, BY_BOTH])]] = True
    email_req[chain_b] = True
    return People(
        n_crm=n,
        as_of_day=as_of_day,
        seg=seg,
        female=female,
        birth_day=birth_day,
        age=age,
        city=city,
        occupation=occupation,
        income=income,
        level=level,
        signup_channel=signup_channel,
        surname=surname,
        given1=given1,
        given2=given2,
        reg_s=reg_s,
        phone_prefix=phone_prefix,
        phone_rest=phone_rest,
        alt_phone_rest=alt_phone_rest,
        email_kind=email_kind,
        email_num=email_num,
        alt_email_num=alt_email_num,
        email_domain=email_domain,
        fav_category=fav_category,
        fav_channel=fav_channel,
        company=company,
        member_person=member_person,
        member_kind=member_kind,
        member_signup_s=member_signup,
        member_email_person=member_email_person,
        member_dup_of=member_dup_of,
        member_primary=primary,
        member_secondary=secondary,
        crm_email_required=email_req,
        crm_phone_required=phone_req,
    )
