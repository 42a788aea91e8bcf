"""X-Twilio-Signature for the synthetic callback logs.

The signature is computed in SQL (``syn_hmac_sha1`` in sql/synth/macros.sql) so millions of
lines are signed set-based; it is the algorithm of ``twilio.request_validator.RequestValidator``
(HMAC-SHA1 of the URL followed by every parameter name and value in sorted order, base64), and
``check_with_validator`` proves it on the lines actually written.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable

from twilio.request_validator import RequestValidator

# PUBLIC, NON-SECRET DEMO VALUE. It signs the synthetic data set when no --auth-token-env is
# given, so that signature checks can be demonstrated; it is not, and never was, a Twilio
# credential. Real auth tokens come only from the environment.
DEMO_AUTH_TOKEN = "reccb-demo-token-public-not-real"

_BLOCK = 64  # SHA-1 block size in bytes
_RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")


def hmac_pads(token: str) -> tuple[bytes, bytes]:
    """The HMAC inner and outer key pads (key XOR 0x36, key XOR 0x5c) for an auth token."""
    key = token.encode("utf-8")
    if len(key) > _BLOCK:
        import hashlib

        key = hashlib.sha1(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def old_token(token: str) -> str:
    """A different token standing for one rotated out: signatures made with it must fail."""
    return "rotated-" + token[::-1]


def envelope_params(record: dict) -> dict[str, str]:
    """The request parameters of an envelope log record, whichever way it carries them."""
    if "params" in record:
        return dict(record["params"])
    if "form" in record:
        return dict(record["form"])
    return dict(urllib.parse.parse_qsl(record["body"], keep_blank_values=True))


def check_with_validator(lines: Iterable[str], token: str) -> tuple[int, int]:
    """Validate envelope lines with twilio's RequestValidator: (valid, invalid) counts.

    Only envelope records with a signature and a well-formed RecordingSid (or a call status
    callback) are checked; bad lines (not JSON, a mangled SID) are skipped.
    """
    validator = RequestValidator(token)
    valid = invalid = 0
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        signature = (record.get("headers") or {}).get("X-Twilio-Signature")
        if not signature:
            continue
        params = envelope_params(record)
        sid = params.get("RecordingSid")
        if sid is not None and not _RECORDING_SID.fullmatch(sid):
            continue
        if validator.validate(record["url"], params, signature):
            valid += 1
        else:
            invalid += 1
    return valid, invalid
