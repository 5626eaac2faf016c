"""``crm_customers.csv``: the CRM export, GBK encoded, with mixed formats and planted dirt."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo_contact import PHONE_MALFORMED_KINDS, PHONE_VALID_KINDS, ContactRenderer
from huaxiang.datasets.demo_fmt import (
    SECONDS_PER_DAY,
    Block,
    IntArray,
    Vocab,
    blank,
    concat,
    datetimes,
    join,
    literal,
    mixed_datetimes,
    number,
    render,
    signed,
)
from huaxiang.datasets.demo_people import CRM_ID_BASE, People

ENCODING = "gbk"
HEADER = (
    "客户编号", "客户类型", "姓名", "性别", "出生日期", "年龄", "所在城市", "职业",
    "收入水平", "会员等级", "注册时间", "注册渠道", "手机号", "邮箱", "更新时间",
    "企业名称", "所属行业", "人员规模", "统一社会信用代码", "备注",
)  # fmt: skip
BIRTH_FORMATS = ("%Y-%m-%d", "%Y/%-m/%-d", "%Y年%-m月%-d日", "%Y%m%d", "excel")
REGISTERED_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%-m/%-d %-H:%M",
    "%Y-%m-%dT%H:%M:%S+08:00",
    "%Y-%m-%d",
)
IMPOSSIBLE_AGES = (200, -3, 150, 999, -1, 130)
GENDER_WORDS = ("男", "女", "M", "F", "male", "female")
CITY_VARIANTS = 8
_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.asarray([pow(3, i, 31) for i in range(17)])
_ORG_WEIGHTS = np.asarray([3, 7, 9, 10, 5, 8, 4, 2])


def city_words() -> list[str]:
    """Free-text spellings of every city: ``CITY_VARIANTS`` variants x two districts."""
    out: list[str] = []
    for short, prov, prov_full, _tier, _py, *districts in V.CITIES:
        muni = not prov_full
        full = short if muni and short.endswith("市") else short + "市"
        for d in districts:
            d_short = d.removesuffix("新区").removesuffix("区").removesuffix("街道")
            d_short = d_short.removesuffix("市") if len(d_short) > 2 else d_short
            out += [
                short,
                full,
                (full if muni else prov_full + full) + d,
                short + d_short if muni else prov + short,
                f"{short} {d}" if muni else f"{prov} {short}",
                full if muni else prov_full + full,
                full + d,
                short + d_short,
            ]
    return out


def credit_codes(rng: np.random.Generator, province_code: IntArray) -> NDArray[np.uint8]:
    """Unified social credit codes (GB 32100), one 18-byte row each, with valid check characters."""
    n = province_code.size
    chars = np.frombuffer(_USCC.encode(), np.uint8)
    values = np.zeros((n, 17), np.int64)
    values[:, 0], values[:, 1] = 9, 1
    region = province_code * 1000 + 100 + rng.integers(1, 16, n)
    for j in range(6):
        values[:, 7 - j] = region // 10**j % 10
    org = rng.integers(0, 10, (n, 8))
    new_style = rng.random(n) < 0.6
    org[new_style, 0] = _USCC.index("M")
    org[new_style, 1] = _USCC.index("A")
    org[new_style, 2:] = rng.integers(0, 31, (int(new_style.sum()), 6))
    values[:, 8:16] = org
    # GB 11714 check over letter values A=10 .. Z=35
    org_vals = np.where(org < 10, org, chars[org].astype(np.int64) - 55)
    c9 = 11 - (org_vals * _ORG_WEIGHTS).sum(axis=1) % 11
    values[:, 16] = np.where(c9 == 10, _USCC.index("X"), c9 % 11)
    check = (31 - (values * _USCC_WEIGHTS).sum(axis=1) % 31) % 31
    out: NDArray[np.uint8] = np.concatenate([chars[values], chars[check][:, None]], axis=1)
    return out


class CrmPlan:
    """Every CRM row as indices and variant choices; rendered later in slices."""

    def __init__(self, people: People, seed: int) -> None:
        rng = np.random.default_rng([seed, 2])
        self.people = p = people
        n = people.n_crm
        k_exact, k_key = round(0.01 * n), round(0.01 * n)
        sources = rng.choice(n, size=k_exact + k_key, replace=False)
        exact_src, key_src = sources[:k_exact], sources[k_exact:]
        src = np.concatenate([np.arange(n), exact_src, key_src])
        position = np.concatenate(
            [np.arange(n, dtype=float), rng.random(k_exact) * n, n + np.sort(rng.random(k_key))]
        )
        end_s = (p.as_of_day + 1) * SECONDS_PER_DAY - 1

        # per CRM person, then copied to every row of that person
        birth_kind = rng.choice(6, n, p=[0.40, 0.18, 0.12, 0.08, 0.05, 0.17])
        age_shown = rng.random(n) < np.where(birth_kind == 5, 0.6, 0.3)
        shown = np.flatnonzero(age_shown)
        bad = rng.choice(shown, size=min(shown.size, max(3, round(0.002 * n))), replace=False)
        age_value = p.age[:n].copy()
        age_value[bad] = rng.choice(IMPOSSIBLE_AGES, bad.size)
        city_kind = rng.choice(CITY_VARIANTS, n, p=[0.25, 0.25, 0.12, 0.08, 0.05, 0.10, 0.10, 0.05])
        phone_kind = rng.choice(
            12, n, p=[0.84, 0.03, 0.03, 0.02, 0.02, 0, 0, 0, 0.01, 0.007, 0.003, 0.04]
        )
        phone_kind[p.crm_phone_required[:n] & (phone_kind >= 5)] = 0
        reg = p.reg_s[:n]

        def opt(values: IntArray, share_blank: float) -> IntArray:
            out: IntArray = np.where(rng.random(n) < share_blank, -1, values)
            return out

        # companies, and companies entered twice under two customer ids
        comp = np.flatnonzero(p.company[:n])
        k_comp = min(comp.size // 2, max(1, round(0.03 * comp.size)))
        pairs = rng.choice(comp, size=2 * k_comp, replace=False).reshape(2, k_comp)
        company_of = np.where(p.company[:n], np.arange(n), -1)
        company_of[pairs[1]] = pairs[0]
        lower = np.zeros(n, bool)
        lower[pairs[1]] = rng.random(k_comp) < 0.5
        province = np.asarray([int(V.PROVINCE_CODES[c[1]]) for c in V.CITIES])
        self.credit = np.zeros((n, 18), np.uint8)
        self.credit[comp] = credit_codes(rng, province[p.city[comp]])
        self.brand = rng.integers(0, len(V.BRAND_WORDS), n)
        self.industry = rng.integers(0, len(V.INDUSTRIES), n)
        self.staff = rng.integers(0, len(V.STAFF_SIZES), n)

        base: dict[str, NDArray[Any]] = {
            "gender_kind": rng.choice(4, n, p=[0.80, 0.06, 0.05, 0.09]),
            "type_blank": rng.random(n) < 0.03,
            "birth_kind": birth_kind,
            "age_shown": age_shown,
            "age_value": age_value,
            "city_word": (p.city[:n] * CITY_VARIANTS + city_kind) * 2 + rng.integers(0, 2, n),
            "city_blank": rng.random(n) < 0.03,
            "occupation": opt(p.occupation[:n], 0.06),
            "income": opt(p.income[:n], 0.10),
            "level": opt(p.level[:n], 0.02),
            "signup": opt(p.signup_channel[:n], 0.04),
            "reg_kind": rng.choice(5, n, p=[0.55, 0.24, 0.15, 0.05, 0.01]),
            "phone_kind": phone_kind,
            "email_shown": (rng.random(n) < 0.78) | p.crm_email_required[:n],
            "updated": reg + (rng.random(n) * (end_s - 7200 - reg)).astype(np.int64),
            "remark": opt(rng.integers(0, len(V.REMARKS), n), 0.88),
            "company_of": company_of,
            "company_suffix": rng.choice(3, n, p=[0.7, 0.2, 0.1]),
            "credit_lower": lower,
        }
        rows = {k: v[src] for k, v in base.items()}
        rows["person"] = src

        # later versions of a record: same id, newer 更新时间, changed fields
        key = np.arange(n + k_exact, src.size)
        rows["level"][key] = np.minimum(np.maximum(rows["level"][key], 0) + 1, 4)
        rows["income"][key] = np.minimum(np.maximum(rows["income"][key], 0) + 1, 4)
        rows["city_word"][key] = (rng.integers(0, len(V.CITIES), key.size) * CITY_VARIANTS + 1) * 2
        rows["city_blank"][key] = False
        old = rows["updated"][key]
        rows["updated"][key] = (
            old + 60 + (rng.random(key.size) * (end_s - old - 60)).astype(np.int64)
        )
        order = np.argsort(position, kind="stable")
        self.rows: dict[str, NDArray[Any]] = {k: v[order] for k, v in rows.items()}
        self.stats: dict[str, Any] = {
            "rows": int(src.size),
            "distinct_ids": n,
            "exact_duplicates": k_exact,
            "key_duplicates": k_key,
            "company_customers": int(comp.size),
            "credit_code_duplicates": k_comp,
            "age_impossible_rows": 0,
        }

    @property
    def size(self) -> int:
        return int(self.rows["person"].size)


class CrmWriter:
    def __init__(self, plan: CrmPlan) -> None:
        self.plan = plan
        enc = ENCODING
        self.contact = ContactRenderer(plan.people, enc)
        self.v_type = Vocab(["个人", "企业"], enc)
        self.v_gender = Vocab(GENDER_WORDS, enc)
        self.v_city = Vocab(city_words(), enc)
        self.v_city_short = Vocab([c[0] for c in V.CITIES], enc)
        self.v_occ = Vocab(V.OCCUPATIONS, enc)
        self.v_income = Vocab(V.INCOME_BANDS, enc)
        self.v_level = Vocab(V.MEMBER_LEVELS, enc)
        self.v_signup = Vocab(V.SIGNUP_CHANNELS, enc)
        self.v_brand = Vocab(V.BRAND_WORDS, enc)
        self.v_ind_word = Vocab(V.INDUSTRY_WORDS, enc)
        self.v_industry = Vocab(V.INDUSTRIES, enc)
        self.v_suffix = Vocab(V.COMPANY_SUFFIXES, enc)
        self.v_staff = Vocab(V.STAFF_SIZES, enc)
        self.v_remark = Vocab([f'"{r}"' if "," in r else r for r in V.REMARKS], enc)
        self.missing = dict.fromkeys(HEADER, 0)
        self.phone_formats = np.zeros(12, np.int64)

    def header(self) -> bytes:
        return (",".join(HEADER) + "\r\n").encode(ENCODING)

    def _opt(self, vocab: Vocab, idx: IntArray) -> Block:
        return blank(vocab.take(np.maximum(idx, 0)), idx < 0)

    def render(self, lo: int, hi: int) -> bytes:
        pl, pe = self.plan, self.plan.people
        r = {k: v[lo:hi] for k, v in pl.rows.items()}
        person, m = r["person"], hi - lo
        female = pe.female[person].astype(np.int64)
        is_comp = r["company_of"] >= 0
        cp = np.maximum(r["company_of"], 0)
        credit = pl.credit[cp]
        lower = r["credit_lower"][:, None] & (credit >= 65) & (credit <= 90)
        credit = np.where(lower, credit + 32, credit).astype(np.uint8)
        company = concat(
            self.v_city_short.take(pe.city[cp]),
            self.v_brand.take(pl.brand[cp]),
            self.v_ind_word.take(pl.industry[cp]),
            self.v_suffix.take(r["company_suffix"]),
        )
        birth_s = pe.birth_day[person] * SECONDS_PER_DAY
        age, phone_kind = r["age_value"], r["phone_kind"]
        cols = [
            concat(literal("C", m), number(person + CRM_ID_BASE, 8, pad=True)),
            blank(self.v_type.take(is_comp.astype(np.int64)), r["type_blank"] & ~is_comp),
            self.contact.name(person),
            blank(
                self.v_gender.take(2 * np.minimum(r["gender_kind"], 2) + female),
                r["gender_kind"] == 3,
            ),
            blank(
                mixed_datetimes(birth_s, r["birth_kind"] % 5, BIRTH_FORMATS, ENCODING),
                r["birth_kind"] == 5,
            ),
            blank(signed(age), ~r["age_shown"]),
            blank(self.v_city.take(r["city_word"]), r["city_blank"]),
            self._opt(self.v_occ, r["occupation"]),
            self._opt(self.v_income, r["income"]),
            self._opt(self.v_level, r["level"]),
            blank(
                mixed_datetimes(pe.reg_s[person], r["reg_kind"] % 4, REGISTERED_FORMATS, ENCODING),
                r["reg_kind"] == 4,
            ),
            self._opt(self.v_signup, r["signup"]),
            blank(self.contact.phone(person, phone_kind % 11), phone_kind == 11),
            blank(self.contact.email(person), ~r["email_shown"]),
            datetimes(r["updated"], "%Y-%m-%d %H:%M:%S"),
            blank(company, ~is_comp),
            blank(self.v_industry.take(pl.industry[cp]), ~is_comp),
            blank(self.v_staff.take(pl.staff[cp]), ~is_comp),
            Block(credit, np.broadcast_to(is_comp[:, None], credit.shape)),
            self._opt(self.v_remark, r["remark"]),
        ]
        for name, col in zip(HEADER, cols, strict=True):
            self.missing[name] += int(m - np.count_nonzero(col.present()))
        self.phone_formats += np.bincount(phone_kind, minlength=12)
        bad_age = ((age < 0) | (age > 120)) & r["age_shown"]
        pl.stats["age_impossible_rows"] += int(np.count_nonzero(bad_age))
        return render(join(cols, eol="\r\n"))

    def chunks(self, size: int, progress: Callable[[int], None]) -> Iterator[bytes]:
        yield self.header()
        for lo in range(0, self.plan.size, size):
            hi = min(lo + size, self.plan.size)
            yield self.render(lo, hi)
            progress(hi)

    def finish(self) -> dict[str, Any]:
        rows = self.plan.rows
        stats = dict(self.plan.stats)
        stats["missing"] = self.missing
        fmt = self.phone_formats
        stats["phone_reformatted"] = int(fmt[1:PHONE_VALID_KINDS].sum())
        stats["phone_malformed"] = int(fmt[list(PHONE_MALFORMED_KINDS)].sum())
        stats["birth_date_formats"] = dict(
            zip(
                [*BIRTH_FORMATS, "blank"],
                np.bincount(rows["birth_kind"], minlength=6).tolist(),
                strict=True,
            )
        )
        stats["age_only_rows"] = int(
            np.count_nonzero((rows["birth_kind"] == 5) & rows["age_shown"])
        )
        comma = [i for i, r in enumerate(V.REMARKS) if "," in r]
        stats["quoted_remarks"] = int(np.count_nonzero(np.isin(rows["remark"], comma)))
        return stats
