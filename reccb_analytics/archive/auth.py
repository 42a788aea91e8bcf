"""Twilio credentials and endpoints for archive and delete, from the environment only.

The same variables as ``reccb sync``: ``TWILIO_ACCOUNT_SID`` with ``TWILIO_AUTH_TOKEN``, or
``TWILIO_API_KEY`` and ``TWILIO_API_SECRET`` with the account SID (recommended: a key can be
revoked on its own). ``RECCB_TWILIO_API_URL`` points everything at a Twilio-compatible server
(the tests' server); otherwise ``TWILIO_REGION`` / ``TWILIO_EDGE`` pick the regional host the
way the twilio SDK does. Secrets are held in an object whose ``repr`` hides them, so they cannot
leak through a log line or a traceback's locals display.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..exceptions import TwilioAuthError
from .sids import is_account_sid

if TYPE_CHECKING:  # pragma: no cover
    from twilio.rest import Client

DEFAULT_API_URL = "https://api.twilio.com"


@dataclass(frozen=True)
class Credentials:
    """Basic-auth credentials for the Twilio REST API and media (secret hidden from repr)."""

    username: str                      # AC… (auth token) or SK… (API key)
    password: str = field(repr=False)
    account_sid: str                   # the account whose credentials these are
    api_url: str | None = None         # RECCB_TWILIO_API_URL override, without trailing slash
    region: str | None = None
    edge: str | None = None

    @property
    def auth(self) -> tuple[str, str]:
        return (self.username, self.password)

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in output; used to scrub response texts."""
        return tuple(s for s in (self.password,) if s)


def load_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """Read credentials from the environment; raise ``TwilioAuthError`` naming what is missing."""
    env = os.environ if env is None else env
    account_sid = env.get("TWILIO_ACCOUNT_SID", "").strip()
    key, secret = env.get("TWILIO_API_KEY", "").strip(), env.get("TWILIO_API_SECRET", "").strip()
    token = env.get("TWILIO_AUTH_TOKEN", "").strip()
    if not account_sid:
        raise TwilioAuthError(
            "no Twilio credentials: set TWILIO_ACCOUNT_SID with TWILIO_API_KEY and "
            "TWILIO_API_SECRET (recommended) or with TWILIO_AUTH_TOKEN"
        )
    if not is_account_sid(account_sid):
        raise TwilioAuthError("TWILIO_ACCOUNT_SID does not look like an Account SID (AC + 32 hex digits)")
    if key or secret:
        if not (key and secret):
            raise TwilioAuthError("set both TWILIO_API_KEY and TWILIO_API_SECRET, or neither")
        username, password = key, secret
    elif token:
        username, password = account_sid, token
    else:
        raise TwilioAuthError(
            "TWILIO_ACCOUNT_SID is set but neither TWILIO_API_KEY/TWILIO_API_SECRET nor "
            "TWILIO_AUTH_TOKEN is"
        )
    api_url = env.get("RECCB_TWILIO_API_URL", "").strip().rstrip("/") or None
    return Credentials(
        username=username, password=password, account_sid=account_sid, api_url=api_url,
        region=env.get("TWILIO_REGION") or None, edge=env.get("TWILIO_EDGE") or None,
    )


def twilio_client(creds: Credentials, timeout: float = 30.0) -> Client:
    """A twilio SDK client for these credentials, pointed at the override URL when one is set.

    ``environment={}`` keeps the SDK from reading the environment itself: what we validated
    above is exactly what it uses. Region and edge are left unset with an override URL, since
    the SDK would otherwise rewrite the host.
    """
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    # The SDK's default HTTP client waits forever; a bounded timeout turns a hung request into
    # a retry instead of a stuck run.
    http = TwilioHttpClient(timeout=timeout)
    if creds.api_url:
        client = Client(creds.username, creds.password, creds.account_sid, http_client=http,
                        environment={})
        client.api.base_url = creds.api_url
    else:
        client = Client(creds.username, creds.password, creds.account_sid, region=creds.region,
                        edge=creds.edge, http_client=http, environment={})
    return client


def media_url(creds: Credentials, account_sid: str, sid: str, fmt: str) -> str:
    """The media URL of a recording, built from validated SIDs (never from a logged URL).

    A logged ``RecordingUrl`` or ``media_url`` could point anywhere; sending Basic credentials
    there would leak them, so the URL is always rebuilt from the API base.
    """
    path = f"/2010-04-01/Accounts/{account_sid}/Recordings/{sid}.{fmt}"
    if creds.api_url:
        return creds.api_url + path
    if creds.region or creds.edge:
        host = ".".join(p for p in ("api", creds.edge, creds.region or (creds.edge and "us1"), "twilio.com") if p)
        return f"https://{host}{path}"
    return DEFAULT_API_URL + path
