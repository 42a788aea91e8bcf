"""``reccb delete plan`` / ``reccb delete apply``: delete only what has a verified copy, audited.

Deleting is the one irreversible step, so ``apply`` is a dry run unless ``execute=True``, and
even then each recording is deleted only when:

* the plan file's bytes hash to the plan made with this store (else ``PlanTamperedError``);
* it is not on legal hold now: the plan's hold file is read again, with the current one;
* its SIDs match Twilio's patterns;
* ``archive_copies`` still records the copy the plan names (same location and hash), and the
  file is on disk with the recorded size and its ``.sha256`` sidecar holds the recorded hash
  (with ``reverify``, also: the file re-hashes to it and its WAV header still parses).

Deletion goes through the twilio SDK (``accounts(AC).recordings(RE).delete_with_http_info()``).
Every attempt made with ``execute=True`` is a row in ``deletion_audit``: ``deleted`` (204),
``already-deleted`` (404: gone already, storage no longer billed), ``refused`` (a check failed)
or ``failed`` (HTTP errors after retries). Recordings already audited as deleted are skipped, so
a rerun after a kill completes the plan without calling Twilio twice. A dry run opens nothing for
writing and needs no credentials.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import requests

from .. import db
from ..exceptions import ArchiveError, TwilioAuthError
from .auth import Credentials, load_credentials, secrets_of, twilio_client
from .fetch import scrub
from .plan import LoadedPlan, PlanResult, Policy, build_plan, plan_records, read_plan
from .pool import backoff_delay, run_bounded
from .sids import UnsafeSidError, check_sids, printable
from .verify import VerificationError, read_sidecar, verify_copy

AUDITED = ("deleted", "already-deleted", "refused", "failed")


@dataclass(frozen=True)
class DeleteOutcome:
    """What happened (or would happen, in a dry run) to one recording of a delete plan."""

    sid: str
    account_sid: str | None
    outcome: str  # deleted | already-deleted | refused | failed | would-delete | skipped
    reason: str | None = None
    http_status: int | None = None
    location: str | None = None
    stored_minutes: int | None = None
    drop_copy: bool = False  # the copy exists but no longer matches: forget it
    fatal: bool = False  # credentials refused: stop after recording this one


@dataclass
class DeleteResult:
    """Counts of one ``delete apply`` run."""

    plan_hash: str
    execute: bool
    counts: dict[str, int] = field(default_factory=dict)
    minutes: int = 0
    problems: list[DeleteOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        c = self.counts
        if not self.execute:
            return (
                f"delete apply (dry run, nothing changed): {c.get('would-delete', 0)} would be "
                f"deleted ({self.minutes} stored minutes), {c.get('refused', 0)} would be refused, "
                f"{c.get('skipped', 0)} already deleted; rerun with --execute to delete "
                f"(plan sha256 {self.plan_hash})"
            )
        return (
            f"delete apply: {c.get('deleted', 0)} deleted ({self.minutes} stored minutes), "
            f"{c.get('already-deleted', 0)} already deleted at Twilio, "
            f"{c.get('refused', 0)} refused, "
            f"{c.get('failed', 0)} failed, {c.get('skipped', 0)} skipped (deleted by an earlier "
            f"run) (plan sha256 {self.plan_hash})"
        )


def build_delete_plan(
    con: duckdb.DuckDBPyConnection, policy: Policy, out: str | os.PathLike[str]
) -> PlanResult:
    """Write the ``delete`` candidates (verified copy, age reached, no hold) to a plan file."""
    return build_plan(con, "delete", policy, out)


@dataclass(frozen=True)
class _Check:
    row: dict[str, Any]
    copy: tuple[int, str, str] | None  # (bytes, sha256, format) recorded for the plan's location


def apply_delete_plan(
    con: duckdb.DuckDBPyConnection,
    plan_path: str | os.PathLike[str],
    *,
    execute: bool = False,
    reverify: bool = False,
    concurrency: int = 4,
    retries: int = 4,
    backoff: float = 0.5,
    legal_hold: str | os.PathLike[str] | None = None,
    credentials: Credentials | None = None,
    progress: Callable[[DeleteOutcome], None] | None = None,
) -> DeleteResult:
    """Delete (``execute=True``) or show what would be deleted (default) for a delete plan.

    ``con`` may be read-only for a dry run; with ``execute=True`` it must be writable. With
    ``reverify`` every copy is re-hashed and its WAV header re-parsed, not just checked for
    existence and size. Legal holds are checked again now: the hold file the plan was made
    with (as it reads today) and ``legal_hold`` (e.g. the config's current one); a recording
    held since the plan was made is refused. ``progress`` is called in this thread with each
    outcome. Raises ``PlanTamperedError`` for a changed plan, ``ArchiveError`` when the plan's
    hold file has disappeared, and ``TwilioAuthError`` if credentials are refused (after
    auditing the refused call).
    """
    plan = read_plan(con, plan_path, "delete")
    held = _current_holds(con, plan, legal_hold)
    creds = (credentials or load_credentials()) if execute else None
    result = DeleteResult(plan.plan_hash, execute)
    rows = plan_records(plan)
    gone = {
        sid
        for (sid,) in db.run_sql(
            con, "archive/deleted_sids", {"sids": [str(r["sid"]) for r in rows]}
        ).fetchall()
    }
    copies = {
        (sid, loc): (int(size), sha, fmt)
        for sid, loc, size, sha, fmt in db.run_sql(
            con, "archive/copy_for_delete", {"sids": [str(r["sid"]) for r in rows]}
        ).fetchall()
    }
    stop = threading.Event()
    local = threading.local()

    def record(outcome: DeleteOutcome) -> None:
        if execute and outcome.outcome in AUDITED:
            _audit(con, plan, outcome, creds)
        if execute and outcome.drop_copy:
            db.run_sql(
                con, "archive/drop_copy", {"sid": outcome.sid, "location": outcome.location}
            ).fetchall()
        result.counts[outcome.outcome] = result.counts.get(outcome.outcome, 0) + 1
        if outcome.outcome in ("deleted", "would-delete"):
            result.minutes += int(outcome.stored_minutes or 0)
        if outcome.outcome in ("refused", "failed"):
            result.problems.append(outcome)
        if progress is not None:
            progress(outcome)

    checks = []
    for row in rows:
        if row["sid"] in gone:
            record(
                DeleteOutcome(
                    row["sid"],
                    row["account_sid"],
                    "skipped",
                    "already deleted by an earlier run",
                    location=row["location"],
                )
            )
            continue
        if row["sid"] in held:
            record(_outcome(row, "refused", f"on legal hold ({held[row['sid']]})"))
            continue
        checks.append(_Check(row, copies.get((row["sid"], row["location"]))))

    def worker(check: _Check) -> DeleteOutcome:
        refusal = _refusal(check, reverify)
        if refusal is not None:
            return refusal
        if not execute:
            return _outcome(check.row, "would-delete")
        if not hasattr(local, "client"):
            assert creds is not None
            local.client = twilio_client(creds)
        return _delete_one(local.client, check.row, retries, backoff, stop, creds)

    # Checks only read files: a dry run runs them in parallel too.
    for outcome in run_bounded(checks, worker, concurrency, stop):
        record(outcome)
        if outcome.fatal:
            raise TwilioAuthError(
                f"{outcome.reason}; stopped (audit row written for {outcome.sid})"
            )
    return result


def _current_holds(
    con: duckdb.DuckDBPyConnection, plan: LoadedPlan, extra: str | os.PathLike[str] | None
) -> dict[str, str]:
    """{recording SID: why} for the plan's recordings on legal hold as of now."""
    from ..metrics.retention import load_legal_hold

    files = [str(extra)] if extra else []
    if plan.legal_hold:
        if not Path(plan.legal_hold).is_file():
            raise ArchiveError(
                f"the legal hold file this plan was made with, {plan.legal_hold}, is gone; "
                "restore it (or make a new plan) before deleting"
            )
        files.append(plan.legal_hold)
    holds: dict[str, str] = {}
    for name in dict.fromkeys(files):
        for sid in load_legal_hold(name):
            holds.setdefault(sid, f"listed in {name}")
    if not holds:
        return {}
    sids = [str(r) for r in plan.rows["sid"]]
    calls = dict(db.run_sql(con, "archive/call_sids", {"sids": sids}).fetchall())
    held = {}
    for sid in sids:
        why = holds.get(sid) or holds.get(calls.get(sid, ""))
        if why:
            held[sid] = why + ("" if sid in holds else f" by its call {calls[sid]}")
    return held


def _outcome(
    row: dict[str, Any], outcome: str, reason: str | None = None, **extra: Any
) -> DeleteOutcome:
    return DeleteOutcome(
        row["sid"],
        row["account_sid"],
        outcome,
        reason,
        location=row.get("location"),
        stored_minutes=row.get("stored_minutes"),
        **extra,
    )


def _refusal(check: _Check, reverify: bool) -> DeleteOutcome | None:
    """None when the recording may be deleted; else a 'refused' outcome with the reason."""
    row = check.row
    try:
        check_sids(row["sid"], row["account_sid"])
    except UnsafeSidError as exc:
        return DeleteOutcome(
            printable(row["sid"]), printable(row["account_sid"]), "refused", str(exc)
        )
    if check.copy is None:
        return _outcome(row, "refused", f"no verified copy recorded at {row['location']}")
    size, sha, fmt = check.copy
    if sha != row["sha256"] or size != row["bytes"]:
        return _outcome(
            row, "refused", "the recorded copy changed since the plan was made; make a new plan"
        )
    location = Path(str(row["location"]))
    try:
        actual = location.stat().st_size
    except OSError as exc:
        return _outcome(row, "refused", f"copy missing: {location} ({exc.strerror or exc})")
    if actual != size:
        return _outcome(
            row, "refused", f"copy size is {actual} bytes, {size} were verified", drop_copy=True
        )
    # The sidecar is tiny: check it always, so a copy replaced by other bytes of the same size
    # along with its sidecar is caught even without --reverify.
    if read_sidecar(location) != sha:
        return _outcome(
            row, "refused", f"sidecar {location.name}.sha256 missing or not the verified hash"
        )
    if reverify:
        try:
            verify_copy(
                location, fmt=fmt, sha256=sha, expected_bytes=size, duration_s=row.get("duration_s")
            )
        except VerificationError as exc:
            return _outcome(
                row, "refused", f"copy failed re-verification: {exc.reason}", drop_copy=True
            )
    return None


def _delete_one(
    client: Any,
    row: dict[str, Any],
    retries: int,
    backoff: float,
    stop: threading.Event,
    creds: Credentials | None,
) -> DeleteOutcome:
    """Delete one recording through the SDK, retrying 429, 5xx and dropped connections."""
    from twilio.base.exceptions import TwilioRestException

    secrets = secrets_of(creds) if creds else ()
    last: DeleteOutcome | None = None
    for attempt in range(retries + 1):
        if stop.is_set():
            return _outcome(row, "failed", "interrupted before the delete was sent")
        retry_after = None
        try:
            response = (
                client.api.v2010.accounts(row["account_sid"])
                .recordings(row["sid"])
                .delete_with_http_info()
            )
            status = int(getattr(response, "status_code", 204) or 204)
            return _outcome(row, "deleted", f"HTTP {status}", http_status=status)
        except TwilioRestException as exc:
            text = scrub(f"HTTP {exc.status}, Twilio code {exc.code}: {exc.msg}", secrets)[:300]
            if exc.status == 404:
                return _outcome(row, "already-deleted", text, http_status=404)
            if exc.status in (401, 403):
                return _outcome(
                    row,
                    "failed",
                    f"credentials refused ({text})",
                    http_status=exc.status,
                    fatal=True,
                )
            last = _outcome(row, "failed", text, http_status=exc.status)
            if exc.status != 429 and exc.status < 500:
                return last
            headers = getattr(exc, "headers", None) or {}
            retry_after = _seconds(headers.get("Retry-After") if hasattr(headers, "get") else None)
        except requests.RequestException as exc:
            last = _outcome(row, "failed", f"connection failed: {type(exc).__name__}")
        if attempt < retries:
            stop.wait(backoff_delay(attempt, backoff, retry_after))
    assert last is not None
    if retries:
        last = DeleteOutcome(
            **{**last.__dict__, "reason": f"{last.reason} (after {retries + 1} tries)"}
        )
    return last


def _seconds(value: Any) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _audit(
    con: duckdb.DuckDBPyConnection,
    plan: LoadedPlan,
    outcome: DeleteOutcome,
    creds: Credentials | None,
) -> None:
    """One committed ``deletion_audit`` row; the response text is scrubbed of secrets."""
    text = outcome.reason or ""
    if creds is not None:
        text = scrub(text, secrets_of(creds))
    db.run_sql(
        con,
        "archive/insert_audit",
        {
            "plan_hash": plan.plan_hash,
            "account_sid": outcome.account_sid,
            "sid": outcome.sid,
            "outcome": outcome.outcome,
            "http_status": outcome.http_status,
            "response": text[:500],
        },
    ).fetchall()
