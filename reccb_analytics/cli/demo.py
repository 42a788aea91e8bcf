"""``reccb demo``: the main job end to end on a synthetic data set."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import resolve_db_path
from ..exceptions import InputError
from .common import CONTEXT_SETTINGS, db_option


@click.command(context_settings=CONTEXT_SETTINGS)
@db_option
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("data") / "demo", show_default=True,
              help="Where the synthetic exports and callback logs are written.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True, help="Where the reports are written.")
@click.option("--recordings", type=click.IntRange(10, 5_000_000), default=5000, show_default=True,
              help="How many recordings to synthesize.")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the synthetic data.")
@click.option("--no-reports", is_flag=True, help="Stop after ingesting.")
def demo(db_path: str | None, data_dir: Path, out_dir: Path, recordings: int, seed: int,
         no_reports: bool) -> None:
    """Synthesize a year of Twilio recording traffic, ingest it, and run every report.

    Writes exports and callback logs to --data-dir, loads them into the store (default
    data/reccb.duckdb), prints what was loaded, then runs each report notebook and prints
    where the HTML files are. Running it again changes nothing in the store (same files).

    \b
    Example:
      reccb demo
      reccb demo --recordings 50000 --db /tmp/demo.duckdb --out /tmp/reports
    """
    from .. import synth
    from ..ingest.run import ingest_paths

    store = resolve_db_path(db_path)
    click.echo(f"1/3 synthesizing {recordings} recordings into {data_dir} ...")
    synth.generate(data_dir, seed=seed, recordings=recordings)
    click.echo(f"2/3 ingesting into {store} ...")
    for kind in ("recordings", "callbacks"):
        report = ingest_paths([data_dir / kind], kind=kind, db_path=store)
        click.echo(report.summary().splitlines()[-1])
        if report.failed:
            raise InputError(f"demo data could not be loaded: {report.errors[0]}")
    click.echo(_store_summary(store))
    if no_reports:
        return
    from ..reports import run_all

    click.echo(f"3/3 running every report into {out_dir} ...")
    runs = run_all(out_dir=out_dir, db_path=store, progress=lambda name: click.echo(f"  {name} ..."))
    click.echo("Reports (open the HTML files in a browser):")
    for run in runs:
        click.echo(f"  {run.html}")


def _store_summary(store: Path) -> str:
    from ..db import open_database

    con = open_database(store, read_only=True)
    try:
        by_status = con.execute("SELECT coalesce(status, '?'), count(*) FROM recordings "
                                "GROUP BY ALL ORDER BY 2 DESC").fetchall()
        deliveries, recordings_cb = con.execute(
            "SELECT count(*), count(DISTINCT recording_sid) FROM callback_deliveries").fetchall()[0]
        rejects = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
    finally:
        con.close()
    statuses = ", ".join(f"{status} {n}" for status, n in by_status)
    return (f"store {store}: {sum(n for _, n in by_status)} recordings ({statuses}); "
            f"{deliveries} callback deliveries for {recordings_cb} recordings; {rejects} rejected records")
