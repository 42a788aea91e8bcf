"""``generate()``: write a seeded synthetic data set of recording metadata and callback logs.

Pipeline (all rows made and written by DuckDB, see sql/synth/):

1. ``accounts`` / ``recordings``: the parent account, subaccounts and every recording's life.
2. ``deliveries``: every callback request Twilio made (retries included), and a few call
   status callbacks that reached the same endpoint.
3. ``callback_plan`` / ``meta_plan``: which line or record goes into which file, in which order,
   including re-logged duplicates, rotation overlaps and bad lines.
4. One ``COPY ... TO`` per file (``callback_lines``, ``meta_lines``); the List API pages, one
   small document each, by one partitioned COPY (``meta_pages``) and moved into place. Gzip
   runs on a background thread.
5. ``manifest_*``: the ground truth, counted from the same plan.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from ..exceptions import ConfigError
from . import engine
from .manifest import MANIFEST_NAME, FileEntry, Manifest
from .signing import DEMO_AUTH_TOKEN, check_with_validator, hmac_pads, old_token

# A fixed default so that the output (and the committed sample) is reproducible.
DEFAULT_END_DATE = date(2026, 10, 31)

# Files are split when a part would hold more lines or records than this.
MAX_FILE_LINES = 2_000_000
MAX_FILE_RECORDS = 1_000_000
MAX_JSON_RECORDS = 50_000

# Recordings used to measure lines per recording when a --callback-lines target is given.
_PILOT_RECORDINGS = 20_000
# where the List API pages are written before being moved into place
_STAGING = ".synth-staging"
# present while a run is writing: a folder left by a failed run can be rerun into
_INCOMPLETE = ".synth-incomplete"
# List API page objects aggregated per COPY (string_agg keeps them in memory)
_PAGE_BATCH_RECORDS = 100_000


@dataclass(frozen=True)
class SynthOptions:
    """What to generate. ``callback_lines``, when set, decides the number of recordings."""

    seed: int = 42
    recordings: int = 300
    months: int = 12
    end_date: date = DEFAULT_END_DATE
    subaccounts: int = 3
    callback_lines: int | None = None
    max_file_lines: int = MAX_FILE_LINES

    def validate(self) -> None:
        if self.recordings < 20:
            raise ConfigError("--recordings must be at least 20")
        if not 1 <= self.months <= 120:
            raise ConfigError("--months must be between 1 and 120")
        if not 0 <= self.subaccounts <= 50:
            raise ConfigError("--subaccounts must be between 0 and 50")
        if self.callback_lines is not None and self.callback_lines < 100:
            raise ConfigError("--callback-lines must be at least 100")
        if self.max_file_lines < 1000:
            raise ConfigError("max_file_lines must be at least 1000")
        if not -2**31 <= self.seed < 2**31:
            raise ConfigError("--seed must fit in 32 bits")


def period(end_date: date, months: int) -> tuple[datetime, datetime]:
    """[start, end) of the traffic: ``months`` calendar months ending with ``end_date``."""
    end = datetime(end_date.year, end_date.month, end_date.day) + timedelta(days=1)
    month_index = end.year * 12 + (end.month - 1) - months
    year, month = divmod(month_index, 12)
    day = end.day
    while True:
        try:
            start = datetime(year, month + 1, day)
            break
        except ValueError:  # e.g. 31 February: use the month's last day
            day -= 1
    return start, end


def page_size_for(recordings: int) -> int:
    """PageSize of the List API export: small for the sample (several pages), 1000 at scale."""
    if recordings <= 2_000:
        return 20
    if recordings <= 200_000:
        return 50
    return 1000


def _params(options: SynthOptions, n: int, token: str) -> dict[str, Any]:
    start, end = period(options.end_date, options.months)
    ipad, opad = hmac_pads(token)
    bad_ipad, bad_opad = hmac_pads(old_token(token))
    return {
        "seed": options.seed,
        "n": n,
        "nsub": options.subaccounts,
        "t0": start,
        "t_end": end,
        "ndays": (end - start).days,
        "end_label": options.end_date.isoformat(),
        "max_file_lines": options.max_file_lines,
        "max_file_records": MAX_FILE_RECORDS,
        "max_json_records": MAX_JSON_RECORDS,
        "page_size": page_size_for(n),
        "ipad": ipad,
        "opad": opad,
        "bad_ipad": bad_ipad,
        "bad_opad": bad_opad,
    }


_PLAN_SCRIPTS = ("accounts", "recordings", "deliveries", "callback_plan", "meta_plan", "rest_view")


def _build_plan(con: duckdb.DuckDBPyConnection, params: dict[str, Any],
                step: Callable[[str], None] = lambda _label: None) -> None:
    for script in _PLAN_SCRIPTS:
        engine.run_script(con, script, params)
        step(f"planned {script}")


def recordings_for_lines(options: SynthOptions, token: str) -> int:
    """How many recordings give about ``options.callback_lines`` callback lines.

    Measured on a pilot of the same model rather than estimated, so changes to the rates in
    the SQL keep the target honest.
    """
    assert options.callback_lines is not None
    with engine.scratch_connection() as con:
        params = _params(options, _PILOT_RECORDINGS, token)
        for script in ("accounts", "recordings", "deliveries", "callback_plan"):
            engine.run_script(con, script, params)
        lines = con.execute("SELECT count(*) FROM syn_cb_plan").fetchall()[0][0]
    return max(20, round(options.callback_lines * _PILOT_RECORDINGS / lines))


class _Progress:
    """Step progress on stderr (plan steps, then one step per file), only on a terminal."""

    def __init__(self) -> None:
        self._bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(desc="reccb synth", unit="step", file=sys.stderr, leave=False)

    def set_total(self, total: int) -> None:
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def step(self, label: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(label[-48:], refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _prepare_out_dir(out_dir: Path) -> None:
    """Create the folder; replace an earlier synth output there, refuse anything else.

    An output is ours when it has our manifest, or our marker of a run that did not finish.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir} exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = {p.name for p in out_dir.iterdir()}
    ours = {MANIFEST_NAME, _INCOMPLETE, "recordings", "callbacks", ".keep", _STAGING}
    # an empty folder (a git placeholder .keep aside) or an earlier output of ours
    if entries - {".keep"} and not (entries & {MANIFEST_NAME, _INCOMPLETE} and entries <= ours):
        raise ConfigError(
            f"{out_dir} is not empty and holds no earlier reccb synth output; "
            "choose an empty or new folder"
        )
    (out_dir / _INCOMPLETE).write_text("reccb synth is writing here\n", encoding="utf-8")
    for name in ("recordings", "callbacks", _STAGING):
        shutil.rmtree(out_dir / name, ignore_errors=True)
    for name in (MANIFEST_NAME, ".keep"):
        (out_dir / name).unlink(missing_ok=True)


