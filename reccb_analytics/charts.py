"""Charts for the reports: one function per section, each taking a metrics DataFrame.

Every chart is meant for a reader who never sees the code: a title saying what is shown, both
axes labelled with their unit (recordings, %, minutes, seconds, money with its currency), and a
legend when more than one thing is drawn. Each function returns a :class:`Chart`: a notebook
shows it as a PNG (once, as the cell's value) with its title as the image's text alternative,
and a script can use ``chart.figure`` or ``chart.savefig(...)``. Figures are made without
pyplot, so no global figure state is involved.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

OUTCOME_COLORS = {"completed": "#4c9a2a", "absent": "#e1a100", "failed": "#c0392b",
                  "pending": "#9e9e9e"}
ACTION_COLORS = {"keep": "#4c9a2a", "archive": "#2e6fb7", "delete": "#c0392b",
                 "hold": "#8e44ad"}
_SIZE = (9.0, 4.0)


class Chart:
    """A finished chart: a matplotlib ``Figure`` plus its title (the image's alt text)."""

    def __init__(self, figure: Figure, title: str):
        self.figure = figure
        self.title = title

    def savefig(self, *args: Any, **kwargs: Any) -> None:
        """``Figure.savefig``: write the chart to a file."""
        self.figure.savefig(*args, **kwargs)

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        return buffer.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png()

    def __repr__(self) -> str:
        # Notebooks store this as the output's text; the HTML export uses it as alt text.
        return f"Chart: {self.title}"


def _figure(height: float = _SIZE[1]) -> tuple[Figure, Any]:
    fig = Figure(figsize=(_SIZE[0], height))
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return fig, ax


def _done(fig: Figure) -> Chart:
    fig.tight_layout()
    title = fig.axes[0].get_title() if fig.axes else ""
    return Chart(fig, title)


def _empty(ax: Any, message: str = "No data for this period") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
            fontsize=12, color="#666666")
    ax.set_xticks([])
    ax.set_yticks([])


def _period_labels(periods: pd.Series, freq: str | None) -> list[str]:
    stamps = pd.to_datetime(periods)
    if freq is None:
        freq = "month" if all(s.day == 1 for s in stamps) and len(stamps) > 1 else "day"
    if freq == "month":
        return [f"{s:%b %Y}" for s in stamps]
    if freq == "week":
        return [f"wk of {s:%d %b}" for s in stamps]
    return [f"{s:%d %b}" for s in stamps]


def _freq_word(freq: str | None) -> str:
    return {"day": "day", "week": "week", "month": "month"}.get(freq or "", "period")


