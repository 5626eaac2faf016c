"""Bad input never breaks a load: it loads (and the counts add up) or it is a DataError naming
the file, and then the warehouse is exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import DataError, HuaxiangError
from huaxiang.ingest.loader import LoadResult, load
from huaxiang.schema import TABLES

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD = {
    ".csv": "客户编号,姓名\nG1,张伟\nG2,王芳\nG3\n".encode(),
    ".jsonl": b'{"customer_id": "G1", "ts": "2024-01-01", "event": "view"}\n[]\n',
}
TABLE = {".csv": "customers", ".jsonl": "events"}
WAREHOUSE = [f"raw_{t}" for t in TABLES] + ["quarantine", "hx_loads"]


@dataclass
class Outcome:
    result: LoadResult | None
    error: DataError | None
    raw: list[dict[str, Any]]
    rejects: list[int]


class Bench:
    """One warehouse per test module: each attempt starts from the same loaded good version of
    the source (restored by copying, which is much faster than loading it again)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.engine = Engine(None)
        for suffix, data in GOOD.items():
            (root / f"good{suffix}").write_bytes(data)
            source = SourceConfig(name=f"fuzz{suffix[1:]}", table=TABLE[suffix],
                                  path=f"good{suffix}")  # fmt: skip
            load(self.engine, source, root)
        for table in WAREHOUSE:
            self.engine.execute(f"create table base_{table} as select * from {table}")
        self.baseline = self.snapshot()
        assert all(self.baseline[t] for t in ("raw_customers", "raw_events", "quarantine"))

    def snapshot(self) -> dict[str, list[str]]:
        return {t: sorted(map(repr, self.engine.rows(f"select * from {t}"))) for t in WAREHOUSE}

    def reset(self) -> None:
        for table in WAREHOUSE:
            self.engine.execute(f"delete from {table}")
            self.engine.execute(f"insert into {table} select * from base_{table}")

    def attempt(self, data: bytes, suffix: str = ".csv", **options: Any) -> Outcome:
        """Load ``data`` as a new version of the source and check the invariants."""
        self.reset()
        table = TABLE[suffix]
        path = self.root / f"input{suffix}"
        path.write_bytes(data)
        source = SourceConfig(name=f"fuzz{suffix[1:]}", table=table, path=path.name, **options)
        try:
            result = load(self.engine, source, self.root)
        except HuaxiangError as exc:
            assert isinstance(exc, DataError), f"{type(exc).__name__}: {exc}"
            assert str(path) in str(exc), str(exc)
            assert self.snapshot() == self.baseline
            return Outcome(None, exc, [], [])
        assert result.status == "replaced"
        loaded = self.engine.rows(
            "select load_id from hx_loads where source = ? and status = 'loaded'", [source.name]
        )
        assert loaded == [(result.load_id,)]
        raw = self.engine.dicts(
            f"select * from raw_{table} where _load_id = ? order by _row", [result.load_id]
        )
        rejects = [
            r[0]
            for r in self.engine.rows(
                "select _row from quarantine where _load_id = ? and stage = 'read' order by _row",
                [result.load_id],
            )
        ]
        assert self.engine.count(f"raw_{table}") == len(raw)  # the good version is gone
        assert result.rows_read == len(raw) + len(rejects)
        assert result.rows_rejected == len(rejects)
        numbers = [r["_row"] for r in raw] + rejects
        assert len(set(numbers)) == len(numbers), "two records with one row number"
        assert all(n >= (2 if suffix == ".csv" else 1) for n in numbers)
        return Outcome(result, None, raw, rejects)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    bench = Bench(tmp_path_factory.mktemp("fuzz"))
    try:
        yield bench
    finally:
        bench.engine.close()


# -- anything at all ------------------------------------------------------------------------
HEADERS = [b"", "客户编号,姓名\n".encode(), b"customer_id;name\n", "客户编号\t城市\n".encode("gbk")]


@FUZZ
@given(head=st.sampled_from(HEADERS), body=st.binary(max_size=2000))
@example(head=b"", body=b"")
@example(head=HEADERS[1], body=b"")
@example(head=b"", body=b"\xef\xbb\xbf")
@example(head=b"", body=b"\xff\xfe")
@example(head=b"", body=b"\n\r\n\r")
@example(head=HEADERS[1], body=b'C1,"unclosed\nC2,x\n')
@example(head=HEADERS[1], body=b"C1,x\r\n\r\nC2\nC3,z\n")
@example(head=HEADERS[1], body=b'C1,"5"x\nC2,y\n\nC3,z\n')
@example(head=b"a,\xff\n", body=b"\x00\x00\x00")
def test_arbitrary_bytes_as_csv(bench: Bench, head: bytes, body: bytes) -> None:
    bench.attempt(head + body)


ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "big5", "utf-16", "utf-16-le", "utf-16-be"]


