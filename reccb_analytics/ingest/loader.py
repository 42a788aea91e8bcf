"""Loading one file into the store, set-based inside DuckDB, as one transaction.

Every format goes through the same steps, each one SQL statement from
``reccb_analytics/sql/ingest``:

1. read: DuckDB reads the file (``read_csv`` with NUL as delimiter gives every physical line;
   ``read_json_objects`` reads whole JSON documents);
2. raw: the format's own statement turns lines or documents into one JSON object per record
   (``cb_raw`` / ``rec_raw``) or a parse error;
3. stage: one shared statement per kind types, validates and identifies the records
   (``cb_stage`` / ``rec_stage``) and gives each bad one its reason;
4. write: new records go in, rejects go to ``rejects``, counts go to ``ingest_files``.

The two kinds differ in how steps 2-4 are run. Callback logs are big (millions of deliveries)
and every delivery is new: the lines are kept in a table (``cb_lines``: its rowid numbers
them) and one INSERT runs steps 2-4 straight into ``callback_deliveries``, so each wide row is
written once; the few lines it did not load (blank, header, rejects) are staged afterwards for
their reasons, and duplicates (already stored, or repeated within the file) are deleted once the
whole file is in. Recordings are staged in a table (``rec_stage``) and then merged, keeping for
each SID the state with the newest ``date_updated``.

Accounting: ``records_read = loaded + duplicates + rejected`` for every file. Blank lines are
not records. A file whose SHA-256 was already ingested is not read again: all its records count
as duplicates (or rejected, as they were the first time).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from .. import db
from ..exceptions import InputError, ResourceLimitError
from . import chunks, files, signatures

log = logging.getLogger(__name__)

KINDS = ("recordings", "callbacks")
API_BATCH = "api"  # origin of a sync batch of several accounts (see load_file)
MAX_RECORD_CHARS = 1_000_000  # longer lines are rejected (with their length), not loaded
MAX_LINE_BYTES = 16 * 1024 * 1024  # longer lines stop the file
# DuckDB's CSV reader sizes each buffer at 16x the line limit unless told (256 MB, per thread):
# that crowded a 1 GB memory limit, and read no faster than buffers of twice the limit.
READ_BUFFER_BYTES = 2 * MAX_LINE_BYTES
MAX_DOCUMENT_BYTES = 512 * 1024 * 1024  # DuckDB allocates buffers of this size: keep it to need

TIME_COLUMNS = ("received_at", "timestamp", "time", "@timestamp")
STATUS_COLUMNS = ("http_status", "response_status")

# CSV headers in either naming (snake_case API, camelCase CLI, PascalCase) → the API's names.
_RECORDING_COLUMNS = {
    name.replace("_", ""): name
    for name in ("sid", "account_sid", "call_sid", "conference_sid", "status", "source",
                 "channels", "track", "duration", "start_time", "date_created", "date_updated",
                 "price", "price_unit", "error_code", "media_url", "uri", "encryption_details",
                 "encrypted", "api_version", "subresource_uris")
}


@dataclass(frozen=True)
class FileResult:
    """What happened to one file."""

    path: str
    kind: str
    format: str
    ingest_id: int | None
    records_read: int
    loaded: int
    duplicates: int
    rejected: int
    already_ingested: bool = False
    error: str | None = None

    def summary(self) -> str:
        if self.error:
            return f"{self.path}: FAILED: {self.error}"
        note = " (already ingested: same sha256)" if self.already_ingested else ""
        return (f"{self.path} [{self.format}]: read {self.records_read}, loaded {self.loaded}, "
                f"duplicates {self.duplicates}, rejected {self.rejected}{note}")


_DOCUMENT_FORMATS = ("api-page", "api-object", "json-array")
_READ_ERRORS = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)


# The last macro macros.sql creates: when it exists, so do all the others.
_MACRO_PROBE = "SELECT reccb_seen_in(NULL, false, NULL)"


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temporary SQL macros the ingest statements use, once per connection (a sync
    loads many small files through one connection)."""
    # Probing a small macro is ~0.5 ms (one with a JSON schema 1.7 ms); listing
    # duckdb_functions() cost ~0.1 s per load in a sync.
    try:
        con.execute(_MACRO_PROBE).fetchall()
        return
    except duckdb.CatalogException:
        pass
    for statement in db.split_statements(db.sql_text("ingest/macros")):
        con.execute(statement)


