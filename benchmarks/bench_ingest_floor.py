"""What writing the store's columns costs, next to DuckDB's bare reader, on the same file.

bench_ingest.py compares a whole `reccb ingest callbacks` with `read_json` into a table. This
script isolates the part no parsing trick can remove: appending the columns the schema asks
for (`callback_deliveries`: typed values, the delivery id and `params`, every parameter of the
request) from rows already parsed and held in memory, then checkpointing. If that alone takes
longer than the ingest target allows (0.4x the bare reader: 2.5 times its time), the target
cannot be met without storing less.

    python benchmarks/bench_ingest_floor.py                 # 1,000,000 lines
    python benchmarks/bench_ingest_floor.py --lines 200000
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import make_log

from reccb_analytics import db
from reccb_analytics.ingest import loader

COLUMNS = ("delivery_id, received_at, recording_sid, account_sid, call_sid, conference_sid, status, "
           "duration_s, channels, start_time, source, track, error_code, recording_url, "
           "idempotency_token, http_status, signature_valid, params")


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    started = time.perf_counter()
    con.execute(sql).fetchall()
    con.execute("CHECKPOINT")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "callbacks.ndjson"
        make_log(log, args.lines)
        con = duckdb.connect(str(Path(tmp) / "bare.duckdb"))
        bare = timed(con, f"CREATE TABLE t AS SELECT * FROM read_json('{log}', format='newline_delimited')")
        con.close()

        con = db.open_database(Path(tmp) / "store.duckdb")
        con.execute("SET memory_limit = '8GB'")  # everything staged in memory: no spilling
        loader.install_macros(con)
        stage = loader._compose("cb_stage", [("ingest_lines", "read_lines"), ("cb_raw", "callbacks_raw_ndjson")],
                                "callbacks_stage")
        params = {"path": str(log), "nul": "\x00", "max_line_bytes": loader.MAX_LINE_BYTES,
                  "compression": "none", "max_record_chars": loader.MAX_RECORD_CHARS}
        started = time.perf_counter()
        con.execute(stage, {k: v for k, v in params.items() if k in set(re.findall(r"\$([a-z_]+)", stage))})
        parse = time.perf_counter() - started
        con.execute("SET preserve_insertion_order = false")  # as the ingest appends
        write = timed(con, f"INSERT INTO callback_deliveries SELECT {COLUMNS}, 'f', rowid + 1, 1 "
                           "FROM cb_stage WHERE reject_reason IS NULL AND NOT skip")
        con.execute("DELETE FROM callback_deliveries")
        con.execute("CHECKPOINT")
        typed_only = timed(con, f"INSERT INTO callback_deliveries SELECT {COLUMNS.replace(', params', ', NULL')}, "
                                "'f', rowid + 1, 1 FROM cb_stage WHERE reject_reason IS NULL AND NOT skip")
        con.close()
    print(f"{args.lines:,} lines")
    print(f"bare read_json into a table:                   {bare:6.2f}s")
    print(f"reccb parse + validate into memory (staging):  {parse:6.2f}s")
    print(f"append the schema's columns from memory:       {write:6.2f}s  ({write / bare:.2f}x bare)")
    print(f"  of which without params:                    {typed_only:6.2f}s")
    print(f"time the 0.4x target allows for everything:    {bare / 0.4:6.2f}s")


if __name__ == "__main__":
    main()
