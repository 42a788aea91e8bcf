"""One rate limiter shared by every worker, and the retry policy.

The limiter is a token bucket (``rate`` requests per second, bursts up to ``burst``) plus a shared
pause: when Twilio answers 429 with ``Retry-After``, every worker waits that long, not just the
one that was told, so the account stops being hammered as a whole.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass


class RateLimiter:
    """Token bucket with a shared pause; thread-safe."""

    def __init__(self, rate: float = 100.0, burst: int = 8) -> None:
        self.rate = max(rate, 0.001)
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._stamp = time.monotonic()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every caller of ``acquire`` for at least ``seconds`` from now."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for a token (and for any pause to end); False if ``stop`` was set meanwhile."""
        while True:
            with self._lock:
                now = time.monotonic()
                wait = self._paused_until - now
                if wait <= 0:
                    self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                    self._stamp = now
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return True
                    wait = (1 - self._tokens) / self.rate
            if stop is not None:
                if stop.wait(wait):
                    return False
            else:
                time.sleep(wait)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry 429s, 5xx and dropped connections.

    The n-th retry waits ``min(cap, base * 2**n)`` scaled by a random factor in [0.5, 1]
    ("equal jitter", so workers that failed together do not retry together), and never less
    than the server's ``Retry-After``.
    """

    max_attempts: int = 8
    base: float = 0.5
    cap: float = 30.0

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        backoff = min(self.cap, self.base * (2 ** retry)) * (0.5 + random.random() / 2)
        if retry_after is not None:
            return max(retry_after, backoff if retry > 0 else 0.0)
        return backoff
