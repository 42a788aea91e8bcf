"""Live sync against the Twilio-compatible server: real HTTP, the real twilio SDK, real DuckDB."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from reccb_analytics.exceptions import TwilioAuthError
from reccb_analytics.sync import RetryPolicy, SyncOptions, sync
from tests.twilio_server import (  # noqa: F401 - twilio_server is a fixture
    DAY,
    Recording,
    TwilioServer,
    populate,
    rfc2822,
    twilio_server,
    utc,
)

# Retries fast enough for tests; as many attempts as the storms below need.
FAST = RetryPolicy(max_attempts=12, base=0.01, cap=0.05)


def options(**changes: object) -> SyncOptions:
    base = {"workers": 4, "retry": FAST, "flush_seconds": 0.2, "page_size": 50}
    base.update(changes)
    return SyncOptions(**base)  # type: ignore[arg-type]


def instant(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def stored(con) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT sid, account_sid, call_sid, conference_sid, status, source, channels, track, "
        "duration_s, start_time, date_created, date_updated, price, price_unit, error_code, "
        "media_url, encrypted, raw::VARCHAR, first_seen_in, last_seen_in FROM recordings"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def expected_row(server: TwilioServer, rec: Recording, offset: int | None = None) -> tuple:
    """The row the store must hold for ``rec``, from the server's own data."""
    return (
        rec.account_sid, rec.call_sid, rec.conference_sid, rec.status, rec.source, rec.channels,
        None, rec.duration, instant(rec.start_time), instant(rec.date_created),
        instant(rec.date_updated), Decimal(rec.price) if rec.price is not None else None,
        rec.price_unit, rec.error_code,
        f"{server.url}/2010-04-01/Accounts/{rec.account_sid}/Recordings/{rec.sid}", False,
        server.store.recording_json(rec, offset), f"api:{rec.account_sid}", f"api:{rec.account_sid}",
    )


def assert_store_equals_server(con, server: TwilioServer, offset: int | None = None) -> None:
    rows = stored(con)
    visible = [r for r in server.store.recordings.values() if server.store.visible(r, True)]
    assert sorted(rows) == sorted(r.sid for r in visible)
    for rec in visible:
        row = rows[rec.sid]
        got = row[:16] + (json.loads(row[16]),) + row[17:]
        assert got == expected_row(server, rec, offset), rec.sid


def hours_ago(hours: float) -> int:
    return int(time.time() - hours * 3600)


def test_full_sync_equals_server_data(twilio_server: TwilioServer, con) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=2, recordings=400, days=10, in_progress=2)
    sub = family.subaccounts[0]
    store.add_recording(sub.sid, hours_ago(30), deleted_at=hours_ago(5), duration=30)
    store.add_recording(sub.sid, hours_ago(24 * 60), deleted_at=hours_ago(24 * 45))  # purged
    store.add_recording(family.parent.sid, hours_ago(50), utc_offset=60, duration=7)

    report = sync(con, environ=twilio_server.env(family.parent), options=options())

    # 400 populated + the recently deleted one + the +0100 one; the one deleted 45 days ago is gone.
    assert len(stored(con)) == 402
    assert_store_equals_server(con, twilio_server)
    assert [a.account_sid for a in sorted(report.accounts, key=lambda a: a.account_sid)] == \
        sorted(a.sid for a in family.accounts)
    assert report.total("listed") == 402 and report.total("loaded") == 402
    lists = twilio_server.requests_to("/Recordings.json")
    assert lists and all(r.query.get("IncludeSoftDeleted") == "true" for r in lists)
    assert all(int(r.query.get("PageSize", "0")) <= 1000 for r in lists)
    assert con.execute("SELECT count(*) FROM sync_accounts WHERE last_synced_at IS NOT NULL").fetchall() == [(3,)]
    assert con.execute("SELECT status FROM sync_runs").fetchall() == [("completed",)]


