"""Plan files: which recordings to archive or delete, written once, hashed, and checked on apply.

A plan is a CSV or Parquet file (chosen by the ``--out`` suffix) written by DuckDB ``COPY``.
Its content hash (SHA-256 of the file's bytes) is printed and stored in ``archive_plans``; an
apply re-hashes the very bytes it parses and refuses a file that no longer matches a plan made
with the same store (``PlanTamperedError``). The plan holds SIDs and policy facts only: no URL,
no credential. Rows whose SIDs do not match Twilio's patterns never enter a plan; they are
recorded in ``archive_attempts`` as refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .. import db
from ..config import Settings, load_settings
from ..exceptions import ArchiveError, ConfigError, PlanTamperedError
from .sids import is_account_sid, is_recording_sid, printable

KINDS = ("archive", "delete")
ARCHIVE_COLUMNS = {
    "sid": "VARCHAR",
    "account_sid": "VARCHAR",
    "action": "VARCHAR",
    "reason": "VARCHAR",
    "age_days": "INTEGER",
    "duration_s": "INTEGER",
    "channels": "INTEGER",
    "stored_minutes": "BIGINT",
    "monthly_saving": "DOUBLE",
}
DELETE_COLUMNS = {
    **ARCHIVE_COLUMNS,
    "location": "VARCHAR",
    "bytes": "BIGINT",
    "sha256": "VARCHAR",
    "format": "VARCHAR",
}


@dataclass(frozen=True)
class Policy:
    """The retention policy a plan was made with."""

    as_of: dt.date
    archive_after_days: int
    delete_after_days: int
    legal_hold: str | None = None
    config: str | None = None  # the config file the rate comes from (None: the default)


@dataclass(frozen=True)
class PlanResult:
    """A plan file written and registered."""

    kind: str
    path: Path
    plan_hash: str
    format: str
    recordings: int
    stored_minutes: int
    monthly_saving: float
    refused: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def summary(self) -> str:
        verb = "archive" if self.kind == "archive" else "delete"
        text = (
            f"{self.kind} plan: {self.recordings} recording(s) to {verb}, "
            f"{self.stored_minutes} stored minute(s), monthly saving {self.monthly_saving:.4f} "
            f"-> {self.path} (sha256 {self.plan_hash})"
        )
        if self.refused:
            text += f"; {len(self.refused)} refused (malformed SID, see archive_attempts)"
        return text


@dataclass(frozen=True)
class LoadedPlan:
    """A plan file read back after its hash was checked."""

    kind: str
    path: Path
    plan_hash: str
    rows: pd.DataFrame
    legal_hold: str | None = None  # the hold file the plan was made with


def resolve_policy(
    kind: str,
    *,
    as_of: dt.date | str | None = None,
    archive_after: int | None = None,
    delete_after: int | None = None,
    legal_hold: str | os.PathLike[str] | None = None,
    settings: Settings | None = None,
) -> Policy:
    """Merge command-line policy options with the config file's ``[retention]`` section.

    Options win over the config. An archive plan needs ``archive_after`` and a delete plan
    ``delete_after``; the other one defaults to the same number when neither gives it.
    A relative ``legal_hold`` from the config is relative to the config file's folder.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    settings = settings or load_settings()
    retention = settings.retention
    archive_after = archive_after if archive_after is not None else retention.archive_after_days
    delete_after = delete_after if delete_after is not None else retention.delete_after_days
    if kind == "archive" and archive_after is None:
        raise ConfigError(
            "give --archive-after DAYS or set [retention] archive_after_days in the config"
        )
    if kind == "delete" and delete_after is None:
        raise ConfigError(
            "give --delete-after DAYS or set [retention] delete_after_days in the config"
        )
    archive_after = archive_after if archive_after is not None else delete_after
    delete_after = delete_after if delete_after is not None else archive_after
    assert archive_after is not None and delete_after is not None
    for name, value in (("archive_after_days", archive_after), ("delete_after_days", delete_after)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{name} must be a whole number of days >= 0, got {value!r}")
    hold = resolve_legal_hold(legal_hold, settings)
    if as_of is None:
        day = dt.datetime.now(dt.UTC).date()
    elif isinstance(as_of, dt.datetime):
        day = as_of.date()
    elif isinstance(as_of, dt.date):
        day = as_of
    else:
        try:
            day = dt.date.fromisoformat(str(as_of))
        except ValueError as exc:
            raise ConfigError(f"--as-of must be a date YYYY-MM-DD, got {as_of!r}") from exc
    return Policy(
        day, archive_after, delete_after, hold, str(settings.source) if settings.source else None
    )


def resolve_legal_hold(
    legal_hold: str | os.PathLike[str] | None, settings: Settings | None = None
) -> str | None:
    """The legal hold file to use: the option, else the config's ``[retention] legal_hold``
    (relative to the config file's folder); absolute, and checked to exist."""
    settings = settings or load_settings()
    hold: str | None = None
    if legal_hold is not None:
        hold = str(Path(legal_hold).expanduser().resolve())
    elif settings.retention.legal_hold:
        base = settings.source.parent if settings.source else Path.cwd()
        hold = str((base / Path(settings.retention.legal_hold).expanduser()).resolve())
    if hold is not None and not Path(hold).is_file():
        raise ConfigError(f"legal hold file not found: {hold}")
    return hold


def plan_format(path: str | os.PathLike[str]) -> str:
    """``csv`` or ``parquet``, from the file name's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise ConfigError(f"plan file {path} must end in .csv or .parquet")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _candidates(con: duckdb.DuckDBPyConnection, policy: Policy) -> pd.DataFrame:
    # Imported here: the metrics package is a sibling feature, and plans are its only use here.
    from ..metrics import retention_candidates

    return retention_candidates(
        con,
        as_of=policy.as_of,
        archive_after_days=policy.archive_after_days,
        delete_after_days=policy.delete_after_days,
        require_archive=True,
        legal_hold=policy.legal_hold,
        config=policy.config,
    )


def split_unsafe(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str, str | None]]]:
    """Separate rows whose SIDs are malformed: (safe rows, [(sid, reason, account_sid)])."""
    good = pd.Series(
        [
            is_recording_sid(s) and is_account_sid(a)
            for s, a in zip(frame["sid"], frame["account_sid"], strict=True)
        ],
        index=frame.index,
        dtype=bool,
    )
    refused = []
    for sid, account in frame.loc[~good, ["sid", "account_sid"]].itertuples(index=False):
        which = "recording SID" if not is_recording_sid(sid) else "account SID"
        refused.append(
            (
                printable(sid),
                f"refused: malformed {which}; no path or request is built from it",
                printable(account) if account is not None else None,
            )
        )
    return frame.loc[good].reset_index(drop=True), refused


def build_plan(
    con: duckdb.DuckDBPyConnection, kind: str, policy: Policy, out: str | os.PathLike[str]
) -> PlanResult:
    """Write the ``kind`` ('archive' or 'delete') candidates of ``retention_candidates`` to ``out``.

    The file is written to a temp name and renamed, hashed, and registered in ``archive_plans``.
    A delete plan row also names the verified copy it relies on (location, bytes, sha256).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    out_path = Path(out).expanduser().resolve()
    fmt = plan_format(out_path)
    candidates = _candidates(con, policy)
    chosen = candidates.loc[
        candidates["action"] == kind,
        ["sid", "account_sid", "action", "reason", "age_days", "stored_minutes", "monthly_saving"],
    ]
    safe, refused = split_unsafe(chosen)
    con.register("plan_candidates", safe)
    try:
        rows = db.run_sql(con, "archive/plan_rows", {"action": kind}).df()
        if kind == "delete":
            con.register("delete_plan_base", rows)
            try:
                rows = db.run_sql(con, "archive/delete_plan_rows").df()
            finally:
                con.unregister("delete_plan_base")
    finally:
        con.unregister("plan_candidates")
    _write(con, rows, DELETE_COLUMNS if kind == "delete" else ARCHIVE_COLUMNS, out_path, fmt)
    plan_hash = file_sha256(out_path)
    minutes = int(rows["stored_minutes"].fillna(0).sum()) if len(rows) else 0
    saving = float(rows["monthly_saving"].fillna(0).sum()) if len(rows) else 0.0
    db.run_sql(
        con,
        "archive/insert_plan",
        {
            "plan_hash": plan_hash,
            "kind": kind,
            "path": str(out_path),
            "format": fmt,
            "recordings": len(rows),
            "stored_minutes": minutes,
            "monthly_saving": saving,
            "as_of": policy.as_of,
            "archive_after_days": policy.archive_after_days,
            "delete_after_days": policy.delete_after_days,
            "legal_hold": policy.legal_hold,
        },
    ).fetchall()
    for sid, reason, account in refused:
        db.run_sql(
            con,
            "archive/insert_attempt",
            {
                "plan_hash": plan_hash,
                "phase": "plan",
                "account_sid": account,
                "sid": sid,
                "outcome": "refused",
                "reason": reason,
                "http_status": None,
                "location": None,
                "bytes": None,
            },
        ).fetchall()
    return PlanResult(
        kind,
        out_path,
        plan_hash,
        fmt,
        len(rows),
        minutes,
        saving,
        tuple((sid, reason) for sid, reason, _ in refused),
    )


def _write(
    con: duckdb.DuckDBPyConnection,
    rows: pd.DataFrame,
    columns: dict[str, str],
    out_path: Path,
    fmt: str,
) -> None:
    """COPY the rows, typed as ``columns``, to a temp file next to ``out_path``, then rename."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    for name in columns:
        if name not in rows.columns:
            rows[name] = None
    # Identifiers come from the fixed column dicts above, never from data.
    select = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in columns.items())
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
    fd, temp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".part", dir=out_path.parent)
    os.close(fd)
    con.register("plan_rows_out", rows)
    try:
        con.execute(
            f"COPY (SELECT {select} FROM plan_rows_out) TO $path ({options})", {"path": temp}
        ).fetchall()
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, out_path)
    finally:
        con.unregister("plan_rows_out")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def read_plan(
    con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], kind: str
) -> LoadedPlan:
    """Read a plan file back, refusing it unless its bytes hash to a plan of ``kind`` in the store.

    The file is copied while being hashed and the copy is what gets parsed, so the rows used are
    exactly the bytes that were checked, even if the file changes meanwhile.
    """
    plan_path = Path(path).expanduser().resolve()
    if not plan_path.is_file():
        raise ArchiveError(f"plan file not found: {plan_path}")
    with tempfile.TemporaryDirectory(prefix="reccb-plan-") as folder:
        copy = Path(folder) / ("plan.parquet" if _is_parquet(plan_path) else "plan.csv")
        digest = hashlib.sha256()
        with open(plan_path, "rb") as src, open(copy, "wb") as dst:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                dst.write(chunk)
        plan_hash = digest.hexdigest()
        found = db.run_sql(
            con, "archive/find_plan", {"plan_hash": plan_hash, "path": str(plan_path)}
        ).fetchall()
        if not found:
            raise PlanTamperedError(
                f"{plan_path} (sha256 {plan_hash}) is not a plan made by `reccb {kind} plan` with "
                f"this store; make one with `reccb {kind} plan ... --out {plan_path.name}`"
            )
        stored_hash, stored_kind, _stored_path, _n, created_at, exact, hold = found[0]
        if not exact:
            raise PlanTamperedError(
                f"{plan_path} was changed after it was made: its sha256 is {plan_hash}, the plan "
                f"written there at {created_at} had {stored_hash}; refusing to apply it. Make a "
                f"new plan with `reccb {kind} plan`"
            )
        if stored_kind != kind:
            raise ArchiveError(f"{plan_path} is a {stored_kind} plan, not a {kind} plan")
        rows = _parse(con, copy, DELETE_COLUMNS if kind == "delete" else ARCHIVE_COLUMNS)
    return LoadedPlan(kind, plan_path, plan_hash, rows, hold)


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PAR1"


def _parse(con: duckdb.DuckDBPyConnection, copy: Path, columns: dict[str, str]) -> pd.DataFrame:
    try:
        if copy.suffix == ".parquet":
            frame = con.execute("SELECT * FROM read_parquet($path)", {"path": str(copy)}).df()
        else:
            frame = con.execute(
                "SELECT * FROM read_csv($path, header = true, columns = $columns, "
                "auto_detect = false)",
                {"path": str(copy), "columns": columns},
            ).df()
    except duckdb.Error as exc:
        raise ArchiveError(f"plan file cannot be read: {exc}") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ArchiveError(f"plan file lacks column(s): {', '.join(missing)}")
    return frame[list(columns)]


def plan_records(plan: LoadedPlan) -> list[dict[str, Any]]:
    """The plan's rows as dicts with plain Python values (None for missing)."""
    frame = plan.rows.astype(object).where(plan.rows.notna(), None)
    return frame.to_dict("records")  # type: ignore[return-value]
