"""Proving a copy: size, SHA-256 re-read from disk, and for WAV a parsed header.

An HTTP 200 proves nothing about what landed on disk. A copy counts as verified when:

* its size equals the ``Content-Length`` the server announced (when it announced one);
* its SHA-256, re-read from disk after ``fsync``, equals the hash computed while streaming
  (and, later, the ``.sha256`` sidecar stored next to it);
* for WAV: the RIFF/WAVE header parses, the ``fmt`` chunk is PCM-shaped, the ``data`` chunk is
  wholly present (a truncated body fails here even without a Content-Length), the channel count
  is the one asked for, and the duration the header implies is within a second of the
  metadata's ``duration_s``;
* for MP3: the file starts with an ID3 tag or an MPEG frame sync (MP3 carries no length field
  that could be checked without decoding every frame).
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import ArchiveError

READ_CHUNK = 1 << 20
DURATION_TOLERANCE_S = 1.0


class VerificationError(ArchiveError):
    """A copy failed a check; ``reason`` says which, in words fit for the attempts table."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class WavInfo:
    """What a WAV header says about the audio that follows it."""

    channels: int
    sample_rate: int
    bits_per_sample: int
    block_align: int
    data_bytes: int

    @property
    def duration_s(self) -> float:
        return self.data_bytes / (self.sample_rate * self.block_align)


@dataclass(frozen=True)
class Verified:
    """A copy that passed every check."""

    sha256: str
    bytes: int
    channels: int | None  # from the WAV header; None for MP3
    duration_s: float | None  # from the WAV header; None for MP3


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks (memory stays flat)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def parse_wav(path: str | os.PathLike[str]) -> WavInfo:
    """Walk the RIFF chunks of a WAV file; raise ``VerificationError`` on anything malformed."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise VerificationError("not a WAV file (no RIFF/WAVE header)")
        riff_size = struct.unpack("<I", head[4:8])[0]
        if riff_size + 8 > size:
            raise VerificationError(
                f"WAV truncated: RIFF header announces {riff_size + 8} bytes, file has {size}"
            )
        fmt: tuple[int, int, int, int, int] | None = None
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            body = offset + 8
            if chunk_id == b"fmt ":
                if chunk_size < 16:
                    raise VerificationError("WAV fmt chunk too short")
                audio_format, channels, rate, _byte_rate, align, bits = struct.unpack(
                    "<HHIIHH", handle.read(16)
                )
                fmt = (audio_format, channels, rate, align, bits)
            elif chunk_id == b"data":
                if fmt is None:
                    raise VerificationError("WAV data chunk comes before its fmt chunk")
                if body + chunk_size > size:
                    raise VerificationError(
                        f"WAV truncated: data chunk announces {chunk_size} bytes, "
                        f"only {size - body} present"
                    )
                audio_format, channels, rate, align, bits = fmt
                if channels < 1 or rate < 1 or align < 1:
                    raise VerificationError(
                        f"WAV fmt chunk is nonsense (channels={channels}, rate={rate}, "
                        f"align={align})"
                    )
                return WavInfo(channels, rate, bits, align, chunk_size)
            # RIFF chunks are padded to an even length.
            offset = body + chunk_size + (chunk_size & 1)
    raise VerificationError("WAV has no data chunk (truncated or not audio)")


def check_mp3(path: str | os.PathLike[str]) -> None:
    """Raise ``VerificationError`` unless the file starts like an MP3 (ID3 tag or frame sync)."""
    with open(path, "rb") as handle:
        head = handle.read(3)
    if head[:3] == b"ID3":
        return
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        return
    raise VerificationError("not an MP3 file (no ID3 tag or MPEG frame sync at the start)")


def verify_copy(
    path: str | os.PathLike[str],
    *,
    fmt: str,
    sha256: str | None = None,
    expected_bytes: int | None = None,
    duration_s: float | None = None,
    channels: int | None = None,
) -> Verified:
    """Check a file on disk; return what was verified or raise ``VerificationError``.

    ``sha256`` is the hash the file must have (computed while streaming, or stored earlier);
    ``expected_bytes`` the size it must have; ``duration_s`` and ``channels`` are checked
    against the WAV header when given.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise VerificationError(f"copy missing: {path}") from None
    if expected_bytes is not None and size != expected_bytes:
        raise VerificationError(f"size mismatch: expected {expected_bytes} bytes, file has {size}")
    actual = sha256_file(path)
    if sha256 is not None and actual != sha256:
        raise VerificationError(f"checksum mismatch: expected sha256 {sha256}, file has {actual}")
    if fmt == "wav":
        info = parse_wav(path)
        if channels is not None and info.channels != channels:
            raise VerificationError(f"WAV has {info.channels} channel(s), expected {channels}")
        if (
            duration_s is not None
            and abs(info.duration_s - float(duration_s)) > DURATION_TOLERANCE_S
        ):
            raise VerificationError(
                f"WAV duration {info.duration_s:.2f} s differs from the metadata's "
                f"{float(duration_s):g} s by more than {DURATION_TOLERANCE_S:g} s"
            )
        return Verified(actual, size, info.channels, info.duration_s)
    if fmt == "mp3":
        check_mp3(path)
        return Verified(actual, size, None, None)
    raise VerificationError(f"unknown format {fmt!r}")


def read_sidecar(path: Path) -> str | None:
    """The hash stored in a copy's ``.sha256`` sidecar, or None when there is none."""
    from .sids import sidecar_path

    try:
        text = sidecar_path(path).read_text(encoding="ascii")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    value = text.split()[0] if text.split() else ""
    return value.lower() if len(value) == 64 else None