def test_resync_with_nothing_new_lists_only_unsettled_days(twilio_server: TwilioServer, con) -> None:
    family = populate(twilio_server.store, subaccounts=1, recordings=300, days=20)
    sync(con, environ=twilio_server.env(family.parent), options=options())
    twilio_server.clear_log()

    report = sync(con, environ=twilio_server.env(family.parent), options=options())

    # Only days listed before they ended are listed again (today, and yesterday during the
    # first hour of today): single-day windows.
    today = datetime.now(UTC).date()
    days = {r.query.get("DateCreated") for r in twilio_server.requests_to("/Recordings.json")}
    assert today.isoformat() in days
    assert days <= {today.isoformat(), (today - timedelta(days=1)).isoformat()}
    assert report.total("loaded") == 0
    assert_store_equals_server(con, twilio_server)


def test_items_repeated_across_pages_are_collapsed(twilio_server: TwilioServer, con) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=0, recordings=0)
    day = utc(2026, 2, 10)
    for i in range(300):
        store.add_recording(family.parent.sid, day + 60 * i)
    twilio_server.faults.repeat_items = 5

    report = sync(con, environ=twilio_server.env(family.parent), options=options())

    # Pages of 50 that each restart 5 items early: 0-49, 45-94, ..., 270-299: 7 pages and
    # 6 page turns of 5 repeated items each.
    assert report.total("repeated") == 30
    day_pages = [r for r in twilio_server.requests_to("/Recordings.json")
                 if r.query.get("DateCreated") == "2026-02-10"]
    assert len(day_pages) == 7
    assert len(stored(con)) == 300
    assert_store_equals_server(con, twilio_server)


def test_429_retry_after_is_respected(twilio_server: TwilioServer, con) -> None:
    family = populate(twilio_server.store, subaccounts=1, recordings=200, days=5)
    twilio_server.faults.fail_next(2, status=429, retry_after=1, match="/Recordings.json")

    report = sync(con, environ=twilio_server.env(family.parent), options=options())

    log = list(twilio_server.requests)
    throttled = [r for r in log if r.status == 429]
    assert len(throttled) == 2
    for refused in throttled:
        again = next(r for r in log if r.path == refused.path and r.query == refused.query
                     and r.started > refused.finished)
        # The retry of the same request waited at least Retry-After (server-side clock).
        assert again.started - refused.finished >= 0.95
    assert report.total("retries") >= 2
    assert_store_equals_server(con, twilio_server)


def test_500_storm_and_dropped_connections_are_survived(twilio_server: TwilioServer, con) -> None:
    family = populate(twilio_server.store, subaccounts=2, recordings=300, days=6)
    twilio_server.faults.fail_next(6, status=500, match="/Recordings")
    twilio_server.faults.drop_next(3, match="/Recordings.json")

    sync(con, environ=twilio_server.env(family.parent), options=options())

    log = list(twilio_server.requests)
    assert sum(r.status == 500 for r in log) == 6
    assert sum(r.note == "dropped mid-response" for r in log) == 3
    assert twilio_server.faults.pending() == 0
    assert_store_equals_server(con, twilio_server)


def test_recording_completing_between_syncs_is_updated(twilio_server: TwilioServer, con) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=0, recordings=20, days=10)
    created = hours_ago(24 * 3)
    rec = store.add_recording(family.parent.sid, created, status="in-progress", duration=None,
                              price=None, date_updated=created)
    sync(con, environ=twilio_server.env(family.parent), options=options())
    assert stored(con)[rec.sid][3] == "in-progress"

    store.update_recording(rec.sid, status="completed", duration=42, price="-0.00250",
                           date_updated=created + 50)
    twilio_server.clear_log()
    sync(con, environ=twilio_server.env(family.parent), options=options())

    row = stored(con)[rec.sid]
    assert row[3] == "completed" and row[7] == 42 and row[11] == Decimal("-0.0025")
    assert row[10] == instant(created + 50)
    # Found by its SID (its day was already listed and settled), not by listing its day again.
    assert len(twilio_server.requests_to(f"/Recordings/{rec.sid}.json")) == 1
    day = instant(created).date().isoformat()
    assert not [r for r in twilio_server.requests_to("/Recordings.json") if r.query.get("DateCreated") == day]
    assert con.execute("SELECT count(*) FROM recordings").fetchall() == [(21,)]


