"""The committed sample data set, as a ready DuckDB store for notebooks, tests and exploring.

``data/sample/`` (in a wheel: ``reccb_analytics/data/sample``) holds a small synthetic data
set in Twilio's shapes, written by ``reccb synth data/sample``. ``sample_db_path()`` ingests it
once into a cache file and returns its path; the cache is rebuilt when the sample's content
changes (its fingerprint is kept next to it). A build goes to a temporary file that is renamed
into place, so concurrent notebook kernels never see a half-built store.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib import resources
from pathlib import Path

from .exceptions import DatabaseMissingError

_REPO_ROOT = Path(__file__).resolve().parent.parent


def sample_dir() -> Path:
    """The folder holding the committed sample files."""
    packaged = Path(str(resources.files("reccb_analytics") / "data" / "sample"))
    if packaged.is_dir():
        return packaged
    in_repo = _REPO_ROOT / "data" / "sample"
    if in_repo.is_dir():
        return in_repo
    raise DatabaseMissingError("the sample data set is not installed (data/sample)")


def _fingerprint(folder: Path) -> str:
    from .db import latest_schema_version

    digest = hashlib.sha256()
    # a new schema (or ingest) version builds the sample store afresh
    digest.update(f"schema {latest_schema_version()}\n".encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _cache_dir() -> Path:
    if os.environ.get("RECCB_SAMPLE_CACHE"):
        return Path(os.environ["RECCB_SAMPLE_CACHE"])
    repo_data = _REPO_ROOT / "data"
    if (repo_data / "sample").is_dir() and os.access(repo_data, os.W_OK):
        return repo_data
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "reccb-analytics"


def sample_db_path(rebuild: bool = False) -> Path:
    """Path of a DuckDB store holding the committed sample (built on first use)."""
    from .ingest.run import ingest_paths

    folder = sample_dir()
    fingerprint = _fingerprint(folder)
    cache = _cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / "sample.duckdb"
    stamp = cache / "sample.duckdb.fingerprint"
    if not rebuild and target.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return target
    fd, tmp_name = tempfile.mkstemp(prefix=".sample-", suffix=".duckdb", dir=cache)
    os.close(fd)
    os.unlink(tmp_name)  # DuckDB wants to create the file itself
    try:
        for kind in ("recordings", "callbacks"):
            report = ingest_paths([folder / kind], kind=kind, db_path=tmp_name, progress=False)
            if report.failed:
                raise DatabaseMissingError(f"the sample data set could not be loaded: {report.errors[0]}")
        os.replace(tmp_name, target)
        stamp.write_text(fingerprint)
    finally:
        for leftover in (Path(tmp_name), Path(tmp_name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return target
