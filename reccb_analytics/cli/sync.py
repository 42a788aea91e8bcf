"""``reccb sync``: pull recording metadata and storage usage from the Twilio API."""

from __future__ import annotations

from datetime import datetime

import click

from .common import CONTEXT_SETTINGS, db_option, interactive

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.command("sync", context_settings=CONTEXT_SETTINGS)
@click.option("--since", type=_DAY, default=None, metavar="YYYY-MM-DD",
              help="First UTC day of date_created to list. Default: each account's creation day.")
@click.option("--until", type=_DAY, default=None, metavar="YYYY-MM-DD",
              help="Last UTC day of date_created to list. Default: today.")
@click.option("--account", "accounts", multiple=True, metavar="SID",
              help="Sync only this account (parent or subaccount); repeat for several. "
                   "Default: the parent and every subaccount.")
@db_option
@click.option("--workers", type=click.IntRange(1, 32), default=8, show_default=True,
              help="Concurrent requests, across accounts and day windows.")
@click.option("--full", is_flag=True,
              help="List every day in range again, even days already listed.")
@click.option("--sweep-days", type=click.IntRange(0, 39), default=7, show_default=True,
              help="List days again once their last listing is this old, to catch deletions "
                   "(Twilio shows deleted recordings for 40 days).")
def sync(since: datetime | None, until: datetime | None, accounts: tuple[str, ...],
         db_path: str | None, workers: int, full: bool, sweep_days: int) -> None:
    """Sync recordings and usage records of a Twilio account and all its subaccounts.

    Credentials come from the environment only: TWILIO_ACCOUNT_SID with TWILIO_API_KEY and
    TWILIO_API_SECRET (recommended: a Main API key), or with TWILIO_AUTH_TOKEN. TWILIO_REGION
    and TWILIO_EDGE are honoured. Each run continues from what the store already holds: days
    already listed are skipped, recordings not yet final are fetched again, and an interrupted
    run resumes when run again. Deleted recordings arrive with status "deleted".

    \b
    Examples:
      export TWILIO_ACCOUNT_SID=AC... TWILIO_API_KEY=SK... TWILIO_API_SECRET=...
      reccb sync --db data/reccb.duckdb             # everything, then incrementally
      reccb sync --since 2026-01-01 --until 2026-01-31
      reccb sync --account AC0123456789abcdef0123456789abcdef --full
    """
    from ..sync import SyncOptions, make_progress, run_sync

    report = run_sync(
        db_path,
        since=since.date() if since else None,
        until=until.date() if until else None,
        accounts=list(accounts) or None,
        options=SyncOptions(workers=workers, full=full, sweep_days=sweep_days),
        progress=make_progress(interactive()),
    )
    click.echo(report.summary())
