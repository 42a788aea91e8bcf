"""A lead for the ingest's speed target: one pass from the lines to the table, measured.

`reccb ingest callbacks` stages every line (parsed, typed, validated, fingerprinted) in a
temporary table, then appends the new deliveries from it: the wide row (`params` is the whole
request) is written twice. This script measures, on the same file and next to DuckDB's bare
reader, how fast a single INSERT from the lines could be, with the same parsing, typing,
fingerprint and validity test as the ingest (not yet: line numbers, reject reasons, in-file
duplicates, pieces for memory; see docs/ingest.md, "Performance"):

* ``floor``: parse, type, fingerprint and append; no validity test at all;
* ``valid column``: the validity test computed as a column, then ``WHERE ok``;
* ``inline WHERE``: the same test written in the WHERE clause;
* ``no filter pushdown``: ``WHERE ok`` with DuckDB's filter_pushdown optimizer switched off.

Measured 2026-11-25 on 1M lines: bare 1.45 s; floor 2.86 s (0.51x the bare reader's speed,
above the 0.4x target); with the validity test, either way, 6.3-6.5 s (0.22-0.23x), although
the test's own parts cost about 0.5 s when measured on parsed rows held in a table. The filter
is pushed below the projections that compute what it tests, so the parse and the typing run
again for it (EXPLAIN of the 'valid column' variant names json_transform 8 times, strptime 6
times). With filter_pushdown switched off for the statement: 3.15-3.51 s (0.42-0.46x). A single pass only pays if that can be avoided; the ingest's staged table avoids
it by construction, at the price of writing each wide row twice.

    python benchmarks/bench_ingest_single_pass.py                # 1,000,000 lines
    python benchmarks/bench_ingest_single_pass.py --lines 200000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import make_log

from reccb_analytics import db
from reccb_analytics.ingest import loader

PARAMS = ('{"received_at":"VARCHAR","AccountSid":"VARCHAR","CallSid":"VARCHAR",'
          '"ConferenceSid":"VARCHAR","RecordingSid":"VARCHAR","RecordingUrl":"VARCHAR",'
          '"RecordingStatus":"VARCHAR","RecordingDuration":"VARCHAR","RecordingChannels":"VARCHAR",'
          '"RecordingStartTime":"VARCHAR","RecordingSource":"VARCHAR","RecordingTrack":"VARCHAR",'
          '"ErrorCode":"VARCHAR","CallStatus":"VARCHAR"}')

# Every SID in one match (absent ones stand in as valid), status present, every value readable:
# the ingest's test for a good record (callbacks_stage.sql).
VALID = r"""regexp_full_match(
        coalesce(p.RecordingSid, '') || '|' || coalesce(p.AccountSid, 'AC00000000000000000000000000000000')
        || '|' || coalesce(p.CallSid, 'CA00000000000000000000000000000000')
        || '|' || coalesce(p.ConferenceSid, 'CF00000000000000000000000000000000'),
        'RE[0-9a-fA-F]{32}\|AC[0-9a-fA-F]{32}\|CA[0-9a-fA-F]{32}\|CF[0-9a-fA-F]{32}')
    AND p.RecordingStatus IS NOT NULL AND p.RecordingStatus <> ''
    AND (p.received_at IS NULL OR received_at IS NOT NULL)
    AND (p.RecordingDuration IS NULL OR duration_s IS NOT NULL)
    AND (p.RecordingChannels IS NULL OR channels IS NOT NULL)
    AND (p.ErrorCode IS NULL OR error_code IS NOT NULL)
    AND (p.RecordingStartTime IS NULL OR start_time IS NOT NULL)"""

INSERT = """
INSERT INTO callback_deliveries
WITH parsed AS (
    SELECT line, json_transform(line, '{params}') AS p
    FROM read_csv($path, columns = {{'line': 'VARCHAR'}}, header = false, delim = $nul, quote = '',
                  escape = '', auto_detect = false, strict_mode = false, max_line_size = $max_line_bytes)
    WHERE starts_with(line, '{{')
), typed AS (
    SELECT *, reccb_instant_iso(p.received_at) AS received_at,
           try_cast(p.RecordingDuration AS INTEGER) AS duration_s,
           try_cast(p.RecordingChannels AS INTEGER) AS channels,
           reccb_instant(p.RecordingStartTime) AS start_time,
           try_cast(p.ErrorCode AS INTEGER) AS error_code
    FROM parsed
), judged AS (
    SELECT *, {ok} AS ok FROM typed
)
SELECT md5(coalesce(epoch_us(received_at)::VARCHAR, '') || chr(30) || reccb_params_fingerprint(p)),
       received_at, p.RecordingSid, p.AccountSid, p.CallSid, p.ConferenceSid, p.RecordingStatus,
       duration_s, channels, start_time, p.RecordingSource, p.RecordingTrack, nullif(error_code, 0),
       p.RecordingUrl, NULL, NULL, NULL, CAST(line AS JSON), 'bench', 0, 1
FROM judged
{where}
"""

# name: (SQL parts, DuckDB optimizers switched off for the statement)
VARIANTS: dict[str, tuple[dict[str, str], str]] = {
    "floor (no validity test)": ({"ok": "true", "where": ""}, ""),
    "valid column, WHERE ok": ({"ok": VALID, "where": "WHERE ok"}, ""),
    "inline WHERE": ({"ok": "true", "where": "WHERE " + VALID}, ""),
    "WHERE ok, no filter pushdown": ({"ok": VALID, "where": "WHERE ok"}, "filter_pushdown"),
}


def timed_store(folder: Path, name: str, sql: str, params: dict, disabled: str) -> float:
    con = db.open_database(folder / f"{name}.duckdb")
    loader.install_macros(con)
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET disabled_optimizers = $names", {"names": disabled})
    started = time.perf_counter()
    con.execute(sql, params).fetchall()
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "callbacks.ndjson"
        make_log(log, args.lines)
        bare_con = duckdb.connect(str(folder / "bare.duckdb"))
        started = time.perf_counter()
        bare_con.execute("CREATE TABLE t AS SELECT * FROM read_json($path, format = 'newline_delimited')",
                         {"path": str(log)})
        bare_con.execute("CHECKPOINT")
        bare = time.perf_counter() - started
        bare_con.close()
        print(f"{args.lines:,} lines; DuckDB's bare read_json into a table: {bare:.2f}s")
        params = {"path": str(log), "nul": "\x00", "max_line_bytes": loader.MAX_LINE_BYTES}
        for number, (name, (parts, disabled)) in enumerate(VARIANTS.items()):
            sql = INSERT.format(params=PARAMS, **parts)
            seconds = timed_store(folder, f"variant{number}", sql, params, disabled)
            print(f"  {name:28s} {seconds:6.2f}s  = {bare / seconds:.2f}x the bare reader's speed")
        print("the ingest's target: 0.4x")


if __name__ == "__main__":
    main()
