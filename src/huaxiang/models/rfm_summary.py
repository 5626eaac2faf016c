"""Per-customer frequency, recency, T and monetary value from a transaction log.

The numbers are those of lifetimes' ``summary_data_from_transaction_data`` (lifetimes.utils),
the input the BG/NBD, Pareto/NBD and Gamma-Gamma models expect: transactions in the same
period (``freq``) merge into one; ``frequency`` counts repeat periods; ``recency`` is the time
from the first to the last period and ``T`` from the first period to the period of
``observation_period_end``, both in units of ``freq`` divided by ``freq_multiplier``;
``monetary_value`` is the mean of the per-period sums over the repeat periods (0 without any).
Periods are pandas periods: a week runs Monday to Sunday (``W-SUN``). The work is one DuckDB
query over the whole log.
"""

from __future__ import annotations

import difflib
import math
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from huaxiang.engine.duckdb_engine import Engine, quote_ident, quote_str
from huaxiang.errors import DataError, EngineError, Location, UsageError

# freq -> (DuckDB date_trunc part, seconds in one unit). lifetimes divides by
# np.timedelta64(1, freq); for months and years that was numpy's average Gregorian month and
# year (30.436875 and 365.2425 days; pandas >= 2 refuses these units), so recency and T in
# "M" and "Y" are fractional. "H" and "A" are pandas' older names for "h" and "Y".
_FREQS: dict[str, tuple[str, float]] = {
    "D": ("day", 86400.0),
    "W": ("week", 604800.0),
    "M": ("month", 2629746.0),
    "Y": ("year", 31556952.0),
    "A": ("year", 31556952.0),
    "h": ("hour", 3600.0),
    "H": ("hour", 3600.0),
    "min": ("minute", 60.0),
    "s": ("second", 1.0),
}
_FILE_READERS = {
    ".csv": "read_csv",
    ".tsv": "read_csv",
    ".txt": "read_csv",
    ".gz": "read_csv",
    ".parquet": "read_parquet",
    ".pq": "read_parquet",
}
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")


