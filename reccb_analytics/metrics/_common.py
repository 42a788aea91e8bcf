"""Shared plumbing of the metrics: parameter checks, SQL loading, settings, the reference table.

Every public metric validates its parameters here first, so a bad ``freq``, ``by``, time zone or
date raises ``ConfigError`` with a message saying what is accepted, never a DuckDB traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .. import db
from ..config import Settings, load_settings
from ..exceptions import ConfigError, DatabaseError, InputError

DateLike = dt.date | str
"""A date (or datetime, or pandas Timestamp: its calendar date is used) or a "YYYY-MM-DD" string."""

MonthLike = dt.date | str
"""A date (its month is used) or a "YYYY-MM" (or "YYYY-MM-DD") string."""

_INCLUDE = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


# --- parameters ---------------------------------------------------------------------------

def parse_date(value: Any, name: str) -> dt.date:
    """Return ``value`` as a date; ConfigError unless it is a date/datetime or "YYYY-MM-DD"."""
    if isinstance(value, dt.datetime):  # includes pandas.Timestamp
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{name}={value!r} is not a date; give a date or a 'YYYY-MM-DD' string")


def parse_month(value: Any, name: str) -> dt.date:
    """Return the first day of the month ``value`` names ("YYYY-MM", "YYYY-MM-DD" or a date)."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}\s*", value):
        try:
            return dt.date.fromisoformat(value.strip() + "-01")
        except ValueError:
            pass
    elif isinstance(value, (dt.date, str)):
        try:
            return parse_date(value, name).replace(day=1)
        except ConfigError:
            pass
    raise ConfigError(f"{name}={value!r} is not a month; give 'YYYY-MM' or a date")


def check_range(start: dt.date, end: dt.date, start_name: str = "start",
                end_name: str = "end") -> None:
    if end < start:
        raise ConfigError(f"{end_name} ({end}) is before {start_name} ({start}); "
                          f"{start_name} is inclusive and {end_name} exclusive")


def check_choice(value: Any, name: str, allowed: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``; ConfigError listing them otherwise."""
    if value not in allowed:
        shown = ", ".join("None" if a is None else repr(a) for a in allowed)
        raise ConfigError(f"{name}={value!r} is not supported; choose one of: {shown}")
    return value


def check_tz(con: duckdb.DuckDBPyConnection, tz: Any) -> str:
    """Return ``tz`` if DuckDB knows it as a time zone name (e.g. 'UTC', 'America/New_York')."""
    if not isinstance(tz, str) or not tz.strip():
        raise ConfigError(f"tz={tz!r} is not a time zone name; give e.g. 'UTC' or 'Europe/Paris'")
    try:
        con.execute("SELECT timezone($tz, TIMESTAMPTZ '2000-01-01 00:00:00+00')",
                    {"tz": tz}).fetchall()
    except duckdb.Error as exc:
        raise ConfigError(f"tz={tz!r} is not a known time zone; give an IANA name such as "
                          "'UTC' or 'America/New_York'") from exc
    return tz


def check_non_negative(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{name}={value!r} must be a non-negative number")
    return float(value)


def check_days(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name}={value!r} must be a whole number of days, 0 or more")
    return value


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def month_end(first_day: dt.date) -> dt.date:
    """The last day of the month starting at ``first_day``."""
    return next_month(first_day) - dt.timedelta(days=1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after the one holding ``day``."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


# --- settings -----------------------------------------------------------------------------

def resolve_storage(rate: float | None, free_minutes: float | None, currency: str | None,
                    config: str | Path | None) -> tuple[float, float, str]:
    """Explicit values win; ``None`` takes the value from the config file (load_settings)."""
    settings: Settings | None = None
    if rate is None or free_minutes is None or currency is None:
        settings = load_settings(config)
    if rate is None:
        assert settings is not None
        rate = settings.storage.rate
    if free_minutes is None:
        assert settings is not None
        free_minutes = settings.storage.free_minutes
    if currency is None:
        assert settings is not None
        currency = settings.storage.currency
    if not isinstance(currency, str) or not currency:
        raise ConfigError(f"currency={currency!r} must be a currency code such as 'USD'")
    return (check_non_negative(rate, "rate"), check_non_negative(free_minutes, "free_minutes"),
            currency)


# --- SQL ----------------------------------------------------------------------------------

@cache
def metrics_sql(name: str) -> str:
    """Text of ``sql/metrics/<name>.sql`` with each ``{{fragment}}`` replaced by that file's text.

    Only packaged SQL files are spliced here; values are always bound parameters.
    """
    return _expand(name, ())


def _expand(name: str, stack: tuple[str, ...]) -> str:
    if name in stack:
        raise ValueError(f"SQL include cycle: {' -> '.join(stack + (name,))}")
    text = db.sql_text(f"metrics/{name}").strip().rstrip(";")
    return _INCLUDE.sub(lambda m: "\n" + _expand(m.group(1), stack + (name,)) + "\n", text)


def query(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run a metrics query with the parameters it names and return the result as a DataFrame."""
    sql = metrics_sql(name)
    wanted = set(_PARAM.findall(sql))
    missing = wanted - set(params)
    if missing:  # a bug in this package, not a user error
        raise KeyError(f"metrics/{name}.sql needs parameters {sorted(missing)}")
    try:
        return con.execute(sql, {k: v for k, v in params.items() if k in wanted}).df()
    except duckdb.CatalogException as exc:
        raise DatabaseError(
            f"this store lacks a table the metrics need ({exc}); open it with "
            "reccb_analytics.connect() or db.open_database() so its schema is migrated"
        ) from exc


# --- reference table ----------------------------------------------------------------------

@contextmanager
def error_codes_csv() -> Iterator[Path]:
    """Path of the shipped error-code table (wheel: package data; editable install: <repo>/data)."""
    packaged = resources.files("reccb_analytics") / "data" / "twilio_error_codes.csv"
    if packaged.is_file():
        with resources.as_file(packaged) as path:
            yield Path(path)
        return
    repo_copy = Path(__file__).resolve().parents[2] / "data" / "twilio_error_codes.csv"
    if not repo_copy.is_file():
        raise InputError("the Twilio error-code reference table is missing from this install",
                         path=repo_copy)
    yield repo_copy


def name_group(df: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Rename the SQL's generic ``grp`` column to ``by`` (drop it when ``by`` is None).

    ``channels`` travels through SQL as text (one CASE serves every grouping) and is turned back
    into a nullable integer here.
    """
    if by is None:
        return df.drop(columns=["grp"])
    df = df.rename(columns={"grp": by})
    if by == "channels":
        df[by] = pd.to_numeric(df[by]).astype("Int64")
    return df
