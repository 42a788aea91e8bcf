"""Retention: which stored recordings to hold, delete, archive or keep, and what that saves."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..exceptions import ConfigError, InputError
from . import _common as c

_HOLD_SID = re.compile(r"(RE|CA)[0-9a-fA-F]{32}")

LegalHold = str | os.PathLike[str] | Iterable[str] | None
"""A path to a file of SIDs, or an iterable of SIDs; None or "" for no hold."""


def load_legal_hold(legal_hold: LegalHold) -> list[str]:
    """Return the Recording (RE…) and Call (CA…) SIDs on legal hold, sorted and de-duplicated.

    ``legal_hold`` is a path (str or PathLike) to a text file with one SID per line (blank lines
    and ``#`` comments, whole-line or trailing, are ignored), or an iterable of SIDs. ``None``
    or ``""`` means no hold. A malformed SID is an error: a hold must never be silently
    ignored. SIDs are matched exactly as written.
    """
    if legal_hold is None or legal_hold == "":
        return []
    if isinstance(legal_hold, (str, os.PathLike)):
        path = Path(legal_hold)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the legal-hold file: {exc}", path=path) from exc
        sids = []
        for number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            if not _HOLD_SID.fullmatch(text):
                raise InputError(f"{text!r} is not a Recording (RE…) or Call (CA…) SID",
                                 path=path, line=number)
            sids.append(text)
        return sorted(set(sids))
    sids = []
    for item in legal_hold:
        if not isinstance(item, str) or not _HOLD_SID.fullmatch(item.strip()):
            raise ConfigError(f"legal_hold entry {item!r} is not a Recording (RE…) or Call (CA…) "
                              "SID (RE or CA followed by 32 hex digits)")
        sids.append(item.strip())
    return sorted(set(sids))


def _policy_params(as_of: c.DateLike | None, archive_after_days: int, delete_after_days: int,
                   require_archive: bool, legal_hold: LegalHold) -> dict[str, Any]:
    as_of_d = c.today_utc() if as_of is None else c.parse_date(as_of, "as_of")
    archive = c.check_days(archive_after_days, "archive_after_days")
    delete = c.check_days(delete_after_days, "delete_after_days")
    if archive > delete:
        raise ConfigError(f"archive_after_days ({archive}) is greater than delete_after_days "
                          f"({delete}); a recording must be archived before it can be deleted")
    if not isinstance(require_archive, bool):
        raise ConfigError(f"require_archive={require_archive!r} must be True or False")
    return {"as_of": as_of_d, "archive_after": archive, "delete_after": delete,
            "require_archive": require_archive, "holds": load_legal_hold(legal_hold)}


def retention_candidates(con: duckdb.DuckDBPyConnection, as_of: c.DateLike | None,
                         archive_after_days: int, delete_after_days: int,
                         require_archive: bool = True, legal_hold: LegalHold = None,
                         rate: float | None = None,
                         config: str | Path | None = None) -> pd.DataFrame:
    """Every recording stored at Twilio on ``as_of``, with what the retention policy does to it.

    Only recordings with outcome completed, created on or before ``as_of`` and not deleted on or
    before it are listed (absent, failed and pending recordings are never candidates). Their
    age is ``as_of`` minus the UTC date of ``date_created``, in whole days. Actions, first match:

    * ``hold``: its Recording SID, or its Call SID, is on ``legal_hold`` (a file or list);
    * ``delete``: age >= ``delete_after_days`` and a verified archived copy exists (a row in
      ``archive_copies`` verified by the end of ``as_of``), or ``require_archive=False``;
    * ``archive``: age >= ``archive_after_days`` and no verified archived copy;
    * ``keep``: everything else.

    Returns
    -------
    DataFrame with ``sid, account_sid, action, reason, age_days, stored_minutes,
    monthly_saving`` plus ``verified_copy``, ordered delete, archive, hold, keep, then oldest
    first. ``stored_minutes`` = ceil(duration_s / 60); ``monthly_saving`` =
    stored_minutes x ``rate``: what removing that recording saves per month when the account
    family is above the free tier (see :func:`retention_savings` for the free-tier-aware total).
    ``rate=None`` takes ``[storage] rate`` from the config file.
    """
    params = _policy_params(as_of, archive_after_days, delete_after_days, require_archive,
                            legal_hold)
    rate_v, _, currency = c.resolve_storage(rate, None, None, config)
    df = c.query(con, "retention_candidates", {**params, "rate": rate_v})
    reasons = _reasons(params["archive_after"], params["delete_after"])
    codes = df.pop("reason_code").to_numpy()
    if len(set(reasons)) == len(reasons):
        # A categorical of 8 texts: building a million Python strings cost as much as the query.
        column = pd.Series(pd.Categorical.from_codes(codes, categories=reasons), index=df.index)
    else:
        column = pd.Series(np.asarray(reasons, dtype=object)[codes], index=df.index, dtype="str")
    df.insert(3, "reason", column)
    df.attrs.update(rate=rate_v, currency=currency, as_of=params["as_of"])
    return df


def _reasons(archive: int, delete: int) -> list[str]:
    """Reason texts, indexed by the reason_code of retention_candidates.sql."""
    return [
        "on legal hold (recording SID listed)",
        "on legal hold (call SID listed)",
        f"age >= {delete} d and a verified archived copy exists",
        f"age >= {delete} d (archive not required)",
        f"age >= {archive} d and no verified archived copy",
        f"age >= {delete} d but no verified archived copy: archive first",
        f"verified archived copy; age < {delete} d",
        f"age < {archive} d",
    ]


def retention_savings(con: duckdb.DuckDBPyConnection, as_of: c.DateLike | None,
                      archive_after_days: int, delete_after_days: int,
                      require_archive: bool = True, legal_hold: LegalHold = None,
                      rate: float | None = None, free_minutes: float | None = None,
                      currency: str | None = None,
                      config: str | Path | None = None) -> pd.DataFrame:
    """What applying the retention policy on ``as_of`` would save per month (one row).

    Definition: S = minutes stored on ``as_of`` (all accounts; the recordings that
    :func:`retention_candidates` lists), R = stored minutes of its ``delete`` and ``archive``
    candidates (the policy removes both from Twilio: archive candidates are archived, then
    deleted). Taking S as next month's average, billable before = max(0, S - free_minutes),
    billable after = max(0, S - R - free_minutes), and ``monthly_saving`` = (before - after) x
    ``rate``. ``monthly_saving_delete_only`` does the same with only the delete candidates, and
    ``monthly_saving_without_free_tier`` = R x rate (the sum of the candidates'
    ``monthly_saving``). ``rate``, ``free_minutes``, ``currency``: ``None`` = from the config file.

    Columns: ``as_of, recordings, stored_minutes, delete_recordings, delete_minutes,
    archive_recordings, archive_minutes, hold_recordings, hold_minutes, keep_recordings,
    keep_minutes, removed_minutes, stored_minutes_after, billable_minutes_before,
    billable_minutes_after, monthly_saving, monthly_saving_delete_only,
    monthly_saving_without_free_tier, currency``.
    """
    params = _policy_params(as_of, archive_after_days, delete_after_days, require_archive,
                            legal_hold)
    rate_v, free_v, currency_v = c.resolve_storage(rate, free_minutes, currency, config)
    counts = c.query(con, "retention_savings", params).iloc[0]
    stored = float(counts["stored_minutes"])
    delete = float(counts["delete_minutes"])
    removed = delete + float(counts["archive_minutes"])

    def billable(minutes: float) -> float:
        return max(0.0, minutes - free_v)

    row: dict[str, object] = {"as_of": pd.Timestamp(params["as_of"])}
    for name in ("recordings", "stored_minutes", "delete_recordings", "delete_minutes",
                 "archive_recordings", "archive_minutes", "hold_recordings", "hold_minutes",
                 "keep_recordings", "keep_minutes"):
        row[name] = int(counts[name])
    row.update(
        removed_minutes=int(removed),
        stored_minutes_after=int(stored - removed),
        billable_minutes_before=billable(stored),
        billable_minutes_after=billable(stored - removed),
        monthly_saving=(billable(stored) - billable(stored - removed)) * rate_v,
        monthly_saving_delete_only=(billable(stored) - billable(stored - delete)) * rate_v,
        monthly_saving_without_free_tier=removed * rate_v,
        currency=currency_v,
    )
    df = pd.DataFrame([row])
    df.attrs.update(rate=rate_v, free_minutes=free_v, currency=currency_v)
    return df
