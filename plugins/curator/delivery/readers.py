"""What readers do to the list by themselves, and what their mail servers report: one owner for the rules.

The list endpoint and `openhand inbox` both come here:

* ask: an address not on the list is added `unconfirmed` (it receives nothing); one already on it keeps
  its status until the reader confirms. One address is sent at most one confirmation per
  LIST_CONFIRM_INTERVAL, on every instance (the gate is a row in the database, keyed by a digest).
* confirm: `subscribed`, whatever the address was before: the reader pressed Confirm in a mail sent
  to that address. Its soft bounces are forgotten. A confirmation link made before the address left
  (unsubscribed, bounced, complained) is STALE: replaying an old link never undoes a later no.
* leave: `unsubscribed` (bounced and complained stay as they are).
* bounce / soft_bounce / complain: `bounced` at once; `bounced` after INBOX_SOFT_BOUNCES reports
  (each report counted once, however often it is read); `complained` over anything else.

Unconfirmed rows the endpoint added are deleted once their confirmation has expired, and limit
rows once their time is up (`housekeeping`): nothing is kept of someone who never confirmed.
"""

from __future__ import annotations

import datetime as dt
import enum

from .database import Database, now
from .ratelimit import release_gate, take_gate
from .subscribers import RANK, STICKY, address_key, ensure, set_status

SOURCE = "list endpoint"


class Outcome(str, enum.Enum):
    ASKED = "asked"          # a confirmation may be sent
    LIMITED = "limited"      # one was sent to this address too recently
    CHANGED = "changed"
    ALREADY = "already"      # nothing to change (a repeat, or a status that stays)
    COUNTED = "counted"      # a soft bounce counted, not yet enough
    STALE = "stale"          # a confirmation older than the address's unsubscribe, bounce or complaint


def _stamp(seconds_from_now: float) -> str:
    return _at(dt.datetime.now(dt.UTC).timestamp() + seconds_from_now)


def _at(epoch: float) -> str:
    """Seconds since the epoch as stored in the *_at columns (database.now's format)."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ask(db: Database, niche: str, address: str, gate: str, interval: float) -> Outcome:
    """Record a request to subscribe; LIMITED (and nothing written) when the gate is shut."""
    with db.transaction() as tx:
        if not take_gate(tx, gate, now(), _stamp(interval)):
            return Outcome.LIMITED
        ensure(tx, niche, address, "unconfirmed", SOURCE)
    return Outcome.ASKED


def unask(db: Database, gate: str) -> None:
    """The confirmation could not be sent: the reader may try again at once."""
    with db.transaction() as tx:
        release_gate(tx, gate)


def housekeeping(db: Database, confirm_seconds: float) -> tuple[int, int]:
    """Delete the endpoint's unconfirmed rows whose confirmation expired, and limit rows whose time is up."""
    cutoff = _stamp(-confirm_seconds)
    with db.transaction() as tx:
        stale = tx.execute("DELETE FROM subscribers WHERE status = 'unconfirmed' AND source = ? AND updated_at < ?",
                           (SOURCE, cutoff)).rowcount
        limits = tx.execute("DELETE FROM rate_limits WHERE until < ?", (now(),)).rowcount
    return stale, limits


def confirm(db: Database, niche: str, address: str, issued: float | None = None) -> Outcome:
    """Subscribed; STALE (nothing written) when the link was made (`issued`, epoch seconds) before the address
    left. The check and the write are two transactions: only the reader's own unsubscribe in the same instant
    as their press of an old Confirm could fall between them."""
    if issued is not None:
        with db.transaction(write=False) as tx:
            row = tx.one("SELECT status, updated_at FROM subscribers WHERE niche = ? AND address_key = ?",
                         (niche, address_key(address)))
        if row and row[0] in STICKY and row[1] > _at(issued):
            return Outcome.STALE
    outcome, _ = set_status(db, niche, address, "subscribed", source=SOURCE, force=True)
    with db.transaction() as tx:
        tx.execute("DELETE FROM soft_bounces WHERE niche = ? AND address_key = ?", (niche, address_key(address)))
    return Outcome.ALREADY if outcome == "already" else Outcome.CHANGED


def leave(db: Database, niche: str, address: str, source: str) -> Outcome:
    outcome, _ = set_status(db, niche, address, "unsubscribed", source=source)
    return Outcome.CHANGED if outcome in ("changed", "added") else Outcome.ALREADY


def bounce(db: Database, niche: str, address: str, source: str) -> Outcome:
    outcome, _ = set_status(db, niche, address, "bounced", source=source)
    return Outcome.CHANGED if outcome in ("changed", "added") else Outcome.ALREADY


def soft_bounce(db: Database, niche: str, address: str, report: str, limit: int, source: str) -> tuple[Outcome, int]:
    """Count one temporary failure (the report's key counts once); bounced at `limit`. (outcome, count)."""
    with db.transaction() as tx:
        tx.execute("INSERT INTO soft_bounces (niche, address_key, message_key, at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (niche, address_key, message_key) DO NOTHING",
                   (niche, address_key(address), report, now()))
        count = tx.one("SELECT COUNT(*) FROM soft_bounces WHERE niche = ? AND address_key = ?",
                       (niche, address_key(address)))[0]
    if count < limit:
        return Outcome.COUNTED, count
    return bounce(db, niche, address, source), count


def complain(db: Database, niche: str, address: str, source: str) -> Outcome:
    """Complained: over unsubscribed and bounced too (the strongest no), never undone by an import."""
    outcome, row = set_status(db, niche, address, "complained", source=source)
    if outcome == "already" and RANK[row.status] < RANK["complained"]:
        outcome, row = set_status(db, niche, address, "complained", source=source, force=True)
    return Outcome.CHANGED if outcome in ("changed", "added") else Outcome.ALREADY
