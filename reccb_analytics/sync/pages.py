"""Splitting a list page into its envelope and its items, keeping each item's exact text.

The sync spools recordings exactly as the API returned them (the ingest parses them itself,
offsets included). Taking each item's text straight from the page, instead of parsing the page
and serialising every item again, keeps that promise byte for byte and halves the CPU a page
costs the workers.
"""

from __future__ import annotations

import json
import re
from typing import Any

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
