"""What a sync did, per account and in total."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class AccountReport:
    """Counters of one account's part of a run."""

    account_sid: str
    label: str
    days_planned: int = 0
    windows: int = 0              # windows listed to the end (after splitting)
    listed: int = 0               # distinct recordings the listings returned
    repeated: int = 0             # items the API repeated across pages, collapsed
    refetched: int = 0            # recordings fetched again by SID (not final before)
    still_open: int = 0           # recordings still not final after this run
    gone: int = 0                 # re-fetches answered 404
    loaded: int = 0               # new or newer states written by the ingest
    unchanged: int = 0            # states the store already had
    rejected: int = 0
    usage_records: int = 0
    usage_error: str | None = None
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    error: str | None = None

    def short(self) -> str:
        return (f"{self.listed:,} listed, {self.loaded:,} loaded, {self.refetched:,} re-fetched, "
                f"{self.usage_records} usage")

    def summary(self) -> str:
        """One line for logs."""
        if self.error:
            return f"{self.label}: FAILED: {self.error}"
        parts = [(f"{self.listed:,} recordings listed in {self.windows} windows "
                  f"({self.days_planned:,} days)"),
                 f"{self.loaded:,} new or changed, {self.unchanged:,} unchanged"]
        if self.rejected:
            parts.append(f"{self.rejected:,} rejected")
        if self.repeated:
            parts.append(f"{self.repeated:,} repeated items collapsed")
        parts.append(f"{self.refetched:,} re-fetched ({self.still_open:,} still not final"
                     + (f", {self.gone:,} gone" if self.gone else "") + ")")
        parts.append(f"{self.usage_records} usage records" if self.usage_error is None
                     else f"usage records failed: {self.usage_error}")
        parts.append(f"{self.requests:,} requests, {self.retries:,} retries, {self.seconds:.1f}s")
        return f"{self.label}: " + "; ".join(parts)


@dataclass
class SyncReport:
    """The whole run."""

    run_id: int
    accounts: list[AccountReport] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(int(getattr(a, name)) for a in self.accounts)

    def summary(self) -> str:
        return (f"sync run {self.run_id}: {len(self.accounts)} account(s), "
                f"{self.total('listed'):,} recordings listed, {self.total('loaded'):,} new or changed, "
                f"{self.total('refetched'):,} re-fetched, {self.total('usage_records')} usage records, "
                f"{self.total('requests'):,} requests in {self.seconds:.1f}s")
