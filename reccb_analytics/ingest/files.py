"""Finding input files, checking they are readable text, hashing them, and naming their format.

Only the first 64 KiB of each file is read in Python (to sniff); the whole file is read by
DuckDB. Problems found here stop that one file with an ``InputError`` naming it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import InputError

SNIFF_BYTES = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"

RECORDING_FORMATS = ("api-page", "api-object", "json-array", "ndjson", "csv", "tsv")
CALLBACK_FORMATS = ("ndjson", "form", "csv", "tsv")

_ISO_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_FORM_LINE = re.compile(r"^(?:\d{4}-\d{2}-\d{2}[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?[\t ])?[A-Za-z][A-Za-z0-9_.-]*=[^\s]*$")


@dataclass(frozen=True)
class SniffedFile:
    """What the first bytes of a file told us."""

    path: Path
    compression: str  # 'gzip' | 'none'
    head: str  # decoded text of the first (up to) 64 KiB
    size_bytes: int


def expand_paths(paths: list[str | os.PathLike[str]]) -> tuple[list[Path], list[InputError]]:
    """Files named directly, and every regular non-hidden file under named directories (sorted).

    Returns the files and one error per path that is missing or is a directory with nothing to read.
    """
    files: list[Path] = []
    errors: list[InputError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                errors.append(InputError("directory has no files to read", path))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            errors.append(InputError("not a regular file", path))
        else:
            errors.append(InputError("no such file or directory", path))
    return files, errors


def sniff(path: Path) -> SniffedFile:
    """Read the head of ``path``: detect gzip, refuse binary or non-UTF-8 content."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            magic = handle.read(2)
        compression = "gzip" if magic == GZIP_MAGIC else "none"
        opener = gzip.open if compression == "gzip" else open
        with opener(path, "rb") as handle:  # type: ignore[operator]
            head_bytes = handle.read(SNIFF_BYTES)
    except PermissionError as exc:
        raise InputError("permission denied", path) from exc
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"gzip data is truncated or corrupt ({exc})", path) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path) from exc
    if b"\x00" in head_bytes:
        raise InputError("not a text file (contains NUL bytes); expected JSON, NDJSON, CSV or "
                         "form-encoded text, plain or gzip", path)
    try:
        head = head_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head_bytes) - 3 and len(head_bytes) == SNIFF_BYTES:
            # A multi-byte character cut by the sniff window, not bad data.
            head = head_bytes[: exc.start].decode("utf-8")
        else:
            line = head_bytes[: exc.start].count(b"\n") + 1
            raise InputError(f"not UTF-8 text (invalid byte 0x{head_bytes[exc.start]:02x} at "
                             f"byte {exc.start})", path, line) from exc
    if head.startswith("\ufeff"):
        head = head[1:]
    return SniffedFile(path=path, compression=compression, head=head, size_bytes=size)


def sha256_of(path: Path, stop: threading.Event | None = None) -> str:
    """SHA-256 of the file's bytes as stored (compressed files hash their compressed bytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            if stop is not None and stop.is_set():
                return ""
            digest.update(chunk)  # hashlib releases the GIL on blocks this size
    return digest.hexdigest()


class BackgroundSha256:
    """The SHA-256 of a file, computed by a thread while the caller does something else (DuckDB
    loading the same file: the hash then costs no wall time on a machine with a spare core)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stop = threading.Event()
        self._digest: str | None = None
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="reccb-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._digest = sha256_of(self.path, self._stop)
        except OSError as exc:
            self._error = exc

    def result(self) -> str:
        """Wait for the hash; ``InputError`` if the file could not be read."""
        self._thread.join()
        if self._error is not None:
            raise InputError(f"cannot read the file to hash it: {self._error}", self.path)
        assert self._digest, "result() after cancel()"
        return self._digest

    def cancel(self) -> None:
        """Stop hashing (the load failed); returns once the thread has let go of the file."""
        self._stop.set()
        self._thread.join()


def _first_line(head: str) -> str:
    for line in head.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _delimiter(header_line: str) -> str | None:
    tabs, commas = header_line.count("\t"), header_line.count(",")
    if tabs == 0 and commas == 0:
        return None
    return "tsv" if tabs > commas else "csv"


def detect_recordings_format(sniffed: SniffedFile) -> str:
    """Name the recording-metadata format of a file from its head."""
    text = sniffed.head.lstrip()
    if not text:
        return "empty"
    if text.startswith("["):
        return "json-array"
    if text.startswith("{"):
        first = _first_line(text)
        if _is_complete_json_object(first):
            obj = json.loads(first)
            if "recordings" in obj and isinstance(obj["recordings"], list):
                return "api-page"
            rest = text[len(first):].strip()
            return "ndjson" if rest.startswith("{") or not rest else "api-object"
        # A JSON document spread over several lines: a page or one object.
        return "api-page" if re.search(r'"recordings"\s*:\s*\[', text) else "api-object"
    delimited = _delimiter(_first_line(text))
    if delimited:
        return delimited
    raise InputError("unrecognised recording metadata format: expected a Twilio list page, "
                     "Recording JSON/NDJSON, the Twilio CLI's JSON, or CSV/TSV with a header; "
                     "use --format to say which", sniffed.path, 1)


def detect_callbacks_format(sniffed: SniffedFile) -> str:
    """Name the callback-log format of a file from its head."""
    text = sniffed.head.lstrip()
    if not text:
        return "empty"
    first = _first_line(text)
    if first.startswith("{"):
        return "ndjson"
    if _FORM_LINE.match(first) or (_ISO_PREFIX.match(first) and "=" in first and "&" in first):
        return "form"
    if "&" in first and "=" in first and "," not in first and "\t" not in first:
        return "form"
    delimited = _delimiter(first)
    if delimited:
        return delimited
    raise InputError("unrecognised callback log format: expected NDJSON, form-encoded request "
                     "bodies, or CSV/TSV with Twilio parameter names as header; use --format",
                     sniffed.path, 1)


def _is_complete_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def read_header(sniffed: SniffedFile, delimiter: str) -> list[str]:
    """The header row of a CSV/TSV file, parsed with the csv module (quotes honoured)."""
    import csv

    first = _first_line(sniffed.head)
    row = next(csv.reader([first], delimiter=delimiter))
    return [name.strip() for name in row]


def header_text(sniffed: SniffedFile) -> str:
    """The header line exactly as DuckDB will return it (line ending removed)."""
    for line in sniffed.head.splitlines():
        if line.strip():
            return line
    return ""


def header_line_number(sniffed: SniffedFile) -> int:
    """1-based line number of the header (the first non-blank line)."""
    for number, line in enumerate(sniffed.head.splitlines(), start=1):
        if line.strip():
            return number
    return 1
