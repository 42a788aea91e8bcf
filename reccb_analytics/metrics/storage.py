"""Storage: what recordings cost to keep at Twilio, month by month, and next month's forecast."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from . import _common as c

BYS = (None, "account_sid")
FORECAST_WINDOW_DAYS = 30

STORAGE_COLUMNS = ["month", "avg_stored_minutes", "billable_minutes", "storage_cost",
                   "recording_fees", "partial", "days", "currency", "twilio_billed_storage",
                   "difference"]


def storage_costs(con: duckdb.DuckDBPyConnection, start_month: c.MonthLike,
                  end_month: c.MonthLike, as_of: c.DateLike | None = None,
                  rate: float | None = 0.0005, free_minutes: float | None = 10000,
                  by: str | None = None, currency: str | None = None,
                  config: str | Path | None = None) -> pd.DataFrame:
    """Monthly stored minutes, billable minutes and storage cost, with recording fees.

    Parameters
    ----------
    start_month, end_month:
        ``"YYYY-MM"`` strings or dates (their month is used); both inclusive.
    as_of:
        The last day counted (a date, default today in UTC). Its month is averaged over the days
        up to and including ``as_of`` and flagged ``partial`` (unless ``as_of`` is that month's
        last day); later months are not listed.
    rate, free_minutes:
        Price per stored minute per month, and the free minutes per month shared by the parent
        account and all subaccounts. ``None`` takes the value from the config file
        (``reccb_analytics.config.load_settings(config)``, ``[storage]``).
    by:
        ``None`` (one row per month) or ``"account_sid"`` (one row per month and account).
    currency:
        Label for the money columns; ``None`` takes ``[storage] currency`` from the config file.
    config:
        Path of the config file read for ``None`` values (default: $RECCB_CONFIG or ./reccb.toml).

    Returns
    -------
    DataFrame with ``month, [account_sid], avg_stored_minutes, billable_minutes, storage_cost,
    recording_fees, partial`` plus ``days, currency, twilio_billed_storage, difference``.

    A recording with media (outcome completed) stores ``ceil(duration_s / 60)`` minutes on every
    UTC day from its ``date_created`` day until the day before it was deleted (deleted at: the
    ``date_updated`` of metadata whose status is ``deleted``, or the toolkit's own deletion log,
    whichever is earlier). ``avg_stored_minutes`` = sum of daily stored minutes / days counted.
    ``billable_minutes`` = max(0, family average - free_minutes), the family being every account
    in the store; with ``by="account_sid"`` billable minutes and cost are shared in proportion to
    each account's average. ``storage_cost`` = billable_minutes x rate. ``recording_fees`` = sum
    of ``abs(price)`` of recordings created (UTC) that month, up to ``as_of``.
    ``twilio_billed_storage`` = sum of Usage Records ``price`` of category ``recordingstorage``
    starting that month (NaN when there are none); ``difference`` = storage_cost - that.
    With ``by="account_sid"``, accounts with nothing stored, no fees and no usage record in a
    month are left out of that month.
    """
    start_d = c.parse_month(start_month, "start_month")
    end_d = c.parse_month(end_month, "end_month")
    c.check_range(start_d, end_d, "start_month", "end_month")
    as_of_d = c.today_utc() if as_of is None else c.parse_date(as_of, "as_of")
    c.check_choice(by, "by", BYS)
    rate_v, free_v, currency_v = c.resolve_storage(rate, free_minutes, currency, config)
    last_day = min(c.month_end(end_d), as_of_d)
    columns = STORAGE_COLUMNS[:1] + ([by] if by else []) + STORAGE_COLUMNS[1:]
    if last_day < start_d:
        return _empty(columns)
    df = c.query(con, "storage_costs", {"start": start_d, "last_day": last_day, "by": by,
                                        "free": free_v, "rate": rate_v})
    df = c.name_group(df, by)
    df["currency"] = currency_v
    df.attrs.update(rate=rate_v, free_minutes=free_v, currency=currency_v, as_of=as_of_d)
    return df[columns]


def storage_forecast(con: duckdb.DuckDBPyConnection, as_of: c.DateLike | None = None,
                     rate: float | None = 0.0005, free_minutes: float | None = 10000,
                     currency: str | None = None,
                     config: str | Path | None = None) -> pd.DataFrame:
    """Projected average stored minutes, billable minutes and cost for the month after ``as_of``.

    Method (linear trend of the last 30 days): let S(d) be the minutes stored (all accounts) on
    UTC day d, as in :func:`storage_costs`, and g = (S(as_of) - S(as_of - 30)) / 30 the average
    daily net growth over the trailing 30 days. Each day d of the next calendar month is projected
    as max(0, S(as_of) + g x (d - as_of)); the forecast average is the mean of those days.
    Billable = max(0, average - free_minutes); cost = billable x rate. ``rate``, ``free_minutes``
    and ``currency`` follow :func:`storage_costs` (``None`` = from the config file).

    Returns
    -------
    One row: ``month`` (first day of the forecast month), ``as_of``, ``stored_minutes_at_as_of``,
    ``stored_minutes_30_days_before``, ``daily_growth_minutes``, ``avg_stored_minutes``,
    ``billable_minutes``, ``storage_cost``, ``currency``, ``method``.
    """
    as_of_d = c.today_utc() if as_of is None else c.parse_date(as_of, "as_of")
    rate_v, free_v, currency_v = c.resolve_storage(rate, free_minutes, currency, config)
    base = as_of_d - dt.timedelta(days=FORECAST_WINDOW_DAYS)
    inputs = c.query(con, "storage_forecast", {"as_of": as_of_d, "base_day": base})
    now = float(inputs["stored_at_as_of"].iloc[0])
    before = float(inputs["stored_at_base"].iloc[0])
    growth = (now - before) / FORECAST_WINDOW_DAYS
    first = c.next_month(as_of_d)
    last = c.month_end(first)
    offsets = range((first - as_of_d).days, (last - as_of_d).days + 1)
    projected = [max(0.0, now + growth * k) for k in offsets]
    average = sum(projected) / len(projected)
    billable = max(0.0, average - free_v)
    row = {
        "month": pd.Timestamp(first),
        "as_of": pd.Timestamp(as_of_d),
        "stored_minutes_at_as_of": now,
        "stored_minutes_30_days_before": before,
        "daily_growth_minutes": growth,
        "avg_stored_minutes": average,
        "billable_minutes": billable,
        "storage_cost": billable * rate_v,
        "currency": currency_v,
        "method": f"stored minutes on {as_of_d} plus the average daily net growth of the "
                  f"{FORECAST_WINDOW_DAYS} days before, projected over {first:%Y-%m}",
    }
    df = pd.DataFrame([row])
    df.attrs.update(rate=rate_v, free_minutes=free_v, currency=currency_v)
    return df


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
