"""A Twilio-compatible HTTP server on 127.0.0.1, for tests and benchmarks.

It speaks the parts of REST API v2010 that reccb uses, in the shapes of Twilio's OpenAPI spec
(hand-written builders below; the spec file is never read at run time):

* HTTP Basic auth: an account SID + its auth token, or an API key (``SK...`` + secret) with the
  account SID in the path. Parent credentials (token or Main key) reach every subaccount; a
  subaccount's token reaches only that subaccount; a Standard key cannot list accounts. Wrong
  credentials give 401 and Twilio's JSON error body ``{code: 20003, message, more_info, status}``.
* ``GET /2010-04-01/Accounts.json`` (parent + subaccounts, each with its ``auth_token``, paged) and
  ``GET /2010-04-01/Accounts/{AC}.json``.
* ``GET .../Accounts/{AC}/Recordings.json`` with ``DateCreated``, ``DateCreated<``, ``DateCreated>``
  (UTC days, inclusive), ``CallSid``, ``ConferenceSid``, ``IncludeSoftDeleted``, ``PageSize``
  (default 50, above 1000 gives 400), ``Page``/``PageToken`` paging with a relative
  ``next_page_uri``; newest first.
* ``GET``/``DELETE .../Recordings/{RE}.json``: a DELETE soft-deletes (status ``deleted``,
  ``date_updated`` = now); deleted metadata stays visible with ``IncludeSoftDeleted`` for 40 days,
  then is gone; a second DELETE gives 404 (code 20404).
* Media: ``GET .../Recordings/{RE}`` or ``{RE}.wav`` (PCM WAV, 8 kHz, 16-bit, channels from the
  metadata or ``RequestedChannels``, exactly the metadata's duration) and ``{RE}.mp3`` (MPEG-1
  Layer III frames, 32 kbps, the duration rounded to a 36 ms frame), streamed with Content-Length.
* ``GET .../Usage/Records/Monthly.json`` and ``.../Usage/Records.json`` for the categories
  ``recordings`` and ``recordingstorage`` (rules in ``Store.usage_records``).

Faults on demand, from Python (``server.faults``) or over HTTP (``POST /_control``): 429 with
Retry-After or 5xx for the next N requests, connections dropped mid-response, corrupted bodies,
latency per request, items repeated across pages, dates rendered with an offset such as +0100,
accounts refused with 403 (to everyone, or to their parent's credentials), requests held until
released (to stop a client at a known point). Every request is
logged (``server.requests``) with its times, so tests assert on what the client did rather than
on timing.

Use it as a pytest fixture (``from tests.twilio_server import twilio_server``) or standalone::

    python -m tests.twilio_server --port 8099 --subaccounts 4 --recordings 200000 --latency 0.05
"""

from __future__ import annotations

import argparse
import base64
import calendar
import hashlib
import json
import math
import random
import re
import socket
import struct
import sys
import threading
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

API = "/2010-04-01"
DAY = 86400
SOFT_DELETE_DAYS = 40
MAX_PAGE_SIZE = 1000
RECORDING_PRICE_PER_MIN = 0.0025
STORAGE_PRICE_PER_MIN = 0.0005
STORAGE_FREE_MINUTES = 10000
SOURCES = ("DialVerb", "Conference", "OutboundAPI", "Trunking", "RecordVerb",
           "StartCallRecordingAPI", "StartConferenceRecordingAPI")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SID = r"[0-9a-fA-F]{32}"


# --------------------------------------------------------------------------- formatting helpers

def make_sid(prefix: str, *parts: object) -> str:
    """A deterministic SID: the prefix and 32 hex digits derived from ``parts``."""
    return prefix + hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


def rfc2822(ts: int, offset_minutes: int = 0) -> str:
    """``ts`` (Unix seconds) as Twilio writes it, e.g. ``Fri, 14 Oct 2016 21:56:34 +0000``."""
    tm = time.gmtime(ts + offset_minutes * 60)
    sign = "-" if offset_minutes < 0 else "+"
    hh, mm = divmod(abs(offset_minutes), 60)
    return (f"{_DAYS[tm.tm_wday]}, {tm.tm_mday:02d} {_MONTHS[tm.tm_mon - 1]} {tm.tm_year} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {sign}{hh:02d}{mm:02d}")


def day_number(ts: float) -> int:
    """UTC day of a Unix time, as days since 1970-01-01."""
    return int(ts // DAY)


def day_text(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * DAY))


def parse_day(value: str) -> int:
    """``YYYY-MM-DD`` (or an ISO datetime, of which only the date counts) as a day number."""
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", value.strip())
    if not match:
        raise ValueError(value)
    y, m, d = map(int, match.groups())
    return calendar.timegm((y, m, d, 0, 0, 0)) // DAY


def utc(y: int, m: int, d: int, hh: int = 0, mi: int = 0, ss: int = 0) -> int:
    """Unix seconds of a UTC wall-clock time (handy in tests)."""
    return calendar.timegm((y, m, d, hh, mi, ss))


# --------------------------------------------------------------------------- data model

@dataclass(slots=True)
class Recording:
    sid: str
    account_sid: str
    call_sid: str | None
    conference_sid: str | None
    status: str
    source: str
    channels: int
    duration: int | None
    price: str | None
    date_created: int
    date_updated: int
    start_time: int
    price_unit: str = "USD"
    error_code: int | None = None
    utc_offset: int = 0          # minutes; how this recording's dates are rendered
    deleted_at: int | None = None


@dataclass
class Account:
    sid: str
    auth_token: str
    friendly_name: str
    date_created: int
    owner_account_sid: str
    status: str = "active"
    type: str = "Full"


