"""error_codes (the shipped reference table) and error_breakdown."""

from __future__ import annotations

import csv

import duckdb
import pytest

from reccb_analytics.exceptions import ConfigError
from reccb_analytics.metrics import error_breakdown, error_codes
from reccb_analytics.metrics._common import error_codes_csv
from tests.conftest import REPO
from tests.test_metrics_support import add_delivery, add_recording, rows, rsid

REQUIRED = ([16101, 16102, *range(16104, 16115), 13217, 13256, 13257, *range(13610, 13623), 13699,
             21220, 21504, 11200, 11205, 11206, 11210, 11215, 11220, 11235, 11236, 11237, 11243,
             15003, 20003, 20404, 20429])


def test_reference_table_covers_the_recording_codes() -> None:
    table = error_codes()
    assert list(table.columns) == ["code", "level", "outcome", "category", "description", "cause"]
    assert str(table["code"].dtype) == "int64"
    assert table["code"].is_unique
    assert set(REQUIRED) <= set(table["code"])
    assert set(table["level"]) <= {"ERROR", "WARNING"}
    assert set(table["outcome"]) <= {"absent", "failed", "completed", "none"}
    assert (table["description"].str.len() > 10).all() and (table["cause"].str.len() > 5).all()
    by_code = table.set_index("code")
    assert by_code.loc[16101, "outcome"] == "absent" and by_code.loc[16102, "outcome"] == "absent"
    assert by_code.loc[16104, "outcome"] == "failed"
    assert by_code.loc[13256, "category"] == "callback"


def test_reference_table_is_the_repository_file_in_an_editable_install() -> None:
    with error_codes_csv() as path:
        assert path.read_bytes() == (REPO / "data" / "twilio_error_codes.csv").read_bytes()
    with open(REPO / "data" / "twilio_error_codes.csv", newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(error_codes())


def test_breakdown_shares_and_unknown_code(con: duckdb.DuckDBPyConnection) -> None:
    # In March: 3 x 16101, 1 x 16102, 1 x 99999 (not in the table) -> 5 with an error code.
    # Recordings without an error code (completed) do not enter the shares.
    for n in range(1, 4):
        add_recording(con, rsid(n), status="absent", error_code=16101)
    add_recording(con, rsid(4), status="absent", error_code=16102)
    add_recording(con, rsid(5), status="failed", error_code=99999)
    add_recording(con, rsid(6), status="completed")
    add_recording(con, rsid(7), status="absent", error_code=16101,
                  date_created="2024-04-01 00:00:00+00")          # April: outside the range

    df = error_breakdown(con, "2024-03-01", "2024-04-01")
    assert list(df.columns[:6]) == ["error_code", "description", "outcome", "recordings", "share",
                                    "level"]
    assert rows(df, "error_code", "recordings", "share", "outcome", "known") == [
        (16101, 3, 3 / 5, "absent", True),
        (16102, 1, 1 / 5, "absent", True),
        (99999, 1, 1 / 5, "unknown", False),      # shown as unknown, not dropped
    ]
    unknown = df[df["error_code"] == 99999].iloc[0]
    assert unknown["description"] == "unknown" and unknown["level"] == "unknown"
    assert unknown["failed"] == 1
    assert df.loc[0, "description"] == error_codes().set_index("code").loc[16101, "description"]


def test_error_code_comes_from_the_deciding_evidence(con: duckdb.DuckDBPyConnection) -> None:
    # Metadata completed (no error) wins over an absent 16101 callback: no error code.
    add_recording(con, rsid(1), status="completed")
    add_delivery(con, rsid(1), "absent", "2024-03-01 12:05:00+00", error_code=16101)
    # Callbacks only: the winning terminal callback's code (16102), not an older one.
    add_delivery(con, rsid(2), "failed", "2024-03-01 12:05:00+00", error_code=16105,
                 start_time="2024-03-01 12:00:00+00")
    add_delivery(con, rsid(2), "absent", "2024-03-01 12:09:00+00", error_code=16102,
                 start_time="2024-03-01 12:00:00+00")
    # ErrorCode 0 means no error.
    add_delivery(con, rsid(3), "completed", "2024-03-01 12:05:00+00", error_code=0,
                 start_time="2024-03-01 12:00:00+00")
    df = error_breakdown(con, "2024-03-01", "2024-03-02")
    assert rows(df, "error_code", "recordings", "absent") == [(16102, 1, 1)]


def test_breakdown_by_source_shares_within_each_source(con: duckdb.DuckDBPyConnection) -> None:
    add_recording(con, rsid(1), status="absent", error_code=16101, source="DialVerb")
    add_recording(con, rsid(2), status="absent", error_code=16102, source="DialVerb")
    add_recording(con, rsid(3), status="failed", error_code=16104, source="Conference")
    df = error_breakdown(con, "2024-03-01", "2024-03-02", by="source")
    assert rows(df, "source", "error_code", "share") == [
        ("Conference", 16104, 1.0), ("DialVerb", 16101, 0.5), ("DialVerb", 16102, 0.5)]


def test_breakdown_empty_and_bad_parameters(con: duckdb.DuckDBPyConnection) -> None:
    assert error_breakdown(con, "2024-03-01", "2024-03-02").empty
    with pytest.raises(ConfigError, match="by='channels' is not supported"):
        error_breakdown(con, "2024-03-01", "2024-03-02", by="channels")
    with pytest.raises(ConfigError, match="not a known time zone"):
        error_breakdown(con, "2024-03-01", "2024-03-02", tz="Nowhere/Town")
