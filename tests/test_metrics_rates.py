"""status_rates and the outcome rule, on hand-built stores with hand-worked answers."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from reccb_analytics.exceptions import ConfigError
from reccb_analytics.metrics import status_rates
from tests.test_metrics_support import add_delivery, add_recording, rows, rsid


def one(df: pd.DataFrame, **where: object) -> pd.Series:
    match = df
    for column, value in where.items():
        match = match[match[column] == value]
    assert len(match) == 1, match
    return match.iloc[0]


def test_month_with_exactly_3_absent_of_12_and_pending_excluded(
        con: duckdb.DuckDBPyConnection) -> None:
    # March 2024: 8 completed + 3 absent + 1 failed = 12 with a terminal outcome, plus 2 pending
    # (in-progress, and a status nobody has seen) which count as recordings but not in rates.
    n = 0
    for status, count in [("completed", 8), ("absent", 3), ("failed", 1), ("in-progress", 1),
                          ("weird-new-status", 1)]:
        for _ in range(count):
            n += 1
            add_recording(con, rsid(n), status=status, date_created=f"2024-03-{n:02d} 10:00:00+00")
    # One April recording stays out of March.
    add_recording(con, rsid(99), status="absent", date_created="2024-04-01 00:00:00+00")

    df = status_rates(con, "2024-03-01", "2024-04-01", freq="month")
    assert list(df.columns) == ["period", "recordings", "completed", "absent", "failed",
                                "pending", "absent_rate", "failed_rate"]
    assert rows(df, "period", "recordings", "completed", "absent", "failed", "pending") == [
        ("2024-03-01", 14, 8, 3, 1, 2)]
    # Rates over completed + absent + failed = 12 (the 2 pending are left out).
    assert df.loc[0, "absent_rate"] == pytest.approx(3 / 12)
    assert df.loc[0, "failed_rate"] == pytest.approx(1 / 12)


def test_pending_only_period_has_no_rate(con: duckdb.DuckDBPyConnection) -> None:
    add_recording(con, rsid(1), status="processing", date_created="2024-03-05 10:00:00+00")
    df = status_rates(con, dt.date(2024, 3, 5), dt.date(2024, 3, 6))
    assert rows(df, "period", "recordings", "pending") == [("2024-03-05", 1, 1)]
    assert pd.isna(df.loc[0, "absent_rate"]) and pd.isna(df.loc[0, "failed_rate"])


def test_metadata_completed_wins_over_callback_absent(con: duckdb.DuckDBPyConnection) -> None:
    # REST metadata says completed; the webhook logged absent (later, even): metadata wins.
    add_recording(con, rsid(1), status="completed", date_created="2024-03-05 10:00:00+00")
    add_delivery(con, rsid(1), "absent", "2024-03-05 10:05:00+00", error_code=16101)
    # Metadata 'deleted' counts as completed, whatever the callbacks said.
    add_recording(con, rsid(2), status="deleted", date_created="2024-03-05 11:00:00+00")
    add_delivery(con, rsid(2), "absent", "2024-03-05 11:05:00+00")
    # Metadata absent wins over a completed callback too.
    add_recording(con, rsid(3), status="absent", date_created="2024-03-05 12:00:00+00")
    add_delivery(con, rsid(3), "completed", "2024-03-05 12:05:00+00")

    df = status_rates(con, "2024-03-05", "2024-03-06")
    assert rows(df, "recordings", "completed", "absent", "failed", "pending") == [(3, 2, 1, 0, 0)]


def test_non_terminal_metadata_defers_to_callbacks(con: duckdb.DuckDBPyConnection) -> None:
    # Metadata still in-progress: the terminal callback decides (failed here).
    add_recording(con, rsid(1), status="in-progress", date_created="2024-03-05 10:00:00+00")
    add_delivery(con, rsid(1), "in-progress", "2024-03-05 10:00:01+00")
    add_delivery(con, rsid(1), "failed", "2024-03-05 10:02:00+00", error_code=16104)
    df = status_rates(con, "2024-03-05", "2024-03-06")
    assert rows(df, "recordings", "completed", "failed", "pending") == [(1, 0, 1, 0)]


def test_recording_known_only_from_callbacks_counts(con: duckdb.DuckDBPyConnection) -> None:
    # No metadata row: dated by RecordingStartTime, outcome from its terminal callback.
    add_delivery(con, rsid(1), "completed", "2024-03-05 10:05:00+00",
                 start_time="2024-03-05 10:00:00+00", duration_s=240)
    # Only an in-progress callback: known, but pending.
    add_delivery(con, rsid(2), "in-progress", "2024-03-05 11:00:00+00",
                 start_time="2024-03-05 11:00:00+00")
    # No start time in the callback: dated by its first delivery (March 6 here: outside).
    add_delivery(con, rsid(3), "absent", "2024-03-06 00:10:00+00")

    df = status_rates(con, "2024-03-05", "2024-03-06")
    assert rows(df, "recordings", "completed", "absent", "pending") == [(2, 1, 0, 1)]
    df = status_rates(con, "2024-03-06", "2024-03-07")
    assert rows(df, "recordings", "absent") == [(1, 1)]


T0 = "2024-03-05 10:00:00+00"


def test_latest_received_terminal_callback_wins(con: duckdb.DuckDBPyConnection) -> None:
    # Recording 1: absent at 10:05, then completed at 10:09 -> completed.
    add_delivery(con, rsid(1), "absent", "2024-03-05 10:05:00+00", start_time=T0)
    add_delivery(con, rsid(1), "completed", "2024-03-05 10:09:00+00", start_time=T0)
    # Recording 2: completed at 10:05, then absent at 10:09 -> absent (the latest wins).
    add_delivery(con, rsid(2), "completed", "2024-03-05 10:05:00+00", start_time=T0)
    add_delivery(con, rsid(2), "absent", "2024-03-05 10:09:00+00", start_time=T0)
    # Recording 3: a later in-progress delivery is not terminal and does not win.
    add_delivery(con, rsid(3), "failed", "2024-03-05 10:05:00+00", start_time=T0)
    add_delivery(con, rsid(3), "in-progress", "2024-03-05 10:30:00+00", start_time=T0)
    # Recording 4: a delivery without a receive time counts as older than a timed one.
    add_delivery(con, rsid(4), "completed", None, start_time=T0)
    add_delivery(con, rsid(4), "absent", "2024-03-05 10:05:00+00", start_time=T0)
    # Metadata in-progress with the same absent-then-completed story -> completed.
    add_recording(con, rsid(5), status="in-progress", date_created="2024-03-05 10:00:00+00")
    add_delivery(con, rsid(5), "absent", "2024-03-05 10:05:00+00")
    add_delivery(con, rsid(5), "completed", "2024-03-05 10:09:00+00")

    df = status_rates(con, "2024-03-05", "2024-03-06")
    # completed: 1 and 5; absent: 2 and 4; failed: 3.
    assert rows(df, "recordings", "completed", "absent", "failed", "pending") == [(5, 2, 2, 1, 0)]


@pytest.mark.parametrize(("tz", "expected"), [
    # 2024-03-01 00:30 +0100 is 2024-02-29 23:30 UTC (18:30 in New York): February 29 in both.
    # 2024-03-01 04:30 +0000 is March 1 in UTC but 2024-02-29 23:30 in New York (EST, -5).
    ("UTC", [("2024-02-29", 1), ("2024-03-01", 1)]),
    ("America/New_York", [("2024-02-29", 2), ("2024-03-01", 0)]),
])
def test_plus_0100_start_time_just_after_midnight_lands_on_the_right_day(
        con: duckdb.DuckDBPyConnection, tz: str, expected: list[tuple[str, int]]) -> None:
    add_recording(con, rsid(1), start_time="2024-03-01 00:30:00+01:00",
                  date_created="2024-03-01 00:35:00+01:00")
    add_recording(con, rsid(2), start_time="2024-03-01 04:30:00+00:00",
                  date_created="2024-03-01 04:31:00+00:00")
    df = status_rates(con, "2024-02-29", "2024-03-02", tz=tz)
    assert rows(df, "period", "recordings") == expected


def test_range_is_local_to_tz_start_inclusive_end_exclusive(
        con: duckdb.DuckDBPyConnection) -> None:
    # Midnight in Paris (UTC+1 in March) is 23:00 UTC the day before.
    add_recording(con, rsid(1), start_time="2024-03-01 23:00:00+00")   # March 2, 00:00 Paris
    add_recording(con, rsid(2), start_time="2024-03-01 22:59:59+00")   # March 1, 23:59:59 Paris
    add_recording(con, rsid(3), start_time="2024-03-02 23:00:00+00")   # March 3, 00:00 Paris
    df = status_rates(con, "2024-03-02", "2024-03-03", tz="Europe/Paris")
    assert rows(df, "period", "recordings") == [("2024-03-02", 1)]


def test_start_time_preferred_over_date_created(con: duckdb.DuckDBPyConnection) -> None:
    add_recording(con, rsid(1), start_time="2024-03-04 23:59:00+00",
                  date_created="2024-03-05 00:10:00+00")
    add_recording(con, rsid(2), start_time=None, date_created="2024-03-05 00:10:00+00")
    con.execute("UPDATE recordings SET start_time = NULL WHERE sid = $s", {"s": rsid(2)})
    df = status_rates(con, "2024-03-04", "2024-03-06")
    assert rows(df, "period", "recordings") == [("2024-03-04", 1), ("2024-03-05", 1)]


def test_every_period_listed_and_weeks_start_monday(con: duckdb.DuckDBPyConnection) -> None:
    add_recording(con, rsid(1), date_created="2024-03-05 10:00:00+00")   # Tuesday
    add_recording(con, rsid(2), status="absent", date_created="2024-03-13 10:00:00+00")
    days = status_rates(con, "2024-03-04", "2024-03-07")
    assert rows(days, "period", "recordings") == [("2024-03-04", 0), ("2024-03-05", 1),
                                                  ("2024-03-06", 0)]
    weeks = status_rates(con, "2024-03-01", "2024-03-15", freq="week")
    # Weeks are labelled by their Monday; the first (Feb 26) holds only March 1-3 of the range.
    assert rows(weeks, "period", "recordings", "absent") == [
        ("2024-02-26", 0, 0), ("2024-03-04", 1, 0), ("2024-03-11", 1, 1)]
    assert weeks.loc[2, "absent_rate"] == 1.0


def test_by_source_account_and_channels(con: duckdb.DuckDBPyConnection) -> None:
    other = "AC" + "c" * 32
    add_recording(con, rsid(1), source="DialVerb", channels=2,
                  date_created="2024-03-05 10:00:00+00")
    add_recording(con, rsid(2), source="DialVerb", channels=1, status="absent",
                  date_created="2024-03-05 11:00:00+00")
    add_recording(con, rsid(3), source="Trunking", channels=2, account_sid=other,
                  date_created="2024-03-06 10:00:00+00")
    by_source = status_rates(con, "2024-03-05", "2024-03-07", by="source")
    assert list(by_source.columns[:2]) == ["period", "source"]
    # Every day is listed for every source seen in the range (zeros included).
    assert rows(by_source, "period", "source", "recordings", "absent") == [
        ("2024-03-05", "DialVerb", 2, 1), ("2024-03-05", "Trunking", 0, 0),
        ("2024-03-06", "DialVerb", 0, 0), ("2024-03-06", "Trunking", 1, 0)]
    by_channels = status_rates(con, "2024-03-05", "2024-03-07", freq="month", by="channels")
    assert str(by_channels["channels"].dtype) == "Int64"
    assert rows(by_channels, "period", "channels", "recordings") == [
        ("2024-03-01", 1, 1), ("2024-03-01", 2, 2)]
    by_account = status_rates(con, "2024-03-05", "2024-03-07", freq="month", by="account_sid")
    assert sorted(by_account["recordings"]) == [1, 2]


def test_empty_range_and_empty_store(con: duckdb.DuckDBPyConnection) -> None:
    assert status_rates(con, "2024-03-01", "2024-03-01").empty
    df = status_rates(con, "2024-03-01", "2024-03-03")
    assert rows(df, "period", "recordings") == [("2024-03-01", 0), ("2024-03-02", 0)]
    assert status_rates(con, "2024-03-01", "2024-03-03", by="source").empty


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"freq": "hour"}, "freq='hour' is not supported"),
    ({"by": "call_sid"}, "by='call_sid' is not supported"),
    ({"tz": "Mars/Olympus"}, "not a known time zone"),
    ({"tz": ""}, "not a time zone name"),
    ({"start": "2024-13-01"}, "is not a date"),
    ({"start": 20240301}, "is not a date"),
    ({"start": "2024-03-05", "end": "2024-03-01"}, "is before start"),
])
def test_bad_parameters_raise_config_error(con: duckdb.DuckDBPyConnection,
                                           kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"start": "2024-03-01", "end": "2024-03-02", **kwargs}
    with pytest.raises(ConfigError, match=message):
        status_rates(con, **args)  # type: ignore[arg-type]


def test_equal_receive_times_prefer_completed_then_failed(con: duckdb.DuckDBPyConnection) -> None:
    # Same received_at: completed beats absent; failed beats absent; with no receive times at
    # all the same order applies.
    add_delivery(con, rsid(1), "absent", "2024-03-05 10:05:00+00", start_time=T0)
    add_delivery(con, rsid(1), "completed", "2024-03-05 10:05:00+00", start_time=T0)
    add_delivery(con, rsid(2), "absent", "2024-03-05 10:05:00+00", start_time=T0)
    add_delivery(con, rsid(2), "failed", "2024-03-05 10:05:00+00", start_time=T0)
    add_delivery(con, rsid(3), "absent", None, start_time=T0)
    add_delivery(con, rsid(3), "completed", None, start_time=T0)
    df = status_rates(con, "2024-03-05", "2024-03-06")
    assert rows(df, "recordings", "completed", "absent", "failed") == [(3, 2, 0, 1)]


def test_dates_may_be_dates_datetimes_or_timestamps(con: duckdb.DuckDBPyConnection) -> None:
    add_recording(con, rsid(1), date_created="2024-03-05 10:00:00+00")
    for start, end in [(dt.date(2024, 3, 5), dt.date(2024, 3, 6)),
                       (dt.datetime(2024, 3, 5, 15, 0), dt.datetime(2024, 3, 6, 1, 0)),
                       (pd.Timestamp("2024-03-05"), pd.Timestamp("2024-03-06"))]:
        assert rows(status_rates(con, start, end), "period", "recordings") == [("2024-03-05", 1)]
