"""Archive then delete, end to end against the Twilio-compatible test server (real HTTP, real
DuckDB files, real WAV/MP3 bytes): plan -> apply -> verify -> delete plan -> dry run -> execute."""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from pathlib import Path

import pytest

from reccb_analytics.archive import (
    apply_archive_plan,
    apply_delete_plan,
    archive_status,
    build_delete_plan,
    build_plan,
    resolve_policy,
)
from reccb_analytics.archive.plan import file_sha256
from reccb_analytics.archive.verify import parse_wav
from reccb_analytics.config import Settings
from reccb_analytics.exceptions import ArchiveError, PlanTamperedError
from tests.test_archive_support import (
    World,
    today,
    wav_bytes,
    world_fixture,  # noqa: F401 - the `world` fixture
)

AS_OF = today()


def policy(kind: str, archive_after: int = 30, delete_after: int = 60, hold: str | None = None):
    return resolve_policy(
        kind,
        as_of=AS_OF,
        archive_after=archive_after,
        delete_after=delete_after,
        legal_hold=hold,
        settings=Settings(),
    )


def seed(world: World, tmp_path: Path):
    """Five recordings, aged against AS_OF = today (copies verified now count by its end):

    a  parent, 90 days old, 70 s, 2 ch  -> archive, then delete (>= 60)
    b  sub,    81 days old, 125 s, 1 ch -> archive, then delete
    c  sub,    12 days old, 30 s        -> keep (< 30)
    d  parent, 86 days old, 40 s        -> on legal hold (by its Call SID)
    e  parent, 89 days old, absent      -> never a candidate
    """
    a = world.add(world.parent, 90, duration=70, channels=2)
    b = world.add(world.sub, 81, duration=125, channels=1)
    c = world.add(world.sub, 12, duration=30)
    d = world.add(world.parent, 86, duration=40)
    e = world.add(world.parent, 89, duration=0, status="absent", channels=1)
    hold = tmp_path / "holds.txt"
    hold.write_text(f"{d.call_sid}\n")
    return a, b, c, d, e, hold