def test_deletion_lands_as_status_deleted(twilio_server: TwilioServer, con) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=0, recordings=0)
    recent = store.add_recording(family.parent.sid, hours_ago(0.5))
    older = store.add_recording(family.parent.sid, hours_ago(24 * 5))
    sync(con, environ=twilio_server.env(family.parent), options=options())
    store.delete_recording(recent.sid, at=hours_ago(0.1))
    store.delete_recording(older.sid, at=hours_ago(0.1))

    sync(con, environ=twilio_server.env(family.parent), options=options())
    rows = stored(con)
    # Today is listed again (IncludeSoftDeleted): the deletion lands with its time.
    assert rows[recent.sid][3] == "deleted"
    assert rows[recent.sid][10] == instant(recent.deleted_at)
    # Five days ago was listed after it ended and is not due for a sweep yet ...
    assert rows[older.sid][3] == "completed"

    sync(con, environ=twilio_server.env(family.parent), options=options(sweep_days=0))
    # ... the sweep (every --sweep-days; here every run) finds it.
    assert stored(con)[older.sid][3] == "deleted"
    assert_store_equals_server(con, twilio_server)


def test_offset_dates_are_stored_as_the_right_instant(twilio_server: TwilioServer, con) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=1, recordings=60, days=5)
    late = utc(2026, 2, 14, 23, 30, 0)
    rec = store.add_recording(family.parent.sid, late, utc_offset=60, duration=5,
                              date_updated=late + 10)
    assert store.recording_json(rec)["date_created"] == "Sun, 15 Feb 2026 00:30:00 +0100"
    twilio_server.faults.utc_offset = 60  # every other date too

    sync(con, environ=twilio_server.env(family.parent), options=options())

    row = stored(con)[rec.sid]
    assert row[9] == datetime(2026, 2, 14, 23, 30, tzinfo=UTC)
    assert row[10] == datetime(2026, 2, 14, 23, 30, 10, tzinfo=UTC)
    assert json.loads(row[16])["date_created"].endswith("+0100")
    assert_store_equals_server(con, twilio_server, offset=60)


def test_usage_records_land_and_show_in_storage_costs(twilio_server: TwilioServer, con) -> None:
    from reccb_analytics.metrics.storage import storage_costs

    store = twilio_server.store
    store.now = utc(2026, 4, 15, 12)   # the server's today; the deletion below is still visible
    store.free_minutes = 0             # so that storage has a price to compare
    parent = store.add_account(date_created=utc(2026, 3, 1))
    store.add_recording(parent.sid, utc(2026, 3, 5, 10), duration=61)    # 2 minutes
    store.add_recording(parent.sid, utc(2026, 3, 20, 10), duration=120,  # 2 minutes ...
                        deleted_at=utc(2026, 4, 10))                     # ... until April 10

    report = sync(con, environ=twilio_server.env(parent), options=options())

    today = date.today()
    months = (today.year - 2026) * 12 + today.month - 3 + 1
    assert report.total("usage_records") == 2 * months
    rows = {(r[0], str(r[1])): r[2:] for r in con.execute(
        "SELECT category, start_date, end_date, usage, usage_unit, count, price, price_unit "
        "FROM usage_records WHERE start_date <= DATE '2026-04-30' ORDER BY 1, 2").fetchall()}
    # March: 2 recordings of 2 minutes each; $0.0025/min.
    assert rows[("recordings", "2026-03-01")] == (date(2026, 3, 31), Decimal(4), "minutes",
                                                  Decimal(2), Decimal("0.01"), "usd")
    # March storage: 2 min on Mar 5-19 (15 days) + 4 min on Mar 20-31 (12 days) = 78 / 31 = 2.52
    # minutes on average, x $0.0005 = $0.00126.
    assert rows[("recordingstorage", "2026-03-01")][1] == Decimal("2.52")
    assert rows[("recordingstorage", "2026-03-01")][4] == Decimal("0.00126")
    # April up to the server's today (15th): 2 min x 15 days + 2 min x 9 days (1st-9th) = 48 / 15.
    assert rows[("recordingstorage", "2026-04-01")][1] == Decimal("3.2")
    assert rows[("recordingstorage", "2026-04-01")][4] == Decimal("0.0016")
    assert con.execute("SELECT DISTINCT account_sid FROM usage_records").fetchall() == [(parent.sid,)]

    costs = storage_costs(con, "2026-03", "2026-03", as_of="2026-04-30", rate=0.0005, free_minutes=0)
    march = costs.iloc[0]
    assert march["twilio_billed_storage"] == pytest.approx(0.00126)
    assert march["storage_cost"] == pytest.approx(78 / 31 * 0.0005)
    assert march["difference"] == pytest.approx(78 / 31 * 0.0005 - 0.00126)


