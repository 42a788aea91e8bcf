"""``reccb ingest recordings|callbacks``: load files into the store."""

from __future__ import annotations

import click

from ..exceptions import InputError, StrictModeError
from ..ingest import files
from ..ingest.run import IngestReport, ingest_paths
from .common import CONTEXT_SETTINGS, db_option


@click.group(context_settings=CONTEXT_SETTINGS)
def ingest() -> None:
    """Load recording metadata or callback logs (files or folders, plain or .gz) into DuckDB.

    Every record is loaded, counted as a duplicate, or set aside in the `rejects` table with
    its file, line and reason; each file goes in as one transaction.

    \b
    Example:
      reccb ingest recordings exports/ --db data/reccb.duckdb
      reccb ingest callbacks logs/ --strict
    """


def _finish(report: IngestReport, strict: bool) -> None:
    click.echo(report.summary())
    if report.errors:
        first = report.errors[0]
        raise InputError(f"{len(report.errors)} file(s) could not be read; first: {first}")
    rejected = report.total("rejected")
    if strict and rejected:
        raise StrictModeError(f"--strict: {rejected} record(s) were rejected; see the rejects "
                              "table (SELECT * FROM rejects ORDER BY ingest_id DESC)")


_strict_option = click.option(
    "--strict", is_flag=True,
    help="Exit with status 4 when any record was rejected (for scheduled jobs that must notice).")


@ingest.command("recordings", context_settings=CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@db_option
@click.option("--format", "fmt", type=click.Choice(files.RECORDING_FORMATS), default=None,
              help="Skip detection: api-page (REST list page), api-object, json-array (also the "
                   "Twilio CLI's -o json), ndjson, csv, tsv.")
@_strict_option
def ingest_recordings(paths: tuple[str, ...], db_path: str | None, fmt: str | None,
                      strict: bool) -> None:
    """Load Twilio Recording metadata: REST list pages, Recording JSON/NDJSON, the Twilio CLI's
    JSON, or CSV/TSV exports. The newest date_updated of each recording wins.

    \b
    Example:
      reccb ingest recordings exports/recordings-2026-10.json.gz
      twilio api:core:recordings:list -o json > rec.json && reccb ingest recordings rec.json
    """
    _finish(ingest_paths(list(paths), kind="recordings", db_path=db_path, fmt=fmt), strict)


@ingest.command("callbacks", context_settings=CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@db_option
@click.option("--format", "fmt", type=click.Choice(files.CALLBACK_FORMATS), default=None,
              help="Skip detection: ndjson (flat or envelope), form (request bodies, one per "
                   "line), csv, tsv.")
@click.option("--auth-token-env", metavar="VAR", default=None,
              help="Check each logged X-Twilio-Signature with the auth token held in environment "
                   "variable VAR (never pass the token itself).")
@click.option("--callback-url", metavar="URL", default=None,
              help="The public URL Twilio called, for signature checks when the log lacks it.")
@_strict_option
def ingest_callbacks(paths: tuple[str, ...], db_path: str | None, fmt: str | None,
                     auth_token_env: str | None, callback_url: str | None, strict: bool) -> None:
    """Load Recording Status Callback requests your webhook logged: NDJSON (flat or envelope),
    form-encoded bodies one per line, or CSV/TSV. Twilio's retries are kept as deliveries;
    the same request logged twice (e.g. rotated logs) is a duplicate.

    \b
    Example:
      reccb ingest callbacks /var/log/twilio/recording-status.ndjson.gz
      TWILIO_AUTH_TOKEN=... reccb ingest callbacks logs/ --auth-token-env TWILIO_AUTH_TOKEN \\
          --callback-url https://example.com/twilio/recording-status
    """
    _finish(ingest_paths(list(paths), kind="callbacks", db_path=db_path, fmt=fmt,
                         auth_token_env=auth_token_env, callback_url=callback_url), strict)
