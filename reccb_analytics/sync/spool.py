"""Temporary NDJSON files between the workers that fetch and the writer that loads.

Each listed window (or batch of re-fetched recordings) is written by its worker to its own file;
the writer concatenates an account's files into one batch and loads it with ``load_file``. The
folder lives in the system temp dir, named with our PID, so a later run can remove what a killed
run left behind.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from ..tempdirs import private_dir

PREFIX = "reccb-sync-"


class Spool:
    """A private folder of NDJSON files; ``close()`` removes it."""

    def __init__(self, base: str | os.PathLike[str] | None = None) -> None:
        self.folder = private_dir(PREFIX, base)
        self._counter = itertools.count(1)  # next() on a count is atomic under the GIL

    def new_path(self, account_sid: str, kind: str = "window") -> Path:
        return self.folder / f"{account_sid}-{kind}-{next(self._counter):07d}.ndjson"

    def concat(self, account_sid: str, paths: Sequence[Path]) -> Path:
        """One file holding ``paths`` in order (the only one itself when there is one)."""
        if len(paths) == 1:
            return paths[0]
        target = self.new_path(account_sid, "batch")
        with open(target, "wb") as out:
            for path in paths:
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out, 1024 * 1024)
        return target

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

