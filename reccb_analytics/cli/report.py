"""``reccb report list|run`` and ``reccb lab``: thin wrappers over ``reccb_analytics.reports``."""

from __future__ import annotations

import click

from .. import reports
from ..exceptions import ReportParameterError
from .common import CONTEXT_SETTINGS, config_option, db_option


@click.group("report", context_settings=CONTEXT_SETTINGS)
def report() -> None:
    """Run the report notebooks (recording health, error codes, storage costs, retention,
    callback delivery) and write each as an executed notebook plus an HTML copy without code.

    \b
    Examples:
      reccb report list
      reccb report run storage_costs -p start_month 2026-01 -p end_month 2026-06
      reccb report run --all --db data/reccb.duckdb --out reports/
    \b
    Exit codes: 2 bad parameter, 6 missing or empty database, 8 unknown report,
    9 a notebook failed (the partial notebook is kept for inspection).
    """


@report.command("list")
def list_reports() -> None:
    """List the reports with their parameters, defaults and help.

    \b
    Example:
      reccb report list
    """
    for rep in reports.list_reports():
        click.echo(f"{rep.name}: {rep.title}")
        for param in rep.parameters:
            click.echo(f"  -p {param.name:<20} {param.type:<6} default {param.default!r}")
            if param.help:
                click.echo(f"     {'':<20} {param.help}")
        click.echo()


def _parameters(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    given: dict[str, str] = {}
    for key, value in pairs:
        if key in given:
            raise ReportParameterError(f"parameter {key!r} given twice")
        given[key] = value
    return given


@report.command("run")
@click.argument("name", required=False)
@click.option("-p", "--parameter", "pairs", nargs=2, multiple=True, metavar="KEY VALUE",
              help="Set a report parameter (repeatable); see `reccb report list`.")
@click.option("--all", "all_reports", is_flag=True, help="Run every report.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="reports",
              show_default=True, help="Folder for the executed .ipynb and .html files.")
@db_option
@config_option
def run(name: str | None, pairs: tuple[tuple[str, str], ...], all_reports: bool,
        out_dir: str, db_path: str | None, config_path: str | None) -> None:
    """Run report NAME (or --all) and write NAME-YYYYMMDD.ipynb and .html in --out.

    Parameter names and values are checked before anything runs; dates are YYYY-MM-DD,
    months YYYY-MM. With --all each -p goes to the reports that have that parameter. Prices
    and the retention policy come from --config (reccb.toml) unless a -p overrides them.

    \b
    Examples:
      reccb report run recording_health -p start 2026-01-01 -p end 2026-02-01 -p tz Europe/Paris
      reccb report run retention -p as_of 2026-10-31 --out reports/
      reccb report run --all --db data/reccb.duckdb
    \b
    Cron (every Monday at 06:00, the last 7 days; all reports: see docs/reports.md):
      0 6 * * 1  cd /srv/reccb && .venv/bin/reccb report run recording_health -p start $(date -d-7day +\\%F) -p end $(date +\\%F)
    """  # noqa: E501 (a crontab line cannot be wrapped)
    if all_reports == bool(name):
        raise click.UsageError("give a report NAME or --all (see: reccb report list)")
    given = _parameters(pairs)
    if all_reports:
        runs = reports.run_all(given, out_dir, db_path, config_path=config_path,
                               progress=lambda n: click.echo(f"running {n}...", err=True))
    else:
        runs = [reports.run_report(name or "", given, out_dir, db_path,
                                   config_path=config_path)]
    for done in runs:
        click.echo(f"{done.name}: {done.html}")


@click.command("lab", context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True})
@db_option
@click.option("--dir", "root_dir", type=click.Path(file_okay=False), default=None,
              help="Open on this folder, copying the report templates into it first "
                   "(default: the templates folder itself).")
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
@click.option("--port", type=int, default=None, help="Port to listen on (default: Jupyter's 8888).")
@click.option("--ip", default=None, help="Address to listen on (default: Jupyter's localhost).")
@click.argument("jupyter_args", nargs=-1, type=click.UNPROCESSED)
def lab(db_path: str | None, root_dir: str | None, no_browser: bool, port: int | None,
        ip: str | None, jupyter_args: tuple[str, ...]) -> None:
    """Open JupyterLab on the report notebooks, with the database configured (RECCB_DB).

    In each notebook `db_path = ""` then means this database; without one (no --db, no
    RECCB_DB, no data/reccb.duckdb) the notebooks use the bundled sample. Extra arguments
    after -- go to JupyterLab. Notebooks open the store read-only and close it in their last
    cell; an ingest waits while a notebook holds it open.

    \b
    Examples:
      reccb lab --db data/reccb.duckdb
      reccb lab --dir ~/reccb-notebooks --no-browser --port 8890
      reccb lab -- --ServerApp.base_url=/reccb/
    """
    launch = reports.lab_launch(db_path, root_dir=root_dir, no_browser=no_browser, port=port,
                                ip=ip, extra_args=jupyter_args)
    where = launch.db_path if launch.db_path is not None else "the bundled sample"
    click.echo(f"reccb: JupyterLab on {launch.root_dir}, database {where}", err=True)
    click.get_current_context().exit(reports.open_lab(launch))
