"""Synthetic Twilio recording metadata and Recording Status Callback logs (``reccb synth``).

``generate(out_dir, seed=42, ...)`` writes a realistic, seeded data set in every input format
the ingest reads and returns its ``Manifest`` (also written as ``out_dir/manifest.json``).
See docs/synth.md.
"""

from __future__ import annotations

from .generator import DEFAULT_END_DATE, SynthOptions, generate
from .manifest import FileEntry, Manifest
from .signing import DEMO_AUTH_TOKEN

__all__ = ["DEFAULT_END_DATE", "DEMO_AUTH_TOKEN", "FileEntry", "Manifest", "SynthOptions", "generate"]
