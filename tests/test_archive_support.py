"""Shared pieces of the archive tests: a store mirroring the test server, a server that announces
media digests, and credentials in the environment. (No tests here; imported by test_archive*.py.)"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from reccb_analytics.db import open_database
from tests.twilio_server import Account, ApiKey, Recording, TwilioServer, _Handler, utc

CREDENTIAL_VARS = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY",
    "TWILIO_API_SECRET",
    "RECCB_TWILIO_API_URL",
    "TWILIO_REGION",
    "TWILIO_EDGE",
    "RECCB_CONFIG",
)


class _DigestHandler(_Handler):
    """Announces ``Content-MD5`` of the true media body, computed before any fault alters it.

    Twilio itself sends no digest; this stands for a server or storage proxy that does, so that
    a byte flipped in transit (the server's ``corrupt_next``) is detectable at all. Bodies are
    buffered, which is fine for the small files of these tests.
    """

    def send_stream(self, status, length, chunks, content_type):  # type: ignore[override]
        body = list(chunks)
        digest = hashlib.md5(b"".join(body), usedforsecurity=False).digest()
        self._extra = {"Content-MD5": base64.b64encode(digest).decode()}
        super().send_stream(status, length, iter(body), content_type)

    def _start(self, status, content_type, length, headers):  # type: ignore[override]
        extra = getattr(self, "_extra", None)
        self._extra = None
        super()._start(status, content_type, length, {**(headers or {}), **(extra or {})})


class DigestServer(TwilioServer):
    """The test server, with ``Content-MD5`` on media responses."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._httpd.RequestHandlerClass = _DigestHandler


@dataclass
class World:
    """A running server with one parent account (+ API key) and one subaccount, and a store."""

    server: TwilioServer
    parent: Account
    sub: Account
    key: ApiKey
    db_path: Path

    def add(
        self,
        account: Account,
        age: int,
        duration: int = 60,
        channels: int = 2,
        status: str = "completed",
        **extra: object,
    ) -> Recording:
        """A recording on the server created at noon UTC ``age`` days before ``today()``,
        mirrored into the store."""
        day = today() - dt.timedelta(days=age)
        rec = self.server.store.add_recording(
            account.sid,
            utc(day.year, day.month, day.day, 12),
            duration=duration,
            channels=channels,
            status=status,
            **extra,
        )
        with open_database(self.db_path) as con:
            insert_recordings(con, [rec])
        return rec

    def con(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return open_database(self.db_path, read_only=read_only)

    def media_gets(self, sid: str | None = None) -> int:
        return sum(
            1
            for r in self.server.requests
            if r.method == "GET"
            and "/Recordings/RE" in r.path
            and not r.path.endswith(".json")
            and (sid is None or sid in r.path)
        )

    def deletes(self) -> list[str]:
        return [r.path for r in self.server.requests if r.method == "DELETE"]

    def env(self) -> dict[str, str]:
        """A subprocess environment with this server's API key and nothing else of Twilio's."""
        env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARS}
        env.update(self.server.env(key=self.key))
        env["RECCB_DB"] = str(self.db_path)
        return env


def insert_recordings(con: duckdb.DuckDBPyConnection, recs: Iterable[Recording | dict]) -> None:
    """Insert recordings rows as an ingest would leave them (one INSERT, like the lead's ingest)."""
    rows = []
    for rec in recs:
        r = (
            rec
            if isinstance(rec, dict)
            else {
                "sid": rec.sid,
                "account_sid": rec.account_sid,
                "call_sid": rec.call_sid,
                "status": rec.status,
                "source": rec.source,
                "channels": rec.channels,
                "duration_s": rec.duration,
                "created": rec.date_created,
                "updated": rec.date_updated,
                "price": rec.price,
            }
        )
        rows.append(r)
    frame = pd.DataFrame(
        rows,
        columns=[
            "sid",
            "account_sid",
            "call_sid",
            "status",
            "source",
            "channels",
            "duration_s",
            "created",
            "updated",
            "price",
        ],
    )
    con.register("new_recordings", frame)
    try:
        con.execute("""
            INSERT INTO recordings (sid, account_sid, call_sid, status, source, channels,
                                    duration_s, start_time, date_created, date_updated, price,
                                    price_unit, first_seen_at, first_seen_in, last_seen_at,
                                    last_seen_in)
            SELECT sid, account_sid, call_sid, status, source, channels::INTEGER,
                   duration_s::INTEGER, to_timestamp(created), to_timestamp(created),
                   to_timestamp(coalesce(updated, created)), price::DECIMAL(18, 6), 'USD',
                   now(), 'test', now(), 'test'
            FROM new_recordings
        """).fetchall()
    finally:
        con.unregister("new_recordings")


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A digest-announcing server, a parent + API key + subaccount, an empty store, and the
    server's API-key credentials in this process's environment (nothing else of Twilio's)."""
    server = DigestServer().start()
    try:
        parent = server.store.add_account(friendly_name="Main")
        sub = server.store.add_account(owner=parent.sid, friendly_name="Sub")
        key = server.store.add_key(parent.sid)
        for name in CREDENTIAL_VARS:
            monkeypatch.delenv(name, raising=False)
        for name, value in server.env(key=key).items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)  # no stray reccb.toml from the working directory
        db_path = tmp_path / "store.duckdb"
        open_database(db_path).close()
        yield World(server, parent, sub, key, db_path)
    finally:
        server.stop()


def today() -> dt.date:
    """The UTC day the tests age recordings against: copies verified now count by its end."""
    return dt.datetime.now(dt.UTC).date()


def wav_bytes(duration: int, channels: int) -> int:
    """Size of the test server's WAV: 44-byte header + 8 kHz × 16-bit × channels × seconds."""
    return 44 + duration * 8000 * 2 * channels


def tree(root: Path) -> set[str]:
    """Every path under ``root`` (relative), to prove nothing was written elsewhere."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}
