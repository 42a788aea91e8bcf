"""The sync engine: worker threads fetch and spool, the calling thread loads.

Workers (a bounded pool shared by every account) list day windows, re-fetch recordings by SID
and fetch usage records; every request goes through one ``Transport`` (one rate limiter, one
retry policy). They never touch DuckDB and never wait for it: each finished unit of work is
spooled to disk and becomes an event on a queue, and the calling thread, the only one holding
the connection, loads spooled files with the ingest's ``load_file`` and records what is covered.
Only when ``spool_rows`` listed recordings wait on disk for loading do workers hold back new
listings, so the disk used stays bounded too.

Loading is the slow part of a sync (``load_file`` has a fixed cost per call, and a cost per row
that a bigger file does not raise), so the writer loads whenever it is free, one account's
spooled windows at a time, the account with most waiting first: while it loads, the next
batches grow, so a slow writer ends up making fewer, larger loads (at most ``flush_rows`` rows,
which bounds DuckDB's memory however large the account).

Resumability: a window counts as listed (``sync_coverage``) only once the load holding its
recordings has committed: the coverage is written right after ``load_file`` returns. A kill
before that loses the window's work, never its correctness: the next run lists it again and the
ingest's upsert keeps one row per SID.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from ..exceptions import TwilioAuthError, TwilioError
from ..ingest.loader import API_BATCH
from . import state
from .accounts import AccountInfo
from .dates import Window, cut_at, split, subtract, utc_day, worth_splitting
from .pages import Page, split_page
from .progress import Progress
from .ratelimit import RetryPolicy
from .report import AccountReport
from .spool import Spool
from .transport import Aborted, AuthRefused, NotFound, Transport, now_utc

API = "2010-04-01"
REFETCH_CHUNK = 50
# How a split window is cut (see dates.split): up to NEAR_PARTS windows sized by the density of
# its first page, twice as many at each further level of splitting (at most split_parts), and
# FAR_PARTS windows for the older days beyond them.
NEAR_PARTS = 16
FAR_PARTS = 4
USAGE_CATEGORIES = ("recordingstorage", "recordings")


class _Pool:
    """Worker threads taking tasks by priority (lower first), then in order. Daemon threads,
    unlike ThreadPoolExecutor's, so Ctrl-C never waits for a request stuck in flight before the
    process can exit."""

    LISTING, LATER, STOP = 0, 1, 2

    def __init__(self, size: int) -> None:
        self._tasks: queue.PriorityQueue[tuple[int, int, Callable[..., None] | None, tuple[Any, ...]]] = \
            queue.PriorityQueue()
        self._order = itertools.count()  # next() on a count is atomic under the GIL
        self._threads = [threading.Thread(target=self._work, name=f"reccb-sync-{i}", daemon=True)
                         for i in range(size)]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., None], *args: Any, priority: int = LISTING) -> None:
        self._tasks.put((priority, next(self._order), fn, args))

    def _work(self) -> None:
        while (task := self._tasks.get())[2] is not None:
            task[2](*task[3])

    def shutdown(self, wait: float) -> None:
        """Stop the threads once queued tasks are done (they return at once after a stop)."""
        for _ in self._threads:
            self._tasks.put((self.STOP, next(self._order), None, ()))
        deadline = time.monotonic() + wait
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))


@dataclass(frozen=True)
class SyncOptions:
    """Tuning of a sync; the defaults suit Twilio itself."""

    workers: int = 8                  # concurrent requests across all accounts and windows
    max_rps: float = 100.0            # shared request rate ceiling
    page_size: int = 1000             # never above 1000 (the API's maximum)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 60.0             # seconds per HTTP request
    split_parts: int = 256            # at most this many windows sized by the density a first
                                      # page showed, going back from it, per split
    full: bool = False                # list every day in range, ignoring what is covered
    sweep_days: int = 7               # list covered days again once listed this long ago
    settle_grace: timedelta = timedelta(hours=1)
    batch_rows: int = 2_000           # the free writer loads an account's spooled recordings
                                      # once it has this many ...
    flush_rows: int = 50_000          # ... at most this many per load ...
    flush_seconds: float = 5.0        # ... and any waiting this long, so a kill loses little work
    spool_rows: int = 1_000_000       # workers start no new listing while this many listed
                                      # recordings wait on disk for loading
    wal_mib: int = 256                # DuckDB checkpoints every this many MiB of loads (0: its
                                      # own default, 16 MiB)
    usage: bool = True                # also fetch Usage Records
    load_threads: int = 1             # DuckDB threads for the loads (0: DuckDB's default). A
                                      # load of a few 10,000 recordings gains nothing from a
                                      # second thread (measured: 4 loads of 40,000 took 3.1 s
                                      # CPU on one, 3.5 s on two), and the listing needs the
                                      # other core: 200k recordings synced in 6.7-7.4 s instead
                                      # of 7.1-7.5 s, peak RSS 0.75-0.8 GB instead of 0.9-1.1.

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= 1000:
            raise ValueError("page_size must be between 1 and 1000")
        if not 0 <= self.sweep_days < 40:
            raise ValueError("sweep_days must be between 0 and 39 (deletions stay visible 40 days)")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.load_threads < 0:
            raise ValueError("load_threads must be 0 (DuckDB's default) or more")
        if not 1 <= self.batch_rows <= self.flush_rows <= self.spool_rows:
            raise ValueError("need 1 <= batch_rows <= flush_rows <= spool_rows")


@dataclass
class AccountPlan:
    """What one account needs this run."""

    account: AccountInfo
    windows: list[Window]
    open_set: set[str]
    usage_span: Window | None


@dataclass
class _Buffered:
    path: Path
    rows: int
    window: Window | None = None
    listed_at: datetime | None = None
    gone: list[str] = field(default_factory=list)
    arrived: float = field(default_factory=time.monotonic)


class _AccountRun:
    """One account's progress through a run (main thread, except ``seen_open``/``auth``)."""

    def __init__(self, plan: AccountPlan) -> None:
        self.plan = plan
        self.sid = plan.account.sid
        self.report = AccountReport(plan.account.sid, plan.account.label(),
                                    days_planned=sum(w.days for w in plan.windows))
        self.pending_windows = len(plan.windows)
        self.refetch_pending = 0
        self.refetch_started = False
        self.usage_pending = plan.usage_span is not None
        self.buffer: deque[_Buffered] = deque()
        self.buffered_rows = 0
        self.seen_open: set[str] = set()   # workers add; set.add is atomic under the GIL
        self.auth: tuple[str, str] | None = None  # a subaccount's own token, in memory only
        self.started = time.monotonic()
        self.done = False


