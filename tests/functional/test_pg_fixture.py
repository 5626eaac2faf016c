"""The ``postgres_url`` fixture gives a real, writable PostgreSQL database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.postgres


def test_fixture_round_trips_rows(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        meta = sa.MetaData()
        customers = sa.Table(
            "fixture_probe_customers",
            meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("city", sa.Text),
        )
        rows = [
            {"id": 1, "name": "张伟", "city": "上海"},
            {"id": 2, "name": "Li Na", "city": None},
            {"id": 3, "name": "王芳", "city": "成都"},
        ]
        with engine.begin() as conn:
            meta.create_all(conn)
            conn.execute(customers.insert(), rows)

        with engine.connect() as conn:
            got = conn.execute(sa.select(customers).order_by(customers.c.id)).mappings().all()
            assert [dict(r) for r in got] == rows
            assert conn.execute(sa.text("select current_database()")).scalar_one() == (
                "huaxiang_test"
            )
            assert conn.dialect.name == "postgresql"
            assert conn.dialect.driver == "psycopg"

        with engine.begin() as conn:
            meta.drop_all(conn)
    finally:
        engine.dispose()
