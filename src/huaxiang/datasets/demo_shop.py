"""``shop_members.csv``: the online shop's member list (UTF-8 with BOM, English headers).

Members have their own id space (``M…``). Some are CRM customers, recognisable only by phone or
e-mail written differently; a few chain two CRM customers together; a few registered twice with
the same WeChat unionid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo_contact import ContactRenderer
from huaxiang.datasets.demo_fmt import (
    Block,
    IntArray,
    Vocab,
    blank,
    case_upper,
    concat,
    join,
    literal,
    mixed_datetimes,
    number,
    render,
    where,
)
from huaxiang.datasets.demo_people import (
    BY_BOTH,
    BY_EMAIL,
    BY_PHONE,
    CHAIN,
    DUPLICATE,
    MEMBER_ID_BASE,
    MEMBER_KIND_NAMES,
    MEMBER_ONLY,
    People,
)

HEADER = ("member_id", "name", "mobile", "email", "city", "signup_date", "unionid")
SIGNUP_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S")
_UNIONID_CHARS = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", np.uint8
)


def member_ids(rows: IntArray) -> Block:
    return concat(literal("M", rows.size), number(rows + MEMBER_ID_BASE, 8, pad=True))


def render_shop(people: People, seed: int) -> tuple[bytes, dict[str, Any]]:
    rng = np.random.default_rng([seed, 3])
    p = people
    person, kind = p.member_person, p.member_kind
    m = person.size
    rows = np.arange(m, dtype=np.int64)
    contact = ContactRenderer(p, "utf-8")

    # name: as in the CRM, sometimes empty or "王先生"/"李女士"
    name_kind = rng.choice(3, m, p=[0.85, 0.10, 0.05])
    title = Vocab(["先生", "女士"]).take(p.female[person].astype(np.int64))
    polite = concat(Vocab([s[0] for s in V.SURNAMES]).take(p.surname[person]), title)
    name = concat(blank(contact.name(person), name_kind != 0), blank(polite, name_kind != 2))

    # mobile: the person's own number in a shop format, or a second number that matches nothing
    phone_kind = rng.choice(8, m, p=[0.60, 0, 0, 0, 0.10, 0.15, 0.10, 0.05])
    alternate = kind == BY_EMAIL
    phone_blank = (alternate & (rng.random(m) < 0.3)) | (
        (kind == MEMBER_ONLY) & (rng.random(m) < 0.05)
    )
    own = contact.phone(person, phone_kind)
    mobile = blank(
        where(alternate, contact.phone(person, phone_kind, alternate=True), own), phone_blank
    )

    # email: whose address, and how it is written
    email_person = p.member_email_person
    use_alt_email = (kind == BY_PHONE) | (kind == DUPLICATE)
    email_blank = (
        ((kind == BY_PHONE) & (rng.random(m) < 0.5))
        | ((kind == MEMBER_ONLY) & (rng.random(m) < 0.25))
        | ((kind == DUPLICATE) & (rng.random(m) < 0.5))
    )
    email = where(
        use_alt_email, contact.email(email_person, alternate=True), contact.email(email_person)
    )
    case = rng.choice(4, m, p=[0.70, 0.15, 0.05, 0.10])
    email = case_upper(email, case == 1, first_only=True)
    email = case_upper(email, case == 2)
    space = blank(literal(" ", m), case != 3)
    email = blank(concat(space, email, space), email_blank)

    # city: short names, "广州市", pinyin, province+city, or empty
    city_kind = rng.choice(5, m, p=[0.50, 0.25, 0.10, 0.05, 0.10])
    words = [w for c in V.CITIES for w in (c[0], c[0] + "市", c[4], c[1] + c[0])]
    city = blank(Vocab(words).take(p.city[person] * 4 + np.minimum(city_kind, 3)), city_kind == 4)

    signup_kind = rng.choice(3, m, p=[0.70, 0.20, 0.10])
    signup = mixed_datetimes(p.member_signup_s, signup_kind, SIGNUP_FORMATS)

    # unionid: 28 characters starting with "o"; duplicate registrations share their original's
    chars = _UNIONID_CHARS[rng.integers(0, 64, (m, 27))]
    has_union = rng.random(m) < 0.65
    dup_rows = np.flatnonzero(kind == DUPLICATE)
    src = p.member_dup_of[dup_rows]
    chars[dup_rows] = chars[src]
    has_union[dup_rows] = True
    has_union[src] = True
    union = blank(concat(literal("o", m), Block(chars, np.ones((m, 27), bool))), ~has_union)

    cols = [member_ids(rows), name, mobile, email, city, signup, union]
    lines = join(cols)
    header = ("\ufeff" + ",".join(HEADER) + "\n").encode("utf-8")
    counts = np.bincount(kind, minlength=len(MEMBER_KIND_NAMES))
    stats: dict[str, Any] = {
        "rows": int(m),
        "distinct_persons": int(np.unique(person).size),
        **{name: int(c) for name, c in zip(MEMBER_KIND_NAMES, counts.tolist(), strict=True)},
        "matching_crm": int(np.isin(kind, [BY_PHONE, BY_EMAIL, BY_BOTH, CHAIN]).sum()),
        "missing": {
            h: int(m - np.count_nonzero(c.present())) for h, c in zip(HEADER, cols, strict=True)
        },
    }
    return header + render(lines), stats
