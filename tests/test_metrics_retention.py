"""retention_candidates, retention_savings and legal holds."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from reccb_analytics.exceptions import ConfigError, InputError
from reccb_analytics.metrics import load_legal_hold, retention_candidates, retention_savings
from tests.test_metrics_support import (
    add_copy,
    add_deletion,
    add_recording,
    csid,
    rows,
    rsid,
)

AS_OF = "2024-06-30"


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run where no reccb.toml exists, so rate=None means the default 0.0005."""
    monkeypatch.delenv("RECCB_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


def policy_store(con: duckdb.DuckDBPyConnection) -> None:
    """Recordings around as_of = 2024-06-30, archive after 30 days, delete after 90."""
    old = "2024-01-01 08:00:00+00"          # age 2024-06-30 - 2024-01-01 = 181 days
    add_recording(con, rsid(1), date_created=old)                    # copy -> delete
    add_copy(con, rsid(1), "2024-03-01 00:00:00+00")
    add_recording(con, rsid(2), date_created=old)                    # no copy -> archive first
    add_recording(con, rsid(3), date_created="2024-05-15 00:00:00+00")   # age 46 -> archive
    add_recording(con, rsid(4), date_created="2024-06-20 00:00:00+00")   # age 10 -> keep
    add_recording(con, rsid(5), date_created=old)                    # copy, but SID on hold
    add_copy(con, rsid(5), "2024-03-01 00:00:00+00")
    add_recording(con, rsid(6), date_created=old, call_sid=csid(6))  # its call is on hold
    # Never candidates: absent, pending, deleted (metadata, or our log before as_of).
    add_recording(con, rsid(7), status="absent", date_created=old)
    add_recording(con, rsid(8), status="in-progress", date_created=old)
    add_recording(con, rsid(9), status="deleted", date_created=old,
                  date_updated="2024-05-01 00:00:00+00")
    add_recording(con, rsid(10), date_created=old)
    add_deletion(con, rsid(10), "2024-06-01 00:00:00+00")
    # Deleted only after as_of: still stored on as_of -> archive.
    add_recording(con, rsid(11), date_created=old)
    add_deletion(con, rsid(11), "2024-07-05 00:00:00+00")
    # Created after as_of: not yet there.
    add_recording(con, rsid(12), date_created="2024-07-01 00:00:00+00")
    # Age 60 with a verified copy: kept until delete age.
    add_recording(con, rsid(13), date_created="2024-05-01 00:00:00+00")
    add_copy(con, rsid(13), "2024-06-01 00:00:00+00")
    # A copy verified only after as_of does not count: archive.
    add_recording(con, rsid(14), date_created=old)
    add_copy(con, rsid(14), "2024-07-02 00:00:00+00")
    # Boundaries: age exactly 30 -> archive; 29 -> keep; exactly 90 with a copy -> delete.
    add_recording(con, rsid(15), date_created="2024-05-31 23:00:00+00")
    add_recording(con, rsid(16), date_created="2024-06-01 00:00:00+00")
    add_recording(con, rsid(17), date_created="2024-04-01 00:00:00+00", duration_s=600)
    add_copy(con, rsid(17), "2024-05-01 00:00:00+00")


def test_actions_reasons_and_order(con: duckdb.DuckDBPyConnection) -> None:
    policy_store(con)
    df = retention_candidates(con, AS_OF, 30, 90, legal_hold=[rsid(5), csid(6)])
    assert list(df.columns) == ["sid", "account_sid", "action", "reason", "age_days",
                                "stored_minutes", "monthly_saving", "verified_copy"]
    assert rows(df, "sid", "action", "age_days", "reason") == [
        (rsid(1), "delete", 181, "age >= 90 d and a verified archived copy exists"),
        (rsid(17), "delete", 90, "age >= 90 d and a verified archived copy exists"),
        (rsid(2), "archive", 181, "age >= 90 d but no verified archived copy: archive first"),
        (rsid(11), "archive", 181, "age >= 90 d but no verified archived copy: archive first"),
        (rsid(14), "archive", 181, "age >= 90 d but no verified archived copy: archive first"),
        (rsid(3), "archive", 46, "age >= 30 d and no verified archived copy"),
        (rsid(15), "archive", 30, "age >= 30 d and no verified archived copy"),
        (rsid(5), "hold", 181, "on legal hold (recording SID listed)"),
        (rsid(6), "hold", 181, "on legal hold (call SID listed)"),
        (rsid(13), "keep", 60, "verified archived copy; age < 90 d"),
        (rsid(16), "keep", 29, "age < 30 d"),
        (rsid(4), "keep", 10, "age < 30 d"),
    ]
    # 60 s -> 1 minute x 0.0005; rsid(17) is 600 s -> 10 minutes -> 0.005 a month.
    first = df.set_index("sid")
    assert first.loc[rsid(1), "stored_minutes"] == 1
    assert first.loc[rsid(1), "monthly_saving"] == pytest.approx(0.0005)
    assert first.loc[rsid(17), "monthly_saving"] == pytest.approx(0.005)
    assert bool(first.loc[rsid(13), "verified_copy"])
    assert not bool(first.loc[rsid(2), "verified_copy"])


def test_without_required_archive_old_recordings_are_deleted(
        con: duckdb.DuckDBPyConnection) -> None:
    policy_store(con)
    df = retention_candidates(con, AS_OF, 30, 90, require_archive=False, rate=0.001)
    actions = dict(zip(df["sid"], df["action"], strict=True))
    # Everything 90+ days old is deleted (holds are not given here, so 5 and 6 too).
    assert sorted(s for s, a in actions.items() if a == "delete") == sorted(
        [rsid(1), rsid(2), rsid(5), rsid(6), rsid(11), rsid(14), rsid(17)])
    assert sorted(s for s, a in actions.items() if a == "archive") == sorted([rsid(3), rsid(15)])
    reasons = dict(zip(df["sid"], df["reason"], strict=True))
    assert reasons[rsid(2)] == "age >= 90 d (archive not required)"
    assert df.set_index("sid").loc[rsid(17), "monthly_saving"] == pytest.approx(10 * 0.001)


def test_legal_hold_from_a_file_with_comments(con: duckdb.DuckDBPyConnection,
                                             tmp_path: Path) -> None:
    policy_store(con)
    holds = tmp_path / "holds.txt"
    holds.write_text(f"# litigation 42\n{rsid(5)}   # the recording\n\n  {csid(6)}\n{rsid(5)}\n")
    assert load_legal_hold(holds) == [csid(6), rsid(5)]
    assert load_legal_hold(str(holds)) == [csid(6), rsid(5)]
    df = retention_candidates(con, AS_OF, 30, 90, legal_hold=holds)
    assert sorted(df.loc[df["action"] == "hold", "sid"]) == [rsid(5), rsid(6)]


def test_legal_hold_errors() -> None:
    assert load_legal_hold(None) == [] and load_legal_hold("") == [] and load_legal_hold([]) == []
    with pytest.raises(ConfigError, match="not a Recording"):
        load_legal_hold([rsid(1), "RE123"])
    with pytest.raises(ConfigError, match="not a Recording"):
        load_legal_hold(["AC" + "0" * 32])


def test_legal_hold_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "holds.txt"
    bad.write_text(f"{rsid(1)}\n# fine\nRE-not-a-sid\n")
    with pytest.raises(InputError, match=r"holds.txt:3: 'RE-not-a-sid' is not a Recording"):
        load_legal_hold(bad)
    with pytest.raises(InputError, match="cannot read the legal-hold file"):
        load_legal_hold(tmp_path / "missing.txt")


@pytest.mark.parametrize(("args", "message"), [
    ((AS_OF, 90, 30), "archive_after_days \\(90\\) is greater than delete_after_days \\(30\\)"),
    ((AS_OF, -1, 30), "archive_after_days=-1 must be a whole number"),
    ((AS_OF, 30, 9.5), "delete_after_days=9.5 must be a whole number"),
    (("30/06/2024", 30, 90), "is not a date"),
])
def test_bad_policy_raises_config_error(con: duckdb.DuckDBPyConnection, args: tuple[object, ...],
                                        message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        retention_candidates(con, *args)  # type: ignore[arg-type]


def test_savings_take_the_free_tier_into_account(con: duckdb.DuckDBPyConnection) -> None:
    # Stored on as_of: keep 8,000 + delete 3,000 + archive 1,000 + hold 500 = 12,500 minutes.
    add_recording(con, rsid(1), duration_s=8000 * 60, date_created="2024-06-25 00:00:00+00")
    add_recording(con, rsid(2), duration_s=3000 * 60, date_created="2024-01-01 00:00:00+00")
    add_copy(con, rsid(2), "2024-02-01 00:00:00+00")
    add_recording(con, rsid(3), duration_s=1000 * 60, date_created="2024-05-01 00:00:00+00")
    add_recording(con, rsid(4), duration_s=500 * 60, date_created="2024-01-01 00:00:00+00")
    df = retention_savings(con, AS_OF, 30, 90, legal_hold=[rsid(4)], free_minutes=9000)
    row = df.iloc[0]
    assert (row["recordings"], row["stored_minutes"]) == (4, 12500)
    assert (row["delete_recordings"], row["delete_minutes"]) == (1, 3000)
    assert (row["archive_recordings"], row["archive_minutes"]) == (1, 1000)
    assert (row["hold_recordings"], row["hold_minutes"]) == (1, 500)
    assert (row["keep_recordings"], row["keep_minutes"]) == (1, 8000)
    # Removed = delete + archive = 4,000 -> 8,500 left.
    assert (row["removed_minutes"], row["stored_minutes_after"]) == (4000, 8500)
    # Billable before = 12,500 - 9,000 = 3,500; after = max(0, 8,500 - 9,000) = 0.
    assert (row["billable_minutes_before"], row["billable_minutes_after"]) == (3500, 0)
    assert row["monthly_saving"] == pytest.approx(3500 * 0.0005)                # 1.75
    # Deleting only: 9,500 left -> billable 500 -> saves 3,000 x 0.0005 = 1.50.
    assert row["monthly_saving_delete_only"] == pytest.approx(3000 * 0.0005)
    # Ignoring the free tier: 4,000 x 0.0005 = 2.00 = the candidates' monthly_saving summed.
    assert row["monthly_saving_without_free_tier"] == pytest.approx(2.0)
    listed = retention_candidates(con, AS_OF, 30, 90, legal_hold=[rsid(4)])
    chosen = listed[listed["action"].isin(["delete", "archive"])]
    assert chosen["monthly_saving"].sum() == pytest.approx(2.0)
    assert row["currency"] == "USD"


def test_savings_of_an_empty_store(con: duckdb.DuckDBPyConnection) -> None:
    row = retention_savings(con, AS_OF, 30, 90).iloc[0]
    assert row["recordings"] == 0 and row["monthly_saving"] == 0
