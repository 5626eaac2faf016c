"""Header → canonical field: synonyms, explicit mappings, attributes, missing fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import DataError, UsageError
from huaxiang.ingest.loader import load
from huaxiang.ingest.mapping import match_columns, normalise_header

TEMPLATE_CUSTOMERS = {
    "客户编号": "customer_id",
    "姓名": "name",
    "年龄": "age",
    "性别": "gender",
    "所在城市": "city",
    "联系方式": "phone",
    "职业": "occupation",
    "首次购买时间": "first_purchase_at",
    "最近购买时间": "last_purchase_at",
    "客单价": "avg_order_value",
    "购买频次": "purchase_frequency",
    "偏好品类": "preferred_categories",
    "渠道偏好": "preferred_channel",
}
TEMPLATE_ORDERS = {"订单号": "order_id", "客户编号": "customer_id", "下单时间": "ordered_at",
                   "金额": "amount"}  # fmt: skip


def load_csv(
    engine: Engine, root: Path, text: str, table: str = "customers", **options: Any
) -> None:
    (root / "in.csv").write_text(text, encoding="utf-8")
    load(engine, SourceConfig(name="src", table=table, path="in.csv", **options), root)


@pytest.mark.parametrize(("header", "field"), sorted(TEMPLATE_CUSTOMERS.items()))
def test_each_chinese_customer_header_alone(header: str, field: str) -> None:
    mapping = match_columns([header], "customers")
    assert mapping.fields == {header: field}
    assert mapping.attributes == []


@pytest.mark.parametrize(("header", "field"), [("地域", "city"), ("手机号", "phone")])
def test_alternative_template_headers(header: str, field: str) -> None:
    assert match_columns([header], "customers").fields == {header: field}


def test_the_whole_chinese_template() -> None:
    headers = [*TEMPLATE_CUSTOMERS, "地域", "手机号"]
    mapping = match_columns(headers, "customers")
    assert mapping.fields == TEMPLATE_CUSTOMERS
    # 地域 and 手机号 name fields that 所在城市 and 联系方式 (earlier columns) already took
    assert mapping.attributes == ["地域", "手机号"]
    assert mapping.duplicates == {"地域": "city", "手机号": "phone"}
    assert mapping.missing_required == []
    orders = match_columns(list(TEMPLATE_ORDERS), "orders")
    assert orders.fields == TEMPLATE_ORDERS
    assert orders.missing_required == []


def test_template_values_land_in_their_fields(engine: Engine, tmp_path: Path) -> None:
    headers = [*TEMPLATE_CUSTOMERS, "地域", "手机号"]
    values = ["C001", "张伟", "32", "男", "上海", "13800138000", "工程师", "2023-01-05",
              "2024-05-01", "128.5", "6", "美妆", "小程序", "华东", "13900139000"]  # fmt: skip
    load_csv(engine, tmp_path, ",".join(headers) + "\n" + ",".join(values) + "\n")
    fields = list(TEMPLATE_CUSTOMERS.values())
    row = engine.dicts(f"select {', '.join(fields)}, attributes from raw_customers")[0]
    assert {f: row[f] for f in fields} == dict(zip(fields, values[:13], strict=True))
    assert json.loads(row["attributes"]) == {"地域": "华东", "手机号": "13900139000"}
    (tmp_path / "o.csv").write_text(
        "订单号,客户编号,下单时间,金额\nO1,C001,2024-05-01 10:00,99.5\n"
    )
    load(engine, SourceConfig(name="orders", table="orders", path="o.csv"), tmp_path)
    assert engine.rows("select order_id, customer_id, ordered_at, amount from raw_orders") == [
        ("O1", "C001", "2024-05-01 10:00", "99.5")
    ]


@pytest.mark.parametrize(
    ("table", "headers", "expected"),
    [
        (
            "customers",
            ["Customer ID", "Full Name", "AGE", "gender", "City", "Mobile", "E-mail",
             "Occupation", "Member Level", "signup_date"],
            ["customer_id", "name", "age", "gender", "city", "phone", "email", "occupation",
             "member_level", "registered_at"],
        ),
        (
            "orders",
            ["Order ID", "customer_id", "Order Date", "Amount", "Category", "Discount"],
            ["order_id", "customer_id", "ordered_at", "amount", "category", "discount"],
        ),
    ],
)  # fmt: skip
def test_english_headers(table: str, headers: list[str], expected: list[str]) -> None:
    mapping = match_columns(headers, table)
    assert mapping.fields == dict(zip(headers, expected, strict=True))
    assert mapping.missing_required == []


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("1、姓名", "name"),
        ("Q2. 年龄", "age"),
        ("3．性别", "gender"),
        (" 手机号码 ", "phone"),
        ("ＡＧＥ", "age"),  # full width
        ("客户_编号", "customer_id"),
        ("【所在城市】", "city"),
    ],
)
def test_headers_are_normalised(header: str, field: str) -> None:
    assert match_columns([header], "customers").fields == {header: field}


def test_normalise_header_keeps_meaningful_digits() -> None:
    assert normalise_header("近6个月购买频次") == "近6个月购买频次"
    assert match_columns(["近6个月购买频次"], "customers").fields == {
        "近6个月购买频次": "purchase_frequency"
    }


def test_explicit_mapping_overrides_synonyms(engine: Engine, tmp_path: Path) -> None:
    load_csv(
        engine,
        tmp_path,
        "会员卡号,客户编号,城市\nM1,C1,上海\nM2,C2,北京\n",
        mapping={"会员卡号": "customer_id", "城市": "attributes"},
    )
    got = engine.rows("select customer_id, city, attributes from raw_customers order by _row")
    assert [(r[0], r[1], json.loads(r[2])) for r in got] == [
        ("M1", None, {"客户编号": "C1", "城市": "上海"}),
        ("M2", None, {"客户编号": "C2", "城市": "北京"}),
    ]
    mapping = match_columns(["会员卡号", "客户编号"], "customers", {"会员卡号": "customer_id"})
    assert mapping.duplicates == {"客户编号": "customer_id"}


def test_explicit_mapping_of_one_field_twice_drops_nothing() -> None:
    mapping = match_columns(
        ["手机", "备用手机", "客户编号"],
        "customers",
        {"手机": "phone", "备用手机": "phone"},
    )
    assert mapping.fields == {"手机": "phone", "客户编号": "customer_id"}
    assert mapping.attributes == ["备用手机"]
    assert mapping.duplicates == {"备用手机": "phone"}


def test_explicit_mapping_to_an_unknown_field() -> None:
    with pytest.raises(UsageError, match="customers has no field 'phon'") as info:
        match_columns(["手机"], "customers", {"手机": "phon"})
    assert "did you mean 'phone'" in str(info.value)
    with pytest.raises(UsageError, match="unknown table"):
        match_columns(["a"], "clients")


def test_unknown_headers_are_kept_with_their_values(engine: Engine, tmp_path: Path) -> None:
    load_csv(
        engine,
        tmp_path,
        '客户编号,会员积分,备注 "内部",it\'s\nC1,1200,VIP,x\nC2,,,\n',
    )
    got = [
        json.loads(r[0]) for r in engine.rows("select attributes from raw_customers order by _row")
    ]
    assert got == [
        {"会员积分": "1200", '备注 "内部"': "VIP", "it's": "x"},
        {"会员积分": None, '备注 "内部"': None, "it's": None},
    ]


def test_no_attributes_means_null(engine: Engine, tmp_path: Path) -> None:
    load_csv(engine, tmp_path, "客户编号,姓名\nC1,张伟\n")
    assert engine.scalar("select attributes from raw_customers") is None


def test_near_misses_are_suggested_not_guessed() -> None:
    mapping = match_columns(["客户编号", "手机好"], "customers")
    assert "手机好" in mapping.attributes
    assert mapping.suggestions == {"手机好": "phone"}


@pytest.mark.parametrize(
    ("table", "header", "missing"),
    [
        ("customers", "姓名,城市\n张伟,上海\n", ["customer_id"]),
        ("orders", "订单号,客户编号\nO1,C1\n", ["ordered_at", "amount"]),
    ],
)
def test_missing_required_fields(
    engine: Engine, tmp_path: Path, table: str, header: str, missing: list[str]
) -> None:
    with pytest.raises(DataError) as info:
        load_csv(engine, tmp_path, header, table=table)
    error = info.value
    message = str(error)
    assert str(tmp_path / "in.csv") in message
    assert "line 1" in message
    for field in missing:
        assert field in message
    assert error.hint is not None and f": {missing[0]}}}" in error.hint
    assert "mapping:" in error.hint
    assert not engine.count(f"raw_{table}")
    assert not engine.count("hx_loads")


def test_missing_field_error_names_label_and_unmatched_headers(
    engine: Engine, tmp_path: Path
) -> None:
    with pytest.raises(DataError) as info:
        load_csv(engine, tmp_path, "会员卡号,姓名\nM1,张伟\n")
    message = str(info.value)
    assert "customer_id (客户编号)" in message
    assert "unmatched headers: 会员卡号" in message
    assert "mapping: {会员卡号: customer_id}" in message


def test_a_mapping_for_a_column_the_file_lacks_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(UsageError) as caught:
        match_columns(["会员卡号", "姓名"], "customers", {"会员卡": "customer_id"})
    assert "会员卡" in str(caught.value)
    assert "did you mean '会员卡号'?" in str(caught.value)
