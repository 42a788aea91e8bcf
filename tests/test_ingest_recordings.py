"""Recording metadata ingest: every format, exact values, upsert rules, accounting."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from reccb_analytics.ingest import load_file

REC = Path(__file__).parent / "fixtures" / "recordings"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def row(con: duckdb.DuckDBPyConnection, sid: str) -> dict:
    cur = con.execute("SELECT * EXCLUDE (raw, first_seen_at, last_seen_at) FROM recordings "
                      "WHERE sid = $sid", {"sid": sid})
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0]))


def test_list_page_values_exact(con: duckdb.DuckDBPyConnection) -> None:
    result = load_file(con, REC / "page1.json", kind="recordings")
    assert (result.format, result.records_read, result.loaded, result.duplicates, result.rejected) \
        == ("api-page", 3, 3, 0, 0)
    first = row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1")
    assert first["status"] == "completed"
    assert first["duration_s"] == 4
    assert first["price"] == Decimal("-0.0025")
    assert first["encrypted"] is True
    assert first["error_code"] is None
    assert first["channels"] == 2
    assert first["date_updated"] == utc(2016, 10, 14, 21, 56, 38)
    # "+0100": 00:05 local on 1 March is 23:05 UTC on 28 February (the SDK would say 00:05).
    second = row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2")
    assert second["start_time"] == utc(2023, 2, 28, 23, 5, 0)
    assert second["date_created"] == utc(2023, 2, 28, 23, 10, 0)
    assert (second["status"], second["error_code"], second["price"]) == ("absent", 16101, None)
    assert second["conference_sid"] == "CFaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    assert second["encrypted"] is False
    third = row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3")
    assert (third["status"], third["account_sid"]) == ("deleted", "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
    assert third["first_seen_in"] == str(REC / "page1.json")


def test_single_object_cli_json_csv_tsv(con: duckdb.DuckDBPyConnection) -> None:
    # A one-line object is read as NDJSON of one record: the same thing.
    single = load_file(con, REC / "single.json", kind="recordings")
    assert (single.format, single.loaded) == ("ndjson", 1)
    failed = row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa4")
    assert (failed["status"], failed["error_code"], failed["encrypted"]) == ("failed", 16104, True)

    cli = load_file(con, REC / "cli.json", kind="recordings")
    assert (cli.format, cli.loaded) == ("json-array", 1)
    camel = row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa5")
    assert camel["start_time"] == utc(2026, 3, 5, 23, 30, 0)
    assert (camel["duration_s"], camel["source"], camel["price"]) == (125, "RecordVerb", Decimal("-0.0075"))
    assert camel["media_url"].endswith("/Recordings/REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa5")

    csv = load_file(con, REC / "export.csv", kind="recordings")
    # 4 data rows: 2 good, one row short of fields, one malformed sid
    assert (csv.format, csv.records_read, csv.loaded, csv.rejected) == ("csv", 4, 2, 2)
    six = row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa6")
    assert (six["duration_s"], six["conference_sid"], six["error_code"]) == (61, None, None)
    assert six["date_updated"] == utc(2026, 3, 5, 10, 1, 5)
    rejects = con.execute("SELECT source_line, reason FROM rejects ORDER BY source_line").fetchall()
    assert rejects == [(4, "row has 5 fields, the header has 15"), (5, "malformed sid RE-not-a-sid")]

    tsv = load_file(con, REC / "export_cli.tsv", kind="recordings")
    assert (tsv.format, tsv.loaded) == ("tsv", 1)
    ten = row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa10")
    assert (ten["status"], ten["error_code"], ten["price"], ten["duration_s"]) == ("absent", 16102, None, 0)


def test_older_export_never_rolls_back_and_unknown_values_load(con: duckdb.DuckDBPyConnection) -> None:
    load_file(con, REC / "page1.json", kind="recordings")
    older = load_file(con, REC / "older.ndjson", kind="recordings")
    # lines: 1 older state of RE..1, 2 blank, 3 new recording, 4 bad duration, 5 broken JSON
    assert (older.format, older.records_read, older.loaded, older.duplicates, older.rejected) \
        == ("ndjson", 4, 1, 1, 2)
    assert row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1")["status"] == "completed"
    new = row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa11")
    assert (new["status"], new["source"], new["error_code"]) == ("transcoding-soon", "BrandNewSource", None)
    # -0500: 23:59:59 on 7 March in New York is 04:59:59 UTC on 8 March
    assert new["start_time"] == utc(2026, 3, 8, 4, 59, 59)
    assert con.execute("SELECT source_line, reason FROM rejects ORDER BY 1").fetchall() == [
        (4, "duration is not an integer: ten"), (5, "invalid JSON")]
    # last seen moved to the older file, the state did not
    assert row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1")["last_seen_in"] == str(REC / "older.ndjson")


def test_newer_state_replaces_older(con: duckdb.DuckDBPyConnection) -> None:
    load_file(con, REC / "older.ndjson", kind="recordings")
    assert row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1")["status"] == "in-progress"
    result = load_file(con, REC / "page1.json", kind="recordings")
    assert (result.loaded, result.duplicates) == (3, 0)
    assert row(con, "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1")["status"] == "completed"


def test_duplicates_within_one_file_are_collapsed(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    page = (REC / "page1.json").read_text()
    twice = tmp_path / "twice.json"
    twice.write_text(page + "\n" + page)  # two concatenated pages with the same recordings
    result = load_file(con, twice, kind="recordings", fmt="api-page")
    assert (result.records_read, result.loaded, result.duplicates) == (6, 3, 3)
    assert con.execute("SELECT count(*) FROM recordings").fetchall() == [(3,)]


def test_ingest_twice_changes_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    for name in ("page1.json", "single.json", "cli.json", "export.csv", "older.ndjson"):
        load_file(con, REC / name, kind="recordings")
    before = con.execute("SELECT count(*) FROM recordings").fetchall()
    # a renamed, gzipped copy has other bytes: read again, every record a duplicate
    copy = tmp_path / "page1.json.gz"
    with open(REC / "page1.json", "rb") as src, gzip.open(copy, "wb") as dst:
        shutil.copyfileobj(src, dst)
    again = load_file(con, copy, kind="recordings")
    assert (again.already_ingested, again.loaded, again.duplicates) == (False, 0, 3)
    same = load_file(con, REC / "export.csv", kind="recordings")
    assert (same.already_ingested, same.records_read, same.loaded, same.duplicates, same.rejected) \
        == (True, 4, 0, 2, 2)
    assert con.execute("SELECT count(*) FROM recordings").fetchall() == before
    assert con.execute("SELECT count(*) FROM rejects").fetchall() == [(4,)]
    # accounting holds for every file ever ingested
    bad = con.execute("SELECT path FROM ingest_files WHERE records_read <> loaded + duplicates + rejected").fetchall()
    assert bad == []


def test_state_columns_unchanged_by_reingest(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    load_file(con, REC / "page1.json", kind="recordings")
    state = "SELECT sid, status, duration_s, price, date_updated, raw::VARCHAR FROM recordings ORDER BY sid"
    before = con.execute(state).fetchall()
    copy = tmp_path / "copy.json"
    copy.write_text((REC / "page1.json").read_text() + " ")
    load_file(con, copy, kind="recordings")
    assert con.execute(state).fetchall() == before


def test_within_one_file_the_newest_then_most_final_state_wins(con: duckdb.DuckDBPyConnection,
                                                                 tmp_path: Path) -> None:
    """Several states of one SID in one file, in an order that differs from their age."""
    def rec(sid: str, status: str, updated: str | None, duration: str | None = None) -> str:
        return json.dumps({"sid": sid, "account_sid": "AC" + "1" * 32, "status": status,
                           "date_updated": updated, "duration": duration})
    a, b, c, d = ("RE" + ch * 32 for ch in "abcd")
    lines = [
        rec(a, "in-progress", "Mon, 02 Mar 2026 10:00:00 +0000"),
        rec(a, "completed", "Mon, 02 Mar 2026 10:05:00 +0000", "300"),   # newest: wins
        rec(a, "in-progress", "Mon, 02 Mar 2026 10:01:00 +0000"),        # later line, older
        rec(b, "completed", "Mon, 02 Mar 2026 11:00:00 +0100", "12"),    # same instant as next:
        rec(b, "processing", "Mon, 02 Mar 2026 10:00:00 +0000"),         # the final status wins
        rec(c, "completed", None, "7"),                                  # no date_updated ...
        rec(c, "in-progress", "Mon, 02 Mar 2026 09:00:00 +0000"),        # ... loses to any date
        rec(d, "absent", "Mon, 02 Mar 2026 09:00:00 +0000", "0"),
        rec(d, "absent", "Mon, 02 Mar 2026 09:00:00 +0000", "1"),        # full tie: later line
    ]
    path = tmp_path / "states.ndjson"
    path.write_text("\n".join(lines) + "\n")
    result = load_file(con, path, kind="recordings")
    assert (result.records_read, result.loaded, result.duplicates, result.rejected) == (9, 4, 5, 0)
    assert (row(con, a)["status"], row(con, a)["duration_s"]) == ("completed", 300)
    assert (row(con, b)["status"], row(con, b)["duration_s"]) == ("completed", 12)
    assert (row(con, c)["status"], row(con, c)["date_updated"]) == ("in-progress", utc(2026, 3, 2, 9))
    assert row(con, d)["duration_s"] == 1
