"""SID validation and the only place where an archive path is built from a SID.

Recording and account SIDs arrive from logs and exports, i.e. from data nobody vetted. A SID
such as ``RE../../etc/passwd`` must never become part of a file name, so every path is built
here, after the SIDs have matched Twilio's patterns, and is checked to stay under the
destination even then (defence in depth against symlinked account folders).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..exceptions import ArchiveError

RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
FORMATS = ("wav", "mp3")


class UnsafeSidError(ArchiveError):
    """A Recording or Account SID does not match Twilio's pattern; no path is built from it."""


def is_recording_sid(value: object) -> bool:
    """True when ``value`` is a string matching ``^RE[0-9a-fA-F]{32}$``."""
    return isinstance(value, str) and RECORDING_SID.fullmatch(value) is not None


def is_account_sid(value: object) -> bool:
    """True when ``value`` is a string matching ``^AC[0-9a-fA-F]{32}$``."""
    return isinstance(value, str) and ACCOUNT_SID.fullmatch(value) is not None


def printable(value: object, limit: int = 80) -> str:
    """A SID-ish value made safe to print or store in a reason: repr-escaped and truncated."""
    text = (
        repr(value)
        if not isinstance(value, str)
        else value.encode("unicode_escape").decode("ascii")
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_sids(sid: object, account_sid: object) -> None:
    """Raise ``UnsafeSidError`` unless both SIDs match their patterns."""
    if not is_recording_sid(sid):
        raise UnsafeSidError(
            f"refused: recording SID {printable(sid)!r} does not match ^RE[0-9a-fA-F]{{32}}$"
        )
    if not is_account_sid(account_sid):
        raise UnsafeSidError(
            f"refused: account SID {printable(account_sid)!r} of {sid} does not match "
            "^AC[0-9a-fA-F]{32}$"
        )


def copy_path(dest: str | os.PathLike[str], account_sid: str, sid: str, fmt: str) -> Path:
    """The archive location of one recording: ``DEST/<AccountSid>/<RecordingSid>.<fmt>``.

    Raises ``UnsafeSidError`` for a malformed SID and ``ArchiveError`` if the resolved path
    would leave ``dest`` (which only a symlink planted inside ``dest`` could cause).
    """
    check_sids(sid, account_sid)
    if fmt not in FORMATS:
        raise ArchiveError(f"unknown media format {fmt!r}; use one of {', '.join(FORMATS)}")
    root = Path(dest).resolve()
    path = root / account_sid / f"{sid}.{fmt}"
    resolved = path.parent.resolve() / path.name
    if not resolved.is_relative_to(root):
        raise ArchiveError(
            f"refused: {path} resolves to {resolved}, outside the destination {root}"
        )
    return path


def sidecar_path(path: Path) -> Path:
    """The ``.sha256`` file stored next to a copy (``sha256sum -c`` format)."""
    return path.with_name(path.name + ".sha256")
