"""``reccb archive plan|apply`` and ``reccb delete plan|apply``: thin wrappers over
``reccb_analytics.archive``. Progress bars on a terminal, one-line summaries otherwise."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import click

from .. import archive as lib
from ..config import load_settings
from ..db import open_database
from ..exceptions import ArchiveError
from .common import CONTEXT_SETTINGS, config_option, db_option, interactive


def _policy_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--as-of",
            "as_of",
            type=click.DateTime(["%Y-%m-%d"]),
            default=None,
            help="Age recordings as of this UTC day (YYYY-MM-DD). Default: today.",
        ),
        click.option(
            "--archive-after",
            "archive_after",
            type=click.IntRange(min=0),
            default=None,
            metavar="DAYS",
            help="Archive recordings at least this old. Default: "
            "[retention] archive_after_days in the config.",
        ),
        click.option(
            "--delete-after",
            "delete_after",
            type=click.IntRange(min=0),
            default=None,
            metavar="DAYS",
            help="Delete archived recordings at least this old. Default: "
            "[retention] delete_after_days in the config.",
        ),
        click.option(
            "--legal-hold",
            "legal_hold",
            type=click.Path(exists=True, dir_okay=False),
            default=None,
            help="File of Recording or Call SIDs (one per line) never to "
            "delete or archive. Default: [retention] legal_hold in the config.",
        ),
        click.option(
            "--out",
            "out",
            type=click.Path(dir_okay=False),
            required=True,
            help="Plan file to write: .csv or .parquet.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _policy(
    kind: str,
    as_of: dt.datetime | None,
    archive_after: int | None,
    delete_after: int | None,
    legal_hold: str | None,
    config_path: str | None,
) -> lib.Policy:
    return lib.resolve_policy(
        kind,
        as_of=as_of.date() if as_of else None,
        archive_after=archive_after,
        delete_after=delete_after,
        legal_hold=legal_hold,
        settings=load_settings(config_path),
    )


@contextlib.contextmanager
def _progress(total: int, unit: str) -> Iterator[Callable[[Any], None]]:
    """A tqdm bar on a terminal; nothing otherwise (the summary line says it all)."""
    if not interactive():
        yield lambda _outcome: None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit=unit, dynamic_ncols=True) as bar:
        yield lambda _outcome: bar.update(1)


def _echo(line: str, err: bool = False) -> None:
    if interactive():
        from tqdm import tqdm

        tqdm.write(line, file=click.get_text_stream("stderr" if err else "stdout"))
    else:
        click.echo(line, err=err)


# --------------------------------------------------------------------------- archive


@click.group("archive", context_settings=CONTEXT_SETTINGS)
def archive() -> None:
    """Copy recordings' media to verified files (first phase; nothing is deleted).

    \b
    Examples:
      reccb archive plan --as-of 2026-11-01 --archive-after 30 --delete-after 90 --out archive.csv
      reccb archive apply archive.csv --dest /mnt/recordings --format wav --concurrency 8
    \b
    Then: reccb delete plan ... and reccb delete apply (see reccb delete --help).
    Exit codes: 12 some recordings not archived (reasons in archive_attempts), 13 plan changed,
    11 credentials refused.
    """


@archive.command("plan")
@_policy_options
@db_option
@config_option
def archive_plan(
    as_of: dt.datetime | None,
    archive_after: int | None,
    delete_after: int | None,
    legal_hold: str | None,
    out: str,
    db_path: str | None,
    config_path: str | None,
) -> None:
    """Write the recordings due for archiving (retention_candidates' `archive` rows) to --out.

    The plan's SHA-256 is printed and stored in the database; `archive apply` refuses a
    plan file that changed since. Policy options default to the config's [retention].

    \b
    Example:
      reccb archive plan --as-of 2026-11-01 --archive-after 30 --delete-after 90 \\
          --legal-hold holds.txt --out plans/archive-2026-11-01.parquet
    """
    policy = _policy("archive", as_of, archive_after, delete_after, legal_hold, config_path)
    with open_database(db_path) as con:
        result = lib.build_plan(con, "archive", policy, out)
    click.echo(result.summary())


@archive.command("apply")
@click.argument("plan", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--dest",
    required=True,
    type=click.Path(file_okay=False),
    help="Destination folder: DEST/<AccountSid>/<RecordingSid>.<format> + .sha256.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["wav", "mp3"]),
    default="wav",
    show_default=True,
    help="Media format to download.",
)
@click.option(
    "--channels",
    type=click.Choice(["1", "2"]),
    default=None,
    help="Ask for a mono downmix (1) or dual-channel file (2). Default: as recorded.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Downloads at once.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=4,
    show_default=True,
    help="Retries per recording for 429, 5xx, dropped or truncated downloads.",
)
@db_option
def archive_apply(
    plan: str,
    dest: str,
    fmt: str,
    channels: str | None,
    concurrency: int,
    retries: int,
    db_path: str | None,
) -> None:
    """Download, verify and record every recording of PLAN under --dest.

    Each copy is streamed to a temp file, checked (size against Content-Length, SHA-256
    re-read from disk, WAV header duration within 1 s of the metadata), given a .sha256
    sidecar, renamed into place and recorded in archive_copies. Rerunning is safe: verified
    copies are not fetched again. Credentials come from the environment only
    (TWILIO_ACCOUNT_SID + TWILIO_API_KEY/TWILIO_API_SECRET or TWILIO_AUTH_TOKEN).

    \b
    Example:
      reccb archive apply plans/archive-2026-11-01.parquet --dest /mnt/recordings --concurrency 8
    """
    with open_database(db_path) as con:
        total = len(lib.read_plan(con, plan, "archive").rows)
        with _progress(total, "rec") as tick:

            def progress(outcome: lib.CopyOutcome) -> None:
                tick(outcome)
                if outcome.outcome in ("failed", "refused"):
                    _echo(f"{outcome.outcome}: {outcome.sid}: {outcome.reason}", err=True)

            result = lib.apply_archive_plan(
                con,
                plan,
                dest,
                fmt=fmt,
                channels=int(channels) if channels else None,
                concurrency=concurrency,
                retries=retries,
                progress=progress,
            )
    click.echo(result.summary())
    if not result.ok:
        raise ArchiveError(
            f"{result.counts['failed'] + result.counts['refused']} recording(s) not archived; "
            "reasons above and in archive_attempts; rerun the same command to retry"
        )


# --------------------------------------------------------------------------- delete


@click.group("delete", context_settings=CONTEXT_SETTINGS)
def delete() -> None:
    """Delete archived recordings from Twilio (second phase; dry run unless --execute).

    \b
    Examples:
      reccb delete plan --as-of 2026-11-01 --delete-after 90 --out delete.csv
      reccb delete apply delete.csv                       # dry run: prints, changes nothing
      reccb delete apply delete.csv --execute --reverify  # deletes, audited in deletion_audit
    \b
    Exit codes: 12 some recordings refused or failed (see deletion_audit), 13 plan changed
    since it was made, 11 credentials refused.
    """


@delete.command("plan")
@_policy_options
@db_option
@config_option
def delete_plan(
    as_of: dt.datetime | None,
    archive_after: int | None,
    delete_after: int | None,
    legal_hold: str | None,
    out: str,
    db_path: str | None,
    config_path: str | None,
) -> None:
    """Write the recordings that may be deleted to --out: a verified copy exists, the policy
    age is reached, and they are not on legal hold. Each row names the copy it relies on.

    \b
    Example:
      reccb delete plan --as-of 2026-11-01 --archive-after 30 --delete-after 90 --out delete.csv
    """
    policy = _policy("delete", as_of, archive_after, delete_after, legal_hold, config_path)
    with open_database(db_path) as con:
        result = lib.build_delete_plan(con, policy, out)
    click.echo(result.summary())


@delete.command("apply")
@click.argument("plan", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--execute",
    is_flag=True,
    help="Really delete. Without it: print what would be done and change nothing.",
)
@click.option(
    "--reverify",
    is_flag=True,
    help="Re-hash every copy and re-parse its WAV header before deleting "
    "(default: check it exists with the verified size).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Deletions (and checks) at once.",
)
@click.option(
    "--legal-hold",
    "legal_hold",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A current legal hold file, checked on top of the one the plan was made with. "
    "Default: [retention] legal_hold in the config.",
)
@db_option
@config_option
def delete_apply(
    plan: str,
    execute: bool,
    reverify: bool,
    concurrency: int,
    legal_hold: str | None,
    db_path: str | None,
    config_path: str | None,
) -> None:
    """Delete the recordings of PLAN from Twilio, each only if its verified copy is still there.

    Refuses a plan whose SHA-256 differs from the one stored when it was made, and any
    recording on legal hold now (the plan's hold file read again, plus --legal-hold). Every
    attempt with --execute is written to deletion_audit (time, plan hash, account, SID,
    outcome, HTTP status, response); without --execute nothing is written or deleted.

    \b
    Examples:
      reccb delete apply plans/delete-2026-11-01.csv
      reccb delete apply plans/delete-2026-11-01.csv --execute --reverify
    """
    hold = lib.resolve_legal_hold(legal_hold, load_settings(config_path))
    with open_database(db_path, read_only=not execute) as con:
        total = len(lib.read_plan(con, plan, "delete").rows)
        with _progress(total, "rec") as tick:

            def progress(outcome: lib.DeleteOutcome) -> None:
                tick(outcome)
                if outcome.outcome == "would-delete":
                    _echo(
                        f"would delete {outcome.sid} (account {outcome.account_sid}, "
                        f"{outcome.stored_minutes} min; copy {outcome.location})"
                    )
                elif outcome.outcome in ("refused", "failed"):
                    verb = outcome.outcome if execute else f"would be {outcome.outcome}"
                    _echo(f"{verb}: {outcome.sid}: {outcome.reason}", err=True)

            result = lib.apply_delete_plan(
                con,
                plan,
                execute=execute,
                reverify=reverify,
                concurrency=concurrency,
                legal_hold=hold,
                progress=progress,
            )
    click.echo(result.summary())
    if execute and not result.ok:
        raise ArchiveError(
            f"{len(result.problems)} recording(s) not deleted (refused or failed); see "
            "deletion_audit; they keep their copies and stay at Twilio"
        )
