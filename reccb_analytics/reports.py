"""Report notebooks: find them, check their parameters, run them with papermill, export HTML.

A report is a notebook in ``notebooks/`` (shipped in the wheel as ``reccb_analytics/notebooks``).
Its first code cell is tagged ``parameters`` and holds literals only, each with a ``# help``
comment; :func:`list_reports` reads them with ``papermill.inspect_notebook``.

:func:`run_report` is the one way reports run (``reccb report run``, ``reccb demo``, tests):

* parameter names are checked against the notebook (papermill itself only warns about a
  misspelled name) and each value is coerced to the type of its default; format hints in the
  help text are enforced: ``YYYY-MM-DD``, ``YYYY-MM``, a choice list ``(a|b|c)``, and ``tz``
  must be an IANA time zone;
* path parameters (names ending in ``_path``, ``_file``, ``_csv`` or ``_dir``) are made absolute
  against the caller's working directory, because the kernel runs in the output folder;
* the database must exist and hold data (``DatabaseMissingError`` otherwise) before a kernel is
  started;
* the kernel is this interpreter's ``python3`` (ipykernel), whatever other kernelspecs the user
  has installed, and it starts without credential-like environment variables, so a report cannot
  print what it never had; outputs are also scrubbed of such values afterwards;
* outputs are ``<out_dir>/<report>-<YYYYMMDD>.ipynb`` and ``.html`` (no code, no prompts).

How a notebook executes (kernel, environment, secrets scrub, HTML) is in
:mod:`reccb_analytics.report_runtime`; papermill, nbconvert and jupyter_client are imported
inside functions so that the metrics library imports quickly and without the notebook stack.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .config import resolve_db_path
from .exceptions import (
    ConfigError,
    DatabaseMissingError,
    ReportNotFoundError,
    ReportParameterError,
)
from .report_runtime import (
    SECRET_NAME,
    execute,
    export_html,
    kernel_environment,
    redact,
    scrub_file,
    secret_values,
)

__all__ = [
    "CELL_TIMEOUT", "DEFAULT_OUT_DIR", "LabLaunch", "Report", "ReportParameter", "ReportRun",
    "check_database", "export_html", "get_report", "is_path_parameter", "kernel_environment",
    "lab_launch", "list_reports", "load_report", "notebook_path", "notebooks_dir", "open_lab",
    "output_stem", "prepare_parameters", "redact", "report_names", "report_parameters",
    "run_all", "run_report", "secret_values",
]

DEFAULT_OUT_DIR = Path("reports")
#: Seconds one cell may run before the report is declared failed.
CELL_TIMEOUT = 600

_PATH_SUFFIXES = ("_path", "_file", "_csv", "_dir")
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


@dataclass(frozen=True)
class ReportParameter:
    """One declared parameter of a report notebook."""

    name: str
    type: str  # 'str' | 'int' | 'float' | 'bool' | other literal type names
    default: Any
    help: str


@dataclass(frozen=True)
class Report:
    """A report notebook: its name (the file stem), title, path and parameters."""

    name: str
    title: str
    path: Path
    parameters: tuple[ReportParameter, ...]

    def parameter(self, name: str) -> ReportParameter | None:
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(frozen=True)
class ReportRun:
    """What one report run produced."""

    name: str
    notebook: Path
    html: Path
    parameters: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- discovery


def notebooks_dir() -> Path:
    """The folder of report notebooks: packaged in the wheel, else ``<repo>/notebooks``."""
    packaged = resources.files("reccb_analytics") / "notebooks"
    if packaged.is_dir():
        return Path(str(packaged))
    # Editable installs do not get the wheel's force-included folder: use the repository's.
    return Path(__file__).resolve().parent.parent / "notebooks"


def report_names() -> list[str]:
    """Names of every report, sorted."""
    folder = notebooks_dir()
    return sorted(p.stem for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def notebook_path(name: str) -> Path:
    """The template notebook of report ``name``; ``ReportNotFoundError`` naming the others."""
    names = report_names()
    if name not in names:
        raise ReportNotFoundError(
            f"no report named {name!r}; available: {', '.join(names) or '(none)'} "
            "(see: reccb report list)"
        )
    return notebooks_dir() / f"{name}.ipynb"


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _title(path: Path) -> str:
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return str(line[2:]).strip()
    return path.stem.replace("_", " ").capitalize()


def report_parameters(name: str) -> tuple[ReportParameter, ...]:
    """The declared parameters of report ``name``, in notebook order."""
    return get_report(name).parameters


def get_report(name: str) -> Report:
    """Report ``name`` with its title and parameters."""
    return load_report(notebook_path(name))


def list_reports() -> list[Report]:
    """Every report with its title and parameters (names, defaults, help)."""
    return [load_report(notebooks_dir() / f"{n}.ipynb") for n in report_names()]


def load_report(path: str | os.PathLike[str]) -> Report:
    """Read a report notebook anywhere on disk (your own reports, tests): title, parameters."""
    path = Path(path).resolve()
    stat = path.stat()
    return _load_report_cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_report_cached(path_text: str, _mtime: int, _size: int) -> Report:
    import papermill

    path = Path(path_text)
    declared = papermill.inspect_notebook(path_text)
    params = []
    for item in declared.values():
        default = _literal(item["default"])
        params.append(ReportParameter(
            name=item["name"], type=type(default).__name__, default=default,
            help=item.get("help") or "",
        ))
    return Report(name=path.stem, title=_title(path), path=path, parameters=tuple(params))


# --------------------------------------------------------------------------- parameters


def is_path_parameter(name: str) -> bool:
    """Whether a parameter holds a file or folder path (resolved to absolute before a run)."""
    return name.endswith(_PATH_SUFFIXES)


def _coerce(param: ReportParameter, value: Any) -> Any:
    kind = param.type
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(value)
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError(value)
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError(value)
                return int(value)
            return int(str(value).strip())
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError(value)
            number = float(str(value).strip()) if isinstance(value, str) else float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        if kind == "str":
            return value if isinstance(value, str) else str(value)
    except (TypeError, ValueError) as exc:
        raise ReportParameterError(
            f"parameter {param.name}: {value!r} is not a valid {kind} "
            f"(default {param.default!r}; {param.help})"
        ) from exc
    # Other literal types (lists, dicts): accept the literal text or the value itself.
    return _literal(value) if isinstance(value, str) else value


def _check_format(param: ReportParameter, value: Any) -> None:
    """Enforce the format hints a parameter's help text declares."""
    if not isinstance(value, str) or (value == "" and param.default == ""):
        return
    help_text = param.help

    def bad(expected: str) -> ReportParameterError:
        return ReportParameterError(
            f"parameter {param.name}: {value!r} is not {expected} ({help_text})"
        )

    choices = re.search(r"\(([\w.\-]+(?:\|[\w.\-]+)+)\)", help_text)
    if choices:
        allowed = choices.group(1).split("|")
        if value not in allowed:
            raise bad("one of " + ", ".join(allowed))
    if "YYYY-MM-DD" in help_text:
        try:
            dt.date.fromisoformat(value)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(value)
        except ValueError:
            raise bad("a date YYYY-MM-DD") from None
    elif re.search(r"YYYY-MM(?!-)", help_text):
        match = re.fullmatch(r"(\d{4})-(\d{2})", value)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise bad("a month YYYY-MM")
    if param.name == "tz" or "iana time zone" in help_text.lower():
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise bad("a time zone name such as UTC or America/New_York") from None


