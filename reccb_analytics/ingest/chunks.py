"""Cutting big line-based recording files into pieces that DuckDB can stage in memory.

Recordings are staged (``rec_stage``) before they are merged, and a staged line costs about
twice its size in memory; a big export staged whole would spill to disk and run several times
slower than it should. So a line-based recordings file larger than ``CHUNK_BYTES`` (or a gzip
file that may expand past it) is read in blocks cut at line ends and handed to DuckDB one piece
at a time, inside the one transaction of that file. Each piece knows the line number it starts
at, so line numbers stay those of the original file. A background thread writes the next piece
while DuckDB loads the current one; at most three pieces exist on disk at once, each removed
as soon as it is loaded.

Callback logs are not cut: they load in one pass from a table of their lines, which DuckDB
spills to disk itself, and pieces would cost more than they save (see ``loader``).
"""

from __future__ import annotations

import gzip
import os
import queue
import shutil
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import InputError
from ..tempdirs import private_dir

CHUNK_BYTES = int(os.environ.get("RECCB_CHUNK_BYTES") or 192 * 1024 * 1024)
GZIP_EXPANSION = 10  # a gzip file this much smaller than a chunk is read by DuckDB directly
COPY_BLOCK = 8 * 1024 * 1024


def _read(source: object, size: int, path: Path) -> bytes:
    try:
        return source.read(size)  # type: ignore[attr-defined,no-any-return]
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"gzip data is truncated or corrupt ({exc})", path) from exc


@dataclass(frozen=True)
class Chunk:
    """One piece of a file: where it is, how it is compressed, the line it starts at."""

    path: Path
    compression: str
    first_line: int


def line_chunks(path: Path, compression: str, size_bytes: int,
                chunk_bytes: int | None = None) -> Iterator[Chunk]:
    """The file itself when it is small, else temporary pieces cut at line ends, in order.

    A background thread writes the next piece while the caller loads the current one (at
    most three pieces exist at once); each piece is removed when the caller asks for the
    next. A problem reading the file (a corrupt gzip) is raised here, in the caller.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    if size_bytes * (GZIP_EXPANSION if compression == "gzip" else 1) <= chunk_bytes:
        yield Chunk(path, compression, 1)
        return
    folder = private_dir("reccb-chunks-", os.environ.get("RECCB_TMPDIR"))
    ready: queue.Queue[Chunk | BaseException | None] = queue.Queue(maxsize=1)
    stop = threading.Event()
    writer = threading.Thread(target=_write_pieces, name="reccb-chunks", daemon=True,
                              args=(path, compression, chunk_bytes, folder, ready, stop))
    writer.start()
    try:
        while True:
            item = ready.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            item.path.unlink(missing_ok=True)
    finally:
        stop.set()
        while writer.is_alive():  # unblock a writer waiting to hand over a piece
            try:
                ready.get_nowait()
            except queue.Empty:
                pass
            writer.join(0.05)
        shutil.rmtree(folder, ignore_errors=True)


def _hand_over(ready: queue.Queue[Chunk | BaseException | None], item: Chunk | BaseException | None,
               stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            ready.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _write_pieces(path: Path, compression: str, chunk_bytes: int, folder: Path,
                  ready: queue.Queue[Chunk | BaseException | None], stop: threading.Event) -> None:
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rb") as source:  # type: ignore[operator]
            first_line, index, pending, done = 1, 0, b"", False
            while not done and not stop.is_set():
                # Copy in blocks (memory stays a few MB whatever the piece size); the piece
                # ends at the first line end after chunk_bytes, or at the end of the file.
                piece = folder / f"chunk-{index:05d}.txt"
                written = lines = 0
                with open(piece, "wb") as out:
                    while True:
                        if not pending:
                            pending = _read(source, COPY_BLOCK, path)
                            if not pending:
                                done = True
                                break
                        cut = -1
                        if written + len(pending) >= chunk_bytes:
                            cut = pending.find(b"\n", max(chunk_bytes - written - 1, 0))
                        part = pending if cut == -1 else pending[: cut + 1]
                        out.write(part)
                        written, lines = written + len(part), lines + part.count(b"\n")
                        pending = b"" if cut == -1 else pending[cut + 1:]
                        if cut != -1:
                            break
                if written and not _hand_over(ready, Chunk(piece, "none", first_line), stop):
                    return
                first_line += lines
                index += 1
        _hand_over(ready, None, stop)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, raised there
        _hand_over(ready, exc, stop)
