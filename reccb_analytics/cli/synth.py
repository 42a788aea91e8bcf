"""``reccb synth``: write a seeded synthetic data set in every input format the ingest reads."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from ..exceptions import ConfigError
from .common import CONTEXT_SETTINGS


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from exc


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=42, show_default=True,
              help="Seed: the same arguments always write the same bytes.")
@click.option("--recordings", type=click.IntRange(20, 100_000_000), default=300, show_default=True,
              help="Recordings to generate (ignored when --callback-lines is given).")
@click.option("--months", type=click.IntRange(1, 120), default=12, show_default=True,
              help="Months of traffic, ending on --end-date.")
@click.option("--end-date", callback=_parse_date, default=None, metavar="YYYY-MM-DD",
              help="Last day of traffic. Default: 2026-10-31 (fixed, so output is reproducible).")
@click.option("--subaccounts", type=click.IntRange(0, 50), default=3, show_default=True,
              help="Subaccounts under the parent account.")
@click.option("--callback-lines", type=click.IntRange(100, None), default=None, metavar="N",
              help="Scale target: about N callback log lines (sets the number of recordings).")
@click.option("--auth-token-env", metavar="VAR", default=None,
              help="Environment variable holding the auth token that signs the envelope logs "
                   "(X-Twilio-Signature). Default: the public demo token.")
def synth(out_dir: Path, seed: int, recordings: int, months: int, end_date: date | None,
          subaccounts: int, callback_lines: int | None, auth_token_env: str | None) -> None:
    """Write a realistic synthetic data set: recording metadata exports (List API pages,
    NDJSON, JSON, Twilio CLI JSON/TSV, CSV) under OUT_DIR/recordings, Recording Status
    Callback logs (envelope and flat NDJSON, form-encoded lines, CSV; some gzipped, rotated
    with overlaps, with retries, duplicates and a few bad lines) under OUT_DIR/callbacks, and
    the ground truth in OUT_DIR/manifest.json.

    OUT_DIR must be new, empty, or an earlier synth output (which is replaced). Progress is
    shown on a terminal only.

    \b
    Example:
      reccb synth data/synth
      reccb synth /tmp/big --callback-lines 10000000 --seed 7
      TOKEN=... reccb synth out/ --auth-token-env TOKEN --subaccounts 5 --end-date 2026-06-30
    """
    from ..synth import DEFAULT_END_DATE, generate

    token = None
    if auth_token_env:
        token = os.environ.get(auth_token_env)
        if not token:
            raise ConfigError(f"--auth-token-env {auth_token_env}: that environment variable is not set")
    manifest = generate(out_dir, seed=seed, recordings=recordings, months=months,
                        end_date=end_date or DEFAULT_END_DATE, subaccounts=subaccounts,
                        callback_lines=callback_lines, auth_token=token)
    recs = manifest.totals["recordings"]
    cbs = manifest.totals["callbacks"]
    meta_files = manifest.files_of("recordings")
    cb_files = manifest.files_of("callbacks")
    click.echo(
        f"wrote {out_dir}: {recs['generated']} recordings "
        f"({recs['in_metadata']} in {len(meta_files)} metadata files, "
        f"{recs['callbacks_only']} only in callbacks); "
        f"{sum(f.lines for f in cb_files)} callback lines in {len(cb_files)} files "
        f"({cbs['deliveries']} deliveries); ground truth in {out_dir / 'manifest.json'}"
    )
