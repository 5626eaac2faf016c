"""rfm_summary gives lifetimes' numbers (lifetimes.utils.summary_data_from_transaction_data).

Three witnesses: lifetimes 0.11.3 itself (a dev dependency), a small pandas implementation of
its algorithm written here, and figures pinned by hand or from published data.
"""

from __future__ import annotations

import importlib.resources
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import DataError, UsageError
from huaxiang.models import rfm_summary

COLUMNS = ["frequency", "recency", "T", "monetary_value"]

# c1: three days, two of them the same day; c2: one purchase; c3: a repeat a year later;
# c4: only after 2020-03-31 (cut by an early observation_period_end)
LOG = pd.DataFrame(
    {
        "cid": ["c1", "c1", "c1", "c1", "c2", "c3", "c3", "c4"],
        "when": pd.to_datetime(
            [
                "2020-01-01 09:00",
                "2020-01-01 18:30",
                "2020-01-08 10:00",
                "2020-03-31 23:00",
                "2020-02-15 12:00",
                "2020-01-06 00:00",
                "2021-01-05 08:00",
                "2020-06-01 00:00",
            ]
        ),
        "amount": [10.0, 5.0, 20.0, 30.0, 7.0, 100.0, 50.0, 1.0],
    }
)


def lifetimes_summary() -> Callable[..., pd.DataFrame]:
    with warnings.catch_warnings():
        # lifetimes 0.11.3 sets a pandas option on import that pandas 3 deprecates
        warnings.filterwarnings("ignore", message=".*mode.chained_assignment")
        from lifetimes.utils import summary_data_from_transaction_data
    return summary_data_from_transaction_data  # type: ignore[no-any-return]


def assert_same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert list(ours.columns) == list(theirs.columns)
    if theirs.empty:
        assert ours.empty
        return
    # means are summed in a different order, so only those may differ in the last bits
    pd.testing.assert_frame_equal(ours, theirs, rtol=1e-12, check_index_type=False)


# numpy's average month and year, which lifetimes divides by for "M" and "Y"
UNITS = {
    "W": pd.Timedelta(days=7),
    "M": pd.Timedelta(days=30.436875),
    "Y": pd.Timedelta(days=365.2425),
}
PANDAS_FREQ = {"H": "h", "A": "Y"}


def reference(
    log: pd.DataFrame, end: datetime | None, freq: str, multiplier: float
) -> pd.DataFrame:
    """lifetimes' algorithm, step by step, on columns cid / when / amount."""
    pfreq = PANDAS_FREQ.get(freq, freq)
    unit = UNITS.get(pfreq) or pd.Timedelta(1, unit=pfreq)
    start = log["when"].dt.to_period(pfreq).dt.start_time
    last = (pd.Timestamp(end) if end else log["when"].max()).to_period(pfreq).start_time
    kept = pd.DataFrame({"cid": log["cid"], "p": start, "v": log["amount"]})[start <= last]
    periods = kept.groupby(["cid", "p"], as_index=False)["v"].sum()
    by = periods.groupby("cid")["p"]
    first = by.transform("min")
    out = pd.DataFrame(
        {
            "frequency": by.size() - 1,
            "recency": (by.max() - by.min()) / unit / multiplier,
            "T": (last - by.min()) / unit / multiplier,
        }
    )
    repeat = periods[periods["p"] > first].groupby("cid")["v"].mean()
    out["monetary_value"] = repeat.reindex(out.index).fillna(0.0)
    out.index.name = "cid"
    return out.astype(float)


def test_daily_pinned() -> None:
    got = rfm_summary(LOG, "cid", "when", "amount")
    expected = pd.DataFrame(
        {
            # c1: days 01-01 (10 + 5 merged), 01-08, 03-31; the end is 2021-01-05
            "frequency": [2.0, 0.0, 1.0, 0.0],
            "recency": [90.0, 0.0, 365.0, 0.0],
            "T": [370.0, 325.0, 365.0, 218.0],
            "monetary_value": [25.0, 0.0, 50.0, 0.0],
        },
        index=pd.Index(["c1", "c2", "c3", "c4"], name="cid"),
    )
    assert_same(got, expected)


def test_weekly_and_monthly_pinned() -> None:
    weekly = rfm_summary(LOG, "cid", "when", "amount", freq="W")
    # weeks start on Monday: 2019-12-30, 2020-01-06 (c1's 01-08 and c3's 01-06), 2020-03-30
    assert weekly.loc["c1"].tolist() == [2.0, 13.0, 53.0, 25.0]
    assert weekly.loc["c3"].tolist() == [1.0, 52.0, 52.0, 50.0]
    monthly = rfm_summary(LOG, "cid", "when", "amount", freq="M")
    # as lifetimes 0.11.3 computes it on pandas 1.5.3 (on pandas >= 2 it refuses "M"): c1 buys
    # in January (15 + 20) and March (30); 60 and 366 days in average months of 2629746 s
    month = 2629746
    assert monthly.loc["c1"].tolist() == [1.0, 60 * 86400 / month, 366 * 86400 / month, 30.0]


