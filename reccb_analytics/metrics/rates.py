"""Recording health over time: how many recordings completed, went absent or failed."""

from __future__ import annotations

import duckdb
import pandas as pd

from . import _common as c

FREQS = ("day", "week", "month")
BYS = (None, "source", "account_sid", "channels")


def status_rates(con: duckdb.DuckDBPyConnection, start: c.DateLike, end: c.DateLike,
                 freq: str = "day", by: str | None = None, tz: str = "UTC") -> pd.DataFrame:
    """Recordings per period by outcome, with the absent and failed rates.

    Parameters
    ----------
    con:
        An open store (``reccb_analytics.connect()``).
    start, end:
        Dates (or ``"YYYY-MM-DD"``) in ``tz``: ``start`` inclusive, ``end`` exclusive.
    freq:
        ``"day"``, ``"week"`` (ISO weeks, starting Monday; labelled by their Monday) or
        ``"month"`` (labelled by its first day).
    by:
        ``None``, ``"source"``, ``"account_sid"`` or ``"channels"``: one row per period and group.
    tz:
        IANA time zone in which recordings are dated and periods are cut (default UTC).

    Returns
    -------
    DataFrame with ``period, [by], recordings, completed, absent, failed, pending, absent_rate,
    failed_rate``. A recording is dated by ``start_time`` (else ``date_created``); its outcome
    follows the rule in docs/metrics.md. Rates are over ``completed + absent + failed``
    (pending excluded) and are NaN when that is zero. Every period of the range is listed, with
    zeros, for every group that has recordings in the range.
    """
    start_d = c.parse_date(start, "start")
    end_d = c.parse_date(end, "end")
    c.check_range(start_d, end_d)
    c.check_choice(freq, "freq", FREQS)
    c.check_choice(by, "by", BYS)
    c.check_tz(con, tz)
    df = c.query(con, "status_rates",
                 {"start": start_d, "end": end_d, "freq": freq, "by": by, "tz": tz})
    return c.name_group(df, by)
