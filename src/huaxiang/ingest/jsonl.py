"""JSON Lines into the staging relations: one object per line, line numbers kept."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine, quote_ident, quote_str
from huaxiang.errors import DataError, Location
from huaxiang.ingest.encoding import utf8_text
from huaxiang.ingest.scan import read_ahead
from huaxiang.ingest.staging import (
    MAX_LINE,
    REJECTS,
    STAGE,
    unique_headers,
)


def stage_jsonl(engine: Engine, path: Path, source: SourceConfig) -> str:
    with tempfile.TemporaryDirectory(prefix="huaxiang-") as tmp:
        encoding, readable = utf8_text(path, source.encoding, Path(tmp))
        _read_lines(engine, readable, "jsonl_lines")
    # empty lines are not records (many writers end the file with one); they keep their numbers.
    # Whether a line is an object was decided once, as the lines were read (``ok``)
    problem = (
        "case when json_valid(line) then 'not a JSON object' "
        "when trim(line, ' \t\r') = '' then 'blank' else 'malformed JSON' end"
    )
    engine.execute(
        f"insert into {REJECTS} select _row, null, problem, line from "
        f"(select _row, line, {problem} as problem from jsonl_lines where not ok) "
        "where problem <> 'blank'"
    )
    engine.execute(
        "create or replace temp view jsonl_ok as select _row, line as j from jsonl_lines where ok"
    )
    if not engine.scalar("select exists (select 1 from jsonl_ok)"):
        if engine.count(REJECTS):
            raise DataError(
                "no line of this file is a JSON object",
                location=Location(str(path), line=1),
                hint="JSON Lines means one {...} object per line",
            )
        raise DataError("the file has no records", location=Location(str(path)))
    # the distinct key lists in order of first appearance (one parse per line, few lists)
    lists = engine.rows(
        "select ks from (select json_keys(j) as ks, _row from jsonl_ok) "
        "group by ks order by min(_row)"
    )
    keys = list(dict.fromkeys(k for (names,) in lists for k in names))
    if keys and all(_plain_json_key(k) for k in keys):
        # fast path: one parse per line extracts every key
        paths = "[" + ", ".join(quote_str(f'$."{k}"') for k in keys) + "]"
        cols = "".join(
            f"v[{i}] as {quote_ident(name)}, "
            for i, name in enumerate(unique_headers(keys), start=1)
        )
        # a view: the load's one read of it extracts the values while it stores them (no
        # copy of the extracted rows); the lines stay until the stage is dropped
        engine.execute(
            f"create temp view {STAGE} as select {cols}_row from "
            f"(select _row, json_extract_string(j, {paths}) as v from jsonl_ok)"
        )
    else:
        _stage_json_members(engine, keys)
    return encoding


# working relations of the JSON Lines reader, dropped with the stage
WORK_RELATIONS = ("jsonl_ok", "jsonl_kv", "jsonl_lines")


def _plain_json_key(key: str) -> bool:
    """Keys a quoted JSON path can name without escaping."""
    return bool(key) and key != "*" and not any(ch in key for ch in '"\\')


def _stage_json_members(engine: Engine, keys: list[str]) -> None:
    """General path for keys a JSON path cannot name ('', '*', quotes, backslashes).

    One (row, key, text) per member; the first of repeated keys wins. json_each needs no
    JSON path, so any key is read as it is.
    """
    engine.execute(
        "create or replace temp table jsonl_kv as select o._row, e.key as k, "
        "e.value->>'$' as v, e.id from jsonl_ok o, json_each(o.j) e "
        "qualify row_number() over (partition by o._row, e.key order by e.id) = 1"
    )
    cols = "".join(
        f"any_value(kv.v) filter (where kv.k = ?) as {quote_ident(name)}, "
        for name in unique_headers(keys)
    )
    engine.execute(
        f"create temp table {STAGE} as select {cols}o._row from jsonl_ok o "
        "left join jsonl_kv kv on kv._row = o._row group by o._row order by o._row",
        keys,
    )
    engine.execute("drop table jsonl_kv")  # one row per member: not held through the load


def _read_lines(engine: Engine, path: Path, table: str) -> None:
    """Split a UTF-8 file into ``table (_row, line, ok)``, numbered as editors number lines
    (``ok``: the line is a JSON object).

    The blocks of lines are cut in a background thread (:func:`_line_blocks`) while the engine
    stores the previous one; each is handed over in slices so the engine checks it on every
    core. Lines longer than ``MAX_LINE`` bytes are not read: they go to ``stage_rejects``
    (with their first 10,000 bytes) and memory stays bounded whatever the file holds.
    """
    engine.execute(f"create or replace temp table {table} (_row bigint, line varchar, ok boolean)")
    number = 0  # lines numbered so far
    for lines, has_cr in read_ahead(_line_blocks(path)):
        if isinstance(lines, bytes):
            number += 1
            engine.execute(
                f"insert into {REJECTS} values (?, null, ?, ?)",
                [
                    number,
                    f"line longer than {MAX_LINE:,} bytes",
                    lines.decode("utf-8", errors="replace"),
                ],
            )
            continue
        if not len(lines):
            continue
        first = number + 1
        number += len(lines)
        rows = pa.array(np.arange(first, number + 1, dtype=np.int64))
        if pa.types.is_large_binary(lines.type):
            # a line that is not UTF-8 (the encoding was checked on samples): reject it alone
            rows, lines = _reject_invalid_utf8(engine, rows, lines)
        block = pa.table({"_row": rows, "line": lines})
        slices = block.to_batches(max_chunksize=max(1, -(-len(block) // _SLICES)))
        engine.register("lines_in", pa.Table.from_batches(slices, block.schema))
        try:
            # a \r before the newline (Windows line ends) is not part of the line; ``ok``: the
            # line is a JSON object, decided here once instead of in every later read (a valid
            # line starting with '{' is one; json_type() errs on invalid JSON)
            line = "rtrim(line, chr(13))" if has_cr else "line"
            engine.execute(
                f"insert into {table} select _row, l, case when json_valid(l) "
                f"then l[1] = '{{' or json_type(l) = 'OBJECT' else false end "
                f"from (select _row, {line} as l from lines_in)"
            )
        finally:
            engine.unregister("lines_in")


# slices a block of lines is handed to the engine in: its scan runs one thread per slice
_SLICES = 8


def _line_blocks(path: Path, block: int = 1 << 24) -> Iterator[tuple[pa.Array | bytes, bool]]:
    """The file's lines in order, a block at a time, each with whether it holds a \r.

    A block is an Arrow array of lines without their newlines: UTF-8 text, or binary when
    some line is not UTF-8. The newline positions come from one vectorised scan and become
    the array's offsets (no Python object per line). A line longer than ``MAX_LINE`` comes
    alone, as the ``bytes`` of its first 10,000 bytes.
    """
    carry = b""  # the unfinished last line of the previous block
    oversized = False  # inside a line that is already rejected as too long
    with path.open("rb") as fh:
        while data := fh.read(block):
            if fh.tell() == len(data) and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]  # the byte-order mark is not part of the first line
            if oversized:
                cut = data.find(b"\n")
                if cut < 0:
                    continue
                data = data[cut + 1 :]
                oversized = False
            data = carry + data
            has_cr = b"\r" in data
            cut = data.rfind(b"\n") + 1
            (lines, longest), carry = _split_lines(data[:cut]), data[cut:]
            if longest > MAX_LINE:
                run: list[bytes] = []
                for p in lines.to_pylist():
                    if len(p) > MAX_LINE:
                        yield _as_text(pa.array(run, pa.large_binary())), has_cr
                        run = []
                        yield p[:10_000], has_cr
                    else:
                        run.append(p)
                yield _as_text(pa.array(run, pa.large_binary())), has_cr
            else:
                yield _as_text(lines), has_cr
            if len(carry) > MAX_LINE:
                yield carry[:10_000], has_cr
                carry = b""
                oversized = True
    if carry and not oversized:
        yield _as_text(_split_lines(carry + b"\n")[0]), b"\r" in carry


def _as_text(lines: pa.Array) -> pa.Array:
    """The lines as UTF-8 text, or left binary when one is not UTF-8."""
    try:
        return lines.cast(pa.large_string())
    except pa.ArrowInvalid:
        return lines


def _split_lines(body: bytes) -> tuple[pa.Array, int]:
    """The lines of ``body`` (which ends with a newline) without their newlines, and the
    length of the longest."""
    ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord("\n"))
    offsets = np.concatenate(([0], ends + 1)).astype(np.int64)
    lines = pa.Array.from_buffers(
        pa.large_binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(body)]
    )
    return pc.binary_slice(lines, 0, -1), int(np.diff(offsets).max(initial=1)) - 1


def _reject_invalid_utf8(
    engine: Engine, rows: pa.Array, lines: pa.Array
) -> tuple[pa.Array, pa.Array]:
    keep_rows: list[int] = []
    keep_lines: list[str] = []
    for row, line in zip(rows.to_pylist(), lines.to_pylist(), strict=True):
        try:
            keep_lines.append(line.decode("utf-8"))  # the insert trims the newline
            keep_rows.append(row)
        except UnicodeDecodeError as exc:
            engine.execute(
                f"insert into {REJECTS} values (?, null, ?, ?)",
                [
                    row,
                    f"not valid UTF-8 (bad byte at column {exc.start + 1})",
                    line.rstrip(b"\r")[:10_000].decode("utf-8", errors="replace"),
                ],
            )
    return pa.array(keep_rows, pa.int64()), pa.array(keep_lines, pa.large_string())
