"""Benchmark: `archive apply` against the Twilio-compatible test server with latency per request.

Measures, in one run:

1. the sequential rate (``--concurrency 1``) and the bounded-concurrency rate (default 16) of
   archiving the same recordings (default 2,000 five-second WAVs, 50 ms latency per request),
   and their ratio (the target is at least 5x);
2. the peak RSS of the archiving process with small files and with large ones (default 40
   recordings of 30 minutes, 28.8 MB each): streaming keeps it flat whatever the file size.

The server runs in its own process (``--serve``, started by this script); each apply runs in a
child process whose peak RSS is read with ``os.wait4``. Nothing here is a pass/fail test: the
figures are printed, and compared within the run.

    python benchmarks/bench_archive.py                      # the full benchmark (~3 minutes)
    python benchmarks/bench_archive.py --recordings 200 --large-recordings 4   # a quick check
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


# --------------------------------------------------------------------------- server process


def serve(count: int, duration: int, latency: float) -> None:
    """Run the test server with ``count`` mono recordings of ``duration`` seconds, 100 days old;
    print one JSON line (URL, credentials, recordings), then serve until killed."""
    from tests.twilio_server import TwilioServer, make_sid

    server = TwilioServer()
    parent = server.store.add_account(friendly_name="Bench")
    sub = server.store.add_account(owner=parent.sid, friendly_name="Bench sub")
    key = server.store.add_key(parent.sid)
    created = int(time.time()) - 100 * 86400
    recordings = []
    for i in range(count):
        account = parent if i % 2 else sub
        rec = server.store.add_recording(
            account.sid, created + i, sid=make_sid("RE", "bench", i), duration=duration, channels=1
        )
        recordings.append([rec.sid, rec.account_sid, rec.date_created, duration, 1])
    server.faults.latency = latency
    print(
        json.dumps(
            {
                "url": server.url,
                "account_sid": parent.sid,
                "api_key": key.sid,
                "api_secret": key.secret,
                "recordings": recordings,
            }
        ),
        flush=True,
    )
    server._httpd.serve_forever(poll_interval=0.2)


def start_server(
    count: int, duration: int, latency: float
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(count), str(duration), str(latency)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, info


# --------------------------------------------------------------------------- store and plan


def make_store(folder: Path, info: dict[str, Any]) -> tuple[Path, Path]:
    """A store holding the server's recordings, and an archive plan of all of them."""
    import pandas as pd

    from reccb_analytics.archive import build_plan, resolve_policy
    from reccb_analytics.config import Settings
    from reccb_analytics.db import open_database

    db_path, plan = folder / "bench.duckdb", folder / "plan.parquet"
    frame = pd.DataFrame(
        info["recordings"], columns=["sid", "account_sid", "created", "duration_s", "channels"]
    )
    with open_database(db_path) as con:
        con.register("bench_recordings", frame)
        con.execute("""
            INSERT INTO recordings (sid, account_sid, status, channels, duration_s, start_time,
                                    date_created, date_updated, first_seen_at, first_seen_in,
                                    last_seen_at, last_seen_in)
            SELECT sid, account_sid, 'completed', channels, duration_s, to_timestamp(created),
                   to_timestamp(created), to_timestamp(created), now(), 'bench', now(), 'bench'
            FROM bench_recordings
        """).fetchall()
        policy = resolve_policy(
            "archive",
            as_of=dt.datetime.now(dt.UTC).date(),
            archive_after=30,
            delete_after=60,
            settings=Settings(),
        )
        made = build_plan(con, "archive", policy, plan)
    assert made.recordings == len(frame), made.summary()
    return db_path, plan


# --------------------------------------------------------------------------- one apply, measured

CHILD = """
import json, sys, time
from reccb_analytics.db import open_database
from reccb_analytics.archive import apply_archive_plan
db, plan, dest, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open_database(db) as con:
    start = time.perf_counter()
    result = apply_archive_plan(con, plan, dest, concurrency=concurrency)
    seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "counts": result.counts, "bytes": result.bytes_written}))
"""

BASELINE = """
import reccb_analytics.archive, reccb_analytics.db, requests, twilio.rest, pandas, duckdb
"""


