"""Report machinery: discovery, parameter checks, database checks, secrets, HTML export, CLI.

These tests start no kernel unless marked ``notebook``; the notebooks themselves are run in
tests/test_notebooks_run.py. ``build_report_store`` makes the small hand-built store both use.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import duckdb
import nbformat
import pandas as pd
import pytest

from reccb_analytics import metrics, reports
from reccb_analytics.db import open_database
from reccb_analytics.exceptions import (
    ConfigError,
    DatabaseMissingError,
    ReportNotFoundError,
    ReportParameterError,
)

REPORT_NAMES = ["callback_delivery", "error_codes", "recording_health", "retention",
                "storage_costs"]
PARENT = "AC" + "a" * 32
SUBACCOUNTS = ["AC" + "b" * 32, "AC" + "c" * 32]
SOURCES = ["DialVerb", "Conference", "Trunking", "RecordVerb", "OutboundAPI"]


def _sid(prefix: str, number: int) -> str:
    return f"{prefix}{number:032x}"


def build_report_store(path: Path, *, seed: int = 7) -> Path:
    """A small store spanning 2025-11-01 .. 2026-10-31, with every kind of evidence reports show.

    About 20 recordings a month over three accounts and five sources: completed, absent (16101,
    16102), failed (16104), deleted and pending ones; terminal callbacks for all but Trunking
    (which sends none), with retries, a non-2xx answer, an invalid signature, a callback-only
    recording and a metadata/callback disagreement; two ingested files, three rejects and two
    months of Twilio usage records.
    """
    rng = random.Random(seed)
    con = open_database(path)
    now = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)
    recordings, deliveries = [], []
    number = 0
    day = dt.date(2025, 11, 1)
    while day <= dt.date(2026, 10, 31):
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            number += 1
            start = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)),
                                        tzinfo=dt.UTC)
            duration = rng.randrange(5, 900)
            source = SOURCES[number % len(SOURCES)]
            account = [PARENT, *SUBACCOUNTS][number % 3]
            roll = rng.random()
            status, error = "completed", None
            if roll < 0.08:
                status, error, duration = "absent", rng.choice([16101, 16102]), 0
            elif roll < 0.11:
                status, error, duration = "failed", 16104, 0
            elif roll < 0.16:
                status = "deleted"
            if day >= dt.date(2026, 10, 29) and number % 4 == 0:
                status = "processing"  # pending: no terminal status yet
            sid = _sid("RE", number)
            created = start + dt.timedelta(seconds=duration)
            updated = created + dt.timedelta(days=40 if status == "deleted" else 0, seconds=5)
            recordings.append({
                "sid": sid, "account_sid": account, "call_sid": _sid("CA", number),
                "status": status, "source": source, "channels": 1 + number % 2,
                "duration_s": duration, "start_time": start, "date_created": created,
                "date_updated": updated,
                "price": None if status != "completed" else -0.0025 * (1 + duration // 60),
                "price_unit": "USD", "error_code": error,
                "first_seen_at": now, "first_seen_in": "recordings.json",
                "last_seen_at": now, "last_seen_in": "recordings.json", "ingest_id": 1,
            })
            if source == "Trunking" or status == "processing" or number % 13 == 0:
                continue  # Trunking sends no callbacks; some others were lost
            cb_status = "absent" if status == "absent" else (
                "failed" if status == "failed" else "completed")
            if number == 30:
                cb_status = "absent"  # disagreement: metadata says completed
            received = created + dt.timedelta(seconds=rng.randrange(1, 90))
            for attempt in range(1 + (number % 9 == 0)):  # some retries
                deliveries.append({
                    "delivery_id": f"d{number}-{attempt}", "received_at":
                        received + dt.timedelta(seconds=15 * attempt),
                    "recording_sid": sid, "account_sid": account, "call_sid": _sid("CA", number),
                    "status": cb_status, "duration_s": duration, "channels": 1 + number % 2,
                    "start_time": start, "source": source, "error_code": error,
                    "http_status": 500 if (number % 9 == 0 and attempt == 0) else 200,
                    "signature_valid": number % 25 != 0,
                })
        day += dt.timedelta(days=1)
    # A recording seen only in callbacks.
    deliveries.append({
        "delivery_id": "only-cb", "received_at": dt.datetime(2026, 3, 3, 12, 0, 5, tzinfo=dt.UTC),
        "recording_sid": _sid("RE", 9999), "account_sid": PARENT, "call_sid": _sid("CA", 9999),
        "status": "completed", "duration_s": 61, "channels": 1,
        "start_time": dt.datetime(2026, 3, 3, 11, 59, tzinfo=dt.UTC),
        "source": "DialVerb", "error_code": None, "http_status": 200, "signature_valid": True,
    })
    rec = pd.DataFrame(recordings)
    cbs = pd.DataFrame(deliveries)
    con.register("rec_df", rec)
    con.execute(f"INSERT INTO recordings ({', '.join(rec.columns)}) "
                f"SELECT {', '.join(rec.columns)} FROM rec_df")
    con.register("cb_df", cbs)
    con.execute(f"INSERT INTO callback_deliveries ({', '.join(cbs.columns)}) "
                f"SELECT {', '.join(cbs.columns)} FROM cb_df")
    con.execute(
        "INSERT INTO ingest_files (ingest_id, path, kind, origin, records_read, loaded, rejected,"
        " started_at, finished_at) VALUES "
        "(1, 'recordings.json', 'recordings', 'file', $n, $n, 0, $t, $t),"
        "(2, 'callbacks.ndjson', 'callbacks', 'file', $m + 3, $m, 3, $t, $t)",
        {"n": len(rec), "m": len(cbs), "t": now},
    )
    con.execute(
        "INSERT INTO rejects (ingest_id, source_file, source_line, raw_text, reason) VALUES "
        "(2, 'callbacks.ndjson', 4, '{', 'invalid JSON'),"
        "(2, 'callbacks.ndjson', 9, 'x=1', 'not a recording status callback'),"
        "(2, 'callbacks.ndjson', 12, 'RecordingSid=RE1', 'malformed RecordingSid')"
    )
    con.execute(
        "INSERT INTO usage_records (account_sid, category, start_date, end_date, usage, "
        "usage_unit, price, price_unit, fetched_at) VALUES "
        "($p, 'recordingstorage', DATE '2026-08-01', DATE '2026-08-31', 0, 'minutes', 0, 'usd',"
        " $t), ($p, 'recordingstorage', DATE '2026-09-01', DATE '2026-09-30', 0, 'minutes', 0,"
        " 'usd', $t)",
        {"p": PARENT, "t": now},
    )
    con.close()
    return path


@pytest.fixture(scope="module")
def report_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report_store(tmp_path_factory.mktemp("store") / "reports.duckdb")


def reccb(*args: str, cwd: Path, env: dict[str, str] | None = None,
          timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real ``reccb`` command line in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("RECCB_DB", "RECCB_CONFIG")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "reccb_analytics", *args], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------- the templates


def test_the_five_reports_are_found() -> None:
    assert reports.report_names() == REPORT_NAMES
    assert [r.name for r in reports.list_reports()] == REPORT_NAMES
    with pytest.raises(ReportNotFoundError, match="available: callback_delivery, error_codes"):
        reports.get_report("recording_heath")


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_template_is_committed_clean_and_thin(name: str) -> None:
    path = reports.notebook_path(name)
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code_cells:
        assert cell.outputs == [] and cell.execution_count is None, "commit without outputs"
    # First code cell: the parameters, literals only, each with help.
    params_cell, setup_cell = code_cells[0], code_cells[1]
    assert params_cell.metadata.get("tags") == ["parameters"]
    assignments = [line for line in params_cell.source.splitlines() if line.strip()]
    declared = reports.report_parameters(name)
    assert len(declared) == len(assignments), "every line must parse as one parameter"
    for param in declared:
        assert param.help, f"{name}.{param.name} has no help comment"
        assert param.type in {"str", "int", "float", "bool"}
    assert declared[0].name == "db_path" and declared[0].default == ""
    # Then ONE setup cell, which opens the store; the first markdown cell is the title.
    assert "open_report_db(db_path)" in setup_cell.source
    assert sum("open_report_db" in c.source for c in code_cells) == 1
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    # A data-quality banner comes right after the setup cell, before any section.
    assert code_cells[2].source.startswith("banner(data_quality(con)")
    # Sections: headings, and short cells: at most one metrics call, at most two statements.
    assert sum(c.source.startswith("## ") for c in nb.cells if c.cell_type == "markdown") >= 2
    metric_names = set(metrics.__all__)
    for cell in code_cells[2:]:
        tree = ast.parse(cell.source)
        assert len(tree.body) <= 2, cell.source
        calls = [n.func.id for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
        assert sum(c in metric_names for c in calls) <= 1, cell.source


def test_defaults_cover_the_sample_period() -> None:
    health = {p.name: p.default for p in reports.report_parameters("recording_health")}
    assert (health["start"], health["end"], health["tz"]) == ("2025-11-01", "2026-11-01", "UTC")
    costs = {p.name: p.default for p in reports.report_parameters("storage_costs")}
    assert (costs["start_month"], costs["end_month"]) == ("2025-11", "2026-10")


# --------------------------------------------------------------------------- parameters


def test_unknown_parameter_is_an_error_listing_the_valid_names(tmp_path: Path) -> None:
    report = reports.get_report("recording_health")
    with pytest.raises(ReportParameterError) as err:
        reports.prepare_parameters(report, {"strat": "2026-01-01"}, db_path=tmp_path / "x")
    message = str(err.value)
    assert "'strat'" in message
    assert "valid parameters: db_path, start, end, freq, by, tz" in message


def test_values_are_coerced_to_the_default_type(tmp_path: Path) -> None:
    report = reports.get_report("retention")
    prepared = reports.prepare_parameters(
        report, {"archive_after_days": "45", "require_archive": "no", "rate": "0.001",
                 "as_of": "2026-09-30"}, db_path=tmp_path / "s.duckdb", base_dir=tmp_path)
    assert prepared["archive_after_days"] == 45
    assert prepared["require_archive"] is False
    assert prepared["rate"] == 0.001
    assert prepared["as_of"] == "2026-09-30"
    assert prepared["db_path"] == str(tmp_path / "s.duckdb")


@pytest.mark.parametrize(("name", "given", "expected"), [
    ("retention", {"archive_after_days": "thirty"}, "not a valid int"),
    ("retention", {"archive_after_days": "1.5"}, "not a valid int"),
    ("retention", {"require_archive": "maybe"}, "not a valid bool"),
    ("storage_costs", {"rate": "cheap"}, "not a valid float"),
    ("storage_costs", {"rate": "nan"}, "not a valid float"),
    ("retention", {"legal_hold_file": "no-such-holds.txt"}, "no such file"),
    ("storage_costs", {"config_path": "no-such.toml"}, "no such file"),
    ("recording_health", {"start": "2026-13-01"}, "a date YYYY-MM-DD"),
    ("recording_health", {"end": "1 Jan 2026"}, "a date YYYY-MM-DD"),
    ("storage_costs", {"start_month": "2026-1"}, "a month YYYY-MM"),
    ("storage_costs", {"end_month": "2026-13"}, "a month YYYY-MM"),
    ("recording_health", {"freq": "year"}, "one of day, week, month"),
    ("error_codes", {"by": "channels"}, "one of source, account_sid"),
    ("recording_health", {"tz": "Mars/Olympus"}, "a time zone name"),
])
def test_bad_values_are_rejected_before_running(name: str, given: dict[str, str],
                                                expected: str, tmp_path: Path) -> None:
    with pytest.raises(ReportParameterError, match=expected):
        reports.prepare_parameters(reports.get_report(name), given, db_path=tmp_path / "x")


def test_empty_value_allowed_where_the_default_is_empty(tmp_path: Path) -> None:
    prepared = reports.prepare_parameters(reports.get_report("storage_costs"), {"as_of": ""},
                                          db_path=tmp_path / "x")
    assert prepared["as_of"] == ""


def test_path_parameters_become_absolute(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECCB_DB", raising=False)
    monkeypatch.delenv("RECCB_CONFIG", raising=False)
    (tmp_path / "reccb.toml").write_text("[storage]\nrate = 0.001\n")
    (tmp_path / "holds").mkdir()
    (tmp_path / "holds" / "hold.txt").write_text("")
    prepared = reports.prepare_parameters(
        reports.get_report("retention"),
        {"legal_hold_file": "holds/hold.txt", "out_csv": "../out.csv"}, base_dir=tmp_path)
    assert prepared["legal_hold_file"] == str(tmp_path / "holds" / "hold.txt")
    assert prepared["out_csv"] == str(tmp_path.parent / "out.csv")
    # No --db: $RECCB_DB, else data/reccb.duckdb, as an absolute path.
    assert prepared["db_path"] == str(Path.cwd() / "data" / "reccb.duckdb")
    # The caller's config file is found and passed absolute (the kernel runs elsewhere).
    assert prepared["config_path"] == str(tmp_path / "reccb.toml")
    monkeypatch.setenv("RECCB_DB", str(tmp_path / "env.duckdb"))
    prepared = reports.prepare_parameters(reports.get_report("error_codes"), {})
    assert prepared == {"db_path": str(tmp_path / "env.duckdb")}


def test_a_named_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        reports.prepare_parameters(reports.get_report("storage_costs"), {},
                                   db_path=tmp_path / "x", config_path=tmp_path / "nope.toml")
    # Reports without a config_path parameter do not care.
    assert "config_path" not in reports.prepare_parameters(
        reports.get_report("error_codes"), {}, db_path=tmp_path / "x",
        config_path=tmp_path / "nope.toml")


def test_database_given_twice_differently_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReportParameterError, match="given twice"):
        reports.prepare_parameters(reports.get_report("error_codes"),
                                   {"db_path": str(tmp_path / "a")}, db_path=tmp_path / "b")
    same = reports.prepare_parameters(reports.get_report("error_codes"),
                                      {"db_path": str(tmp_path / "a")}, db_path=tmp_path / "a")
    assert same["db_path"] == str(tmp_path / "a")


def test_a_credential_is_never_a_parameter(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", FAKE_TOKEN)
    with pytest.raises(ReportParameterError, match=r"\$TWILIO_AUTH_TOKEN"):
        reports.prepare_parameters(reports.get_report("storage_costs"),
                                   {"currency": FAKE_TOKEN}, db_path=tmp_path / "x")
    with pytest.raises(ReportParameterError, match=r"\$TWILIO_AUTH_TOKEN"):
        reports.prepare_parameters(reports.get_report("retention"),
                                   {"out_csv": f"/tmp/{FAKE_TOKEN}.csv"}, db_path=tmp_path / "x")


# --------------------------------------------------------------------------- database checks


def test_missing_empty_and_foreign_databases(tmp_path: Path) -> None:
    with pytest.raises(DatabaseMissingError, match="no database at"):
        reports.check_database(tmp_path / "nope.duckdb")
    (tmp_path / "zero.duckdb").write_bytes(b"")
    with pytest.raises(DatabaseMissingError, match="no database at"):
        reports.check_database(tmp_path / "zero.duckdb")
    open_database(tmp_path / "empty.duckdb").close()  # schema, no rows
    with pytest.raises(DatabaseMissingError, match="no recordings and no callbacks"):
        reports.check_database(tmp_path / "empty.duckdb")
    duckdb.connect(str(tmp_path / "other.duckdb")).close()
    with pytest.raises(DatabaseMissingError, match="not a reccb-analytics database"):
        reports.check_database(tmp_path / "other.duckdb")


def test_a_store_with_data_passes(report_store: Path) -> None:
    assert reports.check_database(report_store) == report_store


# --------------------------------------------------------------------------- secrets


def test_kernel_environment_drops_credentials() -> None:
    env = {"PATH": "/bin", "HOME": "/h", "TWILIO_AUTH_TOKEN": "fake-token-not-real",
           "TWILIO_API_SECRET": "s" * 32, "TWILIO_ACCOUNT_SID": PARENT,
           "AWS_SECRET_ACCESS_KEY": "k" * 20, "DB_PASSWORD": "hunter22", "RECCB_DB": "/x.duckdb"}
    assert reports.kernel_environment(env) == {"PATH": "/bin", "HOME": "/h",
                                               "RECCB_DB": "/x.duckdb"}
    # Redaction covers credential-like names but not the account SID (reports show SIDs).
    secrets = reports.secret_values(env)
    assert set(secrets) == {"fake-token-not-real", "s" * 32, "k" * 20, "hunter22"}
    assert reports.redact(f"x {'s' * 32} {PARENT}", secrets) == f"x [redacted] {PARENT}"


# --------------------------------------------------------------------------- the CLI


def test_report_list_shows_names_parameters_and_help(tmp_path: Path) -> None:
    done = reccb("report", "list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in REPORT_NAMES:
        assert f"{name}: " in done.stdout
    assert "-p start_month" in done.stdout and "first month included (YYYY-MM)" in done.stdout
    assert "-p legal_hold_file" in done.stdout


def test_misspelled_parameter_exits_2_and_runs_nothing(tmp_path: Path,
                                                       report_store: Path) -> None:
    done = reccb("report", "run", "recording_health", "-p", "misspelled", "1",
                 "--db", str(report_store), "--out", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert "no parameter 'misspelled'" in done.stderr
    assert "valid parameters: db_path, start, end, freq, by, tz" in done.stderr
    assert not (tmp_path / "out").exists()


def test_bad_value_exits_2(tmp_path: Path, report_store: Path) -> None:
    done = reccb("report", "run", "storage_costs", "-p", "start_month", "March",
                 "--db", str(report_store), "--out", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert "start_month: 'March' is not a month YYYY-MM" in done.stderr
    assert not (tmp_path / "out").exists()


def test_all_with_a_parameter_no_report_has_exits_2(tmp_path: Path, report_store: Path) -> None:
    done = reccb("report", "run", "--all", "-p", "sart", "2026-01-01",
                 "--db", str(report_store), "--out", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert "no report has parameter 'sart'" in done.stderr
    assert not (tmp_path / "out").exists()


def test_missing_database_exits_6(tmp_path: Path) -> None:
    done = reccb("report", "run", "recording_health", "--out", "out", cwd=tmp_path)
    assert done.returncode == 6
    assert f"no database at {tmp_path / 'data' / 'reccb.duckdb'}" in done.stderr
    done = reccb("report", "run", "--all", "--db", "missing.duckdb", cwd=tmp_path)
    assert done.returncode == 6


def test_empty_database_exits_6(tmp_path: Path) -> None:
    open_database(tmp_path / "empty.duckdb").close()
    done = reccb("report", "run", "error_codes", "--db", "empty.duckdb", cwd=tmp_path)
    assert done.returncode == 6
    assert "holds no recordings and no callbacks" in done.stderr


def test_unknown_report_exits_8_and_name_or_all_is_required(tmp_path: Path) -> None:
    done = reccb("report", "run", "recording_heath", cwd=tmp_path)
    assert done.returncode == 8
    assert "no report named 'recording_heath'" in done.stderr
    done = reccb("report", "run", cwd=tmp_path)
    assert done.returncode == 2
    assert "give a report NAME or --all" in done.stderr


@pytest.mark.parametrize("command", [["report"], ["report", "list"], ["report", "run"], ["lab"]])
def test_help_has_examples(command: list[str], tmp_path: Path) -> None:
    done = reccb(*command, "--help", cwd=tmp_path)
    assert done.returncode == 0
    assert "Example" in done.stdout and "reccb " in done.stdout.split("Example", 1)[1]


# --------------------------------------------------------------------------- running (kernels)

# Distinctive values that are visibly not credentials (no 32-hex run like a real token).
FAKE_TOKEN = "tok-FAKE-not-a-real-token-Zq7Wm4RtYu"
FAKE_SECRET = "sec-FAKE-not-a-real-secret-Xv2Kp9Lb"


def visible_text(html_text: str) -> str:
    """The text a reader sees: no style, script or tags."""
    import html as html_lib
    import re

    body = re.sub(r"<(style|script)\b.*?</\1>", " ", html_text, flags=re.S | re.I)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html_lib.unescape(body))


def assert_no_code_cells(html_text: str) -> None:
    assert "hl-ipython3" not in html_text  # nbconvert's class for highlighted code input
    assert "jp-InputPrompt" not in html_text.split("</style>")[-1]
    for code in ("open_report_db(", "import ", "con.close()", "db_path ="):
        assert code not in visible_text(html_text)


@pytest.mark.slow
@pytest.mark.notebook
def test_html_has_the_sections_and_no_credential(tmp_path: Path, report_store: Path) -> None:
    (tmp_path / "prices.toml").write_text('[storage]\nrate = 0.002\ncurrency = "EUR"\n')
    done = reccb("report", "run", "storage_costs", "--db", str(report_store), "--out", "out",
                 "-p", "free_minutes", "500", "--config", "prices.toml", cwd=tmp_path,
                 env={"TWILIO_AUTH_TOKEN": FAKE_TOKEN, "TWILIO_API_SECRET": FAKE_SECRET,
                      "TWILIO_ACCOUNT_SID": PARENT})
    assert done.returncode == 0, done.stderr
    stamp = f"{dt.date.today():%Y%m%d}"
    html_path = tmp_path / "out" / f"storage_costs-{stamp}.html"
    assert done.stdout.strip() == f"storage_costs: {html_path}"
    html_text = html_path.read_text(encoding="utf-8")
    text = visible_text(html_text)
    for heading in ("Recording storage costs", "About this data",
                    "Stored minutes and cost per month", "Split by subaccount", "Recording fees",
                    "Forecast for next month", "What the retention policy would save",
                    "Twilio's bill compared with the estimate"):
        assert heading in text, heading
    assert_no_code_cells(html_text)
    assert "EUR " in text and "USD" not in text  # prices from --config
    notebook_path = tmp_path / "out" / f"storage_costs-{stamp}.ipynb"
    recorded = nbformat.read(notebook_path, as_version=4).metadata.papermill.parameters
    assert recorded == {"db_path": str(report_store), "free_minutes": 500.0,
                        "config_path": str(tmp_path / "prices.toml")}
    notebook_text = notebook_path.read_text()
    for output in (html_text, notebook_text, done.stdout, done.stderr):
        assert FAKE_TOKEN not in output and FAKE_SECRET not in output
        assert FAKE_TOKEN[4:20] not in output and FAKE_SECRET[4:20] not in output


@pytest.mark.slow
@pytest.mark.notebook
def test_kernel_has_no_credentials_and_outputs_are_scrubbed(
        tmp_path: Path, report_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report that tries to print credentials gets none, and a secret it reads from a file
    is redacted from the notebook and the HTML."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = nbformat.v4.new_code_cell(
        'db_path = ""  # store\nleak_file = ""  # a file whose text is printed')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Leaky"), params,
        nbformat.v4.new_code_cell(
            "import os\n"
            "print('token:', os.environ.get('TWILIO_AUTH_TOKEN', 'absent'))\n"
            "print('secret:', os.environ.get('TWILIO_API_SECRET', 'absent'))\n"
            "print('twilio vars:', sorted(k for k in os.environ if k.startswith('TWILIO')))\n"
            "print('file:', open(leak_file).read())"),
    ]
    nbformat.write(nb, tmp_path / "leaky.ipynb")
    (tmp_path / "leak.txt").write_text(FAKE_SECRET)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("TWILIO_API_SECRET", FAKE_SECRET)
    monkeypatch.chdir(tmp_path)
    run = reports.run_report(reports.load_report(tmp_path / "leaky.ipynb"),
                             {"leak_file": "leak.txt"}, "out", db_path=report_store)
    executed = nbformat.read(run.notebook, as_version=4)
    printed = "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    assert "token: absent" in printed and "secret: absent" in printed
    assert "twilio vars: []" in printed
    assert "file: [redacted]" in printed
    for path in (run.notebook, run.html):
        assert FAKE_SECRET not in path.read_text() and FAKE_TOKEN not in path.read_text()
    assert run.parameters == {"leak_file": str(tmp_path / "leak.txt"),
                              "db_path": str(report_store)}


@pytest.mark.slow
@pytest.mark.notebook
def test_a_failing_notebook_exits_9_and_keeps_the_evidence(tmp_path: Path,
                                                           report_store: Path) -> None:
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(report_store.read_bytes())
    con = duckdb.connect(str(broken))
    con.execute("DROP TABLE rejects")  # the banner's data_quality() needs it
    con.close()
    done = reccb("report", "run", "recording_health", "--db", str(broken), "--out", "out",
                 cwd=tmp_path)
    assert done.returncode == 9, done.stderr
    stamp = f"{dt.date.today():%Y%m%d}"
    partial = tmp_path / "out" / f"recording_health-{stamp}.ipynb"
    assert "report recording_health failed in cell" in done.stderr
    assert str(partial) in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    errors = [o for c in nbformat.read(partial, as_version=4).cells
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].ename == "DatabaseError"
    assert not (tmp_path / "out" / f"recording_health-{stamp}.html").exists()


# --------------------------------------------------------------------------- reccb lab


def test_lab_launch_sets_the_database_and_copies_templates(tmp_path: Path,
                                                           report_store: Path) -> None:
    launch = reports.lab_launch(report_store, root_dir=tmp_path / "work", no_browser=True,
                                port=8999, ip="127.0.0.1")
    assert launch.env["RECCB_DB"] == str(report_store)
    assert launch.argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path / 'work'}" in launch.argv
    assert {"--no-browser", "--port=8999", "--ip=127.0.0.1"} <= set(launch.argv)
    assert ("--allow-root" in launch.argv) == (os.geteuid() == 0)
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == [
        f"{n}.ipynb" for n in REPORT_NAMES]
    # An analyst's edited copy is never overwritten.
    (tmp_path / "work" / "retention.ipynb").write_text("{}")
    reports.lab_launch(report_store, root_dir=tmp_path / "work")
    assert (tmp_path / "work" / "retention.ipynb").read_text() == "{}"
    with pytest.raises(DatabaseMissingError):
        reports.lab_launch(tmp_path / "missing.duckdb")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_lab_starts_and_answers_http(tmp_path: Path, report_store: Path) -> None:
    import time
    import urllib.error
    import urllib.request

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "reccb_analytics", "lab", "--db", str(report_store),
         "--dir", str(tmp_path / "work"), "--no-browser", "--port", str(port),
         "--ip", "127.0.0.1", "--", "--ServerApp.token=test-token-123"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status: dict[str, object] | None = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/contents",
                                             headers={"Authorization": "token test-token-123"})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    status = json.load(response)
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert status is not None, "JupyterLab did not answer"
        assert sorted(item["name"] for item in status["content"]) == [
            f"{n}.ipynb" for n in REPORT_NAMES]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
