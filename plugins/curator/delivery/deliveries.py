"""Deliveries: one row per (niche, issue, address), moved through a small state machine.

    (none) ──claim──► sending ──250 after the final dot──────────► sent       (final)
    deferred ─claim─►    │ ──5xx───────────────────────────────────► refused    (a later run tries again)
    refused ──claim─►    │ ──4xx, or a failure before the dot ─────► deferred   (retried with back-off)
                         │ ──a failure after the dot was written ──► unknown    (never retried by itself)
                         └ ──still `sending` when a run starts ────► unknown
    unknown ──retry (the editor's --retry-unknown)──► sending

A claim is a compare-and-set in the database (the row moves to `sending` only from a
claimable state), committed before the message itself is written (the sender overlaps the
commit with MAIL, RCPT and DATA); so two runs, two threads or two machines can never both
send one row. The transition rules are pure
(`next_state`); the SQL below only ever applies them.
"""

from __future__ import annotations

import enum
import os
import socket
import uuid
from dataclasses import dataclass, field

from .database import Tx, now


class State(str, enum.Enum):
    SENDING = "sending"
    SENT = "sent"
    REFUSED = "refused"
    DEFERRED = "deferred"
    UNKNOWN = "unknown"


class Event(str, enum.Enum):
    CLAIM = "claim"          # this run is about to send it
    ACCEPTED = "accepted"    # 250 to the final dot
    REFUSED = "refused"      # 5xx
    DEFERRED = "deferred"    # 4xx, or a failure before the final dot was written
    LOST = "lost"            # a failure after the final dot was written: the relay may have it
    RECOVER = "recover"      # found `sending` when a run starts: the run sending it died
    RETRY = "retry"          # the editor's --retry-unknown


TRANSITIONS: dict[tuple[State | None, Event], State] = {
    (None, Event.CLAIM): State.SENDING,
    (State.DEFERRED, Event.CLAIM): State.SENDING,
    (State.REFUSED, Event.CLAIM): State.SENDING,
    (State.UNKNOWN, Event.RETRY): State.SENDING,
    (State.SENDING, Event.ACCEPTED): State.SENT,
    (State.SENDING, Event.REFUSED): State.REFUSED,
    (State.SENDING, Event.DEFERRED): State.DEFERRED,
    (State.SENDING, Event.LOST): State.UNKNOWN,
    (State.SENDING, Event.RECOVER): State.UNKNOWN,
}


class InvalidTransition(ValueError):
    pass


def next_state(state: State | None, event: Event) -> State:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidTransition(f"a delivery that is {state.value if state else 'new'} cannot be {event.value}") \
            from None


def claimable(retry_unknown: bool) -> tuple[State, ...]:
    """The states a run may move to `sending` (besides no row at all)."""
    events = {Event.CLAIM, Event.RETRY} if retry_unknown else {Event.CLAIM}
    return tuple(s for (s, e), t in TRANSITIONS.items() if s is not None and e in events and t is State.SENDING)


def _in(states) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in states) + ")"


# --- who runs the send of an issue ----------------------------------------------------------

LEASE_SECONDS = 120      # another machine's run counts as alive this long after its last heartbeat
HEARTBEAT_SECONDS = 10


def _proc_start(pid: int) -> str | None:
    """The process's start time (Linux: clock ticks since boot), None if no such live process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    except OSError:
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return None
        return ""
    return None if fields[0] in ("Z", "X") else fields[19]


@dataclass(frozen=True)
class Run:
    """This process's claim on an issue's send."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    @property
    def start(self) -> str:
        return _proc_start(self.pid) or ""


_ACTIVE: set[str] = set()  # runs of this process that hold an issue's send


def alive(owner: str, host: str | None, pid: int | None, start: str | None, heartbeat: str | None,
          clock: str) -> bool:
    """Whether the run that holds an issue's send is still going: in this process by its record, on this
    machine by its process, elsewhere by its heartbeat (ISO UTC strings compare in time order)."""
    if host == socket.gethostname() and pid == os.getpid():
        return owner in _ACTIVE
    if host == socket.gethostname() and pid:
        current = _proc_start(pid)
        return current is not None and (not start or not current or current == start)
    if not heartbeat:
        return False
    from datetime import datetime, timedelta

    stamp = datetime.strptime(heartbeat, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=LEASE_SECONDS)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ") > clock


class Busy(Exception):
    """Another run holds this issue's send."""


@dataclass
class Start:
    already_sent: int
    recovered: list[str]              # `sending` when we started: now unknown
    unknown: list[str]                # unknown from earlier runs (not sent again unless --retry-unknown)
    unknown_count: int
    previous_fingerprint: str | None


