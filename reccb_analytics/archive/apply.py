"""``reccb archive apply``: copy every recording of an archive plan to verified files.

For each plan row: check the SIDs, build ``DEST/<AccountSid>/<RecordingSid>.<fmt>``, and

* skip it when ``archive_copies`` already records that location and the file is there with the
  recorded size and sidecar hash (resuming is cheap: nothing is fetched again);
* adopt it when the file and its sidecar are there but the store does not know them (a kill
  between rename and insert): re-verify fully, then record it, without fetching;
* otherwise stream it (``fetch.download``), verify it (``verify.verify_copy``), give it its
  final name (``fetch.commit``) and record it in ``archive_copies``.

Every outcome, with its reason when it failed, goes to ``archive_attempts`` (in small committed
batches); a kill loses at most the recordings in flight, which a rerun fetches again, and the
rows of a batch not yet written, whose copies a rerun adopts without fetching them.
Transient failures (429 with ``Retry-After``, 5xx, dropped connections, truncated bodies, a copy
that fails verification) are retried with backoff; 404, other 4xx and write errors are not;
401/403 stop the run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .. import db
from ..exceptions import ArchiveError
from . import fetch
from .auth import Credentials, basic_auth, load_credentials, media_url, secrets_of
from .plan import LoadedPlan, plan_records, read_plan
from .pool import backoff_delay, run_bounded
from .sids import FORMATS, UnsafeSidError, copy_path, printable
from .verify import VerificationError, Verified, read_sidecar, verify_copy


@dataclass(frozen=True)
class CopyOutcome:
    """What happened to one recording of the plan."""

    sid: str
    account_sid: str | None
    outcome: str  # 'archived' | 'already-archived' | 'failed' | 'refused'
    reason: str | None = None
    location: str | None = None
    bytes: int | None = None
    sha256: str | None = None
    channels: int | None = None
    http_status: int | None = None
    tries: int = 0


@dataclass
class ApplyResult:
    """Counts and failures of one ``archive apply`` run."""

    plan_hash: str
    dest: Path
    format: str
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("archived", "already-archived", "failed", "refused"), 0
        )
    )
    bytes_written: int = 0
    problems: list[CopyOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.counts["failed"] and not self.counts["refused"]

    def summary(self) -> str:
        c = self.counts
        return (
            f"archive apply: {c['archived']} archived, {c['already-archived']} already archived, "
            f"{c['failed']} failed, {c['refused']} refused; {self.bytes_written:,} bytes "
            f"written to {self.dest} as {self.format} (plan sha256 {self.plan_hash})"
        )


@dataclass(frozen=True)
class _Job:
    row: dict[str, Any]
    location: Path
    known: tuple[int, str] | None  # (bytes, sha256) when archive_copies has this location


@dataclass(frozen=True)
class _Settings:
    creds: Credentials
    fmt: str
    channels: int | None
    retries: int
    backoff: float
    timeout: tuple[float, float]
    pool_size: int
    stop: threading.Event


def apply_archive_plan(
    con: duckdb.DuckDBPyConnection,
    plan_path: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    fmt: str = "wav",
    channels: int | None = None,
    concurrency: int = 8,
    retries: int = 4,
    backoff: float = 0.5,
    timeout: tuple[float, float] = (10.0, 60.0),
    credentials: Credentials | None = None,
    progress: Callable[[CopyOutcome], None] | None = None,
) -> ApplyResult:
    """Archive every recording of the plan at ``plan_path`` under ``dest``; return the tally.

    Parameters
    ----------
    con:
        A writable store (the plan must have been made with it).
    plan_path:
        A plan written by ``reccb archive plan``; refused (``PlanTamperedError``) if changed.
    dest:
        Destination folder; copies go to ``dest/<AccountSid>/<RecordingSid>.<fmt>`` with a
        ``.sha256`` sidecar each.
    fmt, channels:
        ``wav`` or ``mp3``; ``channels`` 1 or 2 asks Twilio for a downmixed or dual file
        (``RequestedChannels``); by default the file is as recorded.
    concurrency, retries, backoff, timeout:
        Parallel downloads; retries of transient failures per recording; base backoff in
        seconds; (connect, read) timeouts.
    credentials:
        Default: from the environment (``load_credentials``).
    progress:
        Called in this thread with each recording's outcome as it completes.

    Raises ``ArchiveError`` if the destination cannot be written at all (every recording is
    then recorded as failed with the reason) and ``TwilioAuthError`` if the credentials are
    refused.
    """
    if fmt not in FORMATS:
        raise ArchiveError(f"--format must be one of {', '.join(FORMATS)}")
    if channels not in (None, 1, 2):
        raise ArchiveError("--channels must be 1 or 2")
    plan = read_plan(con, plan_path, "archive")
    creds = credentials or load_credentials()
    root = Path(dest).expanduser().resolve()
    result = ApplyResult(plan.plan_hash, root, fmt)
    stop = threading.Event()
    settings = _Settings(
        creds, fmt, channels, max(0, retries), backoff, timeout, max(1, concurrency), stop
    )

    recorder = _Recorder(con, plan)

    def record(outcome: CopyOutcome) -> None:
        recorder.add(outcome)
        result.counts[outcome.outcome] += 1
        if outcome.outcome == "archived" and outcome.bytes:
            result.bytes_written += outcome.bytes
        if outcome.outcome in ("failed", "refused"):
            result.problems.append(outcome)
        if progress is not None:
            progress(outcome)

    try:
        jobs, refused = _jobs(con, plan, root, fmt)
        for outcome in refused:
            record(outcome)
        unwritable = _probe(root)
        if unwritable:
            for job in jobs:
                record(
                    CopyOutcome(
                        job.row["sid"],
                        job.row["account_sid"],
                        "failed",
                        unwritable,
                        str(job.location),
                    )
                )
            raise ArchiveError(
                f"{unwritable}; {len(jobs)} recording(s) not archived (reasons in archive_attempts)"
            )
        todo: list[_Job] = []
        for job in jobs:
            if job.known is not None and _intact(job.location, *job.known):
                record(
                    CopyOutcome(
                        job.row["sid"],
                        job.row["account_sid"],
                        "already-archived",
                        None,
                        str(job.location),
                        job.known[0],
                        job.known[1],
                    )
                )
            else:
                todo.append(job)
        # A TwilioAuthError or Ctrl-C stops the pool; what finished is still recorded below,
        # and copies completed but not yet recorded are adopted (not fetched) by the next run.
        for outcome in run_bounded(
            todo, lambda job: _copy_one(job, settings), settings.pool_size, stop
        ):
            record(outcome)
    finally:
        recorder.flush()
    return result


def _jobs(
    con: duckdb.DuckDBPyConnection, plan: LoadedPlan, root: Path, fmt: str
) -> tuple[list[_Job], list[CopyOutcome]]:
    """Validate each row's SIDs and build its location; find copies already recorded there."""
    rows, refused, seen = [], [], set()
    for row in plan_records(plan):
        try:
            location = copy_path(root, row["account_sid"], row["sid"], fmt)
        except UnsafeSidError as exc:
            refused.append(
                CopyOutcome(printable(row["sid"]), _safe(row["account_sid"]), "refused", str(exc))
            )
            continue
        except ArchiveError as exc:  # a symlink inside dest pointing outside it
            refused.append(CopyOutcome(row["sid"], row["account_sid"], "refused", str(exc)))
            continue
        if location in seen:
            continue
        seen.add(location)
        rows.append((row, location))
    known = {
        loc: (int(size), sha)
        for loc, _sid, size, sha in db.run_sql(
            con, "archive/copies_at", {"locations": [str(loc) for _, loc in rows]}
        ).fetchall()
    }
    return [_Job(row, loc, known.get(str(loc))) for row, loc in rows], refused


