"""The metrics library: typed functions over a DuckDB store, each returning a pandas DataFrame.

Every function takes an open connection first (``reccb_analytics.connect()``) and keyword
parameters after; the heavy work runs in DuckDB (the SQL is in ``reccb_analytics/sql/metrics``,
values bound as parameters). Definitions: docs/metrics.md.

* :func:`status_rates`          recordings per period by outcome, absent and failed rates
* :func:`error_breakdown`       recordings per error code, described
* :func:`error_codes`           the shipped reference table of recording-related error codes
* :func:`storage_costs`         monthly stored minutes, billable minutes, cost, recording fees
* :func:`storage_forecast`      next month's projected storage and cost
* :func:`retention_candidates`  what a retention policy does to each stored recording
* :func:`retention_savings`     what applying that policy would save per month
* :func:`callback_delivery`     callback coverage, duplicates, latency, failures
* :func:`data_quality`          one-row summary of the store for report banners
"""

from __future__ import annotations

from .delivery import callback_delivery
from .errors import error_breakdown, error_codes
from .quality import data_quality
from .rates import status_rates
from .retention import load_legal_hold, retention_candidates, retention_savings
from .storage import storage_costs, storage_forecast

__all__ = [
    "callback_delivery",
    "data_quality",
    "error_breakdown",
    "error_codes",
    "load_legal_hold",
    "retention_candidates",
    "retention_savings",
    "status_rates",
    "storage_costs",
    "storage_forecast",
]
