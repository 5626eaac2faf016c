"""Phone standardisation in SQL agrees with libphonenumber on any formatting of a CN mobile."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huaxiang.clean.parse import phone_expr

mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


@st.composite
def formatted(draw: st.DrawFn) -> str:
    number = draw(mobiles)
    prefix = draw(st.sampled_from(["", "+86", "0086", "+86 ", "0086 ", "+86-", "0086-"]))
    sep = draw(st.sampled_from(["", " ", "-"]))
    grouping = draw(st.sampled_from([(3, 4, 4), (3, 8), (11,), (3, 3, 5)]))
    parts, start = [], 0
    for size in grouping:
        parts.append(number[start : start + size])
        start += size
    padding = draw(st.sampled_from(["", " ", "  "]))
    return f"{padding}{prefix}{sep.join(parts)}{padding}"


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


@settings(max_examples=100, deadline=None)
@given(text=formatted())
def test_sql_phone_equals_libphonenumber_e164(con: duckdb.DuckDBPyConnection, text: str) -> None:
    expected = phonenumbers.format_number(
        phonenumbers.parse(text, "CN"), phonenumbers.PhoneNumberFormat.E164
    )
    got = con.execute(
        f"select {phone_expr('x')} from (select trim(?::varchar) as x)", [text]
    ).fetchone()[0]
    assert got == expected
