"""Big files are loaded in pieces; the result must be exactly that of loading them whole."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from reccb_analytics.db import open_database
from reccb_analytics.ingest import chunks, load_file

FIXTURES = Path(__file__).parent / "fixtures"


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {
        "deliveries": con.execute("SELECT delivery_id, source_line, status, received_at FROM callback_deliveries "
                                  "ORDER BY source_line").fetchall(),
        "recordings": con.execute("SELECT sid, status, date_updated FROM recordings ORDER BY sid").fetchall(),
        "rejects": con.execute("SELECT source_line, reason FROM rejects ORDER BY source_line").fetchall(),
    }


def load_all(tmp_path: Path, name: str, gzipped: bool) -> tuple[list, dict]:
    results = []
    con = open_database(tmp_path / f"{name}.duckdb")
    for kind, rel in (("callbacks", "callbacks/flat.ndjson"), ("callbacks", "callbacks/requests.csv"),
                      ("callbacks", "callbacks/bodies.log"), ("recordings", "recordings/older.ndjson"),
                      ("recordings", "recordings/export.csv")):
        source = FIXTURES / rel
        if gzipped:
            target = tmp_path / f"{name}-{source.name}.gz"
            with open(source, "rb") as src, gzip.open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            source = target
        r = load_file(con, source, kind=kind)
        results.append((r.records_read, r.loaded, r.duplicates, r.rejected))
    state = snapshot(con)
    con.close()
    return results, state


@pytest.mark.parametrize("gzipped", [False, True])
def test_pieces_give_the_same_store_as_whole_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   gzipped: bool) -> None:
    whole = load_all(tmp_path, "whole", gzipped)
    # pieces of ~300 bytes: every fixture file is cut into several, some lines in each
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 300)
    monkeypatch.setattr(chunks, "GZIP_EXPANSION", 10_000)
    cut = load_all(tmp_path, "cut", gzipped)
    assert cut == whole


def test_pieces_are_cut_at_line_ends(tmp_path: Path) -> None:
    source = tmp_path / "lines.txt"
    source.write_bytes(b"".join(f"line {i:03d}\n".encode() for i in range(1, 101)) + b"tail without newline")
    seen = []
    for piece in chunks.line_chunks(source, "none", source.stat().st_size, chunk_bytes=64):
        text = piece.path.read_bytes()
        assert text.endswith(b"\n") or text.endswith(b"newline")
        first = text.split(b"\n", 1)[0]
        assert first == (f"line {piece.first_line:03d}".encode() if piece.first_line <= 100
                         else b"tail without newline")
        seen.append(text)
    assert b"".join(seen) == source.read_bytes()
    assert len(seen) > 10
