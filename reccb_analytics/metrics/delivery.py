"""Callback delivery: did Recording Status Callbacks reach the webhook, how late, how often."""

from __future__ import annotations

import duckdb
import pandas as pd

from . import _common as c

BYS = (None, "source", "account_sid", "channels")

_COUNTS = ["recordings", "trunking_recordings", "with_terminal_callback", "missing_callbacks",
           "callbacks_only", "disagreements", "deliveries", "duplicate_deliveries",
           "non_2xx_deliveries", "invalid_signatures"]


def callback_delivery(con: duckdb.DuckDBPyConnection, start: c.DateLike, end: c.DateLike,
                      by: str | None = "source", tz: str = "UTC") -> pd.DataFrame:
    """Callback delivery figures for recordings dated in ``[start, end)``, per group.

    Parameters
    ----------
    start, end:
        Dates (or ``"YYYY-MM-DD"``) in ``tz``; ``start`` inclusive, ``end`` exclusive.
    by:
        ``"source"`` (default), ``"account_sid"``, ``"channels"`` or ``None`` (one row).
    tz:
        Time zone in which recordings are dated (default UTC).

    Returns
    -------
    One row per group with:

    * ``recordings``: recordings known from REST metadata; ``trunking_recordings`` of which have
      source Trunking (Elastic SIP Trunking sends no callbacks by design);
    * ``with_terminal_callback``: of those, how many got at least one terminal callback
      (completed/absent/failed); ``callback_coverage`` = with_terminal_callback / recordings;
      ``expected_callback_coverage`` = the same leaving Trunking out;
    * ``missing_callbacks``: non-Trunking metadata recordings without a terminal callback (the
      fault count; Trunking is shown, never counted as a fault; see ``note``);
    * ``callbacks_only``: recordings seen only in callbacks (no metadata row);
    * ``disagreements``: recordings whose terminal metadata outcome differs from the outcome of
      their latest terminal callback (metadata ``deleted`` counts as completed);
    * ``deliveries`` and ``duplicate_deliveries`` (deliveries beyond the first of each
      (recording, status): Twilio retries and re-sent events), over all recordings of the group;
    * ``latency_p50_s``, ``latency_p95_s``, ``latency_max_s``: seconds from the recording's end
      (``start_time`` + duration) to the first terminal callback's ``received_at`` (percentiles
      interpolated linearly, ``quantile_cont``); NaN without timed callbacks;
    * ``non_2xx_deliveries``: deliveries the webhook answered with an HTTP status outside
      200-299 (when logged); ``invalid_signatures``: deliveries whose X-Twilio-Signature failed;
    * ``note``: explains Trunking figures.
    """
    start_d = c.parse_date(start, "start")
    end_d = c.parse_date(end, "end")
    c.check_range(start_d, end_d)
    c.check_choice(by, "by", BYS)
    c.check_tz(con, tz)
    df = c.query(con, "callback_delivery",
                 {"start": start_d, "end": end_d, "by": by, "tz": tz})
    if by is None and df.empty:
        # No recording in the range: still one row, of zeros, so callers can read row 0.
        df = pd.DataFrame([{"grp": None, **{name: 0 for name in _COUNTS}}]).reindex(
            columns=df.columns)
        df[_COUNTS] = df[_COUNTS].astype("int64")
    return c.name_group(df, by)