@FUZZ
@given(
    header=st.sampled_from(["客户编号,姓名,城市\n", "customer_id\tname\n", "", "会员ID;备注\n"]),
    text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300),
    encoding=st.sampled_from(ENCODINGS),
    declared=st.booleans(),
)
def test_arbitrary_text_in_any_encoding(
    bench: Bench, header: str, text: str, encoding: str, declared: bool
) -> None:
    try:
        data = (header + text).encode(encoding)
    except UnicodeEncodeError:
        data = b""
    assume(data)  # text the encoding cannot represent says nothing about the reader
    bench.attempt(data, encoding=encoding if declared else "auto")


# -- realistic text in the encodings Chinese exports use ------------------------------------
SIMPLIFIED = ["张伟", "王芳", "李娜", "刘洋", "上海市", "北京", "广州", "美妆", "母婴", "会员",
              "小程序", "线下门店", "华东", "新客户", "满意", "，", "。", "（备注）"]  # fmt: skip
TRADITIONAL = ["陳大文", "黃小明", "臺北市", "香港", "會員", "電話", "購買", "謝謝", "資料",
               "滿意", "門市", "，", "。"]  # fmt: skip


@FUZZ
@given(
    words=st.lists(st.lists(st.sampled_from(SIMPLIFIED), min_size=1, max_size=4), max_size=20),
    encoding=st.sampled_from(["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"]),
)
def test_simplified_chinese_round_trips(
    bench: Bench, words: list[list[str]], encoding: str
) -> None:
    values = ["".join(w) for w in words]
    text = "客户编号,备注\n" + "".join(f'C{i},"{v}"\n' for i, v in enumerate(values))
    outcome = bench.attempt(text.encode(encoding))
    assert outcome.result is not None
    assert [json.loads(r["attributes"])["备注"] for r in outcome.raw] == values


@FUZZ
@given(
    words=st.lists(st.lists(st.sampled_from(TRADITIONAL), min_size=1, max_size=4), min_size=1,
                   max_size=20)
)  # fmt: skip
def test_traditional_chinese_in_big5_round_trips(bench: Bench, words: list[list[str]]) -> None:
    values = ["".join(w) for w in words]
    text = "客戶編號,備註\n" + "".join(f"C{i},{v}\n" for i, v in enumerate(values))
    outcome = bench.attempt(text.encode("big5"), mapping={"客戶編號": "customer_id"})
    assert outcome.result is not None and outcome.result.encoding == "big5"
    assert [json.loads(r["attributes"])["備註"] for r in outcome.raw] == values


# -- well-formed files with ragged rows and empty lines: exact row numbers --------------------
NAMES = [
    "姓名",
    "所在城市",
    "备注",
    "会员积分",
    "Unknown Column",
    'say "hi"',
    "it's",
    "a b",
    "年龄",
]
VALUE_CHARS = st.sampled_from([*"ab张王 ,\"\n;|\t'1.-", "𠀀"])


@st.composite
def delimited(draw: Callable[..., Any]) -> tuple[str, list[str], dict[int, list[str]], list[int]]:
    """A CSV text, its headers, the accepted records by row number and the rejected rows."""
    names = ["客户编号", *draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4,
                                       unique=True))]  # fmt: skip
    newline = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    kinds = draw(st.lists(st.sampled_from(["ok", "ok", "ok", "ragged", "blank"]), max_size=25))
    lines = [",".join(_quote(n, draw(st.booleans())) for n in names)]
    accepted: dict[int, list[str]] = {}
    rejected: list[int] = []
    for row, kind in enumerate(kinds, start=2):
        if kind == "blank":
            lines.append("")
            continue
        width = len(names)
        if kind == "ragged":
            width = draw(st.sampled_from([n for n in range(1, len(names) + 3) if n != width]))
        values = [f"R{row}"] + [draw(st.text(VALUE_CHARS, max_size=6)) for _ in range(width - 1)]
        if len(values) >= len(names) and not any(values[len(names) :]):
            # DuckDB drops empty values after the last column (a trailing delimiter): the
            # record keeps all its data, so it is read
            accepted[row] = values[: len(names)]
        else:
            rejected.append(row)
        lines.append(",".join(_quote(v, draw(st.booleans())) for v in values))
    ends = [newline if newline != "mixed" else draw(st.sampled_from(["\n", "\r\n"])) for _ in lines]
    if not draw(st.booleans()) and lines[-1]:
        ends[-1] = ""  # no newline at the end of the file
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    return text, names, accepted, rejected


def _quote(value: str, always: bool) -> str:
    if always or any(c in value for c in ',"\n\r') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=delimited())