def _safe(value: Any) -> str | None:
    return printable(value) if value is not None else None


def _probe(root: Path) -> str | None:
    """None when files can be created under ``root``; else the reason they cannot."""
    probe = root / f".reccb-write-test-{uuid.uuid4().hex[:8]}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"ok")
        os.unlink(probe)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(probe)
        return f"destination not writable: {root}: {exc.strerror or exc}"
    return None


def _intact(location: Path, size: int, sha256: str) -> bool:
    """Cheap resume check: the recorded file is there with its size and matching sidecar."""
    try:
        if location.stat().st_size != size:
            return False
    except OSError:
        return False
    return read_sidecar(location) == sha256


def _expected_channels(row: dict[str, Any], settings: _Settings) -> int | None:
    if settings.channels is not None:
        return settings.channels
    value = row.get("channels")
    return int(value) if value is not None else None


def _copy_one(job: _Job, settings: _Settings) -> CopyOutcome:
    """Worker: adopt an unrecorded intact copy, or download, verify and commit; with retries."""
    row, location = job.row, job.location
    sid, account = row["sid"], row["account_sid"]
    duration = row.get("duration_s")
    channels = _expected_channels(row, settings)
    adopted = _adopt(location, settings.fmt, duration, channels)
    if adopted is not None:
        return CopyOutcome(
            sid,
            account,
            "archived",
            "verified copy already on disk; not fetched",
            str(location),
            adopted.bytes,
            adopted.sha256,
            adopted.channels or channels,
        )
    fetch.remove_stale_parts(location)
    url = media_url(settings.creds, account, sid, settings.fmt)
    params = {"RequestedChannels": str(settings.channels)} if settings.channels else None
    failure: fetch.CopyFailure | None = None
    tries = 0
    for attempt in range(settings.retries + 1):
        if settings.stop.is_set():
            break
        tries += 1
        try:
            dl = fetch.download(
                url,
                basic_auth(settings.creds),
                location,
                params=params,
                timeout=settings.timeout,
                secrets=secrets_of(settings.creds),
                pool_size=settings.pool_size,
                stop=settings.stop,
            )
            try:
                verified = verify_copy(
                    dl.temp_path,
                    fmt=settings.fmt,
                    sha256=dl.sha256,
                    expected_bytes=dl.content_length,
                    duration_s=duration,
                    channels=channels,
                )
            except VerificationError as exc:
                fetch.discard(dl)
                raise fetch.CopyFailure(
                    f"verification failed: {exc.reason}", retryable=True, http_status=dl.http_status
                ) from exc
            fetch.commit(dl, location)
            return CopyOutcome(
                sid,
                account,
                "archived",
                None,
                str(location),
                verified.bytes,
                verified.sha256,
                verified.channels or channels,
                dl.http_status,
                tries,
            )
        except fetch.CopyFailure as exc:
            failure = exc
            if not exc.retryable or attempt == settings.retries:
                break
            settings.stop.wait(backoff_delay(attempt, settings.backoff, exc.retry_after))
    reason = failure.reason if failure is not None else "interrupted"
    if failure is not None and failure.retryable and tries > 1:
        reason = f"{reason} (after {tries} tries)"
    return CopyOutcome(
        sid,
        account,
        "failed",
        reason,
        str(location),
        http_status=failure.http_status if failure else None,
        tries=tries,
    )


