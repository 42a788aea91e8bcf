"""Private temporary folders that a later run cleans up if their process was killed.

A folder is named ``<prefix><pid>-<random>``. Creating one first removes the folders of the
same prefix whose process no longer exists: a ``kill -9`` during a sync or a big ingest leaves
its spooled files or file pieces behind (up to a few hundred MB), and the next run takes them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(base: Path, prefix: str) -> None:
    """Delete ``prefix`` folders under ``base`` left by processes that no longer exist."""
    for folder in base.glob(f"{prefix}*"):
        try:
            pid = int(folder.name[len(prefix):].split("-", 1)[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


def private_dir(prefix: str, base: str | os.PathLike[str] | None = None) -> Path:
    """A new folder ``<prefix><pid>-...`` under ``base`` (default: the system temp dir)."""
    root = Path(base) if base is not None else Path(tempfile.gettempdir())
    root.mkdir(parents=True, exist_ok=True)
    remove_stale(root, prefix)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=root))
