"""What the report notebooks' setup cells use: the store, the settings, and readable output.

Notebooks stay thin (parameters, one setup cell, one library call per section); the small
decisions every report shares live here so they are the same in every report and testable:

* ``open_report_db("")`` opens ``$RECCB_DB`` when set (``reccb lab`` sets it), else the bundled
  sample store; any other value is a path. Always read-only.
* ``storage_settings`` / ``retention_policy`` merge notebook parameters over the config file
  (``reccb.toml``): a parameter left at its "unset" value (-1 or "") takes the config's value.
* ``banner``, ``table`` and ``note`` render data-quality facts, DataFrames and short messages as
  HTML that reads well in JupyterLab and in the exported HTML (no code, no index column).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .config import RetentionSettings, Settings, StorageSettings, load_settings
from .db import open_database

#: Column-name endings and the way their values are shown.
_PERCENT_COLUMNS = ("_rate", "share", "coverage", "_pct")
_MONEY_COLUMNS = ("cost", "fees", "saving", "price", "estimate", "billed", "difference")


def open_report_db(db_path: str | os.PathLike[str] = "") -> duckdb.DuckDBPyConnection:
    """Open the store read-only: ``""`` means ``$RECCB_DB`` if set, else the bundled sample."""
    text = str(db_path)
    if not text:
        text = os.environ.get("RECCB_DB", "")
    if not text:
        from .sample import sample_db_path

        text = str(sample_db_path())
    return open_database(Path(text).expanduser(), read_only=True)


def _settings(config_path: str | os.PathLike[str] = "") -> Settings:
    return load_settings(str(config_path) if str(config_path) else None)


def storage_settings(config_path: str | os.PathLike[str] = "", rate: float = -1.0,
                     free_minutes: float = -1.0, currency: str = "") -> StorageSettings:
    """Storage price settings: each parameter overrides the config file unless left unset.

    Unset means a negative ``rate`` / ``free_minutes`` and an empty ``currency``.
    """
    base = _settings(config_path).storage
    return StorageSettings(
        rate=float(rate) if rate is not None and rate >= 0 else base.rate,
        free_minutes=float(free_minutes) if free_minutes is not None and free_minutes >= 0
        else base.free_minutes,
        currency=currency or base.currency,
    )


@dataclass(frozen=True)
class RetentionPolicy:
    """The retention policy a report applies, after merging parameters and config."""

    archive_after_days: int
    delete_after_days: int
    require_archive: bool
    legal_hold: Path | None

    def _repr_html_(self) -> str:
        return summary_block(self.facts()).markup

    def facts(self) -> list[tuple[str, str]]:
        copy = ("that have a verified archived copy" if self.require_archive
                else "even without an archived copy")
        return [
            ("Archive", f"recordings at least {self.archive_after_days} days old"),
            ("Delete", f"recordings at least {self.delete_after_days} days old, {copy}"),
            ("Legal hold", self.legal_hold.name if self.legal_hold else "none"),
        ]


def retention_policy(config_path: str | os.PathLike[str] = "", archive_after_days: int = -1,
                     delete_after_days: int = -1, legal_hold_file: str = "",
                     require_archive: bool = True) -> RetentionPolicy:
    """The retention policy: parameters override ``[retention]`` in the config; defaults 30/90.

    A relative ``legal_hold`` in the config file is relative to that file's folder.
    """
    settings = _settings(config_path)
    conf: RetentionSettings = settings.retention
    archive = archive_after_days if archive_after_days >= 0 else conf.archive_after_days
    delete = delete_after_days if delete_after_days >= 0 else conf.delete_after_days
    hold: Path | None = None
    if legal_hold_file:
        hold = Path(legal_hold_file).expanduser().resolve()
    elif conf.legal_hold:
        hold = Path(conf.legal_hold).expanduser()
        if not hold.is_absolute() and settings.source is not None:
            hold = settings.source.parent / hold
    return RetentionPolicy(
        archive_after_days=30 if archive is None else int(archive),
        delete_after_days=90 if delete is None else int(delete),
        require_archive=bool(require_archive),
        legal_hold=hold,
    )


# --------------------------------------------------------------------------- display


class HtmlBlock:
    """A fragment of HTML that notebooks display as the value of a cell."""

    def __init__(self, markup: str, text: str):
        self.markup = markup
        self.text = text

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.text


def _fmt_time(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "never"
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return "never"
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
    if stamp.hour == stamp.minute == stamp.second == 0:
        return f"{stamp:%Y-%m-%d}"
    return f"{stamp:%Y-%m-%d %H:%M} UTC"


def _fmt_int(value: Any) -> str:
    return "0" if value is None or pd.isna(value) else f"{int(value):,}"


def summary_block(facts: list[tuple[str, str]], title: str | None = None) -> HtmlBlock:
    """A small boxed table of (label, value) facts."""
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
        f"<td style='text-align:left'>{html.escape(v)}</td></tr>" for k, v in facts
    )
    heading = f"<strong>{html.escape(title)}</strong>" if title else ""
    markup = (
        "<div style='border:1px solid #999;border-radius:4px;padding:0.5em 1em;"
        f"background:#f6f6f6'>{heading}<table style='margin:0.3em 0'>{rows}</table></div>"
    )
    text = "\n".join(([title] if title else []) + [f"{k}: {v}" for k, v in facts])
    return HtmlBlock(markup, text)


def _as_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _outside_data(row: pd.Series, first: dt.date | None, last: dt.date | None) -> str | None:
    """A warning when the report's days reach beyond the days the data covers."""
    data_start, data_end = row.get("data_start"), row.get("data_end")
    if data_start is None or pd.isna(data_start) or data_end is None or pd.isna(data_end):
        return "the store holds no dated recordings"
    begins = pd.Timestamp(data_start).tz_convert("UTC").date()
    ends = pd.Timestamp(data_end).tz_convert("UTC").date()
    problems = []
    if first is not None and first < begins:
        problems.append(f"the data starts on {begins}")
    if last is not None and last > ends:
        problems.append(f"the data ends on {ends}")
    if not problems:
        return None
    return "; ".join(problems) + ": days outside the data show no recordings"


