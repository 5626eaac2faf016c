"""Masking of personal data."""

from __future__ import annotations

import duckdb
import pytest

from huaxiang.privacy.mask import (
    PII_FIELDS,
    mask_email,
    mask_identifier,
    mask_name,
    mask_phone,
    mask_record,
    mask_value,
    name_mask_sql,
    phone_mask_sql,
)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+8613800138000", "+86138****8000"),
        ("13800138000", "138****8000"),
        ("138-0013-8000", "138-****-8000"),
        ("0086 138 0013 8000", "0086 138 **** 8000"),
        ("010-62345678", "010-****5678"),
        ("12345", "*****"),
        ("abc", "***"),
    ],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    "value",
    ["13800138000 / 13900139000", "+86 13800138000, 13900139000", "1380013800013900139000"],
)
def test_several_numbers_in_one_value_are_all_hidden(value: str) -> None:
    masked = mask_phone(value)
    assert "13800138000" not in masked.replace(" ", "")
    assert "13900139000" not in masked.replace(" ", "")
    assert masked.endswith("9000")
    assert len(masked) == len(value)


def test_mask_email_and_name_and_identifiers() -> None:
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert mask_email("@example.com") == "***@example.com"
    assert mask_email("no-at-sign") == "n*********"
    assert "b@y.com" not in mask_email("a@x.com; b@y.com")
    assert mask_name("张三丰") == "张**"
    assert mask_name("王") == "王*"
    assert mask_identifier("110101199003071234") == "1101************34"
    assert mask_identifier("91110000600037341L") == "9111************1L"
    assert mask_identifier("12345") == "*****"


def test_mask_value_only_touches_personal_fields() -> None:
    assert mask_value("phone", "13800138000") == "138****8000"
    assert mask_value("phone", "13800138000", reveal=True) == "13800138000"
    assert mask_value("city", "北京") == "北京"
    assert mask_value("phone", None) is None
    assert mask_value("credit_code", "91110000600037341L") == "9111************1L"


def test_mask_record() -> None:
    record = {
        "name": "张三",
        "phone": "13800138000",
        "city": "北京",
        "email": None,
        "union_id": "oABCDEFG123",
    }
    masked = mask_record(record)
    assert masked == {
        "name": "张*",
        "phone": "138****8000",
        "city": "北京",
        "email": None,
        "union_id": "oABC*****23",
    }
    assert mask_record(record, reveal=True) == record
    assert mask_record(record, {"city"}) == {**record, "city": "北*"}
    assert {"name", "phone", "email", "id_number", "credit_code"} <= PII_FIELDS


def test_sql_masks_agree_with_python() -> None:
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"select {phone_mask_sql('p')}, {name_mask_sql('n')} from (values "
            "('+8613800138000', '张三丰'), ('1234', 'A'), (null, null)) t(p, n)"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("+86138****8000", "张**"), ("****", "A*"), (None, None)]
