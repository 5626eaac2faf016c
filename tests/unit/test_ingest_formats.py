"""Every input format through the real loader: real files in tmp_path, a real DuckDB."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import DataError
from huaxiang.ingest.loader import LoadResult, load, preview

CUSTOMERS_ZH = "客户编号,姓名,所在城市\nC001,张伟,上海\nC002,王芳,北京\n"
EXPECTED_ZH = [(2, "C001", "张伟", "上海"), (3, "C002", "王芳", "北京")]


def write(root: Path, name: str, data: bytes | str) -> Path:
    path = root / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def load_file(
    engine: Engine, root: Path, name: str, table: str = "customers", **options: Any
) -> LoadResult:
    return load(engine, SourceConfig(name="src", table=table, path=name, **options), root)


def customers(engine: Engine) -> list[tuple[Any, ...]]:
    return engine.rows("select _row, customer_id, name, city from raw_customers order by _row")


def read_rejects(engine: Engine) -> list[tuple[Any, ...]]:
    return engine.rows("select _row, reason from quarantine where stage = 'read' order by _row")


# -- delimited text and encodings ----------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CUSTOMERS_ZH.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CUSTOMERS_ZH.encode("utf-8"), "utf-8-sig"),
        (CUSTOMERS_ZH.encode("gbk"), "gb18030"),
        (CUSTOMERS_ZH.encode("utf-16"), "utf-16"),  # Excel "Unicode text": BOM + UTF-16-LE
        (CUSTOMERS_ZH.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "utf16-bom", "crlf"],
)
def test_csv_encodings_are_detected_and_values_survive(
    engine: Engine, tmp_path: Path, data: bytes, encoding: str
) -> None:
    write(tmp_path, "c.csv", data)
    result = load_file(engine, tmp_path, "c.csv")
    assert (result.status, result.format, result.encoding) == ("loaded", "csv", encoding)
    assert (result.rows_read, result.rows_rejected) == (2, 0)
    # the BOM is not part of the first header: 客户编号 still maps to customer_id
    assert customers(engine) == EXPECTED_ZH


def test_gb18030_characters_outside_gbk(engine: Engine, tmp_path: Path) -> None:
    rare = "𠀀䶮"  # CJK Extension B and a GB18030-2005 character: not in GBK
    with pytest.raises(UnicodeEncodeError):
        "𠀀".encode("gbk")
    write(tmp_path, "g.csv", f"客户编号,姓名\nC1,王{rare}\nC2,李四\n".encode("gb18030"))
    result = load_file(engine, tmp_path, "g.csv")
    assert result.encoding == "gb18030"
    assert engine.rows("select customer_id, name from raw_customers order by _row") == [
        ("C1", f"王{rare}"),
        ("C2", "李四"),
    ]


def test_big5_is_not_mistaken_for_gbk(engine: Engine, tmp_path: Path) -> None:
    text = "客戶編號,姓名,城市\nC1,陳大文,臺北\nC2,黃小明,香港\n"
    data = text.encode("big5")
    data.decode("gb18030")  # the trap: Big5 bytes are valid GB18030 too
    write(tmp_path, "b.csv", data)
    result = load_file(engine, tmp_path, "b.csv", mapping={"客戶編號": "customer_id"})
    assert result.encoding == "big5"
    assert customers(engine) == [(2, "C1", "陳大文", "臺北"), (3, "C2", "黃小明", "香港")]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(engine: Engine, tmp_path: Path, codec: str) -> None:
    write(tmp_path, "w.csv", CUSTOMERS_ZH.encode(codec))
    assert load_file(engine, tmp_path, "w.csv").encoding == codec
    assert customers(engine) == EXPECTED_ZH


def test_declared_encoding_is_validated(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "customer_id,name\nC1,x\nC2,王芳\n".encode("gbk"))
    with pytest.raises(DataError, match="not valid utf-8") as info:
        load_file(engine, tmp_path, "d.csv", encoding="utf-8")
    assert str(path) in str(info.value)
    assert "line 3" in str(info.value) and "offset 25" in str(info.value)
    assert load_file(engine, tmp_path, "d.csv", encoding="gbk").encoding == "gb18030"
    assert engine.rows("select name from raw_customers order by _row") == [("x",), ("王芳",)]
    with pytest.raises(DataError, match="unknown encoding"):
        load_file(engine, tmp_path, "d.csv", encoding="klingon")


def test_undecodable_bytes_name_the_file(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", b"customer_id,name\n" + bytes(range(128, 256)))
    with pytest.raises(DataError, match="cannot tell the text encoding") as info:
        load_file(engine, tmp_path, "x.csv")
    assert str(path) in str(info.value)


@pytest.fixture
def sampled_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large-file UTF-8 detection (head + windows) on a small file: the head is 30 bytes."""
    import huaxiang.ingest.encoding as encoding

    monkeypatch.setattr(encoding, "SAMPLED_ABOVE", 0)
    monkeypatch.setattr(encoding, "_HEAD", 30)
    monkeypatch.setattr(encoding, "_WINDOWS", 1)


