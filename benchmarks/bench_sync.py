"""Benchmark: ``reccb sync`` against a sequential twilio SDK walk of the same data, same run.

The Twilio-compatible test server runs in its own process with a latency per request (default
50 ms) and N recordings over 4 subaccounts. Each measured phase runs in a fresh child process
(so its peak RSS is its own), timing only the work, not interpreter start-up:

* ``sdk``: ``client.api.v2010.accounts(sid).recordings.stream(page_size=1000)`` for the parent and
  every subaccount, one after the other, reading every property of every recording;
* ``sync``: a full ``sync()`` into a new store (default options: 8 workers);
* ``again``: the same sync again, with nothing new on the server.

"in loads" is the part of the full sync spent in the ingest's ``load_file`` (seconds/calls):
the writer's share, which bounds the sync once fetching is parallel.

Usage (from the repository root)::

    python benchmarks/bench_sync.py                         # 200,000 recordings
    python benchmarks/bench_sync.py --sizes 20000,80000     # smaller; memory across sizes
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_server(recordings: int, latency: float, days: int) -> tuple[subprocess.Popen[str], dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.twilio_server", "--subaccounts", "4", "--recordings",
         str(recordings), "--days", str(days), "--latency", str(latency), "--in-progress", "20"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, info


def child_env(info: dict) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "RECCB_"))}
    env.update(TWILIO_ACCOUNT_SID=info["account_sid"], TWILIO_API_KEY=info["api_key"],
               TWILIO_API_SECRET=info["api_secret"], RECCB_TWILIO_API_URL=info["url"],
               PYTHONPATH=str(ROOT))
    return env


def run_phase(phase: str, info: dict, db: Path, workers: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--phase", phase, "--db", str(db),
                           "--workers", str(workers)],
                          cwd=ROOT, env=child_env(info), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ child phases
def phase_sdk() -> dict:
    from reccb_analytics.sync.client import build_client, credentials_from_env

    client = build_client(credentials_from_env())
    sids = [a.sid for a in client.api.v2010.accounts.list(page_size=1000)]
    started = time.perf_counter()
    count = 0
    for sid in sids:
        for rec in client.api.v2010.accounts(sid).recordings.stream(page_size=1000):
            # Touch every property, as a real consumer would.
            _ = (rec.sid, rec.account_sid, rec.call_sid, rec.conference_sid, rec.status, rec.source,
             rec.channels, rec.duration, rec.price, rec.price_unit, rec.date_created,
             rec.date_updated, rec.start_time, rec.error_code, rec.media_url, rec.uri,
             rec.encryption_details, rec.subresource_uris, rec.api_version)
            count += 1
    return {"seconds": time.perf_counter() - started, "recordings": count}


def phase_sync(db: str, workers: int) -> dict:
    from reccb_analytics import ingest
    from reccb_analytics.db import open_database
    from reccb_analytics.sync import SyncOptions, sync

    # Time spent in the ingest's load_file (the writer's share), to show what bounds the sync.
    load_file, in_load = ingest.load_file, [0.0, 0]

    def timed_load(*args: object, **kwargs: object) -> object:
        begin = time.perf_counter()
        try:
            return load_file(*args, **kwargs)
        finally:
            in_load[0] += time.perf_counter() - begin
            in_load[1] += 1

    ingest.load_file = timed_load  # type: ignore[assignment]
    con = open_database(db)
    try:
        started = time.perf_counter()
        report = sync(con, options=SyncOptions(workers=workers))
        seconds = time.perf_counter() - started
        stored = con.execute("SELECT count(*) FROM recordings").fetchall()[0][0]
    finally:
        con.close()
    return {"seconds": seconds, "recordings": stored, "listed": report.total("listed"),
            "requests": report.total("requests"), "loaded": report.total("loaded"),
            "load_seconds": in_load[0], "loads": in_load[1]}


def child(phase: str, db: str, workers: int) -> None:
    result = phase_sdk() if phase == "sdk" else phase_sync(db, workers)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# ------------------------------------------------------------------ driver
def bench(recordings: int, latency: float, days: int, workers: int) -> dict:
    server, info = start_server(recordings, latency, days)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
            db = Path(tmp) / "bench.duckdb"
            sdk = run_phase("sdk", info, db, workers)
            full = run_phase("sync", info, db, workers)
            again = run_phase("again", info, db, workers)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert full["recordings"] == recordings == sdk["recordings"], (full, sdk)
    return {"recordings": recordings, "sdk": sdk, "sync": full, "again": again}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="200000", help="comma-separated recording counts")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--days", type=int, default=180, help="days the recordings span")
    parser.add_argument("--workers", type=int, default=8, help="sync workers (default 8)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args.phase, args.db, args.workers)
        return
    print(f"server: 4 subaccounts, {args.latency * 1000:.0f} ms per request, {args.days} days; "
          f"sync: {args.workers} workers")
    print(f"{'recordings':>10}  {'SDK walk':>9}  {'full sync':>9}  {'speed-up':>8}  "
          f"{'in loads':>9}  {'re-sync':>8}  {'requests':>8}  {'RSS sync':>9}  {'RSS SDK':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        r = bench(size, args.latency, args.days, args.workers)
        print(f"{size:>10,}  {r['sdk']['seconds']:>8.1f}s  {r['sync']['seconds']:>8.1f}s  "
              f"{r['sdk']['seconds'] / r['sync']['seconds']:>7.1f}x  "
              f"{r['sync']['load_seconds']:>6.1f}s/{r['sync']['loads']:<2}  {r['again']['seconds']:>7.2f}s  "
              f"{r['sync']['requests']:>8,}  {r['sync']['peak_rss_mb']:>7.0f}MB  "
              f"{r['sdk']['peak_rss_mb']:>6.0f}MB", flush=True)


if __name__ == "__main__":
    main()
