"""Where things are: the database path, the config file, and the settings read from it.

Resolution order for the database: an explicit path (``--db``), then ``RECCB_DB``, then
``data/reccb.duckdb`` under the working directory.

The config file (TOML; ``--config PATH``, else ``RECCB_CONFIG``, else ``reccb.toml`` in the
working directory when present) holds what varies by contract and policy, never credentials::

    [storage]
    rate = 0.0005          # price per stored minute per month
    free_minutes = 10000   # free tier, shared by the parent account and all subaccounts
    currency = "USD"

    [retention]
    archive_after_days = 30
    delete_after_days = 90
    legal_hold = "holds.txt"   # file of RE/CA SIDs, one per line
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .exceptions import ConfigError

DEFAULT_DB = Path("data") / "reccb.duckdb"


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the absolute database path: explicit, else ``$RECCB_DB``, else ``data/reccb.duckdb``."""
    chosen = path or os.environ.get("RECCB_DB") or DEFAULT_DB
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class StorageSettings:
    rate: float = 0.0005
    free_minutes: float = 10000
    currency: str = "USD"


@dataclass(frozen=True)
class RetentionSettings:
    archive_after_days: int | None = None
    delete_after_days: int | None = None
    legal_hold: str | None = None


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = field(default_factory=StorageSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    source: Path | None = None


def _section(data: dict[str, Any], name: str, cls: type, path: Path) -> Any:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    allowed = set(cls.__dataclass_fields__)
    unknown = set(raw) - allowed
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [{name}]: {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    try:
        return cls(**raw)
    except TypeError as exc:  # pragma: no cover - dataclass init errors are rare here
        raise ConfigError(f"{path}: [{name}]: {exc}") from exc


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read the config file (see module docstring); defaults when there is none."""
    explicit = path or os.environ.get("RECCB_CONFIG")
    candidate = Path(explicit) if explicit else Path("reccb.toml")
    if not candidate.exists():
        if explicit:
            raise ConfigError(f"config file not found: {candidate}")
        return Settings()
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{candidate}: not valid TOML: {exc}") from exc
    storage = _section(data, "storage", StorageSettings, candidate)
    retention = _section(data, "retention", RetentionSettings, candidate)
    for key in ("rate", "free_minutes"):
        value = getattr(storage, key)
        if not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{candidate}: [storage] {key} must be a non-negative number")
    return Settings(storage=storage, retention=retention, source=candidate.resolve())
