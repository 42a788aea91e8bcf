"""Benchmark: `reccb ingest callbacks` against DuckDB's bare reader and the fastest pandas route.

Everything is measured in the same run, each step in its own process (so peak RSS is that
step's own), and reported as ratios, since this machine is shared and noisy:

* bare:   CREATE TABLE t AS SELECT * FROM read_json(file)            (the practical ceiling)
* reccb:  reccb ingest callbacks file --db fresh.duckdb               (normalise, dedupe, account)
* pandas: pd.read_json(lines=True, engine="pyarrow") + to_datetime + insert into DuckDB
* again:  reccb ingest of the same file once more (recognised by its sha256)

Targets (issue 2): reccb >= 0.4x bare and >= 3x pandas, peak RSS < 2 GiB, on 5M lines.
With --repeat N the three are measured N times, interleaved, and the median ratios printed
(single runs on this shared machine vary by +-15%).

    python benchmarks/bench_ingest.py                # 5,000,000 lines
    python benchmarks/bench_ingest.py --repeat 3     # medians of three rounds
    python benchmarks/bench_ingest.py --lines 500000 # quicker
    python benchmarks/bench_ingest.py --floor        # also the floor (see --help)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

STEP = textwrap.dedent("""
    import json, sys, time
    step, path, workdir = sys.argv[1], sys.argv[2], sys.argv[3]
    t0 = time.perf_counter()
    if step == "bare":
        import duckdb
        con = duckdb.connect(workdir + "/bare.duckdb")
        con.execute("CREATE TABLE t AS SELECT * FROM read_json($p, format='newline_delimited')", {"p": path})
        con.close()
    elif step == "floor":
        # What any load that keeps line numbers and the whole request costs, before the work
        # issue 2 adds on top (delivery ids, validation with reasons, duplicates, accounting):
        # the lines table, one json_transform per line, typed columns and params, as reccb does.
        import duckdb
        con = duckdb.connect(workdir + "/floor.duckdb")
        con.execute("SET memory_limit = '1GB'")
        con.execute("CREATE TEMP TABLE lines AS SELECT line FROM read_csv($p, columns = {'line': 'VARCHAR'}, "
                    "header = false, delim = chr(0), quote = '', escape = '', auto_detect = false, "
                    "buffer_size = 33554432)", {"p": path})
        con.execute('''CREATE TABLE t (line_no BIGINT, received_at TIMESTAMPTZ, recording_sid VARCHAR,
            account_sid VARCHAR, call_sid VARCHAR, status VARCHAR, duration_s INTEGER, channels INTEGER,
            start_time TIMESTAMPTZ, source VARCHAR, error_code INTEGER,
            recording_url VARCHAR USING COMPRESSION zstd, params JSON USING COMPRESSION zstd)''')
        con.execute("SET preserve_insertion_order = false")
        con.execute('''INSERT INTO t SELECT rowid + 1, e.received_at::TIMESTAMPTZ, e.RecordingSid, e.AccountSid,
            e.CallSid, e.RecordingStatus, e.RecordingDuration::INTEGER, e.RecordingChannels::INTEGER,
            strptime(e.RecordingStartTime, '%a, %d %b %Y %H:%M:%S %z'), e.RecordingSource,
            nullif(e.ErrorCode::INTEGER, 0), e.RecordingUrl, line::JSON
            FROM (SELECT rowid, line, json_transform(line, '{"received_at": "VARCHAR", "AccountSid": "VARCHAR",
                "CallSid": "VARCHAR", "RecordingSid": "VARCHAR", "RecordingUrl": "VARCHAR",
                "RecordingStatus": "VARCHAR", "RecordingDuration": "VARCHAR", "RecordingChannels": "VARCHAR",
                "RecordingStartTime": "VARCHAR", "RecordingSource": "VARCHAR", "ErrorCode": "VARCHAR"}') AS e
                  FROM lines)''')
        con.close()
    elif step == "pandas":
        import duckdb, pandas as pd
        try:
            import pyarrow.json  # noqa: F401  - the fastest pandas reader when installed
            df = pd.read_json(path, lines=True, engine="pyarrow", dtype_backend="pyarrow")
        except ImportError:
            print("pyarrow not installed: pandas' default JSON engine (pip install pyarrow)", file=sys.stderr)
            df = pd.read_json(path, lines=True, dtype=False)
        df["received_at"] = pd.to_datetime(df["received_at"], utc=True)
        df["RecordingStartTime"] = pd.to_datetime(df["RecordingStartTime"], format="%a, %d %b %Y %H:%M:%S %z", utc=True)
        df = df.drop_duplicates()
        con = duckdb.connect(workdir + "/pandas.duckdb")
        con.register("df", df)
        con.execute("CREATE TABLE t AS SELECT * FROM df")
        con.close()
    elif step in ("reccb", "again"):
        from reccb_analytics.ingest import ingest_paths
        report = ingest_paths([path], kind="callbacks", db_path=workdir + "/reccb.duckdb", progress=False)
        assert not report.failed, report.errors
        r = report.results[0]
        print(json.dumps({"read": r.records_read, "loaded": r.loaded, "duplicates": r.duplicates,
                          "rejected": r.rejected}), file=sys.stderr)
    seconds = time.perf_counter() - t0
    # VmHWM is this process's own peak (ru_maxrss would carry the parent's over fork+exec)
    rss = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
               if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "rss": rss}))