def banner(quality: pd.DataFrame, *, start: Any = None, end: Any = None,
           tz: str | None = None, period: str | None = None) -> HtmlBlock:
    """The data-quality banner every report opens with, from ``data_quality(con)``.

    Shows the period the data covers, when it was last ingested, how many records were set
    aside as rejects, and the callback coverage; plus the period this report asked for
    (``start`` inclusive, ``end`` exclusive, as in the metrics; or a free-text ``period``),
    with a warning when that period reaches beyond the data.
    """
    row = quality.iloc[0] if len(quality) else pd.Series(dtype=object)
    facts = [
        ("Data covers", f"{_fmt_time(row.get('data_start'))} to {_fmt_time(row.get('data_end'))}"),
        ("Last ingested", f"{_fmt_time(row.get('last_ingested_at'))} "
                          f"({_fmt_int(row.get('files_ingested'))} files)"),
        ("Recordings", f"{_fmt_int(row.get('recordings'))} "
                       f"({_fmt_int(row.get('callback_deliveries'))} callback deliveries)"),
        ("Rejected records", _fmt_int(row.get("rejected_records"))
         + (" (set aside at ingest, see the rejects table)"
            if (row.get("rejected_records") or 0) else "")),
    ]
    coverage = row.get("callback_coverage")
    facts.append(("Callback coverage",
                  "no recordings" if coverage is None or pd.isna(coverage)
                  else f"{float(coverage):.1%} of recordings have a final status callback "
                       "(Trunking, which sends none, left out)"))
    first, stop = _as_date(start), _as_date(end)
    last = stop - dt.timedelta(days=1) if stop is not None else None
    if period is None and (start is not None or end is not None):
        period = f"{start} to {last or end}" + (f" ({tz})" if tz else "")
    if period:
        facts.insert(0, ("This report", period))
    warning = _outside_data(row, first, last) if (first or last) else None
    if warning:
        facts.insert(1, ("Note", warning))
    return summary_block(facts, "About this data")


def note(message: str) -> HtmlBlock:
    """A short message in the report (for example when a section has no data)."""
    return HtmlBlock(f"<p><em>{html.escape(message)}</em></p>", message)


_LABELS = {
    "account_sid": "Account SID",
    "sid": "Recording SID",
    "call_sid": "Call SID",
    "as_of": "Counted to",
    "age_days": "Age (days)",
    "stored_minutes_at_as_of": "Minutes stored on the day counted",
    "latency_p50_s": "Latency, median (s)",
    "latency_p95_s": "Latency, 95th percentile (s)",
    "latency_max_s": "Latency, maximum (s)",
    "non_2xx_deliveries": "Non-2xx deliveries",
    "twilio_billed_storage": "Billed by Twilio (storage)",
    "difference": "Estimate minus bill",
}


def _label(column: str) -> str:
    if column in _LABELS:
        return _LABELS[column]
    text = column[:-2] + " (s)" if column.endswith("_s") else column
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


_PERIOD_FORMATS = {"month": "%Y-%m", "week": "week of %Y-%m-%d", "day": "%Y-%m-%d"}