def test_large_utf8_csv_with_one_bad_line_rejects_only_that_line(
    engine: Engine, tmp_path: Path, sampled_utf8: None
) -> None:
    data = b"customer_id,name\nC1,\xe5\xbc\xa0\xe4\xbc\x9f\n" + b"C2,\xff\xfe\nC3,ok\n"
    write(tmp_path, "u.csv", data)
    result = load_file(engine, tmp_path, "u.csv")
    assert (result.encoding, result.rows_read, result.rows_rejected) == ("utf-8", 3, 1)
    assert engine.rows("select _row, name from raw_customers order by _row") == [
        (2, "张伟"),
        (4, "ok"),
    ]
    assert [r[0] for r in read_rejects(engine)] == [3]


def test_large_utf8_jsonl_with_one_bad_line_rejects_only_that_line(
    engine: Engine, tmp_path: Path, sampled_utf8: None
) -> None:
    good = json.dumps(
        {"customer_id": "C1", "time": "2024-05-01", "event": "浏览"}, ensure_ascii=False
    ).encode()
    bad = b'{"customer_id": "C2", "time": "2024-05-01", "event": "\xff"}'
    write(tmp_path, "e.jsonl", good + b"\n" + bad + b"\n" + good.replace(b"C1", b"C3") + b"\n")
    result = load_file(engine, tmp_path, "e.jsonl", table="events")
    assert (result.rows_read, result.rows_rejected) == (3, 1)
    assert engine.rows("select _row, customer_id from raw_events order by _row") == [
        (1, "C1"),
        (3, "C3"),
    ]
    column = bad.index(b"\xff") + 1
    assert read_rejects(engine) == [(2, f"not valid UTF-8 (bad byte at column {column})")]


@pytest.mark.parametrize(
    ("name", "data", "options"),
    [
        ("t.tsv", CUSTOMERS_ZH.replace(",", "\t"), {}),
        ("s.csv", CUSTOMERS_ZH.replace(",", ";"), {}),
        ("p.csv", CUSTOMERS_ZH.replace(",", "|"), {}),
        ("t.txt", CUSTOMERS_ZH.replace(",", "\t"), {}),
        ("x.dat", CUSTOMERS_ZH.replace(",", "#"), {"format": "csv", "delimiter": "#"}),
    ],
    ids=["tsv", "semicolon", "pipe", "txt-tab", "explicit"],
)
def test_delimiters(
    engine: Engine, tmp_path: Path, name: str, data: str, options: dict[str, Any]
) -> None:
    write(tmp_path, name, data)
    result = load_file(engine, tmp_path, name, **options)
    assert result.format in ("csv", "tsv")
    assert customers(engine) == EXPECTED_ZH


def test_quoted_fields_with_delimiters_quotes_and_newlines(engine: Engine, tmp_path: Path) -> None:
    write(
        tmp_path,
        "q.csv",
        "客户编号,姓名,所在城市,备注\n"
        'C1,"张,伟","上海\n浦东","他说""好""\n\n第二段"\n'
        "C2,王芳,北京,\n",
    )
    result = load_file(engine, tmp_path, "q.csv")
    assert (result.rows_read, result.rows_rejected) == (2, 0)
    assert customers(engine) == [(2, "C1", "张,伟", "上海\n浦东"), (3, "C2", "王芳", "北京")]
    notes = engine.rows("select attributes->>'备注' from raw_customers order by _row")
    assert notes == [('他说"好"\n\n第二段',), (None,)]


