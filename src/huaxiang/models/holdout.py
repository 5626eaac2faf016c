"""Calibration and holdout: split a transaction log at a date, fit on the first part, and see
how well the model predicts the second.

- :func:`calibration_and_holdout` gives, per customer who bought by the calibration end, the
  calibration summary (frequency_cal, recency_cal, T_cal[, monetary_value_cal]) and what they
  did afterwards (frequency_holdout, duration_holdout), in lifetimes' column names. Same-period
  purchases merge as in :func:`rfm_summary`.
- :func:`holdout_comparison` sets the model's conditional expectations against the actual
  holdout purchases: per calibration frequency (Fader, Hardie & Lee 2005, figure 4) and in
  total.
- :func:`tracking_curve` follows cumulative repeat purchases period by period, actual against
  expected, over calibration and holdout (FHL 2005, figure 2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from huaxiang.engine.duckdb_engine import quote_ident
from huaxiang.errors import UsageError
from huaxiang.models.rfm_summary import (
    _FREQS,
    _no_column,
    _period_end,
    _source,
    _timestamp,
    rfm_summary,
)


def calibration_and_holdout(
    data: Any,
    customer_col: str,
    date_col: str,
    calibration_period_end: Any,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    monetary_col: str | None = None,
    *,
    datetime_format: str | None = None,
    engine: Any = None,
) -> pd.DataFrame:
    """One row per customer whose first purchase is on or before ``calibration_period_end``."""
    cal_end = _period_end(calibration_period_end, datetime_format)
    obs_end = _period_end(observation_period_end, datetime_format)
    if cal_end is None:
        raise UsageError("calibration_period_end is required")
    cal = rfm_summary(
        data,
        customer_col,
        date_col,
        monetary_col,
        observation_period_end=cal_end,
        freq=freq,
        freq_multiplier=freq_multiplier,
        datetime_format=datetime_format,
        engine=engine,
    )
    cal.columns = [f"{c}_cal" for c in cal.columns]
    part, unit = _FREQS[freq]
    with _source(data, engine, [customer_col, date_col]) as (eng, src, label):
        stamp = _stamp(eng, src, label, customer_col, date_col, datetime_format)
        period = f"date_trunc('{part}', {stamp})"
        last = "$2::timestamp" if obs_end is not None else f"(select max({stamp}) from {src})"
        table = eng.arrow(
            f"""
            with bounds as (
                select date_trunc('{part}', $1::timestamp) as cal,
                    date_trunc('{part}', {last}) as obs
            )
            select {quote_ident(customer_col)} as customer,
                count(distinct {period}) filter (where {period} > cal and {period} <= obs)
                    as frequency_holdout,
                any_value(date_diff('second', cal, obs)) / {unit!r} / {float(freq_multiplier)!r}
                    as duration_holdout
            from {src}, bounds
            where {quote_ident(customer_col)} is not null
            group by 1
            """,
            [cal_end, obs_end] if obs_end is not None else [cal_end],
        )
    holdout = table.to_pandas().set_index("customer")
    if obs_end is not None and obs_end < cal_end:
        raise UsageError("observation_period_end is before calibration_period_end")
    holdout.index = holdout.index.astype(cal.index.dtype)
    frame = cal.join(holdout, how="left")
    frame["frequency_holdout"] = frame["frequency_holdout"].fillna(0.0)
    frame["duration_holdout"] = frame["duration_holdout"].fillna(frame["duration_holdout"].max())
    return frame.astype(float)


def _stamp(
    eng: Any, src: str, label: str, customer_col: str, date_col: str, fmt: str | None
) -> str:
    """The date column as SQL for a TIMESTAMP, once both columns are known to exist."""
    types = {str(r[0]): str(r[1]) for r in eng.rows(f"describe select * from {src}")}
    for name in (customer_col, date_col):
        if name not in types:
            raise _no_column(name, list(types), label)
    return _timestamp(date_col, types[date_col], fmt, strict=True)


@dataclass(frozen=True)
class HoldoutReport:
    """Expected against actual holdout purchases."""

    by_frequency: pd.DataFrame  # per calibration frequency: customers, actual, expected (means)
    actual_total: float
    expected_total: float

    @property
    def error(self) -> float:
        """(expected - actual) / actual over all customers."""
        return (
            (self.expected_total - self.actual_total) / self.actual_total
            if self.actual_total
            else float("nan")
        )


def holdout_comparison(model: Any, frame: pd.DataFrame, max_frequency: int = 7) -> HoldoutReport:
    """``model`` (fitted on the calibration columns) against ``frame`` from
    :func:`calibration_and_holdout`; calibration frequencies from ``max_frequency`` up are
    one group, as in FHL 2005."""
    expected = model.conditional_expected_number_of_purchases_up_to_time(
        frame["duration_holdout"].to_numpy(),
        frame["frequency_cal"].to_numpy(),
        frame["recency_cal"].to_numpy(),
        frame["T_cal"].to_numpy(),
    )
    group = frame["frequency_cal"].clip(upper=max_frequency).astype(int)
    table = pd.DataFrame(
        {"group": group, "actual": frame["frequency_holdout"].to_numpy(), "expected": expected}
    )
    by = table.groupby("group").agg(
        customers=("actual", "size"), actual=("actual", "mean"), expected=("expected", "mean")
    )
    by.index = [str(i) if i < max_frequency else f"{max_frequency}+" for i in by.index]
    by.index.name = "frequency_cal"
    return HoldoutReport(by, float(table["actual"].sum()), float(np.sum(expected)))


def tracking_curve(
    model: Any,
    data: Any,
    customer_col: str,
    date_col: str,
    calibration_period_end: Any,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    *,
    datetime_format: str | None = None,
    engine: Any = None,
) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort (customers whose first purchase
    is on or before the calibration end), actual and expected, at the end of every model time
    unit (``freq`` x ``freq_multiplier``) from the first purchase on. ``model`` must have been
    fitted in that unit."""
    cal_end = _period_end(calibration_period_end, datetime_format)
    obs_end = _period_end(observation_period_end, datetime_format)
    part, unit = _FREQS[freq]
    step = unit * float(freq_multiplier)
    with _source(data, engine, [customer_col, date_col]) as (eng, src, label):
        stamp = _stamp(eng, src, label, customer_col, date_col, datetime_format)
        customer = quote_ident(customer_col)
        periods = eng.arrow(
            f"""
            with periods as (
                select distinct {customer} as customer, date_trunc('{part}', {stamp}) as period
                from {src} where {customer} is not null and {stamp} is not null
            ), firsts as (
                select customer, period, min(period) over (partition by customer) as first
                from periods
            )
            select first, period from firsts
            where first <= date_trunc('{part}', $1::timestamp)
            """,
            [cal_end],
        ).to_pandas()
    if periods.empty:
        raise UsageError("no customer made a first purchase by the calibration end")
    start = periods["first"].min()
    end = pd.Timestamp(obs_end) if obs_end is not None else periods["period"].max()
    offsets = (periods["period"] - start).dt.total_seconds() / step
    first_offsets = (periods["first"] - start).dt.total_seconds() / step
    repeats = offsets[periods["period"] > periods["first"]].to_numpy()
    points = np.arange(1, int(np.floor((end - start).total_seconds() / step)) + 2, dtype=float)
    actual = np.searchsorted(np.sort(repeats), points, side="left")
    cohorts = first_offsets[periods["period"] == periods["first"]].value_counts()
    ages = points[:, None] - cohorts.index.to_numpy()[None, :]
    per_customer = np.where(
        ages > 0, model.expected_number_of_purchases_up_to_time(np.maximum(ages, 0.0)), 0.0
    )
    expected = per_customer @ cohorts.to_numpy(dtype=float)
    when = [start + dt.timedelta(seconds=float(p * step)) for p in points]
    return pd.DataFrame(
        {"t": points, "date": when, "actual": actual.astype(float), "expected": expected}
    ).set_index("t")
