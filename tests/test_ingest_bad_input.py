"""Bad input: whole-file problems stop that file with a message naming it (exit 3), bad
records go to `rejects` with their line and reason (exit 0, or 4 with --strict)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

CB = Path(__file__).parent / "fixtures" / "callbacks"
GOOD = json.dumps({"received_at": "2026-03-05T10:00:01Z", "RecordingSid": "RE" + "c" * 32,
                   "RecordingStatus": "completed", "AccountSid": "AC" + "a" * 32})


def reccb(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reccb_analytics", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


def count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


@pytest.mark.parametrize("name, content, message", [
    ("binary.ndjson", b"\x00\x01\x02PK\x03\x04" * 10, "not a text file"),
    ("latin1.ndjson", '{"RecordingSid": "caf\u00e9"}\n'.encode("latin-1"), "not UTF-8"),
    ("truncated.ndjson.gz", gzip.compress((GOOD + "\n").encode() * 2000)[:300], "gzip data is truncated"),
    ("weird.txt", b"hello world\nthis is not a log\n", "unrecognised callback log format"),
])
def test_whole_file_problems(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    good = tmp_path / "good.ndjson"
    good.write_text(GOOD + "\n")
    db = tmp_path / "s.duckdb"
    done = reccb("ingest", "callbacks", str(bad), str(good), "--db", str(db))
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert str(bad) in done.stderr and message in done.stderr
    assert count(db, "SELECT count(*) FROM callback_deliveries") == 1  # the other file loaded
    assert count(db, f"SELECT count(*) FROM ingest_files WHERE path = '{bad}'") == 0


def test_invalid_utf8_after_the_sniffed_head_rolls_the_file_back(tmp_path: Path) -> None:
    bad = tmp_path / "late.ndjson"
    with open(bad, "wb") as out:
        for _ in range(2000):  # ~200 KB of good lines first, past the 64 KiB sniff window
            out.write(GOOD.encode() + b"\n")
        out.write(b'{"RecordingSid": "\xff\xfe"}\n')
    db = tmp_path / "s.duckdb"
    done = reccb("ingest", "callbacks", str(bad), "--db", str(db))
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert str(bad) in done.stderr
    assert count(db, "SELECT count(*) FROM callback_deliveries") == 0  # nothing from that file


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = reccb("ingest", "recordings", str(tmp_path / "nope.json"), str(empty), "--db", str(tmp_path / "s.duckdb"))
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert "nope.json: no such file or directory" in done.stdout + done.stderr
    assert "directory has no files to read" in done.stdout + done.stderr


def test_bad_records_are_rejected_with_line_numbers(tmp_path: Path) -> None:
    log = tmp_path / "mixed.ndjson"
    lines = [GOOD, "{not json", json.dumps({"RecordingStatus": "completed"}),
             json.dumps({"CallSid": "CA" + "b" * 32, "CallStatus": "ringing"}),
             json.dumps({"RecordingSid": "RE../../etc/passwd", "RecordingStatus": "completed"}),
             json.dumps({"RecordingSid": "RE" + "d" * 32, "RecordingStatus": "completed",
                         "pad": "x" * (10 * 1024 * 1024)}),
             json.dumps({"RecordingSid": "RE" + "e" * 32, "RecordingStatus": "completed",
                         "received_at": "yesterday-ish"})]
    log.write_text("\n".join(lines) + "\n")
    db = tmp_path / "s.duckdb"
    done = reccb("ingest", "callbacks", str(log), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "read 7, loaded 1, duplicates 0, rejected 6" in done.stdout
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT source_line, reason, length(raw_text) FROM rejects ORDER BY 1").fetchall()
    con.close()
    assert [r[0] for r in rows] == [2, 3, 4, 5, 6, 7]
    assert rows[0][1] == "invalid JSON"
    assert rows[1][1] == "not a Recording Status Callback: no RecordingSid"
    assert rows[2][1].startswith("not a Recording Status Callback (a call status callback")
    assert rows[3][1].startswith("malformed RecordingSid RE../../etc/passwd")
    assert rows[4][1].startswith("line is 10485") and rows[4][2] == 2000  # raw text truncated
    assert rows[5][1] == "unreadable receive time yesterday-ish"
    strict = reccb("ingest", "callbacks", str(log), "--db", str(db), "--strict")
    assert strict.returncode == 4 and "--strict: 6 record(s) were rejected" in strict.stderr


def test_csv_row_that_does_not_fit_header(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    done = reccb("ingest", "callbacks", str(CB / "requests.csv"), "--db", str(db))
    assert done.returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT source_line, reason FROM rejects").fetchall() == [
        (6, "row has 3 fields, the header has 12")]
    con.close()


def test_format_override_and_unknown_format_choice(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    forced = reccb("ingest", "callbacks", str(CB / "bodies.log"), "--format", "form", "--db", str(db))
    assert forced.returncode == 0 and "[form]" in forced.stdout
    wrong = reccb("ingest", "callbacks", str(CB / "bodies.log"), "--format", "xml", "--db", str(db))
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr


def test_running_out_of_memory_is_a_message_and_its_own_exit_status(tmp_path: Path) -> None:
    log = tmp_path / "cb.ndjson"
    log.write_text((GOOD + "\n") * 60_000)  # 8 MB
    db = tmp_path / "s.duckdb"
    assert reccb("ingest", "callbacks", str(CB / "flat.ndjson"), "--db", str(db)).returncode == 0
    before = count(db, "SELECT count(*) FROM callback_deliveries")
    # 4 MB cannot hold the reader's buffer for an 8 MB file: DuckDB refuses, the run says what to do
    done = reccb("ingest", "callbacks", str(log), "--db", str(db), env={"RECCB_MEMORY_LIMIT": "4MB"})
    assert done.returncode == 14, done.stderr
    assert "Traceback" not in done.stderr
    assert "ran out of memory" in done.stderr and "RECCB_MEMORY_LIMIT" in done.stderr
    assert count(db, "SELECT count(*) FROM callback_deliveries") == before
    assert count(db, "SELECT count(*) FROM ingest_files WHERE path LIKE '%cb.ndjson'") == 0
    # and a memory size that is not one is a configuration error
    done = reccb("ingest", "callbacks", str(log), "--db", str(db), env={"RECCB_MEMORY_LIMIT": "lots"})
    assert done.returncode == 2 and "not a memory size" in done.stderr and "Traceback" not in done.stderr
