"""Streaming one recording's media to disk: temp file, SHA-256 while streaming, fsync, rename.

Media is fetched with ``requests`` and Basic auth, never through the twilio SDK's
``request()``, which decodes bodies to ``str`` and corrupts binary audio. Bytes go straight from
the socket to a temp file in the destination folder in 64 KiB chunks, so memory use does not
depend on the recording's size. The file only takes its final name (after its ``.sha256``
sidecar) once it is complete and verified, so a kill at any moment leaves either the old state or
the new one, plus at worst a ``.part`` file that the next run removes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from ..exceptions import ArchiveError, TwilioAuthError
from .sids import sidecar_path

CHUNK = 64 * 1024
PART_SUFFIX = ".part"


class CopyFailure(ArchiveError):
    """One recording could not be copied; ``retryable`` says whether trying again may help."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        http_status: int | None = None,
        retry_after: float | None = None,
    ):
        self.reason = reason
        self.retryable = retryable
        self.http_status = http_status
        self.retry_after = retry_after
        super().__init__(reason)


@dataclass(frozen=True)
class Download:
    """A completed, fsynced download still under its temp name."""

    temp_path: Path
    bytes: int
    sha256: str
    http_status: int
    content_length: int | None


_local = threading.local()


def session(pool_size: int = 10) -> requests.Session:
    """One ``requests.Session`` per thread (sessions are not thread-safe), with a sized pool."""
    current = getattr(_local, "session", None)
    if current is None:
        current = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 4))
        current.mount("http://", adapter)
        current.mount("https://", adapter)
        _local.session = current
    return current


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Remove secret values from a text before it is stored or printed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def describe_error_body(response: requests.Response, secrets: Iterable[str] = ()) -> str:
    """Twilio's ``code``/``message`` from an error body, else its first 200 characters."""
    try:
        # At most 64 KiB: an error page is read whole only when it is small.
        body = response.raw.read(65536, decode_content=True).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - a broken error body must not hide the HTTP status
        return ""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and ("code" in data or "message" in data):
            body = f"Twilio code {data.get('code')}: {data.get('message')}"
    except ValueError:
        pass
    return scrub(" ".join(body.split())[:200], secrets)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff


def announced_digests(headers: Any) -> dict[str, bytes]:
    """Digests the server announced for the body: ``{"md5"|"sha256": raw bytes}``.

    Twilio publishes no checksum for media, but a server or storage proxy may send
    ``Content-MD5`` (RFC 1864), ``Repr-Digest`` (RFC 9530) or ``Digest`` (RFC 3230). When one
    is present it is the only way to catch bytes altered in transit inside the audio, which no
    header parse can see, so it is checked. ``ETag`` is not used: S3 ETags of multipart or
    KMS-encrypted objects are not MD5s.
    """
    found: dict[str, bytes] = {}
    md5 = headers.get("Content-MD5")
    if md5:
        with contextlib.suppress(ValueError, binascii.Error):
            found["md5"] = base64.b64decode(md5.strip(), validate=True)
    for name in ("Repr-Digest", "Digest"):
        value = headers.get(name)
        if not value:
            continue
        for item in value.split(","):
            algo, _, encoded = item.strip().partition("=")
            algo = algo.strip().lower().replace("-", "")
            if algo in ("sha256", "md5"):
                with contextlib.suppress(ValueError, binascii.Error):
                    found.setdefault(
                        algo, base64.b64decode(encoded.strip().strip(":"), validate=True)
                    )
    return {k: v for k, v in found.items() if len(v) == (16 if k == "md5" else 32)}


def remove_stale_parts(final_path: Path) -> None:
    """Delete ``.part`` files a killed run left for this copy (only this copy's own prefix)."""
    prefix = f".{final_path.name}."
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(final_path.parent):
            if entry.name.startswith(prefix) and entry.name.endswith(PART_SUFFIX):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


def _os_failure(exc: OSError, where: Path) -> CopyFailure:
    name = errno.errorcode.get(exc.errno or 0, "error")
    return CopyFailure(f"cannot write {where}: {exc.strerror or exc} ({name})", retryable=False)


