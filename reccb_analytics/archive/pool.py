"""Bounded concurrency and retry timing shared by archive apply and delete apply.

Workers only do network and file work; results come back to the calling thread, which alone
touches DuckDB (a connection is not shared across threads). At most ``2 × concurrency`` items
are in flight, so a plan of a million rows does not become a million queued futures.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 120.0


def backoff_delay(attempt: int, base: float, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based).

    A server's ``Retry-After`` is honoured (capped at two minutes); otherwise exponential
    backoff with full jitter, capped at 30 s, so parallel workers do not retry in lockstep.
    """
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER_S)
    return random.uniform(0, min(MAX_BACKOFF_S, base * (2**attempt)))


def run_bounded(
    items: Iterable[T], worker: Callable[[T], R], concurrency: int, stop: threading.Event
) -> Iterator[R]:
    """Yield ``worker(item)`` for every item, running up to ``concurrency`` at once.

    Results are yielded as they complete (not in input order). An exception raised by a worker
    stops the run: ``stop`` is set, queued items are dropped, and the exception propagates once
    the running workers have returned. ``KeyboardInterrupt`` in the caller does the same.
    """
    concurrency = max(1, int(concurrency))
    source = iter(items)
    pending: set[Future[R]] = set()
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="reccb-archive")
    try:
        for item in source:
            pending.add(executor.submit(worker, item))
            if len(pending) >= 2 * concurrency:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
            while len(pending) < 2 * concurrency and not stop.is_set():
                item_or_end = next(source, _END)
                if item_or_end is _END:
                    break
                pending.add(executor.submit(worker, item_or_end))  # type: ignore[arg-type]
    finally:
        stop.set()
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


_END = object()
