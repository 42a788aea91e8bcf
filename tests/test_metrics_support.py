"""Helpers the metrics tests share to build small stores by hand (plus checks of the helpers).

Rows go in with plain SQL and bound parameters; times are written as ISO strings with their
offset, so every test shows the instants it means.
"""

from __future__ import annotations

import itertools
from typing import Any

import duckdb

PARENT = "AC" + "a" * 32
SUB = "AC" + "b" * 32

_ids = itertools.count(1)


def rsid(n: int) -> str:
    """Recording SID number n."""
    return f"RE{n:032x}"


def csid(n: int) -> str:
    """Call SID number n."""
    return f"CA{n:032x}"


def add_recording(con: duckdb.DuckDBPyConnection, sid: str, *, status: str = "completed",
                  account_sid: str = PARENT, source: str | None = "DialVerb",
                  channels: int | None = 1, duration_s: int | None = 60,
                  start_time: str | None = None,
                  date_created: str | None = "2024-03-01 12:00:00+00",
                  date_updated: str | None = None, price: float | None = None,
                  error_code: int | None = None, call_sid: str | None = None) -> None:
    """One metadata row; ``start_time`` defaults to ``date_created``."""
    con.execute(
        """
        INSERT INTO recordings (sid, account_sid, call_sid, status, source, channels, duration_s,
                                start_time, date_created, date_updated, price, error_code,
                                first_seen_at, first_seen_in, last_seen_at, last_seen_in)
        VALUES ($sid, $account_sid, $call_sid, $status, $source, $channels, $duration_s,
                CAST($start_time AS TIMESTAMPTZ), CAST($date_created AS TIMESTAMPTZ),
                CAST($date_updated AS TIMESTAMPTZ), $price, $error_code,
                now(), 'test', now(), 'test')
        """,
        {"sid": sid, "account_sid": account_sid, "call_sid": call_sid, "status": status,
         "source": source, "channels": channels, "duration_s": duration_s,
         "start_time": start_time if start_time is not None else date_created,
         "date_created": date_created, "date_updated": date_updated, "price": price,
         "error_code": error_code},
    )


def add_delivery(con: duckdb.DuckDBPyConnection, recording_sid: str, status: str,
                 received_at: str | None, *, account_sid: str = PARENT,
                 source: str | None = "DialVerb", duration_s: int | None = None,
                 start_time: str | None = None, channels: int | None = 1,
                 error_code: int | None = None, http_status: int | None = 200,
                 signature_valid: bool | None = None, call_sid: str | None = None) -> None:
    """One logged callback request."""
    con.execute(
        """
        INSERT INTO callback_deliveries (delivery_id, received_at, recording_sid, account_sid,
                                         call_sid, status, duration_s, channels, start_time,
                                         source, error_code, http_status, signature_valid)
        VALUES ($id, CAST($received_at AS TIMESTAMPTZ), $recording_sid, $account_sid, $call_sid,
                $status, $duration_s, $channels, CAST($start_time AS TIMESTAMPTZ), $source,
                $error_code, $http_status, $signature_valid)
        """,
        {"id": f"d{next(_ids)}", "received_at": received_at, "recording_sid": recording_sid,
         "account_sid": account_sid, "call_sid": call_sid, "status": status,
         "duration_s": duration_s, "channels": channels, "start_time": start_time,
         "source": source, "error_code": error_code, "http_status": http_status,
         "signature_valid": signature_valid},
    )


def add_deletion(con: duckdb.DuckDBPyConnection, sid: str, audited_at: str,
                 outcome: str = "deleted") -> None:
    """One row of the toolkit's own deletion log."""
    con.execute(
        "INSERT INTO deletion_audit (audited_at, plan_hash, sid, outcome) "
        "VALUES (CAST($at AS TIMESTAMPTZ), 'plan', $sid, $outcome)",
        {"at": audited_at, "sid": sid, "outcome": outcome},
    )


def add_copy(con: duckdb.DuckDBPyConnection, sid: str, verified_at: str) -> None:
    """One verified archived copy."""
    con.execute(
        "INSERT INTO archive_copies (sid, location, bytes, sha256, format, verified_at) "
        "VALUES ($sid, '/archive/' || $sid || '.wav', 1000, 'x', 'wav', "
        "CAST($at AS TIMESTAMPTZ))",
        {"sid": sid, "at": verified_at},
    )


def add_usage(con: duckdb.DuckDBPyConnection, account_sid: str, category: str, start_date: str,
              price: float) -> None:
    """One Twilio Usage Record of a month starting at ``start_date``."""
    con.execute(
        "INSERT INTO usage_records (account_sid, category, start_date, end_date, price, "
        "price_unit, fetched_at) VALUES ($a, $c, CAST($s AS DATE), "
        "CAST(last_day(CAST($s AS DATE)) AS DATE), $p, 'usd', now())",
        {"a": account_sid, "c": category, "s": start_date, "p": price},
    )


def rows(df: Any, *columns: str) -> list[tuple[Any, ...]]:
    """The DataFrame's rows as tuples of the given columns (dates as 'YYYY-MM-DD')."""
    out = []
    for record in df[list(columns)].itertuples(index=False):
        out.append(tuple(v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else v for v in record))
    return out


def test_helpers_build_rows(con: duckdb.DuckDBPyConnection) -> None:
    add_recording(con, rsid(1), start_time="2024-03-01 00:30:00+01:00")
    add_delivery(con, rsid(1), "completed", "2024-03-01 12:00:00+00")
    got = con.execute("SELECT CAST(start_time AS VARCHAR) FROM recordings").fetchall()
    assert got == [("2024-02-29 23:30:00+00",)]
    assert con.execute("SELECT count(*) FROM callback_deliveries").fetchall() == [(1,)]
