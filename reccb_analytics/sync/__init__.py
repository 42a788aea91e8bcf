"""Live sync: recording metadata and storage usage from the Twilio API into the store.

``run_sync(db_path, ...)`` opens the store and syncs; ``sync(con, ...)`` syncs into an open,
writable connection. Both walk the parent account and every subaccount (or the ``accounts``
given), keep per-account state in the store (``sync_*`` tables), and load recordings through the
same ``load_file`` as file ingest, so the same normalisation and upsert rules apply (newest
``date_updated`` wins; ``first_seen_in``/``last_seen_in`` say ``api:<AccountSid>``).

See docs/sync.md for scheduling and credentials.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from datetime import date

import duckdb

from .. import db
from ..exceptions import ConfigError, TwilioAuthError
from . import state
from .accounts import AccountInfo, fetch_account, list_accounts
from .client import ACCOUNT_SID_RE, Credentials, credentials_from_env
from .progress import NoProgress, Progress, make_progress
from .ratelimit import RateLimiter, RetryPolicy
from .report import AccountReport, SyncReport
from .spool import Spool
from .transport import AuthRefused, NotFound, Transport, now_utc
from .walker import Engine, SyncOptions, plan_account

__all__ = ["AccountReport", "RetryPolicy", "SyncOptions", "SyncReport", "make_progress",
           "run_sync", "sync"]


def run_sync(db_path: str | os.PathLike[str] | None = None, **kwargs: object) -> SyncReport:
    """Open the store at ``db_path`` (default ``$RECCB_DB`` or data/reccb.duckdb) and ``sync``."""
    from ..db import open_database

    con = open_database(db_path)
    try:
        return sync(con, **kwargs)  # type: ignore[arg-type]
    finally:
        con.close()


def sync(con: duckdb.DuckDBPyConnection, *, since: date | None = None, until: date | None = None,
         accounts: Sequence[str] | None = None, options: SyncOptions | None = None,
         progress: Progress | None = None, environ: Mapping[str, str] | None = None) -> SyncReport:
    """Sync recordings and usage records of the parent account and its subaccounts.

    ``since``/``until`` bound the UTC days of ``date_created`` to list (default: from each
    account's creation to today); days already listed after they ended, less than
    ``options.sweep_days`` ago, are skipped unless ``options.full``. ``accounts`` limits the
    sync to those SIDs. Credentials come from ``environ`` (default ``os.environ``) only.
    Raises ``TwilioAuthError`` (401/403, naming the account), ``TwilioError`` (the API kept
    failing) or ``ConfigError`` (bad arguments). Work finished before an error is kept.
    """
    options = options or SyncOptions()
    progress = progress or NoProgress()
    if since and until and since > until:
        raise ConfigError(f"--since {since} is after --until {until}")
    for sid in accounts or ():
        if not ACCOUNT_SID_RE.fullmatch(sid):
            raise ConfigError(f"--account {sid!r} is not an account SID (AC followed by 32 hex digits)")
    creds = credentials_from_env(environ)
    from ..ingest import load_file

    transport = Transport(creds, RateLimiter(options.max_rps, burst=options.workers),
                          options.retry, timeout=options.timeout, stop=threading.Event())
    clock = time.monotonic()
    started = now_utc()
    run_id = state.start_run(con, started, since, until, accounts)
    status, message = "failed", None
    spool = Spool()
    settings = ExitStack()
    if options.wal_mib > 0:
        # A sync commits a load every few seconds; with DuckDB's default threshold (16 MiB,
        # about 15,000 recordings) every other commit would also checkpoint, writing the same
        # rows a second time. Checkpointing every wal_mib costs less and keeps memory bounded.
        settings.enter_context(db.temporary_setting(con, "checkpoint_threshold", f"{options.wal_mib} MiB"))
    if options.load_threads > 0:
        settings.enter_context(db.temporary_setting(con, "threads", options.load_threads))
    try:
        infos = _discover(transport, creds, accounts)
        state.record_accounts(con, infos, started)
        plans = [plan_account(con, info, since, until, started, options) for info in infos]
        engine = Engine(con, transport, plans, options, progress, spool, run_id, load_file)
        reports = engine.run()
        status = "completed"
        return SyncReport(run_id, reports, time.monotonic() - clock)
    except KeyboardInterrupt:
        status, message = "interrupted", "interrupted"
        raise
    except Exception as exc:
        if _interrupted(exc):
            # Ctrl-C while DuckDB was loading arrives as DuckDB's own error, after the load
            # rolled back: it is an interruption like any other.
            status, message = "interrupted", "interrupted"
            raise KeyboardInterrupt from None
        message = str(exc)[:2000]
        raise
    finally:
        progress.close()
        spool.close()
        settings.close()
        state.finish_run(con, run_id, now_utc(), status, message)


def _interrupted(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.InterruptException) or (
        isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower())


def _discover(transport: Transport, creds: Credentials, accounts: Sequence[str] | None) -> list[AccountInfo]:
    """The accounts to sync: those asked for, else the parent and all its subaccounts."""
    current = creds.account_sid
    try:
        if accounts:
            found = []
            for sid in dict.fromkeys(accounts):
                current = sid
                found.append(fetch_account(transport, sid))
        else:
            found = list_accounts(transport)
    except AuthRefused as exc:
        hint = ""
        if not accounts and creds.kind == "API key" and exc.status == 403:
            hint = (" A Standard API key cannot list subaccounts: use a Main API key, or name "
                    "the accounts to sync with --account.")
        raise TwilioAuthError(
            f"Twilio refused {creds.describe()} for account {current}: HTTP {exc.status}"
            + (f" (code {exc.code})" if exc.code else "") + f": {exc.message}. Check "
            "TWILIO_ACCOUNT_SID and TWILIO_API_KEY/TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN)."
            + hint) from None
    except NotFound:
        raise ConfigError(f"account {current} was not found with these credentials") from None
    # Closed accounts have no recordings left to sync (Twilio deletes them with the account).
    return [a for a in found if (a.status or "active") != "closed"]