def test_plan_apply_verify_delete_dry_run_execute(world: World, tmp_path: Path) -> None:
    a, b, c, d, e, hold = seed(world, tmp_path)
    dest = tmp_path / "archive"

    # 1. archive plan: exactly a and b, with what apply needs.
    with world.con() as con:
        made = build_plan(
            con, "archive", policy("archive", hold=str(hold)), tmp_path / "archive.csv"
        )
    assert made.recordings == 2
    assert made.stored_minutes == 2 + 3  # ceil(70/60) + ceil(125/60)
    assert made.plan_hash == file_sha256(tmp_path / "archive.csv")
    text = (tmp_path / "archive.csv").read_text()
    assert text.splitlines()[0] == (
        "sid,account_sid,action,reason,age_days,duration_s,channels,stored_minutes,monthly_saving"
    )
    assert {a.sid, b.sid} == {line.split(",")[0] for line in text.splitlines()[1:]}
    assert c.sid not in text and d.sid not in text and e.sid not in text

    # 2. apply: both copied, verified, recorded; the files are the server's bytes.
    with world.con() as con:
        result = apply_archive_plan(con, tmp_path / "archive.csv", dest, concurrency=2)
        copies = con.execute(
            "SELECT sid, account_sid, location, bytes, sha256, format, channels, plan_hash "
            "FROM archive_copies ORDER BY bytes DESC"
        ).fetchall()
    assert result.counts == {"archived": 2, "already-archived": 0, "failed": 0, "refused": 0}
    assert result.bytes_written == wav_bytes(70, 2) + wav_bytes(125, 1)
    expected = {a.sid: (world.parent.sid, 70, 2), b.sid: (world.sub.sid, 125, 1)}
    assert [row[0] for row in copies] == [a.sid, b.sid]  # 2,240,044 > 2,000,044 bytes
    for sid, account, location, size, sha, fmt, channels, plan_hash in copies:
        account_exp, duration, channels_exp = expected[sid]
        path = Path(location)
        assert path == dest / account_exp / f"{sid}.wav"
        assert account == account_exp and fmt == "wav" and channels == channels_exp
        assert size == wav_bytes(duration, channels_exp) == path.stat().st_size
        assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
        assert path.with_name(path.name + ".sha256").read_text() == f"{sha}  {path.name}\n"
        info = parse_wav(path)
        assert (info.channels, info.sample_rate, info.duration_s) == (channels_exp, 8000, duration)
        assert plan_hash == made.plan_hash
    assert not list(dest.rglob("*.part"))

    # 3. rerun: nothing fetched again.
    gets = world.media_gets()
    with world.con() as con:
        again = apply_archive_plan(con, tmp_path / "archive.csv", dest)
        n_copies = con.execute(
            "SELECT count(*), count(DISTINCT sid) FROM archive_copies"
        ).fetchall()[0]
    assert again.counts["already-archived"] == 2 and again.counts["archived"] == 0
    assert world.media_gets() == gets
    assert n_copies == (2, 2)

    # 4. delete plan: a and b now have verified copies and are >= 60 days old; d stays on hold.
    with world.con() as con:
        dplan = build_delete_plan(
            con, policy("delete", hold=str(hold)), tmp_path / "delete.parquet"
        )
    assert dplan.recordings == 2 and dplan.format == "parquet"
    assert dplan.monthly_saving == pytest.approx(5 * 0.0005)

    # 5. dry run, on a read-only store: nothing audited, nothing deleted at the server.
    with world.con(read_only=True) as con:
        dry = apply_delete_plan(con, tmp_path / "delete.parquet")
    assert dry.counts == {"would-delete": 2} and dry.minutes == 5
    assert world.deletes() == []
    assert world.server.store.recordings[a.sid].deleted_at is None
    with world.con(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM deletion_audit").fetchall() == [(0,)]

    # 6. execute: one audit row per deletion, both gone at the server.
    with world.con() as con:
        done = apply_delete_plan(con, tmp_path / "delete.parquet", execute=True, reverify=True)
        audit = con.execute(
            "SELECT sid, account_sid, outcome, http_status, plan_hash FROM deletion_audit "
            "ORDER BY sid"
        ).fetchall()
    assert done.counts == {"deleted": 2} and done.ok
    assert audit == sorted(
        [
            (a.sid, world.parent.sid, "deleted", 204, dplan.plan_hash),
            (b.sid, world.sub.sid, "deleted", 204, dplan.plan_hash),
        ]
    )
    assert sorted(world.deletes()) == sorted(
        [
            f"/2010-04-01/Accounts/{world.parent.sid}/Recordings/{a.sid}.json",
            f"/2010-04-01/Accounts/{world.sub.sid}/Recordings/{b.sid}.json",
        ]
    )
    assert world.server.store.recordings[a.sid].status == "deleted"
    assert world.server.store.recordings[b.sid].status == "deleted"
    assert world.server.store.recordings[d.sid].deleted_at is None

    # 7. executing the same plan again calls nothing and audits nothing new.
    with world.con() as con:
        rerun = apply_delete_plan(con, tmp_path / "delete.parquet", execute=True)
        assert con.execute("SELECT count(*) FROM deletion_audit").fetchall() == [(2,)]
    assert rerun.counts == {"skipped": 2} and len(world.deletes()) == 2

    # 8. status: 2 archived (5 stored minutes), 2 deleted, saving 5 x 0.0005 a month.
    with world.con(read_only=True) as con:
        status = archive_status(con, as_of=dt.datetime.now(dt.UTC).date(), rate=0.0005)
        by_account = archive_status(con, rate=0.0005, by="account_sid")
    row = status.iloc[0]
    assert (
        row.archived_recordings,
        row.archived_minutes,
        row.deleted_recordings,
        row.deleted_minutes,
        row.already_deleted_recordings,
    ) == (2, 5, 2, 5, 0)
    assert row.archived_bytes == wav_bytes(70, 2) + wav_bytes(125, 1)
    assert row.monthly_saving == pytest.approx(0.0025)
    assert dict(zip(by_account.account_sid, by_account.deleted_minutes, strict=True)) == {
        world.parent.sid: 2,
        world.sub.sid: 3,
    }
    # Deleted recordings stop counting in storage_costs from the day of deletion (today): this
    # month's stored minutes are c (1 min, 12 days old) + d (1 min) every day, plus a (2 min) and
    # b (3 min) on each day before today. Averaged over the D days up to today:
    from reccb_analytics.metrics import retention_candidates, storage_costs

    day = AS_OF.day
    month = AS_OF.strftime("%Y-%m")
    with world.con(read_only=True) as con:
        costs = storage_costs(con, month, month, as_of=AS_OF).iloc[0]
        left = retention_candidates(con, AS_OF, 30, 60, legal_hold=str(hold))
    c_days = min(day, 13)  # c exists from its creation day, 12 days ago
    assert costs.avg_stored_minutes == pytest.approx((5 * (day - 1) + 1 * day + 1 * c_days) / day)
    assert sorted(left.sid) == sorted([c.sid, d.sid])
    # Before anything happened there was nothing to show.
    with world.con(read_only=True) as con:
        before = archive_status(con, as_of=dt.date(2020, 1, 1), rate=0.0005).iloc[0]
    assert (before.archived_recordings, before.deleted_recordings, before.monthly_saving) == (
        0,
        0,
        0.0,
    )


def test_mp3_and_requested_channels(world: World, tmp_path: Path) -> None:
    a = world.add(world.parent, 90, duration=36, channels=2)
    with world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "plan.csv")
        mp3 = apply_archive_plan(con, tmp_path / "plan.csv", tmp_path / "mp3", fmt="mp3")
        mono = apply_archive_plan(con, tmp_path / "plan.csv", tmp_path / "mono", channels=1)
        rows = dict(con.execute("SELECT format, bytes FROM archive_copies").fetchall())
    assert mp3.counts["archived"] == 1 and mono.counts["archived"] == 1
    mp3_path = tmp_path / "mp3" / world.parent.sid / f"{a.sid}.mp3"
    assert mp3_path.read_bytes()[:2] == b"\xff\xfb"
    assert rows["mp3"] == mp3_path.stat().st_size == 1000 * 144  # 36 s / 36 ms frames of 144 bytes
    assert rows["wav"] == wav_bytes(36, 1)
    assert world.server.requests_to(f"{a.sid}.wav")[-1].query == {"RequestedChannels": "1"}


