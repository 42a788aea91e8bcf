"""Opening the DuckDB store, migrating its schema, and running the packaged SQL files.

Concurrency design (one writer, many short-lived readers):

* DuckDB lets one process hold a file read-write, or many processes hold it read-only, never
  both. Writers (ingest, sync, archive) open read-write; readers (reports, notebooks,
  ``connect()``) open read-only.
* Whoever finds the file locked waits and retries, with one clear message on stderr, for up to
  ``RECCB_LOCK_TIMEOUT`` seconds (default 600), then raises ``DatabaseLockedError``. An ingest
  therefore never fails, and never loses data, because an analyst is reading; it waits for the
  reader to close its connection. Notebooks should hold connections briefly (``with connect()``).
* Each file is loaded in one transaction, so readers (who can only open between writers) never
  see a half-loaded file, and a killed writer leaves the store as it was before that file.

Every connection runs with ``TimeZone = 'UTC'`` so TIMESTAMPTZ values render as UTC.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from .config import resolve_db_path
from .exceptions import DatabaseError, DatabaseLockedError, DatabaseMissingError

_LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "database is locked")


def sql_text(name: str) -> str:
    """Return the text of ``reccb_analytics/sql/<name>.sql``."""
    return (resources.files("reccb_analytics") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def split_statements(text: str) -> list[str]:
    """Split a SQL script on semicolons at line ends (our .sql files keep one per line end)."""
    parts = re.split(r";\s*(?:--[^\n]*)?\n", text + "\n")
    return [p.strip() for p in parts if p.strip() and not _only_comments(p)]


def _only_comments(chunk: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in chunk.splitlines())


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> Any:
    """Execute one packaged statement with bound parameters and return the connection's result."""
    return con.execute(sql_text(name), params or {})


@contextmanager
def temporary_setting(con: duckdb.DuckDBPyConnection, name: str, value: Any) -> Iterator[None]:
    """Give the DuckDB setting ``name`` the value ``value`` on ``con`` for the block, then put
    back the value it had (a caller's connection keeps its own settings)."""
    if not re.fullmatch(r"[a-z_]+", name):
        raise ValueError(f"not a DuckDB setting name: {name!r}")
    previous = con.execute("SELECT current_setting($name)", {"name": name}).fetchall()[0][0]
    con.execute(f"SET {name} = $value", {"value": value})
    try:
        yield
    except BaseException:
        try:
            con.execute(f"SET {name} = $value", {"value": previous})
        except duckdb.TransactionException:
            # A statement that failed inside a transaction leaves it aborted, and DuckDB
            # refuses SET until the rollback: the block's own error is the one to report, and
            # rollback() puts the value back (an outer block of the same name exits last).
            _UNRESTORED.setdefault(con, {})[name] = previous
        raise
    con.execute(f"SET {name} = $value", {"value": previous})


