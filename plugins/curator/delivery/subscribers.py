"""A niche's subscribers, in the state database: one row per (niche, address), compared case-insensitively.

Statuses: subscribed (gets issues), unconfirmed (asked, not yet confirmed: gets nothing),
unsubscribed, bounced, complained. The last three are sticky: no import turns them back
into subscribed or unconfirmed, and when one file lists an address twice in different
case the stickier status wins. `unsubscribe` of an address not on the list records it,
so that no later import adds it. The rules are pure functions; the commands are thin.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from email.utils import parseaddr

from ..model.settings import SettingsError, content_dir
from .database import Database, now
from .importers import FORMULA_START, Row, formula_safe, read_export

STATUSES = ("subscribed", "unconfirmed", "unsubscribed", "bounced", "complained")
STICKY = frozenset({"unsubscribed", "bounced", "complained"})
RANK = {"unconfirmed": 0, "subscribed": 1, "unsubscribed": 2, "bounced": 3, "complained": 4}
FIELDS = ("email", "name", "status", "since", "source")

# RFC 5322 dot-atom local part and a DNS host name with a letter TLD: strict on
# purpose, since a relay refuses what this lets through anyway.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS_RE = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})$")


@dataclass(frozen=True)
class Subscriber:
    email: str
    name: str = ""
    status: str = "subscribed"
    since: str = ""
    source: str = ""

    @property
    def key(self) -> str:
        return address_key(self.email)


def address_key(address: str) -> str:
    """Addresses are compared case-insensitively (what every provider does in practice)."""
    return address.strip().casefold()


def check_address(value: str) -> tuple[str, str, str | None]:
    """(address, display name, problem) from 'a@b.org' or 'Name <a@b.org>'; problem is None if it is fine."""
    value = (value or "").strip()
    if not value:
        return "", "", "no email address"
    if any(c in value for c in "\r\n\0"):
        return "", "", "holds a line break"
    if value.startswith(FORMULA_START):
        return value, "", f"starts with {value[0]!r}, which a spreadsheet runs as a formula"
    name, address = parseaddr(value) if "<" in value else ("", value)
    if not address:
        return value, "", "is not an email address"
    if len(address) > 254 or len(address.split("@")[0]) > 64:
        return address, name, "is too long to be an email address"
    if not address.isascii():
        return address, name, "has non-ASCII characters, which most SMTP relays refuse"
    if address.startswith(FORMULA_START) or not ADDRESS_RE.match(address):
        return address, name, "is not an email address"
    return address, name, None


def merge_status(current: str | None, incoming: str) -> str:
    """The status after an import says `incoming` (pure): sticky statuses stay, confirmation only upgrades."""
    if current is None:
        return incoming
    if current in STICKY:
        return current
    if incoming in STICKY:
        return incoming
    return max(current, incoming, key=RANK.__getitem__)


def require_niche(settings, slug: str) -> None:
    """A typo in --niche must not start a new list: the slug needs a niche file."""
    from ..model.niches import load_niches, no_such_niche

    folder = content_dir(settings, "NICHES_PATH")
    niches = load_niches(folder)
    if slug not in niches:
        raise SettingsError(no_such_niche("--niche", slug, folder, niches))


@dataclass
class ImportReport:
    added: list[Subscriber] = field(default_factory=list)
    changed: list[Subscriber] = field(default_factory=list)   # now sticky because the source says so
    kept: list[Subscriber] = field(default_factory=list)      # sticky here, the source says receiving: kept
    confirmed: list[Subscriber] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[int, str, str]] = field(default_factory=list)   # (line, value, why)


def _current(tx, niche: str, key: str) -> Subscriber | None:
    row = tx.one("SELECT address, name, status, since, source FROM subscribers WHERE niche = ? AND address_key = ?",
                 (niche, key))
    return Subscriber(*row) if row else None


def _store(tx, niche: str, row: Subscriber, exists: bool) -> None:
    stamp = now()
    if exists:
        tx.execute("UPDATE subscribers SET status = ?, since = ?, updated_at = ? WHERE niche = ? AND address_key = ?",
                   (row.status, row.since, stamp, niche, row.key))
    else:
        tx.execute("INSERT INTO subscribers (niche, address, address_key, name, status, since, source, created_at, "
                   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (niche, row.email, row.key, row.name, row.status, row.since, row.source, stamp, stamp))


def clean_rows(rows: list[Row]) -> tuple[dict[str, tuple[Row, str, str]], list[tuple[int, str, str]]]:
    """Valid rows by address key, case variants folded (the stickier status wins); and the skipped ones."""
    chosen: dict[str, tuple[Row, str, str]] = {}
    skipped = []
    for row in rows:
        address, display, problem = check_address(row.email)
        if problem:
            skipped.append((row.line, row.email, problem))
            continue
        if row.status is None:
            skipped.append((row.line, address, f"status {row.word!r} is not one Openhand knows "
                                               f"({', '.join(STATUSES)})"))
            continue
        key = address_key(address)
        if key in chosen:
            first = chosen[key][0]
            assert first.status is not None  # only rows with a status are chosen
            if RANK[row.status] > RANK[first.status] and (row.status in STICKY or first.status not in STICKY):
                chosen[key] = (row, address, display)
            skipped.append((row.line, address, f"listed twice (as line {first.line}); the "
                                               f"{chosen[key][0].status} one is kept"))
            continue
        chosen[key] = (row, address, display)
    return chosen, skipped


def import_rows(db: Database, niche: str, rows: list[Row], today: str | None = None) -> ImportReport:
    """Apply an import in one transaction: new addresses added, sticky statuses never undone."""
    today = today or dt.date.today().isoformat()
    chosen, skipped = clean_rows(rows)
    report = ImportReport(skipped=skipped)
    with db.transaction() as tx:
        for key, (row, address, display) in chosen.items():
            current = _current(tx, niche, key)
            assert row.status is not None  # clean_rows skipped the rows without one
            status = merge_status(current.status if current else None, row.status)
            if current is None:
                new = Subscriber(address, row.name or display, status, row.since, row.source)
                _store(tx, niche, new, exists=False)
                report.added.append(new)
            elif status == current.status:
                if current.status in STICKY and row.status not in STICKY:
                    report.kept.append(current)
                else:
                    report.unchanged += 1
            else:
                new = Subscriber(current.email, current.name, status, today, current.source)
                _store(tx, niche, new, exists=True)
                (report.changed if status in STICKY else report.confirmed).append(new)
    report.skipped.sort()
    return report


def set_status(db: Database, niche: str, email: str, status: str, *, name: str = "", source: str,
               force: bool = False, today: str | None = None) -> tuple[str, Subscriber]:
    """One address to `status`: ('changed' | 'already' | 'added' | 'kept', row). A sticky status stays
    unless `force` ('kept' when asked to make it receiving again, 'already' for another sticky one). An address not
    on the list is added with that status (so that an unsubscribe
    of a stranger still stops every later import)."""
    today = today or dt.date.today().isoformat()
    address, display, problem = check_address(email)
    if problem:
        raise SettingsError(f"{email!r} {problem}")
    with db.transaction() as tx:
        current = _current(tx, niche, address_key(address))
        if current is None:
            row = Subscriber(address, name or display, status, today, source)
            _store(tx, niche, row, exists=False)
            return "added", row
        if current.status == status:
            return "already", current
        if current.status in STICKY and not force:  # already not receiving: keep why
            return ("already" if status in STICKY else "kept"), current
        row = Subscriber(current.email, current.name, status, today, current.source)
        _store(tx, niche, row, exists=True)
        return "changed", row


def ensure(tx, niche: str, address: str, status: str, source: str, today: str | None = None) -> Subscriber:
    """The address's row in this transaction, added with `status` if it is not on the list (never changed if it
    is). Two requests at once for one address add one row (ON CONFLICT: no error on PostgreSQL either)."""
    stamp = now()
    tx.execute("INSERT INTO subscribers (niche, address, address_key, name, status, since, source, created_at, "
               "updated_at) VALUES (?, ?, ?, '', ?, ?, ?, ?, ?) ON CONFLICT (niche, address_key) DO NOTHING",
               (niche, address, address_key(address), status, today or dt.date.today().isoformat(), source, stamp,
                stamp))
    added = _current(tx, niche, address_key(address))
    assert added is not None  # inserted, or there already
    return added


def listing(db: Database, niche: str, status: str | None = None, page: int = 500):
    """Every subscriber of a niche in the order they were added, read a page at a time (memory stays flat)."""
    last = 0
    while True:
        with db.transaction(write=False) as tx:
            where = "niche = ? AND id > ?" + (" AND status = ?" if status else "")
            params = (niche, last, status) if status else (niche, last)
            rows = tx.all(f"SELECT id, address, name, status, since, source FROM subscribers WHERE {where} "
                          f"ORDER BY id LIMIT {int(page)}", params)
        for row in rows:
            yield Subscriber(*row[1:])
        if len(rows) < page:
            return
        last = rows[-1][0]


def counts(db: Database, niche: str | None = None) -> dict[str, dict[str, int]]:
    """{niche: {status: count}}."""
    with db.transaction(write=False) as tx:
        sql = "SELECT niche, status, COUNT(*) FROM subscribers" + (" WHERE niche = ?" if niche else "")
        rows = tx.all(sql + " GROUP BY niche, status ORDER BY niche", (niche,) if niche else ())
    out: dict[str, dict[str, int]] = {}
    for slug, status, count in rows:
        out.setdefault(slug, dict.fromkeys(STATUSES, 0))[status] = count
    return out


def export(db: Database, niche: str, out) -> tuple[int, int]:
    """The list as CSV (FIELDS), every cell formula-safe; (rows, subscribed)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    total = subscribed = 0
    for row in listing(db, niche):
        writer.writerow([formula_safe(getattr(row, f)) for f in FIELDS])
        total += 1
        subscribed += row.status == "subscribed"
    return total, subscribed


