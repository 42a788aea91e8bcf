"""The metrics package's public names, and every function on a real read-only store file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import reccb_analytics.metrics as metrics
from reccb_analytics.db import connect, open_database
from reccb_analytics.exceptions import DatabaseError
from tests.test_metrics_support import add_delivery, add_recording, rsid

PUBLIC = ["callback_delivery", "data_quality", "error_breakdown", "error_codes",
          "load_legal_hold", "retention_candidates", "retention_savings", "status_rates",
          "storage_costs", "storage_forecast"]


def test_public_names_are_pinned() -> None:
    assert sorted(metrics.__all__) == PUBLIC
    for name in PUBLIC:
        assert callable(getattr(metrics, name)) and getattr(metrics, name).__doc__


def test_every_metric_runs_on_a_read_only_file_store(db_path: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECCB_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    writer = open_database(db_path)
    add_recording(writer, rsid(1), date_created="2024-03-01 10:00:00+00", duration_s=120)
    add_delivery(writer, rsid(1), "completed", "2024-03-01 10:03:00+00")
    add_recording(writer, rsid(2), status="absent", error_code=16101,
                  date_created="2024-03-02 10:00:00+00")
    writer.close()

    with connect(db_path, read_only=True) as con:
        assert metrics.status_rates(con, "2024-03-01", "2024-03-03")["recordings"].sum() == 2
        assert metrics.error_breakdown(con, "2024-03-01", "2024-03-03")["error_code"].tolist() == [
            16101]
        costs = metrics.storage_costs(con, "2024-03", "2024-03", as_of="2024-03-31")
        assert costs["avg_stored_minutes"].tolist() == pytest.approx([2])
        assert len(metrics.storage_forecast(con, as_of="2024-03-31")) == 1
        candidates = metrics.retention_candidates(con, "2024-03-20", 30, 90)  # age 19
        assert candidates["action"].tolist() == ["keep"]
        assert metrics.retention_savings(con, "2024-03-20", 30, 90).loc[0, "recordings"] == 1
        delivery = metrics.callback_delivery(con, "2024-03-01", "2024-03-03", by=None)
        assert delivery.loc[0, "with_terminal_callback"] == 1
        assert metrics.data_quality(con).loc[0, "recordings"] == 2
    assert isinstance(metrics.error_codes(), pd.DataFrame)


def test_a_store_without_the_schema_is_a_database_error(tmp_path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(tmp_path / "foreign.duckdb"))
    try:
        with pytest.raises(DatabaseError, match="lacks a table the metrics need"):
            metrics.data_quality(con)
    finally:
        con.close()