@dataclass
class ApiKey:
    sid: str
    secret: str
    account_sid: str
    main: bool = True


class Store:
    """Accounts, keys and recordings, indexed by account and UTC day of ``date_created``."""

    def __init__(self, media_base: str = "https://api.twilio.com") -> None:
        self.lock = threading.RLock()
        self.media_base = media_base
        self.accounts: dict[str, Account] = {}
        self.keys: dict[str, ApiKey] = {}
        self.recordings: dict[str, Recording] = {}
        self._days: dict[str, dict[int, list[Recording]]] = {}
        self._day_keys: dict[str, list[int]] = {}
        self._unsorted: set[tuple[str, int]] = set()
        self.now: float | None = None  # frozen clock for tests; None = real time
        self.free_minutes = STORAGE_FREE_MINUTES  # storage minutes free per month (parent)
        self._text: dict[str, str] = {}  # rendered JSON per SID (real Twilio's CPU is not ours)
        # Usage figures per (account, period), valid while no recording changes: Twilio keeps
        # them precomputed, and working them out again from every recording for each request
        # made this server, not the client, the busiest process of a sync benchmark.
        self._generation = 0
        self._usage_inputs: dict[tuple[Any, ...], tuple[dict[int, list[int]], list[int]]] = {}

    def clock(self) -> int:
        return int(self.now if self.now is not None else time.time())

    # -- accounts and keys
    def add_account(self, sid: str | None = None, *, owner: str | None = None,
                    friendly_name: str | None = None, date_created: int | None = None,
                    auth_token: str | None = None, status: str = "active") -> Account:
        with self.lock:
            n = len(self.accounts)
            sid = sid or make_sid("AC", "account", n, owner)
            account = Account(
                sid=sid, auth_token=auth_token or "fake-token-" + make_sid("", "token", sid)[:20],
                friendly_name=friendly_name or (f"Subaccount {n}" if owner else "Main account"),
                date_created=date_created if date_created is not None else utc(2024, 1, 1),
                owner_account_sid=owner or sid, status=status)
            self.accounts[sid] = account
            self._days.setdefault(sid, {})
            self._day_keys.setdefault(sid, [])
            return account

    def add_key(self, account_sid: str, *, main: bool = True) -> ApiKey:
        with self.lock:
            key = ApiKey(sid=make_sid("SK", "key", account_sid, len(self.keys)),
                         secret="fake-secret-" + make_sid("", "secret", account_sid, len(self.keys))[:20],
                         account_sid=account_sid, main=main)
            self.keys[key.sid] = key
            return key

    def subaccounts(self, parent: str) -> list[Account]:
        return [a for a in self.accounts.values() if a.owner_account_sid == parent and a.sid != parent]

    # -- recordings
    def add_recording(self, account_sid: str, date_created: int, *, sid: str | None = None,
                      status: str = "completed", duration: int | None = 60,
                      price: str | None = "auto", channels: int = 2, source: str = "DialVerb",
                      date_updated: int | None = None, start_time: int | None = None,
                      call_sid: str | None = "auto", conference_sid: str | None = None,
                      error_code: int | None = None, utc_offset: int = 0,
                      deleted_at: int | None = None) -> Recording:
        """Add one recording; ``price="auto"`` prices completed recordings at $0.0025/min."""
        with self.lock:
            sid = sid or make_sid("RE", account_sid, date_created, len(self.recordings))
            if price == "auto":
                price = (f"-{math.ceil(duration / 60) * RECORDING_PRICE_PER_MIN:.5f}"
                         if status == "completed" and duration else None)
            rec = Recording(
                sid=sid, account_sid=account_sid,
                call_sid=("CA" + sid[2:]) if call_sid == "auto" else call_sid,
                conference_sid=conference_sid, status=status, source=source, channels=channels,
                duration=duration, price=price, date_created=date_created,
                date_updated=date_updated if date_updated is not None else date_created + (duration or 0) + 2,
                start_time=start_time if start_time is not None else date_created,
                error_code=error_code, utc_offset=utc_offset, deleted_at=deleted_at)
            self._insert(rec)
            return rec

    def _insert(self, rec: Recording) -> None:
        self.recordings[rec.sid] = rec
        day = day_number(rec.date_created)
        days = self._days[rec.account_sid]
        if day not in days:
            days[day] = []
            keys = self._day_keys[rec.account_sid]
            keys.append(day)
            keys.sort()
        days[day].append(rec)
        self._unsorted.add((rec.account_sid, day))
        self._generation += 1

    def update_recording(self, sid: str, **changes: Any) -> Recording:
        """Change fields of a recording; ``date_updated`` becomes now unless given."""
        with self.lock:
            rec = self.recordings[sid]
            changes.setdefault("date_updated", self.clock())
            for name, value in changes.items():
                if name == "date_created":
                    raise ValueError("date_created cannot change")
                setattr(rec, name, value)
            self._text.pop(sid, None)
            self._generation += 1
            return rec

    def delete_recording(self, sid: str, at: int | None = None) -> bool:
        """Soft-delete as Twilio does; False when it is already deleted or unknown."""
        with self.lock:
            rec = self.recordings.get(sid)
            if rec is None or rec.deleted_at is not None:
                return False
            now = self.clock() if at is None else at
            rec.status, rec.deleted_at, rec.date_updated = "deleted", now, now
            self._text.pop(sid, None)
            self._generation += 1
            return True

    def visible(self, rec: Recording, include_deleted: bool) -> bool:
        if rec.deleted_at is None:
            return True
        return include_deleted and self.clock() - rec.deleted_at <= SOFT_DELETE_DAYS * DAY

    def iter_desc(self, account_sid: str, lo: int, hi: int,
                  cursor: tuple[int, int] | None = None) -> Iterator[tuple[int, int, Recording]]:
        """(day, index, recording) for days ``hi`` down to ``lo``, newest first, from ``cursor``."""
        with self.lock:
            keys = self._day_keys.get(account_sid, [])
            days = self._days.get(account_sid, {})
            for day in reversed(keys):
                if day > hi or (cursor is not None and day > cursor[0]):
                    continue
                if day < lo:
                    break
                if (account_sid, day) in self._unsorted:
                    days[day].sort(key=lambda r: (r.date_created, r.sid), reverse=True)
                    self._unsorted.discard((account_sid, day))
                start = cursor[1] if cursor is not None and day == cursor[0] else 0
                items = days[day]
                for index in range(start, len(items)):
                    yield day, index, items[index]

    # -- JSON builders (shapes of the OpenAPI schemas)
    def recording_json(self, rec: Recording, offset: int | None = None) -> dict[str, Any]:
        off = rec.utc_offset if offset is None else offset
        base = f"{API}/Accounts/{rec.account_sid}/Recordings/{rec.sid}"
        return {
            "account_sid": rec.account_sid, "api_version": "2010-04-01",
            "call_sid": rec.call_sid, "conference_sid": rec.conference_sid,
            "channels": rec.channels,
            "date_created": rfc2822(rec.date_created, off),
            "date_updated": rfc2822(rec.date_updated, off),
            "start_time": rfc2822(rec.start_time, off),
            "price": rec.price, "price_unit": rec.price_unit,
            "duration": None if rec.duration is None else str(rec.duration),
            "sid": rec.sid, "source": rec.source, "status": rec.status,
            "error_code": rec.error_code, "uri": base + ".json",
            "subresource_uris": {"add_on_results": base + "/AddOnResults.json",
                                 "transcriptions": base + "/Transcriptions.json"},
            "encryption_details": None,
            "media_url": self.media_base + base,
        }

    def recording_text(self, rec: Recording, offset: int | None = None) -> str:
        """``recording_json`` as compact JSON text (cached when no offset is forced)."""
        if offset is not None:
            return json.dumps(self.recording_json(rec, offset), separators=(",", ":"))
        text = self._text.get(rec.sid)
        if text is None:
            text = self._text[rec.sid] = json.dumps(self.recording_json(rec), separators=(",", ":"))
        return text

    def account_json(self, account: Account) -> dict[str, Any]:
        base = f"{API}/Accounts/{account.sid}"
        subs = {name: f"{base}/{path}.json" for name, path in (
            ("recordings", "Recordings"), ("calls", "Calls"), ("conferences", "Conferences"),
            ("usage", "Usage"), ("keys", "Keys"), ("transcriptions", "Transcriptions"),
            ("balance", "Balance"))}
        return {
            "auth_token": account.auth_token,
            "date_created": rfc2822(account.date_created),
            "date_updated": rfc2822(account.date_created),
            "friendly_name": account.friendly_name,
            "owner_account_sid": account.owner_account_sid, "sid": account.sid,
            "status": account.status, "subresource_uris": subs, "type": account.type,
            "uri": base + ".json",
        }

    def expected_recordings(self, account_sid: str | None = None) -> list[dict[str, Any]]:
        """Every recording still listable with IncludeSoftDeleted, as the API renders it."""
        with self.lock:
            return [self.recording_json(r) for r in self.recordings.values()
                    if (account_sid is None or r.account_sid == account_sid)
                    and self.visible(r, include_deleted=True)]

    # -- usage records
    def _minutes(self, rec: Recording) -> int:
        return math.ceil(rec.duration / 60) if rec.duration else 0

    def _account_recordings(self, account_sids: list[str]) -> Iterator[Recording]:
        for sid in account_sids:
            for recs in self._days.get(sid, {}).values():
                yield from recs

    def stored_minutes(self, account_sids: list[str], lo: int, hi: int) -> list[int]:
        """Stored minutes on each day lo..hi: recordings created on or before the day and not
        deleted by then (absent ones never stored), each rounded up to whole minutes."""
        delta = [0] * (hi - lo + 2)
        base = 0
        with self.lock:
            for rec in self._account_recordings(account_sids):
                minutes = self._minutes(rec) if rec.status != "absent" else 0
                if not minutes:
                    continue
                start = day_number(rec.date_created)
                end = day_number(rec.deleted_at) if rec.deleted_at is not None else hi + 1
                if end <= lo or start > hi or end <= start:
                    continue
                if start <= lo:
                    base += minutes
                else:
                    delta[start - lo] += minutes
                if end <= hi:
                    delta[end - lo] -= minutes
        out, running = [], base
        for i in range(hi - lo + 1):
            running += delta[i]
            out.append(running)
        return out

    def usage_records(self, account_sid: str, categories: list[str], lo: int, hi: int,
                      monthly: bool) -> list[dict[str, Any]]:
        """Usage records of one account, per calendar month touching [lo, hi] (``monthly``) or
        one per category for [lo, hi]. Rules of this fake:

        * ``recordings``: count = recordings created in the period with a duration, usage =
          their minutes (each rounded up), price = usage x $0.0025.
        * ``recordingstorage``: usage = the average of daily stored minutes over the period's
          days up to today (2 decimals); for a parent account that average covers the parent and
          all its subaccounts and price = max(0, usage - free_minutes (10,000)) x $0.0005
          (storage is billed to the parent); a subaccount shows its own average with price 0. count = stored minutes
          on the period's last day counted.
        """
        account = self.accounts[account_sid]
        spans = month_spans(lo, hi) if monthly else [(lo, hi)]
        first, last = spans[0][0], spans[-1][1]
        today = day_number(self.clock())
        is_parent = account.owner_account_sid == account.sid
        family = [account.sid] + ([a.sid for a in self.subaccounts(account.sid)] if is_parent else [])
        top = min(last, today)
        with self.lock:
            if self._usage_inputs and next(iter(self._usage_inputs))[-1] != self._generation:
                self._usage_inputs.clear()  # a recording changed since they were worked out
            key = (account.sid, first, last, top, self.free_minutes, self._generation)
            cached = self._usage_inputs.get(key)
            if cached is None:
                made: dict[int, list[int]] = {}
                for rec in self._account_recordings([account.sid]):
                    day = day_number(rec.date_created)
                    if first <= day <= last and rec.duration:
                        made.setdefault(day, []).append(self._minutes(rec))
                daily = self.stored_minutes(family, first, top) if top >= first else []
                cached = self._usage_inputs[key] = (made, daily)
            made, daily = cached
        out = []
        for span_lo, span_hi in spans:
            for category in categories:
                if category == "recordings":
                    minutes = [m for d in range(span_lo, span_hi + 1) for m in made.get(d, ())]
                    count, usage = float(len(minutes)), float(sum(minutes))
                    price = usage * RECORDING_PRICE_PER_MIN
                    units = ("recordings", "minutes", "Voice Recordings")
                    usage_text = f"{usage:.0f}"
                else:
                    days = daily[span_lo - first: max(span_lo - first, min(span_hi, today) - first + 1)]
                    usage = round(sum(days) / len(days), 2) if days else 0.0
                    count = float(days[-1]) if days else 0.0
                    price = max(0.0, usage - self.free_minutes) * STORAGE_PRICE_PER_MIN if is_parent else 0.0
                    units = ("minutes", "minutes", "Recording Storage")
                    usage_text = f"{usage:.2f}"
                out.append(self._usage_json(account, category, span_lo, span_hi, monthly, count,
                                            usage_text, price, units))
        return out

    def _usage_json(self, account: Account, category: str, lo: int, hi: int, monthly: bool,
                    count: float, usage: str, price: float, units: tuple[str, str, str]) -> dict[str, Any]:
        base = f"{API}/Accounts/{account.sid}/Usage/Records"
        query = f"Category={category}&StartDate={day_text(lo)}&EndDate={day_text(hi)}"
        return {
            "account_sid": account.sid, "api_version": "2010-04-01",
            "as_of": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(self.clock())),
            "category": category, "count": f"{count:.0f}", "count_unit": units[0],
            "description": units[2], "end_date": day_text(hi), "price": f"{price:.5f}",
            "price_unit": "usd", "start_date": day_text(lo),
            "subresource_uris": {p: f"{base}/{n}.json?Category={category}" for p, n in (
                ("all_time", "AllTime"), ("daily", "Daily"), ("monthly", "Monthly"),
                ("yearly", "Yearly"), ("today", "Today"), ("yesterday", "Yesterday"),
                ("this_month", "ThisMonth"), ("last_month", "LastMonth"))},
            "uri": f"{base}{'/Monthly' if monthly else ''}.json?{query}",
            "usage": usage, "usage_unit": units[1],
        }


