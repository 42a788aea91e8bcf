"""GET requests to the Twilio API through the SDK, returning raw JSON, with retries.

Requests go through the twilio SDK's own domain and HTTP client (so its authentication, user
agent, region and edge handling apply) but the body is parsed here as plain JSON: the SDK's
instance objects cost about twice the CPU and their datetimes drop RFC 2822 offsets.

What is retried: 429 (after ``Retry-After``, shared by all workers through the rate limiter,
then exponential backoff with jitter), 5xx, dropped or timed-out connections and truncated
bodies. What is not: 401/403 (``AuthRefused``), 404 (``NotFound``), other 4xx (``TwilioError``).
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
from twilio.rest import Client

from ..exceptions import TwilioError
from .client import Credentials, build_client
from .ratelimit import RateLimiter, RetryPolicy


class HttpFailure(Exception):
    """A non-retryable answer from the API."""

    def __init__(self, status: int, code: int | None, message: str, uri: str):
        self.status, self.code, self.message, self.uri = status, code, message, uri
        super().__init__(f"HTTP {status}" + (f" (code {code})" if code else "") + f": {message}")


class AuthRefused(HttpFailure):
    """401 or 403: the credentials were refused for this resource."""


class NotFound(HttpFailure):
    """404: no such resource (or it is gone)."""


class Aborted(Exception):
    """The sync is stopping; the request was not made."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Transport:
    """Thread-safe GETs of API resources as JSON, one SDK client per thread."""

    def __init__(self, creds: Credentials, limiter: RateLimiter, policy: RetryPolicy,
                 *, timeout: float = 60.0, stop: threading.Event | None = None) -> None:
        self.creds = creds
        self.limiter = limiter
        self.policy = policy
        self.timeout = timeout
        self.stop = stop or threading.Event()
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._local = threading.local()

    def client(self) -> Client:
        """This thread's SDK client."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = build_client(self.creds, timeout=self.timeout)
            self._local.client = client
        return client

    def _count(self, name: str, key: str | None = None) -> None:
        with self._stats_lock:
            self.stats[name] += 1
            if key:
                self.stats[f"{name}:{key}"] += 1

    def get_json(self, uri: str, params: dict[str, Any] | None = None, *,
                 auth: tuple[str, str] | None = None, key: str | None = None,
                 parse: Callable[[str], Any] = json.loads) -> Any:
        """GET ``uri`` and return its body parsed by ``parse`` (default: JSON).

        ``uri`` is relative to the API domain: ``2010-04-01/Accounts/...`` or a
        ``next_page_uri`` as the API returned it. ``auth`` replaces the client's own credentials
        for this request (a subaccount's token, in memory only). ``key`` labels the counters.
        A body ``parse`` rejects with ``ValueError`` (truncated, say) is retried.
        """
        attempt = 0
        retries_left = self.policy.max_attempts
        last = ""
        while True:
            if self.stop.is_set() or not self.limiter.acquire(self.stop):
                raise Aborted()
            self._count("requests", key)
            retry_after: float | None = None
            try:
                response = self.client().api.request("GET", uri, params=params, auth=auth)
            except requests.exceptions.RequestException as exc:
                # Refused, reset, dropped mid-body (ChunkedEncodingError) or timed out.
                last = f"{type(exc).__name__}: {str(exc)[:200]}"
                self._count("dropped", key)
            else:
                status = response.status_code
                if 200 <= status < 300:
                    try:
                        return parse(response.text)
                    except ValueError:
                        last = "truncated or invalid JSON body"
                        self._count("bad_body", key)
                else:
                    code, message = _error_fields(response.text, status)
                    if status in (401, 403):
                        raise AuthRefused(status, code, message, uri)
                    if status == 404:
                        raise NotFound(status, code, message, uri)
                    if status == 429:
                        self._count("throttled", key)
                        retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    elif status < 500:
                        raise TwilioError(f"Twilio refused GET {_short(uri)}: HTTP {status}"
                                          + (f" (code {code})" if code else "") + f": {message}")
                    else:
                        self._count("server_errors", key)
                    last = f"HTTP {status}: {message}"
            retries_left -= 1
            if retries_left <= 0:
                raise TwilioError(f"GET {_short(uri)} failed {self.policy.max_attempts} times; "
                                  f"last: {last}. Rerun the same command to resume.")
            delay = self.policy.delay(attempt, retry_after)
            attempt += 1
            self._count("retries", key)
            if retry_after is not None:
                # Everyone waits, not just this worker: the limit is per account, not per thread.
                self.limiter.pause(delay)
            elif self.stop.wait(delay):
                raise Aborted()


def _error_fields(text: str, status: int) -> tuple[int | None, str]:
    try:
        body = json.loads(text)
    except ValueError:
        return None, (text.strip()[:200] or f"HTTP {status}")
    if not isinstance(body, dict):
        return None, f"HTTP {status}"
    code = body.get("code")
    return (code if isinstance(code, int) else None), str(body.get("message") or f"HTTP {status}")


def _short(uri: str) -> str:
    return uri.split("?", 1)[0]


def now_utc() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)