def test_api_key_credentials_are_used(twilio_server: TwilioServer, con) -> None:
    family = populate(twilio_server.store, subaccounts=2, recordings=90, days=3)

    sync(con, environ=twilio_server.env(key=family.key), options=options())

    assert {r.user for r in twilio_server.requests} == {family.key.sid}
    assert_store_equals_server(con, twilio_server)


def test_standard_key_cannot_list_subaccounts_but_syncs_named_account(twilio_server: TwilioServer, con) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=1, recordings=40, days=3)
    standard = store.add_key(family.parent.sid, main=False)

    with pytest.raises(TwilioAuthError) as info:
        sync(con, environ=twilio_server.env(key=standard), options=options())
    assert family.parent.sid in str(info.value) and "Main API key" in str(info.value)
    assert len(twilio_server.requests) == 1  # refused at once, not retried

    sync(con, environ=twilio_server.env(key=standard), accounts=[family.parent.sid], options=options())
    accounts = {row[0] for row in stored(con).values()}
    assert accounts == {family.parent.sid}


def test_subaccount_token_used_in_memory_only(twilio_server: TwilioServer, con) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=2, recordings=120, days=4)
    picky = family.subaccounts[1]
    twilio_server.faults.parent_denied = {picky.sid}

    sync(con, environ=twilio_server.env(family.parent), options=options())

    assert_store_equals_server(con, twilio_server)
    to_picky = [r for r in twilio_server.requests if f"/Accounts/{picky.sid}/" in r.path]
    assert {r.user for r in to_picky if r.status == 200} == {picky.sid}
    # The token never reaches the store, in any table.
    tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    for table in tables:
        text = str(con.execute(f'SELECT * FROM "{table}"').fetchall())
        assert picky.auth_token not in text and family.parent.auth_token not in text, table


def test_account_and_day_range_limits(twilio_server: TwilioServer, con) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=2, recordings=0)
    sub = family.subaccounts[0]
    for day in (9, 10, 11, 12, 13):
        store.add_recording(sub.sid, utc(2026, 3, day, 12))
        store.add_recording(family.parent.sid, utc(2026, 3, day, 12))

    sync(con, environ=twilio_server.env(family.parent), accounts=[sub.sid],
         since=date(2026, 3, 10), until=date(2026, 3, 12), options=options())

    days = con.execute("SELECT account_sid, CAST(date_created AS DATE) FROM recordings ORDER BY 2").fetchall()
    assert days == [(sub.sid, date(2026, 3, d)) for d in (10, 11, 12)]
    assert not [r for r in twilio_server.requests if family.parent.sid + "/" in r.path]


def test_sync_loads_on_one_thread_and_gives_the_connection_back_as_it_was(
        twilio_server: TwilioServer, con, monkeypatch: pytest.MonkeyPatch) -> None:
    from reccb_analytics import db

    family = populate(twilio_server.store, subaccounts=1, recordings=50, days=5)
    con.execute("SET threads = 2")
    seen = []
    original = db.run_sql

    def observe(c, name, params=None):  # the setting while a load appends recordings
        if name == "ingest/recordings_insert":
            seen.append(c.execute("SELECT current_setting('threads')").fetchall()[0][0])
        return original(c, name, params)

    monkeypatch.setattr(db, "run_sql", observe)
    sync(con, environ=twilio_server.env(family.parent), options=options())
    assert seen and set(seen) == {1}
    assert con.execute("SELECT current_setting('threads')").fetchall() == [(2,)]
    assert len(stored(con)) == 50
