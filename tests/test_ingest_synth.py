"""The synthetic data set's manifest is the ground truth: ingesting it must match it file by
file (records read, loaded, duplicates, rejected) and in total (recordings by status,
deliveries by status)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from reccb_analytics import synth
from reccb_analytics.ingest import ingest_paths

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    base = tmp_path_factory.mktemp("synth")
    data = base / "data"
    synth.generate(data, seed=7, recordings=1500)
    manifest = json.loads((data / "manifest.json").read_text())
    db = base / "s.duckdb"
    results = {}
    for kind in ("recordings", "callbacks"):
        report = ingest_paths([data / kind], kind=kind, db_path=db, progress=False)
        assert not report.failed, report.errors
        for result in report.results:
            results[Path(result.path).relative_to(data).as_posix()] = result
    return db, manifest, results


def test_every_file_matches_its_manifest_entry(synthetic: tuple[Path, dict, dict]) -> None:
    _, manifest, results = synthetic
    assert sorted(results) == sorted(entry["path"] for entry in manifest["files"])
    mismatches = []
    for entry in manifest["files"]:
        got = results[entry["path"]]
        expected = (entry["records"], entry["expected_loaded"], entry["expected_duplicates"],
                    entry["expected_rejected"])
        actual = (got.records_read, got.loaded, got.duplicates, got.rejected)
        if actual != expected:
            mismatches.append((entry["path"], actual, expected))
    assert mismatches == []


def test_totals_match(synthetic: tuple[Path, dict, dict]) -> None:
    db, manifest, _ = synthetic
    totals = manifest["totals"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        by_status = dict(con.execute("SELECT status, count(*) FROM recordings GROUP BY 1").fetchall())
        assert by_status == totals["recordings"]["by_status"]
        assert sum(by_status.values()) == totals["recordings"]["in_metadata"]
        deliveries = dict(con.execute("SELECT status, count(*) FROM callback_deliveries GROUP BY 1").fetchall())
        assert deliveries == totals["callbacks"]["deliveries_by_status"]
        events = dict(con.execute("SELECT status, count(*) FROM callback_events GROUP BY 1").fetchall())
        assert events == totals["callbacks"]["events_by_status"]
        only_cb = con.execute("SELECT count(DISTINCT recording_sid) FROM callback_deliveries "
                              "WHERE recording_sid NOT IN (SELECT sid FROM recordings)").fetchall()[0][0]
        assert only_cb == totals["recordings"]["callbacks_only"]
        invalid = con.execute("SELECT count(*) FROM callback_deliveries WHERE signature_valid = false").fetchall()
        assert invalid == [(0,)]  # not checked without --auth-token-env: NULL, never false
    finally:
        con.close()


def test_signatures_of_synthetic_envelopes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           synthetic: tuple[Path, dict, dict]) -> None:
    _, manifest, _ = synthetic
    data = tmp_path / "d"
    synth.generate(data, seed=7, recordings=1500)
    monkeypatch.setenv("DEMO_TOKEN", synth.DEMO_AUTH_TOKEN)
    db = tmp_path / "sig.duckdb"
    ingest_paths([data / "callbacks"], kind="callbacks", db_path=db, auth_token_env="DEMO_TOKEN", progress=False)
    con = duckdb.connect(str(db), read_only=True)
    try:
        invalid = con.execute("SELECT count(*) FROM callback_deliveries WHERE signature_valid = false").fetchall()[0][0]
        signed = con.execute("SELECT count(*) FROM callback_deliveries WHERE signature_valid IS NOT NULL").fetchall()[0][0]
    finally:
        con.close()
    assert invalid == manifest["totals"]["callbacks"]["invalid_signatures"]
    assert signed == manifest["totals"]["callbacks"]["signed_deliveries"]
