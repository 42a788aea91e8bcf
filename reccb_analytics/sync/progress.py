"""What a sync shows while it runs: a bar per account on a terminal, else one line per account."""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .accounts import AccountInfo
    from .report import AccountReport


class Progress(Protocol):
    """Called by the writer thread only."""

    def start(self, account: AccountInfo, days: int) -> None: ...
    def advance(self, account_sid: str, days: int, recordings: int) -> None: ...
    def finish(self, report: AccountReport) -> None: ...
    def close(self) -> None: ...


class NoProgress:
    """Shows nothing (library use)."""

    def start(self, account: AccountInfo, days: int) -> None:
        pass

    def advance(self, account_sid: str, days: int, recordings: int) -> None:
        pass

    def finish(self, report: AccountReport) -> None:
        pass

    def close(self) -> None:
        pass


class LineProgress(NoProgress):
    """One summary line per account as it completes (logs, cron mail)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def finish(self, report: AccountReport) -> None:
        print(report.summary(), file=self.stream, flush=True)


class BarProgress(NoProgress):
    """A tqdm bar per account, counting listed days, with the recordings seen so far."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self._bars: dict[str, object] = {}
        self._counts: dict[str, int] = {}

    def start(self, account: AccountInfo, days: int) -> None:
        from tqdm import tqdm

        self._counts[account.sid] = 0
        self._bars[account.sid] = tqdm(total=days, unit="day", desc=account.sid[:10] + "…",
                                       position=len(self._bars), leave=True, file=self.stream,
                                       dynamic_ncols=True)

    def advance(self, account_sid: str, days: int, recordings: int) -> None:
        bar = self._bars.get(account_sid)
        if bar is None:
            return
        self._counts[account_sid] += recordings
        bar.set_postfix_str(f"{self._counts[account_sid]:,} recordings", refresh=False)  # type: ignore[attr-defined]
        bar.update(days)  # type: ignore[attr-defined]

    def finish(self, report: AccountReport) -> None:
        bar = self._bars.get(report.account_sid)
        if bar is not None:
            bar.set_postfix_str(report.short(), refresh=True)  # type: ignore[attr-defined]

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()  # type: ignore[attr-defined]
        self._bars.clear()


def make_progress(interactive: bool) -> Progress:
    return BarProgress() if interactive else LineProgress()
