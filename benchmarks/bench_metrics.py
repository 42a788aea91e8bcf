"""Benchmark: every metrics function and `reccb report run --all` on 1M recordings / ~3M callbacks.

The targets (issue 3): on 1,000,000 recordings and about 3,000,000 callback deliveries, each
metrics function answers in under 2 seconds and ``reccb report run --all`` completes in under a
minute on the project's 2-core machine. Nothing here is pass/fail: the figures are printed next
to the time DuckDB takes for a bare ``SELECT count(*)`` over ``recordings`` and over
``callback_deliveries`` on the same connection, so runs on other (or busier) machines can be
compared by their ratios. Figures over the target are flagged.

Steps, all in one run:

1. Build the store (skipped when ``--db PATH`` already holds data), by one of two routes:

   * ``--route sql`` (default): ``INSERT ... SELECT FROM range(...)`` straight into the tables of
     ``sql/schema/001_init.sql`` with a realistic mix: four accounts, six sources, mono/stereo,
     log-normal durations, ~4.5% absent (16101/16102), ~0.8% failed (16104-16106), ~5% deleted,
     a few unknown error codes and pending recordings, 1% recordings known only from callbacks,
     in-progress + terminal callbacks with Twilio retries (5xx then 200) filling up to
     ``--deliveries`` (default 3 x recordings), some without receive time, some status
     disagreements, signed deliveries with a few invalid signatures, verified archive copies,
     a deletion log and rejects. This is the route that reaches the issue's 1M / 3M mix.
   * ``--route synth``: the project's own generator, ``reccb_analytics.synth.generate()``, then
     ``ingest_paths`` for recordings and callbacks, exactly as a user would load them. Realistic
     down to the file formats, but it gives only ~1.55 deliveries per recording, and it is slower.

2. Time each public metric (best of ``--repeat``, default 3) on a read-only connection
   (``reccb_analytics.connect``) over the generated period.
3. Time ``reccb report run --all`` as a subprocess, with parameters covering the same period.
4. Print peak RSS (VmHWM) of the build and of the metrics phase (reset in between through
   /proc/self/clear_refs) and of the report run (its process tree), and a compact table.

Examples::

    python benchmarks/bench_metrics.py                          # 1M recordings, ~3M deliveries
    python benchmarks/bench_metrics.py --recordings 100000      # a quick check (~300k deliveries)
    python benchmarks/bench_metrics.py --db /tmp/bench.duckdb   # build once, keep, reuse next time
    python benchmarks/bench_metrics.py --route synth --recordings 200000   # via synth + ingest
    python benchmarks/bench_metrics.py --db /tmp/bench.duckdb --no-report --explain all
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# imported after the path insert, so a checkout runs as is
import reccb_analytics as rc
from reccb_analytics import db

TARGET_METRIC_S = 2.0
TARGET_REPORT_S = 60.0
# The synthetic period of both routes: 12 months ending on synth's DEFAULT_END_DATE.
DEFAULT_END_DATE = dt.date(2026, 10, 31)
MONTHS = 12


# --------------------------------------------------------------------------- memory


def vm_hwm() -> int:
    """This process's peak resident set size in bytes (VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def reset_hwm() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so later phases show their own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


# --------------------------------------------------------------------------- period


