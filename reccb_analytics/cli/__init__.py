"""The ``reccb`` command line: a thin click layer over the library.

Each command parses its options, makes one library call and prints the result. Errors the user
can fix are ``ReccbError``s: ``main()`` prints them as one line and exits with their
``exit_code`` (see ``reccb_analytics.exceptions``); anything else is a bug and keeps its traceback.
Command groups live in sibling modules, listed in ``_COMMANDS`` and imported when used.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from .. import __version__
from ..exceptions import ReccbError
from .common import CONTEXT_SETTINGS

# Each command's module, imported only when that command runs (or when --help lists them
# all): the archive and report modules pull in pandas and HTTP machinery, which `reccb ingest`
# does not need (importing everything cost 0.7 s per command).
_COMMANDS = {"ingest": "ingest", "synth": "synth", "demo": "demo", "report": "report",
             "lab": "report", "sync": "sync", "archive": "archive", "delete": "archive"}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"{__name__}.{module_name}")
        command: click.Command = getattr(module, cmd_name)
        return command


@click.group(cls=_LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="reccb")
def cli() -> None:
    """Twilio call-recording analytics: ingest metadata and callback logs into DuckDB, sync from
    the Twilio API, run reports, archive and delete safely.

    \b
    Examples:
      reccb demo                                   # synthesize, ingest, run every report
      reccb ingest recordings exports/ --db data/reccb.duckdb
      reccb ingest callbacks logs/*.ndjson.gz --strict
      reccb report run storage_costs -p start_month 2026-01
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI, mapping ReccbError to its exit status.

    ``RECCB_LOG=debug`` (or info) turns on the library's logging on stderr, e.g. the timing of
    each ingest step.
    """
    level = os.environ.get("RECCB_LOG", "").upper()
    if level:
        logging.basicConfig(level=getattr(logging, level, logging.INFO),
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        cli.main(args=argv, prog_name="reccb", standalone_mode=False)
    except ReccbError as exc:
        click.echo(f"reccb: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        # click turns Ctrl-C into Abort; the store is consistent, so say how to finish.
        click.echo("reccb: interrupted; rerun the same command to complete", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("reccb: interrupted; rerun the same command to complete", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(0)