# --- the command -----------------------------------------------------------------------------

def _print_import(report: ImportReport, target: str, tool: str, out) -> None:
    for row in report.added:
        note = "" if row.status == "subscribed" else f" ({row.status} in the source list)"
        print(f"added {row.email}{note}", file=out)
    for row in report.changed:
        print(f"{row.status} {row.email} (the source list says so)", file=out)
    for row in report.confirmed:
        print(f"confirmed {row.email} (the source list says so)", file=out)
    for row in report.kept:
        print(f"kept {row.email} {row.status} (since {row.since or 'earlier'}; imports never re-subscribe)", file=out)
    for line, value, why in report.skipped:
        print(f"skipped line {line}: {value!r} {why}" if value else f"skipped line {line}: {why}", file=out)
    changed = len(report.added) + len(report.changed) + len(report.confirmed)
    print(f"{target} ({tool} export): {len(report.added)} added, {len(report.changed)} unsubscribed, "
          f"{len(report.kept)} kept unsubscribed, {report.unchanged} already there, {len(report.skipped)} skipped"
          + ("" if changed else "; nothing changed"), file=out)


def run(settings, args) -> int:
    from .legacy import open_state

    out = sys.stdout
    if args.action != "count" or args.niche:
        require_niche(settings, args.niche)
    db = open_state(settings)
    try:
        _command(db, args, out)
    finally:
        db.close()
    return 0


