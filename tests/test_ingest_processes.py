"""Real processes: a kill -9 in the middle of an ingest, and ingests beside readers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


def write_big_log(path: Path, lines: int, start: int = 0) -> None:
    """A callback NDJSON log of `lines` distinct deliveries, written by DuckDB (fast)."""
    con = duckdb.connect()
    con.execute(f"""
        COPY (SELECT strftime(TIMESTAMP '2026-01-01' + to_seconds(i), '%Y-%m-%dT%H:%M:%SZ') AS received_at,
                     'AC' || md5('a' || (i % 3)) AS AccountSid, 'CA' || md5('c' || i) AS CallSid,
                     'RE' || md5('r' || (i // 2)) AS RecordingSid,
                     CASE WHEN i % 2 = 0 THEN 'in-progress' ELSE 'completed' END AS RecordingStatus,
                     (i % 300)::VARCHAR AS RecordingDuration, '2' AS RecordingChannels,
                     'Wed, 20 Apr 2022 23:45:25 +0000' AS RecordingStartTime,
                     'DialVerb' AS RecordingSource, '0' AS ErrorCode
              FROM range({start}, {start} + {lines}) t(i)) TO '{path}' (FORMAT json)""")
    con.close()


def reccb_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "reccb_analytics", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def scalar(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


def test_kill_during_ingest_then_rerun(tmp_path: Path) -> None:
    small, big = tmp_path / "small.ndjson", tmp_path / "big.ndjson"
    write_big_log(small, 1000, start=10_000_000)
    write_big_log(big, 800_000)
    db = tmp_path / "s.duckdb"
    first = reccb_process("ingest", "callbacks", str(small), str(big), "--db", str(db))
    # wait until the small file is committed, then give the big one time to get going
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (tmp_path / "s.duckdb.wal").exists() or (db.exists() and db.stat().st_size > 1_000_000):
            break
        time.sleep(0.05)
    time.sleep(1.5)
    assert first.poll() is None, "ingest finished before it could be killed; make the file bigger"
    first.send_signal(signal.SIGKILL)
    first.wait()
    # the store opens, holds the small file completely and nothing of the big one
    assert scalar(db, "SELECT count(*) FROM callback_deliveries") in (0, 1000)
    assert scalar(db, f"SELECT count(*) FROM ingest_files WHERE path = '{big}'") == 0
    rerun = reccb_process("ingest", "callbacks", str(small), str(big), "--db", str(db))
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert scalar(db, "SELECT count(*) FROM callback_deliveries") == 801_000
    assert scalar(db, "SELECT count(DISTINCT delivery_id) FROM callback_deliveries") == 801_000
    assert scalar(db, "SELECT count(*) FROM ingest_files WHERE records_read <> loaded + duplicates + rejected") == 0


def test_ingest_waits_for_a_reader_and_readers_never_see_half_a_file(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    seed, big = tmp_path / "seed.ndjson", tmp_path / "big.ndjson"
    write_big_log(seed, 10, start=10_000_000)
    write_big_log(big, 300_000)
    assert reccb_process("ingest", "callbacks", str(seed), "--db", str(db)).wait() == 0
    # an analyst holds the store open (read-only) for 3 seconds
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time, reccb_analytics
        con = reccb_analytics.connect({str(db)!r})
        print(con.execute("SELECT count(*) FROM callback_deliveries").fetchall()[0][0], flush=True)
        time.sleep(3)
        con.close()
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "10"
    writer = reccb_process("ingest", "callbacks", str(big), "--db", str(db))
    # a second reader polls throughout: it may wait for the lock, but sees all or nothing
    poller = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time, reccb_analytics
        seen = set()
        end = time.monotonic() + 20
        while time.monotonic() < end:
            with reccb_analytics.connect({str(db)!r}) as con:
                seen.add(con.execute("SELECT count(*) FROM callback_deliveries").fetchall()[0][0])
            if 300010 in seen:
                break
            time.sleep(0.2)
        print(sorted(seen))
    """)], stdout=subprocess.PIPE, text=True)
    out, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err
    assert "in use by another process; waiting" in err
    holder.wait(timeout=30)
    seen, _ = poller.communicate(timeout=60)
    assert set(eval(seen)) <= {10, 300_010}
    assert scalar(db, "SELECT count(*) FROM callback_deliveries") == 300_010
