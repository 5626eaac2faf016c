"""The SQL builders of :mod:`huaxiang.clean.parse`, executed on DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huaxiang.clean import parse
from huaxiang.schema import TABLES

SHANGHAI = "Asia/Shanghai"


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def run(con: duckdb.DuckDBPyConnection, build: Callable[[str], str], text: str | None) -> Any:
    """Value of ``build`` applied to one raw VARCHAR, the way cleaning applies it."""
    return con.execute(f"select {build('x')} from (select ?::varchar as x)", [text]).fetchone()[0]


def ts(day_first: bool = False, timezone: str = SHANGHAI) -> Callable[[str], str]:
    return lambda x: parse.timestamp_expr(x, day_first=day_first, timezone=timezone)


def date(day_first: bool = False) -> Callable[[str], str]:
    return lambda x: parse.date_expr(x, day_first=day_first, timezone=SHANGHAI)


MAY_8 = dt.date(2024, 5, 8)


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-08",
        "2024-5-8",
        "2024/5/8",
        "2024/05/08",
        "2024.5.8",
        "2024年5月8日",
        "2024年05月08日",
        "2024年5月8号",
        "20240508",
        "20240508 13:22:01",
        "2024.05.08 13:22",
        "2024年5月8日13时22分",
        "45420",  # Excel serial day number
        "2024-05-08 13:22:01",
        "2024/05/08 13:22",
        "2024年5月8日 13时22分",
    ],
)
@pytest.mark.parametrize("day_first", [False, True])
def test_every_unambiguous_date_form_reads_as_the_same_day(
    con: duckdb.DuckDBPyConnection, text: str, day_first: bool
) -> None:
    assert run(con, date(day_first), text) == MAY_8


def test_ambiguous_numeric_date_follows_day_first(con: duckdb.DuckDBPyConnection) -> None:
    assert run(con, date(day_first=True), "08/05/2024") == dt.date(2024, 5, 8)
    assert run(con, date(day_first=False), "08/05/2024") == dt.date(2024, 8, 5)
    # 25/12/2024 has only one reading; month-first cannot read it at all
    assert run(con, date(day_first=True), "25/12/2024") == dt.date(2024, 12, 25)
    assert run(con, date(day_first=False), "25/12/2024") is None


def test_time_of_day_is_kept(con: duckdb.DuckDBPyConnection) -> None:
    assert run(con, ts(), "2024-05-08 13:22:01") == dt.datetime(2024, 5, 8, 13, 22, 1)
    assert run(con, ts(), "2024/5/8 13:22") == dt.datetime(2024, 5, 8, 13, 22)
    assert run(con, ts(), "45420.5") == dt.datetime(2024, 5, 8, 12, 0)


def test_times_with_a_zone_are_converted_to_the_workspace_zone(
    con: duckdb.DuckDBPyConnection,
) -> None:
    local = dt.datetime(2024, 5, 8, 21, 22, 1)
    assert run(con, ts(), "2024-05-08T13:22:01+00:00") == local
    assert run(con, ts(), "2024-05-08T13:22:01Z") == local
    assert run(con, ts(), "2024-05-08T21:22:01+08:00") == local
    assert run(con, ts(timezone="UTC"), "2024-05-08T13:22:01+00:00") == dt.datetime(
        2024, 5, 8, 13, 22, 1
    )
    # a UTC time late in the day is the next calendar day in Shanghai
    assert run(con, date(), "2024-05-07T20:00:00+00:00") == MAY_8


def test_epoch_seconds_and_milliseconds_are_local_times(con: duckdb.DuckDBPyConnection) -> None:
    # 1715145721 = 2024-05-08 05:22:01 UTC = 13:22:01 in Shanghai
    assert run(con, ts(), "1715145721") == dt.datetime(2024, 5, 8, 13, 22, 1)
    assert run(con, ts(), "1715145721000") == dt.datetime(2024, 5, 8, 13, 22, 1)
    assert run(con, ts(timezone="UTC"), "1715145721") == dt.datetime(2024, 5, 8, 5, 22, 1)


@pytest.mark.parametrize(
    "text", [None, "abc", "2024-02-30", "2024/13/01", "2024年13月1日", "5-8", "明天"]
)
def test_unreadable_or_missing_dates_are_null(
    con: duckdb.DuckDBPyConnection, text: str | None
) -> None:
    assert run(con, ts(), text) is None
    assert run(con, date(), text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("¥1,299.00", 1299.0),
        ("￥1,299.50", 1299.5),
        ("1299元", 1299.0),
        ("1,299.00 元", 1299.0),
        ("RMB 88", 88.0),
        ("25岁", 25.0),
        ("3次", 3.0),
        ("-12.5", -12.5),
        ("0", 0.0),
    ],
)
def test_numbers_with_currency_units_and_separators(
    con: duckdb.DuckDBPyConnection, text: str, value: float
) -> None:
    assert run(con, parse.number_expr, text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["5-8", "abc", "约100", "1.2.3", None])
def test_unreadable_numbers_are_null(con: duckdb.DuckDBPyConnection, text: str | None) -> None:
    assert run(con, parse.number_expr, text) is None


def test_integers_reject_fractions(con: duckdb.DuckDBPyConnection) -> None:
    assert run(con, parse.integer_expr, "25岁") == 25
    assert run(con, parse.integer_expr, "1,200") == 1200
    assert run(con, parse.integer_expr, "25.0") == 25
    assert run(con, parse.integer_expr, "25.5") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("no", False),
        ("TRUE", True),
        ("0", False),
        ("已退货", True),
        ("未退货", False),
        ("也许", None),
        (None, None),
    ],
)
def test_booleans(con: duckdb.DuckDBPyConnection, text: str | None, value: bool | None) -> None:
    assert run(con, parse.boolean_expr, text) is value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("男", "male"),
        ("女", "female"),
        ("M", "male"),
        ("F", "female"),
        ("male", "male"),
        ("Female", "female"),
        ("先生", "male"),
        ("女士", "female"),
        ("保密", None),
        (None, None),
    ],
)
def test_gender(con: duckdb.DuckDBPyConnection, text: str | None, value: str | None) -> None:
    assert run(con, parse.gender_expr, text) == value


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("13800138000", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("+86-13800138000", "+8613800138000"),
        ("0086 13800138000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        ("(+86) 138-0013-8000", "+8613800138000"),
        ("010-62345678", "+861062345678"),
        ("0755 8765 4321", "+8675587654321"),
        ("+86 10 6234 5678", "+861062345678"),
    ],
)
def test_phones_become_e164(con: duckdb.DuckDBPyConnection, text: str, e164: str) -> None:
    assert run(con, parse.phone_expr, text) == e164


@pytest.mark.parametrize(
    "text", ["12345", "1380013800", "23800138000", "+1 415 555 0100", "abc", "138001380000", None]
)
def test_not_a_chinese_phone_is_null(con: duckdb.DuckDBPyConnection, text: str | None) -> None:
    assert run(con, parse.phone_expr, text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Zhang.San@Example.COM", "zhang.san@example.com"),
        ("a+tag@sub.example.cn", "a+tag@sub.example.cn"),
        ("no-at-sign", None),
        ("a b@example.com", None),
        ("x@localhost", None),
        ("@example.com", None),
    ],
)
def test_emails(con: duckdb.DuckDBPyConnection, text: str, value: str | None) -> None:
    assert run(con, parse.email_expr, text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("91110000600037341L", "91110000600037341L"),
        ("91 1100 0060 0037 341l", "91110000600037341L"),
        ("91110000600037341I", None),  # I is not used in credit codes
        ("9111000060003734", None),  # too short
        ("911100006000373412X", None),  # too long
    ],
)
def test_credit_codes(con: duckdb.DuckDBPyConnection, text: str, value: str | None) -> None:
    assert run(con, parse.credit_code_expr, text) == value


@pytest.mark.parametrize("text", ["", "   ", "null", "N/A", "-", "无", "未填写", "#N/A"])
def test_placeholders_are_blank(con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert run(con, parse.blank, text) is None


def test_blank_trims_real_values(con: duckdb.DuckDBPyConnection) -> None:
    assert run(con, parse.blank, "  张三 ") == "张三"


def _blank_reference(text: str | None) -> str | None:
    """What ``blank`` means, without its fast path: trim spaces (as DuckDB's trim does),
    drop placeholders."""
    if text is None:
        return None
    trimmed = text.strip("".join(parse.SPACES))
    if trimmed.lower() in parse._PLACEHOLDERS:
        return None
    return trimmed or None


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.text(alphabet=" \u3000\u00a0\u2003\u0301nNaA/-#无空未填写ulo中x\t😀", max_size=10),
        st.sampled_from(parse._PLACEHOLDERS).map(lambda p: f"  {p.upper()} "),
        st.text(max_size=12),
    )
)
def test_blank_matches_its_definition(con: duckdb.DuckDBPyConnection, text: str | None) -> None:
    assert run(con, parse.blank, text) == _blank_reference(text)


def test_field_expr_uses_the_special_parser_before_the_type(
    con: duckdb.DuckDBPyConnection,
) -> None:
    customers = TABLES["customers"].by_name

    def build(name: str) -> Callable[[str], str]:
        return lambda x: parse.field_expr(customers[name], x, day_first=True, timezone=SHANGHAI)

    assert run(con, build("phone"), "138 0013 8000") == "+8613800138000"
    assert run(con, build("gender"), "女") == "female"
    assert run(con, build("age"), "25岁") == 25
    assert run(con, build("birth_date"), "08/05/1990") == dt.date(1990, 5, 8)
    assert run(con, build("name"), "张三") == "张三"