def month_spans(lo: int, hi: int) -> list[tuple[int, int]]:
    """Whole calendar months (first day, last day) that touch [lo, hi]."""
    spans = []
    tm = time.gmtime(lo * DAY)
    y, m = tm.tm_year, tm.tm_mon
    while True:
        first = calendar.timegm((y, m, 1, 0, 0, 0)) // DAY
        if first > hi:
            return spans
        last = first + calendar.monthrange(y, m)[1] - 1
        spans.append((first, last))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


# --------------------------------------------------------------------------- population

@dataclass
class Family:
    """What ``populate`` made: the parent, subaccounts, and a Main API key of the parent."""

    parent: Account
    subaccounts: list[Account]
    key: ApiKey

    @property
    def accounts(self) -> list[Account]:
        return [self.parent, *self.subaccounts]


def populate(store: Store, *, subaccounts: int = 2, recordings: int = 200, days: int = 30,
             end: int | None = None, seed: int = 1, parent_share: float | None = None,
             in_progress: int = 0, absent_every: int = 25) -> Family:
    """Deterministically add a parent, ``subaccounts`` subaccounts and ``recordings`` recordings
    spread evenly over the accounts (the parent gets ``parent_share`` of them, default an equal
    share) and over the ``days`` UTC days ending with the day of ``end`` (default: now, the newest
    recording an hour before). Every ``absent_every``-th recording is absent (error 16101); the
    last ``in_progress`` recordings are in progress (no duration, no price)."""
    rng = random.Random(seed)
    with store.lock:
        created = utc(2023, 6, 1) + seed * 3600
        parent = store.add_account(make_sid("AC", "parent", seed), date_created=created,
                                   friendly_name=f"Main {seed}")
        subs = [store.add_account(make_sid("AC", "sub", seed, i), owner=parent.sid,
                                  friendly_name=f"Sub {i}", date_created=created + (i + 1) * DAY)
                for i in range(subaccounts)]
        key = store.add_key(parent.sid, main=True)
        end_ts = (end if end is not None else store.clock()) - 3600
        start_ts = (day_number(end_ts) - days + 1) * DAY
        span = max(1, end_ts - start_ts)
        accounts = [parent, *subs]
        if parent_share is None:
            weights = [1.0] * len(accounts)
        else:
            rest = (1 - parent_share) / max(1, len(subs))
            weights = [parent_share] + [rest] * len(subs)
        cumulative, total = [], 0.0
        for w in weights:
            total += w
            cumulative.append(total)
        for i in range(recordings):
            pick = rng.random() * total
            account = accounts[next(j for j, c in enumerate(cumulative) if pick < c or j == len(accounts) - 1)]
            ts = start_ts + (i * span) // max(1, recordings) + rng.randrange(0, max(1, span // max(1, recordings)))
            ts = min(ts, end_ts)
            sid = f"RE{rng.getrandbits(128):032x}"
            source = SOURCES[rng.randrange(len(SOURCES))]
            duration = rng.randint(1, 900)
            if i >= recordings - in_progress:
                store.add_recording(account.sid, ts, sid=sid, status="in-progress", duration=None,
                                    price=None, source=source, date_updated=ts)
            elif absent_every and i % absent_every == absent_every - 1:
                store.add_recording(account.sid, ts, sid=sid, status="absent", duration=0, price=None,
                                    source=source, error_code=16101, channels=1)
            else:
                store.add_recording(account.sid, ts, sid=sid, duration=duration, source=source,
                                    channels=1 if source in ("Conference", "RecordVerb") else 2,
                                    conference_sid=("CF" + sid[2:]) if source.startswith(("Conf", "StartConf")) else None)
    return Family(parent=parent, subaccounts=subs, key=key)