def begin(tx: Tx, niche: str, issue: int, run: Run, fingerprint: str, limit: int = 50) -> Start:
    """In ONE transaction: take the issue's send (or raise Busy), turn what a dead run left `sending`
    into `unknown`, and read what the deliveries already hold."""
    clock = now()
    tx.execute("INSERT INTO sends (niche, issue) VALUES (?, ?) ON CONFLICT (niche, issue) DO NOTHING", (niche, issue))
    owner, host, pid, start, beat, fp = tx.one(
        "SELECT owner, host, pid, pid_start, heartbeat, fingerprint FROM sends WHERE niche = ? AND issue = ?"
        + tx.for_update, (niche, issue))
    if owner and alive(owner, host, pid, start, beat, clock):
        raise Busy(f"another send of this issue is running (process {pid} on {host}, last seen {beat})")
    where = "niche = ? AND issue = ?"
    recovered = [r[0] for r in tx.all(f"SELECT address FROM deliveries WHERE {where} AND state = 'sending' "
                                      f"ORDER BY address_key LIMIT {int(limit)}", (niche, issue))]
    detail = "the run sending it stopped before the relay's reply was recorded; it may have been delivered"
    tx.execute(f"UPDATE deliveries SET state = 'unknown', detail = ?, updated_at = ? WHERE {where} "
               "AND state = 'sending'", (detail, clock, niche, issue))
    counts = dict(tx.all(f"SELECT state, COUNT(*) FROM deliveries WHERE {where} GROUP BY state", (niche, issue)))
    unknown = [r[0] for r in tx.all(f"SELECT address FROM deliveries WHERE {where} AND state = 'unknown' "
                                    f"ORDER BY address_key LIMIT {int(limit)}", (niche, issue))]
    tx.execute("UPDATE sends SET owner = ?, host = ?, pid = ?, pid_start = ?, heartbeat = ?, started_at = ?, "
               f"fingerprint = COALESCE(fingerprint, ?) WHERE {where}",
               (run.id, run.host, run.pid, run.start, clock, clock, fingerprint, niche, issue))
    _ACTIVE.add(run.id)
    return Start(counts.get("sent", 0), recovered, unknown, counts.get("unknown", 0), fp)


def heartbeat(tx: Tx, niche: str, issue: int, run: Run) -> bool:
    """Still ours? (False: another run took the issue over, so this one must stop.)"""
    cursor = tx.execute("UPDATE sends SET heartbeat = ? WHERE niche = ? AND issue = ? AND owner = ?",
                        (now(), niche, issue, run.id))
    return cursor.rowcount == 1


def release(tx: Tx, niche: str, issue: int, run: Run, fingerprint: str) -> None:
    """Give the issue's send back (the run has ended; this process no longer counts it as alive)."""
    _ACTIVE.discard(run.id)
    tx.execute("UPDATE sends SET owner = NULL, heartbeat = ?, fingerprint = ? WHERE niche = ? AND issue = ? "
               "AND owner = ?", (now(), fingerprint, niche, issue, run.id))


# --- rows -------------------------------------------------------------------------------------

def claim(tx: Tx, niche: str, issue: int, key: str, address: str, run: Run, retry_unknown: bool) -> bool:
    """Move one delivery to `sending` for this run if its state allows (a compare-and-set)."""
    cursor = tx.execute(
        "INSERT INTO deliveries (niche, issue, address_key, address, state, attempts, run, updated_at) "
        "VALUES (?, ?, ?, ?, 'sending', 1, ?, ?) ON CONFLICT (niche, issue, address_key) DO UPDATE SET "
        "state = 'sending', attempts = deliveries.attempts + 1, run = excluded.run, address = excluded.address, "
        f"updated_at = excluded.updated_at WHERE deliveries.state IN {_in(claimable(retry_unknown))}",
        (niche, issue, key, address, run.id, now()))
    return cursor.rowcount == 1


def record(tx: Tx, niche: str, issue: int, key: str, event: Event, detail: str, run: Run) -> bool:
    """The outcome of this run's transaction; False if the row is no longer this run's `sending`."""
    state = next_state(State.SENDING, event)
    cursor = tx.execute("UPDATE deliveries SET state = ?, detail = ?, updated_at = ? WHERE niche = ? AND issue = ? "
                        "AND address_key = ? AND state = 'sending' AND run = ?",
                        (state.value, " ".join(detail.split())[:500], now(), niche, issue, key, run.id))
    return cursor.rowcount == 1


_PENDING = ("FROM subscribers s LEFT JOIN deliveries d ON d.niche = s.niche AND d.issue = ? "
            "AND d.address_key = s.address_key WHERE s.niche = ? AND s.status = 'subscribed' "
            "AND (d.state IS NULL OR d.state IN {states})")


def pending_page(tx: Tx, niche: str, issue: int, after: int, limit: int, retry_unknown: bool) -> list[tuple]:
    """The next subscribers (id, address_key, address, name) this issue may go to, in list order."""
    sql = _PENDING.format(states=_in(claimable(retry_unknown)))
    return tx.all(f"SELECT s.id, s.address_key, s.address, s.name {sql} AND s.id > ? ORDER BY s.id "
                  f"LIMIT {int(limit)}", (issue, niche, after))


def pending_count(tx: Tx, niche: str, issue: int, retry_unknown: bool) -> int:
    return tx.one(f"SELECT COUNT(*) {_PENDING.format(states=_in(claimable(retry_unknown)))}", (issue, niche))[0]


def outcomes(tx: Tx, niche: str, issue: int, run: Run, limit: int = 50) -> tuple[dict[str, int], dict[str, list]]:
    """This run's counts by state, and up to `limit` (address, detail) per state that is not `sent`."""
    where = "niche = ? AND issue = ? AND run = ?"
    counts = dict(
        tx.all(f"SELECT state, COUNT(*) FROM deliveries WHERE {where} GROUP BY state", (niche, issue, run.id))
    )
    named = {}
    for state in (State.REFUSED, State.DEFERRED, State.UNKNOWN, State.SENDING):
        if counts.get(state.value):
            named[state.value] = tx.all(f"SELECT address, detail FROM deliveries WHERE {where} AND state = ? "
                                        f"ORDER BY address_key LIMIT {int(limit)}", (niche, issue, run.id, state.value))
    return counts, named
