"""The operational store: runs and the audit trail.

Later also users, journey state, the send ledger and consent.

SQLite in the workspace by default, PostgreSQL for a team server, both through SQLAlchemy Core.
This module is its only owner; nothing else opens the store's connection.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import SQLAlchemyError

from huaxiang.errors import StoreError

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("summary", JSON),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    # never personal data: ids of loads/runs, counts, file names
    Column("detail", JSON),
)


def _now() -> datetime:
    return datetime.now(UTC)


class OperationalStore:
    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine: SAEngine = create_engine(url, future=True)
            metadata.create_all(self.engine)
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot open the operational store: {exc.__class__.__name__}: {exc}",
                hint="check store.url in huaxiang.yaml",
            ) from None

    @classmethod
    def sqlite(cls, path: Path) -> OperationalStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{path}")

    def start_run(self, kind: str) -> str:
        run_id = str(uuid.uuid4())
        with self.engine.begin() as con:
            con.execute(
                insert(runs).values(run_id=run_id, kind=kind, started_at=_now(), status="running")
            )
        return run_id

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any] | None = None) -> None:
        payload = json.loads(json.dumps(summary or {}, default=str))
        with self.engine.begin() as con:
            con.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(finished_at=_now(), status=status, summary=payload)
            )

    def audit(self, action: str, detail: dict[str, Any], actor: str = "cli") -> None:
        payload = json.loads(json.dumps(detail, default=str))
        with self.engine.begin() as con:
            con.execute(
                insert(audit_log).values(at=_now(), actor=actor, action=action, detail=payload)
            )

    def recent_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.engine.connect() as con:
            rows = con.execute(select(runs).order_by(runs.c.started_at.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]

    def audit_entries(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.engine.connect() as con:
            rows = con.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]

    def close(self) -> None:
        self.engine.dispose()