@pytest.mark.parametrize("freq", ["D", "W", "h", "s"])
@pytest.mark.parametrize("end", [None, "2020-03-31", "2020-12-31 13:00"])
def test_matches_lifetimes(freq: str, end: str | None) -> None:
    theirs = lifetimes_summary()(
        LOG, "cid", "when", "amount", observation_period_end=end, freq=freq
    )
    assert_same(rfm_summary(LOG, "cid", "when", "amount", end, freq), theirs)


@pytest.mark.parametrize("freq", ["D", "W", "M", "Y", "h", "H", "A", "min"])
def test_matches_reference(freq: str) -> None:
    ours = rfm_summary(LOG, "cid", "when", "amount", "2020-12-31", freq, freq_multiplier=3)
    assert_same(ours, reference(LOG, datetime(2020, 12, 31), freq, 3))


def test_freq_multiplier_divides_recency_and_t_only() -> None:
    days = rfm_summary(LOG, "cid", "when", "amount")
    weeks = rfm_summary(LOG, "cid", "when", "amount", freq_multiplier=7)
    assert weeks["recency"].tolist() == (days["recency"] / 7).tolist()
    assert weeks["T"].tolist() == (days["T"] / 7).tolist()
    assert weeks["frequency"].tolist() == days["frequency"].tolist()
    # lifetimes' docstring: freq "h" with multiplier 24 gives fractional days
    hours = rfm_summary(LOG, "cid", "when", freq="h", freq_multiplier=24)
    assert hours.loc["c1", "recency"] == pytest.approx((90 * 24 + 23 - 9) / 24)


def test_observation_period_end_drops_later_transactions() -> None:
    got = rfm_summary(LOG, "cid", "when", "amount", observation_period_end="2020-03-31")
    assert list(got.index) == ["c1", "c2", "c3"]  # c4 starts after the end
    # c1's 23:00 purchase on the last day is kept: the whole last period counts
    assert got.loc["c1"].tolist() == [2.0, 90.0, 90.0, 25.0]
    assert got.loc["c3"].tolist() == [0.0, 0.0, 85.0, 0.0]
    as_date = rfm_summary(LOG, "cid", "when", "amount", datetime(2020, 3, 31, 5))
    assert_same(as_date, got)


def test_same_period_merges_and_monetary_is_mean_of_repeat_periods() -> None:
    log = pd.DataFrame(
        {
            "cid": [1, 1, 1, 1, 1],
            "when": pd.to_datetime(["2024-05-01"] * 2 + ["2024-05-03"] + ["2024-05-09"] * 2),
            "amount": [100.0, 1.0, 10.0, 20.0, 5.0],
        }
    )
    got = rfm_summary(log, "cid", "when", "amount")
    # periods: 05-01 (101, first, left out), 05-03 (10), 05-09 (25)
    assert got.loc[1].tolist() == [2.0, 8.0, 8.0, 17.5]
    assert rfm_summary(log, "cid", "when", "amount", freq="W").loc[1].tolist() == [
        1.0,
        1.0,
        1.0,
        25.0,
    ]


def test_one_purchase_customers() -> None:
    got = rfm_summary(LOG, "cid", "when", "amount")
    assert got.loc["c2"].tolist() == [0.0, 0.0, 325.0, 0.0]
    assert "monetary_value" not in rfm_summary(LOG, "cid", "when").columns


def test_shape_of_the_result() -> None:
    log = LOG.assign(cid=LOG["cid"].map({"c1": "b", "c2": "a", "c3": "C", "c4": "10"}))
    got = rfm_summary(log.iloc[::-1], "cid", "when", "amount")
    assert list(got.index) == ["10", "C", "a", "b"]  # sorted like lifetimes' sort_values
    assert got.index.name == "cid"
    assert list(got.columns) == COLUMNS
    assert all(dtype == "float64" for dtype in got.dtypes)