def test_tampered_plan_is_refused(world: World, tmp_path: Path) -> None:
    a = world.add(world.parent, 90, duration=10)
    b = world.add(world.parent, 89, duration=10)
    with world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "archive.csv")
        apply_archive_plan(con, tmp_path / "archive.csv", tmp_path / "dest")
        build_delete_plan(con, policy("delete"), tmp_path / "delete.csv")
    plan = tmp_path / "delete.csv"
    lines = plan.read_text().splitlines()
    plan.write_text("\n".join(line for line in lines if b.sid not in line) + "\n")  # drop a row
    for execute in (False, True):
        with (
            world.con(read_only=not execute) as con,
            pytest.raises(PlanTamperedError, match="changed after"),
        ):
            apply_delete_plan(con, plan, execute=execute)
    # A plan the store never made is refused too, wherever it is.
    stranger = tmp_path / "elsewhere.csv"
    stranger.write_text(lines[0] + "\n")
    with world.con() as con, pytest.raises(PlanTamperedError, match="not a plan made"):
        apply_delete_plan(con, stranger, execute=True)
    with world.con() as con, pytest.raises(PlanTamperedError):
        apply_archive_plan(con, plan, tmp_path / "dest")
    assert world.deletes() == []
    assert world.server.store.recordings[a.sid].deleted_at is None
    with world.con(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM deletion_audit").fetchall() == [(0,)]


def test_wav_duration_must_match_metadata(world: World, tmp_path: Path) -> None:
    """The store says 200 s but the server's file lasts 70 s: not a verified copy."""
    rec = world.add(world.parent, 90, duration=70)
    with world.con() as con:
        con.execute(
            "UPDATE recordings SET duration_s = 200 WHERE sid = $sid", {"sid": rec.sid}
        ).fetchall()
        build_plan(con, "archive", policy("archive"), tmp_path / "plan.csv")
        result = apply_archive_plan(
            con, tmp_path / "plan.csv", tmp_path / "dest", retries=1, backoff=0.01
        )
        reason = con.execute(
            "SELECT reason FROM archive_attempts WHERE outcome = 'failed'"
        ).fetchall()
        assert con.execute("SELECT count(*) FROM archive_copies").fetchall() == [(0,)]
    assert result.counts["failed"] == 1
    assert "WAV duration 70.00 s differs from the metadata's 200 s" in reason[0][0]
    assert not list((tmp_path / "dest").rglob("*.wav"))


def test_delete_refuses_a_copy_changed_on_disk(world: World, tmp_path: Path) -> None:
    a = world.add(world.parent, 90, duration=20)
    b = world.add(world.parent, 89, duration=20)
    dest = tmp_path / "dest"
    with world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "archive.csv")
        apply_archive_plan(con, tmp_path / "archive.csv", dest)
        build_delete_plan(con, policy("delete"), tmp_path / "delete.csv")
    copy_a = dest / world.parent.sid / f"{a.sid}.wav"
    data = bytearray(copy_a.read_bytes())
    data[1000] ^= 0xFF  # same size, one byte different
    copy_a.write_bytes(bytes(data))
    (dest / world.parent.sid / f"{b.sid}.wav").unlink()  # b's copy is gone altogether
    with world.con() as con:
        result = apply_delete_plan(con, tmp_path / "delete.csv", execute=True, reverify=True)
        audit = dict(con.execute("SELECT sid, outcome FROM deletion_audit").fetchall())
        reasons = dict(con.execute("SELECT sid, response FROM deletion_audit").fetchall())
        left = [sid for (sid,) in con.execute("SELECT sid FROM archive_copies").fetchall()]
    assert result.counts == {"refused": 2} and not result.ok
    assert audit == {a.sid: "refused", b.sid: "refused"}
    assert "checksum mismatch" in reasons[a.sid] and "copy missing" in reasons[b.sid]
    assert world.deletes() == []
    # A copy that is there but wrong is no longer a verified copy: a new archive plan fetches it
    # again.
    assert left == [b.sid]


