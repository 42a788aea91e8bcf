"""The pure parts of sync: day windows, dates, credentials, client routing, retry timing."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from reccb_analytics.exceptions import TwilioAuthError
from reccb_analytics.sync.client import build_client, credentials_from_env
from reccb_analytics.sync.dates import (
    Window,
    cut_at,
    is_settled,
    merge,
    parse_rfc2822,
    split,
    subtract,
    utc_day,
    worth_splitting,
)
from reccb_analytics.sync.ratelimit import RateLimiter, RetryPolicy
from reccb_analytics.sync.transport import parse_retry_after

AC = "AC" + "a" * 32
SK = "SK" + "b" * 32
D = date(2026, 3, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def test_rfc2822_offset_is_honoured() -> None:
    # The SDK would give 22:23 UTC here (it drops the offset); the instant is 21:23 UTC.
    assert parse_rfc2822("Mon, 14 Feb 2022 22:23:00 +0100") == datetime(2022, 2, 14, 21, 23, tzinfo=UTC)
    assert parse_rfc2822("Fri, 14 Oct 2016 21:56:34 +0000") == datetime(2016, 10, 14, 21, 56, 34, tzinfo=UTC)


def test_utc_day_of_a_date_with_or_without_offset() -> None:
    assert utc_day("Fri, 14 Oct 2016 21:56:34 +0000") == date(2016, 10, 14)
    assert utc_day("Fri, 14 Oct 2016 23:56:34 -0100") == date(2016, 10, 15)
    assert utc_day("Fri, 14 Oct 2016 00:30:00 +0100") == date(2016, 10, 13)
    assert utc_day("Fri, 4 Oct 2016 00:30:00 +0000") == date(2016, 10, 4)
    assert utc_day("not a date") is None and utc_day("") is None


def test_subtract_leaves_the_uncovered_days() -> None:
    span = Window(day(0), day(9))
    assert subtract(span, []) == [span]
    assert subtract(span, [(day(2), day(3)), (day(3), day(5)), (day(8), day(20))]) == \
        [Window(day(0), day(1)), Window(day(6), day(7))]
    assert subtract(span, [(day(-5), day(9))]) == []
    assert subtract(span, [(day(0), day(0))]) == [Window(day(1), day(9))]


def test_merge_joins_overlapping_and_adjacent_ranges() -> None:
    assert merge([(day(4), day(5)), (day(0), day(1)), (day(2), day(2)), (day(7), day(8))]) == \
        [(day(0), day(2)), (day(4), day(5)), (day(7), day(8))]


def test_cut_at_separates_the_unsettled_days() -> None:
    assert cut_at([Window(day(0), day(9))], day(7)) == [Window(day(0), day(7)), Window(day(8), day(9))]
    assert cut_at([Window(day(0), day(7))], day(7)) == [Window(day(0), day(7))]
    assert cut_at([Window(day(8), day(9))], day(7)) == [Window(day(8), day(9))]


def test_settled_means_listed_after_the_last_day_ended_plus_grace() -> None:
    grace = timedelta(hours=1)
    end = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # the end of day(0)
    assert not is_settled(day(0), end, grace)
    assert not is_settled(day(0), end + timedelta(minutes=59), grace)
    assert is_settled(day(0), end + timedelta(hours=1), grace)


def test_split_of_a_newest_first_page() -> None:
    # A 100-day window whose first page of 1000 covered its last 10 days (100 a day): windows
    # hold 0.85 page at that density, 8 days. The page's 10 days make 2 windows of 5 days; going
    # back from them, max_parts=8 windows of 8 days (days 26-89); the 26 oldest days, of which
    # the page said nothing, far_parts=8 windows (26 = 4+4+3+3+3+3+3+3). Oldest first.
    window = Window(day(0), day(99))
    pages_days = [day(90 + i % 10) for i in range(1000)]
    parts = split(window, 1000, pages_days, 1000, max_parts=8, far_parts=8)
    assert len(parts) == 18 and parts[0].first == day(0) and parts[-1].last == day(99)
    assert parts[-2:] == [Window(day(90), day(94)), Window(day(95), day(99))]
    assert [p.days for p in parts[8:16]] == [8] * 8 and parts[8].first == day(26)
    assert [p.days for p in parts[:8]] == [4, 4, 3, 3, 3, 3, 3, 3]
    assert all(a.last + timedelta(days=1) == b.first for a, b in itertools.pairwise(parts))


def test_split_of_a_sparse_page_needs_no_far_windows() -> None:
    # 1000 items over the last 100 days of 150 (10 a day): windows of 85 days; the 50 older
    # days fit in one window of that size, so nothing is left for far windows.
    window = Window(day(0), day(149))
    parts = split(window, 1000, [day(50 + i % 100) for i in range(1000)], 1000, max_parts=16)
    assert parts == [Window(day(0), day(49)), Window(day(50), day(99)), Window(day(100), day(149))]


def test_a_window_of_about_two_pages_is_paged_through_not_split() -> None:
    # The first page covered 4 of 5 days (250 a day): about 1250 in the window, under two
    # pages, so paging on costs one request and wastes none; 10 days at that density would be
    # 2500, worth splitting. A one-day window cannot be split at all.
    days = [day(1 + i % 4) for i in range(1000)]
    assert not worth_splitting(Window(day(0), day(4)), 1000, days, 1000)
    assert worth_splitting(Window(day(-5), day(4)), 1000, days, 1000)
    assert not worth_splitting(Window(day(4), day(4)), 1000, [day(4)] * 1000, 1000)
    assert worth_splitting(Window(day(0), day(4)), 1000, [], 1000)  # the page said nothing


def test_split_always_makes_progress() -> None:
    assert split(Window(day(0), day(1)), 1000, [day(1)] * 1000, 1000) == [Window(day(0), day(0)), Window(day(1), day(1))]
    assert split(Window(day(0), day(2)), 5, [], 1000, max_parts=2) == [Window(day(0), day(1)), Window(day(2), day(2))]


def test_credentials_prefer_an_api_key() -> None:
    creds = credentials_from_env({"TWILIO_ACCOUNT_SID": AC, "TWILIO_API_KEY": SK,
                                  "TWILIO_API_SECRET": "s3cret", "TWILIO_AUTH_TOKEN": "tok"})
    assert (creds.account_sid, creds.username, creds.password, creds.kind) == (AC, SK, "s3cret", "API key")
    assert "s3cret" not in repr(creds)
    token = credentials_from_env({"TWILIO_ACCOUNT_SID": AC, "TWILIO_AUTH_TOKEN": "tok"})
    assert (token.username, token.password, token.kind) == (AC, "tok", "auth token")


@pytest.mark.parametrize("env, message", [
    ({}, "TWILIO_ACCOUNT_SID is not set"),
    ({"TWILIO_ACCOUNT_SID": "ACxyz", "TWILIO_AUTH_TOKEN": "t"}, "must be an account SID"),
    ({"TWILIO_ACCOUNT_SID": AC}, "no Twilio secret"),
    ({"TWILIO_ACCOUNT_SID": AC, "TWILIO_API_KEY": SK}, "TWILIO_API_SECRET is not set"),
    ({"TWILIO_ACCOUNT_SID": AC, "TWILIO_API_KEY": "SK1", "TWILIO_API_SECRET": "x"}, "must be an API key SID"),
])
def test_bad_credentials_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(TwilioAuthError, match=message):
        credentials_from_env(env)


def test_region_and_edge_route_the_sdk() -> None:
    creds = credentials_from_env({"TWILIO_ACCOUNT_SID": AC, "TWILIO_AUTH_TOKEN": "t",
                                  "TWILIO_REGION": "au1", "TWILIO_EDGE": "sydney"})
    client = build_client(creds)
    assert client.get_hostname(client.api.absolute_url("2010-04-01/Accounts.json")) == \
        "https://api.sydney.au1.twilio.com/2010-04-01/Accounts.json"


def test_url_override_leaves_region_and_edge_unset() -> None:
    creds = credentials_from_env({"TWILIO_ACCOUNT_SID": AC, "TWILIO_AUTH_TOKEN": "t",
                                  "TWILIO_REGION": "au1", "TWILIO_EDGE": "sydney",
                                  "RECCB_TWILIO_API_URL": "http://127.0.0.1:9/"})
    client = build_client(creds)
    assert client.region is None and client.edge is None
    assert client.get_hostname(client.api.absolute_url("2010-04-01/Accounts.json")) == \
        "http://127.0.0.1:9/2010-04-01/Accounts.json"


def test_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 25 <= parse_retry_after(later) <= 30  # type: ignore[operator]


def test_retry_policy_honours_retry_after_then_backs_off() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0)
    assert policy.delay(0, retry_after=2.0) == 2.0           # first: exactly what was asked
    for retry in range(6):
        wait = policy.delay(retry)
        top = min(8.0, 2 ** retry)
        assert top / 2 <= wait <= top                          # equal jitter under the cap
        assert policy.delay(retry, retry_after=3.0) >= 3.0     # never less than Retry-After


def test_rate_limiter_pause_is_shared_and_stop_interrupts() -> None:
    limiter = RateLimiter(rate=1000, burst=5)
    limiter.pause(30)
    stop = threading.Event()
    got: list[bool] = []
    worker = threading.Thread(target=lambda: got.append(limiter.acquire(stop)))
    worker.start()
    time.sleep(0.05)
    assert worker.is_alive()      # held by the pause another worker asked for
    stop.set()
    worker.join(timeout=5)
    assert got == [False]


def test_split_page_keeps_each_item_text_exactly() -> None:
    from reccb_analytics.sync.pages import split_page

    text = ('{"end": 1, "recordings": [ {"sid":"RE1","price":"-0.00250","n":1.50},\n'
            '{"sid": "RE2", "x": "caf\\u00e9"} ], "next_page_uri": null, "page": 0}')
    page = split_page(text, "recordings")
    assert page.meta == {"end": 1, "next_page_uri": None, "page": 0}
    assert page.items == [({"sid": "RE1", "price": "-0.00250", "n": 1.5}, '{"sid":"RE1","price":"-0.00250","n":1.50}'),
                          ({"sid": "RE2", "x": "café"}, '{"sid": "RE2", "x": "caf\\u00e9"}')]
    assert split_page('{"recordings":[],"next_page_uri":"/x"}', "recordings").items == []


def test_split_page_fast_path_gives_the_same_exact_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    from reccb_analytics.sync import pages

    items = [('{"sid":"RE1","date_created":"Wed, 01 Jul 2026 10:00:00 +0100","price":"-0.00250",'
              '"duration":"7","channels":2,"note":"café ☎","encryption_details":null}'),
             '{"sid":"RE2","n":-3,"big":9007199254740993,"nested":{"a":[1,2,{"b":true}]}}']
    compact = '{"end":1,"recordings":[' + ",".join(items) + '],"next_page_uri":null,"page":0}'
    expected = pages._split_scanning(compact, "recordings")
    assert [text for _, text in expected.items] == items
    # Compact pages take the fast path (no scanning at all) and give the same page.
    monkeypatch.setattr(pages, "_split_scanning", lambda text, key: pytest.fail("scanned"))
    fast = pages.split_page(compact, "recordings")
    assert fast.items == expected.items and fast.meta == expected.meta
    assert pages.split_page(compact + "\r\n", "recordings").items == expected.items
    monkeypatch.undo()
    # Whatever orjson would not give back byte for byte goes through the scanner, exact:
    # spaces, an escaped character, a number spelled otherwise, a value orjson refuses.
    for odd in ('{"sid":"RE1","x":"caf\\u00e9"}', '{"sid":"RE1","n":1.50}', '{"sid": "RE1"}',
                '{"sid":"RE1","n":NaN}', '{"sid":"RE1","n":123456789012345678901234567890}'):
        page = pages.split_page('{"recordings":[' + odd + "]}", "recordings")
        assert [text for _, text in page.items] == [odd]


def test_split_page_reserialises_multiline_items_and_rejects_truncation() -> None:
    from reccb_analytics.sync.pages import split_page

    page = split_page('{"recordings": [{\n  "sid": "RE1"\n}]}', "recordings")
    assert page.items == [({"sid": "RE1"}, '{"sid": "RE1"}')]
    spaced = split_page('{"recordings": [{"sid":"RE1"} ,\n {"sid":"RE2"}\t]}', "recordings")
    assert spaced.items == [({"sid": "RE1"}, '{"sid":"RE1"}'), ({"sid": "RE2"}, '{"sid":"RE2"}')]
    for broken in ('{"recordings": [{"sid": "RE1"}, {"sid": "RE', '{"recordings": []', '', '[1]',
                   '{"recordings": []} trailing', '{"recordings": [{"sid": "RE1"},]}',
                   '{"recordings": [{"sid": "RE1"} {"sid": "RE2"}]}', '{"recordings": [{"sid": "RE1"}'):
        with pytest.raises(ValueError):
            split_page(broken, "recordings")


def test_spool_concat_keeps_every_byte_in_order(tmp_path: Path) -> None:
    from reccb_analytics.sync.spool import Spool

    spool = Spool(tmp_path)
    parts = []
    for i, body in enumerate([b'{"a":1}\n' * 3, b"", b'{"b":"\xc3\xa9"}\n', b"x" * (3 * 1024 * 1024) + b"\n"]):
        part = spool.new_path("AC1")
        part.write_bytes(body)
        parts.append(part)
    batch = spool.concat("AC1", parts)
    assert batch not in parts
    assert batch.read_bytes() == b"".join(p.read_bytes() for p in parts)
    assert spool.concat("AC1", parts[:1]) == parts[0]  # one file is loaded as it is
    spool.close()
    assert not spool.folder.exists()


def test_private_dirs_of_killed_processes_are_removed_by_the_next_run(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from reccb_analytics.tempdirs import private_dir

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a PID that no longer exists
    stale = tmp_path / f"reccb-chunks-{gone.pid}-abc"
    (stale / "piece").mkdir(parents=True)
    other_kind = tmp_path / f"reccb-sync-{gone.pid}-abc"
    other_kind.mkdir()
    mine = tmp_path / f"reccb-chunks-{os.getpid()}-old"
    mine.mkdir()
    made = private_dir("reccb-chunks-", tmp_path)
    assert made.is_dir() and made.name.startswith(f"reccb-chunks-{os.getpid()}-")
    assert not stale.exists()            # its process is gone
    assert other_kind.exists()           # another prefix: not ours to judge
    assert mine.exists()                 # this process: alive


def test_a_load_mixing_accounts_credits_each_account(con) -> None:
    """The writer tops one account's load up with other accounts' spooled work; every
    recording is still credited to its own account, in the store and in each report."""
    from reccb_analytics.ingest import load_file
    from reccb_analytics.sync import state
    from reccb_analytics.sync.accounts import AccountInfo
    from reccb_analytics.sync.client import credentials_from_env
    from reccb_analytics.sync.dates import Window
    from reccb_analytics.sync.progress import NoProgress
    from reccb_analytics.sync.ratelimit import RateLimiter
    from reccb_analytics.sync.spool import Spool
    from reccb_analytics.sync.transport import Transport
    from reccb_analytics.sync.walker import AccountPlan, Engine, RetryPolicy, SyncOptions, _Buffered

    accounts = ["AC" + c * 32 for c in "abc"]
    counts = {accounts[0]: 3, accounts[1]: 5, accounts[2]: 4}

    def recording(account: str, n: int, call_sid: str | None = None) -> str:
        sid = "RE" + account[2:4] + f"{n:030x}"
        return json.dumps({"sid": sid, "account_sid": account, "call_sid": call_sid or "CA" + sid[2:],
                           "status": "completed", "duration": "7",
                           "date_created": "Tue, 10 Feb 2026 10:00:00 +0000",
                           "date_updated": "Tue, 10 Feb 2026 10:00:09 +0000"})

    spool = Spool()
    now = datetime.now(UTC)
    plans = [AccountPlan(AccountInfo(a, None, accounts[0], "active", None, now), [], set(), None)
             for a in accounts]
    # The writer's part alone: no request is made (the transport is there, unused).
    creds = credentials_from_env({"TWILIO_ACCOUNT_SID": accounts[0], "TWILIO_AUTH_TOKEN": "not-used"})
    transport = Transport(creds, RateLimiter(10.0, burst=1), RetryPolicy())
    engine = Engine(con, transport=transport, plans=plans,
                    options=SyncOptions(workers=1, batch_rows=10, flush_rows=100), progress=NoProgress(),
                    spool=spool, run_id=state.start_run(con, now, None, None, None), load=load_file)
    day = Window(date(2026, 2, 10), date(2026, 2, 10))
    try:
        for account, n in counts.items():
            lines = [recording(account, i) for i in range(n)]
            if account == accounts[2]:
                lines.append(recording(account, 99, call_sid="CA-not-a-sid"))  # set aside
            path = spool.new_path(account)
            path.write_text("\n".join(lines) + "\n")
            engine._buffer(engine.runs[account], _Buffered(path, len(lines), day, now))
        engine._flush(engine.runs[accounts[1]])  # one load takes every account's work

        assert con.execute("SELECT origin, records_read FROM ingest_files").fetchall() == [("api", 13)]
        for account, n in counts.items():
            report, rejected = engine.runs[account].report, int(account == accounts[2])
            assert (report.loaded, report.unchanged, report.rejected) == (n, 0, rejected)
            assert con.execute("SELECT count(*) FROM recordings WHERE account_sid = $a AND "
                               "first_seen_in = 'api:' || $a AND last_seen_in = 'api:' || $a",
                               {"a": account}).fetchall() == [(n,)]
            assert con.execute("SELECT count(*) FROM sync_coverage WHERE account_sid = $a",
                               {"a": account}).fetchall() == [(1,)]
        assert not any(r.buffer for r in engine.runs.values())

        # The same work again: every recording unchanged, each in its own account's report.
        for account, n in counts.items():
            path = spool.new_path(account)
            lines = [recording(account, i) for i in range(n)]
            path.write_text("\n".join(lines) + "\n")
            engine._buffer(engine.runs[account], _Buffered(path, len(lines), day, now))
        engine._flush(engine.runs[accounts[0]])
        for account, n in counts.items():
            report = engine.runs[account].report
            assert (report.loaded, report.unchanged) == (n, n)
        assert con.execute("SELECT count(*) FROM recordings "
                           "WHERE last_seen_in <> 'api:' || account_sid").fetchall() == [(0,)]
    finally:
        engine.pool.shutdown(wait=1.0)
        spool.close()