# --------------------------------------------------------------------------- faults and log

@dataclass
class PlannedFault:
    kind: str            # 'status' | 'drop' | 'corrupt'
    remaining: int
    status: int = 500
    retry_after: float | None = None
    match: str | None = None


class Faults:
    """What the server does wrong, set by tests (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency = 0.0                  # seconds slept before answering each API request
        self.repeat_items = 0               # each next page starts this many items early
        self.utc_offset: int | None = None  # render every date with this offset (minutes)
        self.denied: set[str] = set()       # account SIDs whose resources answer 403
        self.parent_denied: set[str] = set()  # subaccounts that accept only their own token
        self._planned: list[PlannedFault] = []
        self._holds: list[tuple[str, threading.Event]] = []

    def hold(self, match: str) -> None:
        """Requests whose target (path and query) contains ``match`` hang until ``release()``."""
        with self.lock:
            self._holds.append((match, threading.Event()))

    def release(self) -> None:
        with self.lock:
            for _, event in self._holds:
                event.set()
            self._holds.clear()

    def holds_for(self, target: str) -> list[threading.Event]:
        with self.lock:
            return [event for match, event in self._holds if match in target]

    def fail_next(self, n: int, status: int = 500, retry_after: float | None = None,
                  match: str | None = None) -> None:
        """The next ``n`` API requests (whose path contains ``match``) answer ``status``."""
        with self.lock:
            self._planned.append(PlannedFault("status", n, status, retry_after, match))

    def drop_next(self, n: int, match: str | None = None) -> None:
        """The next ``n`` matching responses are cut off halfway and the connection closed."""
        with self.lock:
            self._planned.append(PlannedFault("drop", n, match=match))

    def corrupt_next(self, n: int, match: str | None = None) -> None:
        """The next ``n`` matching responses have bytes changed (same length)."""
        with self.lock:
            self._planned.append(PlannedFault("corrupt", n, match=match))

    def take(self, path: str) -> PlannedFault | None:
        with self.lock:
            for fault in self._planned:
                if fault.remaining > 0 and (fault.match is None or fault.match in path):
                    fault.remaining -= 1
                    return fault
            return None

    def pending(self) -> int:
        with self.lock:
            return sum(f.remaining for f in self._planned)

    def reset(self) -> None:
        with self.lock:
            self.latency, self.repeat_items, self.utc_offset = 0.0, 0, None
            self.denied.clear()
            self.parent_denied.clear()
            self._planned.clear()
        self.release()

    def configure(self, spec: dict[str, Any]) -> None:
        """Apply a JSON control request (the ``/_control`` endpoint)."""
        for name in ("latency", "repeat_items", "utc_offset"):
            if name in spec:
                setattr(self, name, spec[name])
        for name in ("denied", "parent_denied"):
            if name in spec:
                setattr(self, name, set(spec[name]))
        for call in ("fail_next", "drop_next", "corrupt_next"):
            if call in spec:
                getattr(self, call)(**spec[call])
        if spec.get("reset"):
            self.reset()


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    user: str | None
    started: float          # time.monotonic() when the request line was read
    finished: float = 0.0   # when the response (or the drop) was done
    status: int = 0
    note: str = ""


# --------------------------------------------------------------------------- media

def wav_header(frames: int, channels: int, rate: int = 8000) -> bytes:
    data_bytes = frames * channels * 2
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16, 1,
                       channels, rate, rate * channels * 2, channels * 2, 16, b"data", data_bytes)


def wav_second(sid: str, channels: int, rate: int = 8000) -> bytes:
    """One second of a tone whose pitch comes from the SID (so each file's bytes differ)."""
    seed = int(hashlib.md5(sid.encode()).hexdigest()[:6], 16)
    freqs = [220 + seed % 660, 330 + (seed // 660) % 550][:channels]
    samples = array("h")
    for n in range(rate):
        for f in freqs:
            samples.append(int(6000 * math.sin(2 * math.pi * f * n / rate)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


MP3_FRAME = bytes([0xFF, 0xFB, 0x18, 0xC4]) + bytes(140)   # MPEG-1 L3, 32 kbps, 32 kHz, mono
MP3_FRAME_SECONDS = 1152 / 32000


def mp3_frames(duration: int) -> int:
    return max(1, round(duration / MP3_FRAME_SECONDS))


# --------------------------------------------------------------------------- HTTP layer

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    # entry points
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        app = self.server.app
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        entry = LoggedRequest(method, parts.path, query, None, time.monotonic())
        self._entry = entry
        self._fault: PlannedFault | None = None
        try:
            if parts.path.startswith("/_control"):
                self._control(method, parts.path)
                return
            app.log(entry)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            user, principal, error = app.authenticate(self.headers.get("Authorization"))
            entry.user = user
            if app.faults.latency:
                time.sleep(app.faults.latency)
            holds = app.faults.holds_for(self.path)
            if holds:
                entry.note = "held"
                for event in holds:
                    event.wait(timeout=300)
            if error:
                self._error(*error)
                return
            fault = app.faults.take(parts.path)
            if fault is not None and fault.kind == "status":
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                message = "Too Many Requests" if fault.status == 429 else "Internal Server Error"
                self._error(fault.status, 20429 if fault.status == 429 else 20500, message, headers)
                return
            self._fault = fault
            app.route(self, method, parts.path, query, principal)
        except (BrokenPipeError, ConnectionResetError):
            entry.note = "client went away"
        finally:
            entry.finished = time.monotonic()

    # responses
    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode() if payload is not None else b""
        self.send_bytes(status, body, "application/json; charset=utf-8", headers)

    def send_bytes(self, status: int, body: bytes, content_type: str,
                   headers: dict[str, str] | None = None) -> None:
        fault = self._fault
        if fault is not None and fault.kind == "corrupt" and body:
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:]
        self._start(status, content_type, len(body), headers)
        if fault is not None and fault.kind == "drop" and body:
            self._drop(body[: len(body) // 2])
            return
        if body:
            self.wfile.write(body)

    def send_stream(self, status: int, length: int, chunks: Iterator[bytes], content_type: str) -> None:
        fault = self._fault
        self._start(status, content_type, length, None)
        sent = 0
        for chunk in chunks:
            if fault is not None and fault.kind == "drop" and sent + len(chunk) >= length // 2:
                self._drop(chunk[: max(0, length // 2 - sent)])
                return
            if fault is not None and fault.kind == "corrupt" and sent <= length // 2 < sent + len(chunk):
                i = length // 2 - sent
                chunk = chunk[:i] + bytes([chunk[i] ^ 0xFF]) + chunk[i + 1:]
            self.wfile.write(chunk)
            sent += len(chunk)

    def _start(self, status: int, content_type: str, length: int, headers: dict[str, str] | None) -> None:
        self._entry.status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _drop(self, partial: bytes) -> None:
        self._entry.note = "dropped mid-response"
        self.wfile.write(partial)
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _error(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        if status == 401:
            headers = {**(headers or {}), "WWW-Authenticate": 'Basic realm="Twilio API"'}
        self.send_json(status, {"code": code, "message": message,
                                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                                "status": status}, headers)

    def _control(self, method: str, path: str) -> None:
        app = self.server.app
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            spec = json.loads(self.rfile.read(length) or b"{}")
            app.faults.configure(spec)
            self.send_json(200, {"ok": True})
        elif path == "/_control/requests":
            self.send_json(200, [vars(r) for r in app.requests])
        else:
            self.send_json(200, {"requests": len(app.requests), "recordings": len(app.store.recordings),
                                 "faults_pending": app.faults.pending()})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    app: TwilioServer


_ROUTES = [
    ("accounts", re.compile(rf"^{API}/Accounts\.json$")),
    ("account", re.compile(rf"^{API}/Accounts/(AC{_SID})\.json$")),
    ("recordings", re.compile(rf"^{API}/Accounts/(AC{_SID})/Recordings\.json$")),
    ("recording", re.compile(rf"^{API}/Accounts/(AC{_SID})/Recordings/(RE{_SID})\.json$")),
    ("media", re.compile(rf"^{API}/Accounts/(AC{_SID})/Recordings/(RE{_SID})(\.wav|\.mp3)?$")),
    ("usage", re.compile(rf"^{API}/Accounts/(AC{_SID})/Usage/Records(/Monthly)?\.json$")),
]


class TwilioServer:
    """The server: ``start()`` it, point the SDK at ``url``, ``stop()`` it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = Store()
        self.faults = Faults()
        self.requests: list[LoggedRequest] = []
        self._log_lock = threading.Lock()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.app = self
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        self.store.media_base = self.url
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> TwilioServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="twilio-server",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.faults.release()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # helpers for tests
    def log(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self.requests.append(entry)

    def clear_log(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def requests_to(self, fragment: str, method: str = "GET") -> list[LoggedRequest]:
        with self._log_lock:
            return [r for r in self.requests if fragment in r.path and r.method == method]

    def env(self, account: Account | None = None, key: ApiKey | None = None) -> dict[str, str]:
        """Environment variables that point reccb (and the SDK) at this server."""
        env = {"RECCB_TWILIO_API_URL": self.url}
        if key is not None:
            env.update(TWILIO_ACCOUNT_SID=key.account_sid, TWILIO_API_KEY=key.sid,
                       TWILIO_API_SECRET=key.secret)
        elif account is not None:
            env.update(TWILIO_ACCOUNT_SID=account.sid, TWILIO_AUTH_TOKEN=account.auth_token)
        return env

    # auth
    def authenticate(self, header: str | None) -> tuple[str | None, tuple[Account, bool] | None,
                                                          tuple[int, int, str] | None]:
        """(user, (principal account, is_main), error) for an Authorization header."""
        if not header or not header.startswith("Basic "):
            return None, None, (401, 20003, "Authenticate")
        try:
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, None, (401, 20003, "Authenticate")
        store = self.store
        account = store.accounts.get(user)
        if account is not None and secret == account.auth_token and account.status != "closed":
            return user, (account, True), None
        key = store.keys.get(user)
        if key is not None and secret == key.secret:
            return user, (store.accounts[key.account_sid], key.main), None
        return user, None, (401, 20003, "Authenticate")

    def allowed(self, principal: tuple[Account, bool], target: str) -> bool:
        account, main = principal
        if target in self.faults.denied:
            return False
        if target == account.sid:
            return True
        if target in self.faults.parent_denied:
            return False
        owner = self.store.accounts.get(target)
        return main and owner is not None and owner.owner_account_sid == account.sid

    # routing
    def route(self, h: _Handler, method: str, path: str, query: dict[str, str],
              principal: tuple[Account, bool]) -> None:
        for name, pattern in _ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            if name == "accounts":
                if not principal[1]:
                    h._error(403, 20003, "Permission Denied: a Standard API key cannot list accounts")
                    return
            elif not self.allowed(principal, match.group(1)):
                h._error(403, 20003, "Permission Denied")
                return
            elif match.group(1) not in self.store.accounts:
                break
            allowed_methods = {"recording": ("GET", "DELETE")}.get(name, ("GET",))
            if method not in allowed_methods:
                h._error(405, 20004, "Method not allowed")
                return
            getattr(self, f"_{name}")(h, method, query, *match.groups())
            return
        h._error(404, 20404, f"The requested resource {path} was not found")

    def _page_args(self, query: dict[str, str]) -> tuple[int, int] | str:
        try:
            size = int(query.get("PageSize", "50"))
            page = int(query.get("Page", "0"))
        except ValueError:
            return "PageSize and Page must be integers"
        if not 1 <= size <= MAX_PAGE_SIZE:
            return f"PageSize must be between 1 and {MAX_PAGE_SIZE}"
        return size, max(0, page)

    def _accounts(self, h: _Handler, method: str, query: dict[str, str]) -> None:
        args = self._page_args(query)
        if isinstance(args, str):
            h._error(400, 20001, args)
            return
        size, page = args
        principal = self.store.accounts[self._principal_sid(h)]
        family = [principal] + self.store.subaccounts(principal.sid)
        if "Status" in query:
            family = [a for a in family if a.status == query["Status"]]
        if "FriendlyName" in query:
            family = [a for a in family if a.friendly_name == query["FriendlyName"]]
        chunk = family[page * size:(page + 1) * size]
        has_next = (page + 1) * size < len(family)
        h.send_json(200, self._envelope("accounts", f"{API}/Accounts.json", query, size, page,
                                        [self.store.account_json(a) for a in chunk],
                                        {"Page": str(page + 1)} if has_next else None))

    def _principal_sid(self, h: _Handler) -> str:
        user = h._entry.user or ""
        return self.store.keys[user].account_sid if user.startswith("SK") else user

    def _envelope(self, key: str, path: str, query: dict[str, str], size: int, page: int,
                  items: list[Any], next_params: dict[str, str] | None) -> dict[str, Any]:
        filters = {k: v for k, v in query.items() if k not in ("PageSize", "Page", "PageToken")}

        def uri(extra: dict[str, str]) -> str:
            return f"{path}?{urlencode({**filters, 'PageSize': size, **extra})}"

        start = page * size
        return {
            "end": start + len(items) - 1 if items else 0,
            "first_page_uri": uri({"Page": "0"}),
            "next_page_uri": uri(next_params) if next_params else None,
            "page": page, "page_size": size,
            "previous_page_uri": uri({"Page": str(page - 1)}) if page > 0 else None,
            key: items, "start": start,
            "uri": uri({"Page": str(page), **({"PageToken": query["PageToken"]} if "PageToken" in query else {})}),
        }

    def _account(self, h: _Handler, method: str, query: dict[str, str], sid: str) -> None:
        h.send_json(200, self.store.account_json(self.store.accounts[sid]))

    def _recordings(self, h: _Handler, method: str, query: dict[str, str], account_sid: str) -> None:
        args = self._page_args(query)
        if isinstance(args, str):
            h._error(400, 20001, args)
            return
        size, page = args
        try:
            lo, hi = 0, 10 ** 7
            if "DateCreated" in query:
                lo = hi = parse_day(query["DateCreated"])
            if "DateCreated>" in query:
                lo = max(lo, parse_day(query["DateCreated>"]))
            if "DateCreated<" in query:
                hi = min(hi, parse_day(query["DateCreated<"]))
            cursor = _decode_token(query["PageToken"]) if "PageToken" in query else None
        except ValueError:
            h._error(400, 20001, "Invalid DateCreated or PageToken")
            return
        include_deleted = query.get("IncludeSoftDeleted", "false").lower() == "true"
        call_sid, conference_sid = query.get("CallSid"), query.get("ConferenceSid")
        store, faults = self.store, self.faults
        picked: list[tuple[int, int, Recording]] = []
        skip = 0 if cursor is not None else page * size
        with store.lock:
            walk = store.iter_desc(account_sid, lo, hi, cursor)
            for day, index, rec in walk:
                if not store.visible(rec, include_deleted):
                    continue
                if (call_sid and rec.call_sid != call_sid) or (conference_sid and rec.conference_sid != conference_sid):
                    continue
                if skip:
                    skip -= 1
                    continue
                picked.append((day, index, rec))
                if len(picked) > size:
                    break
            walk.close()
            offset = faults.utc_offset
            items = [store.recording_text(r, offset) for _, _, r in picked[:size]]
        next_params = None
        if len(picked) > size:
            resume = picked[max(1, size - faults.repeat_items) if faults.repeat_items else size]
            next_params = {"Page": str(page + 1), "PageToken": _encode_token(resume[0], resume[1])}
        envelope = self._envelope("recordings", f"{API}/Accounts/{account_sid}/Recordings.json",
                                  query, size, page, [], next_params)
        envelope["end"] = page * size + len(items) - 1 if items else 0
        # Splice the cached item texts in: a JSON string value cannot contain this marker.
        body = json.dumps(envelope, separators=(",", ":")).replace(
            '"recordings":[]', '"recordings":[' + ",".join(items) + "]", 1)
        h.send_bytes(200, body.encode(), "application/json; charset=utf-8")

    def _find(self, account_sid: str, sid: str, include_deleted: bool) -> Recording | None:
        rec = self.store.recordings.get(sid)
        if rec is None or rec.account_sid != account_sid or not self.store.visible(rec, include_deleted):
            return None
        return rec

    def _recording(self, h: _Handler, method: str, query: dict[str, str], account_sid: str, sid: str) -> None:
        if method == "DELETE":
            rec = self._find(account_sid, sid, include_deleted=False)
            if rec is None or not self.store.delete_recording(sid):
                h._error(404, 20404, f"The requested resource {h._entry.path} was not found")
                return
            h.send_bytes(204, b"", "application/json")
            return
        include_deleted = query.get("IncludeSoftDeleted", "false").lower() == "true"
        rec = self._find(account_sid, sid, include_deleted)
        if rec is None:
            h._error(404, 20404, f"The requested resource {h._entry.path} was not found")
            return
        h.send_bytes(200, self.store.recording_text(rec, self.faults.utc_offset).encode(),
                     "application/json; charset=utf-8")

    def _media(self, h: _Handler, method: str, query: dict[str, str], account_sid: str, sid: str,
               ext: str | None) -> None:
        rec = self._find(account_sid, sid, include_deleted=False)
        if rec is None or rec.status != "completed" or not rec.duration:
            h._error(404, 20404, f"The requested resource {h._entry.path} was not found")
            return
        if ext == ".mp3":
            frames = mp3_frames(rec.duration)
            h.send_stream(200, frames * len(MP3_FRAME),
                          (MP3_FRAME * min(256, frames - i) for i in range(0, frames, 256)), "audio/mpeg")
            return
        channels = rec.channels
        if "RequestedChannels" in query:
            try:
                channels = int(query["RequestedChannels"])
            except ValueError:
                channels = 0
            if channels not in (1, 2) or channels > rec.channels:
                h._error(400, 16113, "Cannot download a dual-channel presentation of a mono recording"
                         if channels == 2 else "RequestedChannels must be 1 or 2")
                return
        frames = 8000 * rec.duration
        second = wav_second(rec.sid, channels)
        h.send_stream(200, 44 + frames * channels * 2,
                      _chain([wav_header(frames, channels)], (second for _ in range(rec.duration))),
                      "audio/x-wav")

    def _usage(self, h: _Handler, method: str, query: dict[str, str], account_sid: str,
               monthly: str | None) -> None:
        args = self._page_args(query)
        if isinstance(args, str):
            h._error(400, 20001, args)
            return
        size, page = args
        account = self.store.accounts[account_sid]
        today = day_number(self.store.clock())
        try:
            lo = parse_day(query["StartDate"]) if "StartDate" in query else day_number(account.date_created)
            hi = parse_day(query["EndDate"]) if "EndDate" in query else today
        except ValueError:
            h._error(400, 20001, "StartDate and EndDate must be YYYY-MM-DD")
            return
        known = ["recordings", "recordingstorage"]
        categories = [query["Category"]] if "Category" in query else known
        categories = [c for c in categories if c in known]
        records = self.store.usage_records(account_sid, categories, lo, hi, monthly=bool(monthly))
        chunk = records[page * size:(page + 1) * size]
        has_next = (page + 1) * size < len(records)
        path = f"{API}/Accounts/{account_sid}/Usage/Records{monthly or ''}.json"
        h.send_json(200, self._envelope("usage_records", path, query, size, page, chunk,
                                        {"Page": str(page + 1)} if has_next else None))


def _chain(*iterables: Any) -> Iterator[bytes]:
    for iterable in iterables:
        yield from iterable


def _encode_token(day: int, index: int) -> str:
    return "PA" + base64.urlsafe_b64encode(f"{day}:{index}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, int]:
    if not token.startswith("PA"):
        raise ValueError(token)
    raw = token[2:] + "=" * (-len(token[2:]) % 4)
    day, _, index = base64.urlsafe_b64decode(raw).decode().partition(":")
    return int(day), int(index)


# --------------------------------------------------------------------------- pytest fixtures

try:
    import pytest
except ImportError:  # pragma: no cover - standalone use without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def twilio_server() -> Iterator[TwilioServer]:
        """A running Twilio-compatible server on 127.0.0.1 with an empty store."""
        server = TwilioServer().start()
        try:
            yield server
        finally:
            server.stop()


# --------------------------------------------------------------------------- standalone

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.twilio_server", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--subaccounts", type=int, default=4)
    parser.add_argument("--recordings", type=int, default=1000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--parent-share", type=float, default=0.0,
                        help="share of the recordings in the parent account (default 0: all in subaccounts)")
    parser.add_argument("--in-progress", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per API request")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    server = TwilioServer(port=args.port)
    family = populate(server.store, subaccounts=args.subaccounts, recordings=args.recordings,
                      days=args.days, seed=args.seed, parent_share=args.parent_share,
                      in_progress=args.in_progress)
    server.faults.latency = args.latency
    # One JSON line on stdout tells a parent process where we are and how to log in.
    print(json.dumps({"url": server.url, "account_sid": family.parent.sid,
                      "auth_token": family.parent.auth_token, "api_key": family.key.sid,
                      "api_secret": family.key.secret,
                      "subaccounts": [a.sid for a in family.subaccounts],
                      "recordings": len(server.store.recordings)}), flush=True)
    try:
        server._httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()


if __name__ == "__main__":
    main()