class timed:
    """Log how long a step of a load took (``logging`` at DEBUG: RECCB_LOG=debug)."""

    def __init__(self, step: str) -> None:
        self.step = step

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        log.debug("%s: %.2fs", self.step, time.perf_counter() - self.started)


def _any_order(con: duckdb.DuckDBPyConnection) -> AbstractContextManager[None]:
    """Append without keeping the query's row order. Each row already carries its line number;
    an order-preserving append leaves a partly filled row group per batch, which the next
    checkpoint rewrites (a second write of the whole file: 1 s per million deliveries).
    Staging keeps the order: a staged row's position is its line number."""
    return db.temporary_setting(con, "preserve_insertion_order", False)


def _now() -> datetime:
    return datetime.now(UTC)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> Any:
    rows = con.execute(sql, params or {}).fetchall()
    return rows[0][0] if rows else None


def _clean_duckdb_message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for prefix in ("Invalid Input Error: ", "IO Error: ", "Conversion Error: ", "Error: "):
        text = text.removeprefix(prefix)
    if "unicode" in text.lower() or "utf-8" in text.lower() or "utf8" in text.lower():
        return f"not UTF-8 text ({text})"
    if "gzip" in text.lower() or "zlib" in text.lower() or "compress" in text.lower():
        return f"gzip data is truncated or corrupt ({text})"
    return text


def _line_params(sniffed: files.SniffedFile) -> dict[str, Any]:
    return {"path": str(sniffed.path), "nul": "\x00", "max_line_bytes": MAX_LINE_BYTES,
            "buffer_bytes": READ_BUFFER_BYTES,
            "compression": sniffed.compression}


def _csv_header(sniffed: files.SniffedFile, fmt: str, kind: str) -> tuple[list[str], str]:
    sep = "\t" if fmt == "tsv" else ","
    header = files.read_header(sniffed, sep)
    line = files.header_line_number(sniffed)
    if kind == "recordings":
        mapped = [_RECORDING_COLUMNS.get(h.lower().replace("_", ""), h) for h in header]
        if "sid" not in mapped:
            raise InputError("CSV header has no sid column (expected Twilio Recording fields)",
                             sniffed.path, line)
    else:
        mapped = []
        for h in header:
            low = h.lower()
            if low in TIME_COLUMNS:
                mapped.append("received_at")
            elif low in STATUS_COLUMNS:
                mapped.append("http_status")
            else:
                mapped.append(h)
        if "RecordingSid" not in mapped and "CallStatus" not in mapped:
            raise InputError("CSV header has no RecordingSid column (expected Twilio callback "
                             "parameter names)", sniffed.path, line)
    duplicated = sorted({m for m in mapped if mapped.count(m) > 1})
    if duplicated:
        raise InputError(f"CSV header repeats column(s): {', '.join(duplicated)}", sniffed.path, line)
    return mapped, sep


def _with(ctes: list[tuple[str, str]]) -> str:
    """A WITH clause of packaged SELECTs, so DuckDB streams the file through every step without
    materialising the intermediate tables."""
    return "WITH " + ",\n".join(f"{name} AS (\n{db.sql_text(f'ingest/{file}')}\n)" for name, file in ctes)


def _compose(target: str, ctes: list[tuple[str, str]], final: str) -> str:
    """One CREATE TEMP TABLE statement from packaged SELECTs."""
    return (f"CREATE OR REPLACE TEMP TABLE {target} AS\n" + _with(ctes)
            + f"\nSELECT * FROM (\n{db.sql_text(f'ingest/{final}')}\n)")