def test_rows_without_customer_or_date_are_ignored() -> None:
    extra = pd.DataFrame({"cid": [None, "c2"], "when": [LOG["when"][0], pd.NaT]})
    log = pd.concat([LOG, extra.assign(amount=[1.0, 2.0])], ignore_index=True)
    expected = rfm_summary(LOG, "cid", "when", "amount")
    assert_same(rfm_summary(log, "cid", "when", "amount"), expected)
    # but, as in lifetimes, a row without a customer still sets the default end
    late = pd.DataFrame({"cid": [None], "when": [pd.Timestamp("2021-02-01")], "amount": [1.0]})
    log = pd.concat([LOG, late], ignore_index=True)
    theirs = lifetimes_summary()(log, "cid", "when", "amount")
    assert_same(rfm_summary(log, "cid", "when", "amount"), theirs)
    assert theirs.loc["c2", "T"] == expected.loc["c2", "T"] + 27


def test_time_zone_aware_dates_use_wall_time() -> None:
    zoned = LOG.assign(when=LOG["when"].dt.tz_localize("Asia/Shanghai"))
    expected = rfm_summary(LOG, "cid", "when", "amount")
    assert_same(rfm_summary(zoned, "cid", "when", "amount"), expected)
    assert_same(rfm_summary(pa.Table.from_pandas(zoned), "cid", "when", "amount"), expected)


@pytest.fixture
def expected() -> pd.DataFrame:
    return rfm_summary(LOG, "cid", "when", "amount")


