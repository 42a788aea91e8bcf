"""reccb-analytics: Twilio call-recording analytics on DuckDB.

The public API is what ``__all__`` lists (pinned by tests/test_public_api.py); everything else
is private and may change::

    from reccb_analytics import connect, status_rates
    with connect() as con:                       # read-only: never blocks an ingest for long
        status_rates(con, start="2026-01-01", end="2026-04-01", freq="month", by="source")
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from .db import connect
from .exceptions import ReccbError
from .ingest import ingest_paths, load_file
from .sample import sample_db_path

if TYPE_CHECKING:  # the names below are imported on first use (see __getattr__)
    from .archive import archive_status
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

# The metrics need pandas (half a second to import) and archive_status the archive machinery
# (HTTP, thread pools): both are imported on first use, so `reccb ingest` and notebooks that
# never call them start faster.
_LAZY = {name: ".metrics" for name in (
    "callback_delivery", "data_quality", "error_breakdown", "error_codes", "retention_candidates",
    "retention_savings", "status_rates", "storage_costs", "storage_forecast")}
_LAZY["archive_status"] = ".archive"


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'reccb_analytics' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

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
