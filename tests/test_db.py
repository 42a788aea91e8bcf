"""The store: migrations, read-only opens, missing stores, and the public API surface."""

from __future__ import annotations

from pathlib import Path

import pytest

import reccb_analytics
from reccb_analytics import db
from reccb_analytics.exceptions import DatabaseError, DatabaseMissingError


def test_public_api_is_pinned() -> None:
    assert sorted(reccb_analytics.__all__) == sorted([
        "__version__", "ReccbError", "archive_status", "callback_delivery", "connect",
        "data_quality", "error_breakdown", "error_codes", "ingest_paths", "load_file",
        "retention_candidates", "retention_savings", "sample_db_path", "status_rates",
        "storage_costs", "storage_forecast"])
    for name in reccb_analytics.__all__:
        assert getattr(reccb_analytics, name) is not None


def test_fresh_store_gets_every_migration(db_path: Path) -> None:
    con = db.open_database(db_path)
    applied = [row[0] for row in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()]
    con.close()
    assert applied == [number for number, _ in db.schema_migrations()]
    again = db.open_database(db_path)  # idempotent
    assert db.current_schema_version(again) == db.latest_schema_version()
    again.close()


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseMissingError, match="no database at"):
        reccb_analytics.connect(tmp_path / "nope.duckdb")
    assert not (tmp_path / "nope.duckdb").exists()


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    import duckdb

    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(DatabaseMissingError, match="not a reccb-analytics database"):
        reccb_analytics.connect(other)


def _drop_latest_migration(db_path: Path) -> None:
    con = db.open_database(db_path)
    con.execute("DELETE FROM schema_version WHERE version = $v", {"v": db.latest_schema_version()})
    con.close()


def test_store_missing_a_migration_is_migrated_by_a_read_only_open(db_path: Path) -> None:
    _drop_latest_migration(db_path)
    con = db.open_database(db_path, read_only=True)
    assert db.current_schema_version(con) == db.latest_schema_version()
    con.close()


def test_store_missing_a_migration_held_by_a_reader_is_refused(db_path: Path) -> None:
    import subprocess
    import sys

    _drop_latest_migration(db_path)
    # Another process reading the store: no writable connection can be had to migrate it.
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
                                "print('open', flush=True); time.sleep(60)"), str(db_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(DatabaseError, match="lacks schema migration"):
            db.open_database(db_path, read_only=True, timeout=0)
    finally:
        holder.kill()
        holder.wait()


def test_connect_is_read_only(db_path: Path) -> None:
    db.open_database(db_path).close()
    with reccb_analytics.connect(db_path) as con:
        import duckdb

        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM recordings")


def test_split_statements_ignores_comment_only_chunks() -> None:
    text = "-- header\nCREATE TABLE a (x INT);\n-- note\nCREATE TABLE b (y INT); -- trailing\n"
    statements = db.split_statements(text)
    assert [s.splitlines()[-1] for s in statements] == ["CREATE TABLE a (x INT)", "CREATE TABLE b (y INT)"]


def test_temporary_setting_puts_the_old_value_back_even_after_an_error() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    with pytest.raises(RuntimeError), db.temporary_setting(con, "threads", 1):
        assert con.execute("SELECT current_setting('threads')").fetchall() == [(1,)]
        raise RuntimeError("a load failed")
    assert con.execute("SELECT current_setting('threads')").fetchall() == [(2,)]
    with pytest.raises(ValueError, match="not a DuckDB setting name"), \
            db.temporary_setting(con, "threads; DROP TABLE x", 1):
        pass


def test_temporary_setting_reports_the_blocks_own_error_from_an_aborted_transaction() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("BEGIN TRANSACTION")
    # DuckDB refuses SET in an aborted transaction; that refusal must not hide the real error
    with pytest.raises(duckdb.InvalidInputException, match="the real problem"), \
            db.temporary_setting(con, "preserve_insertion_order", True), \
            db.temporary_setting(con, "preserve_insertion_order", False):
        con.execute("SELECT error('the real problem')")
    # refused inside the aborted transaction, the value from before both blocks comes back
    # with the rollback
    db.rollback(con)
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [(False,)]
    db.rollback(con)  # no transaction and nothing to restore: nothing happens


def test_schema_5_keeps_every_recording_and_one_row_per_sid(db_path: Path, fixtures_dir: Path) -> None:
    from reccb_analytics import load_file

    exports = sorted((fixtures_dir / "recordings").iterdir())
    con = db.open_database(db_path)
    for path in exports:
        load_file(con, path, kind="recordings")
    columns = "sid, account_sid, status, date_updated, price, error_code, raw, first_seen_in, last_seen_at"
    before = con.execute(f"SELECT {columns} FROM recordings ORDER BY sid").fetchall()
    assert before
    # A store of schema 4: the table with its PRIMARY KEY, migration 5 not applied yet.
    con.execute("DELETE FROM schema_version WHERE version = 5")
    con.execute("CREATE TABLE recordings_v4 AS SELECT * FROM recordings")
    con.execute("DROP TABLE recordings")
    con.execute("ALTER TABLE recordings_v4 RENAME TO recordings")
    con.execute("ALTER TABLE recordings ADD PRIMARY KEY (sid)")
    con.close()

    con = db.open_database(db_path)
    assert con.execute(f"SELECT {columns} FROM recordings ORDER BY sid").fetchall() == before
    assert con.execute("SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'recordings'").fetchall() == [(0,)]
    # Without the index, the ingest alone keeps SIDs unique: every export again, in another
    # order, each a copy with one more line end (new bytes, so not skipped as already loaded).
    for number, path in enumerate(reversed(exports)):
        copy = db_path.parent / f"again-{number}-{path.name}"
        copy.write_bytes(path.read_bytes() + b"\n")
        assert load_file(con, copy, kind="recordings").already_ingested is False
    assert con.execute("SELECT count(*) - count(DISTINCT sid) FROM recordings").fetchall() == [(0,)]
    state = "sid, status, date_updated, price, error_code, raw, first_seen_in"  # last seen moves
    assert con.execute(f"SELECT {state} FROM recordings ORDER BY sid").fetchall() == \
        [(r[0], r[2], r[3], r[4], r[5], r[6], r[7]) for r in before]
    con.close()
