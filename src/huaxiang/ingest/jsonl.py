"""JSON Lines into the staging relations: one object per line, line numbers kept."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from huaxiang.config.models import SourceConfig
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import DataError, Location
from huaxiang.ingest.encoding import detect_encoding, transcode_to_utf8
from huaxiang.ingest.staging import (
    MAX_LINE,
    REJECTS,
    STAGE,
    sql_str,
    unique_headers,
)


def stage_jsonl(engine: Engine, path: Path, source: SourceConfig) -> str:
    encoding = detect_encoding(path, source.encoding)
    with tempfile.TemporaryDirectory(prefix="huaxiang-") as tmp:
        readable = path
        if encoding not in ("utf-8", "utf-8-sig"):
            readable = transcode_to_utf8(path, encoding, Path(tmp) / "utf8.jsonl")
        _read_lines(engine, readable, "jsonl_lines")
    # empty lines are not records (many writers end the file with one); they keep their numbers
    engine.execute(
        "create or replace temp table jsonl_class as select _row, line, case "
        "when line = '' or trim(line, ' \t\r') = '' then 'blank' "
        "when not json_valid(line) then 'malformed JSON' "
        "when json_type(line) <> 'OBJECT' then 'not a JSON object' end as problem "
        "from jsonl_lines"
    )
    engine.execute("drop table jsonl_lines")
    engine.execute(
        f"insert into {REJECTS} select _row, null, problem, line from jsonl_class "
        "where problem is not null and problem <> 'blank'"
    )
    # the text is valid JSON: keep it as text (the json functions read it), no cast pass
    engine.execute(
        "create or replace temp table jsonl_ok as select _row, line as j from jsonl_class "
        "where problem is null"
    )
    engine.execute("drop table jsonl_class")
    if not engine.count("jsonl_ok"):
        if engine.count(REJECTS):
            raise DataError(
                "no line of this file is a JSON object",
                location=Location(str(path), line=1),
                hint="JSON Lines means one {...} object per line",
            )
        raise DataError("the file has no records", location=Location(str(path)))
    keys = [
        r[0]
        for r in engine.rows(
            "select k from (select _row, unnest(json_keys(j)) as k, "
            "unnest(range(1, len(json_keys(j)) + 1)) as pos from jsonl_ok) "
            "group by k order by min(_row), arg_min(pos, _row), k"
        )
    ]
    if keys and all(_plain_json_key(k) for k in keys):
        # fast path: one parse per line extracts every key
        paths = "[" + ", ".join(sql_str(f'$."{k}"') for k in keys) + "]"
        cols = "".join(
            f"v[{i}] as {quote_ident(name)}, "
            for i, name in enumerate(unique_headers(keys), start=1)
        )
        engine.execute(
            f"create temp table {STAGE} as select {cols}_row from "
            f"(select _row, json_extract_string(j, {paths}) as v from jsonl_ok) order by _row"
        )
    else:
        _stage_json_members(engine, keys)
    for table in ("jsonl_ok", "jsonl_kv"):
        engine.execute(f"drop table if exists {table}")
    return encoding


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


def _read_lines(engine: Engine, path: Path, table: str, block: int = 1 << 24) -> None:
    """Split a UTF-8 file into ``table (_row, line)``, numbered as editors number lines.

    Works a block at a time with C-level splitting (no Python loop per line). Lines longer
    than ``MAX_LINE`` bytes are not read: they go to ``stage_rejects`` (with their first
    10,000 bytes) and memory stays bounded whatever the file holds.
    """
    engine.execute(f"create or replace temp table {table} (_row bigint, line varchar)")
    number = 0  # lines numbered so far
    carry = b""  # the unfinished last line of the previous block
    oversized = False  # inside a line that is already rejected as too long

    def emit(lines: list[bytes]) -> None:
        nonlocal number
        if number == 0 and lines and lines[0].startswith(b"\xef\xbb\xbf"):
            lines[0] = lines[0][3:]
        first = number + 1
        number += len(lines)
        if not lines:
            return
        arr = pa.array(lines, pa.binary())
        arr = pc.replace_substring_regex(arr, pattern="\r$", replacement="")
        try:
            text = arr.cast(pa.string())
        except pa.ArrowInvalid:
            raise DataError(
                "the file is not valid UTF-8", location=Location(str(path), line=first)
            ) from None
        engine.register(
            "lines_in",
            pa.table({"_row": pa.array(range(first, number + 1), pa.int64()), "line": text}),
        )
        try:
            engine.execute(f"insert into {table} select _row, line from lines_in")
        finally:
            engine.unregister("lines_in")

    def reject_long(head: bytes) -> None:
        nonlocal number
        number += 1
        engine.execute(
            f"insert into {REJECTS} values (?, null, ?, ?)",
            [
                number,
                f"line longer than {MAX_LINE:,} bytes",
                head[:10_000].decode("utf-8", errors="replace"),
            ],
        )

    with path.open("rb") as fh:
        while data := fh.read(block):
            if oversized:
                cut = data.find(b"\n")
                if cut < 0:
                    continue
                data = data[cut + 1 :]
                oversized = False
            data = carry + data
            parts = data.split(b"\n")
            carry = parts.pop()
            if any(len(p) > MAX_LINE for p in parts):
                run: list[bytes] = []
                for p in parts:
                    if len(p) > MAX_LINE:
                        emit(run)
                        run = []
                        reject_long(p)
                    else:
                        run.append(p)
                emit(run)
            else:
                emit(parts)
            if len(carry) > MAX_LINE:
                reject_long(carry)
                carry = b""
                oversized = True
    if carry and not oversized:
        emit([carry])
