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


def test_store_missing_a_migration_is_refused_read_only(db_path: Path) -> None:
    con = db.open_database(db_path)
    con.execute("DELETE FROM schema_version WHERE version = $v", {"v": db.latest_schema_version()})
    con.close()
    with pytest.raises(DatabaseError, match="lacks schema migration"):
        db.open_database(db_path, read_only=True)


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