def period_for(end_date: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """[start, end) of ``months`` calendar months ending with ``end_date`` (as synth does)."""
    end = end_date + dt.timedelta(days=1)
    index = end.year * 12 + end.month - 1 - months
    year, month = divmod(index, 12)
    day = end.day
    while True:
        try:
            return dt.date(year, month + 1, day), end
        except ValueError:
            day -= 1


def month_str(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_to(as_of: dt.date) -> tuple[str, str]:
    """The ``MONTHS`` months ending with the one holding ``as_of``, as ("YYYY-MM", "YYYY-MM")."""
    index = as_of.year * 12 + as_of.month - 1 - (MONTHS - 1)
    return month_str(dt.date(index // 12, index % 12 + 1, 1)), month_str(as_of)


def store_period(path: Path) -> tuple[dt.date, dt.date]:
    """[start, end) covering the recordings of an existing store (UTC days)."""
    with rc.connect(path) as con:
        lo, hi = con.execute(
            "SELECT min(coalesce(start_time, date_created))::DATE, "
            "max(coalesce(start_time, date_created))::DATE FROM recordings").fetchall()[0]
    if lo is None:
        raise SystemExit(f"{path} holds no recordings")
    return lo, hi + dt.timedelta(days=1)


# --------------------------------------------------------------------------- SQL route

# Uniform draws in [0, 1) from a hash of (row, stream, seed): reproducible, no window functions.
SQL_MACROS = """
CREATE OR REPLACE TEMP MACRO bu(i, k, s) AS ((hash(i, k, s) >> 11)::DOUBLE / 9007199254740992.0);
"""

# One row per recording of the universe: metadata and callback facts decided together.
# $n recordings in the metadata, plus 1% known only from callbacks (i >= $n).
SQL_UNIVERSE = """
CREATE OR REPLACE TEMP TABLE bench_u AS
WITH d AS (
    SELECT i,
           bu(i, 1, $seed) AS u_acct, bu(i, 2, $seed) AS u_src, bu(i, 3, $seed) AS u_ch,
           bu(i, 4, $seed) AS u_day, bu(i, 5, $seed) AS u_sec, bu(i, 6, $seed) AS u_z1,
           bu(i, 7, $seed) AS u_z2, bu(i, 8, $seed) AS u_out, bu(i, 9, $seed) AS u_del,
           bu(i, 10, $seed) AS u_cb, bu(i, 11, $seed) AS u_late, bu(i, 12, $seed) AS u_dis
    FROM range(0, CAST($n * 1.01 AS BIGINT)) t(i)
), a AS (
    SELECT *,
           CASE WHEN u_acct < 0.40 THEN 0 WHEN u_acct < 0.70 THEN 1
                WHEN u_acct < 0.90 THEN 2 ELSE 3 END AS acct,
           CASE WHEN u_src < 0.30 THEN 'DialVerb' WHEN u_src < 0.42 THEN 'RecordVerb'
                WHEN u_src < 0.55 THEN 'Conference' WHEN u_src < 0.75 THEN 'StartCallRecordingAPI'
                WHEN u_src < 0.90 THEN 'OutboundAPI' ELSE 'Trunking' END AS source,
           -- half the traffic uniform over the period, half growing towards its end
           CASE WHEN u_day < 0.5 THEN floor(u_day * 2 * $ndays)
                ELSE floor(sqrt((u_day - 0.5) * 2) * $ndays) END::INTEGER AS day_i,
           -- a standard normal (Box-Muller) for log-normal durations
           sqrt(-2 * ln(1 - u_z1)) * cos(2 * pi() * u_z2) AS z
    FROM d
), b AS (
    SELECT *,
           CASE source WHEN 'RecordVerb' THEN 30 WHEN 'Conference' THEN 420
                       WHEN 'StartCallRecordingAPI' THEN 150 WHEN 'OutboundAPI' THEN 110
                       WHEN 'Trunking' THEN 180 ELSE 95 END AS median_s,
           -- business hours mostly, any hour sometimes; kept inside the period
           $t0::TIMESTAMPTZ + to_days(least(day_i, $ndays - 1))
               + to_seconds(CASE WHEN u_sec < 0.8 THEN 28800 + floor(u_sec / 0.8 * 36000)
                                 ELSE floor((u_sec - 0.8) / 0.2 * 64800) END::BIGINT) AS start_time,
           CASE WHEN u_out < 0.008 THEN 'failed' WHEN u_out < 0.053 THEN 'absent'
                -- a tenth of the last day has no terminal status yet (still processing)
                WHEN u_out >= 0.9 AND day_i >= $ndays - 1 THEN 'pending'
                ELSE 'completed' END AS outcome
    FROM a
), c AS (
    SELECT *,
           CASE WHEN outcome = 'absent' AND u_out < 0.038 THEN floor(u_out * 50)::INTEGER
                WHEN outcome = 'absent' THEN 3 + floor(u_out * 1000)::INTEGER % 57
                ELSE least(14400, greatest(2, round(median_s * exp(0.9 * z))))::INTEGER
           END AS duration_s,
           CASE WHEN outcome = 'failed'
                     THEN [16104, 16105, 16106][1 + floor(u_out / 0.008 * 3)::INTEGER]
                WHEN outcome = 'absent' AND u_out < 0.038 THEN 16101
                WHEN outcome = 'absent' THEN 16102
                -- stored despite a problem: a warning code, and now and then one nobody knows
                WHEN outcome = 'completed' AND u_dis < 0.002 THEN 13621
                WHEN outcome = 'completed' AND u_dis > 0.9995 THEN 16199
           END AS error_code
    FROM b
)
SELECT i,
       i >= $n                                               AS cb_only,
       'AC' || md5('acct' || acct::VARCHAR || $seed::VARCHAR) AS account_sid,
       'RE' || md5('rec' || i::VARCHAR || $seed::VARCHAR)     AS sid,
       'CA' || md5('call' || i::VARCHAR || $seed::VARCHAR)    AS call_sid,
       CASE WHEN source = 'Conference'
            THEN 'CF' || md5('conf' || (i // 4)::VARCHAR) END AS conference_sid,
       source,
       CASE WHEN source IN ('RecordVerb', 'Conference') THEN 1
            WHEN u_ch < 0.65 THEN 2 ELSE 1 END AS channels,
       start_time, duration_s, outcome, error_code,
       start_time + to_seconds(duration_s + 2 + floor(u_late * 20)::BIGINT)  AS date_created,
       -- ~5% of completed recordings older than two days deleted at Twilio (soft-deleted,
       -- still listed); a few more deleted by this toolkit (the deletion log)
       outcome = 'completed' AND day_i < $ndays - 2 AND u_del < 0.05            AS deleted,
       outcome = 'completed' AND day_i < $ndays - 60 AND u_del >= 0.05 AND u_del < 0.055
                                                                             AS deleted_by_us,
       outcome = 'completed' AND day_i < $ndays - 60 AND u_del >= 0.1 AND u_del < 0.4
                                                                             AS archived,
       -- callbacks: Trunking sends none; ~3% lost (bad URL); ~0.5% logged without a time
       source <> 'Trunking' AND u_cb >= 0.03                                  AS has_cb,
       u_cb >= 0.995                                                          AS no_time,
       -- the callback said something else than the metadata (e.g. absent, then completed)
       u_dis >= 0.002 AND u_dis < 0.004                                       AS disagrees,
       u_late
FROM c;
"""

SQL_RECORDINGS = """
INSERT INTO recordings (sid, account_sid, call_sid, conference_sid, status, source, channels,
                        track, duration_s, start_time, date_created, date_updated, price,
                        price_unit, error_code, media_url, encrypted, raw, first_seen_at,
                        first_seen_in, last_seen_at, last_seen_in, ingest_id)
SELECT sid, account_sid, call_sid, conference_sid,
       CASE WHEN deleted THEN 'deleted' WHEN outcome = 'pending' THEN 'processing' ELSE outcome END,
       source, channels,
       CASE WHEN source IN ('DialVerb', 'OutboundAPI', 'StartCallRecordingAPI') THEN 'both' END,
       duration_s, start_time, date_created,
       CASE WHEN deleted THEN date_created + to_days(1 + floor(u_late * 60)::INTEGER)
            ELSE date_created END,
       CASE WHEN outcome = 'completed' THEN -0.0025 * ceil(duration_s / 60.0) ELSE 0 END,
       'USD', error_code,
       '/2010-04-01/Accounts/' || account_sid || '/Recordings/' || sid || '.json',
       account_sid = 'AC' || md5('acct1' || $seed::VARCHAR), NULL,
       now(), 'bench:sql', now(), 'bench:sql', 1
FROM bench_u
WHERE NOT cb_only;
"""

# Callback deliveries: ev 0 = in-progress, ev 1 = terminal; every event delivered 1 + extra
# times, the first attempts answered 5xx and the last 200 (Twilio retries), with the extra
# attempts drawn so that the total comes to about $deliveries.
SQL_DELIVERIES = """
INSERT INTO callback_deliveries (delivery_id, received_at, recording_sid, account_sid, call_sid,
                                 conference_sid, status, duration_s, channels, start_time, source,
                                 track, error_code, recording_url, idempotency_token, http_status,
                                 signature_valid, params, source_file, source_line, ingest_id)
WITH ev AS (
    SELECT u.*, e.ev,
           CASE WHEN e.ev = 0 THEN 'in-progress'
                WHEN disagrees AND outcome = 'completed' THEN 'absent'
                WHEN outcome = 'pending' THEN NULL
                ELSE outcome END AS cb_status,
           $extra::DOUBLE AS x, bu(i * 2 + e.ev, 20, $seed) AS u_att
    FROM bench_u u, range(2) e(ev)
    WHERE has_cb
), att AS (
    SELECT ev.*, a.attempt,
           1 + floor(x)::INTEGER + (u_att < x - floor(x))::INTEGER AS attempts
    FROM ev, range(1, 6) a(attempt)
    WHERE cb_status IS NOT NULL
)
SELECT md5(i::VARCHAR || '/' || ev::VARCHAR || '/' || attempt::VARCHAR || $seed::VARCHAR),
       CASE WHEN no_time THEN NULL
            WHEN ev = 0 THEN start_time + to_milliseconds(300 + floor(u_late * 2000)::BIGINT)
            -- a long tail: about 1% of terminal callbacks minutes to two hours late
            ELSE date_created + to_milliseconds(200 + floor(u_late * 1300)::BIGINT)
                 + to_seconds(floor(pow(u_late, 200) * 7200)::BIGINT)
       END + to_seconds((attempt - 1) * 7),
       sid, account_sid, call_sid, conference_sid, cb_status,
       CASE WHEN ev = 1 THEN duration_s END, channels, start_time, source,
       CASE WHEN source IN ('DialVerb', 'OutboundAPI', 'StartCallRecordingAPI') THEN 'both' END,
       CASE WHEN ev = 1 AND cb_status IN ('absent', 'failed') THEN coalesce(error_code, 16101) END,
       'https://api.twilio.com/2010-04-01/Accounts/' || account_sid || '/Recordings/' || sid,
       md5('tok' || i::VARCHAR || '/' || ev::VARCHAR),
       CASE WHEN attempt < attempts THEN [500, 502, 503, 504][1 + (i + attempt) % 4] ELSE 200 END,
       CASE WHEN u_late < 0.4 THEN bu(i * 8 + attempt, 21, $seed) >= 0.003 END,
       NULL, 'bench.ndjson', i * 8 + ev * 4 + attempt, 2
FROM att
WHERE attempt <= attempts;
"""

SQL_SIDE_TABLES = """
INSERT INTO archive_copies (sid, account_sid, location, bytes, sha256, format, channels,
                            plan_hash, verified_at)
SELECT sid, account_sid, 'file:///archive/' || sid || '.wav', duration_s * 16000 * channels,
       md5(sid) || md5(sid), 'wav', channels, 'bench', $t_end::TIMESTAMPTZ - INTERVAL 30 DAY
FROM bench_u WHERE archived AND NOT cb_only;

INSERT INTO deletion_audit (audited_at, plan_hash, account_sid, sid, outcome, http_status, response)
SELECT date_created + to_days(45), 'bench', account_sid, sid, 'deleted', 204, NULL
FROM bench_u WHERE deleted_by_us AND NOT cb_only;

INSERT INTO rejects (ingest_id, source_file, source_line, raw_text, reason)
SELECT 2, 'bench.ndjson', i, '{"RecordingSid": "RE?"}', 'bench: malformed line'
FROM range(0, greatest(1, $n // 10000)) t(i);
"""


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> None:
    """Run each statement of ``sql`` with the parameters it names (DuckDB rejects extra ones)."""
    for statement in db.split_statements(sql):
        used = {k: v for k, v in params.items() if re.search(r"\$" + k + r"\b", statement)}
        con.execute(statement, used).fetchall()


def build_sql(path: Path, recordings: int, deliveries: int, seed: int, end_date: dt.date) -> str:
    """Fill a new store with INSERT ... SELECT; return a one-line description of the mix."""
    start, end = period_for(end_date, MONTHS)
    con = db.open_database(path)  # creates and migrates
    try:
        params: dict[str, Any] = {"n": recordings, "seed": seed, "t0": start.isoformat(),
                                  "t_end": end.isoformat(), "ndays": (end - start).days}
        con.execute(SQL_MACROS)
        run_sql(con, SQL_UNIVERSE, params)
        run_sql(con, SQL_RECORDINGS, params)
        # events that get at least one delivery decide the retry rate that reaches the target
        events = con.execute(
            "SELECT count(*) FILTER (WHERE has_cb) "
            "       + count(*) FILTER (WHERE has_cb AND outcome <> 'pending') FROM bench_u"
        ).fetchall()[0][0]
        extra = min(4.0, max(0.0, deliveries / max(events, 1) - 1.0))
        run_sql(con, SQL_DELIVERIES, {**params, "extra": extra})
        run_sql(con, SQL_SIDE_TABLES, params)
        now = dt.datetime.now(dt.UTC)
        con.execute(
            "INSERT INTO ingest_files (ingest_id, path, kind, origin, records_read, loaded, "
            "started_at, finished_at) VALUES "
            "(1, 'bench:sql recordings', 'recordings', 'file', $r, $r, $now, $now), "
            "(2, 'bench:sql callbacks', 'callbacks', 'file', $d, $d, $now, $now)",
            {"r": recordings, "d": deliveries, "now": now}).fetchall()
        con.execute("DROP TABLE bench_u")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return (f"route sql: INSERT ... SELECT FROM range(); {extra:.2f} extra delivery attempts "
            f"per callback event (Twilio retries) to reach the deliveries target")


# --------------------------------------------------------------------------- synth route


def build_synth(path: Path, recordings: int, seed: int, workdir: Path, keep: bool) -> str:
    """Generate with reccb_analytics.synth and load with ingest_paths, as a user would."""
    from reccb_analytics.ingest import ingest_paths
    from reccb_analytics.synth import generate

    out = workdir / "synth"
    try:
        t0 = time.perf_counter()
        generate(out, seed=seed, recordings=recordings)
        t_gen = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        t0 = time.perf_counter()
        for kind in ("recordings", "callbacks"):
            report = ingest_paths([out / kind], kind=kind, db_path=path, progress=False)
            if report.errors:
                raise SystemExit(report.summary())
            print("  " + report.summary().splitlines()[-1], flush=True)
        t_ingest = time.perf_counter() - t0
    finally:
        if not keep:  # the files are ~1 GiB at 1M recordings: never left behind by a failure
            shutil.rmtree(out, ignore_errors=True)
    return (f"route synth: generate {t_gen:.1f} s ({size / 2**20:,.0f} MiB of files), "
            f"ingest {t_ingest:.1f} s")


# --------------------------------------------------------------------------- timing


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any, float]:
    """Run ``fn`` ``repeat`` times: (best wall seconds, all wall times, last result, least CPU
    seconds of this process, all threads). CPU time barely moves when other processes compete
    for the cores, so it is the steadier figure on a shared machine."""
    times, cpus, result = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(times), times, result, min(cpus)


MetricCall = Callable[[duckdb.DuckDBPyConnection], Any]


def metric_calls(start: dt.date, end: dt.date) -> list[tuple[str, MetricCall]]:
    """Every public metric with parameters covering [start, end)."""
    as_of = end - dt.timedelta(days=1)
    sm, em = months_to(as_of)
    def rates(freq: str, by: str | None) -> MetricCall:
        return lambda con: rc.status_rates(con, start, end, freq=freq, by=by)

    calls = [(f"status_rates({freq}, by={by})", rates(freq, by))
             for freq in ("day", "week", "month") for by in (None, "source")]
    calls += [
        ("error_breakdown()", lambda con: rc.error_breakdown(con, start, end)),
        ("storage_costs(12 months)",
         lambda con: rc.storage_costs(con, sm, em, as_of=as_of)),
        ("storage_costs(12 months, by=account_sid)",
         lambda con: rc.storage_costs(con, sm, em, as_of=as_of, by="account_sid")),
        ("storage_forecast()", lambda con: rc.storage_forecast(con, as_of=as_of)),
        ("retention_candidates(30/90 days)",
         lambda con: rc.retention_candidates(con, as_of, 30, 90)),
        ("retention_savings(30/90 days)",
         lambda con: rc.retention_savings(con, as_of, 30, 90)),
        ("callback_delivery(by=source)", lambda con: rc.callback_delivery(con, start, end)),
        ("data_quality()", lambda con: rc.data_quality(con)),
    ]
    return calls


class Recorder:
    """Passes everything to a connection, keeping each statement run through ``execute()``."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.statements: list[tuple[str, Any]] = []

    def execute(self, sql: str, parameters: Any = None) -> Any:
        self.statements.append((sql, parameters))
        return self._con.execute(sql, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def explain(con: duckdb.DuckDBPyConnection, name: str, call: Callable[[Any], Any],
            seconds: float, top: int = 8) -> None:
    """Print where a slow metric spends its time: each of its queries under EXPLAIN ANALYZE
    (JSON), the slowest one's costliest operators, and what is left for pandas and Python."""
    import json

    recorder = Recorder(con)
    call(recorder)
    profiles = []
    for sql, params in recorder.statements:
        if not sql.lstrip().lstrip("-").strip():
            continue
        try:
            row = con.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchall()[0]
        except duckdb.Error:
            continue  # not a query (SET, PRAGMA): nothing to analyse
        plan = json.loads(row[1])
        seconds_in = plan.get("query", {}).get("total_time") or plan.get("latency", 0.0)
        profiles.append((seconds_in, sql, plan))
    in_sql = sum(p[0] for p in profiles)
    rest = seconds - in_sql
    print(f"\nEXPLAIN ANALYZE of {name}: {len(profiles)} quer(ies), {in_sql:.3f} s in DuckDB; "
          f"best run {seconds:.3f} s" + (f", so ~{rest:.3f} s handing results to pandas and in "
                                         "Python" if rest > 0.05 else ""))
    if not profiles:
        return
    total, sql, plan = max(profiles, key=lambda p: p[0])
    first = next((line for line in sql.splitlines() if line.strip()), "")
    memory = plan.get("system", {}).get("peak_buffer_memory", 0)
    print(f"  slowest query {total:.3f} s, peak buffer memory {mib(memory)}: {first.strip()[:90]}")
    operators: list[tuple[float, str, int, str]] = []

    def walk(node: dict[str, Any]) -> None:
        info = node.get("extra_info") or {}
        detail = info.get("Table", "") if isinstance(info, dict) else ""
        if isinstance(info, dict) and not detail:
            detail = str(info.get("Order By", info.get("Groups", info.get("Conditions", ""))))[:60]
        operators.append((node.get("timing", 0.0), node.get("name", "?"),
                          node.get("intermediate_rows", 0), detail))
        for child in node.get("children", []):
            walk(child)

    for root in plan.get("operator", []):
        walk(root)
    print("    operator time (summed over threads)   rows out")
    for timing, op, rows_out, detail in sorted(operators, key=lambda o: -o[0])[:top]:
        print(f"    {timing:7.3f} s  {op:<22} {rows_out:>11,} rows  {detail}")


def tree_rss(root: int) -> tuple[int, int]:
    """(sum of VmRSS, largest VmHWM) over ``root`` and its live descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    # the command name (field 2) may hold spaces: ppid follows the last ')'
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    rss = hwm = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("VmHWM:"):
                        hwm = max(hwm, int(line.split()[1]) * 1024)
        except OSError:
            pass
    return rss, hwm


def run_report(path: Path, start: dt.date, end: dt.date, out: Path) -> dict[str, Any]:
    """Time `reccb report run --all` in a child process.

    Returns seconds, exit code, the command, its output with each line's time since the start
    (the CLI prints ``running NAME...`` before each report), and the peak memory of its process
    tree (sampled every 0.1 s: ru_maxrss of a child would carry this process's own peak over
    fork+exec).
    """
    as_of = end - dt.timedelta(days=1)
    start_month, end_month = months_to(as_of)
    argv = [sys.executable, "-m", "reccb_analytics", "report", "run", "--all",
            "--db", str(path), "--out", str(out),
            "-p", "start", start.isoformat(), "-p", "end", end.isoformat(),
            "-p", "start_month", start_month, "-p", "end_month", end_month,
            "-p", "as_of", as_of.isoformat()]
    env = dict(os.environ)
    env.pop("RECCB_CONFIG", None)  # the shipped defaults, whatever the caller's shell holds
    lines: list[tuple[float, str]] = []
    peak_sum = peak_one = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=out, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    stdout = proc.stdout

    def read() -> None:
        lines.extend((time.perf_counter() - t0, line.rstrip()) for line in stdout)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while proc.poll() is None:
        rss, hwm = tree_rss(proc.pid)
        peak_sum, peak_one = max(peak_sum, rss), max(peak_one, hwm)
        time.sleep(0.1)
    seconds = time.perf_counter() - t0
    reader.join(timeout=5)
    return {"seconds": seconds, "code": proc.returncode, "lines": lines,
            "command": " ".join(["reccb"] + argv[3:]), "peak_tree": peak_sum, "peak_one": peak_one}


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n".join(line for line in __doc__.splitlines() if line.startswith("    python")),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recordings", type=int, default=1_000_000,
                        help="recordings in the metadata (default 1,000,000)")
    parser.add_argument("--deliveries", type=int, default=None,
                        help="callback deliveries, route sql (default 3 x --recordings)")
    parser.add_argument("--route", choices=("sql", "synth"), default="sql",
                        help="how to build the store (default sql; see above)")
    parser.add_argument("--db", type=Path, default=None,
                        help="store to reuse if it holds data, else to build and keep")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="folder for the temporary store, synth files and reports "
                             "(default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=DEFAULT_END_DATE,
                        help="last day of the 12 generated months "
                             "(default: synth's DEFAULT_END_DATE)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per metric, best kept (default 3)")
    parser.add_argument("--explain", nargs="?", const="over", choices=("over", "all"),
                        help="EXPLAIN ANALYZE the metrics over the target (or all): "
                             "where the time goes")
    parser.add_argument("--no-report", action="store_true", help="skip `reccb report run --all`")
    args = parser.parse_args()
    deliveries = args.deliveries or 3 * args.recordings

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_metrics_"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = args.db or workdir / "bench.duckdb"
    print(f"bench_metrics {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, duckdb {duckdb.__version__}, "
          f"python {platform.python_version()}", flush=True)

    # 1. the store
    reuse = path.exists() and path.stat().st_size > 0
    if reuse:
        how = f"reused {path}"
        start, end = store_period(path)
        t_build = 0.0
    else:
        print(f"building {path}: {args.recordings:,} recordings by route {args.route} ...",
              flush=True)
        # built under another name and renamed when complete, so a failed build is never reused
        building = path.with_name(path.name + ".partial")
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)
        t0 = time.perf_counter()
        try:
            if args.route == "sql":
                how = build_sql(building, args.recordings, deliveries, args.seed, args.end_date)
            else:
                how = build_synth(building, args.recordings, args.seed, workdir, args.keep)
        except BaseException:
            for leftover in (building, building.with_name(building.name + ".wal")):
                leftover.unlink(missing_ok=True)
            if args.workdir is None and not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
            raise
        t_build = time.perf_counter() - t0
        building.rename(path)
        start, end = period_for(args.end_date, MONTHS)
    rss_build = vm_hwm()
    hwm_reset = reset_hwm()
    with rc.connect(path) as con:
        n_rec, n_cb, n_cbo = con.execute(
            "SELECT (SELECT count(*) FROM recordings), (SELECT count(*) FROM callback_deliveries), "
            "(SELECT count(DISTINCT recording_sid) FROM callback_deliveries c "
            " WHERE NOT EXISTS (SELECT 1 FROM recordings r WHERE r.sid = c.recording_sid))"
        ).fetchall()[0]
    print(f"{how}\nstore: {n_rec:,} recordings, {n_cb:,} callback deliveries "
          f"({n_cbo:,} recordings only in callbacks), {path.stat().st_size / 2**20:,.0f} MiB; "
          f"build {t_build:.1f} s; period [{start}, {end})", flush=True)

    # 2. metrics against bare count(*), same read-only connection
    rows: list[tuple[str, float, list[float], int, float]] = []
    with rc.connect(path) as con:
        base_rec, *_ = best_of(
            lambda: con.execute("SELECT count(*) FROM recordings").fetchall(), args.repeat)
        base_cb, *_ = best_of(
            lambda: con.execute("SELECT count(*) FROM callback_deliveries").fetchall(), args.repeat)
        # not asked for, but a bare count(*) reads almost nothing: one grouped pass over the
        # deliveries (the core of every outcome) is a fairer yardstick to read the figures by
        base_grp, *_ = best_of(lambda: con.execute(
            "SELECT count(*) FROM (SELECT recording_sid, count(*) FROM callback_deliveries "
            "GROUP BY recording_sid)").fetchall(), args.repeat)
        for name, call in metric_calls(start, end):
            best, times, frame, cpu = best_of(partial(call, con), args.repeat)
            rows.append((name, best, times, len(frame), cpu))
            print(f"  {name:<44} {best:7.3f} s  (runs {', '.join(f'{t:.3f}' for t in times)})",
                  flush=True)
        if args.explain:
            for (name, best, *_), (_, call) in zip(rows, metric_calls(start, end)):
                if best > TARGET_METRIC_S or args.explain == "all":
                    explain(con, name, call, best)
    rss_metrics = vm_hwm()

    # 3. the reports
    report: dict[str, Any] | None = None
    if not args.no_report:
        out = workdir / "reports"
        out.mkdir(exist_ok=True)
        print("running reccb report run --all ...", flush=True)
        report = run_report(path, start, end, out)

    # 4. the table
    ms = 1000.0
    print()
    print(f"bare count(*): recordings {base_rec * ms:.2f} ms, callback_deliveries "
          f"{base_cb * ms:.2f} ms (best of {args.repeat}); for scale, GROUP BY recording_sid over "
          f"callback_deliveries {base_grp:.3f} s")
    print(f"{'metric (best of ' + str(args.repeat) + ')':<44} {'seconds':>8} {'cpu s':>6} "
          f"{'x cnt(rec)':>11} {'x cnt(cb)':>10} {'rows':>8}  target < {TARGET_METRIC_S:g} s")
    over = 0
    for name, best, _, nrows, cpu in rows:
        flag = "OVER" if best > TARGET_METRIC_S else "ok"
        over += best > TARGET_METRIC_S
        print(f"{name:<44} {best:8.3f} {cpu:6.2f} {best / base_rec:11,.0f} {best / base_cb:10,.0f} "
              f"{nrows:8,}  {flag}")
    print(f"{'all metrics together':<44} {sum(r[1] for r in rows):8.3f} "
          f"{sum(r[4] for r in rows):6.2f}")
    if report is not None:
        seconds, code = report["seconds"], report["code"]
        flag = "OVER" if seconds > TARGET_REPORT_S else "ok"
        status = "exit 0" if code == 0 else f"FAILED (exit {code})"
        print(f"{'reccb report run --all':<44} {seconds:8.1f} {'':>6} {seconds / base_rec:11,.0f} "
              f"{seconds / base_cb:10,.0f} {'':>8}  target < {TARGET_REPORT_S:g} s: {flag}, "
              f"{status}")
        # each report from its "running NAME..." line to the next one (or the end)
        marks = [(t, line[len("running "):].rstrip(".")) for t, line in report["lines"]
                 if line.startswith("running ")]
        for (t, name), t_next in zip(marks, [m[0] for m in marks[1:]] + [seconds]):
            print(f"  {name:<42} {t_next - t:8.1f}")
        print(f"  ({report['command']})")
        if code != 0:
            print("\n".join(line for _, line in report["lines"]))
    print(f"peak RSS: build {mib(rss_build)}, metrics "
          f"{mib(rss_metrics) if hwm_reset else 'n/a (VmHWM could not be reset)'}"
          + ("" if report is None else
             f", report run {mib(report['peak_tree'])} (process tree, sampled; largest process "
             f"{mib(report['peak_one'])})"))
    print(f"{over} metric(s) over {TARGET_METRIC_S:g} s"
          + ("" if report is None else
             f"; report run {'over' if report['seconds'] > TARGET_REPORT_S else 'under'} "
             f"{TARGET_REPORT_S:g} s"))

    if args.workdir is None and not args.keep:
        if args.db is None or not str(args.db).startswith(str(workdir)):
            shutil.rmtree(workdir, ignore_errors=True)
    elif args.keep:
        print(f"kept {workdir}")
    return 1 if report is not None and report["code"] != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
