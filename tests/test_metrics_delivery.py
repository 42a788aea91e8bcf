"""callback_delivery and data_quality on a hand-built day of recordings and callbacks."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from reccb_analytics.db import latest_schema_version
from reccb_analytics.exceptions import ConfigError
from reccb_analytics.metrics import callback_delivery, data_quality
from tests.test_metrics_support import add_delivery, add_recording, rsid


def day_of_callbacks(con: duckdb.DuckDBPyConnection) -> None:
    """March 5, 2024. Each DialVerb recording lasts 60 s, so it ends at start + 1 minute."""
    # D1: completed; in-progress, then completed answered 500, then Twilio's retry (a duplicate).
    # Latency = 10:01:10 (first terminal delivery) - 10:01:00 (end) = 10 s.
    add_recording(con, rsid(1), start_time="2024-03-05 10:00:00+00", duration_s=60)
    add_delivery(con, rsid(1), "in-progress", "2024-03-05 10:00:01+00")
    add_delivery(con, rsid(1), "completed", "2024-03-05 10:01:10+00", http_status=500,
                 duration_s=60, signature_valid=True)
    add_delivery(con, rsid(1), "completed", "2024-03-05 10:01:25+00", duration_s=60,
                 signature_valid=True)
    # D2: metadata completed, callback absent (a disagreement), bad signature; latency 20 s.
    add_recording(con, rsid(2), start_time="2024-03-05 11:00:00+00", duration_s=60)
    add_delivery(con, rsid(2), "absent", "2024-03-05 11:01:20+00", signature_valid=False)
    # D3: no callback at all (a missing one).
    add_recording(con, rsid(3), start_time="2024-03-05 12:30:00+00", duration_s=60)
    # D4: known only from its callback; latency 12:01:30 - 12:01:00 = 30 s.
    add_delivery(con, rsid(4), "completed", "2024-03-05 12:01:30+00",
                 start_time="2024-03-05 12:00:00+00", duration_s=60)
    # D5: absent in both (agreement); latency 40 s.
    add_recording(con, rsid(5), status="absent", start_time="2024-03-05 13:00:00+00",
                  duration_s=60)
    add_delivery(con, rsid(5), "absent", "2024-03-05 13:01:40+00")
    # D6: metadata 'deleted' counts as completed: agrees with its completed callback; 100 s.
    add_recording(con, rsid(6), status="deleted", start_time="2024-03-05 14:00:00+00",
                  duration_s=60)
    add_delivery(con, rsid(6), "completed", "2024-03-05 14:02:40+00")
    # Trunking sends no callbacks by design.
    add_recording(con, rsid(7), source="Trunking", start_time="2024-03-05 15:00:00+00")
    add_recording(con, rsid(8), source="Trunking", start_time="2024-03-05 16:00:00+00")
    # The next day: outside the range.
    add_recording(con, rsid(9), start_time="2024-03-06 10:00:00+00")
    add_delivery(con, rsid(9), "completed", "2024-03-06 10:05:00+00", http_status=404)


def test_callback_delivery_by_source(con: duckdb.DuckDBPyConnection) -> None:
    day_of_callbacks(con)
    df = callback_delivery(con, "2024-03-05", "2024-03-06").set_index("source")
    assert list(df.index) == ["DialVerb", "Trunking"]
    dial = df.loc["DialVerb"]
    # Metadata recordings D1, D2, D3, D5, D6 = 5; with a terminal callback: all but D3 = 4.
    assert dial["recordings"] == 5 and dial["trunking_recordings"] == 0
    assert dial["with_terminal_callback"] == 4 and dial["missing_callbacks"] == 1
    assert dial["callback_coverage"] == pytest.approx(4 / 5)
    assert dial["expected_callback_coverage"] == pytest.approx(4 / 5)
    assert dial["callbacks_only"] == 1                 # D4
    assert dial["disagreements"] == 1                  # D2
    # Deliveries: D1 3 + D2 1 + D4 1 + D5 1 + D6 1 = 7; one duplicate (D1's second completed).
    assert dial["deliveries"] == 7 and dial["duplicate_deliveries"] == 1
    assert dial["non_2xx_deliveries"] == 1 and dial["invalid_signatures"] == 1
    # Latencies 10, 20, 30, 40, 100 s: median 30; p95 at position 0.95 x 4 = 3.8 between the
    # 4th and 5th values: 40 + 0.8 x (100 - 40) = 88; max 100.
    assert dial["latency_p50_s"] == pytest.approx(30)
    assert dial["latency_p95_s"] == pytest.approx(88)
    assert dial["latency_max_s"] == pytest.approx(100)
    assert pd.isna(dial["note"])

    trunk = df.loc["Trunking"]
    # Shown, but not a fault: no missing callbacks counted, and a note says why.
    assert trunk["recordings"] == 2 and trunk["trunking_recordings"] == 2
    assert trunk["with_terminal_callback"] == 0 and trunk["callback_coverage"] == 0
    assert trunk["missing_callbacks"] == 0 and pd.isna(trunk["expected_callback_coverage"])
    assert "by design" in trunk["note"]
    assert trunk["deliveries"] == 0 and pd.isna(trunk["latency_p50_s"])


def test_callback_delivery_totals(con: duckdb.DuckDBPyConnection) -> None:
    day_of_callbacks(con)
    df = callback_delivery(con, "2024-03-05", "2024-03-06", by=None)
    assert len(df) == 1 and "source" not in df.columns
    row = df.iloc[0]
    assert row["recordings"] == 7 and row["trunking_recordings"] == 2
    assert row["with_terminal_callback"] == 4
    assert row["callback_coverage"] == pytest.approx(4 / 7)
    assert row["expected_callback_coverage"] == pytest.approx(4 / 5)
    assert row["missing_callbacks"] == 1
    assert (row["deliveries"], row["duplicate_deliveries"], row["non_2xx_deliveries"]) == (7, 1, 1)
    assert row["note"].startswith("2 Trunking recording(s)")
    # Two days: D9 joins (its 404 answer is a non-2xx delivery).
    two = callback_delivery(con, "2024-03-05", "2024-03-07", by=None).iloc[0]
    assert (two["recordings"], two["deliveries"], two["non_2xx_deliveries"]) == (8, 8, 2)


def test_callback_delivery_empty_range_and_bad_parameters(con: duckdb.DuckDBPyConnection) -> None:
    day_of_callbacks(con)
    empty = callback_delivery(con, "2030-01-01", "2030-01-02", by=None)
    assert len(empty) == 1 and empty.loc[0, "recordings"] == 0
    assert str(empty["recordings"].dtype) == "int64"
    assert callback_delivery(con, "2030-01-01", "2030-01-02").empty
    with pytest.raises(ConfigError, match="by='error_code' is not supported"):
        callback_delivery(con, "2024-03-05", "2024-03-06", by="error_code")


def test_data_quality(con: duckdb.DuckDBPyConnection) -> None:
    day_of_callbacks(con)
    con.execute("""
        INSERT INTO ingest_files (ingest_id, path, kind, origin, started_at, finished_at) VALUES
            (1, 'a.ndjson', 'recordings', 'file', TIMESTAMPTZ '2024-03-07 09:59:00+00',
             TIMESTAMPTZ '2024-03-07 10:00:00+00'),
            (2, 'b.log', 'callbacks', 'file', TIMESTAMPTZ '2024-03-08 08:59:00+00',
             TIMESTAMPTZ '2024-03-08 09:00:00+00'),
            (3, 'c.log', 'callbacks', 'file', TIMESTAMPTZ '2024-03-09 08:00:00+00', NULL)
    """)
    con.execute("""
        INSERT INTO rejects (ingest_id, source_file, source_line, reason) VALUES
            (2, 'b.log', 4, 'invalid JSON'), (2, 'b.log', 9, 'missing RecordingSid'),
            (2, 'b.log', 12, 'not a recording status callback')
    """)
    row = data_quality(con).iloc[0]
    # Dated recordings run from D1's start (10:00 on March 5) to D9's (10:00 on March 6).
    assert row["data_start"] == pd.Timestamp("2024-03-05 10:00:00+00:00")
    assert row["data_end"] == pd.Timestamp("2024-03-06 10:00:00+00:00")
    assert row["last_ingested_at"] == pd.Timestamp("2024-03-08 09:00:00+00:00")
    assert (row["files_ingested"], row["rejected_records"]) == (3, 3)
    # Metadata rows: D1, D2, D3, D5, D6, the two Trunking ones and D9 = 8; D4 is callbacks-only.
    assert row["recordings"] == 8 and row["callbacks_only_recordings"] == 1
    assert row["callback_deliveries"] == 8
    # Metadata recordings outside Trunking: D1, D2, D3, D5, D6, D9 = 6; with a terminal
    # callback: all but D3 = 5.
    assert row["callback_coverage"] == pytest.approx(5 / 6)
    assert row["schema_version"] == latest_schema_version()


def test_data_quality_of_an_empty_store(con: duckdb.DuckDBPyConnection) -> None:
    df = data_quality(con)
    assert len(df) == 1
    row = df.iloc[0]
    assert pd.isna(row["data_start"]) and pd.isna(row["last_ingested_at"])
    assert row["recordings"] == 0 and row["files_ingested"] == 0
    assert pd.isna(row["callback_coverage"])
