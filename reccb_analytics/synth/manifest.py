"""The ground truth of a synthetic data set: ``OUT_DIR/manifest.json``.

Every count is taken from the same DuckDB plan the files were written from, so it is exact.
Per file it says what an ingest must report; the totals say what the store must hold.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class FileEntry:
    """One written file and what it holds.

    ``records`` excludes header lines (CSV/TSV headers, the brackets of a JSON array);
    ``expected_loaded + expected_duplicates + expected_rejected == records`` for callback logs
    ingested in path order. For metadata, ``expected_duplicates`` counts records whose SID with
    the same ``date_updated`` came in an earlier file (path order), and ``details
    ["older_than_latest"]`` those that must lose to a newer state.
    """

    path: str
    kind: str
    format: str
    compression: str | None
    bytes: int
    lines: int
    header_lines: int
    records: int
    bad: dict[str, int]
    duplicate_lines: int
    overlap_next_lines: int
    overlaps_with: str | None
    expected_loaded: int
    expected_duplicates: int
    expected_rejected: int
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """What ``reccb synth`` wrote: parameters, accounts, files and totals."""

    parameters: dict[str, Any]
    accounts: list[dict[str, Any]]
    files: list[FileEntry]
    totals: dict[str, Any]
    version: int = MANIFEST_VERSION

    def file(self, path: str) -> FileEntry:
        """The entry of one file, by its path relative to the output folder."""
        for entry in self.files:
            if entry.path == path:
                return entry
        raise KeyError(path)

    def files_of(self, kind: str) -> list[FileEntry]:
        """Entries of one kind, 'recordings' or 'callbacks', in path order."""
        return [entry for entry in self.files if entry.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "generator": "reccb synth",
            "parameters": self.parameters,
            "accounts": self.accounts,
            "totals": self.totals,
            "files": [asdict(entry) for entry in self.files],
        }

    def write(self, out_dir: Path) -> Path:
        """Write ``manifest.json`` (stable key order and formatting: byte-identical reruns)."""
        path = out_dir / MANIFEST_NAME
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            parameters=data["parameters"],
            accounts=data["accounts"],
            files=[FileEntry(**entry) for entry in data["files"]],
            totals=data["totals"],
            version=data.get("version", MANIFEST_VERSION),
        )

    @classmethod
    def load(cls, out_dir: str | Path) -> Manifest:
        """Read the manifest of a data set folder (or a manifest.json path)."""
        path = Path(out_dir)
        if path.is_dir():
            path = path / MANIFEST_NAME
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