def test_mixed_line_endings(engine: Engine, tmp_path: Path) -> None:
    # rows appended on another system: \r\n and \n in one file (DuckDB alone refuses it)
    write(tmp_path, "m.csv", '客户编号,姓名\r\nC1,张伟\r\n\r\nC3\nC4,"王\r\n芳"\nC5,李娜\n')
    result = load_file(engine, tmp_path, "m.csv")
    assert (result.rows_read, result.rows_rejected) == (4, 1)
    assert engine.rows("select _row, customer_id, name from raw_customers order by 1") == [
        (2, "C1", "张伟"),
        (5, "C4", "王\n芳"),
        (6, "C5", "李娜"),
    ]
    assert read_rejects(engine) == [(4, "MISSING COLUMNS: Expected Number of Columns: 2 Found: 1")]


def test_unknown_extension_needs_a_format(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "c.dat", CUSTOMERS_ZH)
    with pytest.raises(DataError, match="cannot tell the format") as info:
        load_file(engine, tmp_path, "c.dat")
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "empty"), (b"\n\n", "header"), (b"\xef\xbb\xbf", "header")],
    ids=["empty", "blank-lines", "bom-only"],
)
def test_files_without_a_header(engine: Engine, tmp_path: Path, data: bytes, message: str) -> None:
    path = write(tmp_path, "e.csv", data)
    with pytest.raises(DataError, match=message) as info:
        load_file(engine, tmp_path, "e.csv")
    assert str(path) in str(info.value)


def test_header_only_file_loads_nothing(engine: Engine, tmp_path: Path) -> None:
    write(tmp_path, "h.csv", "客户编号,姓名\n")
    result = load_file(engine, tmp_path, "h.csv")
    assert (result.status, result.rows_read, result.rows_rejected) == ("loaded", 0, 0)
    assert engine.count("raw_customers") == 0


