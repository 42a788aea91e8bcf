"""Benchmark: ``reccb sync`` against a sequential twilio SDK walk of the same data, same run.

The Twilio-compatible test server runs in its own process with a latency per request (default
50 ms) and N recordings over 4 subaccounts. Before anything is timed, every recording is listed
once (raw HTTP, untimed), and so is each account's usage, so the server has rendered and cached
them: both contenders then meet the same warm server, and neither pays for the server's first
rendering (the SDK walk fetches no usage; the sync does, as Twilio serves it, precomputed). Each measured
phase runs in a fresh child process (so its peak RSS is its own), timing only the work, not
interpreter start-up:

* ``sdk``: the Accounts list, then ``client.api.v2010.accounts(sid).recordings.stream(
  include_soft_deleted=True, page_size=1000)`` (what the sync lists) for the parent and every
  subaccount, one after the other, reading every property of every recording;
* ``sync``: a full ``sync()`` into a new store (default options unless given), up to and
  including closing the store (so work DuckDB defers to the close is counted);
* ``again``: the same sync again, with nothing new on the server.

"in loads" is the part of the full sync spent in the ingest's ``load_file`` (seconds/calls):
the writer's share, which bounds the sync once fetching is parallel; "1st load" is when the
first one started, "fetched" when the last listing or fetch ended (seconds into the sync).
"CPU" is the processor time the phase used (client + server process, user + system): on a
machine of few cores it bounds how fast the sync can be, whatever its concurrency.

Usage (from the repository root)::

    python benchmarks/bench_sync.py                         # 200,000 recordings
    python benchmarks/bench_sync.py --sizes 20000,80000     # smaller; memory across sizes
    python benchmarks/bench_sync.py --sizes 50000 --repeat 2 --workers 16
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
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent


def start_server(recordings: int, latency: float, days: int) -> tuple[subprocess.Popen[str], dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.twilio_server", "--subaccounts", "4", "--recordings",
         str(recordings), "--days", str(days), "--latency", str(latency), "--in-progress", "20"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    info["pid"] = proc.pid
    return proc, info


def warm_up(info: dict) -> int:
    """List every recording and each account's usage once (untimed), so the server renders and
    caches them (Twilio keeps usage precomputed; this server works it out on first request)."""
    session, auth, pages = requests.Session(), (info["api_key"], info["api_secret"]), 0
    for sid in [info["account_sid"], *info["subaccounts"]]:
        session.get(f"{info['url']}/2010-04-01/Accounts/{sid}/Usage/Records/Monthly.json"
                    "?Category=recordings&PageSize=1000", auth=auth, timeout=60).raise_for_status()
        url: str | None = (f"{info['url']}/2010-04-01/Accounts/{sid}/Recordings.json"
                           "?PageSize=1000&IncludeSoftDeleted=true")
        while url:
            body = session.get(url, auth=auth, timeout=60).json()
            pages += 1
            url = f"{info['url']}{body['next_page_uri']}" if body.get("next_page_uri") else None
    return pages


def child_env(info: dict) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "RECCB_"))}
    env.update(TWILIO_ACCOUNT_SID=info["account_sid"], TWILIO_API_KEY=info["api_key"],
               TWILIO_API_SECRET=info["api_secret"], RECCB_TWILIO_API_URL=info["url"],
               PYTHONPATH=str(ROOT))
    return env


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_phase(phase: str, info: dict, db: Path, options: dict) -> dict:
    server_cpu = process_cpu(info["pid"])
    done = subprocess.run([sys.executable, __file__, "--phase", phase, "--db", str(db),
                           "--options", json.dumps(options)],
                          cwd=ROOT, env=child_env(info), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["cpu"] += process_cpu(info["pid"]) - server_cpu
    return result


# ------------------------------------------------------------------ child phases
def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def phase_sdk() -> dict:
    from reccb_analytics.sync.client import build_client, credentials_from_env

    client = build_client(credentials_from_env())
    cpu = cpu_now()
    started = time.perf_counter()
    sids = [a.sid for a in client.api.v2010.accounts.list(page_size=1000)]
    count = 0
    for sid in sids:
        for rec in client.api.v2010.accounts(sid).recordings.stream(include_soft_deleted=True,
                                                                    page_size=1000):
            # Touch every property, as a real consumer would.
            _ = (rec.sid, rec.account_sid, rec.call_sid, rec.conference_sid, rec.status, rec.source,
             rec.channels, rec.duration, rec.price, rec.price_unit, rec.date_created,
             rec.date_updated, rec.start_time, rec.error_code, rec.media_url, rec.uri,
             rec.encryption_details, rec.subresource_uris, rec.api_version)
            count += 1
    return {"seconds": time.perf_counter() - started, "recordings": count, "cpu": cpu_now() - cpu}


def phase_sync(db: str, options: dict) -> dict:
    from reccb_analytics import ingest
    from reccb_analytics.db import open_database
    from reccb_analytics.sync import SyncOptions, sync, transport

    # Time spent in the ingest's load_file (the writer's share), to show what bounds the sync,
    # when the first load started and when the last request ended.
    load_file, in_load, first_load, last_request = ingest.load_file, [0.0, 0], [0.0], [0.0]
    get_json = transport.Transport.get_json

    def timed_load(*args: Any, **kwargs: Any) -> Any:
        begin = time.perf_counter()
        first_load[0] = first_load[0] or begin
        try:
            return load_file(*args, **kwargs)
        finally:
            in_load[0] += time.perf_counter() - begin
            in_load[1] += 1

    def timed_get(*args: Any, **kwargs: Any) -> Any:
        try:
            return get_json(*args, **kwargs)
        finally:
            last_request[0] = max(last_request[0], time.perf_counter())

    ingest.load_file = timed_load  # type: ignore[assignment]
    transport.Transport.get_json = timed_get  # type: ignore[method-assign]
    con = open_database(db)
    cpu = cpu_now()
    started = time.perf_counter()
    try:
        report = sync(con, options=SyncOptions(**options))
        stored = con.execute("SELECT count(*) FROM recordings").fetchall()[0][0]
    finally:
        con.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu": cpu_now() - cpu, "recordings": stored,
            "listed": report.total("listed"),
            "requests": report.total("requests"), "loaded": report.total("loaded"),
            "load_seconds": in_load[0], "loads": in_load[1],
            "first_load": first_load[0] - started if first_load[0] else None,
            "fetched": last_request[0] - started}


def child(phase: str, db: str, options: dict) -> None:
    result = phase_sdk() if phase == "sdk" else phase_sync(db, options)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# ------------------------------------------------------------------ driver
def bench(recordings: int, latency: float, days: int, options: dict, repeat: int) -> list[dict]:
    server, info = start_server(recordings, latency, days)
    results = []
    try:
        warm_up(info)
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
                db = Path(tmp) / "bench.duckdb"
                sdk = run_phase("sdk", info, db, options)
                full = run_phase("sync", info, db, options)
                again = run_phase("again", info, db, options)
            assert full["recordings"] == recordings == sdk["recordings"], (full, sdk)
            results.append({"recordings": recordings, "sdk": sdk, "sync": full, "again": again})
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="200000", help="comma-separated recording counts")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--days", type=int, default=180, help="days the recordings span")
    parser.add_argument("--workers", type=int, help="sync workers (default: SyncOptions')")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="another SyncOptions field (number), e.g. --set flush_rows=100000")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size, same server")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--options", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args.phase, args.db, json.loads(args.options))
        return
    options: dict[str, float] = {}
    if args.workers:
        options["workers"] = args.workers
    for item in args.set:
        name, _, value = item.partition("=")
        options[name] = float(value) if "." in value else int(value)
    print(f"server: 4 subaccounts, {args.latency * 1000:.0f} ms per request, {args.days} days, "
          f"warmed up; sync options: {options or 'defaults'}")
    print(f"{'recordings':>10}  {'SDK walk':>9}  {'full sync':>9}  {'speed-up':>8}  "
          f"{'in loads':>9}  {'1st load':>8}  {'fetched':>7}  {'re-sync':>8}  {'requests':>8}  "
          f"{'RSS sync':>9}  {'RSS SDK':>8}  {'CPU SDK':>8}  {'CPU sync':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        for r in bench(size, args.latency, args.days, options, args.repeat):
            s = r["sync"]
            print(f"{size:>10,}  {r['sdk']['seconds']:>8.1f}s  {s['seconds']:>8.1f}s  "
                  f"{r['sdk']['seconds'] / s['seconds']:>7.1f}x  "
                  f"{s['load_seconds']:>6.1f}s/{s['loads']:<2}  {s['first_load'] or 0:>7.1f}s  "
                  f"{s['fetched']:>6.1f}s  {r['again']['seconds']:>7.2f}s  "
                  f"{s['requests']:>8,}  {s['peak_rss_mb']:>7.0f}MB  "
                  f"{r['sdk']['peak_rss_mb']:>6.0f}MB  {r['sdk']['cpu']:>7.1f}s  "
                  f"{s['cpu']:>7.1f}s", flush=True)


if __name__ == "__main__":
    main()
