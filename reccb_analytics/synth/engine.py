"""The DuckDB side of ``reccb synth``: a scratch connection and running the packaged SQL.

All rows are generated and written by DuckDB (set-based SQL and ``COPY ... TO``); Python only
loops over files. The scratch database is in memory, with a memory limit, spilling to a
private temporary folder.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from .. import db

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


def referenced_params(sql: str) -> set[str]:
    """Names of the ``$named`` parameters a statement uses (comments ignored)."""
    return set(_PARAM.findall(_COMMENT.sub("", sql)))


def bind(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of ``params`` a statement uses: DuckDB refuses unused named parameters."""
    names = referenced_params(sql)
    missing = names - set(params)
    if missing:
        raise KeyError(f"synth SQL needs parameters {sorted(missing)}")
    return {name: params[name] for name in names}


def run_script(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any]) -> None:
    """Run every statement of ``sql/synth/<name>.sql`` with the parameters each one uses."""
    for statement in db.split_statements(db.sql_text(f"synth/{name}")):
        con.execute(statement, bind(statement, params)).fetchall()


def query(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Run the single query ``sql/synth/<name>.sql`` and return all its rows."""
    sql = db.sql_text(f"synth/{name}")
    return con.execute(sql, bind(sql, params)).fetchall()


def _copy_sql(name: str, options: str) -> str:
    inner = db.sql_text(f"synth/{name}").strip().rstrip(";")
    # The CSV writer used as a raw line writer: no header, no quoting, a delimiter that never
    # occurs in our text.
    return (f"COPY ({inner}) TO $out_path (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', "
            f"DELIMITER '\x1f'{options})")


def copy_lines(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any],
               path: Path) -> None:
    """Write the one-column result of ``sql/synth/<name>.sql`` to ``path``, one row per line.

    The query's ORDER BY fixes the line order; DuckDB keeps it under parallelism.
    """
    sql = _copy_sql(name, "")
    bound = bind(db.sql_text(f"synth/{name}"), params)
    bound["out_path"] = str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(sql, bound).fetchall()


def copy_partitioned(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any],
                     folder: Path, partition_by: tuple[str, ...]) -> None:
    """Write ``sql/synth/<name>.sql`` into ``folder/<col>=<value>/.../*.csv``, one file per key.

    The partition columns are not written; the remaining column is the line text.
    """
    sql = _copy_sql(name, f", PARTITION_BY ({', '.join(partition_by)})")
    bound = bind(db.sql_text(f"synth/{name}"), params)
    bound["out_path"] = str(folder)
    con.execute(sql, bound).fetchall()


def gzip_file(src: Path, dst: Path, *, remove_src: bool = True) -> None:
    """Compress ``src`` into ``dst``: level 1 (DuckDB's gzip writer is several times slower),
    mtime 0 and no name in the header, so the same input gives the same bytes."""
    with open(src, "rb") as fin, open(dst, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=1) as out:
        shutil.copyfileobj(fin, out, 1 << 20)
    if remove_src:
        src.unlink()


class Compressor:
    """Gzips finished files on a background thread while DuckDB writes the next one (zlib
    releases the GIL, so this uses an otherwise idle core)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reccb-synth-gzip")
        self._jobs: list[Future[None]] = []

    def submit(self, src: Path, dst: Path) -> None:
        self._jobs.append(self._pool.submit(gzip_file, src, dst))

    def wait(self) -> None:
        """Finish every job; re-raise the first failure."""
        try:
            for job in self._jobs:
                job.result()
        finally:
            self._jobs.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def scratch_connection(threads: int | None = None,
                       memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory scratch DuckDB (UTC, synth macros loaded) held to ``memory_limit``.

    The limit (default ``$RECCB_SYNTH_MEMORY`` or 3GB) keeps ten million callback lines from
    taking most of a shared machine (DuckDB's default is 80% of RAM); what does not fit
    spills to a private temporary folder. (A database file instead costs fsyncs for nothing.)
    """
    folder = Path(tempfile.mkdtemp(prefix="reccb-synth-"))
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET temp_directory = $d", {"d": str(folder / "spill")})
        con.execute("SET memory_limit = $m",
                    {"m": memory_limit or os.environ.get("RECCB_SYNTH_MEMORY") or "3GB"})
        # DuckDB keeps ORDER BY order in COPY only with insertion order preserved (the default);
        # set it explicitly because byte-identical output depends on it.
        con.execute("SET preserve_insertion_order = true")
        # our own progress goes to terminals only; DuckDB's bar would print into pipes and logs
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        run_script(con, "macros", {})
        yield con
    finally:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)