def test_missing_file_and_directory(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        load_file(engine, tmp_path, "nope.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataError, match="not a file") as info:
        load_file(engine, tmp_path, "dir.csv")
    assert str(tmp_path / "dir.csv") in str(info.value)


# -- Excel ----------------------------------------------------------------------------------
def make_workbook(path: Path) -> None:
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "说明"
    notes["A1"] = "本文件由 CRM 导出"
    sheet = book.create_sheet("客户")
    sheet.append(["客户编号", "姓名", "首次购买时间", "最近购买时间", "客单价", "购买频次"])
    sheet.append(["C001", "张伟", dt.date(2024, 1, 5), dt.datetime(2024, 3, 1, 9, 30), 128.5, 3])
    sheet.append(["C002", "王芳", dt.datetime(2023, 12, 31), None, 99, 1.0])
    orders = book.create_sheet("订单")
    orders.append(["订单号", "客户编号", "下单时间", "金额"])
    orders.append(["O1", "C001", dt.datetime(2024, 3, 1, 9, 30, 5), 12.3])
    book.save(path)


@pytest.mark.parametrize("sheet", ["客户", 1], ids=["by-name", "by-index"])
def test_xlsx_sheet_by_name_or_index(engine: Engine, tmp_path: Path, sheet: str | int) -> None:
    make_workbook(tmp_path / "crm.xlsx")
    result = load_file(engine, tmp_path, "crm.xlsx", sheet=sheet)
    assert (result.format, result.encoding, result.rows_read) == ("xlsx", None, 2)
    got = engine.rows(
        "select _row, customer_id, name, first_purchase_at, last_purchase_at, avg_order_value, "
        "purchase_frequency from raw_customers order by _row"
    )
    # a date cell reads as a date, and as a timestamp when it has a time of day
    assert got == [
        (2, "C001", "张伟", "2024-01-05", "2024-03-01 09:30:00", "128.5", "3"),
        (3, "C002", "王芳", "2023-12-31", None, "99", "1"),
    ]


def test_xlsx_default_is_the_first_sheet(engine: Engine, tmp_path: Path) -> None:
    make_workbook(tmp_path / "crm.xlsx")
    with pytest.raises(DataError, match="required field") as info:
        load_file(engine, tmp_path, "crm.xlsx")
    assert "本文件由 CRM 导出" in str(info.value)  # the notes sheet's only cell was the header
    result = load_file(engine, tmp_path, "crm.xlsx", table="orders", sheet="订单")
    assert result.rows_read == 1
    assert engine.rows(
        "select _row, order_id, customer_id, ordered_at, amount from raw_orders"
    ) == [(2, "O1", "C001", "2024-03-01 09:30:05", "12.3")]


@pytest.mark.parametrize(
    ("sheet", "message"), [("客 户", "no sheet named '客 户'"), (7, "sheet index 7")]
)
def test_xlsx_wrong_sheet_lists_the_sheets(
    engine: Engine, tmp_path: Path, sheet: str | int, message: str
) -> None:
    make_workbook(tmp_path / "crm.xlsx")
    with pytest.raises(DataError, match=message) as info:
        load_file(engine, tmp_path, "crm.xlsx", sheet=sheet)
    assert str(tmp_path / "crm.xlsx") in str(info.value)
    assert "sheets: 说明, 客户, 订单" in str(info.value)


def test_xlsx_rows_keep_their_sheet_numbers_and_no_cell_is_dropped(
    engine: Engine, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A3"], sheet["B3"], sheet["C3"], sheet["D3"] = "客户编号", "姓名", "_row", "Name"
    sheet.append(["C1", "张伟", "r1", "zw"])  # row 4
    sheet.append([])  # row 5 stays empty
    sheet.append(["C2", "王芳", None, None, "no header"])  # row 6, a value right of the header
    book.save(tmp_path / "w.xlsx")
    result = load_file(engine, tmp_path, "w.xlsx")
    assert result.rows_read == 2
    got = engine.rows("select _row, customer_id, name, attributes from raw_customers order by 1")
    assert [(r[0], r[1], r[2], json.loads(r[3])) for r in got] == [
        (4, "C1", "张伟", {"_row_1": "r1", "Name": "zw", "column5": None}),
        (6, "C2", "王芳", {"_row_1": None, "Name": None, "column5": "no header"}),
    ]


def test_not_a_workbook(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "fake.xlsx", CUSTOMERS_ZH)
    with pytest.raises(DataError, match=r"not a readable \.xlsx") as info:
        load_file(engine, tmp_path, "fake.xlsx")
    assert str(path) in str(info.value)


# -- Parquet --------------------------------------------------------------------------------
def test_parquet_typed_columns_become_text(engine: Engine, tmp_path: Path) -> None:
    table = pa.table(
        {
            "customer_id": pa.array([1001, 1002], pa.int64()),
            "age": pa.array([30, None], pa.int32()),
            "avg_order_value": pa.array(
                [decimal.Decimal("128.50"), decimal.Decimal("7.00")], pa.decimal128(10, 2)
            ),
            "birth_date": pa.array([dt.date(1990, 1, 2), dt.date(2000, 12, 31)]),
            "registered_at": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5), None]),
            "score": pa.array([1.5, 2.0]),
            "vip": pa.array([True, False]),
            "tags": pa.array([["a", "b"], []]),
            "extra": pa.array([{"k": "v", "n": 1}, None]),
            "_row": pa.array(["r1", "r2"]),
        }
    )
    pq.write_table(table, tmp_path / "c.parquet")
    result = load_file(engine, tmp_path, "c.parquet")
    assert (result.format, result.rows_read) == ("parquet", 2)
    got = engine.rows(
        "select _row, customer_id, age, avg_order_value, birth_date, registered_at, attributes "
        "from raw_customers order by _row"
    )
    assert [r[:6] for r in got] == [
        (2, "1001", "30", "128.50", "1990-01-02", "2024-01-02 03:04:05"),
        (3, "1002", None, "7.00", "2000-12-31", None),
    ]
    attributes = [json.loads(r[6]) for r in got]
    assert attributes[0] == {
        "score": "1.5",
        "vip": "true",
        "tags": '["a","b"]',
        "extra": '{"k":"v","n":1}',
        "_row_1": "r1",
    }
    assert json.loads(attributes[0]["extra"]) == {"k": "v", "n": 1}  # nested values are JSON
    assert attributes[1] == {
        "score": "2.0",
        "vip": "false",
        "tags": "[]",
        "extra": None,
        "_row_1": "r2",
    }


