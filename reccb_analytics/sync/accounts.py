"""The accounts to sync: the parent and its subaccounts, from the Accounts list.

Each entry of the Accounts list carries that account's own auth token. It is kept in memory
only (never stored, printed or put in a ``repr``), and used only when the parent's credentials
are refused for a subaccount's resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .dates import parse_rfc2822
from .transport import Transport

API = "2010-04-01"


@dataclass(frozen=True)
class AccountInfo:
    """One account as the Accounts resource describes it (minus its secret)."""

    sid: str
    friendly_name: str | None
    owner_account_sid: str | None
    status: str | None
    type: str | None
    date_created: datetime | None
    auth_token: str | None = field(default=None, repr=False, compare=False)

    @property
    def is_subaccount(self) -> bool:
        return bool(self.owner_account_sid) and self.owner_account_sid != self.sid

    def label(self) -> str:
        """``AC...`` with its friendly name, for messages."""
        return f"{self.sid} ({self.friendly_name})" if self.friendly_name else self.sid

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> AccountInfo:
        created = obj.get("date_created")
        return cls(sid=obj["sid"], friendly_name=obj.get("friendly_name"),
                   owner_account_sid=obj.get("owner_account_sid"), status=obj.get("status"),
                   type=obj.get("type"), date_created=parse_rfc2822(created) if created else None,
                   auth_token=obj.get("auth_token") or None)


def list_accounts(transport: Transport, page_size: int = 1000) -> list[AccountInfo]:
    """The parent (the credentials' account) and every subaccount, parent first."""
    found: dict[str, AccountInfo] = {}
    uri: str | None = f"{API}/Accounts.json"
    params: dict[str, Any] | None = {"PageSize": page_size}
    while uri:
        page = transport.get_json(uri, params, key="accounts")
        for obj in page.get("accounts") or []:
            if obj.get("sid"):
                found.setdefault(obj["sid"], AccountInfo.from_json(obj))
        uri, params = page.get("next_page_uri"), None
    parent = transport.creds.account_sid
    return sorted(found.values(), key=lambda a: (a.sid != parent, a.date_created or datetime.min, a.sid))


def fetch_account(transport: Transport, sid: str) -> AccountInfo:
    """One account by SID (the parent, or a subaccount reached with the parent's credentials)."""
    return AccountInfo.from_json(transport.get_json(f"{API}/Accounts/{sid}.json", key=sid))
