"""Error codes: the shipped reference table and the breakdown of recordings by code."""

from __future__ import annotations

import duckdb
import pandas as pd

from . import _common as c

BYS = (None, "source", "account_sid")


def error_codes() -> pd.DataFrame:
    """The reference table of Twilio's recording-related error codes, as shipped in the package.

    Columns: ``code`` (int), ``level`` (ERROR/WARNING), ``outcome`` (what the code means for the
    recording: ``absent``, ``failed``, ``completed`` = stored despite the problem, ``none`` = it
    does not decide the outcome), ``category`` (recording, encryption, external-storage, media,
    deletion, recording-request, twiml, transcription, callback, webhook, rest-api),
    ``description`` and ``cause`` (plain language).
    """
    with c.error_codes_csv() as path:
        return pd.read_csv(path, dtype={"code": "int64"}, keep_default_na=False)


def error_breakdown(con: duckdb.DuckDBPyConnection, start: c.DateLike, end: c.DateLike,
                    by: str | None = None, tz: str = "UTC") -> pd.DataFrame:
    """Recordings dated in ``[start, end)`` per error code, with descriptions and shares.

    Parameters
    ----------
    start, end:
        Dates (or ``"YYYY-MM-DD"``) in ``tz``; ``start`` inclusive, ``end`` exclusive.
    by:
        ``None``, ``"source"`` or ``"account_sid"``.
    tz:
        Time zone in which recordings are dated (default UTC).

    Returns
    -------
    DataFrame with ``[by], error_code, description, outcome, recordings, share`` plus
    ``level, category, cause, known, completed, absent, failed, pending``.
    ``share`` = recordings with this code / recordings with any error code in the range (within
    the group when ``by`` is given). ``description``, ``outcome`` (the code's meaning for a
    recording, see :func:`error_codes`), ``level`` and ``category`` come from the reference
    table; a code not in it is shown with ``'unknown'`` in each and ``known = False``.
    ``completed ... pending`` count the recordings' actual outcomes. A recording's error code is
    taken from the evidence that decided its outcome (metadata, else its winning callback).
    """
    start_d = c.parse_date(start, "start")
    end_d = c.parse_date(end, "end")
    c.check_range(start_d, end_d)
    c.check_choice(by, "by", BYS)
    c.check_tz(con, tz)
    with c.error_codes_csv() as path:
        df = c.query(con, "error_breakdown", {"start": start_d, "end": end_d, "by": by, "tz": tz,
                                              "codes_path": str(path)})
    df = c.name_group(df, by)
    df["error_code"] = df["error_code"].astype("int64")
    return df