def test_not_a_parquet_file(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.parquet", b"PAR1 not really")
    with pytest.raises(DataError, match="not a readable Parquet") as info:
        load_file(engine, tmp_path, "bad.parquet")
    assert str(path) in str(info.value)


# -- JSON Lines -----------------------------------------------------------------------------
def test_jsonl_nested_properties_and_malformed_lines(engine: Engine, tmp_path: Path) -> None:
    lines = [
        json.dumps({"用户ID": "C1", "ts": "2024-05-01 10:00", "event": "view",
                    "properties": {"sku": "A-1", "price": 9.9, "tags": ["新品"]}},
                   ensure_ascii=False),
        '{"用户ID": "C2", "ts": "2024-05-01", "event": "buy"',  # line 2: truncated
        json.dumps({"用户ID": "C2", "ts": "2024-05-02", "event": "buy", "来源": "小程序"},
                   ensure_ascii=False),
        "[1, 2]",  # line 4: JSON, but not an object
        "",  # line 5: empty lines are not records
        "   ",
        'not json at all',  # line 7
        json.dumps({"用户ID": "C3", "ts": "2024-05-03", "event": "view", "properties": None}),
    ]  # fmt: skip
    write(tmp_path, "e.jsonl", "\n".join(lines) + "\n")
    result = load_file(engine, tmp_path, "e.jsonl", table="events")
    assert (result.format, result.rows_read, result.rows_rejected) == ("jsonl", 6, 3)
    got = engine.rows(
        "select _row, customer_id, occurred_at, event_type, properties, attributes "
        "from raw_events order by _row"
    )
    assert [r[:4] for r in got] == [
        (1, "C1", "2024-05-01 10:00", "view"),
        (3, "C2", "2024-05-02", "buy"),
        (8, "C3", "2024-05-03", "view"),
    ]
    assert json.loads(got[0][4]) == {"sku": "A-1", "price": 9.9, "tags": ["新品"]}
    assert got[1][4] is None and got[2][4] is None
    assert [json.loads(r[5]) for r in got] == [{"来源": None}, {"来源": "小程序"}, {"来源": None}]
    assert read_rejects(engine) == [
        (2, "malformed JSON"),
        (4, "not a JSON object"),
        (7, "malformed JSON"),
    ]
    raw = engine.scalar("select record from quarantine where _row = 2")
    assert json.loads(raw) == lines[1]  # the unreadable line is kept as it was


def test_jsonl_odd_keys(engine: Engine, tmp_path: Path) -> None:
    record = {
        "customer_id": "C1", "ts": "t", "event": "e",
        "": 1, "*": 2, 'say "hi"': 3, "a\\b": 4, "a.b": 5, "Name": 6, "name": 7, "_row": 8,
    }  # fmt: skip
    write(tmp_path, "k.jsonl", json.dumps(record) + "\n" + json.dumps({"customer_id": "C2"}))
    result = load_file(engine, tmp_path, "k.jsonl", table="events")
    assert result.rows_read == 2
    attributes = [
        json.loads(r[0]) for r in engine.rows("select attributes from raw_events order by _row")
    ]
    assert attributes[0] == {
        "column4": "1", "*": "2", 'say "hi"': "3", "a\\b": "4", "a.b": "5", "Name": "6",
        "name_1": "7", "_row_1": "8",
    }  # fmt: skip
    assert set(attributes[1].values()) == {None}
    assert engine.rows("select _row from raw_events order by 1") == [(1,), (2,)]


def test_jsonl_in_gbk_and_with_crlf(engine: Engine, tmp_path: Path) -> None:
    text = '{"客户编号": "C1", "时间": "2024-01-01", "行为": "浏览"}\r\n'
    write(tmp_path, "g.jsonl", (text * 2).encode("gbk"))
    result = load_file(engine, tmp_path, "g.jsonl", table="events")
    assert (result.encoding, result.rows_read, result.rows_rejected) == ("gb18030", 2, 0)
    assert engine.rows("select _row, customer_id, event_type from raw_events order by 1") == [
        (1, "C1", "浏览"),
        (2, "C1", "浏览"),
    ]


def test_jsonl_with_a_byte_order_mark(engine: Engine, tmp_path: Path) -> None:
    line = '{"客户编号": "C1", "时间": "2024-01-01", "行为": "浏览"}\n'
    write(tmp_path, "b.jsonl", b"\xef\xbb\xbf" + (line * 2).encode())
    result = load_file(engine, tmp_path, "b.jsonl", table="events")
    assert (result.encoding, result.rows_read, result.rows_rejected) == ("utf-8-sig", 2, 0)
    assert engine.rows("select _row, customer_id from raw_events order by 1") == [
        (1, "C1"),
        (2, "C1"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [("oops\n[1]\n", "no line of this file is a JSON object"), ("\n\n", "no records")],
)
def test_jsonl_without_objects(engine: Engine, tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "n.jsonl", text)
    with pytest.raises(DataError, match=message) as info:
        load_file(engine, tmp_path, "n.jsonl", table="events")
    assert str(path) in str(info.value)


def test_jsonl_objects_without_keys(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "o.jsonl", "{}\n{}\n")
    with pytest.raises(DataError, match="customer_id") as info:
        load_file(engine, tmp_path, "o.jsonl", table="events")
    assert str(path) in str(info.value)


# -- SQL ------------------------------------------------------------------------------------
@pytest.fixture
def crm_sqlite(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    db = sa.create_engine(url)
    try:
        with db.begin() as con:
            con.execute(
                sa.text(
                    "create table member (id integer primary key, nick text, city text, "
                    "spend numeric, joined timestamp, note text)"
                )
            )
            con.execute(
                sa.text("insert into member values (:id, :nick, :city, :spend, :joined, :note)"),
                [
                    {"id": 1, "nick": "张伟", "city": "上海", "spend": 12.5,
                     "joined": "2024-01-02 03:04:05", "note": "老客户"},
                    {"id": 2, "nick": "王芳", "city": None, "spend": 3,
                     "joined": None, "note": None},
                ],
            )  # fmt: skip
        yield url
    finally:
        db.dispose()


def test_sql_source_sqlite(engine: Engine, tmp_path: Path, crm_sqlite: str) -> None:
    source = SourceConfig(
        name="crm",
        table="customers",
        url=crm_sqlite,
        query="select id as 客户编号, nick as 姓名, city as 城市, spend as 客单价, "
        "joined as 注册时间, note from member order by id",
    )
    result = load(engine, source, tmp_path)
    assert (result.status, result.format, result.rows_read, result.encoding) == (
        "loaded",
        "sql",
        2,
        None,
    )
    got = engine.rows(
        "select _source, _row, customer_id, name, city, avg_order_value, registered_at, "
        "attributes from raw_customers order by _row"
    )
    assert got == [
        ("crm", 1, "1", "张伟", "上海", "12.5", "2024-01-02 03:04:05", '{"note":"老客户"}'),
        ("crm", 2, "2", "王芳", None, "3", None, '{"note":null}'),
    ]
    assert engine.scalar("select path from hx_loads") == crm_sqlite
    assert load(engine, source, tmp_path).status == "unchanged"
    db = sa.create_engine(crm_sqlite)
    try:
        with db.begin() as con:
            con.execute(sa.text("update member set city = '杭州' where id = 2"))
    finally:
        db.dispose()
    again = load(engine, source, tmp_path)
    assert again.status == "replaced"
    assert engine.rows("select city from raw_customers order by _row") == [("上海",), ("杭州",)]
    assert engine.rows("select status, count(*) from hx_loads group by 1 order by 1") == [
        ("loaded", 1),
        ("superseded", 1),
    ]


@pytest.mark.parametrize(
    "query",
    ["select * from no_such_table", "select id as 客户编号 from member where"],
)
def test_sql_errors_are_data_errors(
    engine: Engine, tmp_path: Path, crm_sqlite: str, query: str
) -> None:
    source = SourceConfig(name="crm", table="customers", url=crm_sqlite, query=query)
    with pytest.raises(DataError, match="the query failed") as info:
        load(engine, source, tmp_path)
    assert "source crm" in str(info.value)


def test_sql_unknown_driver_is_a_data_error(engine: Engine, tmp_path: Path) -> None:
    source = SourceConfig(
        name="crm", table="customers", url="nosuchdb://u:secret@host/db", query="select 1"
    )
    with pytest.raises(DataError, match="the query failed") as info:
        load(engine, source, tmp_path)
    assert "secret" not in str(info.value)


# -- the dry run ----------------------------------------------------------------------------
def test_preview_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    write(tmp_path, "c.csv", "客户编号,姓名,爱好\nC1,张伟,篮球\nC2,王芳\nC3,李娜,游泳\n")
    source = SourceConfig(name="src", table="customers", path="c.csv")
    report = preview(engine, source, tmp_path)
    assert report["rows_read"] == 3
    assert report["rows_rejected_on_read"] == 1
    assert report["mapping"]["fields"] == {"客户编号": "customer_id", "姓名": "name"}
    assert report["mapping"]["attributes"] == ["爱好"]
    assert [(p["row"], p["column"]) for p in report["problems"]] == [(3, "爱好")]
    assert not engine.table_exists("hx_loads")
    assert not engine.table_exists("raw_customers")
