"""What archiving and deleting have achieved: the retention report's "archived and deleted" view."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from .. import db
from ..config import load_settings

COLUMNS = [
    "archived_recordings",
    "archived_minutes",
    "archived_bytes",
    "deleted_recordings",
    "deleted_minutes",
    "already_deleted_recordings",
    "monthly_saving",
    "rate",
    "as_of",
]


def archive_status(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date | str | None = None,
    *,
    rate: float | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Archived and deleted recordings and the monthly storage saving achieved, up to ``as_of``.

    Parameters
    ----------
    con:
        An open store (read-only is enough).
    as_of:
        Count copies verified and deletions audited up to the end of this UTC day
        (a date or ``"YYYY-MM-DD"``; default today).
    rate:
        Price per stored minute per month; default the config file's ``[storage] rate``.
    by:
        ``None`` for one row, or ``"account_sid"`` for one row per account.

    Returns
    -------
    DataFrame with ``[account_sid,] archived_recordings, archived_minutes, archived_bytes,
    deleted_recordings, deleted_minutes, already_deleted_recordings, monthly_saving, rate,
    as_of``. Minutes are stored minutes, ``ceil(duration_s / 60)`` per recording as in
    ``storage_costs``; ``monthly_saving = deleted_minutes × rate`` counts only recordings this
    toolkit deleted (not those it found already gone). It is the gross saving: while the account
    stays under the free tier (10,000 minutes by default) the invoice does not change.
    """
    if by not in (None, "account_sid"):
        raise ValueError("by must be None or 'account_sid'")
    day = _as_date(as_of)
    if rate is None:
        rate = load_settings().storage.rate
    frame = db.run_sql(con, "archive/status", {"as_of": day, "by_account": by is not None}).df()
    if by is None:
        frame = frame.drop(columns=["account_sid"])
        if frame.empty:
            frame = pd.DataFrame([{c: 0 for c in COLUMNS[:6]}])
    frame["monthly_saving"] = frame["deleted_minutes"].astype("float64") * float(rate)
    frame["rate"] = float(rate)
    frame["as_of"] = pd.Timestamp(day).date()
    return frame.reset_index(drop=True)


def _as_date(value: dt.date | str | None) -> dt.date:
    if value is None:
        return dt.datetime.now(dt.UTC).date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