def _command(db: Database, args, out) -> None:
    target = f"the {args.niche} list in {db.display}" if getattr(args, "niche", None) else db.display
    if args.action == "import":
        data = read_export(args.file, args.status)
        _print_import(import_rows(db, args.niche, data.rows), target, data.tool, out)
    elif args.action == "export":
        total, subscribed = export(db, args.niche, out)
        print(f"exported {total} addresses from {target} ({subscribed} subscribed, {total - subscribed} not); "
              "nothing changed", file=sys.stderr)
    elif args.action == "list":
        for row in listing(db, args.niche, args.status):
            print(f"{row.email}\t{row.status}\t{row.name}".rstrip("\t"), file=out)
    elif args.action == "count":
        for slug, by_status in counts(db, args.niche).items():
            print(f"{slug}: " + ", ".join(f"{n} {s}" for s, n in by_status.items()), file=out)
    elif args.action == "add":
        _add(db, args, target, out)
    else:
        outcome, row = set_status(db, args.niche, args.email, "unsubscribed", source="unsubscribe")
        if outcome in ("already", "kept"):
            print(
                f"{row.email} was already {row.status} (since {row.since or 'earlier'}); {target} unchanged", file=out
            )
        elif outcome == "changed":
            print(f"unsubscribed {row.email} in {target}", file=out)
        else:
            print(f"{row.email} was not on the list; recorded as unsubscribed in {target} so no import adds it",
                  file=out)


def _add(db: Database, args, target: str, out) -> None:
    outcome, row = set_status(db, args.niche, args.email, args.status, name=args.name or "", source="add",
                              force=args.resubscribe)
    if outcome == "kept":
        raise SettingsError(f"{row.email} is {row.status} (since {row.since}); add --resubscribe only if they "
                            f"asked you to subscribe them again")
    if outcome == "already":
        print(f"{row.email} is already {row.status} in {target}", file=out)
    else:
        print(f"{'added' if outcome == 'added' else row.status} {row.email} ({row.status}) in {target}", file=out)
