"""Checking logged ``X-Twilio-Signature`` headers with twilio's own ``RequestValidator``.

The check runs inside DuckDB as a scalar Python function, called by the statement that loads
callback records and only for records that carry a signature, so only logs that have
signatures pay for it. The auth token is read from an
environment variable named by the user; it never touches arguments, logs or the database.
"""

from __future__ import annotations

import json
import os

import duckdb
from duckdb.sqltypes import BOOLEAN, VARCHAR
from twilio.request_validator import RequestValidator

from ..exceptions import ConfigError

UDF_NAME = "reccb_signature_valid"


def token_from_env(variable: str) -> str:
    """The auth token held in environment variable ``variable`` (error when unset or empty)."""
    token = os.environ.get(variable, "")
    if not token:
        raise ConfigError(f"environment variable {variable} is not set (it should hold the Twilio "
                          "auth token used to check X-Twilio-Signature)")
    return token


def register(con: duckdb.DuckDBPyConnection, token: str | None) -> None:
    """Register ``reccb_signature_valid(url, method, params_json, signature, settings)``.

    Without a token the function exists (the loading statement names it) and answers NULL,
    "not checked"; the statement does not call it then.
    """
    validator = RequestValidator(token) if token is not None else None

    def check(url: str, method: str | None, params_json: str, signature: str,
              settings: str | None) -> bool | None:
        if validator is None or not url or not signature:
            return None  # nothing to check against: stays NULL ("not checked")
        params = json.loads(params_json) if params_json else {}
        # Form values are strings on the wire; JSON logs may have turned some into numbers.
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()
                if v is not None}
        algorithm = None
        if settings and "HMAC_SHA256" in settings.upper():
            algorithm = "HMAC_SHA256"
        kwargs = {"algorithm": algorithm} if algorithm else {}
        if (method or "POST").upper() == "GET":
            return bool(validator.validate(url, {}, signature, **kwargs))
        return bool(validator.validate(url, form, signature, **kwargs))

    try:
        con.remove_function(UDF_NAME)
    except Exception:  # noqa: BLE001 - not registered yet on this connection
        pass
    con.create_function(UDF_NAME, check, [VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR], BOOLEAN,
                        null_handling="special", side_effects=False)