def _adopt(location: Path, fmt: str, duration: Any, channels: int | None) -> Verified | None:
    """A complete copy with a matching sidecar that the store does not record yet, re-verified."""
    stored = read_sidecar(location)
    if stored is None or not location.exists():
        return None
    try:
        return verify_copy(location, fmt=fmt, sha256=stored, duration_s=duration, channels=channels)
    except VerificationError:
        return None  # damaged or stale: fetch it again


class _Recorder:
    """Writes outcomes to the store in small batches, each batch one transaction.

    One INSERT per recording costs a few milliseconds of this thread's time, which at high
    concurrency would cap the rate; so rows are buffered and written every ``max_rows`` rows or
    ``max_wait`` seconds, and at the end. A kill loses at most the buffered rows, whose copies
    are already complete on disk with their sidecars: the next run adopts them after re-hashing,
    without fetching them again.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        plan: LoadedPlan,
        max_rows: int = 64,
        max_wait: float = 0.5,
    ) -> None:
        self.con, self.plan = con, plan
        self.max_rows, self.max_wait = max_rows, max_wait
        self.copies: list[dict[str, Any]] = []
        self.attempts: list[dict[str, Any]] = []
        self.last = time.monotonic()

    def add(self, outcome: CopyOutcome) -> None:
        now = dt.datetime.now(dt.UTC)
        if outcome.outcome == "archived":
            self.copies.append(
                {
                    "sid": outcome.sid,
                    "account_sid": outcome.account_sid,
                    "location": outcome.location,
                    "bytes": outcome.bytes,
                    "sha256": outcome.sha256,
                    "format": Path(outcome.location or "").suffix[1:],
                    "channels": outcome.channels,
                    "plan_hash": self.plan.plan_hash,
                    "verified_at": now,
                }
            )
        self.attempts.append(
            {
                "attempted_at": now,
                "plan_hash": self.plan.plan_hash,
                "phase": "archive",
                "account_sid": outcome.account_sid,
                "sid": outcome.sid,
                "outcome": outcome.outcome,
                "reason": outcome.reason,
                "http_status": outcome.http_status,
                "location": outcome.location,
                "bytes": outcome.bytes,
            }
        )
        if len(self.attempts) >= self.max_rows or time.monotonic() - self.last >= self.max_wait:
            self.flush()

    def flush(self) -> None:
        if not self.attempts:
            return
        copies = pd.DataFrame(self.copies, columns=_COPY_COLUMNS).astype(_COPY_TYPES)
        attempts = pd.DataFrame(self.attempts, columns=_ATTEMPT_COLUMNS).astype(_ATTEMPT_TYPES)
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            if len(copies):
                con.register("copy_batch", copies)
                db.run_sql(con, "archive/upsert_copies").fetchall()
            con.register("attempt_batch", attempts)
            db.run_sql(con, "archive/insert_attempts").fetchall()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            for view in ("copy_batch", "attempt_batch"):
                with contextlib.suppress(Exception):
                    con.unregister(view)
        self.copies.clear()
        self.attempts.clear()
        self.last = time.monotonic()


_COPY_TYPES = {
    "sid": "string",
    "account_sid": "string",
    "location": "string",
    "bytes": "Int64",
    "sha256": "string",
    "format": "string",
    "channels": "Int64",
    "plan_hash": "string",
}
_COPY_COLUMNS = [*_COPY_TYPES, "verified_at"]
_ATTEMPT_TYPES = {
    "plan_hash": "string",
    "phase": "string",
    "account_sid": "string",
    "sid": "string",
    "outcome": "string",
    "reason": "string",
    "http_status": "Int64",
    "location": "string",
    "bytes": "Int64",
}
_ATTEMPT_COLUMNS = ["attempted_at", *_ATTEMPT_TYPES]
