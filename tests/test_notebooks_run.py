"""Every report notebook, executed for real by papermill: with its defaults and with other
parameters, on a small hand-built store; figures in the HTML match the Python API."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from reccb_analytics import reports
from reccb_analytics.db import open_database
from reccb_analytics.metrics import retention_candidates, status_rates, storage_costs

from .test_reports import (
    PARENT,
    REPORT_NAMES,
    assert_no_code_cells,
    build_report_store,
    visible_text,
)

pytestmark = [pytest.mark.slow, pytest.mark.notebook]

HEADINGS = {
    "recording_health": ["Recording health", "About this data", "Recordings by outcome",
                         "Absent and failed rates", "Split by group"],
    "error_codes": ["Error codes", "About this data", "Error codes in the period",
                    "What to do about them", "Split by group"],
    "storage_costs": ["Recording storage costs", "About this data",
                      "Stored minutes and cost per month", "Split by subaccount",
                      "Recording fees", "Forecast for next month",
                      "What the retention policy would save",
                      "Twilio's bill compared with the estimate"],
    "retention": ["Retention candidates", "About this data", "Policy applied",
                  "Candidates by action", "Saving with the free allowance", "Candidate list"],
    "callback_delivery": ["Callback delivery", "About this data", "Coverage",
                          "Callbacks without metadata, and disagreements", "Deliveries",
                          "Latency"],
}

HOLD = [f"RE{5:032x}", f"CA{12:032x}"]  # one recording held by its own SID, one by its call

OTHER_PARAMETERS: dict[str, dict[str, Any]] = {
    "recording_health": {"start": "2026-01-01", "end": "2026-04-01", "freq": "week",
                         "by": "account_sid", "tz": "America/New_York"},
    "error_codes": {"start": "2026-02-01", "end": "2026-08-01", "by": "account_sid",
                    "tz": "Europe/Paris"},
    "storage_costs": {"start_month": "2026-03", "end_month": "2026-09", "as_of": "2026-09-15",
                      "rate": "0.001", "free_minutes": "500", "currency": "EUR",
                      "archive_after_days": "60", "delete_after_days": "120"},
    "retention": {"as_of": "2026-09-30", "archive_after_days": "60",
                  "delete_after_days": "200", "require_archive": "false",
                  "legal_hold_file": "hold.txt", "out_csv": "lists/candidates.csv",
                  "rate": "0.001", "currency": "EUR"},
    "callback_delivery": {"start": "2026-01-01", "end": "2026-07-01", "by": "account_sid",
                          "tz": "America/New_York"},
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report_store(tmp_path_factory.mktemp("nbstore") / "reports.duckdb")


def check_executed(run: reports.ReportRun) -> nbformat.NotebookNode:
    """The papermill contract: no errors, injected parameters, parameters recorded."""
    nb = nbformat.read(run.notebook, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert dict(nb.metadata.papermill.parameters) == run.parameters
    assert nb.metadata.papermill.exception is None
    assert nb.metadata.papermill.environment_variables == {}
    streams = [o.text for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream"
               and o.name == "stderr"]
    assert not streams, streams  # no warnings either
    html_text = run.html.read_text(encoding="utf-8")
    text = visible_text(html_text)
    for heading in HEADINGS[run.name]:
        assert heading in text, heading
    assert_no_code_cells(html_text)
    images = re.findall(r"<img [^>]*>", html_text)
    assert images and all('alt="' in i and "No description" not in i for i in images)
    assert "No data for this period" not in text or run.name == "error_codes"
    return nb


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_runs_with_its_defaults(name: str, store: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECCB_CONFIG", raising=False)
    run = reports.run_report(name, {}, out_dir="out", db_path=store)
    stamp = f"{dt.date.today():%Y%m%d}"
    assert run.notebook == tmp_path / "out" / f"{name}-{stamp}.ipynb"
    assert run.html == tmp_path / "out" / f"{name}-{stamp}.html"
    assert run.parameters == {"db_path": str(store)} | (
        {"out_csv": str(tmp_path / "out" / f"retention-{stamp}.csv")} if name == "retention"
        else {})
    check_executed(run)


@pytest.fixture(scope="module")
def sample_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from reccb_analytics.sample import sample_dir

    if not any(p.is_file() and p.name != ".keep" for p in sample_dir().rglob("*")):
        pytest.skip("data/sample holds no sample data yet")
    return tmp_path_factory.mktemp("sample-cache")


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_runs_as_committed_on_the_bundled_sample(name: str, sample_cache: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain papermill, every default as committed: db_path "" opens the bundled sample."""
    import papermill

    monkeypatch.delenv("RECCB_DB", raising=False)
    monkeypatch.delenv("RECCB_CONFIG", raising=False)
    monkeypatch.setenv("RECCB_SAMPLE_CACHE", str(sample_cache))
    out = tmp_path / f"{name}.ipynb"
    nb = papermill.execute_notebook(str(reports.notebook_path(name)), str(out),
                                    parameters={"db_path": ""}, kernel_name="python3",
                                    cwd=str(tmp_path), progress_bar=False)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert dict(nb.metadata.papermill.parameters) == {"db_path": ""}
    banner_text = "".join(str(o.get("data", {}).get("text/plain", ""))
                          for c in nb.cells for o in c.get("outputs", []))
    assert "Data covers: 2025-11-" in banner_text and " to 2026-10-" in banner_text
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.ipynb"]  # nothing else


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_runs_with_other_parameters(name: str, store: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECCB_CONFIG", raising=False)
    (tmp_path / "hold.txt").write_text("\n".join(HOLD) + "\n")
    run = reports.run_report(name, OTHER_PARAMETERS[name], out_dir=tmp_path / "other",
                             db_path=store, run_date=dt.date(2026, 10, 1))
    assert run.notebook.name == f"{name}-20261001.ipynb"
    check_executed(run)
    # Values arrive typed and paths absolute.
    report = reports.get_report(name)
    for key, value in run.parameters.items():
        param = report.parameter(key)
        assert param is not None and type(value).__name__ == param.type
        if reports.is_path_parameter(key) and value:
            assert Path(value).is_absolute()


def _html_cells(html_path: Path) -> list[str]:
    """The data cells of the report's tables (pandas Styler ids start with T_), in order."""
    return [visible_text(c).strip()
            for c in re.findall(r'<td [^>]*id="T_[^>]*>(.*?)</td>', html_path.read_text(),
                                flags=re.S)]


def test_health_figures_match_the_api(store: Path, tmp_path: Path) -> None:
    params = OTHER_PARAMETERS["recording_health"]
    run = reports.run_report("recording_health", params, out_dir=tmp_path, db_path=store)
    with open_database(store, read_only=True) as con:
        rates = status_rates(con, params["start"], params["end"], freq="week",
                             tz=params["tz"])
    cells = _html_cells(run.html)
    # The first table lists, per week: period, recordings, completed, absent, failed, pending,
    # absent rate, failed rate; the HTML shows exactly the API's figures, in order.
    expected = []
    for row in rates.itertuples():
        expected += [f"week of {row.period:%Y-%m-%d}", f"{row.recordings:,}",
                     f"{row.completed:,}", f"{row.absent:,}", f"{row.failed:,}",
                     f"{row.pending:,}",
                     "" if pd.isna(row.absent_rate) else f"{row.absent_rate:.1%}",
                     "" if pd.isna(row.failed_rate) else f"{row.failed_rate:.1%}"]
    assert cells[:len(expected)] == expected


def test_storage_figures_match_the_api(store: Path, tmp_path: Path) -> None:
    run = reports.run_report("storage_costs", OTHER_PARAMETERS["storage_costs"],
                             out_dir=tmp_path, db_path=store)
    with open_database(store, read_only=True) as con:
        costs = storage_costs(con, "2026-03", "2026-09", as_of="2026-09-15", rate=0.001,
                              free_minutes=500, currency="EUR")
    assert costs["storage_cost"].sum() > 0  # the free tier is crossed: money to show
    cells = _html_cells(run.html)
    expected = []
    for row in costs.itertuples():
        expected += [f"{row.month:%Y-%m}", f"{row.avg_stored_minutes:,.1f}",
                     f"{row.billable_minutes:,.1f}", f"EUR {row.storage_cost:,.2f}",
                     f"EUR {row.recording_fees:,.2f}", "yes" if row.partial else "no"]
    assert cells[:len(expected)] == expected
    assert expected[-1] == "yes"  # September is counted to the 15th


def test_retention_writes_the_candidate_csv_next_to_its_report(store: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hold.txt").write_text("\n".join(HOLD) + "\n")
    params = {k: v for k, v in OTHER_PARAMETERS["retention"].items() if k != "out_csv"}
    run = reports.run_report("retention", params, out_dir="out", db_path=store,
                             run_date=dt.date(2026, 10, 1))
    csv_path = tmp_path / "out" / "retention-20261001.csv"
    assert run.parameters["out_csv"] == str(csv_path)
    written = pd.read_csv(csv_path)
    with open_database(store, read_only=True) as con:
        expected = retention_candidates(con, "2026-09-30", 60, 200, require_archive=False,
                                        legal_hold=tmp_path / "hold.txt", rate=0.001)
    assert list(written["sid"]) == list(expected["sid"])
    assert list(written["action"]) == list(expected["action"])
    held = written[written["action"] == "hold"]
    assert f"RE{5:032x}" in set(held["sid"])
    assert f"RE{12:032x}" in set(held["sid"]) or f"RE{12:032x}" not in set(written["sid"])
    assert {"delete", "hold"} <= set(written["action"])
    assert "retention-20261001.csv" in visible_text(run.html.read_text())
    assert PARENT in set(written["account_sid"])


def test_run_all_runs_every_report(store: Path, tmp_path: Path) -> None:
    seen: list[str] = []
    runs = reports.run_all({"start": "2026-05-01", "end": "2026-06-01"}, tmp_path, store,
                           run_date=dt.date(2026, 6, 2), progress=seen.append)
    assert seen == REPORT_NAMES
    assert [r.name for r in runs] == REPORT_NAMES
    for run in runs:
        check_executed(run)
        expected = {"start": "2026-05-01", "end": "2026-06-01"} if run.name in {
            "recording_health", "error_codes", "callback_delivery"} else {}
        assert {k: run.parameters[k] for k in ("start", "end") if k in run.parameters} == expected