def download(
    url: str,
    auth: tuple[str, str],
    final_path: Path,
    *,
    params: dict[str, str] | None = None,
    timeout: tuple[float, float] = (10.0, 60.0),
    secrets: Iterable[str] = (),
    pool_size: int = 10,
    stop: threading.Event | None = None,
) -> Download:
    """Stream ``url`` into a temp file next to ``final_path``; hash while streaming; fsync.

    Raises ``CopyFailure`` (retryable or not) for HTTP errors, dropped connections, truncated
    bodies and write errors, and ``TwilioAuthError`` for 401/403, which no retry can fix. The
    temp file is removed on every failure. Setting ``stop`` abandons the download between
    chunks (Ctrl-C), so an interrupted run does not wait for large files to finish.
    """
    secrets = tuple(secrets)
    try:
        final_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_failure(exc, final_path.parent) from exc
    temp_path = final_path.with_name(f".{final_path.name}.{uuid.uuid4().hex[:12]}{PART_SUFFIX}")
    try:
        response = session(pool_size).get(
            url,
            auth=auth,
            params=params,
            stream=True,
            timeout=timeout,
            # Raw bytes only: a transparently decoded body would not match Content-Length.
            headers={"Accept-Encoding": "identity"},
        )
    except requests.RequestException as exc:
        raise CopyFailure(f"connection failed: {type(exc).__name__}", retryable=True) from exc
    with response:
        status = response.status_code
        if status in (401, 403):
            raise TwilioAuthError(
                f"HTTP {status} fetching media for {final_path.stem}: the credentials were "
                f"refused ({describe_error_body(response, secrets)}); check TWILIO_ACCOUNT_SID "
                "and TWILIO_API_KEY/TWILIO_API_SECRET or TWILIO_AUTH_TOKEN"
            )
        if status != 200:
            detail = describe_error_body(response, secrets)
            if status == 404:
                raise CopyFailure(
                    f"not found at Twilio (HTTP 404, {detail}); deleted already?",
                    retryable=False,
                    http_status=status,
                )
            retryable = status == 429 or status >= 500
            raise CopyFailure(
                f"HTTP {status}: {detail}",
                retryable=retryable,
                http_status=status,
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
        length_header = response.headers.get("Content-Length")
        content_length = int(length_header) if length_header and length_header.isdigit() else None
        digest = hashlib.sha256()
        announced = announced_digests(response.headers)
        md5 = hashlib.md5(usedforsecurity=False) if "md5" in announced else None
        written = 0
        try:
            fd = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as exc:
            raise _os_failure(exc, final_path.parent) from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                try:
                    for chunk in response.raw.stream(CHUNK, decode_content=False):
                        if stop is not None and stop.is_set():
                            raise CopyFailure("interrupted", retryable=False, http_status=status)
                        digest.update(chunk)
                        if md5 is not None:
                            md5.update(chunk)
                        handle.write(chunk)
                        written += len(chunk)
                except (requests.RequestException, OSError) as exc:
                    if isinstance(exc, OSError) and not _is_network_error(exc):
                        raise _os_failure(exc, final_path.parent) from exc
                    raise CopyFailure(
                        f"truncated download: connection dropped after {written} bytes "
                        f"({type(exc).__name__})",
                        retryable=True,
                        http_status=status,
                    ) from exc
                except Exception as exc:  # urllib3 protocol errors (IncompleteRead, ...)
                    if type(exc).__module__.startswith("urllib3"):
                        raise CopyFailure(
                            f"truncated download: {type(exc).__name__} after {written} bytes",
                            retryable=True,
                            http_status=status,
                        ) from exc
                    raise
                if content_length is not None and written != content_length:
                    raise CopyFailure(
                        f"truncated download: got {written} of {content_length} bytes",
                        retryable=True,
                        http_status=status,
                    )
                for algo, expected in announced.items():
                    got = digest.digest() if algo == "sha256" else md5.digest()  # type: ignore[union-attr]
                    if got != expected:
                        raise CopyFailure(
                            f"checksum mismatch: the body's {algo} is {got.hex()}, the server "
                            f"announced {expected.hex()} (altered in transit)",
                            retryable=True,
                            http_status=status,
                        )
                try:
                    handle.flush()
                    os.fsync(handle.fileno())
                except OSError as exc:
                    raise _os_failure(exc, final_path.parent) from exc
        except OSError as exc:  # close() can report a deferred ENOSPC
            with contextlib.suppress(OSError):
                os.unlink(temp_path)
            raise _os_failure(exc, final_path.parent) from exc
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_path)
            raise
    return Download(temp_path, written, digest.hexdigest(), status, content_length)


def _is_network_error(exc: OSError) -> bool:
    # urllib3/http.client raise OSError subclasses for socket trouble; write errors carry an
    # errno of the file system kind.
    return exc.errno not in (
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.EFBIG,
        errno.EIO,
    )


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit(dl: Download, final_path: Path) -> None:
    """Give a verified download its final name: sidecar first, then the media, then fsync the dir.

    Writing the sidecar first means a kill in between leaves a sidecar that does not match an
    older or missing copy, which the next run detects and repairs by fetching again.
    """
    side = sidecar_path(final_path)
    side_temp = side.with_name(f".{side.name}.{uuid.uuid4().hex[:12]}{PART_SUFFIX}")
    try:
        with open(side_temp, "w", encoding="ascii") as handle:
            handle.write(f"{dl.sha256}  {final_path.name}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(side_temp, side)
        os.replace(dl.temp_path, final_path)
        _fsync_dir(final_path.parent)
    except OSError as exc:
        for leftover in (side_temp, dl.temp_path):
            with contextlib.suppress(OSError):
                os.unlink(leftover)
        raise _os_failure(exc, final_path.parent) from exc


def discard(dl: Download) -> None:
    """Remove a download that failed verification."""
    with contextlib.suppress(OSError):
        os.unlink(dl.temp_path)
