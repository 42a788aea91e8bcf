"""What goes wrong while archiving leaves recordings undeleted, with the reason on record:
corrupted and truncated downloads, SIDs crafted to escape the destination, unwritable and full
destinations, a kill -9 midway (then a rerun), and credentials that must never leak."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from reccb_analytics.archive import (
    apply_archive_plan,
    apply_delete_plan,
    build_delete_plan,
    build_plan,
    resolve_policy,
)
from reccb_analytics.archive.sids import copy_path
from reccb_analytics.config import Settings
from reccb_analytics.exceptions import ArchiveError
from tests.test_archive_support import (
    World,
    insert_recordings,
    today,
    tree,
    wav_bytes,
    world_fixture,  # noqa: F401 - the `world` fixture
)

AS_OF = today()


def policy(kind: str):
    return resolve_policy(kind, as_of=AS_OF, archive_after=30, delete_after=60, settings=Settings())


def archive_then_delete(world: World, tmp_path: Path, dest: Path, **apply_options):
    """Plan + apply archive, then plan + execute delete; return (apply result, delete result)."""
    with world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "archive.csv")
        applied = apply_archive_plan(con, tmp_path / "archive.csv", dest, **apply_options)
        build_delete_plan(con, policy("delete"), tmp_path / "delete.csv")
        deleted = apply_delete_plan(con, tmp_path / "delete.csv", execute=True)
    return applied, deleted


def attempts(world: World) -> dict[str, tuple[str, str | None]]:
    with world.con(read_only=True) as con:
        rows = con.execute(
            "SELECT sid, outcome, reason FROM archive_attempts WHERE phase = 'archive' "
            "ORDER BY attempted_at"
        ).fetchall()
    return {sid: (outcome, reason) for sid, outcome, reason in rows}


@pytest.mark.parametrize("fault", ["corrupt", "drop"])
def test_corrupted_or_truncated_download_is_caught_and_not_deleted(
    world: World, tmp_path: Path, fault: str
) -> None:
    bad = world.add(world.parent, 90, duration=20)
    good = world.add(world.sub, 90, duration=20)
    # Every fetch of `bad` is damaged: more faults than 1 + retries.
    getattr(world.server.faults, f"{fault}_next")(10, match=bad.sid)
    applied, deleted = archive_then_delete(
        world, tmp_path, tmp_path / "dest", retries=2, backoff=0.01
    )
    assert applied.counts["archived"] == 1 and applied.counts["failed"] == 1
    outcome, reason = attempts(world)[bad.sid]
    expected = "checksum mismatch" if fault == "corrupt" else "truncated download"
    assert outcome == "failed" and expected in reason and "(after 3 tries)" in reason
    assert world.media_gets(bad.sid) == 3
    # Only the good one was deletable; the bad one is still at Twilio, with no copy on disk.
    assert deleted.counts == {"deleted": 1}
    assert world.server.store.recordings[bad.sid].deleted_at is None
    assert world.server.store.recordings[good.sid].status == "deleted"
    assert not (tmp_path / "dest" / world.parent.sid / f"{bad.sid}.wav").exists()
    assert not list((tmp_path / "dest").rglob("*.part"))


@pytest.mark.parametrize("fault", ["corrupt", "drop"])
def test_one_bad_download_is_retried(world: World, tmp_path: Path, fault: str) -> None:
    rec = world.add(world.parent, 90, duration=20)
    getattr(world.server.faults, f"{fault}_next")(1, match=rec.sid)
    applied, deleted = archive_then_delete(world, tmp_path, tmp_path / "dest", backoff=0.01)
    assert applied.counts["archived"] == 1 and world.media_gets(rec.sid) == 2
    assert deleted.counts == {"deleted": 1}


def test_not_found_at_twilio_is_recorded(world: World, tmp_path: Path) -> None:
    rec = world.add(world.parent, 90, duration=20)
    world.server.store.delete_recording(rec.sid)
    with world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "archive.csv")
        result = apply_archive_plan(con, tmp_path / "archive.csv", tmp_path / "dest")
    assert result.counts["failed"] == 1 and world.media_gets(rec.sid) == 1  # 404 is not retried
    outcome, reason = attempts(world)[rec.sid]
    assert "HTTP 404" in reason and "20404" in reason


def test_sid_crafted_with_dot_dot_never_escapes_the_destination(
    world: World, tmp_path: Path
) -> None:
    good = world.add(world.parent, 90, duration=5)
    evil = [
        {"sid": "RE../../../../outside/evil", "account_sid": world.parent.sid},
        {"sid": "RE" + "a" * 32, "account_sid": "AC../../outside"},
        {"sid": "RE" + "b" * 31 + "/", "account_sid": world.parent.sid},
    ]
    with world.con() as con:
        insert_recordings(
            con,
            [
                {
                    **row,
                    "status": "completed",
                    "channels": 1,
                    "duration_s": 5,
                    "created": good.date_created,
                    "updated": good.date_created,
                }
                for row in evil
            ],
        )
    before = tree(tmp_path)
    with world.con() as con:
        made = build_plan(con, "archive", policy("archive"), tmp_path / "archive.csv")
        result = apply_archive_plan(con, tmp_path / "archive.csv", tmp_path / "dest")
        refused = con.execute(
            "SELECT sid, reason FROM archive_attempts WHERE outcome = 'refused' ORDER BY sid"
        ).fetchall()
    assert made.recordings == 1 and len(made.refused) == 3
    assert "evil" not in (tmp_path / "archive.csv").read_text()
    assert result.counts["archived"] == 1
    assert len(refused) == 3 and all("malformed" in reason for _, reason in refused)
    assert "RE../../../../outside/evil" in {sid for sid, _ in refused}
    created = tree(tmp_path) - before
    assert created <= {
        "archive.csv",
        "dest",
        f"dest/{world.parent.sid}",
        f"dest/{world.parent.sid}/{good.sid}.wav",
        f"dest/{world.parent.sid}/{good.sid}.wav.sha256",
    } | {p for p in created if p.startswith("store.duckdb")}
    assert not (tmp_path / "outside").exists() and not Path("/outside").exists()
    # The path builder refuses them on its own, and a symlink planted inside the destination.
    for row in evil:
        with pytest.raises(ArchiveError, match="does not match"):
            copy_path(tmp_path / "dest", row["account_sid"], row["sid"], "wav")
    other = world.server.store.add_account(owner=world.parent.sid)
    (tmp_path / "dest" / other.sid).symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ArchiveError, match="outside the destination"):
        copy_path(tmp_path / "dest", other.sid, good.sid, "wav")


def test_unwritable_destination(world: World, tmp_path: Path) -> None:
    rec = world.add(world.parent, 90, duration=5)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "archive.csv")
        with pytest.raises(ArchiveError, match="destination not writable"):
            apply_archive_plan(con, tmp_path / "archive.csv", blocker / "dest")
    outcome, reason = attempts(world)[rec.sid]
    assert (
        outcome == "failed" and "destination not writable" in reason and "Not a directory" in reason
    )
    assert world.media_gets() == 0


@contextlib.contextmanager
def tmpfs(path: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    """A small tmpfs at ``path`` (needs root and mount rights; skips otherwise)."""
    path.mkdir()
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_read_only_destination(world: World, tmp_path: Path) -> None:
    rec = world.add(world.parent, 90, duration=5)
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as dest, world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "archive.csv")
        with pytest.raises(ArchiveError, match="destination not writable"):
            apply_archive_plan(con, tmp_path / "archive.csv", dest)
    assert "Read-only file system" in attempts(world)[rec.sid][1]


def test_full_disk(world: World, tmp_path: Path) -> None:
    """A 600 kB file system: the 160 kB recording fits, the 960 kB one hits ENOSPC."""
    small = world.add(world.parent, 90, duration=10, channels=1)  # 160,044 bytes
    big = world.add(world.parent, 89, duration=30, channels=2)  # 960,044 bytes
    with tmpfs(tmp_path / "small-disk", "600k") as dest:
        applied, deleted = archive_then_delete(world, tmp_path, dest, concurrency=1)
        assert not list(dest.rglob("*.part"))
        assert (dest / world.parent.sid / f"{small.sid}.wav").stat().st_size == wav_bytes(10, 1)
    assert applied.counts["archived"] == 1 and applied.counts["failed"] == 1
    outcome, reason = attempts(world)[big.sid]
    assert outcome == "failed" and "ENOSPC" in reason and world.media_gets(big.sid) == 1
    assert deleted.counts == {"deleted": 1}
    assert world.server.store.recordings[big.sid].deleted_at is None


@pytest.mark.slow
def test_kill_during_apply_then_rerun_completes(world: World, tmp_path: Path) -> None:
    recs = [world.add(world.parent if i % 2 else world.sub, 90 - i, duration=3) for i in range(12)]
    with world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "archive.csv")
    world.server.faults.latency = 0.3  # every request takes 0.3 s: the kill lands mid-run
    dest = tmp_path / "dest"
    command = [
        sys.executable,
        "-m",
        "reccb_analytics",
        "archive",
        "apply",
        str(tmp_path / "archive.csv"),
        "--dest",
        str(dest),
        "--concurrency",
        "2",
    ]
    proc = subprocess.Popen(
        command, env=world.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while (
            len(list(dest.rglob("*.wav"))) < 3
            and time.monotonic() < deadline
            and proc.poll() is None
        ):
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    first_run = len(list(dest.rglob("*.wav")))
    assert 3 <= first_run < 12
    world.server.faults.latency = 0.0
    gets_before = world.media_gets()
    rerun = subprocess.run(command, env=world.env(), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "failed" not in rerun.stderr
    # Copies finished before the kill are not fetched again (recorded, or adopted after a re-hash).
    assert world.media_gets() - gets_before <= 12 - first_run + 2
    with world.con(read_only=True) as con:
        rows = con.execute("SELECT sid, location, bytes, sha256 FROM archive_copies").fetchall()
    assert sorted(r[0] for r in rows) == sorted(r.sid for r in recs)  # all, no duplicates
    for _sid, location, size, sha in rows:
        path = Path(location)
        assert path.stat().st_size == size == wav_bytes(3, 2)
        assert path.with_name(path.name + ".sha256").read_text().split()[0] == sha
    assert not list(dest.rglob("*.part"))
    assert sorted(p.name for p in dest.rglob("*.wav")) == sorted(f"{r.sid}.wav" for r in recs)


def test_credentials_never_reach_plan_audit_or_output(world: World, tmp_path: Path) -> None:
    """Run the whole workflow through the CLI with an auth token, then look for it everywhere."""
    token_user = world.parent
    rec = world.add(world.parent, 90, duration=5)
    held_back = world.add(world.parent, 89, duration=5)
    env = world.env()
    for name in ("TWILIO_API_KEY", "TWILIO_API_SECRET"):
        env.pop(name, None)
    env.update(TWILIO_ACCOUNT_SID=token_user.sid, TWILIO_AUTH_TOKEN=token_user.auth_token)
    world.server.faults.fail_next(
        50, status=500, match=held_back.sid
    )  # a failure with a response text

    def reccb(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reccb_analytics", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    outputs = [
        reccb(
            "archive",
            "plan",
            "--as-of",
            str(AS_OF),
            "--archive-after",
            "30",
            "--delete-after",
            "60",
            "--out",
            str(tmp_path / "archive.csv"),
        ),
        reccb(
            "archive",
            "apply",
            str(tmp_path / "archive.csv"),
            "--dest",
            str(tmp_path / "dest"),
            "--retries",
            "0",
        ),
        reccb(
            "delete",
            "plan",
            "--as-of",
            str(AS_OF),
            "--archive-after",
            "30",
            "--delete-after",
            "60",
            "--out",
            str(tmp_path / "delete.csv"),
        ),
        reccb("delete", "apply", str(tmp_path / "delete.csv")),
        reccb("delete", "apply", str(tmp_path / "delete.csv"), "--execute", "--reverify"),
    ]
    codes = [o.returncode for o in outputs]
    assert codes == [0, 12, 0, 0, 0], [o.stderr for o in outputs]
    assert "1 archived" in outputs[1].stdout and "1 failed" in outputs[1].stdout
    assert f"failed: {held_back.sid}: HTTP 500" in outputs[1].stderr
    assert f"would delete {rec.sid}" in outputs[3].stdout and "dry run" in outputs[3].stdout
    assert "1 deleted" in outputs[4].stdout
    secret = token_user.auth_token
    texts = [o.stdout + o.stderr for o in outputs]
    texts += [p.read_text() for p in tmp_path.rglob("*.csv")]
    with world.con(read_only=True) as con:
        for table in ("archive_plans", "archive_attempts", "archive_copies", "deletion_audit"):
            texts.append(repr(con.execute(f"SELECT * FROM {table}").fetchall()))
    assert all(secret not in text for text in texts)
    store_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("store.duckdb*"))
    assert secret.encode() not in store_bytes


def test_bad_credentials_stop_with_a_clear_message(world: World, tmp_path: Path) -> None:
    world.add(world.parent, 90, duration=5)
    env = world.env()
    env["TWILIO_API_SECRET"] = "wrong-" + uuid.uuid4().hex
    with world.con() as con:
        build_plan(con, "archive", policy("archive"), tmp_path / "archive.csv")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reccb_analytics",
            "archive",
            "apply",
            str(tmp_path / "archive.csv"),
            "--dest",
            str(tmp_path / "dest"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 11
    assert "HTTP 401" in done.stderr and "Traceback" not in done.stderr
    assert env["TWILIO_API_SECRET"] not in done.stderr
    missing = {k: v for k, v in env.items() if not k.startswith("TWILIO_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reccb_analytics",
            "archive",
            "apply",
            str(tmp_path / "archive.csv"),
            "--dest",
            str(tmp_path / "dest"),
        ],
        env=missing,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 11 and "TWILIO_ACCOUNT_SID" in done.stderr


def test_every_command_has_help_with_an_example() -> None:
    from click.testing import CliRunner

    from reccb_analytics.cli import cli

    runner = CliRunner()
    for group in ("archive", "delete"):
        for command in ("plan", "apply"):
            result = runner.invoke(cli, [group, command, "--help"])
            assert result.exit_code == 0 and "Example" in result.output, (group, command)
        assert "Example" in runner.invoke(cli, [group, "--help"]).output
