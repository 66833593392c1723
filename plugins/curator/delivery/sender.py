"""Several SMTP connections sending one issue, with every delivery durable before its final dot.

Each worker thread owns one connection and has at most one message in flight; its row is
claimed (`sending`) in the same commit that records the worker's previous outcome, while
MAIL, RCPT and DATA go out, and the message is written only once that commit is durable. One writer thread commits
what all the
workers ask for together (group commit: one fsync for many messages), so a kill at any
moment leaves at most one `sending` row per connection, and those become `unknown`.

Recipients are read from the database a page at a time (memory stays flat in the list's
size). `--rate` is one schedule shared by all connections: it spaces the writes of the
messages themselves. A deferred recipient is tried
again after a doubling back-off, up to SEND_RETRIES times in this run; after
SEND_MAX_FAILURES failures in a row (4xx, dropped connections, unknown replies, refusals)
the run stops and says to try later. A failed database write stops every worker before
its next message.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
import queue
import threading
import time
from dataclasses import dataclass, field

from . import deliveries
from .database import Database, StateError
from .deliveries import Event, Run
from .message import Built, Recipient, personalise
from .relay import SmtpConfig
from .smtp import Attempt, ConnectError, Connection, Result
from .tokens import Signer

logger = logging.getLogger(__name__)

EVENT = {Result.SENT: Event.ACCEPTED, Result.REFUSED: Event.REFUSED, Result.DEFERRED: Event.DEFERRED,
         Result.UNKNOWN: Event.LOST, Result.FATAL: Event.DEFERRED, Result.WITHHELD: Event.DEFERRED}
PAGE = 200


@dataclass
class Plan:
    niche: str
    issue: int
    built: Built
    connections: int
    rate: float | None
    limit: int | None
    retry_unknown: bool
    retries: int
    retry_delay: float
    max_failures: int
    tokens: Signer | None = None  # when the email carries one-click unsubscribe links


@dataclass
class Item:
    recipient: Recipient
    key: str
    tries: int = 0


@dataclass
class Tally:
    """What this run did, kept in memory too (the summary's fallback when the database cannot be read)."""

    counts: collections.Counter = field(default_factory=collections.Counter)
    stopped: str | None = None
    database_failed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: str) -> None:
        with self.lock:
            self.counts[outcome] += 1

    def stop(self, reason: str) -> None:
        with self.lock:
            self.stopped = self.stopped or reason


class Schedule:
    """--rate across every connection: each transaction takes the next free slot."""

    def __init__(self, rate: float | None):
        self.interval = 1.0 / rate if rate else 0.0
        self.next = 0.0
        self.lock = threading.Lock()

    def wait(self, stop: threading.Event) -> None:
        if not self.interval:
            return
        with self.lock:
            slot = max(time.monotonic(), self.next)
            self.next = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            stop.wait(delay)


class Breaker:
    """Counts failures in a row across all connections; trips at `limit`."""

    def __init__(self, limit: int):
        self.limit, self.count = limit, 0
        self.lock = threading.Lock()

    def success(self) -> None:
        with self.lock:
            self.count = 0

    def failure(self) -> bool:
        with self.lock:
            self.count += 1
            return self.count >= self.limit


class Feed:
    """Who is next: a recipient put back, a deferred one whose back-off is over, or the next from the list."""

    def __init__(self, db: Database, plan: Plan):
        self.db, self.plan = db, plan
        self.lock = threading.Lock()
        self.front: collections.deque[Item] = collections.deque()
        self.buffer: collections.deque[Item] = collections.deque()
        self.retries: list[tuple[float, int, Item]] = []
        self.order = itertools.count()
        self.after, self.exhausted, self.given, self.active = 0, False, 0, 0

    def _load(self) -> None:
        p = self.plan
        with self.db.transaction(write=False) as tx:
            rows = deliveries.pending_page(tx, p.niche, p.issue, self.after, PAGE, p.retry_unknown)
        self.exhausted = len(rows) < PAGE
        if rows:
            self.after = rows[-1][0]
        sign = p.tokens.unsubscribe if p.tokens else (lambda niche, address: "")
        self.buffer.extend(Item(Recipient(p.niche, address, name, sign(p.niche, address)), key)
                           for _, key, address, name in rows)

    def _take(self) -> Item | None:
        if self.front:
            return self.front.popleft()
        if self.retries and self.retries[0][0] <= time.monotonic():
            return heapq.heappop(self.retries)[2]
        if self.plan.limit is None or self.given < self.plan.limit:
            if not self.buffer and not self.exhausted:
                self._load()
            if self.buffer:
                self.given += 1
                return self.buffer.popleft()
        return None

    def next(self, stop: threading.Event, idle=None) -> Item | None:
        """The next item (the caller must `finish` it), or None when nothing is left to try. `idle` is
        called once before waiting (a worker commits what it holds, rather than sit on it)."""
        while not stop.is_set():
            with self.lock:
                item = self._take()
                if item is not None:
                    self.active += 1
                    return item
                if not self.retries and not self.active:
                    return None
                wait = self.retries[0][0] - time.monotonic() if self.retries else 0.05
            if idle is not None:
                idle()
                idle = None
            stop.wait(min(max(wait, 0.001), 0.05))
        return None

    def finish(self, item: Item, retry_in: float | None = None, put_back: bool = False) -> None:
        with self.lock:
            self.active -= 1
            if put_back:
                self.front.append(item)
            elif retry_in is not None:
                heapq.heappush(self.retries, (time.monotonic() + retry_in, next(self.order), item))


