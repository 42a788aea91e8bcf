"""Ingesting many paths in one run: expand folders, open the store once, load file by file.

A file that cannot be read is reported and skipped; the others still load. The caller (the
CLI) turns ``IngestReport.failed`` into a non-zero exit status.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from .. import db
from ..exceptions import ConfigError, InputError
from . import files, signatures
from .loader import KINDS, FileResult, load_file, timed

# Ingest sessions cap DuckDB's memory so a 5M-line file loads in well under 2 GiB; DuckDB
# spills to <db>.tmp beyond it. Override with RECCB_MEMORY_LIMIT (e.g. "4GB").
DEFAULT_MEMORY_LIMIT = "1GB"


@dataclass
class IngestReport:
    """Results of one ``ingest_paths`` run."""

    kind: str
    results: list[FileResult] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def total(self, attribute: str) -> int:
        return sum(getattr(r, attribute) for r in self.results)

    def summary(self) -> str:
        lines = [r.summary() for r in self.results]
        lines += [f"{e.path or '?'}: FAILED: {e}" for e in self.errors]
        read = self.total("records_read")
        rate = f", {read / self.seconds:,.0f} records/s" if self.seconds > 0 and read else ""
        lines.append(
            f"{self.kind}: {len(self.results)} file(s) ingested, {len(self.errors)} failed; "
            f"read {read}, loaded {self.total('loaded')}, duplicates {self.total('duplicates')}, "
            f"rejected {self.total('rejected')} in {self.seconds:.1f}s{rate}")
        return "\n".join(lines)


def ingest_paths(paths: list[str | os.PathLike[str]], *, kind: str,
                 db_path: str | os.PathLike[str] | None = None, fmt: str | None = None,
                 auth_token_env: str | None = None, callback_url: str | None = None,
                 progress: bool | None = None,
                 on_file: Callable[[FileResult], None] | None = None) -> IngestReport:
    """Load every file under ``paths`` into the store at ``db_path`` (see ``config``).

    ``kind`` is 'recordings' or 'callbacks'. ``auth_token_env`` names the environment variable
    holding the auth token for signature checks (callbacks only).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    token = signatures.token_from_env(auth_token_env) if auth_token_env else None
    report = IngestReport(kind=kind)
    found, report.errors = files.expand_paths(list(paths))
    if progress is None:
        progress = sys.stderr.isatty()
    started = time.perf_counter()
    con = db.open_database(db_path)
    try:
        limit = os.environ.get("RECCB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
        try:
            con.execute("SET memory_limit = $limit", {"limit": limit})
        except duckdb.Error as exc:
            raise ConfigError(f"RECCB_MEMORY_LIMIT={limit!r} is not a memory size "
                              "(examples: 1GB, 4GB, 800MB)") from exc
        if progress:
            # DuckDB's own bar shows progress inside one big file.
            con.execute("SET enable_progress_bar = true")
        bar = None
        if progress and found:
            from tqdm import tqdm

            bar = tqdm(total=sum(p.stat().st_size for p in found), unit="B", unit_scale=True,
                       desc=f"ingest {kind}", file=sys.stderr)
        for path in found:
            try:
                result = load_file(con, path, kind=kind, fmt=fmt, auth_token=token,
                                   callback_url=callback_url)
            except InputError as exc:
                report.errors.append(exc)
            else:
                report.results.append(result)
                if on_file:
                    on_file(result)
            if bar is not None:
                bar.update(path.stat().st_size)
                elapsed = max(time.perf_counter() - started, 1e-9)
                bar.set_postfix(records=report.total("records_read"),
                                rate=f"{report.total('records_read') / elapsed:,.0f}/s")
        if bar is not None:
            bar.close()
        with timed("checkpoint"):
            con.execute("CHECKPOINT")
    finally:
        con.close()
    report.seconds = time.perf_counter() - started
    return report

