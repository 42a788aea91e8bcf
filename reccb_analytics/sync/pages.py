"""Splitting a list page into its envelope and its items, keeping each item's exact text.

The sync spools recordings exactly as the API returned them (the ingest parses them itself,
offsets included). Two ways, same result:

* the fast path parses the page with orjson and serialises each item again, which gives back
  its exact text whenever the page itself serialises back to the same bytes (compact JSON;
  checked on every page, so a server that writes spaces only loses the speed-up);
* otherwise (spaces, escapes, number spellings orjson would change, values it refuses) each
  item's text is cut straight from the page while the standard library's scanner parses it.

The fast path costs the workers a third of the CPU of the scanner; on 2 cores that time is the
writer's (a sync of 200k recordings: 7.8 -> 6.8 CPU-seconds, 6.2 -> 5.5 s).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")
_SPACE = (" ", "\t", "\n", "\r")


class Page:
    """A parsed list page: ``meta`` (every key but the items) and ``items`` as (object, text)."""

    __slots__ = ("items", "meta")

    def __init__(self, meta: dict[str, Any], items: list[tuple[dict[str, Any], str]]) -> None:
        self.meta = meta
        self.items = items


def _skip(text: str, index: int) -> int:
    return _WS.match(text, index).end()  # type: ignore[union-attr]


def _expect(text: str, index: int, char: str) -> int:
    if index >= len(text) or text[index] != char:
        raise ValueError(f"expected {char!r} at {index}")
    return index + 1


def split_page(text: str, key: str) -> Page:
    """Parse ``text`` (a JSON object) and return its ``key`` array item by item with their text.

    Raises ``ValueError`` on anything that is not complete JSON (e.g. a truncated body), which the
    caller treats like a dropped connection.
    """
    page = _split_compact(text, key)
    return page if page is not None else _split_scanning(text, key)


def _split_compact(text: str, key: str) -> Page | None:
    """The fast path, or None when it cannot promise each item's exact text."""
    data = text.strip().encode()  # a body may end with a line end; the items are inside it
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None  # the scanner says why (or accepts what orjson refuses, e.g. NaN)
    if not isinstance(parsed, dict) or orjson.dumps(parsed) != data:
        return None
    items = parsed.pop(key, None)
    if not isinstance(items, list):
        return None
    return Page(parsed, [(item, orjson.dumps(item).decode()) for item in items if isinstance(item, dict)])


def _split_scanning(text: str, key: str) -> Page:
    meta: dict[str, Any] = {}
    items: list[tuple[dict[str, Any], str]] = []
    i = _expect(text, _skip(text, 0), "{")
    i = _skip(text, i)
    if i < len(text) and text[i] == "}":
        i += 1
    else:
        while True:
            name, i = _DECODER.raw_decode(text, i)
            if not isinstance(name, str):
                raise ValueError("object key is not a string")  # noqa: TRY004 - means "bad body"
            i = _skip(text, _expect(text, _skip(text, i), ":"))
            if name == key and i < len(text) and text[i] == "[":
                i = _items(text, _skip(text, i + 1), items)
            else:
                meta[name], i = _DECODER.raw_decode(text, i)
            i = _skip(text, i)
            if i < len(text) and text[i] == ",":
                i = _skip(text, i + 1)
                continue
            i = _expect(text, i, "}")
            break
    if _skip(text, i) != len(text):
        raise ValueError("extra data after the page")
    return Page(meta, items)


def _items(text: str, i: int, out: list[tuple[dict[str, Any], str]]) -> int:
    if i < len(text) and text[i] == "]":
        return i + 1
    # raw_decode without its Python wrapper: this runs once per item.
    scan = _DECODER.scan_once  # type: ignore[attr-defined]
    while True:
        start = i
        try:
            obj, i = scan(text, i)
        except StopIteration:
            raise ValueError(f"expected a JSON value at {start}") from None
        raw = text[start:i]
        if isinstance(obj, dict):
            # One object per line in NDJSON: re-serialise the rare item written over several lines.
            out.append((obj, raw if "\n" not in raw and "\r" not in raw else json.dumps(obj, ensure_ascii=False)))
        # Twilio writes compact JSON: look at the next character before reaching for the regex.
        char = text[i:i + 1]
        if char == ",":
            i += 1
            if text[i:i + 1] in _SPACE:
                i = _skip(text, i)
            continue
        if char == "]":
            return i + 1
        i = _skip(text, i)
        if i < len(text) and text[i] == ",":
            i = _skip(text, i + 1)
            continue
        return _expect(text, i, "]")