def run_child(code: str, args: list[str], env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """Run ``code`` in a child; return its JSON output and its peak RSS in MiB."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child failed with exit {proc.returncode}")
    return (json.loads(out) if out.strip() else {}), usage.ru_maxrss / 1024


def apply(
    db: Path, plan: Path, dest: Path, concurrency: int, env: dict[str, str]
) -> dict[str, Any]:
    result, rss = run_child(CHILD, [str(db), str(plan), str(dest), str(concurrency)], env)
    if result["counts"]["archived"] != sum(result["counts"].values()):
        raise SystemExit(f"not every recording was archived: {result['counts']}")
    result["rss_mib"] = rss
    return result


def scenario(
    folder: Path, count: int, duration: int, latency: float, concurrencies: list[int]
) -> list[dict[str, Any]]:
    proc, info = start_server(count, duration, latency)
    try:
        env = {
            **os.environ,
            "RECCB_TWILIO_API_URL": info["url"],
            "TWILIO_ACCOUNT_SID": info["account_sid"],
            "TWILIO_API_KEY": info["api_key"],
            "TWILIO_API_SECRET": info["api_secret"],
        }
        env.pop("TWILIO_AUTH_TOKEN", None)
        db, plan = make_store(folder, info)
        out = []
        for concurrency in concurrencies:
            result = apply(db, plan, folder / f"dest-c{concurrency}", concurrency, env)
            result.update(
                concurrency=concurrency,
                count=count,
                duration=duration,
                rate=count / result["seconds"],
            )
            out.append(result)
        return out
    finally:
        proc.kill()
        proc.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recordings", type=int, default=2000, help="recordings for the rate test")
    parser.add_argument("--small-duration", type=int, default=5, help="seconds per small recording")
    parser.add_argument(
        "--large-recordings", type=int, default=40, help="recordings for the large-file run"
    )
    parser.add_argument(
        "--large-duration", type=int, default=1800, help="seconds per large recording"
    )
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds per request at the server"
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(int(args.serve[0]), int(args.serve[1]), float(args.serve[2]))
        return

    with tempfile.TemporaryDirectory(prefix="reccb-bench-archive-") as tmp:
        folder = Path(tmp)
        _, baseline = run_child(BASELINE, [], dict(os.environ))
        print(
            f"latency {args.latency * 1000:.0f} ms per request; baseline RSS of a process that "
            f"imports the same modules: {baseline:.0f} MiB"
        )
        (folder / "small").mkdir()
        small = scenario(
            folder / "small",
            args.recordings,
            args.small_duration,
            args.latency,
            [1, args.concurrency],
        )
        for r in small:
            size_kb = r["bytes"] / r["count"] / 1e3
            print(
                f"small: {r['count']} x {r['duration']} s WAV ({size_kb:.0f} kB each), "
                f"concurrency {r['concurrency']:>2}: {r['seconds']:7.2f} s, "
                f"{r['rate']:7.1f} rec/s, "
                f"peak RSS {r['rss_mib']:.0f} MiB"
            )
        print(
            f"speed-up of concurrency {args.concurrency} over sequential: "
            f"{small[1]['rate'] / small[0]['rate']:.1f}x (target >= 5x)"
        )
        (folder / "large").mkdir()
        large = scenario(
            folder / "large",
            args.large_recordings,
            args.large_duration,
            args.latency,
            [args.concurrency],
        )[0]
        size_mb = large["bytes"] / large["count"] / 1e6
        ratio = size_mb * 1e3 / (small[1]["bytes"] / small[1]["count"] / 1e3)
        print(
            f"large: {large['count']} x {large['duration']} s WAV ({size_mb:.1f} MB each), "
            f"concurrency {large['concurrency']:>2}: {large['seconds']:7.2f} s, "
            f"{large['bytes'] / large['seconds'] / 1e6:.0f} MB/s, "
            f"peak RSS {large['rss_mib']:.0f} MiB"
        )
        print(
            f"peak RSS small vs large files at concurrency {args.concurrency}: "
            f"{small[1]['rss_mib']:.0f} MiB vs {large['rss_mib']:.0f} MiB "
            f"(files {ratio:.0f}x larger)"
        )


if __name__ == "__main__":
    main()
