"""Twilio credentials from the environment, and the SDK client built from them.

Credentials come only from the environment, never from arguments or files:

* ``TWILIO_ACCOUNT_SID`` with ``TWILIO_API_KEY`` and ``TWILIO_API_SECRET`` (recommended: a Main
  API key, which can be revoked on its own and can list subaccounts), or
* ``TWILIO_ACCOUNT_SID`` with ``TWILIO_AUTH_TOKEN``.

``TWILIO_REGION`` and ``TWILIO_EDGE`` route requests as the SDK does. ``RECCB_TWILIO_API_URL``
replaces the base URL of the API domain (a Twilio-compatible server, such as the one the tests
run); region and edge are then left unset, because the SDK would otherwise rewrite the host.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..exceptions import TwilioAuthError

API_URL_ENV = "RECCB_TWILIO_API_URL"
ACCOUNT_SID_RE = re.compile(r"AC[0-9a-fA-F]{32}")
KEY_SID_RE = re.compile(r"SK[0-9a-fA-F]{32}")

_HOW_TO = ("set TWILIO_ACCOUNT_SID with TWILIO_API_KEY and TWILIO_API_SECRET (an API key, "
           "recommended) or with TWILIO_AUTH_TOKEN")


@dataclass(frozen=True)
class Credentials:
    """Who we are to Twilio. The secret is kept out of ``repr`` so it cannot leak into logs."""

    account_sid: str
    username: str                     # the account SID, or the API key SID (SK...)
    password: str = field(repr=False)
    kind: str = "auth token"          # 'auth token' | 'API key'
    region: str | None = None
    edge: str | None = None
    api_url: str | None = None

    def describe(self) -> str:
        """Which credential this is, for error messages (never the secret)."""
        if self.kind == "API key":
            return f"API key {self.username} (TWILIO_API_KEY)"
        return "the auth token (TWILIO_AUTH_TOKEN)"


def credentials_from_env(environ: Mapping[str, str] | None = None) -> Credentials:
    """Read the credentials; raise ``TwilioAuthError`` naming what is missing or malformed."""
    env = os.environ if environ is None else environ
    account_sid = (env.get("TWILIO_ACCOUNT_SID") or "").strip()
    key, secret = (env.get("TWILIO_API_KEY") or "").strip(), env.get("TWILIO_API_SECRET") or ""
    token = env.get("TWILIO_AUTH_TOKEN") or ""
    if not account_sid:
        raise TwilioAuthError(f"no Twilio credentials: TWILIO_ACCOUNT_SID is not set; {_HOW_TO}")
    if not ACCOUNT_SID_RE.fullmatch(account_sid):
        raise TwilioAuthError("TWILIO_ACCOUNT_SID must be an account SID (AC followed by 32 hex "
                              f"digits); {_HOW_TO}")
    common = {"region": (env.get("TWILIO_REGION") or "").strip() or None,
              "edge": (env.get("TWILIO_EDGE") or "").strip() or None,
              "api_url": (env.get(API_URL_ENV) or "").strip().rstrip("/") or None}
    if key or secret:
        if not (key and secret):
            missing = "TWILIO_API_SECRET" if key else "TWILIO_API_KEY"
            raise TwilioAuthError(f"{missing} is not set: an API key needs both TWILIO_API_KEY and "
                                  "TWILIO_API_SECRET")
        if not KEY_SID_RE.fullmatch(key):
            raise TwilioAuthError("TWILIO_API_KEY must be an API key SID (SK followed by 32 hex "
                                  "digits)")
        return Credentials(account_sid, key, secret, "API key", **common)
    if not token:
        raise TwilioAuthError(f"no Twilio secret: {_HOW_TO}")
    return Credentials(account_sid, account_sid, token, "auth token", **common)


def build_client(creds: Credentials, *, timeout: float | None = 60.0) -> Client:
    """A twilio ``Client`` for these credentials, routed by region/edge or the URL override.

    Each thread should build its own client: the SDK's HTTP client keeps per-request state on
    itself and shares one ``requests`` session.
    """
    client = Client(creds.username, creds.password, creds.account_sid,
                    region=creds.region, edge=creds.edge,
                    http_client=TwilioHttpClient(timeout=timeout),
                    # an explicit environment so the SDK never reads other variables itself
                    environment={"TWILIO_ACCOUNT_SID": creds.account_sid})
    if creds.api_url:
        client.region = None
        client.edge = None
        client.api.base_url = creds.api_url
    return client