class Engine:
    """Runs the plans of one sync; ``run()`` returns a report per account."""

    def __init__(self, con: duckdb.DuckDBPyConnection, transport: Transport,
                 plans: list[AccountPlan], options: SyncOptions, progress: Progress,
                 spool: Spool, run_id: int, load: Callable[..., Any]) -> None:
        self.con = con
        self.transport = transport
        self.options = options
        self.progress = progress
        self.spool = spool
        self.run_id = run_id
        self.load = load
        self.stop = transport.stop
        # Unbounded, so a worker never waits for the writer; what bounds the work in flight is
        # ``spool_rows`` (each event is one spooled window, its recordings on disk, or less).
        self.events: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._room = threading.Condition()
        self._unloaded = 0  # recordings spooled and not loaded yet (guarded by _room)
        self.runs = {p.account.sid: _AccountRun(p) for p in plans}
        self.pool = _Pool(options.workers)

    # ------------------------------------------------------------------ writer (calling thread)
    def run(self) -> list[AccountReport]:
        try:
            self._submit_initial()
            while not all(r.done for r in self.runs.values()):
                # Take in everything that is ready (it is only bookkeeping); wait for more only
                # when there is nothing to load.
                self._take_events(wait=0.0 if self._due() else 0.25)
                run = self._due()
                if run is not None:
                    self._flush(run)
                for run in self.runs.values():
                    self._maybe_finish(run)
        except BaseException:
            self.stop.set()
            self._save_completed()
            # Workers still in a request notice the stop when it returns; nobody waits for them.
            self.pool.shutdown(wait=0.5)
            raise
        self.stop.set()
        self.pool.shutdown(wait=10.0)
        return [r.report for r in self.runs.values()]

    def _submit_initial(self) -> None:
        for run in self.runs.values():
            self.progress.start(run.plan.account, run.report.days_planned)
        # Round-robin over accounts so every account makes progress from the start. Usage
        # records (two requests per account) are queued now but behind every listing, so
        # recordings reach the writer, which bounds the sync, first, and the usage is there
        # when the listing ends instead of being asked for only then.
        queues = [list(r.plan.windows) for r in self.runs.values()]
        runs = list(self.runs.values())
        while any(queues):
            for run, windows in zip(runs, queues):
                if windows:
                    self._submit(run, self._list_window, windows.pop())
        for run in runs:
            if run.plan.usage_span is not None:
                self._submit(run, self._fetch_usage, run.plan.usage_span, priority=_Pool.LATER)

    def _take_events(self, wait: float) -> None:
        try:
            if wait > 0:
                self._handle(self.events.get(timeout=wait))
            while True:
                self._handle(self.events.get_nowait())
        except queue.Empty:
            pass

    def _handle(self, event: tuple[Any, ...]) -> None:
        kind, sid = event[0], event[1]
        run = self.runs[sid]
        if kind == "window":
            _, _, window, path, rows, repeated, listed_at = event
            run.pending_windows -= 1
            run.report.windows += 1
            run.report.listed += rows
            run.report.repeated += repeated
            self._buffer(run, _Buffered(path, rows, window, listed_at))
            self.progress.advance(sid, window.days, rows)
        elif kind == "split":
            # The worker has queued the children itself; this event reaches the writer before
            # any of theirs, so the count never drops to zero early.
            _, _, _, children = event
            run.pending_windows += len(children) - 1
        elif kind == "refetched":
            _, _, path, rows, gone = event
            run.refetch_pending -= 1
            run.report.refetched += rows
            run.report.gone += len(gone)
            self._buffer(run, _Buffered(path, rows, gone=gone))
        elif kind == "usage":
            _, _, records, error = event
            run.usage_pending = False
            if error is not None:
                run.report.usage_error = error
            else:
                run.report.usage_records += state.store_usage(self.con, records, now_utc())
        elif kind == "error":
            raise self._as_error(run, event[2])

    def _as_error(self, run: _AccountRun, exc: BaseException) -> BaseException:
        if isinstance(exc, AuthRefused):
            creds = self.transport.creds
            how = (f"{creds.describe()}" + (" and the subaccount's own token" if run.auth else ""))
            run.report.error = f"credentials refused (HTTP {exc.status})"
            state.finish_account(self.con, run.sid, self.run_id, now_utc(), run.report.listed,
                                 run.report.error)
            return TwilioAuthError(
                f"Twilio refused {how} for account {run.plan.account.label()}: HTTP {exc.status}"
                + (f" (code {exc.code})" if exc.code else "") + f": {exc.message}. "
                "Check TWILIO_ACCOUNT_SID and TWILIO_API_KEY/TWILIO_API_SECRET (or "
                "TWILIO_AUTH_TOKEN), and that they may access this account; to sync the other "
                "accounts meanwhile, name them with --account. Work done so far is saved.")
        if isinstance(exc, TwilioError):
            run.report.error = str(exc)
            state.finish_account(self.con, run.sid, self.run_id, now_utc(), run.report.listed,
                                 run.report.error)
        return exc

    def _buffer(self, run: _AccountRun, item: _Buffered) -> None:
        run.buffer.append(item)
        run.buffered_rows += item.rows

    def _due(self) -> _AccountRun | None:
        """The account whose spooled work to load next, if any is due.

        First whatever has waited ``flush_seconds`` (so a kill loses little), else the account
        with most recordings waiting once it has ``batch_rows``. Loading the biggest batch as
        soon as the writer is free keeps loading overlapped with fetching; while it loads, the
        next batches grow, so a slow writer ends up loading fewer, larger files.
        """
        waiting = [r for r in self.runs.values() if r.buffer]
        if not waiting:
            return None
        oldest = min(waiting, key=lambda r: r.buffer[0].arrived)
        if time.monotonic() - oldest.buffer[0].arrived >= self.options.flush_seconds:
            return oldest
        biggest = max(waiting, key=lambda r: r.buffered_rows)
        return biggest if biggest.buffered_rows >= self.options.batch_rows else None

    def _flush(self, run: _AccountRun) -> None:
        """Load the account's oldest spooled work (at most ``flush_rows`` recordings, unless one
        item alone has more), topped up with other accounts' waiting work to ``flush_rows``,
        then record the windows each account's part covers.

        Mixing accounts makes loads fewer and fuller (each has a fixed cost, and an account's
        last few thousand recordings no longer make a load of their own): 200k recordings over
        5 accounts in 5 loads instead of 10-12, 4.9 -> 4.7 s (medians of 5 in one run; a
        flush_rows of 130,000, past a row group, gained nothing more). Each recording is still
        credited to its own account (``first_seen_in``/``last_seen_in`` = api:<its account>).
        """
        taken: list[tuple[_AccountRun, _Buffered]] = []
        rows = 0
        for source in [run, *(r for r in self.runs.values() if r is not run)]:
            while source.buffer and (not taken or rows + source.buffer[0].rows <= self.options.flush_rows):
                item = source.buffer.popleft()
                source.buffered_rows -= item.rows
                taken.append((source, item))
                rows += item.rows
        parts: dict[str, list[_Buffered]] = {}
        for source, item in taken:
            parts.setdefault(source.sid, []).append(item)
        with_rows = [item.path for _, item in taken if item.rows]
        ingest_id = None
        if with_rows:
            batch = self.spool.concat(run.sid, with_rows)
            loaded_in = [sid for sid, items in parts.items() if any(i.rows for i in items)]
            single = len(loaded_in) == 1
            result = self.load(self.con, batch, kind="recordings", fmt="ndjson",
                               origin=f"api:{loaded_in[0]}" if single else API_BATCH)
            ingest_id = result.ingest_id
            if single:
                credit = {loaded_in[0]: (result.loaded, result.rejected)}
            else:
                credit = state.batch_by_account(self.con, result.ingest_id, loaded_in[0])
            for sid in loaded_in:
                loaded, rejected = credit.get(sid, (0, 0))
                report = self.runs[sid].report
                report.loaded += loaded
                report.rejected += rejected
                report.unchanged += sum(i.rows for i in parts[sid]) - loaded - rejected
            if batch not in with_rows:
                batch.unlink(missing_ok=True)
        for sid, items in parts.items():
            windows = [(i.window, i.listed_at, i.rows) for i in items if i.window is not None]
            state.add_coverage(self.con, sid, windows, self.run_id, ingest_id)  # type: ignore[arg-type]
            state.mark_gone(self.con, sid, [gone for i in items for gone in i.gone], now_utc(), self.run_id)
        for _, item in taken:
            item.path.unlink(missing_ok=True)
        with self._room:
            self._unloaded -= rows
            self._room.notify_all()

    def _maybe_finish(self, run: _AccountRun) -> None:
        if run.done or run.pending_windows > 0:
            return
        if not run.refetch_started:
            # Listing is over: what is still not final, and was not just listed, is fetched by SID.
            run.refetch_started = True
            todo = sorted(run.plan.open_set - run.seen_open)
            for start in range(0, len(todo), REFETCH_CHUNK):
                run.refetch_pending += 1
                self._submit(run, self._refetch, todo[start:start + REFETCH_CHUNK])
        if run.refetch_pending > 0 or run.usage_pending:
            return
        while run.buffer:
            self._flush(run)
        now = now_utc()
        run.report.still_open = len(state.open_set(self.con, run.sid))
        stats = self.transport.stats
        run.report.requests = stats[f"requests:{run.sid}"]
        run.report.retries = stats[f"retries:{run.sid}"]
        run.report.seconds = time.monotonic() - run.started
        state.finish_account(self.con, run.sid, self.run_id, now, run.report.listed)
        state.compact_coverage(self.con, run.sid, now, self.options.settle_grace,
                               self.options.sweep_days)
        run.done = True
        self.progress.finish(run.report)

    def _save_completed(self) -> None:
        """After an error or Ctrl-C: load what finished so a rerun does not fetch it again."""
        try:
            while True:
                event = self.events.get_nowait()
                if event[0] in ("window", "refetched"):
                    self._handle(event)
        except queue.Empty:
            pass
        except BaseException:  # noqa: BLE001 - best effort: the error being raised matters more
            return
        for run in self.runs.values():
            while run.buffer:
                try:
                    self._flush(run)
                except BaseException:  # noqa: BLE001 - as above
                    return

    # ------------------------------------------------------------------ workers
    def _submit(self, run: _AccountRun, fn: Callable[..., None], *args: Any,
                priority: int = _Pool.LISTING) -> None:
        self.pool.submit(self._task, run, fn, *args, priority=priority)

    def _task(self, run: _AccountRun, fn: Callable[..., None], *args: Any) -> None:
        if self.stop.is_set():
            return
        try:
            fn(run, *args)
        except Aborted:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the writer, which stops the sync
            self._emit(("error", run.sid, exc))

    def _emit(self, event: tuple[Any, ...]) -> None:
        if not self.stop.is_set():
            self.events.put(event)

    def _spooled(self, rows: int) -> None:
        with self._room:
            self._unloaded += rows

    def _wait_for_room(self) -> None:
        """Hold a new listing while ``spool_rows`` recordings wait on disk for the writer."""
        with self._room:
            while self._unloaded >= self.options.spool_rows:
                if self.stop.is_set():
                    raise Aborted()
                self._room.wait(0.2)

    def _get(self, run: _AccountRun, uri: str, params: dict[str, Any] | None,
             parse: Callable[[str], Any] = json.loads) -> Any:
        """GET as the parent; if a subaccount refuses that, once more with its own token."""
        auth = run.auth  # what this request uses, whatever other workers switch to meanwhile
        try:
            return self.transport.get_json(uri, params, auth=auth, key=run.sid, parse=parse)
        except AuthRefused:
            account = run.plan.account
            if auth is not None or not account.is_subaccount or not account.auth_token:
                raise
            run.auth = (account.sid, account.auth_token)
            return self.transport.get_json(uri, params, auth=run.auth, key=run.sid, parse=parse)

    def _list_window(self, run: _AccountRun, window: Window, depth: int = 0) -> None:
        self._wait_for_room()
        listed_at = now_utc()
        params: dict[str, Any] | None
        if window.days == 1:
            params = {"DateCreated": window.first.isoformat()}
        else:
            params = {"DateCreated>": window.first.isoformat(), "DateCreated<": window.last.isoformat()}
        params.update(IncludeSoftDeleted="true", PageSize=self.options.page_size)  # ≤ 1000, always
        uri = f"{API}/Accounts/{run.sid}/Recordings.json"
        path = self.spool.new_path(run.sid)
        seen: set[str] = set()
        repeated = pages = 0
        open_set = run.plan.open_set
        with open(path, "w", encoding="utf-8") as out:
            while True:
                page = self._get(run, uri, params, parse=_recordings_page)
                pages += 1
                next_uri = page.meta.get("next_page_uri")
                if pages == 1 and next_uri and window.days > 1:
                    days = [d for d in (utc_day(o.get("date_created") or "") for o, _ in page.items) if d]
                    size = self.options.page_size
                    if worth_splitting(window, len(page.items), days, size):
                        # Many pages: list smaller windows in parallel instead. The children are
                        # queued here, not by the writer, so discovery never waits for a load;
                        # the event goes first, so the writer counts them before their results.
                        near = min(self.options.split_parts, NEAR_PARTS << min(depth, 16))
                        children = split(window, len(page.items), days, size,
                                         max_parts=near, far_parts=FAR_PARTS)
                        out.close()
                        path.unlink(missing_ok=True)
                        self._emit(("split", run.sid, window, children))
                        # Newest first: the days next to the page are known to hold recordings,
                        # the far ones (last) may hold none.
                        for child in reversed(children):
                            self._submit(run, self._list_window, child, depth + 1)
                        return
                texts = []
                for item, text in page.items:
                    sid = item.get("sid")
                    if sid in seen:
                        repeated += 1  # the API repeated it across pages: keep one copy
                        continue
                    seen.add(sid)
                    if sid in open_set:
                        run.seen_open.add(sid)
                    texts.append(text)  # exactly as the API returned it
                if texts:
                    texts.append("")
                    out.write("\n".join(texts))
                if not next_uri:
                    break
                if next_uri == uri:
                    raise TwilioError(f"the API returned the same next page again for {uri}")
                uri, params = next_uri, None
                if self.stop.is_set():
                    raise Aborted()
        self._spooled(len(seen))
        self._emit(("window", run.sid, window, path, len(seen), repeated, listed_at))

    def _refetch(self, run: _AccountRun, sids: list[str]) -> None:
        path = self.spool.new_path(run.sid, "fetch")
        rows, gone = 0, []
        with open(path, "w", encoding="utf-8") as out:
            for sid in sids:
                try:
                    text = self._get(run, f"{API}/Accounts/{run.sid}/Recordings/{sid}.json",
                                     {"IncludeSoftDeleted": "true"}, parse=_one_line_object)
                except NotFound:
                    gone.append(sid)
                    continue
                out.write(text)
                out.write("\n")
                rows += 1
        self._spooled(rows)
        self._emit(("refetched", run.sid, path, rows, gone))

    def _fetch_usage(self, run: _AccountRun, span: Window) -> None:
        records: list[dict[str, Any]] = []
        try:
            for category in USAGE_CATEGORIES:
                uri: str | None = f"{API}/Accounts/{run.sid}/Usage/Records/Monthly.json"
                params: dict[str, Any] | None = {
                    "Category": category, "StartDate": span.first.replace(day=1).isoformat(),
                    "EndDate": span.last.isoformat(), "PageSize": self.options.page_size}
                while uri:
                    page = self._get(run, uri, params)
                    records.extend(r for r in page.get("usage_records") or [] if isinstance(r, dict))
                    uri, params = page.get("next_page_uri"), None
        except (NotFound, TwilioError) as exc:
            # Usage is secondary: a failure is reported, the recordings sync goes on.
            self._emit(("usage", run.sid, [], str(exc)))
            return
        self._emit(("usage", run.sid, records, None))


