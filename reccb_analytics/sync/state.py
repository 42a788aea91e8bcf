"""Per-account sync state in the store (tables of schema/002_sync.sql).

Only the writer thread touches the connection. Every statement is a packaged SQL file with
bound parameters; several rows go in as parallel lists, one statement per batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from .. import db
from .accounts import AccountInfo
from .dates import Window, is_settled, merge


def start_run(con: duckdb.DuckDBPyConnection, started_at: datetime, since: date | None,
              until: date | None, accounts: Sequence[str] | None) -> int:
    rows = db.run_sql(con, "sync/run_start", {"started_at": started_at, "since": since,
                                               "until": until,
                                               "accounts": list(accounts) if accounts else None}).fetchall()
    return int(rows[0][0])


def finish_run(con: duckdb.DuckDBPyConnection, run_id: int, finished_at: datetime, status: str,
               message: str | None = None) -> None:
    db.run_sql(con, "sync/run_finish", {"run_id": run_id, "finished_at": finished_at,
                                         "status": status, "message": message}).fetchall()


def record_accounts(con: duckdb.DuckDBPyConnection, accounts: Sequence[AccountInfo], now: datetime) -> None:
    """Remember the accounts (no tokens: ``AccountInfo`` has no column for them here)."""
    if not accounts:
        return
    db.run_sql(con, "sync/accounts_upsert", {
        "sids": [a.sid for a in accounts], "owners": [a.owner_account_sid for a in accounts],
        "names": [a.friendly_name for a in accounts], "statuses": [a.status for a in accounts],
        "types": [a.type for a in accounts], "created": [a.date_created for a in accounts],
        "now": now}).fetchall()


def finish_account(con: duckdb.DuckDBPyConnection, account_sid: str, run_id: int, now: datetime,
                   listed: int, error: str | None = None) -> None:
    db.run_sql(con, "sync/account_finish", {"account_sid": account_sid, "run_id": run_id,
                                             "now": now, "listed": listed, "error": error}).fetchall()


def usable_coverage(con: duckdb.DuckDBPyConnection, account_sid: str, now: datetime,
                    grace: timedelta, sweep_days: int) -> list[tuple[date, date]]:
    """Day ranges that need no listing now: settled, and listed within ``sweep_days``."""
    rows = db.run_sql(con, "sync/coverage_select", {"account_sid": account_sid}).fetchall()
    fresh_after = now - timedelta(days=sweep_days)
    return merge([(first, last) for first, last, listed_at in rows
                  if is_settled(last, listed_at, grace) and listed_at > fresh_after])


def add_coverage(con: duckdb.DuckDBPyConnection, account_sid: str,
                 windows: Sequence[tuple[Window, datetime, int]], run_id: int,
                 ingest_id: int | None) -> None:
    """Record listed windows: (window, listing start, distinct recordings)."""
    if not windows:
        return
    db.run_sql(con, "sync/coverage_insert", {
        "account_sid": account_sid, "day_from": [w.first for w, _, _ in windows],
        "day_to": [w.last for w, _, _ in windows], "listed_at": [t for _, t, _ in windows],
        "recordings": [n for _, _, n in windows], "run_id": run_id, "ingest_id": ingest_id,
    }).fetchall()


def compact_coverage(con: duckdb.DuckDBPyConnection, account_sid: str, now: datetime,
                     grace: timedelta, sweep_days: int) -> None:
    """Keep one row per run of adjacent usable ranges, so the table stays small.

    Rows that can no longer spare a listing (unsettled or stale) are dropped; a merged row keeps
    the oldest ``listed_at`` of its parts, so it grows stale no later than any of them would.
    """
    rows = db.run_sql(con, "sync/coverage_all", {"account_sid": account_sid}).fetchall()
    fresh_after = now - timedelta(days=sweep_days)
    keep = [r for r in rows if is_settled(r[1], r[2], grace) and r[2] > fresh_after]
    if len(keep) == len(rows) and len(merge([(r[0], r[1]) for r in keep])) == len(keep):
        return
    merged: list[list[Any]] = []
    for first, last, listed_at, count, run_id in sorted(keep):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            top = merged[-1]
            top[1] = max(top[1], last)
            top[2] = min(top[2], listed_at)
            top[3] += count
            top[4] = max(top[4] or 0, run_id or 0)
        else:
            merged.append([first, last, listed_at, count, run_id])
    con.execute("BEGIN TRANSACTION")
    try:
        db.run_sql(con, "sync/coverage_delete", {"account_sid": account_sid}).fetchall()
        for first, last, listed_at, count, run_id in merged:
            add_coverage(con, account_sid, [(Window(first, last), listed_at, count)], run_id, None)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def open_set(con: duckdb.DuckDBPyConnection, account_sid: str) -> set[str]:
    """SIDs of this account's recordings that are not final yet."""
    return {row[0] for row in db.run_sql(con, "sync/open_set", {"account_sid": account_sid}).fetchall()}


def batch_by_account(con: duckdb.DuckDBPyConnection, ingest_id: int,
                     fallback_account: str) -> dict[str, tuple[int, int]]:
    """(loaded, rejected) per account for a load of several accounts' recordings."""
    rows = db.run_sql(con, "sync/batch_by_account",
                      {"ingest_id": ingest_id, "fallback_account": fallback_account}).fetchall()
    return {sid: (int(loaded), int(rejected)) for sid, loaded, rejected in rows}


def mark_gone(con: duckdb.DuckDBPyConnection, account_sid: str, sids: Sequence[str],
              now: datetime, run_id: int) -> None:
    if sids:
        db.run_sql(con, "sync/gone_insert", {"sids": list(sids), "account_sid": account_sid,
                                              "now": now, "run_id": run_id}).fetchall()


def store_usage(con: duckdb.DuckDBPyConnection, records: Sequence[dict[str, Any]],
                fetched_at: datetime) -> int:
    """Upsert Usage Records (raw API objects) into ``usage_records``; returns how many."""
    if not records:
        return 0
    db.run_sql(con, "sync/usage_upsert", {"records": [json.dumps(r) for r in records],
                                           "fetched_at": fetched_at}).fetchall()
    return len(records)
