"""Big recording files are loaded in pieces; the result must be exactly that of loading them
whole. Callback logs are never cut (they load in one pass from a table of their lines)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from reccb_analytics.db import open_database
from reccb_analytics.exceptions import InputError
from reccb_analytics.ingest import chunks, load_file

FIXTURES = Path(__file__).parent / "fixtures"


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {
        "deliveries": con.execute("SELECT delivery_id, source_line, status, received_at FROM callback_deliveries "
                                  "ORDER BY source_line").fetchall(),
        "recordings": con.execute("SELECT sid, status, date_updated FROM recordings ORDER BY sid").fetchall(),
        "rejects": con.execute("SELECT source_line, reason FROM rejects ORDER BY source_line").fetchall(),
    }


def load_all(tmp_path: Path, name: str, gzipped: bool) -> tuple[list, dict]:
    results = []
    con = open_database(tmp_path / f"{name}.duckdb")
    for kind, rel in (("callbacks", "callbacks/flat.ndjson"), ("callbacks", "callbacks/requests.csv"),
                      ("callbacks", "callbacks/bodies.log"), ("recordings", "recordings/older.ndjson"),
                      ("recordings", "recordings/export.csv")):
        source = FIXTURES / rel
        if gzipped:
            target = tmp_path / f"{name}-{source.name}.gz"
            with open(source, "rb") as src, gzip.open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            source = target
        r = load_file(con, source, kind=kind)
        results.append((r.records_read, r.loaded, r.duplicates, r.rejected))
    state = snapshot(con)
    con.close()
    return results, state


@pytest.mark.parametrize("gzipped", [False, True])
def test_pieces_give_the_same_store_as_whole_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   gzipped: bool) -> None:
    whole = load_all(tmp_path, "whole", gzipped)
    # pieces of ~300 bytes: every fixture file is cut into several, some lines in each
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 300)
    monkeypatch.setattr(chunks, "GZIP_EXPANSION", 10_000)
    cut = load_all(tmp_path, "cut", gzipped)
    assert cut == whole


def test_pieces_are_cut_at_line_ends(tmp_path: Path) -> None:
    source = tmp_path / "lines.txt"
    source.write_bytes(b"".join(f"line {i:03d}\n".encode() for i in range(1, 101)) + b"tail without newline")
    seen = []
    for piece in chunks.line_chunks(source, "none", source.stat().st_size, chunk_bytes=64):
        text = piece.path.read_bytes()
        assert text.endswith(b"\n") or text.endswith(b"newline")
        first = text.split(b"\n", 1)[0]
        assert first == (f"line {piece.first_line:03d}".encode() if piece.first_line <= 100
                         else b"tail without newline")
        seen.append(text)
    assert b"".join(seen) == source.read_bytes()
    assert len(seen) > 10


def _callback(sid: int, status: str, received: str | None) -> str:
    fields = {"AccountSid": "AC" + "a" * 32, "CallSid": "CA" + f"{sid:032x}",
              "RecordingSid": "RE" + f"{sid:032x}", "RecordingStatus": status}
    if received is not None:
        fields["received_at"] = received
    return json.dumps(fields)


@pytest.mark.parametrize("chunk_bytes", [150, 10_000_000])
def test_repeats_within_and_across_files_are_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        chunk_bytes: int) -> None:
    # Hand-worked: 4 distinct timed deliveries + 1 untimed one. The file repeats delivery 1
    # (same time, same parameters) after the others and the untimed one twice. Tiny pieces
    # must change nothing (callback logs are not cut).
    lines = [_callback(1, "in-progress", "2026-03-01T10:00:00Z"),
             _callback(1, "completed", "2026-03-01T10:01:00Z"),
             _callback(2, "in-progress", "2026-03-01T10:02:00Z"),
             _callback(3, "absent", None),
             _callback(2, "completed", "2026-03-01T10:03:00Z"),
             _callback(1, "in-progress", "2026-03-01T10:00:00Z"),  # repeat of line 1
             _callback(3, "absent", None)]                          # repeat of line 4
    first = tmp_path / "first.ndjson"
    first.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(chunks, "CHUNK_BYTES", chunk_bytes)
    con = open_database(tmp_path / "store.duckdb")
    r = load_file(con, first, kind="callbacks")
    assert (r.records_read, r.loaded, r.duplicates, r.rejected) == (7, 5, 2, 0)
    assert [row[0] for row in con.execute(
        "SELECT source_line FROM callback_deliveries ORDER BY source_line").fetchall()] == [1, 2, 3, 4, 5]
    # A rotated log overlapping the stored range: two old deliveries, one untimed repeat, one new.
    second = tmp_path / "second.ndjson"
    second.write_text("\n".join([lines[4], lines[3], _callback(4, "completed", "2026-03-01T10:04:00Z"),
                                 lines[2]]) + "\n")
    r = load_file(con, second, kind="callbacks")
    assert (r.records_read, r.loaded, r.duplicates, r.rejected) == (4, 1, 3, 0)
    assert con.execute("SELECT count(*), count(DISTINCT delivery_id) FROM callback_deliveries").fetchall() == [(6, 6)]


@pytest.mark.parametrize("kind", ["callbacks", "recordings"])
def test_corrupt_gzip_stops_the_file_and_leaves_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          kind: str) -> None:
    # callbacks: DuckDB reads the gzip itself; recordings: the piece writer reads it
    if kind == "callbacks":
        data = "".join(_callback(i, "completed", f"2026-03-01T10:{i % 60:02d}:00Z") + "\n" for i in range(2000))
    else:
        data = "".join(json.dumps({"sid": "RE" + f"{i:032x}", "status": "completed",
                                   "date_updated": "Wed, 01 Mar 2023 00:05:00 +0000"}) + "\n"
                       for i in range(2000))
    whole = gzip.compress(data.encode())
    broken = tmp_path / "broken.ndjson.gz"
    broken.write_bytes(whole[: len(whole) // 2])
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(chunks, "COPY_BLOCK", 1024)
    con = open_database(tmp_path / "store.duckdb")
    with pytest.raises(InputError, match="gzip"):
        load_file(con, broken, kind=kind)
    assert con.execute("SELECT count(*) FROM callback_deliveries").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM recordings").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM ingest_files").fetchall() == [(0,)]


@pytest.mark.parametrize("setting", [True, False])
def test_a_load_gives_the_connection_back_with_its_own_insertion_order_setting(
        tmp_path: Path, setting: bool) -> None:
    con = open_database(tmp_path / "store.duckdb")
    con.execute(f"SET preserve_insertion_order = {str(setting).lower()}")
    load_file(con, FIXTURES / "callbacks" / "flat.ndjson", kind="callbacks")
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [(setting,)]
