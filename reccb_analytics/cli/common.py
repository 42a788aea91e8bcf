"""Options and helpers shared by every command module."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    """``--db PATH``: the DuckDB store (default $RECCB_DB, else data/reccb.duckdb)."""
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False), default=None, envvar="RECCB_DB",
        show_envvar=True,
        help="DuckDB store. Default: data/reccb.duckdb under the working directory.",
    )(func)


def config_option(func: F) -> F:
    """``--config PATH``: the TOML settings file (rates, retention policy)."""
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False), default=None,
        envvar="RECCB_CONFIG", show_envvar=True,
        help="TOML config with [storage] rates and [retention] policy. Default: ./reccb.toml if present.",
    )(func)


def interactive() -> bool:
    """True when stderr is a terminal: show progress bars; otherwise print one-line summaries."""
    return sys.stderr.isatty()
