"""reccb-analytics: Twilio call-recording analytics on DuckDB.

The public API is what ``__all__`` lists (pinned by tests/test_public_api.py); everything else
is private and may change::

    from reccb_analytics import connect, status_rates
    with connect() as con:                       # read-only: never blocks an ingest for long
        status_rates(con, start="2026-01-01", end="2026-04-01", freq="month", by="source")
"""

from __future__ import annotations

__version__ = "0.1.0"

from .db import connect
from .exceptions import ReccbError
from .ingest import ingest_paths, load_file
from .metrics import (
    callback_delivery,
    data_quality,
    error_breakdown,
    error_codes,
    retention_candidates,
    retention_savings,
    status_rates,
    storage_costs,
    storage_forecast,
)
from .sample import sample_db_path


def __getattr__(name: str) -> object:
    # archive_status pulls in the archive machinery (HTTP, thread pools); imported on first
    # use so notebooks that never call it start faster.
    if name == "archive_status":
        from .archive import archive_status

        return archive_status
    raise AttributeError(f"module 'reccb_analytics' has no attribute {name!r}")

__all__ = [
    "__version__",
    "ReccbError",
    "archive_status",
    "callback_delivery",
    "connect",
    "data_quality",
    "error_breakdown",
    "error_codes",
    "ingest_paths",
    "load_file",
    "retention_candidates",
    "retention_savings",
    "sample_db_path",
    "status_rates",
    "storage_costs",
    "storage_forecast",
]