def _write_pages(con: duckdb.DuckDBPyConnection, params: dict[str, Any], out_dir: Path,
                 compressor: engine.Compressor, step: Callable[[str], None]) -> None:
    """Partitioned COPYs write the List API pages into a staging folder, a batch of pages at a
    time; each is then moved (or gzipped) to ``recordings/api-pages/<AC>/page-NNNN.json[.gz]``."""
    staging = out_dir / _STAGING
    per_batch = max(1, _PAGE_BATCH_RECORDS // params["page_size"])
    accounts = con.execute(
        "SELECT acct_idx, max(page) FROM syn_pages GROUP BY acct_idx ORDER BY acct_idx"
    ).fetchall()
    for acct_idx, last_page in accounts:
        for first in range(0, last_page + 1, per_batch):
            shutil.rmtree(staging, ignore_errors=True)
            last = min(last_page, first + per_batch - 1)
            batch = dict(params, acct_idx=acct_idx, first_page=first, last_page=last)
            engine.copy_partitioned(con, "meta_pages", batch, staging, ("acct_idx", "page"))
            for page, rel_path, gz in con.execute(
                "SELECT page, path, gz FROM syn_pages WHERE acct_idx = $a AND page BETWEEN $f AND $l "
                "ORDER BY page", {"a": acct_idx, "f": first, "l": last}
            ).fetchall():
                written = sorted((staging / f"acct_idx={acct_idx}" / f"page={page}").iterdir())
                if len(written) != 1:
                    raise RuntimeError(f"synth: expected one file for page {page} of account {acct_idx}")
                target = out_dir / rel_path
                target.parent.mkdir(parents=True, exist_ok=True)
                if gz:
                    # moved out of the staging folder first: the next batch clears it
                    pending = target.with_name(target.name + ".plain")
                    written[0].replace(pending)
                    compressor.submit(pending, target)
                else:
                    written[0].replace(target)
                step(rel_path)
    shutil.rmtree(staging, ignore_errors=True)


def _self_check_signatures(out_dir: Path, files: list[tuple[str, bool]], token: str) -> None:
    """Prove the SQL signatures equal RequestValidator's on the first envelope file written."""
    envelope = [(p, gz) for p, gz in files if "/envelope-" in p]
    if not envelope:
        return
    rel_path, gz = envelope[0]
    opener = gzip.open if gz else open
    with opener(out_dir / rel_path, "rt", encoding="utf-8") as handle:
        lines = [line for _, line in zip(range(20_000), handle)]
    good, rest = check_with_validator(lines, token)
    old_good, old_rest = check_with_validator(lines, old_token(token))
    # every checked line validates with exactly one of the two tokens
    if good == 0 or good != old_rest or rest != old_good:
        raise RuntimeError(
            f"synth self-check: signatures in {rel_path} do not match RequestValidator "
            f"({good} valid, {rest} invalid, {old_good} made with the old token)"
        )


def _entries(con: duckdb.DuckDBPyConnection, params: dict[str, Any], out_dir: Path) -> list[FileEntry]:
    entries: list[FileEntry] = []
    for row in engine.query(con, "manifest_callback_files", params):
        (path, fmt, gz, lines, header_lines, records, bad, duplicate_lines, overlap_lines,
         overlaps_with, loaded, duplicates, rejected, deliveries, signed, invalid_sig,
         stream, time_key, status_key, form_plus) = row
        details: dict[str, Any] = {"deliveries": deliveries}
        if stream == "envelope":
            details.update(signed_lines=signed, invalid_signature_lines=invalid_sig,
                           http_status_key=status_key)
        elif stream == "flat":
            details["time_key"] = time_key
        elif stream == "form":
            details.update(separator="space" if form_plus else "tab",
                           spaces_encoded_as="+" if form_plus else "%20")
        elif stream == "notime":
            details.update(receive_time=None)
        entries.append(FileEntry(
            path=path, kind="callbacks", format=fmt, compression="gzip" if gz else None,
            bytes=(out_dir / path).stat().st_size, lines=lines, header_lines=header_lines,
            records=records, bad=json.loads(bad), duplicate_lines=duplicate_lines,
            overlap_next_lines=overlap_lines, overlaps_with=overlaps_with,
            expected_loaded=loaded, expected_duplicates=duplicates, expected_rejected=rejected,
            details=details,
        ))
    for row in engine.query(con, "manifest_meta_files", params):
        (path, fmt, gz, records, rejected, bad, recordings, duplicates, stale, statuses,
         frame_lines, record_lines, kind_fmt) = row
        lines = 1 if kind_fmt in ("pages", "single") else record_lines + frame_lines
        entries.append(FileEntry(
            path=path, kind="recordings", format=fmt, compression="gzip" if gz else None,
            bytes=(out_dir / path).stat().st_size, lines=lines, header_lines=frame_lines,
            records=records, bad=json.loads(bad), duplicate_lines=0, overlap_next_lines=0,
            overlaps_with=None, expected_loaded=records - rejected - duplicates,
            expected_duplicates=duplicates, expected_rejected=rejected,
            details={"recordings": recordings, "older_than_latest": stale,
                     "statuses": json.loads(statuses),
                     "state": "older" if kind_fmt == "older" else "current"},
        ))
    return sorted(entries, key=lambda e: e.path)


def _iter_files(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, str, Any, Any, bool]]:
    for stream, part, path, gz in con.execute(
        "SELECT stream, file_part, path, gz FROM syn_cb_files ORDER BY path"
    ).fetchall():
        yield "callback_lines", path, stream, part, gz
    for fmt, chunk, path, gz in con.execute(
        "SELECT fmt, chunk, path, gz FROM syn_meta_files ORDER BY path"
    ).fetchall():
        yield "meta_lines", path, fmt, chunk, gz


