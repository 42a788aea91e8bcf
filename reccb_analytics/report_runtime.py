"""How report notebooks execute: the kernel, its environment, the secrets scrub, HTML export.

Kept apart from :mod:`reccb_analytics.reports` (which decides *what* runs) because everything
here touches papermill, nbclient, jupyter_client or nbconvert, all imported inside functions.

* The kernel is ipykernel in *this* interpreter, named ``python3``: a KernelSpecManager with no
  kernel directories resolves that name to ipykernel's built-in spec for ``sys.executable``, so
  a stray user-level ``python3`` kernelspec (papermill#251, #856) cannot hijack a run and
  nothing has to be installed for a fresh venv to work.
* It starts without ``TWILIO_*`` and credential-like variables (reports only read DuckDB);
  values of credential-like variables are also redacted from the outputs afterwards.
* The HTML copy has no code cells, no prompts, and charts with their titles as alt text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from .exceptions import ReportExecutionError

KERNEL_NAME = "python3"

# Names whose values are treated as secrets: removed from the kernel's environment and
# redacted from outputs. TWILIO_* is also removed from the kernel (reports never call Twilio)
# but not redacted, because account SIDs legitimately appear in reports.
SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW|PASSPHRASE|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_KEY|SESSION_KEY|AUTH",
    re.IGNORECASE,
)
_MIN_REDACT_LEN = 6


def _secret_names(environ: Mapping[str, str]) -> list[str]:
    return [name for name in environ if SECRET_NAME.search(name)]


def kernel_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a report kernel starts with: the caller's, minus anything secret.

    Reports read DuckDB only; they never need Twilio or other credentials, so a value that is
    not in the kernel cannot be printed into a report by mistake.
    """
    env = dict(os.environ if environ is None else environ)
    for name in list(env):
        if name.upper().startswith("TWILIO_") or SECRET_NAME.search(name):
            del env[name]
    return env


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of credential-like environment variables long enough to redact safely."""
    env = os.environ if environ is None else environ
    values = {env[n] for n in _secret_names(env) if len(env[n]) >= _MIN_REDACT_LEN}
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret in ``text`` by ``[redacted]``."""
    for value in secrets:
        text = text.replace(value, "[redacted]")
    return text


def scrub_file(path: Path, secrets: list[str]) -> None:
    """Redact ``secrets`` from a written output file, in place."""
    if not secrets or not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    cleaned = redact(text, secrets)
    if cleaned != text:
        path.write_text(cleaned, encoding="utf-8")


@lru_cache(maxsize=1)
def kernel_manager_class() -> type:
    """An AsyncKernelManager that always runs this interpreter's ipykernel, without secrets.

    ``kernel_dirs=[]`` makes "python3" resolve to ipykernel's built-in spec for
    ``sys.executable``, so a stray user-level python3 kernelspec pointing at another
    interpreter (papermill#251, #856) cannot hijack report runs, and nothing has to be
    installed into the venv for a fresh install to work.
    """
    import zmq
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ReportKernelManager(AsyncKernelManager):
        @default("transport_encryption")
        def _report_transport_encryption(self) -> str:
            # Encrypt kernel traffic when libzmq can (it also silences ipykernel's warning).
            return "auto" if zmq.has("curve") else "disabled"

        @default("kernel_spec_manager")
        def _report_kernel_spec_manager(self) -> KernelSpecManager:
            return KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw["env"] = kernel_environment(kw.get("env"))
            await super().start_kernel(**kw)

    return ReportKernelManager


# --------------------------------------------------------------------------- running


def execute(notebook: Path, name: str, nb_out: Path, parameters: dict[str, Any], cwd: Path,
            timeout: int) -> None:
    """Run ``notebook`` with papermill into ``nb_out``, in ``cwd``, with the report kernel.

    Raises ``ReportExecutionError`` (``output_path`` = ``nb_out``) when a cell fails, a cell
    runs longer than ``timeout`` seconds, or the kernel cannot start or dies.
    """
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    try:
        papermill.execute_notebook(
            str(notebook), str(nb_out), parameters=parameters, kernel_name=KERNEL_NAME,
            cwd=str(cwd), progress_bar=False, log_output=False, execution_timeout=timeout,
            kernel_manager_class=kernel_manager_class(),
            # jupyter_client interrupts (SIGINT) every kernel it shuts down; ipykernel then logs
            # "KeyboardInterrupt caught in kernel" at ERROR on our stderr. Cell errors still
            # reach the notebook, and a kernel that dies is still reported (DeadKernelError).
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except papermill.PapermillExecutionError as exc:
        first_line = (exc.evalue or "").strip().splitlines()[:1] or [""]
        raise ReportExecutionError(
            f"report {name} failed in cell {exc.exec_count}: {exc.ename}: "
            f"{first_line[0]} (the partial notebook with the full error: {nb_out})",
            output_path=nb_out,
        ) from exc
    except CellTimeoutError as exc:
        raise ReportExecutionError(
            f"report {name}: a cell ran longer than {timeout}s; see {nb_out}",
            output_path=nb_out,
        ) from exc
    except (DeadKernelError, NoSuchKernel) as exc:
        raise ReportExecutionError(
            f"report {name}: the Python kernel could not run ({exc}); is ipykernel "
            f"installed in this environment? see {nb_out}", output_path=nb_out,
        ) from exc


def export_html(notebook: str | os.PathLike[str], html: str | os.PathLike[str],
                title: str | None = None) -> Path:
    """Write an HTML copy of an executed notebook without code cells or prompts."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    # What finance opens: headings, text, tables and charts; no code and no In/Out prompts.
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    _quiet_alt_warning(exporter.log)
    name = title or Path(notebook).stem
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}})
    body = _with_alt_text(body, nb)
    target = Path(html)
    target.write_text(body, encoding="utf-8")
    return target


_NO_ALT = 'alt="No description has been provided for this image"'


class _AltWarningFilter:
    """Drops nbconvert's "Alternative text is missing" warning: :func:`_with_alt_text` adds it."""

    def filter(self, record: Any) -> bool:
        return not str(record.msg).startswith("Alternative text is missing")


def _quiet_alt_warning(log: Any) -> None:
    if not any(isinstance(f, _AltWarningFilter) for f in getattr(log, "filters", [])):
        log.addFilter(_AltWarningFilter())


def _with_alt_text(body: str, nb: Any) -> str:
    """Give each chart image its title as alt text (nbconvert's lab template has none).

    Images appear in the HTML in output order; each chart's text/plain is "Chart: <title>".
    """
    import html

    titles = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                text = str(data.get("text/plain", ""))
                titles.append(text.removeprefix("Chart: ") if text.startswith("Chart: ")
                              else "Chart")
    parts = body.split(_NO_ALT)
    if len(parts) - 1 != len(titles):
        return body  # not the layout we expect: keep nbconvert's generic text
    out = [parts[0]]
    for title, rest in zip(titles, parts[1:], strict=True):
        out.append(f'alt="{html.escape(title, quote=True)}"')
        out.append(rest)
    return "".join(out)