def test_already_deleted_at_twilio_is_audited_as_such(world: World, tmp_path: Path) -> None:
    a = world.add(world.parent, 90, duration=20)
    with world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "archive.csv")
        apply_archive_plan(con, tmp_path / "archive.csv", tmp_path / "dest")
        build_delete_plan(con, policy("delete"), tmp_path / "delete.csv")
    world.server.store.delete_recording(a.sid)  # someone deleted it in the Console
    with world.con() as con:
        result = apply_delete_plan(con, tmp_path / "delete.csv", execute=True)
        audit = con.execute("SELECT outcome, http_status, response FROM deletion_audit").fetchall()
    assert result.counts == {"already-deleted": 1}
    assert audit[0][:2] == ("already-deleted", 404) and "20404" in audit[0][2]


def test_retries_429_and_500_then_succeeds(world: World, tmp_path: Path) -> None:
    a = world.add(world.parent, 90, duration=5)
    world.server.faults.fail_next(2, status=429, retry_after=0.05, match=a.sid)
    world.server.faults.fail_next(1, status=500, match=a.sid)
    with world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "plan.csv")
        result = apply_archive_plan(con, tmp_path / "plan.csv", tmp_path / "dest", backoff=0.01)
    assert result.counts["archived"] == 1
    assert [r.status for r in world.server.requests_to(a.sid)] == [429, 429, 500, 200]


def test_plan_policy_from_config(world: World, tmp_path: Path) -> None:
    from reccb_analytics.config import load_settings

    rec = world.add(world.parent, 90, duration=5)
    held = world.add(world.parent, 90, duration=5)
    (tmp_path / "holds.txt").write_text(f"{held.sid}\n")
    (tmp_path / "reccb.toml").write_text(
        '[retention]\narchive_after_days = 80\ndelete_after_days = 85\nlegal_hold = "holds.txt"\n'
    )
    chosen = resolve_policy("archive", as_of=AS_OF, settings=load_settings(tmp_path / "reccb.toml"))
    assert (chosen.archive_after_days, chosen.delete_after_days) == (80, 85)
    assert chosen.legal_hold == str(tmp_path / "holds.txt")
    with world.con() as con:
        made = build_plan(con, "archive", chosen, tmp_path / "plan.csv")
    assert made.recordings == 1 and rec.sid in (tmp_path / "plan.csv").read_text()
    # 90 days old but the policy says 91: nothing to archive.
    later = resolve_policy("archive", as_of=AS_OF, archive_after=91, settings=Settings())
    with world.con() as con:
        assert build_plan(con, "archive", later, tmp_path / "none.csv").recordings == 0


