"""Ingest: recording metadata and callback logs into the store.

``load_file`` loads one file (one transaction); ``ingest_paths`` expands files and folders,
opens the store, loads each file and collects an ``IngestReport``. See ``loader`` for the
pipeline and the accounting rules.
"""

from __future__ import annotations

from .loader import FileResult, load_file
from .run import IngestReport, ingest_paths

__all__ = ["FileResult", "IngestReport", "ingest_paths", "load_file"]
