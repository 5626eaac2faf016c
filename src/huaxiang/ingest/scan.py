"""One read of a source file for what a load needs before parsing it: its SHA-256 (is this
content loaded already?), its line count and whether it holds carriage returns (how the
delimited reader accounts for every line).

A file is read once for all three, and :class:`FileScanner` reads the files of an ingest
ahead, in a background thread, in the order they will be loaded: hashing the next file
overlaps the loading of the current one. hashlib and file reads release the GIL, and the
engine releases it while a statement runs. :func:`read_ahead` does the same for the blocks
of one file: the next block is prepared while the engine stores the current one.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeVar, cast

from huaxiang.ingest.encoding import CHUNK

T = TypeVar("T")


@dataclass(frozen=True)
class FileScan:
    sha256: str
    lines: int  # newline-terminated lines, plus a last line without a newline
    has_cr: bool  # a carriage return somewhere (lines may end in \r\n)


def scan_file(path: Path, *, sha256: bool = True) -> FileScan:
    """The file's scan; without ``sha256`` the hash is left empty (and not computed)."""
    digest = hashlib.sha256()
    newlines = 0
    has_cr = False
    last = b""
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            if sha256:
                digest.update(block)
            newlines += block.count(b"\n")
            has_cr = has_cr or b"\r" in block
            last = block[-1:]
    lines = newlines + (last not in (b"", b"\n"))
    return FileScan(digest.hexdigest() if sha256 else "", lines, has_cr)


class FileScanner:
    """Scans of the given files, computed ahead in one background thread.

    ``get`` returns a file's scan (waiting for it if it is under way) and scans a file it
    was not given on the spot; a file that cannot be read raises its ``OSError`` there.
    """

    def __init__(self, paths: list[Path]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="huaxiang-scan")
        self._scans: dict[Path, Future[FileScan]] = {}
        for path in paths:
            if path not in self._scans and path.is_file():
                self._scans[path] = self._pool.submit(scan_file, path)

    def get(self, path: Path) -> FileScan:
        future = self._scans.get(path)
        return future.result() if future is not None else scan_file(path)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> FileScanner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_ahead(items: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """The items of ``items`` in order, produced in a background thread at most ``depth``
    ahead of the caller (memory stays bounded). An exception of the producer is raised here;
    when the caller stops early, the producer stops too and ``items`` is closed.
    """
    box: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((True, done))
        except BaseException as exc:  # handed to the caller, raised there
            put((False, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="huaxiang-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            ok, item = box.get()
            if not ok:
                assert isinstance(item, BaseException)
                raise item
            if item is done:
                return
            yield cast(T, item)
    finally:
        stop.set()
        worker.join()
