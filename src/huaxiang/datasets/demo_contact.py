"""Renderers for the identity fields shared by the CRM and shop exports: names, phones, e-mails."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo_fmt import (
    Block,
    IntArray,
    Vocab,
    blank,
    concat,
    literal,
    number,
    select,
)
from huaxiang.datasets.demo_people import PHONE_PREFIXES, People

# phone presentations; the last three are malformed (wrong digit count or letters)
PHONE_FORMATS = (
    "plain",
    "+86 138 0013 8000",
    "138-0013-8000",
    "0086…",
    "138 0013 8000",
    "+86 13800138000",
    "+8613800138000",
    "86-13800138000",
    "too_short",
    "letters",
    "too_long",
)
PHONE_VALID_KINDS = 8
PHONE_MALFORMED_KINDS = (8, 9, 10)


class ContactRenderer:
    """Renders names, phones and e-mails of persons in one text encoding."""

    def __init__(self, people: People, encoding: str) -> None:
        self.people = people
        self.encoding = encoding
        self.surnames = Vocab([s[0] for s in V.SURNAMES], encoding)
        given = V.GIVEN_MALE + V.GIVEN_FEMALE
        self.given = Vocab([g[0] for g in given], encoding)
        self.surname_py = Vocab([s[1] for s in V.SURNAMES])
        self.given_py = Vocab([g[1] for g in given])
        self.prefixes = Vocab(PHONE_PREFIXES)
        self.domains = Vocab(V.EMAIL_DOMAINS)

    def name(self, persons: IntArray) -> Block:
        p = self.people
        g2 = p.given2[persons]
        return concat(
            self.surnames.take(p.surname[persons]),
            self.given.take(p.given1[persons]),
            blank(self.given.take(np.maximum(g2, 0)), g2 < 0),
        )

    def phone(self, persons: IntArray, kind: IntArray, alternate: bool = False) -> Block:
        """Phone of ``persons`` in presentation ``kind`` (an index into :data:`PHONE_FORMATS`)."""
        p = self.people
        prefix = p.phone_prefix[persons]
        rest = (p.alt_phone_rest if alternate else p.phone_rest)[persons]

        def parts(idx: IntArray) -> tuple[Block, Block, Block]:
            r = rest[idx]
            return (
                self.prefixes.take(prefix[idx]),
                number(r // 10_000, 4, pad=True),
                number(r % 10_000, 4, pad=True),
            )

        def fmt(lead: str, sep1: str, sep2: str, tail: str = "") -> Callable[[IntArray], Block]:
            def make(idx: IntArray) -> Block:
                a, b, c = parts(idx)
                m = idx.size
                return concat(
                    literal(lead, m), a, literal(sep1, m), b, literal(sep2, m), c, literal(tail, m)
                )

            return make

        def short(idx: IntArray) -> Block:
            a, b, c = parts(idx)
            return concat(a, b, Block(c.data[:, :2], c.mask[:, :2]))

        def letters(idx: IntArray) -> Block:
            a, b, c = parts(idx)
            m = idx.size
            return concat(a, literal("OO", m), Block(b.data[:, 2:], b.mask[:, 2:]), c)

        makers = [
            fmt("", "", ""),
            fmt("+86 ", " ", " "),
            fmt("", "-", "-"),
            fmt("0086", "", ""),
            fmt("", " ", " "),
            fmt("+86 ", "", ""),
            fmt("+86", "", ""),
            fmt("86-", "", ""),
            short,
            letters,
            fmt("", "", "", "0"),
        ]
        return select(kind, makers)

    def email(self, persons: IntArray, alternate: bool = False) -> Block:
        """E-mail address of ``persons`` (lower case)."""
        p = self.people
        num = (p.alt_email_num if alternate else p.email_num)[persons]
        kind = p.email_kind[persons]

        def pinyin(idx: IntArray, sep: str) -> Block:
            q = persons[idx]
            g2 = p.given2[q]
            m = idx.size
            return concat(
                self.surname_py.take(p.surname[q]),
                literal(sep, m),
                self.given_py.take(p.given1[q]),
                blank(self.given_py.take(np.maximum(g2, 0)), g2 < 0),
                number(num[idx]),
                literal("@", m),
                self.domains.take(p.email_domain[q]),
            )

        def qq(idx: IntArray) -> Block:
            return concat(number(num[idx] + 10_000_000), literal("@qq.com", idx.size))

        return select(kind, [lambda i: pinyin(i, ""), qq, lambda i: pinyin(i, "_")])
