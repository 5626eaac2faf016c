"""One read per source file: hash, line count and carriage returns, scanned ahead."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huaxiang.ingest.encoding import CHUNK
from huaxiang.ingest.scan import FileScanner, read_ahead, scan_file
from huaxiang.workspace import Workspace


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=64).map(lambda b: b.replace(b"\x00", b"")))
def test_scan_counts_lines_as_editors_do(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_bytes(data)
        scan = scan_file(path)
    assert scan.sha256 == hashlib.sha256(data).hexdigest()
    assert scan.lines == data.count(b"\n") + (not data.endswith(b"\n") and data != b"")
    assert scan.has_cr == (b"\r" in data)


def test_scan_reads_across_blocks(tmp_path: Path) -> None:
    data = b"a,b\n" * (CHUNK // 4) + b"x\r\n" + b"tail"
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    scan = scan_file(path)
    assert (scan.lines, scan.has_cr) == (CHUNK // 4 + 2, True)
    assert scan_file(path, sha256=False).sha256 == ""


def test_scanner_gives_the_scan_of_given_and_other_files(tmp_path: Path) -> None:
    first, second, other = (tmp_path / n for n in ("1.csv", "2.csv", "3.csv"))
    for i, path in enumerate((first, second, other)):
        path.write_text(f"h\n{i}\n")
    with FileScanner([first, second, tmp_path / "missing.csv"]) as scans:
        assert scans.get(second) == scan_file(second)
        assert scans.get(first) == scan_file(first)
        assert scans.get(other) == scan_file(other)  # not given: scanned on the spot
        with pytest.raises(FileNotFoundError):
            scans.get(tmp_path / "missing.csv")


def test_ingest_with_scans_loads_and_skips_unchanged_files(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "c.csv").write_text("客户编号,姓名\r\nC1,张三\r\nC2,李四\r\n", encoding="utf-8")
    (root / "o.csv").write_text("订单号,客户编号,下单时间,金额\nD1,C1,2024-05-08,10\n")
    sources = [
        {"name": "crm", "table": "customers", "path": "c.csv"},
        {"name": "orders", "table": "orders", "path": "o.csv"},
    ]
    Workspace.init(root, sources=sources).close()
    with Workspace.open(root) as ws:
        first = ws.ingest()
        again = ws.ingest()
        names = ws.engine.rows("select name from raw_customers order by _row")
    assert [r.status for r in first] == ["loaded", "loaded"]
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert [r.rows_read for r in first] == [2, 1]
    assert names == [("张三",), ("李四",)]  # no \r kept


def test_read_ahead_keeps_the_order_and_bounds_the_lead() -> None:
    produced: list[int] = []

    def numbers() -> Iterator[int]:
        for i in range(50):
            produced.append(i)
            yield i

    seen: list[int] = []
    for n in read_ahead(numbers(), depth=2):
        # the producer is at most the queue's depth plus the item in hand ahead
        assert len(produced) - len(seen) <= 4
        seen.append(n)
    assert seen == list(range(50))


def test_read_ahead_raises_the_producers_error_in_the_caller() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise OSError("disk gone")

    got = []
    with pytest.raises(OSError, match="disk gone"):
        for n in read_ahead(failing()):
            got.append(n)
    assert got == [1]


def test_read_ahead_stops_and_closes_the_producer_when_the_caller_stops() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    ahead = read_ahead(endless())
    assert [next(ahead) for _ in range(3)] == [0, 1, 2]
    ahead.close()  # what a `for` loop left by an exception does
    assert closed.wait(5)
