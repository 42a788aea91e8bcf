"""Data quality: what the store covers and how trustworthy it is, for the notebooks' banner."""

from __future__ import annotations

import duckdb
import pandas as pd

from . import _common as c


def data_quality(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row describing the store.

    Columns:

    * ``data_start``, ``data_end``: earliest and latest recording date (``start_time``, else
      ``date_created``; callbacks-only recordings by their callbacks), UTC instants;
    * ``last_ingested_at``: latest ``ingest_files.finished_at``; ``files_ingested``: rows of
      ``ingest_files``; ``rejected_records``: rows of ``rejects``;
    * ``recordings``: recordings in the metadata; ``callbacks_only_recordings``: recordings seen
      only in callbacks; ``callback_deliveries``: logged callback requests;
    * ``callback_coverage``: share of metadata recordings, leaving out source Trunking (which
      sends no callbacks), that have at least one terminal callback; NaN when there are none;
    * ``usage_records``: Twilio Usage Records held; ``schema_version``: the store's schema.
    """
    return c.query(con, "data_quality", {})