def rfm_summary(
    data: Any,
    customer_col: str,
    date_col: str,
    monetary_col: str | None = None,
    observation_period_end: str | date | datetime | pd.Period | None = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    *,
    datetime_format: str | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """One row per customer (the index, sorted) with float columns ``frequency``, ``recency``,
    ``T`` and, given ``monetary_col``, ``monetary_value``.

    ``data`` is a pandas or polars DataFrame, a pyarrow Table, a CSV or Parquet file, or the
    name of a table in ``engine``. ``freq`` is one of "D", "W", "M", "Y" (or "A"), "h" (or
    "H"), "min", "s". Transactions after the period of ``observation_period_end`` (default:
    the latest date) are ignored, as are rows without a customer or a date. Text dates are
    ISO 8601 unless ``datetime_format`` (strptime codes, also applied to a text
    ``observation_period_end``) says otherwise.
    """
    if freq not in _FREQS:
        raise UsageError(
            f"unknown freq {freq!r}",
            hint="use one of: " + ", ".join(repr(f) for f in _FREQS),
        )
    if not (freq_multiplier > 0 and math.isfinite(freq_multiplier)):
        raise UsageError(f"freq_multiplier must be a positive number, not {freq_multiplier!r}")
    end = _period_end(observation_period_end, datetime_format)
    wanted = [c for c in (customer_col, date_col, monetary_col) if c is not None]
    with _source(data, engine, wanted) as (eng, src, label):
        types = {str(r[0]): str(r[1]) for r in eng.rows(f"describe select * from {src}")}
        for name in (customer_col, date_col, monetary_col):
            if name is not None and name not in types:
                raise _no_column(name, list(types), label)
        stamp = _timestamp(date_col, types[date_col], datetime_format, strict=True)
        if monetary_col is not None and not types[monetary_col].startswith(_NUMERIC):
            raise UsageError(
                f"the monetary column {monetary_col!r} holds {types[monetary_col]}, not numbers"
            )
        sql = _summary_sql(
            quote_ident(customer_col),
            stamp,
            monetary_col,
            src,
            freq,
            float(freq_multiplier),
            end is not None,
        )
        try:
            table = _arrow(eng, sql, [end] if end is not None else [])
        except EngineError as exc:
            bad = _bad_date(eng, src, date_col, types, datetime_format, label, data)
            raise (bad or exc) from None
    frame: pd.DataFrame = table.to_pandas()
    return frame.set_index(frame.columns[0]).astype(float)


def _summary_sql(
    customer: str,
    stamp: str,
    monetary_col: str | None,
    src: str,
    freq: str,
    multiplier: float,
    has_end: bool,
) -> str:
    """The summary query; ``$1`` is the observation period end when ``has_end``."""
    part, unit = _FREQS[freq]
    period = f"date_trunc('{part}', {stamp})"
    end = f"date_trunc('{part}', $1::timestamp)"
    value, per_period, monetary = "", "", ""
    if monetary_col:
        # the first period of each customer is only needed to leave it out of the mean
        value = f", coalesce(sum({quote_ident(monetary_col)}::double), 0) as value"
        per_period = ", min(period) over (partition by customer) as first_period"
        monetary = ", coalesce(avg(value) filter (where period > first_period), 0) as monetary"
    # by default the end is the latest period, of any row with a date (as in lifetimes, rows
    # without a customer count), so those rows are dropped only at the end
    last = end if has_end else "max(last_period) over ()"
    return f"""
        with periods as (
            select {customer} as customer, {period} as period{value}{per_period}
            from {src} {f"where {period} <= {end}" if has_end else ""}
            group by 1, 2
        ),
        customers as (
            select customer, count(*) as n, min(period) as first_period,
                max(period) as last_period{monetary}
            from periods where period is not null group by customer
        )
        select customer as {customer},
            (n - 1)::double as frequency,
            date_diff('second', first_period, last_period) / {unit!r} / {multiplier!r}
                as recency,
            date_diff('second', first_period, {last}) / {unit!r} / {multiplier!r} as "T"
            {", monetary as monetary_value" if monetary_col else ""}
        from customers
        {"where" if has_end else "qualify"} customer is not null
        order by customer
    """


def _timestamp(column: str, kind: str, fmt: str | None, *, strict: bool) -> str:
    """SQL turning the date column into a TIMESTAMP; ``strict`` fails on unreadable text."""
    col = quote_ident(column)
    if kind.startswith(("TIMESTAMP", "DATE")):
        # a TIMESTAMP WITH TIME ZONE from a warehouse table becomes the session's local time
        return f"{col}::timestamp"
    if kind.startswith(_INTEGER) and fmt is not None:
        col, kind = f"{col}::varchar", "VARCHAR"
    if kind != "VARCHAR":
        raise UsageError(
            f"the date column {column!r} holds {kind}, not dates",
            hint="integer dates such as 20240131 need datetime_format='%Y%m%d'",
        )
    text = f"nullif(trim({col}), '')"
    if fmt is None:
        return f"{'' if strict else 'try_'}cast({text} as timestamp)"
    return f"{'' if strict else 'try_'}strptime({text}, {quote_str(fmt)})"


def _bad_date(
    eng: Engine,
    src: str,
    column: str,
    types: dict[str, str],
    fmt: str | None,
    label: str,
    data: Any,
) -> DataError | None:
    """The first unreadable date, with its row, or None when the failure was something else."""
    col = quote_ident(column)
    parsed = _timestamp(column, types[column], fmt, strict=False)
    # a plain projection keeps the input order, so the position is the row
    table = _arrow(
        eng,
        f"select {col}::varchar as raw, nullif(trim({col}::varchar), '') is not null "
        f"and {parsed} is null as bad from {src}",
    )
    rows = pc.indices_nonzero(table["bad"])
    if len(rows) == 0:
        return None
    first = rows[0].as_py()
    value = table["raw"][first].as_py()
    where = Location(label, row=first + 1, column=column)
    if label.lower().endswith(tuple(k for k, v in _FILE_READERS.items() if v == "read_csv")):
        where = Location(label, line=first + 2, column=column)  # under the header line
    index = f" (index {data.index[first]!r})" if isinstance(data, pd.DataFrame) else ""
    return DataError(
        f"cannot read {value!r} as a date{index}; {len(rows)} row(s) like it",
        location=where,
        hint="pass datetime_format (strptime codes, e.g. '%d/%m/%Y')"
        if fmt is None
        else f"the dates do not all follow datetime_format {fmt!r}",
    )


@contextmanager
def _source(
    data: Any, engine: Engine | None, wanted: list[str]
) -> Iterator[tuple[Engine, str, str]]:
    """(engine, SQL relation, a name for messages) for any accepted kind of input."""
    if isinstance(data, str) and engine is not None and engine.columns(data):
        yield engine, quote_ident(data), f"table {data!r}"
        return
    eng = engine or Engine(None)
    name = ""
    try:
        if isinstance(data, (str, os.PathLike)):
            yield eng, _file_relation(Path(data), eng, engine is None, wanted[1]), str(data)
            return
        name = "hx_rfm_input_" + secrets.token_hex(4)
        eng.register(name, _frame(data, wanted))
        yield eng, quote_ident(name), "the data frame"
    finally:
        if name:
            eng.unregister(name)
        if engine is None:
            eng.close()


def _file_relation(path: Path, eng: Engine, own_engine: bool, date_col: str) -> str:
    reader = _FILE_READERS.get(path.suffix.lower())
    if not path.is_file():
        if reader is None and own_engine:
            raise UsageError(
                f"{str(path)!r} is not a file",
                hint="to summarise a warehouse table, pass its engine: engine=...",
            )
        raise UsageError(f"no such file or warehouse table: {str(path)!r}")
    if reader is None:
        raise UsageError(
            f"cannot tell the format of {path.name!r}",
            hint="use a .csv, .tsv or .parquet file, or read it into a DataFrame first",
        )
    relation = f"{reader}({quote_str(str(path))})"
    if reader == "read_csv":
        # dates are read as text and parsed here, so that datetime_format decides, not the
        # reader's guess, and an unreadable date is reported with its line
        found = {str(r[0]) for r in eng.rows(f"describe select * from {relation}")}
        if date_col in found:
            relation = (
                f"read_csv({quote_str(str(path))}, types = {{{quote_str(date_col)}: 'VARCHAR'}})"
            )
    return relation


def _frame(data: Any, wanted: list[str]) -> pa.Table:
    """The wanted columns as an Arrow table, time-zone-aware dates made local wall time (what
    pandas periods see)."""
    if type(data).__module__.split(".")[0] == "polars":
        data = data.to_arrow()
    if isinstance(data, pd.DataFrame):
        for name in wanted:
            if name not in data.columns:
                raise _no_column(name, [str(c) for c in data.columns], "the data frame")
        try:
            # also copes with views DuckDB's pandas scan refuses (a reversed frame)
            data = pa.Table.from_pandas(data, columns=wanted, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise DataError(f"the data frame has a column of mixed types: {exc}") from None
    if not isinstance(data, pa.Table):
        raise UsageError(
            f"cannot summarise a {type(data).__name__}",
            hint="pass a pandas or polars DataFrame, a pyarrow Table, a file path or a table name",
        )
    if all(name in data.column_names for name in wanted):
        data = data.select(wanted)
    for i, field in enumerate(data.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz:
            data = data.set_column(i, field.name, pc.local_timestamp(data.column(i)))
    return data


def _period_end(value: Any, fmt: str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, pd.Period):
        value = value.to_timestamp()
    try:
        # like lifetimes, a text (or integer) end date is read with datetime_format
        if fmt is not None and isinstance(value, (str, int)) and not isinstance(value, bool):
            stamp = pd.to_datetime(str(value), format=fmt)
        else:
            stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"cannot read observation_period_end {value!r} as a date: {exc}") from None
    if pd.isna(stamp):
        raise UsageError("observation_period_end is empty")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    result: datetime = stamp.to_pydatetime(warn=False)
    return result


def _no_column(name: str, available: list[str], label: str) -> UsageError:
    close = difflib.get_close_matches(name, available, n=1)
    return UsageError(
        f"{label} has no column {name!r}; its columns: {', '.join(available)}",
        hint=f"did you mean {close[0]!r}?" if close else None,
    )


def _arrow(eng: Engine, sql: str, params: list[Any] | None = None) -> pa.Table:
    return eng.arrow(sql, params)
