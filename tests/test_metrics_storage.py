"""storage_costs and storage_forecast, with the arithmetic worked out in each test."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from reccb_analytics.exceptions import ConfigError
from reccb_analytics.metrics import storage_costs, storage_forecast
from tests.test_metrics_support import (
    PARENT,
    SUB,
    add_deletion,
    add_delivery,
    add_recording,
    add_usage,
    rows,
    rsid,
)


def minutes(n: int) -> int:
    """Duration in seconds of an n-minute recording."""
    return n * 60


def test_month_crossing_the_free_tier(con: duckdb.DuckDBPyConnection) -> None:
    # A: 6,200 min created March 1 -> stored all 31 days of March: 6,200 x 31 = 192,200.
    # B: 31,000 min created March 27 -> stored March 27..31 (5 days): 155,000.
    # March average = 347,200 / 31 = 11,200; billable = 11,200 - 10,000 = 1,200;
    # cost = 1,200 x 0.0005 = 0.60. February: nothing stored. April: 37,200 all month ->
    # billable 27,200 -> cost 13.60.
    add_recording(con, rsid(1), duration_s=minutes(6200), date_created="2024-03-01 10:00:00+00")
    add_recording(con, rsid(2), duration_s=minutes(31000), date_created="2024-03-27 08:00:00+00")
    df = storage_costs(con, "2024-02", "2024-04", as_of="2024-04-30")
    assert list(df.columns) == ["month", "avg_stored_minutes", "billable_minutes", "storage_cost",
                                "recording_fees", "partial", "days", "currency",
                                "twilio_billed_storage", "difference"]
    assert rows(df, "month", "days", "partial") == [
        ("2024-02-01", 29, False), ("2024-03-01", 31, False), ("2024-04-01", 30, False)]
    assert df["avg_stored_minutes"].tolist() == pytest.approx([0, 11200, 37200])
    assert df["billable_minutes"].tolist() == pytest.approx([0, 1200, 27200])
    assert df["storage_cost"].tolist() == pytest.approx([0, 0.60, 13.60])
    assert (df["currency"] == "USD").all()


def test_minutes_are_rounded_up_and_only_recordings_with_media_count(
        con: duckdb.DuckDBPyConnection) -> None:
    # April 2024 (30 days), everything created April 1 unless said otherwise:
    add_recording(con, rsid(1), duration_s=61, date_created="2024-04-01 00:00:00+00")   # 2 min
    add_recording(con, rsid(2), duration_s=60, date_created="2024-04-01 00:00:00+00")   # 1 min
    add_recording(con, rsid(3), duration_s=0, date_created="2024-04-01 00:00:00+00")    # 0 min
    for n, status in [(4, "absent"), (5, "failed"), (6, "in-progress")]:                # no media
        add_recording(con, rsid(n), status=status, duration_s=600,
                      date_created="2024-04-01 00:00:00+00")
    # Metadata in-progress without duration, completed callback with 150 s -> 3 min.
    add_recording(con, rsid(7), status="in-progress", duration_s=None,
                  date_created="2024-04-01 00:00:00+00")
    add_delivery(con, rsid(7), "completed", "2024-04-01 00:05:00+00", duration_s=150)
    # Known only from callbacks: 30 s -> 1 min, created (started) April 16 -> 15 of 30 days.
    add_delivery(con, rsid(8), "completed", "2024-04-16 00:05:00+00", duration_s=30,
                 start_time="2024-04-16 00:00:00+00")
    # Average = 2 + 1 + 0 + 3 + 1 x 15/30 = 6.5
    df = storage_costs(con, "2024-04", "2024-04", as_of="2024-05-01")
    assert df["avg_stored_minutes"].tolist() == pytest.approx([6.5])
    assert df["billable_minutes"].tolist() == [0] and df["storage_cost"].tolist() == [0]


def test_recording_deleted_mid_month(con: duckdb.DuckDBPyConnection) -> None:
    # April 2024 has 30 days.
    # D1: metadata 'deleted', date_updated April 11 -> stored April 1..10: 3,000 x 10 / 30 = 1,000
    add_recording(con, rsid(1), status="deleted", duration_s=minutes(3000),
                  date_created="2024-04-01 00:00:00+00", date_updated="2024-04-11 10:00:00+00")
    # D2: deleted by this toolkit on April 21 -> April 1..20: 1,500 x 20 / 30 = 1,000
    add_recording(con, rsid(2), duration_s=minutes(1500), date_created="2024-04-01 00:00:00+00")
    add_deletion(con, rsid(2), "2024-04-21 09:00:00+00")
    # D3: a refused deletion deletes nothing -> all month: 300
    add_recording(con, rsid(3), duration_s=minutes(300), date_created="2024-04-01 00:00:00+00")
    add_deletion(con, rsid(3), "2024-04-05 09:00:00+00", outcome="refused")
    # D4: 'already-deleted' (a 404) counts as deleted then -> April 1..15: 600 x 15 / 30 = 300
    add_recording(con, rsid(4), duration_s=minutes(600), date_created="2024-04-01 00:00:00+00")
    add_deletion(con, rsid(4), "2024-04-16 12:00:00+00", outcome="already-deleted")
    # D5: both sources; the earlier (audit, April 6) wins -> April 1..5: 60 x 5 / 30 = 10
    add_recording(con, rsid(5), status="deleted", duration_s=minutes(60),
                  date_created="2024-04-01 00:00:00+00", date_updated="2024-04-25 00:00:00+00")
    add_deletion(con, rsid(5), "2024-04-06 08:00:00+00")
    # D6: created March 1, deleted March 20 -> March 1..19: 310 x 19 / 31 = 190; April 0.
    add_recording(con, rsid(6), status="deleted", duration_s=minutes(310),
                  date_created="2024-03-01 00:00:00+00", date_updated="2024-03-20 00:00:00+00")
    df = storage_costs(con, "2024-03", "2024-04", as_of="2024-04-30")
    # April = 1,000 + 1,000 + 300 + 300 + 10 = 2,610
    assert df["avg_stored_minutes"].tolist() == pytest.approx([190, 2610])


def test_subaccount_split_and_twilio_billed_storage(con: duckdb.DuckDBPyConnection) -> None:
    # March 2024, as_of its last day (so not partial). Parent 9,000 min, subaccount 3,000 min,
    # all month. Together 12,000 -> billable 2,000 (free tier once, for both) -> cost 1.00,
    # shared by average: parent 9/12 -> 1,500 min, 0.75; subaccount 3/12 -> 500 min, 0.25.
    add_recording(con, rsid(1), account_sid=PARENT, duration_s=minutes(9000), price=-0.5,
                  date_created="2024-03-01 00:00:00+00")
    add_recording(con, rsid(2), account_sid=SUB, duration_s=minutes(3000), price=-0.25,
                  date_created="2024-03-01 00:00:00+00")
    add_recording(con, rsid(3), account_sid=SUB, status="absent", price=-0.1,
                  date_created="2024-03-15 00:00:00+00")               # fee counts, no storage
    add_recording(con, rsid(4), account_sid=SUB, price=-7.0,
                  date_created="2024-04-01 00:00:00+00")               # April: not March's fee
    # A third account whose only recording was gone before March: left out of March's rows.
    gone = "AC" + "d" * 32
    add_recording(con, rsid(5), account_sid=gone, status="deleted",
                  date_created="2024-02-01 00:00:00+00", date_updated="2024-02-10 00:00:00+00")
    # What Twilio billed for storage (only 'recordingstorage' counts).
    add_usage(con, PARENT, "recordingstorage", "2024-03-01", 0.9)
    add_usage(con, PARENT, "recordings", "2024-03-01", 5.0)

    split = storage_costs(con, "2024-03", "2024-03", as_of="2024-03-31", by="account_sid")
    assert list(split.columns[:2]) == ["month", "account_sid"]
    assert rows(split, "account_sid", "partial") == [(PARENT, False), (SUB, False)]
    assert split["avg_stored_minutes"].tolist() == pytest.approx([9000, 3000])
    assert split["billable_minutes"].tolist() == pytest.approx([1500, 500])
    assert split["storage_cost"].tolist() == pytest.approx([0.75, 0.25])
    # Fees: parent 0.5; subaccount 0.25 + 0.1 (the April 7.0 is not March's).
    assert split["recording_fees"].tolist() == pytest.approx([0.5, 0.35])
    assert split.loc[0, "twilio_billed_storage"] == pytest.approx(0.9)
    assert split.loc[0, "difference"] == pytest.approx(0.75 - 0.9)
    assert pd.isna(split.loc[1, "twilio_billed_storage"]) and pd.isna(split.loc[1, "difference"])

    total = storage_costs(con, "2024-03", "2024-03", as_of="2024-03-31")
    assert total["avg_stored_minutes"].tolist() == pytest.approx([12000])
    assert total["billable_minutes"].tolist() == pytest.approx([2000])
    assert total["storage_cost"].tolist() == pytest.approx([1.0])
    assert total["recording_fees"].tolist() == pytest.approx([0.85])
    assert total["twilio_billed_storage"].tolist() == pytest.approx([0.9])
    assert total["difference"].tolist() == pytest.approx([1.0 - 0.9])


def test_partial_month_up_to_as_of(con: duckdb.DuckDBPyConnection) -> None:
    # as_of March 10: March counts 10 days and is flagged partial; later months are not listed.
    # 1,000 min created March 6 -> stored March 6..10 = 5 days -> 5,000 / 10 = 500.
    add_recording(con, rsid(1), duration_s=minutes(1000), price=-0.3,
                  date_created="2024-03-06 09:00:00+00")
    # Created March 12, after as_of: neither stored nor a fee yet.
    add_recording(con, rsid(2), duration_s=minutes(5000), price=-2.0,
                  date_created="2024-03-12 09:00:00+00")
    df = storage_costs(con, "2024-03", "2024-05", as_of="2024-03-10")
    assert rows(df, "month", "days", "partial") == [("2024-03-01", 10, True)]
    assert df["avg_stored_minutes"].tolist() == pytest.approx([500])
    assert df["recording_fees"].tolist() == pytest.approx([0.3])
    # as_of before the first month: nothing to report, same columns.
    empty = storage_costs(con, "2024-04", "2024-05", as_of="2024-03-10", by="account_sid")
    assert empty.empty and list(empty.columns[:2]) == ["month", "account_sid"]


def test_rate_free_minutes_and_currency_from_config(con: duckdb.DuckDBPyConnection,
                                                    tmp_path: Path) -> None:
    # Same data as the free-tier test (March average 11,200) with a contract of 0.001 per
    # minute above 5,000 free, in EUR: billable 6,200 -> cost 6.20.
    add_recording(con, rsid(1), duration_s=minutes(6200), date_created="2024-03-01 10:00:00+00")
    add_recording(con, rsid(2), duration_s=minutes(31000), date_created="2024-03-27 08:00:00+00")
    config = tmp_path / "reccb.toml"
    config.write_text('[storage]\nrate = 0.001\nfree_minutes = 5000\ncurrency = "EUR"\n')
    df = storage_costs(con, "2024-03", "2024-03", as_of="2024-03-31", rate=None,
                       free_minutes=None, currency=None, config=config)
    assert df["billable_minutes"].tolist() == pytest.approx([6200])
    assert df["storage_cost"].tolist() == pytest.approx([6.2])
    assert df["currency"].tolist() == ["EUR"]
    assert df.attrs["rate"] == 0.001 and df.attrs["free_minutes"] == 5000
    # Explicit values win over the file.
    df = storage_costs(con, "2024-03", "2024-03", as_of="2024-03-31", rate=0.002,
                       free_minutes=None, config=config)
    assert df["storage_cost"].tolist() == pytest.approx([6200 * 0.002])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"start_month": "March"}, "is not a month"),
    ({"start_month": "2024-13"}, "is not a month"),
    ({"start_month": "2024-05", "end_month": "2024-04"}, "is before start_month"),
    ({"by": "source"}, "by='source' is not supported"),
    ({"rate": -1}, "rate=-1 must be a non-negative number"),
    ({"free_minutes": "many"}, "free_minutes='many' must be"),
    ({"as_of": "yesterday"}, "is not a date"),
    ({"rate": None, "config": "/nonexistent/reccb.toml"}, "config file not found"),
])
def test_bad_parameters_raise_config_error(con: duckdb.DuckDBPyConnection,
                                           kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"start_month": "2024-03", "end_month": "2024-04", **kwargs}
    with pytest.raises(ConfigError, match=message):
        storage_costs(con, **args)  # type: ignore[arg-type]


def test_forecast_projects_the_trailing_30_day_growth(con: duckdb.DuckDBPyConnection) -> None:
    # as_of March 31; the base day is 30 days earlier, March 1.
    # A: 1,000 min since January 10 (stored both days). B: 300 min since March 15 (only on
    # March 31). C: 200 min from February 1, deleted March 5 (only on March 1).
    # S(Mar 31) = 1,300; S(Mar 1) = 1,200; growth g = 100 / 30 per day.
    # April day d is projected as 1,300 + g x (d - Mar 31), d - Mar 31 = 1..30, mean 15.5:
    # average = 1,300 + (100/30) x 15.5 = 1,351.667; billable over 1,000 free = 351.667;
    # cost at 0.0005 = 0.175833.
    add_recording(con, rsid(1), duration_s=minutes(1000), date_created="2024-01-10 00:00:00+00")
    add_recording(con, rsid(2), duration_s=minutes(300), date_created="2024-03-15 00:00:00+00")
    add_recording(con, rsid(3), duration_s=minutes(200), date_created="2024-02-01 00:00:00+00")
    add_deletion(con, rsid(3), "2024-03-05 00:00:00+00")
    df = storage_forecast(con, as_of="2024-03-31", free_minutes=1000)
    assert len(df) == 1
    row = df.iloc[0]
    assert row["month"] == pd.Timestamp("2024-04-01") and row["as_of"] == pd.Timestamp("2024-03-31")
    assert row["stored_minutes_at_as_of"] == 1300 and row["stored_minutes_30_days_before"] == 1200
    assert row["daily_growth_minutes"] == pytest.approx(100 / 30)
    assert row["avg_stored_minutes"] == pytest.approx(1300 + 100 / 30 * 15.5)
    assert row["billable_minutes"] == pytest.approx(1300 + 100 / 30 * 15.5 - 1000)
    assert row["storage_cost"] == pytest.approx((1300 + 100 / 30 * 15.5 - 1000) * 0.0005)
    assert row["currency"] == "USD"


def test_forecast_never_goes_below_zero(con: duckdb.DuckDBPyConnection) -> None:
    # 100 min stored on March 1 (the base day), deleted March 2: S(Mar 31) = 0, g = -100/30;
    # every projected April day is clamped at 0.
    add_recording(con, rsid(1), duration_s=minutes(100), date_created="2024-01-01 00:00:00+00")
    add_deletion(con, rsid(1), "2024-03-02 00:00:00+00")
    row = storage_forecast(con, as_of="2024-03-31").iloc[0]
    assert row["stored_minutes_30_days_before"] == 100 and row["stored_minutes_at_as_of"] == 0
    assert row["avg_stored_minutes"] == 0 and row["storage_cost"] == 0


def test_as_of_defaults_to_today_in_utc(con: duckdb.DuckDBPyConnection) -> None:
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date()
    month = today.strftime("%Y-%m")
    df = storage_costs(con, month, month)
    assert df.attrs["as_of"] == today
    assert rows(df, "month", "days") == [(today.replace(day=1).isoformat(), today.day)]
    # Partial unless today is the month's last day.
    assert bool(df.loc[0, "partial"]) == ((today + dt.timedelta(days=1)).day != 1)