class _Request:
    __slots__ = ("outcome", "claim", "claimed", "error", "done")

    def __init__(self, outcome, claim):
        self.outcome, self.claim, self.claimed, self.error = outcome, claim, False, None
        self.done = threading.Event()


class Writer:
    """The one thread that writes deliveries: every request waiting is committed in one transaction."""

    def __init__(self, db: Database, plan: Plan, run: Run):
        self.db, self.plan, self.run = db, plan, run
        self.requests: queue.Queue = queue.Queue()
        self.error: StateError | None = None
        self.commits = 0
        self.thread = threading.Thread(target=self._loop, name="openhand-writer", daemon=True)
        self.thread.start()

    def submit(self, outcome: tuple[Item, Attempt] | None = None, claim: Item | None = None) -> _Request:
        """Queue an outcome and/or a claim for the next commit; `wait` for it to be durable."""
        if self.error:
            raise self.error
        request = _Request(outcome, claim)
        self.requests.put(request)
        return request

    @staticmethod
    def wait(request: _Request) -> bool:
        """Durable when it returns: the outcome recorded, then the claim tried (True if this run has it)."""
        request.done.wait()
        if request.error:
            raise request.error
        return request.claimed

    def commit(self, outcome: tuple[Item, Attempt] | None = None, claim: Item | None = None) -> bool:
        return self.wait(self.submit(outcome, claim))

    def close(self) -> None:
        self.requests.put(None)
        self.thread.join()

    def _loop(self) -> None:
        while True:
            try:
                first = self.requests.get(timeout=deliveries.HEARTBEAT_SECONDS)
            except queue.Empty:
                first = _Request(None, None)  # an idle heartbeat: the send is still ours
            batch, closing = ([], True) if first is None else ([first], False)
            while not closing:
                try:
                    more = self.requests.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    closing = True
                else:
                    batch.append(more)
            if batch:
                self._write(batch)
            if closing:
                return

    def _write(self, batch: list[_Request]) -> None:
        p, run = self.plan, self.run
        if self.error is None:
            try:
                with self.db.transaction() as tx:
                    if not deliveries.heartbeat(tx, p.niche, p.issue, run):
                        raise StateError(f"another run took over issue {p.issue} of {p.niche} in {self.db.display}; "
                                         "this one stops")
                    for request in batch:
                        if request.outcome:
                            item, attempt = request.outcome
                            deliveries.record(tx, p.niche, p.issue, item.key, EVENT[attempt.result], attempt.detail,
                                              run)
                    for request in batch:
                        if request.claim:
                            item = request.claim
                            request.claimed = deliveries.claim(tx, p.niche, p.issue, item.key,
                                                               item.recipient.address, run, p.retry_unknown)
                self.commits += 1
            except StateError as exc:
                self.error = exc
        for request in batch:
            request.error = self.error
            request.done.set()


