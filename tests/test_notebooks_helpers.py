"""What the notebooks' setup cells use (reccb_analytics.reporting_context) and the charts:
settings merged from parameters and reccb.toml, the banner, table formatting, chart labels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from reccb_analytics import charts
from reccb_analytics.db import open_database
from reccb_analytics.exceptions import DatabaseMissingError
from reccb_analytics.metrics import callback_delivery, data_quality, status_rates
from reccb_analytics.reporting_context import (
    banner,
    billed_vs_estimate,
    open_report_db,
    report_as_of,
    retention_policy,
    storage_settings,
    table,
    write_csv,
)

from .test_reports import build_report_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report_store(tmp_path_factory.mktemp("helpers") / "reports.duckdb")


# --------------------------------------------------------------------------- the store


def test_open_report_db_prefers_the_path_then_reccb_db(store: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECCB_DB", str(store))
    with open_report_db("") as con:  # empty: $RECCB_DB (reccb lab sets it)
        assert con.execute("SELECT count(*) FROM recordings").fetchall()[0][0] > 0
    with pytest.raises(DatabaseMissingError):
        open_report_db(tmp_path / "missing.duckdb")
    with open_report_db(store) as con:  # read-only: a writer would fail
        with pytest.raises(Exception, match="read-only"):
            con.execute("DELETE FROM recordings")


def test_open_report_db_without_anything_uses_the_sample(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    import reccb_analytics.sample as sample

    monkeypatch.delenv("RECCB_DB", raising=False)
    built = tmp_path / "sample.duckdb"
    open_database(built).close()
    monkeypatch.setattr(sample, "sample_db_path", lambda: built)
    with open_report_db("") as con:
        assert con.execute("SELECT current_setting('access_mode')").fetchall()[0][0] \
            == "read_only"


# --------------------------------------------------------------------------- settings


def test_storage_settings_parameters_override_the_config(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./reccb.toml
    monkeypatch.delenv("RECCB_CONFIG", raising=False)
    assert storage_settings() == storage_settings("", -1.0, -1.0, "")
    defaults = storage_settings()
    assert (defaults.rate, defaults.free_minutes, defaults.currency) == (0.0005, 10000, "USD")
    config = tmp_path / "prices.toml"
    config.write_text('[storage]\nrate = 0.002\nfree_minutes = 2000\ncurrency = "EUR"\n')
    from_file = storage_settings(str(config))
    assert (from_file.rate, from_file.free_minutes, from_file.currency) == (0.002, 2000, "EUR")
    mixed = storage_settings(str(config), rate=0.0, free_minutes=-1.0, currency="GBP")
    assert (mixed.rate, mixed.free_minutes, mixed.currency) == (0.0, 2000, "GBP")


def test_retention_policy_from_parameters_config_and_defaults(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECCB_CONFIG", raising=False)
    policy = retention_policy()
    assert (policy.archive_after_days, policy.delete_after_days, policy.legal_hold) == (
        30, 90, None)
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf" / "reccb.toml"
    config.write_text('[retention]\narchive_after_days = 7\ndelete_after_days = 60\n'
                      'legal_hold = "holds.txt"\n')
    policy = retention_policy(str(config), -1, 45, "", require_archive=False)
    assert policy.archive_after_days == 7 and policy.delete_after_days == 45
    assert policy.legal_hold == tmp_path / "conf" / "holds.txt"  # relative to the config file
    assert policy.require_archive is False
    facts = dict(policy.facts())
    assert facts["Delete"] == "recordings at least 45 days old, even without an archived copy"
    assert facts["Legal hold"] == "holds.txt"
    assert "at least 7 days old" in policy._repr_html_()
    override = retention_policy(str(config), legal_hold_file=str(tmp_path / "h.txt"))
    assert override.legal_hold == tmp_path / "h.txt"


def test_report_as_of(monkeypatch: pytest.MonkeyPatch) -> None:
    assert report_as_of("2026-09-15", "2026-10") == dt.date(2026, 9, 15)
    today = dt.datetime.now(dt.UTC).date()
    assert report_as_of("") == today
    assert report_as_of("", "2026-02") == min(today, dt.date(2026, 2, 28))
    assert report_as_of("", "2024-02") == dt.date(2024, 2, 29)


# --------------------------------------------------------------------------- display


def test_banner_shows_the_data_quality_facts(store: Path) -> None:
    with open_database(store, read_only=True) as con:
        quality = data_quality(con)
    block = banner(quality, start="2026-01-01", end="2026-04-01", tz="Europe/Paris")
    text = repr(block)
    assert "This report: 2026-01-01 to 2026-03-31 (Europe/Paris)" in text
    assert "Data covers: 2025-11-01" in text and "to 2026-10-" in text
    assert "Last ingested: 2026-11-01 06:00 UTC (2 files)" in text
    assert "Rejected records: 3 (set aside at ingest" in text
    coverage = float(quality["callback_coverage"].iloc[0])
    assert f"Callback coverage: {coverage:.1%} of recordings" in text
    assert "Note" not in text
    assert "<table" in block._repr_html_() and "About this data" in block._repr_html_()
    late = repr(banner(quality, start="2026-10-01", end="2026-12-01"))
    assert "Note: the data ends on 2026-10-" in late
    early = repr(banner(quality, start="2025-01-01", end="2025-12-01"))
    assert "Note: the data starts on 2025-11-01" in early
    assert "This report: counted to 2026-05-31" in repr(banner(quality,
                                                                period="counted to 2026-05-31"))


def _cells(styler: object) -> list[str]:
    import re

    html_text = styler.to_html()  # type: ignore[attr-defined]
    return re.findall(r"<td [^>]*>(.*?)</td>", html_text)


def test_table_formats_counts_rates_money_and_periods() -> None:
    frame = pd.DataFrame({
        "period": pd.to_datetime(["2026-01-01", "2026-02-01"]),
        "recordings": [1234, 5],
        "absent_rate": [0.12345, float("nan")],
        "storage_cost": [12.5, 0.0],
        "monthly_saving": [0.0005, 0.25],
        "partial": [False, True],
        "latency_p50_s": [1.25, 2.0],
        "error_code": [16104, 11200],
    })
    styler = table(frame, currency="EUR", freq="month")
    assert _cells(styler) == [
        "2026-01", "1,234", "12.3%", "EUR 12.50", "EUR 0.0005", "no", "1.2", "16104",
        "2026-02", "5", "", "EUR 0.00", "EUR 0.2500", "yes", "2.0", "11200",
    ]
    html_text = styler.to_html()
    for label in ("Period", "Recordings", "Absent rate", "Storage cost", "Latency, median (s)"):
        assert f">{label}<" in html_text
    weekly = _cells(table(frame[["period"]], freq="week"))
    assert weekly == ["week of 2026-01-01", "week of 2026-02-01"]
    picked = table(frame, ["recordings", "nope", "period"], freq="day")
    assert _cells(picked)[:2] == ["1,234", "2026-01-01"]


def test_table_of_nothing_says_so() -> None:
    assert repr(table(pd.DataFrame({"a": []}), empty="Nothing here.")) == "Nothing here."
    many = table(pd.DataFrame({"n": range(300)}), max_rows=10)
    assert "First 10 of 300 rows" in many.to_html()


def test_billed_vs_estimate() -> None:
    none_billed = pd.DataFrame({"month": pd.to_datetime(["2026-01-01"]), "storage_cost": [1.0],
                                "twilio_billed_storage": [float("nan")], "difference": [None]})
    assert "No Twilio usage records" in repr(billed_vs_estimate(none_billed))
    billed = none_billed.assign(twilio_billed_storage=[0.9], difference=[0.1], currency="USD")
    assert _cells(billed_vs_estimate(billed)) == ["2026-01", "USD 1.00", "USD 0.90", "USD 0.10"]


def test_write_csv(tmp_path: Path) -> None:
    frame = pd.DataFrame({"sid": ["RE1", "RE2"], "action": ["keep", "archive"]})
    assert "set the out_csv parameter" in repr(write_csv(frame, ""))
    assert list(tmp_path.iterdir()) == []
    message = write_csv(frame, tmp_path / "lists" / "c.csv")
    assert repr(message) == "2 rows written to c.csv."
    assert pd.read_csv(tmp_path / "lists" / "c.csv").equals(frame)


# --------------------------------------------------------------------------- charts


def _texts(chart: charts.Chart) -> tuple[str, str, str]:
    ax = chart.figure.axes[0]
    return ax.get_title(), ax.get_xlabel(), ax.get_ylabel()


def test_every_chart_has_a_title_and_labelled_axes(store: Path, tmp_path: Path) -> None:
    with open_database(store, read_only=True) as con:
        rates = status_rates(con, "2025-11-01", "2026-11-01", freq="month")
        split = status_rates(con, "2025-11-01", "2026-11-01", freq="month", by="source")
        delivery = callback_delivery(con, "2025-11-01", "2026-11-01")
    costs = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01"]),
                          "account_sid": ["AC1", "AC1"], "avg_stored_minutes": [100.0, 150.0],
                          "storage_cost": [1.0, 2.0], "recording_fees": [0.5, 0.25],
                          "partial": [False, True], "twilio_billed_storage": [0.9, None]})
    candidates = pd.DataFrame({"sid": ["RE1", "RE2", "RE3"],
                               "action": ["keep", "archive", "archive"],
                               "stored_minutes": [3, 5, 7], "monthly_saving": [0.0, 0.1, 0.2]})
    breakdown = pd.DataFrame({"error_code": [16101, 16104], "description": ["short", "crypto"],
                              "recordings": [5, 2]})
    made = {
        "outcomes": charts.outcomes_chart(rates, freq="month"),
        "rates": charts.failure_rates_chart(rates, freq="month"),
        "rates by source": charts.failure_rates_chart(split, freq="month", by="source"),
        "errors": charts.error_codes_chart(breakdown),
        "stored": charts.stored_minutes_chart(costs, free_minutes=10000),
        "cost": charts.storage_cost_chart(costs, currency="EUR"),
        "retention": charts.retention_chart(candidates, currency="EUR"),
        "coverage": charts.callback_coverage_chart(delivery, by="source"),
        "latency": charts.callback_latency_chart(delivery, by="source"),
    }
    for name, chart in made.items():
        title, xlabel, ylabel = _texts(chart)
        assert title and xlabel and ylabel, name
        assert repr(chart) == f"Chart: {title}"
        assert chart.png().startswith(b"\x89PNG"), name
    assert "(EUR)" in _texts(made["cost"])[0] and _texts(made["cost"])[2] == "Cost (EUR)"
    assert _texts(made["rates"])[2] == "Share of recordings (%)"
    assert _texts(made["stored"])[1:] == ("Month", "Average minutes stored")
    assert _texts(made["latency"])[2] == "Seconds"
    # Trunking gets no callbacks by design: labelled so, never drawn as a fault.
    labels = [t.get_text() for t in made["coverage"].figure.axes[0].get_yticklabels()]
    assert "Trunking (none by design)" in labels
    made["cost"].savefig(tmp_path / "cost.png")
    assert (tmp_path / "cost.png").stat().st_size > 1000


@pytest.mark.parametrize("make", [
    lambda e: charts.outcomes_chart(e), lambda e: charts.failure_rates_chart(e),
    lambda e: charts.error_codes_chart(e), lambda e: charts.stored_minutes_chart(e),
    lambda e: charts.storage_cost_chart(e), lambda e: charts.retention_chart(e),
    lambda e: charts.callback_coverage_chart(e), lambda e: charts.callback_latency_chart(e),
])
def test_charts_of_nothing_say_so(make) -> None:  # type: ignore[no-untyped-def]
    chart = make(pd.DataFrame())
    texts = [t.get_text() for t in chart.figure.axes[0].texts]
    assert texts and texts[0].startswith("No ")
