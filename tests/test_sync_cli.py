"""``reccb sync`` as a user runs it: a real subprocess against the Twilio-compatible server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reccb_analytics.db import open_database
from tests.test_sync import assert_store_equals_server
from tests.twilio_server import TwilioServer, populate, twilio_server  # noqa: F401


def reccb_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without any Twilio variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "RECCB_"))}
    env.update(extra)
    return env


def run_sync(db: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reccb_analytics", "sync", "--db", str(db), *args],
                          env=reccb_env(env), capture_output=True, text=True, timeout=300,
                          check=False)


def test_help_has_examples() -> None:
    done = subprocess.run([sys.executable, "-m", "reccb_analytics", "sync", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert "Examples:" in done.stdout and "reccb sync --since" in done.stdout


def test_bad_auth_token_fails_fast_with_exit_11(twilio_server: TwilioServer, tmp_path: Path) -> None:
    family = populate(twilio_server.store, subaccounts=1, recordings=10, days=2)
    wrong = "fake-wrong-token-not-real"
    env = twilio_server.env(family.parent) | {"TWILIO_AUTH_TOKEN": wrong}

    done = run_sync(tmp_path / "s.duckdb", env)

    assert done.returncode == 11
    assert done.stderr.startswith("reccb: error: Twilio refused the auth token (TWILIO_AUTH_TOKEN) "
                                  f"for account {family.parent.sid}: HTTP 401 (code 20003)")
    assert "Traceback" not in done.stderr + done.stdout
    assert wrong not in done.stderr + done.stdout
    assert len(twilio_server.requests) == 1  # no retry of a refused credential


def test_bad_api_secret_fails_with_exit_11(twilio_server: TwilioServer, tmp_path: Path) -> None:
    family = populate(twilio_server.store, subaccounts=1, recordings=10, days=2)
    env = twilio_server.env(key=family.key) | {"TWILIO_API_SECRET": "wrong"}

    done = run_sync(tmp_path / "s.duckdb", env)

    assert done.returncode == 11
    assert f"API key {family.key.sid}" in done.stderr and family.parent.sid in done.stderr
    assert "Traceback" not in done.stderr and "wrong" not in done.stderr


def test_refused_subaccount_is_named(twilio_server: TwilioServer, tmp_path: Path) -> None:
    family = populate(twilio_server.store, subaccounts=2, recordings=30, days=2)
    refused = family.subaccounts[1]
    twilio_server.faults.denied = {refused.sid}

    done = run_sync(tmp_path / "s.duckdb", twilio_server.env(family.parent))

    assert done.returncode == 11
    assert f"for account {refused.sid} (Sub 1): HTTP 403" in done.stderr
    assert "Traceback" not in done.stderr
    assert refused.auth_token not in done.stderr + done.stdout


def test_missing_credentials_exit_11(tmp_path: Path) -> None:
    done = run_sync(tmp_path / "s.duckdb", {})
    assert done.returncode == 11
    assert "TWILIO_ACCOUNT_SID is not set" in done.stderr and "Traceback" not in done.stderr


def test_one_summary_line_per_account(twilio_server: TwilioServer, tmp_path: Path) -> None:
    family = populate(twilio_server.store, subaccounts=2, recordings=60, days=3)

    done = run_sync(tmp_path / "s.duckdb", twilio_server.env(family.parent))

    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 4  # three accounts, then the total
    assert sorted(line.split(" ", 1)[0] for line in lines[:3]) == sorted(a.sid for a in family.accounts)
    assert lines[3].startswith("sync run 1: 3 account(s), 60 recordings listed, 60 new or changed")


@pytest.mark.slow
def test_kill_midway_then_rerun_gives_the_same_store(twilio_server: TwilioServer, tmp_path: Path) -> None:
    family = populate(twilio_server.store, subaccounts=3, recordings=6000, days=40, in_progress=4)
    stuck = family.subaccounts[2]
    today = datetime.now(UTC).date().isoformat()
    # One listing of one subaccount hangs: everything else finishes, then the process waits.
    twilio_server.faults.hold(f"/Accounts/{stuck.sid}/Recordings.json?DateCreated={today}")
    db = tmp_path / "store.duckdb"
    cmd = [sys.executable, "-m", "reccb_analytics", "sync", "--db", str(db), "--workers", "2"]
    proc = subprocess.Popen(cmd, env=reccb_env(twilio_server.env(family.parent)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Wait until only the held request is left, then past the next timed load (every 5 s).
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 1.5 and proc.poll() is None:
        count = len(twilio_server.requests)
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        time.sleep(0.1)
    time.sleep(6)
    assert proc.poll() is None, "the sync ended before it could be killed"
    proc.send_signal(signal.SIGKILL)  # no chance to clean up
    proc.wait(timeout=30)
    assert [r.note for r in twilio_server.requests if r.note] == ["held"]

    con = open_database(db, read_only=True)
    try:
        assert con.execute("SELECT status FROM sync_runs").fetchall() == [("running",)]
        covered = con.execute("SELECT account_sid, day_from, day_to FROM sync_coverage "
                              "WHERE day_to < $today", {"today": today}).fetchall()
        partial = con.execute("SELECT count(*) FROM recordings").fetchall()[0][0]
        done = con.execute("SELECT count(*) FROM sync_accounts WHERE last_synced_at IS NOT NULL").fetchall()
    finally:
        con.close()
    # How far it got depends on the machine's speed (usually every account but the stuck one);
    # what matters is that the stuck account's last day never landed and the rerun completes.
    assert done[0][0] <= 3
    assert {c[0] for c in covered} <= {a.sid for a in family.accounts}
    assert partial < 6000

    twilio_server.faults.release()
    twilio_server.clear_log()
    rerun = run_sync(db, twilio_server.env(family.parent))
    assert rerun.returncode == 0, rerun.stderr

    con = open_database(db, read_only=True)
    try:
        assert_store_equals_server(con, twilio_server)
        assert con.execute("SELECT count(*), count(DISTINCT sid) FROM recordings").fetchall() == [(6000, 6000)]
        assert con.execute("SELECT status FROM sync_runs ORDER BY run_id").fetchall() == \
            [("running",), ("completed",)]
    finally:
        con.close()
    # The rerun resumed: none of its listings fell inside days the killed run had loaded.
    listings = twilio_server.requests_to("/Recordings.json")
    assert f"/2010-04-01/Accounts/{stuck.sid}/Recordings.json" in {r.path for r in listings}
    for request in listings:
        account = request.path.split("/")[3]
        first = request.query.get("DateCreated") or request.query["DateCreated>"]
        last = request.query.get("DateCreated") or request.query["DateCreated<"]
        assert not [c for c in covered if c[0] == account and str(c[1]) <= first and last <= str(c[2])]


@pytest.mark.slow
def test_ctrl_c_stops_promptly_and_a_rerun_completes(twilio_server: TwilioServer, tmp_path: Path) -> None:
    family = populate(twilio_server.store, subaccounts=1, recordings=400, days=10)
    today = datetime.now(UTC).date().isoformat()
    twilio_server.faults.hold(f"/Accounts/{family.subaccounts[0].sid}/Recordings.json?DateCreated={today}")
    db = tmp_path / "store.duckdb"
    proc = subprocess.Popen([sys.executable, "-m", "reccb_analytics", "sync", "--db", str(db)],
                            env=reccb_env(twilio_server.env(family.parent)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not [r for r in twilio_server.requests if r.note == "held"]:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)  # not held up by the request still in flight

    assert proc.returncode == 130
    assert err.strip().startswith("reccb: interrupted")
    assert "Traceback" not in err
    twilio_server.faults.release()
    rerun = run_sync(db, twilio_server.env(family.parent))
    assert rerun.returncode == 0, rerun.stderr
    con = open_database(db, read_only=True)
    try:
        assert con.execute("SELECT status FROM sync_runs ORDER BY run_id").fetchall() == \
            [("interrupted",), ("completed",)]
        assert_store_equals_server(con, twilio_server)
    finally:
        con.close()