def _refuse_credentials(name: str, value: Any) -> None:
    """A parameter holding (or containing) a credential's value is refused.

    papermill writes parameters into the output notebook (papermill#271, #706), and reports
    only read the DuckDB store: they never need a credential.
    """
    if not isinstance(value, str) or not value:
        return
    for variable, secret in os.environ.items():
        if not SECRET_NAME.search(variable) or len(secret) < 4:
            continue
        if value == secret or (len(secret) >= 8 and secret in value):
            raise ReportParameterError(
                f"parameter {name} holds the value of ${variable}: credentials are never "
                "report parameters (reports only read the DuckDB store)"
            )


def prepare_parameters(report: Report, given: Mapping[str, Any] | None,
                       db_path: str | os.PathLike[str] | None = None,
                       base_dir: Path | None = None,
                       config_path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Validate ``given`` against the report and return what papermill will inject.

    Unknown names and badly typed values raise ``ReportParameterError`` (listing the valid
    names). Path parameters become absolute (relative to ``base_dir``, default the working
    directory). ``db_path`` (or ``$RECCB_DB``, else ``data/reccb.duckdb``) fills the report's
    ``db_path`` parameter unless it was given as a parameter; ``config_path`` (else
    ``$RECCB_CONFIG``, else ``./reccb.toml`` when it exists) fills ``config_path`` likewise.
    """
    base = (base_dir or Path.cwd()).resolve()
    given = dict(given or {})
    valid = {p.name: p for p in report.parameters}
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise ReportParameterError(
            f"report {report.name} has no parameter {', '.join(map(repr, unknown))}; "
            f"valid parameters: {', '.join(valid) or '(none)'} (see: reccb report list)"
        )
    result: dict[str, Any] = {}
    for name, value in given.items():
        param = valid[name]
        _refuse_credentials(name, value)
        value = _coerce(param, value)
        _check_format(param, value)
        if is_path_parameter(name) and isinstance(value, str) and value:
            value = str((base / Path(value).expanduser()).resolve())
            if (name.endswith("_file") or name == "config_path") and not Path(value).is_file():
                raise ReportParameterError(f"parameter {name}: no such file: {value}")
        result[name] = value
    if "db_path" in valid:
        if db_path is not None and "db_path" in result and Path(result["db_path"]) != (
                base / Path(db_path).expanduser()).resolve():
            raise ReportParameterError(
                "the database was given twice (--db and -p db_path) with different paths; "
                "give it once"
            )
        if "db_path" not in result or not result["db_path"]:
            chosen = base / Path(db_path).expanduser() if db_path else resolve_db_path(None)
            result["db_path"] = str(chosen.resolve())
    if "config_path" in valid and not result.get("config_path"):
        config = _default_config(base, config_path)
        if config is not None:
            result["config_path"] = str(config)
    return result


def _default_config(base: Path, given: str | os.PathLike[str] | None = None) -> Path | None:
    """The caller's config file (given, ``$RECCB_CONFIG`` or ``./reccb.toml``), made absolute.

    A named file that does not exist is an error; a missing ``./reccb.toml`` is not.
    """
    explicit = given or os.environ.get("RECCB_CONFIG")
    candidate = base / Path(explicit).expanduser() if explicit else base / "reccb.toml"
    if explicit and not candidate.exists():
        raise ConfigError(f"config file not found: {candidate}")
    return candidate.resolve() if candidate.exists() else None


# --------------------------------------------------------------------------- database


def check_database(path: str | os.PathLike[str]) -> Path:
    """Raise ``DatabaseMissingError`` unless ``path`` is a reccb store holding some data."""
    from .db import open_database

    db = Path(path)
    if not db.exists() or db.stat().st_size == 0:
        raise DatabaseMissingError(
            f"no database at {db}; load data first (reccb ingest ... or reccb demo), "
            "or point --db / RECCB_DB at an existing store"
        )
    con = open_database(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT (SELECT count(*) FROM recordings) + (SELECT count(*) FROM callback_deliveries)"
        ).fetchall()[0][0]
    finally:
        con.close()
    if not rows:
        raise DatabaseMissingError(
            f"{db} holds no recordings and no callbacks yet; load data first "
            "(reccb ingest recordings ..., reccb ingest callbacks ..., or reccb sync)"
        )
    return db


# --------------------------------------------------------------------------- running


def output_stem(name: str, run_date: dt.date | None = None) -> str:
    """``<report>-<YYYYMMDD>``: the file name (without suffix) of a run's outputs."""
    return f"{name}-{(run_date or dt.date.today()):%Y%m%d}"


def run_report(name: str | Report, parameters: Mapping[str, Any] | None = None,
               out_dir: str | os.PathLike[str] | None = None,
               db_path: str | os.PathLike[str] | None = None, *,
               config_path: str | os.PathLike[str] | None = None,
               run_date: dt.date | None = None,
               timeout: int = CELL_TIMEOUT) -> ReportRun:
    """Run report ``name`` and write ``<report>-<YYYYMMDD>.ipynb`` and ``.html`` in ``out_dir``.

    ``name`` is a report name or a :class:`Report` (see :func:`load_report`). ``parameters``
    maps declared parameter names to values (strings are coerced to each default's type).
    ``db_path`` defaults to ``$RECCB_DB``, else ``data/reccb.duckdb``;
    ``config_path`` (prices, retention policy) to ``$RECCB_CONFIG``, else ``./reccb.toml``.
    Raises ``ReportNotFoundError``, ``ReportParameterError``, ``DatabaseMissingError`` before
    anything runs, and ``ReportExecutionError`` (with ``output_path``) when the notebook fails.
    """
    report = name if isinstance(name, Report) else get_report(name)
    name = report.name
    base = Path.cwd()
    injected = prepare_parameters(report, parameters, db_path=db_path, base_dir=base,
                                  config_path=config_path)
    if "db_path" in injected:
        check_database(injected["db_path"])
    target = (base / Path(out_dir or DEFAULT_OUT_DIR).expanduser()).resolve()
    stem = output_stem(name, run_date)
    nb_out, html_out = target / f"{stem}.ipynb", target / f"{stem}.html"
    if report.parameter("out_csv") is not None and not injected.get("out_csv"):
        # Files a report writes go next to it, named like it.
        injected["out_csv"] = str(target / f"{stem}.csv")
    target.mkdir(parents=True, exist_ok=True)
    # A failed rerun must not leave an earlier, successful HTML looking current.
    html_out.unlink(missing_ok=True)
    execute(report.path, report.name, nb_out, injected, target, timeout)
    secrets = secret_values()
    scrub_file(nb_out, secrets)
    export_html(nb_out, html_out, title=f"{report.title} ({stem})")
    scrub_file(html_out, secrets)
    return ReportRun(name=name, notebook=nb_out, html=html_out, parameters=injected)


def run_all(parameters: Mapping[str, Any] | None = None,
            out_dir: str | os.PathLike[str] | None = None,
            db_path: str | os.PathLike[str] | None = None, *,
            config_path: str | os.PathLike[str] | None = None,
            names: Iterable[str] | None = None,
            run_date: dt.date | None = None,
            progress: Callable[[str], None] | None = None) -> list[ReportRun]:
    """Run every report (or ``names``) with the same database and output folder.

    Each parameter goes to the reports that declare it; a name no report declares is an error.
    Everything is validated before the first report starts. A failing report stops the run with
    ``ReportExecutionError``. ``progress`` is called with each report's name before it runs.
    """
    reports = [get_report(n) for n in (names or report_names())]
    given = dict(parameters or {})
    declared = {p.name for r in reports for p in r.parameters}
    unknown = sorted(set(given) - declared)
    if unknown:
        raise ReportParameterError(
            f"no report has parameter {', '.join(map(repr, unknown))}; "
            f"valid parameters: {', '.join(sorted(declared))} (see: reccb report list)"
        )
    per_report = {
        r.name: {k: v for k, v in given.items() if r.parameter(k) is not None} for r in reports
    }
    for report in reports:  # fail fast on a bad value before any kernel starts
        prepared = prepare_parameters(report, per_report[report.name], db_path=db_path,
                                      config_path=config_path)
        if "db_path" in prepared:
            check_database(prepared["db_path"])
    runs = []
    for report in reports:
        if progress is not None:
            progress(report.name)
        runs.append(run_report(report, per_report[report.name], out_dir, db_path,
                               config_path=config_path, run_date=run_date))
    return runs


# --------------------------------------------------------------------------- exploring


@dataclass(frozen=True)
class LabLaunch:
    """How ``reccb lab`` starts JupyterLab: the command, its environment and its folder."""

    argv: list[str]
    env: dict[str, str]
    root_dir: Path
    db_path: Path | None


def lab_launch(db_path: str | os.PathLike[str] | None = None, *,
               root_dir: str | os.PathLike[str] | None = None, no_browser: bool = False,
               port: int | None = None, ip: str | None = None,
               extra_args: Iterable[str] = ()) -> LabLaunch:
    """Build the JupyterLab command for exploring the reports against a database.

    ``RECCB_DB`` is set to the absolute database path so every notebook's ``db_path = ""``
    opens it; without a database (none given and no ``data/reccb.duckdb``) notebooks use the
    bundled sample. ``root_dir`` other than the templates folder receives a copy of each
    template that is not there yet, so analysts' edits never touch the shipped templates.
    """
    import shutil
    import sys

    env = dict(os.environ)
    chosen: Path | None = None
    if db_path is not None:
        chosen = check_database(Path(db_path).expanduser().resolve())
    else:
        default = resolve_db_path(None)
        chosen = check_database(default) if default.exists() else None
    if chosen is not None:
        env["RECCB_DB"] = str(chosen)
    else:
        env.pop("RECCB_DB", None)
    templates = notebooks_dir()
    root = Path(root_dir).expanduser().resolve() if root_dir else templates
    if root != templates:
        root.mkdir(parents=True, exist_ok=True)
        for template in templates.glob("*.ipynb"):
            if not (root / template.name).exists():
                shutil.copy2(template, root / template.name)
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}"]
    if no_browser:
        argv.append("--no-browser")
    if port is not None:
        argv.append(f"--port={port}")
    if ip is not None:
        argv.append(f"--ip={ip}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # Jupyter refuses to start as root without it (containers)
    argv.extend(extra_args)
    return LabLaunch(argv=argv, env=env, root_dir=root, db_path=chosen)


def open_lab(launch: LabLaunch) -> int:
    """Run JupyterLab in the foreground (replacing this process where the OS allows it)."""
    import subprocess

    if os.name == "posix":
        # exec leaves Ctrl-C handling (its "shut down? y/n" prompt) entirely to Jupyter.
        os.execve(launch.argv[0], launch.argv, launch.env)
    return subprocess.call(launch.argv, env=launch.env)  # pragma: no cover - non-POSIX
