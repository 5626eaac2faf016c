"""Provenance, row numbers, idempotent re-loads and all-or-nothing loads."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import EngineError
from huaxiang.ingest.loader import LoadResult, load
from huaxiang.schema import TABLES
from huaxiang.warehouse import ensure_layout


def put(root: Path, text: str, name: str = "c.csv") -> Path:
    path = root / name
    path.write_bytes(text.encode("utf-8"))
    return path


def load_csv(engine: Engine, root: Path, name: str = "c.csv", **options: Any) -> LoadResult:
    options.setdefault("table", "customers")
    return load(engine, SourceConfig(name=options.pop("source", "crm"), path=name, **options), root)


def snapshot(engine: Engine) -> dict[str, list[str]]:
    tables = [f"raw_{t}" for t in TABLES] + ["quarantine", "hx_loads"]
    return {t: sorted(map(repr, engine.rows(f"select * from {t}"))) for t in tables}


def rows(engine: Engine) -> list[tuple[Any, ...]]:
    return engine.rows("select _row, customer_id from raw_customers order by _row")


def read_rejects(engine: Engine) -> list[int]:
    return [r[0] for r in engine.rows("select _row from quarantine order by _row")]


# -- provenance and row numbers -------------------------------------------------------------
def test_every_row_carries_its_provenance(engine: Engine, tmp_path: Path) -> None:
    path = put(tmp_path, "客户编号,姓名\nC1,张伟\nC2,王芳\n")
    result = load_csv(engine, tmp_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.load_id == f"crm:{digest[:12]}"
    assert engine.rows("select _source, _load_id, _row from raw_customers order by _row") == [
        ("crm", result.load_id, 2),
        ("crm", result.load_id, 3),
    ]
    load_row = engine.dicts("select * from hx_loads")[0]
    assert {k: load_row[k] for k in ("load_id", "source", "table_name", "path", "sha256")} == {
        "load_id": result.load_id,
        "source": "crm",
        "table_name": "customers",
        "path": str(path),
        "sha256": digest,
    }
    assert (load_row["status"], load_row["rows_read"], load_row["rows_rejected_on_read"]) == (
        "loaded",
        2,
        0,
    )
    assert json.loads(load_row["mapping"])["fields"] == {"客户编号": "customer_id", "姓名": "name"}


def test_rows_after_rejected_rows_keep_their_numbers(engine: Engine, tmp_path: Path) -> None:
    put(
        tmp_path,
        "客户编号,姓名,城市\n"
        "R2,张伟,上海\n"  # 2
        "R3,王芳\n"  # 3: too few values
        "R4,李娜,北京\n"  # 4
        "R5,a,b,c,d\n"  # 5: too many
        "R6,x,y,z\n"  # 6: too many
        "R7,赵六,广州\n",  # 7
    )
    result = load_csv(engine, tmp_path)
    assert (result.rows_read, result.rows_rejected) == (6, 3)
    assert rows(engine) == [(2, "R2"), (4, "R4"), (7, "R7")]
    assert read_rejects(engine) == [3, 5, 6]
    quarantined = engine.dicts("select * from quarantine where _row = 3")[0]
    assert quarantined["stage"] == "read" and quarantined["_load_id"] == result.load_id
    assert json.loads(quarantined["record"]) == "R3,王芳"


def test_empty_lines_and_multi_line_values_count_as_spreadsheet_rows(
    engine: Engine, tmp_path: Path
) -> None:
    put(
        tmp_path,
        "客户编号,姓名,备注\n"
        'R2,张伟,"第一行\n\n第三行"\n'  # 2: one record over three lines
        "\n"  # 3: empty
        "R4,王芳\n"  # 4: rejected
        "\r\n"  # 5: empty
        "\n"  # 6: empty
        'R7,李娜,"""引号"""\n'  # 7
        "R8,赵六,ok\n"  # 8
        "\n",
    )
    result = load_csv(engine, tmp_path)
    assert rows(engine) == [(2, "R2"), (7, "R7"), (8, "R8")]
    assert read_rejects(engine) == [4]
    assert (result.rows_read, result.rows_rejected) == (4, 1)
    assert engine.rows("select attributes->>'备注' from raw_customers order by _row") == [
        ("第一行\n\n第三行",),
        ('"引号"',),
        ("ok",),
    ]


def test_one_column_file_keeps_empty_lines_as_rows(engine: Engine, tmp_path: Path) -> None:
    put(tmp_path, "客户编号\nR2\n\nR4\n")
    load_csv(engine, tmp_path)
    assert rows(engine) == [(2, "R2"), (3, None), (4, "R4")]


@pytest.mark.parametrize("column", ["rowid", "ROWID", "_row", "k", "hx_k", "_source"])
def test_headers_that_look_like_internal_columns(
    engine: Engine, tmp_path: Path, column: str
) -> None:
    put(tmp_path, f"客户编号,{column}\nR2,9\nR3,1\nR4\nR5,5\n")
    result = load_csv(engine, tmp_path)
    assert rows(engine) == [(2, "R2"), (3, "R3"), (5, "R5")]
    assert read_rejects(engine) == [4]
    key = "_row_1" if column == "_row" else column
    assert result.mapping is not None and result.mapping.attributes == [key]
    assert [
        json.loads(r[0]) for r in engine.rows("select attributes from raw_customers order by _row")
    ] == [
        {key: "9"},
        {key: "1"},
        {key: "5"},
    ]


def test_row_numbers_in_a_larger_file(engine: Engine, tmp_path: Path) -> None:
    lines = ["客户编号,姓名,备注"]
    expected_rows, expected_rejects = [], []
    for row in range(2, 30_002):
        if row % 997 == 0:
            lines.append(f"R{row},坏行")
            expected_rejects.append(row)
        elif row % 1009 == 0:
            lines.append("")
        else:
            lines.append(f"R{row},名字{row},备注 {row}")
            expected_rows.append((row, f"R{row}"))
    put(tmp_path, "\n".join(lines) + "\n")
    result = load_csv(engine, tmp_path)
    assert rows(engine) == expected_rows
    assert read_rejects(engine) == expected_rejects
    assert result.rows_read == len(expected_rows) + len(expected_rejects)


@pytest.mark.parametrize("ending", ["\r\n", "\n\n"], ids=["crlf", "empty-line"])
def test_line_endings_across_the_4_mib_read_blocks(
    engine: Engine, tmp_path: Path, ending: str
) -> None:
    """The newline scans read 4 MiB blocks: a \r\n or an empty line split between two blocks
    is still seen (here the split falls exactly inside ``ending``)."""
    block = 1 << 22
    data = bytearray("客户编号,姓名\n".encode())
    row = 2
    while len(data) < block - 100:
        data += f"R{row},名{row}\n".encode()
        row += 1
    prefix = f"R{row},".encode()
    width = block - 1 - len(data) - len(prefix)
    data += prefix + b"x" * width + ending.encode()
    assert data[block - 1 : block + 1] == ending.encode()[:2]
    split_row = row
    after = row + (2 if ending == "\n\n" else 1)  # an empty line is a row of its own
    data += f"R{after}\nR{after + 1},尾\n".encode()  # a ragged row, then a good one
    (tmp_path / "c.csv").write_bytes(bytes(data))
    result = load_csv(engine, tmp_path)
    got = rows(engine)
    assert got[0] == (2, "R2") and got[-2][0] == split_row
    assert got[-1] == (after + 1, f"R{after + 1}")
    assert [r[0] for r in got] == [*range(2, split_row + 1), after + 1]
    assert read_rejects(engine) == [after]
    value = engine.scalar("select name from raw_customers where _row = ?", [split_row])
    assert value == "x" * width  # no stray \r
    assert result.rows_read == len(got) + 1


def test_rows_read_is_accepted_plus_rejected(engine: Engine, tmp_path: Path) -> None:
    put(tmp_path, "客户编号,姓名\nC1,a\nC2\nC3,c\nC4,d,e\n")
    result = load_csv(engine, tmp_path)
    raw = engine.count("raw_customers", f"_load_id = '{result.load_id}'")
    rejected = engine.count("quarantine", f"_load_id = '{result.load_id}' and stage = 'read'")
    assert (raw, rejected) == (2, 2)
    assert result.rows_read == raw + rejected
    assert result.rows_rejected == rejected


# -- idempotence ----------------------------------------------------------------------------
def test_same_file_twice_is_unchanged(engine: Engine, tmp_path: Path) -> None:
    path = put(tmp_path, "客户编号,姓名\nC1,张伟\nC2\n")
    first = load_csv(engine, tmp_path)
    before = snapshot(engine)
    os.utime(path, (1, 1))  # a new modification time alone changes nothing
    second = load_csv(engine, tmp_path)
    assert first.status == "loaded"
    assert second.status == "unchanged"
    assert (second.load_id, second.rows_read, second.rows_rejected) == (
        first.load_id,
        first.rows_read,
        first.rows_rejected,
    )
    assert snapshot(engine) == before
    assert engine.count("raw_customers") == 1


def test_a_new_version_replaces_the_old_one(engine: Engine, tmp_path: Path) -> None:
    put(tmp_path, "客户编号,姓名\nC1,张伟\nC2\nC3,李娜\n")
    first = load_csv(engine, tmp_path)
    put(tmp_path, "客户编号,姓名\nC1,张伟\nC2,王芳\nC3,李娜\nC4\nC5,赵六\n")
    second = load_csv(engine, tmp_path)
    assert second.status == "replaced"
    assert second.load_id != first.load_id
    assert engine.rows("select load_id, status from hx_loads order by loaded_at") == [
        (first.load_id, "superseded"),
        (second.load_id, "loaded"),
    ]
    assert engine.rows("select distinct _load_id from raw_customers") == [(second.load_id,)]
    assert rows(engine) == [(2, "C1"), (3, "C2"), (4, "C3"), (6, "C5")]
    assert engine.rows("select _load_id, _row from quarantine") == [(second.load_id, 5)]
    # back to the first version: loaded again, under its old id
    put(tmp_path, "客户编号,姓名\nC1,张伟\nC2\nC3,李娜\n")
    third = load_csv(engine, tmp_path)
    assert (third.status, third.load_id) == ("replaced", first.load_id)
    assert rows(engine) == [(2, "C1"), (4, "C3")]
    assert engine.rows("select load_id, status from hx_loads order by load_id") == sorted(
        [(first.load_id, "loaded"), (second.load_id, "superseded")]
    )


def test_sources_are_independent(engine: Engine, tmp_path: Path) -> None:
    put(tmp_path, "客户编号,姓名\nC1,张伟\n")
    a = load_csv(engine, tmp_path, source="shop_a")
    b = load_csv(engine, tmp_path, source="shop_b")
    assert (a.status, b.status) == ("loaded", "loaded")
    assert engine.rows("select _source from raw_customers order by 1") == [
        ("shop_a",),
        ("shop_b",),
    ]


def test_a_changed_mapping_reloads_the_same_file(engine: Engine, tmp_path: Path) -> None:
    put(tmp_path, "客户编号,会员卡号\nC1,M1\n")
    load_csv(engine, tmp_path)
    assert engine.rows("select customer_id, attributes from raw_customers") == [
        ("C1", '{"会员卡号":"M1"}')
    ]
    again = load_csv(engine, tmp_path, mapping={"会员卡号": "union_id"})
    assert again.status == "replaced"
    assert engine.rows("select customer_id, union_id, attributes from raw_customers") == [
        ("C1", "M1", None)
    ]
    assert load_csv(engine, tmp_path, mapping={"会员卡号": "union_id"}).status == "unchanged"


def test_a_changed_table_moves_the_rows(engine: Engine, tmp_path: Path) -> None:
    put(tmp_path, "订单号,客户编号,下单时间,金额\nO1,C1,2024-05-01,9.9\n")
    load_csv(engine, tmp_path, table="customers")
    assert engine.count("raw_customers") == 1
    result = load_csv(engine, tmp_path, table="orders")
    assert (result.status, result.table) == ("replaced", "orders")
    assert engine.count("raw_customers") == 0
    assert engine.rows("select order_id, customer_id, amount from raw_orders") == [
        ("O1", "C1", "9.9")
    ]


# -- atomicity ------------------------------------------------------------------------------
GOOD = "客户编号,姓名\nC1,张伟\nC2\nC3,李娜\n"


@pytest.mark.parametrize(
    ("ddl", "bad"),
    [
        (  # the insert into the raw table fails, after the old version's rows were deleted
            "create table raw_customers (_source varchar not null, _load_id varchar not null, "
            "_row bigint, {cols}, attributes json, check (name is distinct from 'BOOM'))",
            "客户编号,姓名\nC1,张伟\nC2,BOOM\nC4,赵六\n",
        ),
        (  # the quarantine insert fails, after the raw rows were written
            "create table quarantine (table_name varchar not null, _source varchar not null, "
            "_load_id varchar not null, _row bigint, stage varchar not null, "
            "rule varchar not null, column_name varchar, reason varchar not null, record json, "
            "check (reason not like 'TOO MANY%'))",
            "客户编号,姓名\nC1,张伟\nC2,王芳,多余\nC4,赵六\n",
        ),
        (  # the provenance row fails last
            "create table hx_loads (load_id varchar primary key, source varchar not null, "
            "table_name varchar not null, path varchar, format varchar, encoding varchar, "
            "sha256 varchar not null, loaded_at timestamp not null, status varchar not null, "
            "rows_read bigint not null check (rows_read < 5), "
            "rows_rejected_on_read bigint not null, rows_accepted bigint, "
            "rows_quarantined bigint, rows_merged bigint, mapping json)",
            "客户编号,姓名\n" + "".join(f"C{i},名{i}\n" for i in range(9)),
        ),
    ],
    ids=["raw-insert", "quarantine-insert", "hx-loads-insert"],
)
def test_a_failure_half_way_changes_nothing(tmp_path: Path, ddl: str, bad: str) -> None:
    warehouse = tmp_path / "w.duckdb"
    engine = Engine(warehouse)
    try:
        cols = ", ".join(f'"{f}" varchar' for f in TABLES["customers"].field_names)
        engine.execute(ddl.format(cols=cols))
        ensure_layout(engine)
        put(tmp_path, GOOD)
        first = load_csv(engine, tmp_path)
        before = snapshot(engine)
        assert before["raw_customers"] and before["quarantine"] and before["hx_loads"]
        put(tmp_path, bad)
        with pytest.raises(EngineError):
            load_csv(engine, tmp_path)
        assert snapshot(engine) == before
        # the warehouse is still usable, and a good version still loads
        put(tmp_path, GOOD.replace("C3", "C9"))
        assert load_csv(engine, tmp_path).status == "replaced"
        put(tmp_path, GOOD)
        assert load_csv(engine, tmp_path).load_id == first.load_id
        after_recovery = snapshot(engine)
    finally:
        engine.close()
    reopened = Engine(warehouse)
    try:
        assert snapshot(reopened) == after_recovery
        assert reopened.rows("select status from hx_loads where load_id = ?", [first.load_id]) == [
            ("loaded",)
        ]
    finally:
        reopened.close()


def test_a_failed_load_survives_a_restart_unchanged(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    engine = Engine(warehouse)
    try:
        cols = ", ".join(f'"{f}" varchar' for f in TABLES["customers"].field_names)
        engine.execute(
            "create table raw_customers (_source varchar not null, _load_id varchar not null, "
            f"_row bigint, {cols}, attributes json, check (name is distinct from 'BOOM'))"
        )
        put(tmp_path, GOOD)
        load_csv(engine, tmp_path)
        before = snapshot(engine)
        put(tmp_path, "客户编号,姓名\nC1,BOOM\n")
        with pytest.raises(EngineError):
            load_csv(engine, tmp_path)
    finally:
        engine.close()
    reopened = Engine(warehouse)
    try:
        assert snapshot(reopened) == before
    finally:
        reopened.close()
