"""Every command answers --help with an example; errors are one line with their exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reccb_analytics.cli import cli


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    context = click.Context(group)
    for name in sorted(group.list_commands(context)):  # the top group loads commands lazily
        command = group.get_command(context, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            found += all_commands(command, prefix + (name,))
        else:
            found.append(prefix + (name,))
    return found


def test_the_expected_commands_exist() -> None:
    names = {" ".join(c) for c in all_commands()}
    for expected in ("ingest recordings", "ingest callbacks", "synth", "demo", "report list",
                     "report run", "lab", "sync", "archive plan", "archive apply", "delete plan",
                     "delete apply"):
        assert expected in names


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c) or "reccb")
def test_help_has_an_example(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_console_script_reports_errors_without_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "reccb_analytics", "ingest", "recordings",
                           str(tmp_path / "missing.json"), "--db", str(tmp_path / "s.duckdb")],
                          capture_output=True, text=True, env={**os.environ})
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("reccb: error:")