def test_row_numbers_and_values_of_ragged_files(
    bench: Bench,
    case: tuple[str, list[str], dict[int, list[str]], list[int]],
) -> None:
    text, names, accepted, rejected = case
    outcome = bench.attempt(text.encode("utf-8"))
    assert outcome.error is None, str(outcome.error)
    assert outcome.rejects == rejected
    assert [r["_row"] for r in outcome.raw] == list(accepted)
    for record in outcome.raw:
        values = accepted[record["_row"]]
        expected = dict(zip(names, values, strict=True))
        got = {"客户编号": record["customer_id"]}
        got |= {"姓名": record["name"], "所在城市": record["city"], "年龄": record["age"]}
        got |= json.loads(record["attributes"] or "{}")
        assert {k: got[k] for k in names} == {k: v or None for k, v in expected.items()}


# -- JSON Lines -----------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip


def _is_json(text: str) -> bool:
    """'{' + '}' is an object, not garbage."""
    try:
        json.loads(text.replace("\n", " ").replace("\r", " "))
    except ValueError:
        return False
    return True


@st.composite
def jsonl(draw: Callable[..., Any]) -> tuple[bytes, dict[int, dict[str, Any]], list[int]]:
    accepted: dict[int, dict[str, Any]] = {}
    rejected: list[int] = []
    lines = []
    kinds = st.sampled_from(["object", "object", "value", "garbage", "blank"])
    for number, kind in enumerate(draw(st.lists(kinds, max_size=15)), start=1):
        if kind == "object":
            record = {"customer_id": f"E{number}", "ts": "2024-01-01", "event": "view"}
            record |= draw(st.dictionaries(st.text(max_size=6), json_values, max_size=4))
            accepted[number] = record
            lines.append(json.dumps(record, ensure_ascii=draw(st.booleans())))
        elif kind == "value":
            value = draw(json_values.filter(lambda v: not isinstance(v, dict)))
            lines.append(json.dumps(value))
            rejected.append(number)
        elif kind == "garbage":
            text = draw(st.text(max_size=10).filter(lambda t: not _is_json("{" + t)))
            lines.append("{" + text.replace("\n", " ").replace("\r", " "))
            rejected.append(number)
        else:
            lines.append(draw(st.sampled_from(["", " ", "\t"])))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines).encode(), accepted, rejected


@FUZZ
@given(case=jsonl())
def test_json_lines_keep_line_numbers(
    bench: Bench,
    case: tuple[bytes, dict[int, dict[str, Any]], list[int]],
) -> None:
    data, accepted, rejected = case
    outcome = bench.attempt(data, ".jsonl")
    if outcome.error is not None:
        assert not accepted  # only a file without a single object is an error
        return
    assert outcome.rejects == rejected
    assert [r["customer_id"] for r in outcome.raw] == [f"E{n}" for n in accepted]
    assert [r["_row"] for r in outcome.raw] == list(accepted)


@FUZZ
@given(body=st.binary(max_size=1000))
@example(body=b"{}\n{}")
@example(body=b'{"a": 1}\x1f{"b": 2}\n')
@example(body=b'{"": 1, "*": 2, "a\\\\": 3}\n')
def test_arbitrary_bytes_as_json_lines(bench: Bench, body: bytes) -> None:
    bench.attempt(b'{"customer_id": "C1", "ts": "t", "event": "e"}\n' + body, ".jsonl")
    bench.attempt(body, ".jsonl")


# -- huge lines -----------------------------------------------------------------------------
HUGE = "x" * 4_200_000


@pytest.mark.parametrize("before", [0, 3, 20_000], ids=["first", "early", "late"])
def test_a_line_over_4_mb_is_rejected_and_the_rest_loads(bench: Bench, before: int) -> None:
    good = "".join(f"C{i},名{i}\n" for i in range(before))
    text = f"客户编号,姓名\n{good}HUGE,{HUGE}\nLAST,王芳\n"
    outcome = bench.attempt(text.encode())
    assert outcome.result is not None
    assert outcome.rejects == [before + 2]
    assert outcome.raw[-1]["customer_id"] == "LAST"
    assert outcome.raw[-1]["_row"] == before + 3


def test_a_json_line_over_4_mb_is_rejected_and_the_rest_loads(bench: Bench) -> None:
    big = json.dumps({"customer_id": "HUGE", "ts": "t", "event": "e", "x": HUGE})
    small = json.dumps({"customer_id": "LAST", "ts": "t", "event": "e"})
    outcome = bench.attempt(f"{big}\n{small}\n".encode(), ".jsonl")
    assert outcome.rejects == [1]
    assert [(r["_row"], r["customer_id"]) for r in outcome.raw] == [(2, "LAST")]


def test_a_header_over_4_mb_is_a_data_error(bench: Bench) -> None:
    outcome = bench.attempt(f"客户编号,{HUGE}\nC1,x\n".encode())
    assert outcome.error is not None
    assert "longer than 4,000,000 bytes" in str(outcome.error)