def generate(
    out_dir: str | Path,
    *,
    seed: int = 42,
    recordings: int = 300,
    months: int = 12,
    end_date: date | str = DEFAULT_END_DATE,
    subaccounts: int = 3,
    callback_lines: int | None = None,
    auth_token: str | None = None,
    max_file_lines: int = MAX_FILE_LINES,
    threads: int | None = None,
) -> Manifest:
    """Write a synthetic data set into ``out_dir`` and return its manifest.

    ``out_dir/recordings/`` gets recording metadata exports (List API pages, NDJSON, a JSON
    array, a single fetched object, Twilio CLI JSON and TSV, CSV, and an older snapshot);
    ``out_dir/callbacks/`` gets Recording Status Callback logs (envelope and flat NDJSON,
    form-encoded lines, CSV; some gzipped, rotated with overlaps, with a few bad lines);
    ``out_dir/manifest.json`` the ground truth. The same arguments give the same bytes.

    ``callback_lines`` (a scale target) overrides ``recordings``. ``auth_token`` signs the
    envelope logs (X-Twilio-Signature); by default the public demo value ``DEMO_AUTH_TOKEN``.
    An ``out_dir`` that is not empty must hold an earlier synth output, which is replaced.
    """
    if isinstance(end_date, str):
        try:
            end_date = date.fromisoformat(end_date)
        except ValueError as exc:
            raise ConfigError(f"--end-date must be YYYY-MM-DD, not {end_date!r}") from exc
    options = SynthOptions(seed=seed, recordings=recordings, months=months, end_date=end_date,
                           subaccounts=subaccounts, callback_lines=callback_lines,
                           max_file_lines=max_file_lines)
    options.validate()
    token = auth_token or DEMO_AUTH_TOKEN
    out = Path(out_dir)
    _prepare_out_dir(out)

    progress = _Progress()
    try:
        n = recordings_for_lines(options, token) if callback_lines else recordings
        params = _params(options, n, token)
        with engine.scratch_connection(threads) as con:
            _build_plan(con, params, progress.step)
            files = list(_iter_files(con))
            n_pages = con.execute("SELECT count(*) FROM syn_pages").fetchall()[0][0]
            progress.set_total(len(_PLAN_SCRIPTS) + len(files) + n_pages + 1)
            compressor = engine.Compressor()
            try:
                for script, rel_path, key, part, gz in files:
                    extra = ({"stream": key, "file_part": part} if script == "callback_lines"
                             else {"fmt": key, "chunk": part})
                    target = out / rel_path
                    plain = target.with_name(target.name + ".plain") if gz else target
                    engine.copy_lines(con, script, {**params, **extra}, plain)
                    if gz:
                        compressor.submit(plain, target)
                    progress.step(rel_path)
                _write_pages(con, params, out, compressor, progress.step)
                compressor.wait()
            finally:
                compressor.close()
            _self_check_signatures(out, [(p, gz) for s, p, _, _, gz in files
                                         if s == "callback_lines"], token)
            entries = _entries(con, params, out)
            totals = json.loads(engine.query(con, "manifest_totals", params)[0][0])
            accounts = [
                {"account_sid": sid, "parent": bool(parent), "encrypted": bool(enc),
                 "callback_url": url}
                for sid, parent, enc, url in con.execute(
                    "SELECT account_sid, is_parent, encrypted, callback_url FROM syn_accounts "
                    "ORDER BY acct_idx").fetchall()
            ]
            progress.step(MANIFEST_NAME)
    finally:
        progress.close()

    start, end = params["t0"], params["t_end"]
    manifest = Manifest(
        parameters={
            "seed": seed, "recordings": n, "months": months, "end_date": end_date.isoformat(),
            "subaccounts": subaccounts, "callback_lines_target": callback_lines,
            "period_start": start.isoformat() + "Z", "period_end": end.isoformat() + "Z",
            "page_size": params["page_size"], "max_file_lines": max_file_lines,
            "signed_with": "demo token (reccb_analytics.synth.DEMO_AUTH_TOKEN)"
                           if auth_token is None else "supplied auth token",
        },
        accounts=accounts,
        files=entries,
        totals=totals,
    )
    manifest.write(out)
    (out / _INCOMPLETE).unlink()
    return manifest