""")


def make_log(path: Path, lines: int) -> None:
    """Flat callback NDJSON in Twilio's shape: in-progress + completed per recording, ~5%
    Twilio retries (same parameters, a new receive time)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"""
        COPY (
          SELECT strftime(TIMESTAMP '2026-01-01' + to_seconds(i * 2 + (CASE WHEN retry THEN 7 ELSE 0 END)),
                          '%Y-%m-%dT%H:%M:%SZ') AS received_at,
                 'RecordVerb' AS RecordingSource,
                 'RE' || md5('rec' || (i // 2)) AS RecordingSid,
                 'https://api.twilio.com/2010-04-01/Accounts/AC' || md5('acct' || (i % 5)) || '/Recordings/RE'
                     || md5('rec' || (i // 2)) AS RecordingUrl,
                 CASE WHEN i % 2 = 0 THEN 'in-progress' WHEN i % 97 = 1 THEN 'absent' ELSE 'completed' END AS RecordingStatus,
                 CASE WHEN i % 2 = 1 THEN ((i * 7919) % 900)::VARCHAR END AS RecordingDuration,
                 CASE WHEN i % 3 = 0 THEN '1' ELSE '2' END AS RecordingChannels,
                 CASE WHEN i % 97 = 1 THEN '16101' ELSE '0' END AS ErrorCode,
                 'CA' || md5('call' || (i // 2)) AS CallSid,
                 strftime(TIMESTAMP '2026-01-01' + to_seconds(i * 2 - 30), '%a, %d %b %Y %H:%M:%S +0000') AS RecordingStartTime,
                 'AC' || md5('acct' || (i % 5)) AS AccountSid
          FROM (SELECT i, false AS retry FROM range({lines}) t(i) WHERE i % 20 <> 19
                UNION ALL SELECT i - 1, true FROM range({lines}) t(i) WHERE i % 20 = 19)
          ORDER BY i, retry
        ) TO '{path}' (FORMAT json)""")
    con.close()


def run(step: str, path: Path, workdir: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", STEP, step, str(path), str(workdir)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{step} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if done.stderr.strip():
        result["detail"] = done.stderr.strip().splitlines()[-1]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of bare/reccb/pandas (medians)")
    parser.add_argument("--skip-pandas", action="store_true", help="pandas needs ~7 GB for 5M lines")
    parser.add_argument("--floor", action="store_true",
                        help="also time the floor: lines, parse, typed columns and params, nothing else")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        log = work / "callbacks.ndjson"
        t0 = time.perf_counter()
        make_log(log, args.lines)
        print(f"generated {args.lines:,} lines ({log.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t0:.1f}s")
        steps = ["bare", "reccb"] + (["floor"] if args.floor else []) + ([] if args.skip_pandas else ["pandas"])
        rounds: list[dict] = []
        for number in range(args.repeat):
            for stale in work.glob("*.duckdb*"):
                stale.unlink()
            results = {step: run(step, log, work) for step in steps}
            if number == 0:
                results["again"] = run("again", log, work)
            rounds.append(results)
            if args.repeat > 1:
                print(f"round {number + 1}:")
            for name, r in results.items():
                detail = f"  {r['detail']}" if "detail" in r else ""
                print(f"{name:7s} {r['seconds']:8.2f}s {args.lines / r['seconds']:>12,.0f} lines/s "
                      f"peak RSS {r['rss'] / 2**30:5.2f} GiB{detail}")
        bare = [r["bare"]["seconds"] / r["reccb"]["seconds"] for r in rounds]
        label = "median of " + ", ".join(f"{x:.2f}" for x in bare) if args.repeat > 1 else ""
        print(f"reccb / bare speed:   {statistics.median(bare):.2f}x   (target >= 0.4x) {label}")
        if not args.skip_pandas:
            pandas = [r["pandas"]["seconds"] / r["reccb"]["seconds"] for r in rounds]
            label = "median of " + ", ".join(f"{x:.2f}" for x in pandas) if args.repeat > 1 else ""
            print(f"reccb / pandas speed: {statistics.median(pandas):.2f}x   (target >= 3x) {label}")
            if args.floor:
                floor = [r["pandas"]["seconds"] / r["floor"]["seconds"] for r in rounds]
                print(f"floor / pandas speed: {statistics.median(floor):.2f}x   (no ids, validation, "
                      "duplicates or accounting)")
        print(f"reccb peak RSS:       {max(r['reccb']['rss'] for r in rounds) / 2**30:.2f} GiB (target < 2 GiB)")
        print(f"re-ingest:            {rounds[0]['again']['seconds']:.2f}s")


if __name__ == "__main__":
    main()