def _formatter(column: str, series: pd.Series, currency: str | None,
               freq: str | None = None) -> Any:
    name = column.lower()
    if pd.api.types.is_bool_dtype(series):
        return lambda v: "yes" if v is True else ("no" if v is False else "")
    if not pd.api.types.is_numeric_dtype(series):
        if pd.api.types.is_datetime64_any_dtype(series):
            pattern = _PERIOD_FORMATS["month"] if name == "month" else (
                _PERIOD_FORMATS.get(freq or "") if name == "period" else None)
            if pattern:
                return lambda v: "" if pd.isna(v) else f"{pd.Timestamp(v):{pattern}}"
            return lambda v: "" if pd.isna(v) else _fmt_time(v)
        return lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
    if name.endswith(_PERCENT_COLUMNS):
        return lambda v: "" if pd.isna(v) else f"{v:.1%}"
    if any(part in name for part in _MONEY_COLUMNS):
        prefix = f"{currency} " if currency else ""
        # Cents, unless the column holds amounts below a cent (one recording's saving).
        small = series[(series.abs() > 0) & series.notna()].abs()
        digits = 4 if len(small) and small.min() < 0.01 else 2
        return lambda v: "" if pd.isna(v) else f"{prefix}{v:,.{digits}f}"
    if pd.api.types.is_integer_dtype(series) or name.endswith(("_code", "code")):
        return lambda v: "" if pd.isna(v) else (str(int(v)) if name.endswith("code")
                                                else f"{int(v):,}")
    return lambda v: "" if pd.isna(v) else f"{v:,.1f}"


def table(frame: pd.DataFrame, columns: list[str] | None = None, *, currency: str | None = None,
          freq: str | None = None, max_rows: int = 200,
          empty: str = "No data for this period.") -> Any:
    """Show a metrics DataFrame readably: labelled columns, thousands separators,
    percentages, money with its currency, no index. ``columns`` picks and orders the columns
    shown (those missing from the frame are skipped). ``currency`` defaults to the frame's
    ``currency`` column or ``attrs``; ``freq`` (day, week, month) formats a ``period`` column
    (a ``month`` column always shows as YYYY-MM). Returns a pandas Styler (or a note when empty).
    """
    if frame is None or len(frame) == 0:
        return note(empty)
    if currency is None:
        currency = frame.attrs.get("currency")
        if currency is None and "currency" in frame.columns:
            currency = str(frame["currency"].iloc[0])
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    shown = frame.head(max_rows).reset_index(drop=True)
    formats = {c: _formatter(str(c), shown[c], currency, freq) for c in shown.columns}
    styler = shown.style.format(formats).hide(axis="index")
    styler = styler.relabel_index([_label(str(c)) for c in shown.columns], axis="columns")
    if len(frame) > max_rows:
        styler = styler.set_caption(f"First {max_rows:,} of {len(frame):,} rows")
    return styler


def report_as_of(as_of: str, end_month: str | None = None) -> dt.date:
    """The day a storage or retention report counts to: ``as_of`` when given, else today (UTC),
    but never after the last day of ``end_month`` (so a report on past months is complete and
    its forecast is for the month after them).
    """
    if as_of:
        return dt.date.fromisoformat(as_of)
    today = dt.datetime.now(dt.UTC).date()
    if end_month:
        first = dt.date.fromisoformat(f"{end_month}-01")
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return min(today, last)
    return today


def billed_vs_estimate(costs: pd.DataFrame) -> Any:
    """Twilio's storage bill (usage records) next to the estimate, for months that have one."""
    if "twilio_billed_storage" not in costs.columns or costs["twilio_billed_storage"].isna().all():
        return note("No Twilio usage records in the store for these months yet "
                    "(reccb sync fetches them), so there is no bill to compare with.")
    billed = costs[costs["twilio_billed_storage"].notna()]
    return table(billed, ["month", "account_sid", "storage_cost", "twilio_billed_storage",
                          "difference"])


def write_csv(frame: pd.DataFrame, out_csv: str | os.PathLike[str]) -> HtmlBlock:
    """Write ``frame`` to ``out_csv`` and say where it is; ``""`` writes nothing.

    ``reccb report run`` always passes a path next to the report; run by hand (JupyterLab,
    nbval), an empty value keeps the notebook from dropping files into the templates folder.
    """
    if not str(out_csv):
        return note(f"{len(frame):,} rows; set the out_csv parameter to write them to a CSV "
                    "file (reccb report run writes one next to the report).")
    target = Path(out_csv).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    # DuckDB's writer: about 5x faster than DataFrame.to_csv on a million candidates.
    scratch = duckdb.connect()
    try:
        scratch.from_df(frame).write_csv(str(target), header=True)
    finally:
        scratch.close()
    return note(f"{len(frame):,} rows written to {target.name}.")