class Sender:
    """Runs the workers; `run()` returns when every one has stopped (finished, halted or interrupted)."""

    def __init__(self, db: Database, plan: Plan, config: SmtpConfig, run: Run, step=None, stop=None):
        self.db, self.plan, self.config, self.run_id = db, plan, config, run
        self.step = step or (lambda address, outcome: None)
        self.stop = stop or threading.Event()
        self.tally = Tally()
        self.feed = Feed(db, plan)
        self.schedule = Schedule(plan.rate)
        self.breaker = Breaker(plan.max_failures)
        self.writer: Writer | None = None

    def halt(self, reason: str) -> None:
        self.tally.stop(reason)
        self.stop.set()

    def run(self) -> Tally:
        self.writer = Writer(self.db, self.plan, self.run_id)
        workers = [threading.Thread(target=self._work, name=f"openhand-smtp-{i}", daemon=True)
                   for i in range(self.plan.connections)]
        for worker in workers:
            worker.start()
        for worker in workers:
            while worker.is_alive():
                worker.join(0.2)  # short joins: the main thread stays free for Ctrl-C
        self.writer.close()
        return self.tally

    def _work(self) -> None:
        connection = Connection(self.config)
        writer = self.writer
        assert writer is not None  # run() made it
        pending: list[tuple[Item, Attempt]] = []  # this worker's last outcome, committed with its next claim

        def flush() -> None:
            if pending:
                writer.commit(outcome=pending.pop())

        try:
            while not self.stop.is_set():
                item = self.feed.next(self.stop, idle=flush)
                if item is None:
                    break
                if not connection.is_open and not self._open(connection, item):
                    continue
                # The claim is committed while MAIL, RCPT and DATA go out; the message itself is written
                # only once the claim is durable and --rate gives it its slot (withheld if another run holds
                # the row, or the run is stopping).
                request = writer.submit(outcome=pending.pop() if pending else None, claim=item)

                def ready(request=request) -> bool:
                    if not writer.wait(request):
                        return False
                    self.schedule.wait(self.stop)
                    return not self.stop.is_set()

                attempt = self._send(connection, item, ready)
                if not writer.wait(request):  # another run has it (or it was sent meanwhile)
                    self.feed.finish(item)
                    continue
                item.tries += 1
                retry_in = self._account(item, attempt)
                pending.append((item, attempt))
                if retry_in is not None:
                    flush()  # `deferred` must be on record before anyone claims it again
                self.feed.finish(item, retry_in=retry_in)
            flush()
        except StateError as exc:
            self.tally.database_failed = True
            self.halt(str(exc))
        finally:
            connection.quit()

    def _open(self, connection: Connection, item: Item) -> bool:
        try:
            connection.open(time.monotonic() + self.config.deadline)
            return True
        except ConnectError as exc:
            self.feed.finish(item, put_back=True)
            if exc.fatal:
                self.halt(str(exc))
            elif self.breaker.failure():
                self.halt(self._tripped(str(exc)))
            else:
                logger.warning("%s; trying again in %.1f s", exc, self.plan.retry_delay)
                self.stop.wait(self.plan.retry_delay)
            return False

    def _send(self, connection: Connection, item: Item, ready) -> Attempt:
        data = personalise(self.plan.built.data, item.recipient)
        try:
            return connection.send(self.plan.built.sender, item.recipient.address, data,
                                   time.monotonic() + self.config.deadline, ready)
        except ConnectError as exc:  # the connection had closed and could not be opened again
            return Attempt(Result.DEFERRED, str(exc))

    def _tripped(self, detail: str) -> str:
        return (f"{self.plan.max_failures} failures in a row (SEND_MAX_FAILURES), the last: {detail}; the relay is "
                "not taking messages now: try again later (nothing is sent twice)")

    def _account(self, item: Item, attempt: Attempt) -> float | None:
        """Breaker, log and output for one attempt; returns the back-off when it is to be tried again."""
        address, result = item.recipient.address, attempt.result
        retry_in = None
        if result is Result.SENT:
            self.breaker.success()
        elif result is Result.WITHHELD:  # the run is stopping: never written, so simply not sent
            result = Result.DEFERRED
        elif result is Result.FATAL:
            self.halt(attempt.detail)
        elif self.breaker.failure():
            self.halt(self._tripped(f"{address}: {attempt.detail}"))
        elif result is Result.DEFERRED and item.tries < self.plan.retries:
            retry_in = self.plan.retry_delay * 2 ** (item.tries - 1)
            logger.warning("%s: %s; trying again in %.1f s (try %s of %s)", address, attempt.detail, retry_in,
                           item.tries + 1, self.plan.retries)
        if retry_in is None:
            outcome = "deferred" if result is Result.FATAL else result.value
            self.tally.add(outcome)
            self.step(address, outcome)
        return retry_in
