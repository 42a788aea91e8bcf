"""Twilio credentials and endpoints for archive and delete: the same as ``reccb sync``.

Credentials come from the environment only, through ``reccb_analytics.sync.client``
(``TWILIO_ACCOUNT_SID`` with ``TWILIO_API_KEY``/``TWILIO_API_SECRET`` or
``TWILIO_AUTH_TOKEN``; ``TWILIO_REGION``/``TWILIO_EDGE``; ``RECCB_TWILIO_API_URL`` for a
Twilio-compatible server). This module adds what archiving needs on top: the Basic-auth pair for
media downloads, the secrets to scrub from any stored text, and media URLs built from validated
SIDs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..sync.client import Credentials, build_client, credentials_from_env

if TYPE_CHECKING:  # pragma: no cover
    from twilio.rest import Client

DEFAULT_API_URL = "https://api.twilio.com"

__all__ = [
    "Credentials",
    "basic_auth",
    "load_credentials",
    "media_url",
    "secrets_of",
    "twilio_client",
]


def load_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from the environment; ``TwilioAuthError`` names what is missing."""
    return credentials_from_env(env)


def basic_auth(creds: Credentials) -> tuple[str, str]:
    """The (username, secret) pair for HTTP Basic auth on media downloads."""
    return (creds.username, creds.password)


def secrets_of(creds: Credentials) -> tuple[str, ...]:
    """Values that must never appear in stored or printed text (used to scrub responses)."""
    return tuple(s for s in (creds.password,) if s)


def twilio_client(creds: Credentials, timeout: float = 30.0) -> Client:
    """A twilio SDK client (one per thread: the SDK's HTTP client is not thread-safe)."""
    return build_client(creds, timeout=timeout)


def media_url(creds: Credentials, account_sid: str, sid: str, fmt: str) -> str:
    """The media URL of a recording, built from validated SIDs (never from a logged URL).

    A logged ``RecordingUrl`` or ``media_url`` could point anywhere; sending Basic credentials
    there would leak them, so the URL is always rebuilt from the API base, with the regional
    host the SDK would use for ``TWILIO_REGION``/``TWILIO_EDGE``.
    """
    path = f"/2010-04-01/Accounts/{account_sid}/Recordings/{sid}.{fmt}"
    if creds.api_url:
        return creds.api_url + path
    if creds.region or creds.edge:
        region = creds.region or "us1"
        host = ".".join(p for p in ("api", creds.edge, region, "twilio.com") if p)
        return f"https://{host}{path}"
    return DEFAULT_API_URL + path
