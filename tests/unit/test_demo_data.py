"""The demo data generator: files, determinism, source definitions and the planted truth.

Every planted count is re-counted here from the written files, with logic independent of the
generator (pandas, regular expressions, a small union-find).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from huaxiang.config.models import SourceConfig
from huaxiang.datasets import demo as demo_module
from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo import FILES, generate_demo
from huaxiang.datasets.demo_survey import survey_definition
from huaxiang.schema import TABLES

N = 2_000
AS_OF = date(2026, 6, 30)
ALL_FILES = (*FILES, "planted.json", "README.md")
# headers deliberately outside the canonical schema: kept as attributes
EXTRA_HEADERS = {"备注", "来源"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    dest = tmp_path_factory.mktemp("demo")
    return dest, generate_demo(dest, customers=N, seed=7)


@pytest.fixture(scope="module")
def planted(demo: tuple[Path, list[dict[str, Any]]]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((demo[0] / "data" / "planted.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def crm(demo: tuple[Path, list[dict[str, Any]]]) -> pd.DataFrame:
    return _csv(demo[0] / "data" / "crm_customers.csv", "gbk")


@pytest.fixture(scope="module")
def shop(demo: tuple[Path, list[dict[str, Any]]]) -> pd.DataFrame:
    return _csv(demo[0] / "data" / "shop_members.csv", "utf-8-sig")


@pytest.fixture(scope="module")
def orders(demo: tuple[Path, list[dict[str, Any]]]) -> pd.DataFrame:
    return _csv(demo[0] / "data" / "orders.csv", "utf-8")


def _csv(path: Path, encoding: str) -> pd.DataFrame:
    return pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)


def _digests(dest: Path) -> dict[str, str]:
    return {f: hashlib.sha256((dest / "data" / f).read_bytes()).hexdigest() for f in ALL_FILES}


def _phone(text: str) -> str | None:
    digits = re.sub(r"[\s+\-]", "", text)
    for prefix in ("0086", "86"):
        if len(digits) > 11 and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits if re.fullmatch(r"1[3-9]\d{9}", digits) else None


def _email(text: str) -> str | None:
    return text.strip().lower() or None


# --- files and sources -------------------------------------------------------------------------


def test_files_exist_and_crm_is_gbk(demo: tuple[Path, list[dict[str, Any]]]) -> None:
    data = demo[0] / "data"
    for name in ALL_FILES:
        assert (data / name).stat().st_size > 0, name
    raw = (data / "crm_customers.csv").read_bytes()
    assert raw.decode("gbk").startswith("客户编号,")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert (data / "shop_members.csv").read_bytes().startswith(b"\xef\xbb\xbfmember_id,")


def test_same_seed_same_bytes_other_seed_differs(
    demo: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    again = tmp_path / "again"
    other = tmp_path / "other"
    generate_demo(again, customers=N, seed=7)
    generate_demo(other, customers=N, seed=8)
    first = _digests(demo[0])
    assert _digests(again) == first
    changed = _digests(other)
    assert all(changed[f] != first[f] for f in FILES)


def test_chunked_generation_is_deterministic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small chunks: many order/event chunks finish out of order on the worker threads
    monkeypatch.setattr(demo_module, "PERSONS_PER_CHUNK", 150)
    runs = [tmp_path / "a", tmp_path / "b"]
    for dest in runs:
        generate_demo(dest, customers=1_000, seed=3)
    assert _digests(runs[0]) == _digests(runs[1])
    planted = json.loads((runs[0] / "data" / "planted.json").read_text("utf-8"))
    lines = (runs[0] / "data" / "events.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == planted["events"]["lines"]
    for number in planted["events"]["malformed_lines"]:
        with pytest.raises(json.JSONDecodeError):
            json.loads(lines[number - 1])


def test_sources_validate_and_point_at_files(demo: tuple[Path, list[dict[str, Any]]]) -> None:
    dest, sources = demo
    assert {s["table"] for s in sources} == set(TABLES)
    for s in sources:
        config = SourceConfig(**s)
        assert config.path is not None and (dest / config.path).is_file()
        assert config.description and re.search(r"[\u4e00-\u9fff]", config.description)
    assert len({s["name"] for s in sources}) == len(sources)


def test_headers_map_through_schema_synonyms(demo: tuple[Path, list[dict[str, Any]]]) -> None:
    dest, sources = demo

    def norm(text: str) -> str:
        return re.sub(r"\s+", "", text).lower()

    for s in sources:
        synonyms = {norm(syn) for f in TABLES[s["table"]].fields for syn in (f.name, *f.synonyms)}
        synonyms |= {norm(k) for k in s.get("mapping", {})}
        headers = _headers(dest / s["path"], s)
        unmapped = {h for h in headers if norm(h) not in synonyms}
        if s["table"] == "survey_responses":
            unmapped = {h for h in unmapped if not re.match(r"^\d+、", h)}
        assert unmapped <= EXTRA_HEADERS, (s["name"], unmapped)
        required = {f.name for f in TABLES[s["table"]].fields if f.required}
        mapped = {
            f.name
            for f in TABLES[s["table"]].fields
            for h in headers
            if norm(h) in {norm(x) for x in (f.name, *f.synonyms)}
        }
        assert required <= mapped, s["name"]


def _headers(path: Path, source: dict[str, Any]) -> list[str]:
    if source["format"] == "jsonl":
        return list(json.loads(path.read_text("utf-8").splitlines()[0]))
    if source["format"] == "xlsx":
        wb = load_workbook(path, read_only=True)
        first = next(wb[source["sheet"]].iter_rows(max_row=1, values_only=True))
        wb.close()
        return [str(h) for h in first]
    encoding = "utf-8-sig" if source["encoding"] == "utf-8-sig" else source["encoding"]
    return path.read_bytes().decode(encoding).splitlines()[0].split(",")


def test_vocabulary_is_gbk_and_feedback_templates_classify() -> None:
    words: Iterable[str] = [
        *(s[0] for s in V.SURNAMES),
        *(g[0] for g in V.GIVEN_MALE + V.GIVEN_FEMALE),
        *(w for c in V.CITIES for w in (c[0], c[1], c[2], c[5], c[6])),
        *V.OCCUPATIONS,
        *V.INCOME_BANDS,
        *V.MEMBER_LEVELS,
        *V.SIGNUP_CHANNELS,
        *V.REMARKS,
        *V.INDUSTRIES,
        *V.INDUSTRY_WORDS,
        *V.BRAND_WORDS,
        *V.STAFF_SIZES,
        *V.COMPANY_SUFFIXES,
    ]
    for w in words:
        w.encode("gbk")
    for (name, _label, _kw), templates in zip(V.FEEDBACK_THEMES, V.FEEDBACK_TEMPLATES, strict=True):
        for t in templates:
            assert _theme(t.replace("{c}", "美妆护肤").replace("{d}", "3")) == name, t


def test_rejects_tiny_sizes_and_reports_progress(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_demo(tmp_path, customers=10)
    calls: list[tuple[str, int, int]] = []
    generate_demo(tmp_path, customers=200, progress=lambda s, d, t: calls.append((s, d, t)))
    steps = {c[0] for c in calls}
    assert {"crm_customers", "orders_events", "survey", "feedback"} <= steps
    assert all(0 <= d <= t for _, d, t in calls)
    last = [c for c in calls if c[0] == "orders_events"][-1]
    assert last[1] == last[2] and calls[-1] == ("done", 1, 1)


# --- planted truth, recounted ------------------------------------------------------------------


def test_crm_counts(crm: pd.DataFrame, planted: dict[str, Any]) -> None:
    p = planted["crm_customers"]
    assert len(crm) == p["rows"]
    assert crm["客户编号"].nunique() == p["distinct_ids"] == N
    assert int(crm.duplicated().sum()) == p["exact_duplicates"]
    id_dups = int(crm["客户编号"].duplicated().sum())
    assert id_dups - p["exact_duplicates"] == p["key_duplicates"]
    for column, missing in p["missing"].items():
        assert int((crm[column] == "").sum()) == missing, column
    age = pd.to_numeric(crm["年龄"], errors="coerce")
    assert int(((age < 0) | (age > 120)).sum()) == p["age_impossible_rows"]
    assert int(((crm["出生日期"] == "") & (crm["年龄"] != "")).sum()) == p["age_only_rows"]
    phones = crm.loc[crm["手机号"] != "", "手机号"]
    assert int(phones.map(_phone).isna().sum()) == p["phone_malformed"]
    plain = phones.str.fullmatch(r"1[3-9]\d{9}")
    valid = phones.map(_phone).notna()
    assert int((valid & ~plain).sum()) == p["phone_reformatted"]
    assert int(crm["备注"].str.contains(",").sum()) == p["quoted_remarks"]
    assert set(crm["性别"]) <= {"男", "女", "M", "F", "male", "female", ""}
    birth = r"\d{4}-\d{2}-\d{2}|\d{4}/\d{1,2}/\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日|\d{8}|\d{5}|"
    assert crm["出生日期"].str.fullmatch(birth).all()
    stamp = r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}|T\d{2}:\d{2}:\d{2}\+08:00)?"
    short = r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}"
    assert crm["注册时间"].str.fullmatch(f"{stamp}|{short}|").all()
    # a later version of a record carries a newer 更新时间 and differs from the first one
    versions = crm.drop_duplicates().groupby("客户编号")["更新时间"].agg(["first", "last", "size"])
    versions = versions[versions["size"] > 1]
    assert len(versions) == p["key_duplicates"] and (versions["last"] > versions["first"]).all()
    companies = crm[crm["客户类型"] == "企业"].drop_duplicates("客户编号")
    assert len(companies) == p["company_customers"]
    codes = companies["统一社会信用代码"].str.upper()
    assert int(codes.duplicated().sum()) == p["credit_code_duplicates"]
    assert all(_uscc_ok(c) for c in codes)


def _uscc_ok(code: str) -> bool:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    if len(code) != 18 or any(c not in chars for c in code):
        return False
    total = sum(chars.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    return chars[(31 - total % 31) % 31] == code[17]


def test_identity_counts(crm: pd.DataFrame, shop: pd.DataFrame, planted: dict[str, Any]) -> None:
    p, ident = planted["shop_members"], planted["identity"]
    assert len(shop) == p["rows"] == ident["shop_member_ids"]
    crm_ids = crm.drop_duplicates("客户编号", keep="last")
    by_phone = {
        ph: cid
        for cid, ph in zip(crm_ids["客户编号"], map(_phone, crm_ids["手机号"]), strict=True)
        if ph
    }
    by_email = {
        em: cid
        for cid, em in zip(crm_ids["客户编号"], map(_email, crm_ids["邮箱"]), strict=True)
        if em
    }
    kinds = {"phone": 0, "email": 0, "both": 0, "chain": 0}
    for phone, email in zip(map(_phone, shop["mobile"]), map(_email, shop["email"]), strict=True):
        a, b = by_phone.get(phone or ""), by_email.get(email or "")
        if a and b:
            kinds["both" if a == b else "chain"] += 1
        elif a or b:
            kinds["phone" if a else "email"] += 1
    assert kinds == {
        "phone": p["by_phone_only"],
        "email": p["by_email_only"],
        "both": p["by_phone_and_email"],
        "chain": p["chain"],
    }
    assert sum(kinds.values()) == p["matching_crm"] == ident["shop_members_matching_crm"]
    unions = shop.loc[shop["unionid"] != "", "unionid"]
    assert int(unions.duplicated().sum()) == p["duplicate_registration"]

    # transitive merge over every key gives the planted number of real people
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def link(record: str, phone: str, email: str, other: str) -> None:
        find(record)
        keys = (f"p:{_phone(phone)}" if _phone(phone) else "",
                f"e:{_email(email)}" if _email(email) else "", other)  # fmt: skip
        for key in filter(None, keys):
            parent[find(record)] = find(key)

    for cid, phone, email, code in crm[["客户编号", "手机号", "邮箱", "统一社会信用代码"]].values:
        link(f"id:{cid}", phone, email, f"c:{code.upper()}" if code else "")
    for mid, phone, email, union in shop[["member_id", "mobile", "email", "unionid"]].values:
        link(f"id:{mid}", phone, email, f"w:{union}" if union else "")
    roots = {find(x) for x in list(parent) if x.startswith("id:")}
    assert len(roots) == ident["expected_clusters"]


def test_order_counts(
    orders: pd.DataFrame, crm: pd.DataFrame, shop: pd.DataFrame, planted: dict[str, Any]
) -> None:
    p = planted["orders"]
    assert len(orders) == p["rows"]
    assert 8 * N <= len(orders) <= 12 * N
    assert orders["订单号"].nunique() == p["distinct_order_ids"]
    assert int(orders.duplicated().sum()) == p["duplicate_rows"]
    assert int(orders["订单号"].duplicated().sum()) == p["duplicate_rows"]
    amount = orders["金额"].str.removeprefix("¥").astype(float)
    assert int(orders["金额"].str.startswith("¥").sum()) == p["currency_prefixed"]
    assert int((amount < 0).sum()) == p["negative_amounts"]
    assert int((amount >= p["extreme_min_yuan"]).sum()) == p["extreme_amounts"]
    assert int((amount > 3 * amount.mean()).sum()) == p["amount_gt_3x_mean"]
    assert round(amount.mean(), 2) == pytest.approx(p["amount_mean"], abs=0.011)
    parts = orders["下单时间"].str.extract(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})").astype(int)
    day = pd.to_datetime(dict(year=parts[0], month=parts[1], day=parts[2]))
    assert int((day > pd.Timestamp(AS_OF)).sum()) == p["future_dated"]
    known = set(crm["客户编号"]) | set(shop["member_id"])
    assert int((~orders["客户编号"].isin(known)).sum()) == p["unknown_customer"]
    assert int((orders["品类"] == "").sum()) == p["missing_category"]
    assert set(orders["是否用券"]) == {"是", "否"} == set(orders["是否退货"])


def test_event_counts(demo: tuple[Path, list[dict[str, Any]]], planted: dict[str, Any]) -> None:
    p = planted["events"]
    lines = (demo[0] / "data" / "events.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == p["lines"]
    bad = []
    types: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            bad.append(number)
            continue
        assert set(event) == {"customer_id", "time", "type", "channel", "properties"}
        assert event["channel"] in V.EVENT_CHANNELS
        types[event["type"]] = types.get(event["type"], 0) + 1
    assert bad == p["malformed_lines"] and len(bad) == p["malformed"] >= 3
    assert sum(p["types"].values()) == len(lines)
    # the truncated lines still count under their planted type
    assert all(0 <= v - types.get(k, 0) <= len(bad) for k, v in p["types"].items())


def test_survey_counts(demo: tuple[Path, list[dict[str, Any]]], planted: dict[str, Any]) -> None:
    p = planted["survey"]
    df = pd.read_excel(
        demo[0] / "data" / "survey.xlsx", sheet_name=p["sheet"], dtype=str, engine="openpyxl"
    )
    assert len(df) == p["rows"] == round(0.03 * N)
    seconds = df["所用时间"].str.removesuffix("秒").astype(int)
    assert int((seconds < 180).sum()) == p["too_fast"]
    contradictory = (df["6、近6个月您购买了几次"] == "从未购买") & (
        df["7、您通常多久购买一次"] == "每周"
    )
    assert int(contradictory.sum()) == p["contradictory"]
    assert int(((seconds < 180) | contradictory).sum()) == p["invalid"]
    assert int(df["客户编号"].isna().sum()) == p["anonymous"]
    reason_columns = [c for c in df.columns if c.startswith("3、")]
    assert len(reason_columns) == len(V.SURVEY_REASONS)
    assert set(df[reason_columns].stack()) <= {"0", "1"}
    assert df["8、您通过哪些渠道了解我们的产品(多选)"].str.contains("┋").any()
    # four KANO pairs answered with the five standard answers
    kano = [c for c in df.columns if re.match(r"^(9|1[0-6])、如果(不)?提供", c)]
    assert len(kano) == 2 * len(V.KANO_FEATURES)
    assert set(df[kano].stack()) == set(V.KANO_ANSWERS)
    # the competitors also bought (or none), each rated 1-5 only by its buyers
    bought = df["17、近半年您还在以下哪些品牌购买过(多选)"].str.split("┋")
    assert set(bought.explode()) == {*V.COMPETITORS, V.COMPETITOR_NONE}
    for i, brand in enumerate(V.COMPETITORS):
        rating = df[f"{18 + i}、您对{brand}的满意度"]
        assert (rating.notna() == bought.map(lambda b, x=brand: x in b)).all()
        assert set(rating.dropna().astype(int)) <= {1, 2, 3, 4, 5}


def test_survey_definition_names_the_export_headers(
    demo: tuple[Path, list[dict[str, Any]]],
) -> None:
    definition = yaml.safe_load(survey_definition(AS_OF))
    source = next(s for s in demo[1] if s["table"] == "survey_responses")
    headers = set(_headers(demo[0] / source["path"], source))
    for q in definition["questions"]:
        if q.get("layout") == "columns":
            assert {f"{q['header']}:{o}" for o in q["options"]} <= headers
        else:
            assert q["header"] in headers, q["header"]
    assert definition["source"] == source["name"]


def _theme(text: str) -> str | None:
    for name, _label, keywords in V.FEEDBACK_THEMES:
        if any(k in text for k in keywords):
            return name
    return None


def test_feedback_counts(demo: tuple[Path, list[dict[str, Any]]], planted: dict[str, Any]) -> None:
    p = planted["feedback"]
    df = _csv(demo[0] / "data" / "feedback.csv", "utf-8")
    assert len(df) == p["rows"]
    assert int((df["反馈内容"] == "").sum()) == p["empty_text"]
    assert int((df["评分"] == "").sum()) == p["missing_rating"]
    themes = df.loc[df["反馈内容"] != "", "反馈内容"].map(_theme).value_counts().to_dict()
    assert themes == {k: v for k, v in p["themes"].items() if v}
    by_segment = p["themes_by_segment"]
    price = {s: c["price"] / max(sum(c.values()), 1) for s, c in by_segment.items()}
    assert price["price_sensitive"] > 2 * price["high_value_loyal"]


def test_segments_follow_the_brief(planted: dict[str, Any]) -> None:
    seg = planted["segments"]
    shares = {k: v["persons"] / planted["identity"]["persons"] for k, v in seg.items()}
    for name, share in zip(V.SEGMENTS, V.SEGMENT_SHARES, strict=True):
        assert abs(shares[name] - share) < 0.04
    hv, ps, churn = seg["high_value_loyal"], seg["price_sensitive"], seg["churn_risk"]
    assert hv["avg_order_value"] > 2 * ps["avg_order_value"] and ps["avg_order_value"] < 500
    assert ps["coupon_rate"] > 0.5 > 0.15 > hv["coupon_rate"]
    assert hv["app_share"] > 0.5 and ps["mini_program_share"] > 0.5
    assert hv["evening_20_22_share"] > 0.25 and ps["lunch_11_14_share"] > 0.25
    assert churn["orders_last_90_days"] == 0 and churn["orders"] > 0
    assert planted["events"]["churn_risk_events_last_90_days"] == 0