def _execute_composed(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[Any]:
    used = {name for name in re.findall(r"\$([a-z_]+)", sql)}
    return con.execute(sql, {k: v for k, v in params.items() if k in used}).fetchall()


def _callback_ctes(sniffed: files.SniffedFile, fmt: str, lines: str) -> tuple[str, dict[str, Any]]:
    """The WITH clause that turns the lines CTE ``lines`` (a packaged SELECT giving line_no and
    line) into ``cb_stage``, and the parameters it needs."""
    params: dict[str, Any] = {"max_record_chars": MAX_RECORD_CHARS}
    if fmt in ("csv", "tsv"):
        header, sep = _csv_header(sniffed, fmt, "callbacks")
        params.update({"sep": sep, "header": header, "header_text": files.header_text(sniffed),
                       "param_names": [None if name in ("received_at", "http_status") else name
                                       for name in header]})
    elif fmt not in ("ndjson", "form"):
        raise InputError(f"unknown callback log format {fmt!r}; choose one of "
                         f"{', '.join(files.CALLBACK_FORMATS)}", sniffed.path)
    raw = {"ndjson": "callbacks_raw_ndjson", "form": "callbacks_raw_form"}.get(fmt, "callbacks_raw_csv")
    return _with([("ingest_lines", lines), ("cb_raw", raw), ("cb_stage", "callbacks_stage")]), params


def _load_callback_piece(con: duckdb.DuckDBPyConnection, sniffed: files.SniffedFile, fmt: str,
                         first_line: int, where: dict[str, Any]) -> tuple[int, int, int]:
    """Load one piece of a callback log: (records read, records inserted, records rejected).

    ``where`` holds ingest_id, source_file, check_signatures and callback_url. Inserted
    records may still be duplicates: ``_drop_duplicates`` takes them out after the last piece.
    """
    with timed("lines"):
        con.execute("CREATE OR REPLACE TEMP TABLE cb_lines AS\n" + db.sql_text("ingest/read_lines"),
                    _line_params(sniffed)).fetchall()
    first_rowid, lines = con.execute("SELECT coalesce(min(rowid), 0), count(*) FROM cb_lines").fetchall()[0]
    numbered = {**where, "first_rowid": first_rowid, "first_line": first_line}
    # Bulk appends buffer 5 row groups per thread before writing them by default: memory the
    # lines table then lacks (it spills to disk beyond the limit); one is as fast (5% faster
    # on 5M lines).
    with timed("insert"), _any_order(con), db.temporary_setting(con, "write_buffer_row_group_count", 1):
        ctes, params = _callback_ctes(sniffed, fmt, "callbacks_numbered_lines")
        sql = "INSERT INTO callback_deliveries\n" + ctes + "\n" + db.sql_text("ingest/callbacks_insert")
        inserted = int(_execute_composed(con, sql, {**params, **numbered})[0][0])
    skipped = rejected = 0
    if inserted < lines:
        with timed("lines not loaded"):
            ctes, params = _callback_ctes(sniffed, fmt, "callbacks_unloaded_lines")
            _execute_composed(con, "CREATE OR REPLACE TEMP TABLE cb_unloaded AS\n" + ctes + "\n"
                              + db.sql_text("ingest/callbacks_unloaded"),
                              {**params, **numbered, "last_line": first_line + lines - 1})
            skipped, rejected, unexplained = con.execute(
                "SELECT count(*) FILTER (WHERE skip), count(*) FILTER (WHERE reject_reason IS NOT NULL), "
                "count(*) FILTER (WHERE NOT skip AND reject_reason IS NULL) FROM cb_unloaded").fetchall()[0]
            if unexplained or inserted + skipped + rejected != lines:
                # The insert and this statement judge lines with the same SQL; a difference
                # is a bug, and the file's transaction is rolled back rather than miscounted.
                raise RuntimeError(f"{sniffed.path}: {lines} lines, but {inserted} loaded, "
                                   f"{skipped} not records, {rejected} rejected")
            db.run_sql(con, "ingest/callbacks_rejects",
                       {"ingest_id": where["ingest_id"], "source_file": where["source_file"]}).fetchall()
    con.execute("DROP TABLE IF EXISTS temp.cb_lines")
    con.execute("DROP TABLE IF EXISTS temp.cb_unloaded")
    return int(lines - skipped), inserted, int(rejected)


def _stage_recordings(con: duckdb.DuckDBPyConnection, sniffed: files.SniffedFile, fmt: str) -> None:
    # read_json_objects sizes its buffers from maximum_object_size, so ask for what the file
    # can hold (a JSON document is at most the whole file; gzip expands about tenfold).
    expansion = 20 if sniffed.compression == "gzip" else 1
    document_bytes = min(MAX_DOCUMENT_BYTES, max(1 << 20, sniffed.size_bytes * expansion + 1024))
    params: dict[str, Any] = {**_line_params(sniffed), "max_record_chars": MAX_RECORD_CHARS,
                              "max_document_bytes": document_bytes}
    if fmt == "ndjson":
        ctes = [("ingest_lines", "read_lines"), ("rec_raw", "recordings_raw_lines")]
    elif fmt in ("api-page", "api-object", "json-array"):
        ctes = [("rec_raw", "recordings_raw_documents")]
    elif fmt in ("csv", "tsv"):
        header, sep = _csv_header(sniffed, fmt, "recordings")
        params.update({"sep": sep, "header": header, "header_text": files.header_text(sniffed)})
        ctes = [("ingest_lines", "read_lines"), ("rec_raw", "recordings_raw_csv")]
    else:
        raise InputError(f"unknown recording metadata format {fmt!r}; choose one of "
                         f"{', '.join(files.RECORDING_FORMATS)}", sniffed.path)
    _execute_composed(con, _compose("rec_stage", ctes, "recordings_stage"), params)


@dataclass(frozen=True)
class _StoredTimes:
    """The receive times stored before a file: only deliveries received within them (or
    untimed ones, when both sides have some) can already be stored."""

    low: datetime | None
    high: datetime | None
    untimed: bool

    @classmethod
    def of_deliveries(cls, con: duckdb.DuckDBPyConnection, ingest_id: int | None = None) -> _StoredTimes:
        """Of every stored delivery, or (``ingest_id``) of those one file loaded."""
        low, high, untimed = con.execute(
            "SELECT min(received_at), max(received_at), count(*) FILTER (WHERE received_at IS NULL) > 0 "
            "FROM callback_deliveries WHERE $ingest_id IS NULL OR ingest_id = $ingest_id",
            {"ingest_id": ingest_id}).fetchall()[0]
        return cls(low, high, bool(untimed))

    def may_hold(self, other: _StoredTimes) -> bool:
        timed = (None not in (self.low, self.high, other.low, other.high)
                 and other.low <= self.high and other.high >= self.low)  # type: ignore[operator]
        return timed or (self.untimed and other.untimed)


def _drop_duplicates(con: duckdb.DuckDBPyConnection, ingest_id: int, before: _StoredTimes) -> int:
    """Delete the file's deliveries that were stored before it or repeat an earlier line of it;
    return how many."""
    dropped = 0
    mine = _StoredTimes.of_deliveries(con, ingest_id)
    if before.may_hold(mine):
        with timed("drop deliveries stored before"):
            dropped += int(db.run_sql(con, "ingest/callbacks_drop_stored", {
                "ingest_id": ingest_id, "first_received": mine.low, "last_received": mine.high,
                "check_untimed": before.untimed and mine.untimed}).fetchall()[0][0])
    with timed("drop repeats within the file"):
        dropped += int(db.run_sql(con, "ingest/callbacks_drop_repeats",
                                  {"ingest_id": ingest_id}).fetchall()[0][0])
    return dropped


def _write_recordings(con: duckdb.DuckDBPyConnection, ingest_id: int, label: str,
                      first_line: int = 1) -> tuple[int, int, int]:
    counts = con.execute("SELECT count(*) FILTER (WHERE NOT skip), "
                         "count(*) FILTER (WHERE reject_reason IS NOT NULL) FROM rec_stage").fetchall()[0]
    db.run_sql(con, "ingest/recordings_best")
    loaded = _scalar(con, "SELECT count(*) FILTER (WHERE newer) FROM rec_best")
    stamp = {"now": _now(), "source_file": label, "ingest_id": ingest_id,
             "per_account": label == API_BATCH}
    if _scalar(con, "SELECT count(*) FILTER (WHERE stored) > 0 FROM rec_best"):
        db.run_sql(con, "ingest/recordings_merge", stamp).fetchall()
    db.run_sql(con, "ingest/recordings_insert", stamp).fetchall()
    first = _scalar(con, "SELECT coalesce(min(rowid), 0) FROM rec_stage")
    db.run_sql(con, "ingest/recordings_rejects",
               {"source_file": label, "ingest_id": ingest_id, "first_rowid": first,
                "first_line": first_line}).fetchall()
    return int(counts[0]), int(loaded), int(counts[1])


def _drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("cb_lines", "cb_unloaded", "rec_stage", "rec_best"):
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def load_file(con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], *, kind: str,
              fmt: str | None = None, origin: str = "file", auth_token: str | None = None,
              callback_url: str | None = None) -> FileResult:
    """Load one file of ``kind`` ('recordings' or 'callbacks') in one transaction.

    ``con`` must be a writable connection (``db.open_database``) with no transaction open.
    ``fmt`` overrides format detection. ``origin`` is 'file', 'api:<AccountSid>' (live sync), or
    'api' (a sync batch of several accounts' recordings, each credited to its own account); it
    is what ``recordings.first_seen_in``/``last_seen_in`` record for API data
    ('api:<AccountSid>' either way).
    ``auth_token`` (callbacks only) turns on signature checks. Raises ``InputError`` when the
    whole file cannot be read; the store is then unchanged.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    file_path = Path(path)
    sniffed = files.sniff(file_path)
    if fmt is None:
        detect = files.detect_recordings_format if kind == "recordings" else files.detect_callbacks_format
        fmt = detect(sniffed)
    label = origin if origin != "file" else str(file_path)
    started = _now()
    # A file is recognised by its bytes. A sync's spooled batch is not a file anyone ingests
    # twice, and its load must run even when a window's listing repeats an earlier one byte
    # for byte (its last-seen stamps move), so it is not hashed.
    sha: str | None = None
    hasher: files.BackgroundSha256 | None = None
    if origin == "file":
        if fmt != "empty" and not _ingested_same_size(con, sniffed.size_bytes, kind):
            # No file of this size was ingested, so none with these bytes: the hash only has
            # to be stored, and is computed on another core while DuckDB loads the file.
            hasher = files.BackgroundSha256(file_path)
        else:
            with timed("sha256"):
                sha = files.sha256_of(file_path)

    previous = [] if sha is None else con.execute(
        "SELECT ingest_id, records_read, rejected FROM ingest_files "
        "WHERE sha256 = $sha AND kind = $kind AND finished_at IS NOT NULL "
        "ORDER BY ingest_id LIMIT 1", {"sha": sha, "kind": kind}).fetchall()
    if fmt == "empty" or previous:
        read, rejected = (int(previous[0][1]), int(previous[0][2])) if previous else (0, 0)
        ingest_id = _record_file(con, str(file_path), sha, sniffed.size_bytes, fmt, kind, origin,
                                 read, 0, read - rejected, rejected, started)
        return FileResult(str(file_path), kind, fmt, ingest_id, read, 0, read - rejected,
                          rejected, already_ingested=bool(previous))

    install_macros(con)
    if fmt in _DOCUMENT_FORMATS or kind == "callbacks":
        # Callback logs are read whole: their lines go to a table that DuckDB spills to disk
        # beyond its memory limit, which costs less than loading the file in pieces (each
        # piece's insert leaves part-filled row groups that the closing checkpoint rewrites).
        pieces: Iterator[chunks.Chunk] = iter([chunks.Chunk(file_path, sniffed.compression, 1)])
    else:
        pieces = chunks.line_chunks(file_path, sniffed.compression, sniffed.size_bytes)
    con.execute("BEGIN TRANSACTION")
    try:
        ingest_id = int(_scalar(con, "SELECT nextval('ingest_id_seq')"))
        con.execute(
            "INSERT INTO ingest_files (ingest_id, path, sha256, size_bytes, format, kind, origin, "
            "started_at) VALUES ($id, $path, $sha, $size, $fmt, $kind, $origin, $started)",
            {"id": ingest_id, "path": str(file_path), "sha": sha, "size": sniffed.size_bytes,
             "fmt": fmt, "kind": kind, "origin": origin, "started": started})
        read = loaded = rejected = 0
        before: _StoredTimes | None = None
        if kind == "callbacks":
            before = _StoredTimes.of_deliveries(con)
            signatures.register(con, auth_token)
        where = {"ingest_id": ingest_id, "source_file": label,
                 "check_signatures": auth_token is not None, "callback_url": callback_url}
        for piece in pieces:
            # Only recordings files come in pieces; a piece sees the rows of the earlier ones
            # (same transaction), so repeats across pieces count as duplicates exactly as
            # repeats within one.
            part = replace(sniffed, path=piece.path, compression=piece.compression)
            with timed(f"load lines {piece.first_line}-"):
                if kind == "callbacks":
                    counts = _load_callback_piece(con, part, fmt, piece.first_line, where)
                else:
                    _stage_recordings(con, part, fmt)
                    counts = _write_recordings(con, ingest_id, label, piece.first_line)
                    _drop_staging(con)
            read, loaded, rejected = read + counts[0], loaded + counts[1], rejected + counts[2]
        if before is not None:
            loaded -= _drop_duplicates(con, ingest_id, before)
        duplicates = read - loaded - rejected
        if hasher is not None:
            with timed("waiting for sha256"):
                sha = hasher.result()
        con.execute(
            "UPDATE ingest_files SET sha256 = $sha, records_read = $read, loaded = $loaded, "
            "duplicates = $dup, rejected = $rej, finished_at = $finished WHERE ingest_id = $id",
            {"sha": sha, "read": read, "loaded": loaded, "dup": duplicates, "rej": rejected,
             "finished": _now(), "id": ingest_id})
        with timed("commit"):
            con.execute("COMMIT")
    except duckdb.OutOfMemoryException as exc:
        db.rollback(con)
        raise ResourceLimitError(
            f"{file_path}: DuckDB ran out of memory ({_clean_duckdb_message(exc)}); nothing from "
            "this file was kept. Raise RECCB_MEMORY_LIMIT (now "
            f"{_scalar(con, 'SELECT current_setting($name)', {'name': 'memory_limit'})}) "
            "and rerun.") from exc
    except _READ_ERRORS as exc:
        db.rollback(con)
        if "no space left" in str(exc).lower():
            raise ResourceLimitError(
                f"{file_path}: out of disk space (the store, or DuckDB's spill folder next to it: "
                f"{_clean_duckdb_message(exc)}); nothing from this file was kept. Free space and "
                "rerun.") from exc
        # What DuckDB's readers say about the file itself (bad UTF-8, truncated gzip, a line
        # over the reader's limit); anything else is a bug and keeps its traceback.
        raise InputError(_clean_duckdb_message(exc), file_path) from exc
    except BaseException:
        db.rollback(con)
        raise
    finally:
        _drop_staging(con)
        if hasher is not None:
            hasher.cancel()
    return FileResult(str(file_path), kind, fmt, ingest_id, read, loaded, duplicates, rejected)


def _ingested_same_size(con: duckdb.DuckDBPyConnection, size_bytes: int, kind: str) -> bool:
    """Whether a file of this size (or of unknown size) and kind was ingested before."""
    return bool(_scalar(
        con, "SELECT count(*) > 0 FROM ingest_files WHERE kind = $kind AND finished_at IS NOT NULL "
             "AND sha256 IS NOT NULL AND (size_bytes = $size OR size_bytes IS NULL)",
        {"kind": kind, "size": size_bytes}))


def _record_file(con: duckdb.DuckDBPyConnection, path: str, sha: str | None, size: int, fmt: str,
                 kind: str, origin: str, read: int, loaded: int, duplicates: int, rejected: int,
                 started: datetime) -> int:
    con.execute("BEGIN TRANSACTION")
    try:
        ingest_id = int(_scalar(con, "SELECT nextval('ingest_id_seq')"))
        con.execute(
            "INSERT INTO ingest_files (ingest_id, path, sha256, size_bytes, format, kind, origin, "
            "records_read, loaded, duplicates, rejected, started_at, finished_at) VALUES "
            "($id, $path, $sha, $size, $fmt, $kind, $origin, $read, $loaded, $dup, $rej, $started, $now)",
            {"id": ingest_id, "path": path, "sha": sha, "size": size, "fmt": fmt, "kind": kind,
             "origin": origin, "read": read, "loaded": loaded, "dup": duplicates, "rej": rejected,
             "started": started, "now": _now()})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return ingest_id
