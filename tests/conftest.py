"""Shared fixtures: fresh stores (in memory and on disk) and the committed sample data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from reccb_analytics.db import open_database

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_report_header(config: pytest.Config) -> str:
    import papermill

    return f"duckdb {duckdb.__version__}, papermill {papermill.__version__}"


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory store with the schema applied."""
    connection = open_database(":memory:")
    yield connection
    connection.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a fresh on-disk store (not yet created)."""
    return tmp_path / "store.duckdb"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