def test_wav_parser_rejects_broken_headers(tmp_path: Path) -> None:
    from reccb_analytics.archive.verify import VerificationError, verify_copy

    def wav(frames: int, channels: int, data: bytes | None = None, riff_extra: int = 0) -> bytes:
        body = data if data is not None else bytes(frames * channels * 2)
        return (
            struct.pack(
                "<4sI4s4sIHHIIHH4sI",
                b"RIFF",
                36 + frames * channels * 2 + riff_extra,
                b"WAVE",
                b"fmt ",
                16,
                1,
                channels,
                8000,
                16000 * channels,
                2 * channels,
                16,
                b"data",
                frames * channels * 2,
            )
            + body
        )

    good = tmp_path / "good.wav"
    good.write_bytes(wav(8000 * 3, 1))
    assert verify_copy(good, fmt="wav", duration_s=3, channels=1).duration_s == 3.0
    assert verify_copy(good, fmt="wav", duration_s=4).bytes == 44 + 48000
    cases = {
        "truncated": (wav(8000 * 3, 1)[:-100], "WAV truncated"),
        "not_riff": (b"RIFX" + wav(8000, 1)[4:], "not a WAV file"),
        "no_data": (wav(8000, 1)[:36], "WAV truncated"),
        "long_riff": (wav(8000, 1, riff_extra=10), "RIFF header announces"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / f"{name}.wav"
        path.write_bytes(content)
        with pytest.raises(VerificationError, match=message):
            verify_copy(path, fmt="wav")
    with pytest.raises(VerificationError, match="differs from the metadata"):
        verify_copy(good, fmt="wav", duration_s=4.5)
    with pytest.raises(VerificationError, match=r"1 channel\(s\), expected 2"):
        verify_copy(good, fmt="wav", channels=2)
    with pytest.raises(VerificationError, match="checksum mismatch"):
        verify_copy(good, fmt="wav", sha256="0" * 64)
    (tmp_path / "x.mp3").write_bytes(b"RIFF....")
    with pytest.raises(VerificationError, match="not an MP3"):
        verify_copy(tmp_path / "x.mp3", fmt="mp3")


def test_a_hold_placed_after_planning_stops_the_deletion(world: World, tmp_path: Path) -> None:
    a = world.add(world.parent, 90, duration=20)
    b = world.add(world.parent, 90, duration=20)
    hold = tmp_path / "holds.txt"
    hold.write_text("# nothing held yet\n")
    with world.con() as con:
        build_plan(con, "archive", policy("archive", hold=str(hold)), tmp_path / "archive.csv")
        apply_archive_plan(con, tmp_path / "archive.csv", tmp_path / "dest")
        made = build_delete_plan(con, policy("delete", hold=str(hold)), tmp_path / "delete.csv")
    assert made.recordings == 2
    hold.write_text(f"{a.call_sid}  # litigation, placed after the plan was made\n")
    with world.con(read_only=True) as con:
        dry = apply_delete_plan(con, tmp_path / "delete.csv")
    assert dry.counts == {"refused": 1, "would-delete": 1}
    # A second, current hold file (e.g. the config's) counts too.
    current = tmp_path / "current.txt"
    current.write_text(f"{b.sid}\n")
    with world.con() as con:
        done = apply_delete_plan(con, tmp_path / "delete.csv", execute=True, legal_hold=current)
        audit = dict(con.execute("SELECT sid, response FROM deletion_audit").fetchall())
    assert done.counts == {"refused": 2}
    assert audit[a.sid] == f"on legal hold (listed in {hold} by its call {a.call_sid})"
    assert audit[b.sid] == f"on legal hold (listed in {current})"
    assert world.deletes() == []
    hold.unlink()
    with world.con() as con, pytest.raises(ArchiveError, match="legal hold file .* is gone"):
        apply_delete_plan(con, tmp_path / "delete.csv", execute=True)