def test_arrow_table(expected: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(LOG, preserve_index=False)
    assert_same(rfm_summary(table, "cid", "when", "amount"), expected)


def test_polars_frame(expected: pd.DataFrame) -> None:
    pl = pytest.importorskip("polars")
    assert_same(rfm_summary(pl.from_pandas(LOG), "cid", "when", "amount"), expected)


def test_csv_and_parquet_paths(tmp_path: Path, expected: pd.DataFrame) -> None:
    LOG.to_csv(tmp_path / "log.csv", index=False)
    pq.write_table(pa.Table.from_pandas(LOG, preserve_index=False), tmp_path / "log.parquet")
    assert_same(rfm_summary(tmp_path / "log.csv", "cid", "when", "amount"), expected)
    assert_same(rfm_summary(str(tmp_path / "log.parquet"), "cid", "when", "amount"), expected)


def test_csv_with_datetime_format(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("cid,day,amount\n7,31/01/2024,5\n7,01/02/2024,6\n7,03/02/2024,7\n")
    got = rfm_summary(path, "cid", "day", "amount", "03/02/2024", datetime_format="%d/%m/%Y")
    assert got.loc[7].tolist() == [2.0, 3.0, 3.0, 6.5]


def test_warehouse_table(engine: Engine, expected: pd.DataFrame) -> None:
    engine.register("log_frame", LOG)
    engine.execute("create table orders as select * from log_frame")
    engine.unregister("log_frame")
    assert_same(rfm_summary("orders", "cid", "when", "amount", engine=engine), expected)
    with pytest.raises(UsageError, match="engine="):
        rfm_summary("orders", "cid", "when", "amount")
    with pytest.raises(UsageError, match="no such file or warehouse table"):
        rfm_summary("order", "cid", "when", "amount", engine=engine)


def test_missing_column_names_it_and_lists_the_others() -> None:
    with pytest.raises(UsageError) as caught:
        rfm_summary(LOG, "cid", "date", "amount")
    assert "'date'" in str(caught.value)
    assert "cid, when, amount" in str(caught.value)
    with pytest.raises(UsageError, match="did you mean 'amount'"):
        rfm_summary(LOG, "cid", "when", "amont")


def test_unknown_freq_lists_the_accepted_ones() -> None:
    with pytest.raises(UsageError, match="'D', 'W', 'M'"):
        rfm_summary(LOG, "cid", "when", freq="Q")
    with pytest.raises(UsageError, match="freq_multiplier"):
        rfm_summary(LOG, "cid", "when", freq_multiplier=0)


def test_unreadable_dates_name_the_row(tmp_path: Path) -> None:
    log = pd.DataFrame({"cid": [1, 2, 3], "when": ["2024-01-01", "", "2024-13-01"]})
    with pytest.raises(DataError, match=r"'2024-13-01' as a date \(index 2\)"):
        rfm_summary(log, "cid", "when")
    (tmp_path / "log.csv").write_text("cid,when\n1,2024-01-01\n2,soon\n3,2024-01-03\n")
    with pytest.raises(DataError, match=r"log.csv, line 3, column when: cannot read 'soon'"):
        rfm_summary(tmp_path / "log.csv", "cid", "when")
    with pytest.raises(DataError, match="datetime_format"):
        rfm_summary(log.iloc[[0]], "cid", "when", datetime_format="%d.%m.%Y")


def test_unusable_column_types() -> None:
    log = pd.DataFrame({"cid": [1], "day": [20240131], "amount": ["5"]})
    with pytest.raises(UsageError, match="datetime_format='%Y%m%d'"):
        rfm_summary(log, "cid", "day")
    with pytest.raises(UsageError, match="not numbers"):
        rfm_summary(log, "cid", "day", "amount", datetime_format="%Y%m%d")
    with pytest.raises(UsageError, match="cannot summarise a list"):
        rfm_summary([1, 2], "cid", "day")
    mixed = pd.DataFrame({"cid": [1, "a"], "when": LOG["when"][:2]})
    with pytest.raises(DataError, match="mixed types"):
        rfm_summary(mixed, "cid", "when")


def cdnow_sample() -> pd.DataFrame:
    lifetimes_summary()
    path = importlib.resources.files("lifetimes") / "datasets" / "CDNOW_sample.txt"
    with importlib.resources.as_file(path) as file:
        names = ["master_id", "id", "date", "quantity", "amount"]
        return pd.read_csv(file, sep=r"\s+", header=None, names=names)


def test_cdnow_sample_reproduces_the_published_summary() -> None:
    # Fader & Hardie's CDNOW sample: 2,357 customers, calibration 1997-01-01 to 1997-09-30.
    # Their summary (lifetimes/datasets/cdnow_customers_summary_with_transactions.csv: x, t_x,
    # T in weeks, zbar) counts repeat purchase days, so it is freq "D" divided by 7.
    log = cdnow_sample()
    options: dict[str, Any] = {"datetime_format": "%Y%m%d", "observation_period_end": "19970930"}
    got = rfm_summary(log, "id", "date", "amount", freq_multiplier=7, **options)
    path = importlib.resources.files("lifetimes") / "datasets"
    with importlib.resources.as_file(path / "cdnow_customers_summary_with_transactions.csv") as f:
        published = pd.read_csv(f).set_index("ID")
    assert len(got) == 2357
    assert int((got["frequency"] > 0).sum()) == 946
    assert int(got["frequency"].sum()) == 2457
    assert (got["frequency"].to_numpy() == published["x"].to_numpy()).all()
    assert (got["recency"].round(2).to_numpy() == published["t_x"].to_numpy()).all()
    assert (got["T"].round(2).to_numpy() == published["T"].to_numpy()).all()
    assert (got["monetary_value"] - published["zbar"].to_numpy()).abs().max() <= 0.005 + 1e-9
    weekly = rfm_summary(log, "id", "date", "amount", freq="W", **options)
    # with calendar weeks a repeat in the first purchase's week merges into it
    assert int((weekly["frequency"] > 0).sum()) == 935
    for freq, multiplier in [("D", 7), ("W", 1)]:
        # as text: pandas 3 deprecates reading integers with a format
        theirs = lifetimes_summary()(
            log.assign(date=log["date"].astype(str)),
            "id",
            "date",
            "amount",
            freq=freq,
            freq_multiplier=multiplier,
            **options,
        )
        ours = rfm_summary(
            log, "id", "date", "amount", freq=freq, freq_multiplier=multiplier, **options
        )
        assert_same(ours, theirs)


START = datetime(2022, 12, 25)
transactions = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.integers(0, 800 * 24 * 60).map(lambda m: START + timedelta(minutes=m)),
        st.integers(-500, 100_000).map(lambda cents: cents / 100),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    rows=transactions,
    freq=st.sampled_from(["D", "W", "M", "Y", "h"]),
    multiplier=st.sampled_from([1.0, 7.0, 0.25]),
    end_minutes=st.one_of(st.none(), st.integers(0, 900 * 24 * 60)),
)
def test_property_matches_reference(
    rows: list[tuple[str, datetime, float]], freq: str, multiplier: float, end_minutes: int | None
) -> None:
    log = pd.DataFrame(rows, columns=["cid", "when", "amount"])
    log["when"] = log["when"].astype("datetime64[us]")
    end = None if end_minutes is None else START + timedelta(minutes=end_minutes)
    ours = rfm_summary(log, "cid", "when", "amount", end, freq, multiplier)
    assert_same(ours, reference(log, end, freq, multiplier))


def test_reference_matches_lifetimes() -> None:
    log = cdnow_sample().rename(columns={"id": "cid", "amount": "amount"})
    log["when"] = pd.to_datetime(log["date"].astype(str), format="%Y%m%d")
    for freq in ["D", "W"]:
        theirs = lifetimes_summary()(
            log, "cid", "when", "amount", observation_period_end="1997-06-30", freq=freq
        )
        assert_same(reference(log, datetime(1997, 6, 30), freq, 1.0), theirs)