def _recordings_page(text: str) -> Page:
    return split_page(text, "recordings")


def _one_line_object(text: str) -> str:
    """A fetched object's text as one NDJSON line (ValueError if it is not a complete object)."""
    obj = json.loads(text)
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")  # noqa: TRY004 - means "bad body": retried
    text = text.strip()
    return text if "\n" not in text and "\r" not in text else json.dumps(obj, ensure_ascii=False)


def plan_account(con: duckdb.DuckDBPyConnection, account: AccountInfo, since: date | None,
                 until: date | None, now: datetime, options: SyncOptions) -> AccountPlan:
    """Which windows to list (the range minus what is covered), what to re-fetch, which usage."""
    today = now.date()
    created = account.date_created.date() if account.date_created else None
    # Recordings are billed for as long as they exist: by default go back to the account's
    # creation, not to an arbitrary horizon; nothing can predate the account.
    first = max(d for d in (since, created) if d is not None) if (since or created) else today
    last = min(until or today, today)
    if first > last:
        return AccountPlan(account, [], state.open_set(con, account.sid), None)
    span = Window(first, last)
    covered = [] if options.full else state.usable_coverage(
        con, account.sid, now, options.settle_grace, options.sweep_days)
    # Days that will not be settled even when listed now (today, and yesterday within the
    # grace) get windows of their own, so the next run lists only them again.
    settled_through = (now - options.settle_grace).date() - timedelta(days=1)
    windows = cut_at(subtract(span, covered), settled_through)
    return AccountPlan(account, windows, state.open_set(con, account.sid),
                       span if options.usage else None)
