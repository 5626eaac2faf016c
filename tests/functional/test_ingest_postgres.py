"""A SQL source against the real PostgreSQL server of the test session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import DataError
from huaxiang.ingest.loader import load

pytestmark = pytest.mark.postgres

QUERY = (
    "select member_code as 客户编号, happened_at as 事件时间, kind as 行为类型, "
    "props as 属性, amount from ingest_probe_events order by id"
)


@pytest.fixture
def pg_events(postgres_url: str) -> Iterator[str]:
    db = sa.create_engine(postgres_url)
    try:
        with db.begin() as con:
            con.execute(sa.text("drop table if exists ingest_probe_events"))
            con.execute(
                sa.text(
                    "create table ingest_probe_events (id serial primary key, member_code text, "
                    "happened_at timestamp, kind text, props jsonb, amount numeric(10, 2))"
                )
            )
            con.execute(
                sa.text(
                    "insert into ingest_probe_events (member_code, happened_at, kind, props, "
                    "amount) values (:code, :at, :kind, cast(:props as jsonb), :amount)"
                ),
                [
                    {"code": "C1", "at": "2024-05-01 10:00:00", "kind": "浏览",
                     "props": '{"sku": "A-1", "tags": ["新品"]}', "amount": "12.50"},
                    {"code": "C2", "at": "2024-05-02 11:30:00", "kind": "购买", "props": None,
                     "amount": None},
                ],
            )  # fmt: skip
        yield postgres_url
        with db.begin() as con:
            con.execute(sa.text("drop table ingest_probe_events"))
    finally:
        db.dispose()


def test_postgres_query_source(pg_events: str, tmp_path: Path) -> None:
    password = make_url(pg_events).password
    assert password
    engine = Engine(None)
    try:
        source = SourceConfig(name="pg_events", table="events", url=pg_events, query=QUERY)
        result = load(engine, source, tmp_path)
        assert (result.status, result.format, result.rows_read, result.rows_rejected) == (
            "loaded",
            "sql",
            2,
            0,
        )
        got = engine.rows(
            "select _source, _row, customer_id, occurred_at, event_type, properties, attributes "
            "from raw_events order by _row"
        )
        assert [r[:5] for r in got] == [
            ("pg_events", 1, "C1", "2024-05-01 10:00:00", "浏览"),
            ("pg_events", 2, "C2", "2024-05-02 11:30:00", "购买"),
        ]
        # jsonb arrives as JSON text, not as a Python repr
        assert json.loads(got[0][5]) == {"sku": "A-1", "tags": ["新品"]}
        assert got[1][5] is None
        assert [json.loads(r[6]) for r in got] == [{"amount": "12.50"}, {"amount": None}]

        stored = engine.scalar("select path from hx_loads where source = 'pg_events'")
        assert password not in stored
        assert stored == make_url(pg_events).render_as_string(hide_password=True)
        assert "***" in stored and "127.0.0.1" in stored
        everything = engine.rows("select * from hx_loads")
        assert password not in repr(everything)

        assert load(engine, source, tmp_path).status == "unchanged"
        assert engine.count("raw_events") == 2
    finally:
        engine.close()


def test_a_password_in_the_query_string_is_hidden_too(pg_events: str, tmp_path: Path) -> None:
    url = make_url(pg_events)
    password = url.password
    assert password
    in_query = url.set(password=None).update_query_dict({"password": password})
    rendered = in_query.render_as_string(hide_password=False)
    assert password in rendered
    engine = Engine(None)
    try:
        source = SourceConfig(name="pg_q", table="events", url=rendered, query=QUERY)
        assert load(engine, source, tmp_path).rows_read == 2  # the driver used it
        stored = engine.scalar("select path from hx_loads")
        assert password not in stored
        assert "password=" in stored and "127.0.0.1" in stored
    finally:
        engine.close()


def test_postgres_errors_do_not_leak_the_password(pg_events: str, tmp_path: Path) -> None:
    url = make_url(pg_events)
    wrong = url.set(password="not-the-" + (url.password or "")).render_as_string(
        hide_password=False
    )
    engine = Engine(None)
    try:
        for bad_url, query in [(wrong, QUERY), (pg_events, "select * from no_such_table")]:
            source = SourceConfig(name="pg", table="events", url=bad_url, query=query)
            with pytest.raises(DataError, match="the query failed") as info:
                load(engine, source, tmp_path)
            assert str(url.password) not in str(info.value)
            assert "source pg" in str(info.value)
        assert engine.count("hx_loads") == 0
        assert engine.count("raw_events") == 0
    finally:
        engine.close()
