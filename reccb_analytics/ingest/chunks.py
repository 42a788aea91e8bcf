"""Cutting big line-based files into pieces that DuckDB can stage in memory.

A staged line costs about twice its size in memory; a 5-million-line log (2.5 GB) staged whole
would spill to disk and run several times slower than it should. So a line-based file larger
than ``CHUNK_BYTES`` (or a gzip file that may expand past it) is read in blocks cut at line
ends and handed to DuckDB one piece at a time, inside the one transaction of that file. Each
piece knows the line number it starts at, so line numbers stay those of the original file.
Only one piece exists on disk at a time; it is removed as soon as it is loaded.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import InputError

CHUNK_BYTES = int(os.environ.get("RECCB_CHUNK_BYTES", 192 * 1024 * 1024))
GZIP_EXPANSION = 10  # a gzip file this much smaller than a chunk is read by DuckDB directly


@dataclass(frozen=True)
class Chunk:
    """One piece of a file: where it is, how it is compressed, the line it starts at."""

    path: Path
    compression: str
    first_line: int


def line_chunks(path: Path, compression: str, size_bytes: int,
                chunk_bytes: int | None = None) -> Iterator[Chunk]:
    """The file itself when it is small, else temporary pieces cut at line ends, in order."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    if size_bytes * (GZIP_EXPANSION if compression == "gzip" else 1) <= chunk_bytes:
        yield Chunk(path, compression, 1)
        return
    folder = Path(tempfile.mkdtemp(prefix="reccb-chunks-", dir=os.environ.get("RECCB_TMPDIR")))
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rb") as source:  # type: ignore[operator]
            carry = b""
            first_line = 1
            index = 0
            while True:
                try:
                    block = source.read(chunk_bytes)
                except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                    raise InputError(f"gzip data is truncated or corrupt ({exc})", path) from exc
                data = carry + block
                if block:
                    cut = data.rfind(b"\n")
                    if cut == -1:  # no line end yet: one very long line, keep reading
                        carry = data
                        continue
                    data, carry = data[: cut + 1], data[cut + 1:]
                else:
                    carry = b""
                if data:
                    piece = folder / f"chunk-{index:05d}.txt"
                    piece.write_bytes(data)
                    yield Chunk(piece, "none", first_line)
                    piece.unlink(missing_ok=True)
                    first_line += data.count(b"\n")
                    index += 1
                if not block:
                    break
    finally:
        shutil.rmtree(folder, ignore_errors=True)