# Settings temporary_setting could not put back inside an aborted transaction, per connection.
_UNRESTORED: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, dict[str, Any]] = \
    weakref.WeakKeyDictionary()


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if any, and put back the settings temporary_setting
    could not restore inside it."""
    with contextlib.suppress(duckdb.Error):  # the transaction may already be gone
        con.execute("ROLLBACK")
    for name, value in _UNRESTORED.pop(con, {}).items():
        con.execute(f"SET {name} = $value", {"value": value})


def schema_migrations() -> list[tuple[int, str]]:
    """All packaged migrations as (version, name), in order."""
    folder = resources.files("reccb_analytics") / "sql" / "schema"
    found = []
    for entry in folder.iterdir():
        match = re.fullmatch(r"(\d{3})_[a-z0-9_]+\.sql", entry.name)
        if match:
            found.append((int(match.group(1)), entry.name[:-4]))
    return sorted(found)


def latest_schema_version() -> int:
    return schema_migrations()[-1][0]


def current_schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every packaged migration newer than the store's version; each in one transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
        "name VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    # Apply every packaged migration not yet recorded (not only those above the maximum), so a
    # store that got a later-numbered file first still receives the earlier one.
    applied = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    version = max(applied, default=0)
    for number, name in schema_migrations():
        if number in applied:
            continue
        if applied:  # an existing store (not a new one): say why this open takes a moment
            print(f"reccb: migrating the store to schema {number} ({name})...", file=sys.stderr)
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in split_statements(sql_text(f"schema/{name}")):
                con.execute(statement)
            con.execute("INSERT INTO schema_version (version, name) VALUES ($v, $n)",
                        {"v": number, "n": name})
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        version = max(version, number)
    return version


def _is_lock_error(exc: BaseException) -> bool:
    return any(marker in str(exc) for marker in _LOCK_MARKERS)


def lock_timeout() -> float:
    try:
        return float(os.environ.get("RECCB_LOCK_TIMEOUT", "600"))
    except ValueError:
        return 600.0


def open_database(path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                  timeout: float | None = None, create: bool | None = None,
                  quiet: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store, waiting for another process's lock to clear; migrate when writable.

    ``path=":memory:"`` gives an in-memory store (tests, scratch work). Read-only opens of a
    missing file raise ``DatabaseMissingError``; writable opens create the file and its folder
    unless ``create=False``.
    """
    if str(path) == ":memory:":
        con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'UTC'")
        migrate(con)
        return con
    db_path = resolve_db_path(path)
    if create is None:
        create = not read_only
    if not db_path.exists():
        if not create:
            raise DatabaseMissingError(
                f"no database at {db_path}; load data first (reccb ingest ... or reccb demo), "
                "or point --db / RECCB_DB at an existing store"
            )
        db_path.parent.mkdir(parents=True, exist_ok=True)
    wait = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + wait
    announced = False
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(db_path), read_only=read_only)
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise DatabaseError(f"cannot open {db_path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise DatabaseLockedError(
                    f"{db_path} is held by another process for longer than {wait:.0f}s "
                    f"({exc}); close other reccb commands or notebook connections and retry, "
                    "or raise RECCB_LOCK_TIMEOUT"
                ) from exc
            if not announced and not quiet:
                print(f"reccb: {db_path} is in use by another process; waiting up to "
                      f"{wait:.0f}s for it (RECCB_LOCK_TIMEOUT)...", file=sys.stderr)
                announced = True
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        con.execute("SET TimeZone = 'UTC'")
        if read_only:
            version = current_schema_version(con)
            if version == 0:
                raise DatabaseMissingError(f"{db_path} is not a reccb-analytics database (no schema)")
            applied = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
            missing = [number for number, _ in schema_migrations() if number not in applied]
            if missing:
                # A store written by an older reccb: migrate it now if nobody else has it open
                # (a moment's write lock), so reports keep working after an upgrade.
                con.close()
                reason = _migrate_now(db_path)
                if reason is not None:
                    raise DatabaseError(
                        f"{db_path} lacks schema migration(s) {missing} that this reccb needs and "
                        f"could not be migrated now ({reason}); run any writing command "
                        "(e.g. reccb ingest) once to migrate it")
                return open_database(db_path, read_only=True, timeout=timeout, quiet=quiet)
        else:
            migrate(con)
    except BaseException:
        con.close()
        raise
    return con


def _migrate_now(db_path: Path) -> str | None:
    """Apply missing migrations through a short writable connection; the reason when not."""
    try:
        writer = duckdb.connect(str(db_path))
    except duckdb.Error as exc:
        return str(exc).strip().splitlines()[0]
    try:
        writer.execute("SET TimeZone = 'UTC'")
        migrate(writer)
    finally:
        writer.close()
    return None


def connect(path: str | os.PathLike[str] | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the store for analysis: read-only by default, so it never blocks an ingest for long.

    ``path`` defaults to ``--db``'s default: ``$RECCB_DB`` or ``data/reccb.duckdb``. Use it as a
    context manager (``with connect() as con:``) so the connection is closed promptly.
    """
    return open_database(path, read_only=read_only)