def _thin_ticks(ax: Any, labels: Sequence[str], limit: int = 16) -> None:
    step = max(1, -(-len(labels) // limit))
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels([labels[i] for i in range(0, len(labels), step)], rotation=45,
                       ha="right")


def _short_sid(sid: Any) -> str:
    """``ACabcdef…1234``: enough of a SID to tell accounts apart in a legend."""
    text = str(sid)
    return text if len(text) <= 14 else f"{text[:8]}…{text[-4:]}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _money(currency: str) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: f"{currency} {value:,.2f}")


# --------------------------------------------------------------------------- recording health


def outcomes_chart(rates: pd.DataFrame, freq: str | None = None) -> Chart:
    """Stacked bars: recordings per period by outcome (from ``status_rates``)."""
    fig, ax = _figure()
    word = _freq_word(freq)
    ax.set_title(f"Recordings per {word} by outcome")
    if rates is None or len(rates) == 0:
        _empty(ax)
        return _done(fig)
    totals = rates.groupby("period", sort=True)[list(OUTCOME_COLORS)].sum().reset_index()
    labels = _period_labels(totals["period"], freq)
    bottom = pd.Series(0, index=totals.index, dtype="float64")
    for outcome, color in OUTCOME_COLORS.items():
        ax.bar(range(len(totals)), totals[outcome], bottom=bottom, color=color, label=outcome)
        bottom += totals[outcome]
    _thin_ticks(ax, labels)
    ax.set_xlabel(word.capitalize())
    ax.set_ylabel("Recordings")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(title="Outcome", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _done(fig)


def failure_rates_chart(rates: pd.DataFrame, freq: str | None = None,
                        by: str | None = None) -> Chart:
    """Lines: absent and failed rates per period (in %), or their sum per group when ``by``."""
    fig, ax = _figure()
    word = _freq_word(freq)
    group = by if by and rates is not None and by in rates.columns else None
    ax.set_title(f"Absent and failed recordings per {word}"
                 + (f", by {group.replace('_', ' ')}" if group else "")
                 + " (% of recordings with a final outcome)")
    if rates is None or len(rates) == 0:
        _empty(ax)
        return _done(fig)
    periods = sorted(pd.to_datetime(rates["period"]).unique())
    labels = _period_labels(pd.Series(periods), freq)
    position = {p: i for i, p in enumerate(periods)}
    if group is None:
        totals = rates.groupby("period", sort=True)[["completed", "absent", "failed"]].sum()
        final = totals.sum(axis=1).where(lambda s: s > 0)
        xs = [position[pd.Timestamp(p)] for p in totals.index]
        ax.plot(xs, totals["absent"] / final, marker="o", color=OUTCOME_COLORS["absent"],
                label="absent")
        ax.plot(xs, totals["failed"] / final, marker="o", color=OUTCOME_COLORS["failed"],
                label="failed")
        ax.legend(title="Outcome", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        for name, part in rates.groupby(group, sort=True, dropna=False):
            final = (part["completed"] + part["absent"] + part["failed"]).where(lambda s: s > 0)
            xs = [position[pd.Timestamp(p)] for p in part["period"]]
            label = "(unknown)" if pd.isna(name) else str(name)
            ax.plot(xs, (part["absent"] + part["failed"]) / final, marker="o", label=label)
        ax.legend(title=group.replace("_", " ").capitalize(), loc="upper left",
                  bbox_to_anchor=(1.0, 1.0), fontsize="small")
    _thin_ticks(ax, labels)
    ax.set_xlabel(word.capitalize())
    ax.set_ylabel("Share of recordings (%)")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    return _done(fig)


# --------------------------------------------------------------------------- error codes


def _short(value: Any, width: int = 55) -> str:
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def error_codes_chart(breakdown: pd.DataFrame, top: int = 10) -> Chart:
    """Horizontal bars: recordings per error code (``error_breakdown``), most frequent first."""
    fig, ax = _figure(height=max(2.5, 0.45 * min(top, max(len(breakdown), 1)) + 1.2))
    ax.set_title("Recordings by error code")
    ax.grid(axis="y", alpha=0)
    ax.grid(axis="x", alpha=0.3)
    if breakdown is None or len(breakdown) == 0:
        _empty(ax, "No recordings with an error code in this period")
        return _done(fig)
    totals = (breakdown.groupby(["error_code", "description"], sort=False)["recordings"].sum()
              .sort_values(ascending=False).head(top).iloc[::-1])
    labels = [f"{code}: {_short(desc)}" for code, desc in totals.index]
    ax.barh(range(len(totals)), totals.values, color="#c0392b")
    ax.set_yticks(range(len(totals)))
    ax.set_yticklabels(labels)
    ax.set_xlabel("Recordings")
    ax.set_ylabel("Twilio error code")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _done(fig)


# --------------------------------------------------------------------------- storage


def _month_labels(costs: pd.DataFrame) -> tuple[list[pd.Timestamp], list[str]]:
    months = sorted(pd.to_datetime(costs["month"]).unique())
    partial = set()
    if "partial" in costs.columns:
        partial = {pd.Timestamp(m) for m in costs.loc[costs["partial"].astype(bool), "month"]}
    labels = [f"{m:%b %Y}" + (" (partial)" if m in partial else "") for m in months]
    return months, labels


def stored_minutes_chart(costs: pd.DataFrame, free_minutes: float | None = None) -> Chart:
    """Bars: average stored minutes per month (stacked by account when split), free tier line."""
    fig, ax = _figure()
    ax.set_title("Average recording minutes stored at Twilio per month")
    if costs is None or len(costs) == 0:
        _empty(ax)
        return _done(fig)
    months, labels = _month_labels(costs)
    position = {m: i for i, m in enumerate(months)}
    if "account_sid" in costs.columns:
        bottom = pd.Series(0.0, index=range(len(months)))
        for account, part in costs.groupby("account_sid", sort=True):
            values = pd.Series(0.0, index=range(len(months)))
            for month, minutes in zip(part["month"], part["avg_stored_minutes"], strict=True):
                values[position[pd.Timestamp(month)]] = float(minutes)
            ax.bar(range(len(months)), values, bottom=bottom, label=_short_sid(account))
            bottom += values
        title = "Account"
    else:
        ax.bar(range(len(months)), costs["avg_stored_minutes"].astype(float), color="#2e6fb7",
               label="all accounts")
        title = None
    if free_minutes is not None:
        # In the legend, not on the chart: a label on the line would sit under the bars.
        ax.axhline(free_minutes, color="#333333", linestyle="--", linewidth=1,
                   label=f"free tier ({free_minutes:,.0f} min)")
    ax.legend(title=title, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    _thin_ticks(ax, labels)
    ax.set_xlabel("Month")
    ax.set_ylabel("Average minutes stored")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    return _done(fig)


def storage_cost_chart(costs: pd.DataFrame, currency: str = "USD") -> Chart:
    """Stacked bars: storage cost and one-time recording fees per month, with Twilio's bill
    (usage records) as markers when known."""
    fig, ax = _figure()
    ax.set_title(f"Recording storage cost and recording fees per month ({currency})")
    if costs is None or len(costs) == 0:
        _empty(ax)
        return _done(fig)
    monthly = costs.groupby("month", sort=True)[["storage_cost", "recording_fees"]].sum()
    _, labels = _month_labels(costs)
    xs = range(len(monthly))
    ax.bar(xs, monthly["storage_cost"], color="#2e6fb7", label="storage (estimate)")
    ax.bar(xs, monthly["recording_fees"], bottom=monthly["storage_cost"], color="#7fb3e0",
           label="recording fees")
    if "twilio_billed_storage" in costs.columns and costs["twilio_billed_storage"].notna().any():
        billed = costs.groupby("month", sort=True)["twilio_billed_storage"].sum(min_count=1)
        ax.plot(list(xs), billed.values, linestyle="none", marker="D", color="#333333",
                label="storage billed by Twilio")
    _thin_ticks(ax, labels)
    ax.set_xlabel("Month")
    ax.set_ylabel(f"Cost ({currency})")
    ax.yaxis.set_major_formatter(_money(currency))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _done(fig)


# --------------------------------------------------------------------------- retention


def retention_chart(candidates: pd.DataFrame, currency: str = "USD") -> Chart:
    """Bars: stored minutes per retention action, labelled with recordings and monthly saving."""
    fig, ax = _figure()
    ax.set_title("Stored minutes by retention action")
    if candidates is None or len(candidates) == 0:
        _empty(ax, "No stored recordings")
        return _done(fig)
    actions = set(candidates["action"].unique())  # unique() first: a million rows stay fast
    order = [a for a in ("delete", "archive", "hold", "keep") if a in actions]
    order += sorted(actions - set(order))
    grouped = candidates.groupby("action").agg(recordings=("sid", "count"),
                                               minutes=("stored_minutes", "sum"),
                                               saving=("monthly_saving", "sum"))
    grouped = grouped.reindex(order)
    bars = ax.bar(order, grouped["minutes"], color=[ACTION_COLORS.get(a, "#999") for a in order])
    for bar, (_, row) in zip(bars, grouped.iterrows(), strict=True):
        ax.annotate(f"{_plural(int(row['recordings']), 'recording')}\n"
                    f"{currency} {row['saving']:,.2f}/month",
                    xy=(bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize="small")
    ax.set_xlabel("Action")
    ax.set_ylabel("Stored minutes")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    ax.margins(y=0.25)
    return _done(fig)


# --------------------------------------------------------------------------- callbacks


def _group_column(frame: pd.DataFrame, by: str | None) -> str | None:
    if by and by in frame.columns:
        return by
    return None


def callback_coverage_chart(delivery: pd.DataFrame, by: str | None = "source",
                            share_column: str = "callback_coverage") -> Chart:
    """Horizontal bars: share of recordings with a final status callback, per group.

    Groups made only of Trunking recordings (which get no callbacks by design) are drawn in
    grey and labelled so, not as a fault.
    """
    fig, ax = _figure(height=max(2.5, 0.45 * max(len(delivery), 1) + 1.2))
    ax.set_title("Recordings with a final status callback (%)")
    ax.grid(axis="y", alpha=0)
    ax.grid(axis="x", alpha=0.3)
    if delivery is None or len(delivery) == 0 or share_column not in delivery.columns:
        _empty(ax)
        return _done(fig)
    group = _group_column(delivery, by)
    names = [("(unknown)" if pd.isna(v) else str(v)) for v in
             (delivery[group] if group else ["all recordings"] * len(delivery))]
    by_design = [False] * len(delivery)
    if {"trunking_recordings", "recordings"} <= set(delivery.columns):
        by_design = [bool(r > 0 and t == r) for t, r in
                     zip(delivery["trunking_recordings"], delivery["recordings"], strict=True)]
    names = [n + " (none by design)" if d else n for n, d in zip(names, by_design, strict=True)]
    values = delivery[share_column].astype(float).fillna(0.0)
    colors = ["#bbbbbb" if d else "#2e6fb7" for d in by_design]
    ax.barh(range(len(values)), values, color=colors)
    ax.set_yticks(range(len(values)))
    ax.set_yticklabels(names)
    ax.set_xlim(0, 1.05)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Share of recordings known from metadata (%)")
    ax.set_ylabel(group.replace("_", " ").capitalize() if group else "")
    return _done(fig)


def callback_latency_chart(delivery: pd.DataFrame, by: str | None = "source",
                           columns: Sequence[str] = ("latency_p50_s", "latency_p95_s")) -> Chart:
    """Grouped bars: callback delivery latency (median and 95th percentile, seconds) per group."""
    fig, ax = _figure()
    ax.set_title("Callback delivery latency after the recording ended (seconds)")
    present = [c for c in columns if delivery is not None and c in delivery.columns]
    if present:
        # Groups without timed callbacks (Trunking, say) have no latency to draw.
        delivery = delivery[delivery[present].notna().any(axis=1)]
    if delivery is None or len(delivery) == 0 or not present:
        _empty(ax, "No timed callbacks in this period")
        return _done(fig)
    group = _group_column(delivery, by)
    names = [("(unknown)" if pd.isna(v) else str(v)) for v in
             (delivery[group] if group else ["all recordings"] * len(delivery))]
    width = 0.8 / len(present)
    for i, column in enumerate(present):
        label = {"latency_p50_s": "median", "latency_p95_s": "95th percentile",
                 "latency_max_s": "maximum"}.get(column, column)
        ax.bar([x + i * width for x in range(len(names))],
               delivery[column].astype(float).fillna(0.0), width=width, label=label)
    ax.set_xticks([x + width * (len(present) - 1) / 2 for x in range(len(names))])
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_xlabel(group.replace("_", " ").capitalize() if group else "")
    ax.set_ylabel("Seconds")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _done(fig)
