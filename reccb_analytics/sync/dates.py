"""Day windows over ``DateCreated``, and the date arithmetic of incremental sync.

The Recordings list filters only by the UTC day of ``date_created`` (``DateCreated``,
``DateCreated>`` and ``DateCreated<`` take ``YYYY-MM-DD`` and are inclusive). So discovery walks
windows of whole UTC days. A window whose first page shows it holds more than about two pages
is split into smaller windows listed in parallel; a smaller one, and a one-day window, is paged
through.

A listed window is *settled* once its listing started after the window's last day had ended
(plus a grace for the API's indexing lag): no recording can be created in it any more, so it
need not be listed again to discover recordings. It is listed again anyway when it grows
*stale* (listed more than ``sweep_days`` ago), because deletions (visible with
``IncludeSoftDeleted`` for 40 days) and late changes are only seen by listing again.
"""

from __future__ import annotations

import email.utils
import functools
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


def parse_rfc2822(text: str) -> datetime:
    """An RFC 2822 date as an aware UTC datetime, honouring its offset (the SDK drops it)."""
    return email.utils.parsedate_to_datetime(text).astimezone(UTC)


def utc_day(text: str) -> date | None:
    """The UTC day of an RFC 2822 date, or None if it cannot be read."""
    if len(text) == 31 and text.endswith(" +0000"):
        # Twilio's usual form, e.g. "Fri, 14 Oct 2016 21:56:34 +0000": at offset zero the day
        # is the date written, so parse each distinct date once (a page has a few days).
        return _utc_day_of(text[:16])
    return _parsed_day(text)


@functools.lru_cache(maxsize=4096)
def _utc_day_of(day_part: str) -> date | None:
    return _parsed_day(day_part + " 00:00:00 +0000")


def _parsed_day(text: str) -> date | None:
    try:
        return parse_rfc2822(text).date()
    except (TypeError, ValueError, IndexError):
        return None


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True, order=True)
class Window:
    """The UTC days ``first`` .. ``last``, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}..{self.last}"


def subtract(span: Window, covered: list[tuple[date, date]]) -> list[Window]:
    """The parts of ``span`` that no ``covered`` range (inclusive days) touches, in order."""
    gaps: list[Window] = []
    cursor = span.first
    for first, last in sorted(covered):
        if last < cursor or first > span.last:
            continue
        if first > cursor:
            gaps.append(Window(cursor, min(span.last, first - timedelta(days=1))))
        cursor = max(cursor, last + timedelta(days=1))
        if cursor > span.last:
            break
    if cursor <= span.last:
        gaps.append(Window(cursor, span.last))
    return gaps


def merge(ranges: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """Overlapping or adjacent day ranges merged, in order."""
    out: list[tuple[date, date]] = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out


def is_settled(last: date, listed_at: datetime, grace: timedelta) -> bool:
    """True when a listing that began at ``listed_at`` saw every recording of days up to ``last``."""
    return listed_at >= day_start(last + timedelta(days=1)) + grace


def split(window: Window, page_items: int, item_days: list[date], page_size: int,
          max_parts: int = 16, far_parts: int = 4, fill: float = 0.85) -> list[Window]:
    """Split a window whose first page was not the last into smaller windows, oldest first.

    The first page (newest first) tells how dense the days it spanned are; windows are sized to
    hold about ``fill`` of a page at that density. That applies to the days from the oldest day
    on the page to the window's end, and to up to ``max_parts`` windows going back from there
    (recordings near each other in time are usually about as dense). The rest of the older days,
    of which the page said nothing, is cut into at most ``far_parts`` windows, each split again
    when it is listed if it holds many pages (the caller lets ``max_parts`` grow with each
    level, so a long dense history takes few levels, and a short one few empty windows).
    Correctness never depends on these guesses: they only decide how many requests it takes.
    """
    in_window = sorted(d for d in item_days if window.first <= d <= window.last)
    if not in_window:
        return _even(window, min(window.days, max(2, max_parts)))
    lo, hi = in_window[0], in_window[-1]
    per_day = page_items / ((hi - lo).days + 1)
    span = max(1, int(fill * page_size // per_day))  # days per window at that density
    out: list[Window] = []
    if lo > window.first:
        older = Window(window.first, lo - timedelta(days=1))
        near_days = min(older.days, span * max_parts)
        near = Window(older.last - timedelta(days=near_days - 1), older.last)
        if near.first > older.first:
            far = Window(older.first, near.first - timedelta(days=1))
            out += _even(far, min(far.days, max(1, far_parts)))
        out += _even(near, math.ceil(near.days / span))
    recent = Window(lo, window.last)
    out += _even(recent, math.ceil(recent.days / span))
    if len(out) == 1:  # always make progress: a multi-day window is split in two at least
        out = _even(window, 2)
    return out


def worth_splitting(window: Window, page_items: int, item_days: list[date], page_size: int) -> bool:
    """Whether a multi-day window whose first page was full holds more than about two pages.

    If not, paging through it costs one more request and wastes nothing, while splitting it
    would throw the first page away and list the same recordings again in smaller windows.
    """
    in_window = sorted(d for d in item_days if window.first <= d <= window.last)
    if window.days < 2:
        return False
    if not in_window:
        return True
    per_day = page_items / ((in_window[-1] - in_window[0]).days + 1)
    return per_day * window.days > 2 * page_size


def _even(window: Window, parts: int) -> list[Window]:
    """``window`` cut into ``parts`` consecutive windows of (nearly) equal length."""
    size, extra = divmod(window.days, parts)
    out, first = [], window.first
    for i in range(parts):
        last = first + timedelta(days=size + (1 if i < extra else 0) - 1)
        out.append(Window(first, last))
        first = last + timedelta(days=1)
    return out


def cut_at(windows: list[Window], day: date) -> list[Window]:
    """Windows split so that none spans both ``day`` and the day after it."""
    out: list[Window] = []
    for w in windows:
        if w.first <= day < w.last:
            out += [Window(w.first, day), Window(day + timedelta(days=1), w.last)]
        else:
            out.append(w)
    return out
