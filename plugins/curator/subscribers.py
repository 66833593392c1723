"""A niche's subscribers: subscribers/<slug>.csv (email, name, status, since, source).

The file lives outside content/ and output/ (the build never reads it) and is
rewritten atomically under a lock, so a crash or two commands at once never
lose a row. An address once unsubscribed stays unsubscribed: imports never
flip it back, and `unsubscribe` of an unknown address records it so that a
later import cannot add it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import io
import os
import re
import sys
from dataclasses import dataclass, replace
from email.utils import parseaddr

from .documents import PRIVATE, ContentError, write_atomic
from .niches import load_niches
from .settings import SettingsError, content_dir, project_dir

FIELDS = ("email", "name", "status", "since", "source")
STATUSES = ("subscribed", "unsubscribed")

# RFC 5322 dot-atom local part and a DNS host name with a letter TLD: strict on
# purpose (no quoted local parts, IP literals or non-ASCII), as relays differ on those.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS_RE = re.compile(rf"^{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})$")

# Column names other tools use (Mailchimp, Buttondown, Substack, spreadsheets),
# compared with case, spaces, dashes and underscores removed.
EMAIL_COLUMNS = ("email", "emailaddress", "mail", "emailaddr", "subscriberemail", "address")
NAME_COLUMNS = ("name", "fullname", "displayname", "subscribername", "contactname")
FIRST_COLUMNS = ("firstname", "fname", "givenname", "first")
LAST_COLUMNS = ("lastname", "lname", "surname", "familyname", "last")
STATUS_COLUMNS = ("status", "subscriptionstatus", "state")
SINCE_COLUMNS = ("since", "optintime", "subscribedat", "createdat", "created", "dateadded", "signupdate",
                 "confirmtime", "subscribedon")
SOURCE_COLUMNS = ("source",)
SUBSCRIBED_WORDS = {"subscribed", "active", "confirmed", "optedin", "optin", "yes", "true", "1", ""}
UNSUBSCRIBED_WORDS = {"unsubscribed", "unsubscribe", "inactive", "optedout", "optout", "cleaned", "bounced",
                      "complained", "no", "false", "0"}


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
    name, address = parseaddr(value) if "<" in value else ("", value)
    if not address:
        return value, "", "is not an email address"
    if len(address) > 254 or len(address.split("@")[0]) > 64:
        return address, name, "is too long to be an email address"
    if not address.isascii():
        return address, name, "has non-ASCII characters, which most SMTP relays refuse"
    if not ADDRESS_RE.match(address):
        return address, name, "is not an email address"
    return address, name, None


def subscribers_dir(settings) -> str:
    """SUBSCRIBERS_PATH as an absolute folder, refused if the build could publish it."""
    folder = os.path.realpath(project_dir(settings, "SUBSCRIBERS_PATH"))
    for key in ("PATH", "OUTPUT_PATH"):
        other = settings.get(key)
        if not other:
            continue
        other = os.path.realpath(other)
        if folder == other or folder.startswith(other + os.sep):
            raise SettingsError(f"SUBSCRIBERS_PATH ({folder}) is inside {key} ({other}), where the build could "
                                f"publish the addresses; e.g. SUBSCRIBERS_PATH = 'subscribers'")
    return folder


def subscribers_file(settings, slug: str) -> str:
    return os.path.join(subscribers_dir(settings), f"{slug}.csv")


def require_niche_slug(settings, slug: str) -> None:
    """A typo in --niche must not start a new list: the slug needs a niche file."""
    folder = content_dir(settings, "NICHES_PATH")
    niches = load_niches(folder)
    if slug not in niches:
        known = ", ".join(sorted(niches)) or "none yet"
        raise SettingsError(f"--niche {slug}: no such niche in {folder} (known: {known})")


def load(path: str) -> list[Subscriber]:
    """The subscribers file as written by `save` (a missing file is an empty list)."""
    if not os.path.exists(path):
        return []
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            if "email" not in columns:
                raise ContentError(path, f"has no 'email' column (columns: {', '.join(columns) or 'none'})",
                                   fix=f"the first line must be {','.join(FIELDS)}")
            rows = []
            for row in reader:
                row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
                if not any(row.values()):
                    continue
                rows.append(Subscriber(**{f: row.get(f, "") for f in FIELDS}))
            return rows
    except UnicodeDecodeError as exc:
        raise ContentError(path, "is not UTF-8 text", fix="save the file as UTF-8") from exc


def dumps(rows: list[Subscriber]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([getattr(row, f) for f in FIELDS])
    return out.getvalue()


def save(path: str, rows: list[Subscriber]) -> None:
    write_atomic(path, dumps(rows), mode=PRIVATE)  # addresses: the owner's eyes only, whatever the umask


@contextlib.contextmanager
def locked(path: str):
    """One writer at a time per list (an flock on a side file, released if the process dies)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def receiving(rows: list[Subscriber]) -> tuple[list[Subscriber], list[tuple[Subscriber, str]]]:
    """Who gets an issue: subscribed, valid, each address once; and the rows left out with why."""
    chosen, skipped, seen = [], [], set()
    for row in rows:
        if row.status != "subscribed":
            if row.status not in STATUSES:
                skipped.append((row, f"status {row.status!r} is not 'subscribed'"))
            continue
        address, _, problem = check_address(row.email)
        if problem:
            skipped.append((row, problem))
        elif address_key(address) in seen:
            skipped.append((row, "listed twice"))
        else:
            seen.add(address_key(address))
            chosen.append(replace(row, email=address))
    return chosen, skipped


# --- import ---------------------------------------------------------------

def _norm(column: str) -> str:
    return re.sub(r"[\s_\-.]+", "", (column or "").strip().lower())


def _column(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((columns[n] for n in names if n in columns), None)


def _since(value: str, today: str) -> str:
    try:
        return dt.date.fromisoformat((value or "").strip()[:10]).isoformat()
    except ValueError:
        return today


@dataclass
class ImportReport:
    added: list[Subscriber]
    unsubscribed: list[Subscriber]          # were subscribed here, the other tool says unsubscribed
    kept_unsubscribed: list[Subscriber]     # unsubscribed here: never flipped back
    unchanged: int
    skipped: list[tuple[int, str, str]]     # (line, value, why)


def read_import(path: str) -> tuple[list[tuple[int, dict[str, str]]], dict[str, str | None]]:
    """Rows of another tool's CSV (comma, semicolon or tab) and which of its columns mean what."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ContentError(path, f"is not UTF-8 text (byte {exc.start})",
                           fix="export or save the file as CSV UTF-8") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise ContentError(path, "is empty", fix="export the list with a header line, e.g. Email Address,First Name")
    columns: dict[str, str] = {}
    for raw in header:
        columns.setdefault(_norm(raw), raw)
    mapping = {
        "email": _column(columns, EMAIL_COLUMNS),
        "name": _column(columns, NAME_COLUMNS),
        "first": _column(columns, FIRST_COLUMNS),
        "last": _column(columns, LAST_COLUMNS),
        "status": _column(columns, STATUS_COLUMNS),
        "since": _column(columns, SINCE_COLUMNS),
        "source": _column(columns, SOURCE_COLUMNS),
    }
    if mapping["email"] is None:
        raise ContentError(path, f"has no email column (columns: {', '.join(header)})",
                           fix="name the column 'email' or 'Email Address'")
    index = {raw: i for i, raw in reversed(list(enumerate(header)))}
    rows = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        rows.append((number, {key: (values[index[raw]].strip() if raw is not None and index[raw] < len(values) else "")
                              for key, raw in mapping.items()}))
    return rows, mapping


def merge(existing: list[Subscriber], incoming: list[tuple[int, dict[str, str]]], source: str,
          today: str) -> tuple[list[Subscriber], ImportReport]:
    """The list after an import (pure): new addresses appended, unsubscribes honoured, nothing re-subscribed."""
    rows = list(existing)
    position = {row.key: i for i, row in enumerate(rows)}
    report = ImportReport([], [], [], 0, [])
    first_line: dict[str, int] = {}
    for line, values in incoming:
        address, display, problem = check_address(values["email"])
        if problem:
            report.skipped.append((line, values["email"], problem))
            continue
        status_word = _norm(values["status"]) if values["status"] is not None else ""
        if status_word in UNSUBSCRIBED_WORDS:
            status = "unsubscribed"
        elif status_word in SUBSCRIBED_WORDS:
            status = "subscribed"
        else:
            report.skipped.append((line, address, f"status {values['status']!r} is neither subscribed nor "
                                                  "unsubscribed"))
            continue
        key = address_key(address)
        if key in first_line:
            report.skipped.append((line, address, f"duplicate of line {first_line[key]}"))
            continue
        first_line[key] = line
        name = values["name"] or " ".join(v for v in (values["first"], values["last"]) if v) or display
        name = " ".join(name.split())
        if key in position:
            current = rows[position[key]]
            if current.status == "unsubscribed":
                if status == "subscribed":
                    report.kept_unsubscribed.append(current)
                else:
                    report.unchanged += 1
            elif status == "unsubscribed":
                rows[position[key]] = replace(current, status="unsubscribed", since=today)
                report.unsubscribed.append(rows[position[key]])
            else:
                report.unchanged += 1
            continue
        row = Subscriber(email=address, name=name, status=status, since=_since(values["since"], today),
                         source=values["source"] or source)
        position[key] = len(rows)
        rows.append(row)
        report.added.append(row)
    return rows, report


def import_file(settings, slug: str, path: str, today: str | None = None) -> ImportReport:
    today = today or dt.date.today().isoformat()
    require_niche_slug(settings, slug)
    incoming, _ = read_import(path)
    target = subscribers_file(settings, slug)
    with locked(target):
        rows, report = merge(load(target), incoming, f"import:{os.path.basename(path)}", today)
        if report.added or report.unsubscribed:
            save(target, rows)
    return report


def unsubscribe(settings, slug: str, email: str, today: str | None = None) -> tuple[str, Subscriber]:
    """('unsubscribed' | 'already' | 'recorded', row): recorded = not on the list, kept as unsubscribed."""
    today = today or dt.date.today().isoformat()
    require_niche_slug(settings, slug)
    address, _, problem = check_address(email)
    if problem:
        raise SettingsError(f"{email!r} {problem}")
    target = subscribers_file(settings, slug)
    with locked(target):
        rows = load(target)
        for i, row in enumerate(rows):
            if row.key == address_key(address):
                if row.status == "unsubscribed":
                    return "already", row
                rows[i] = replace(row, status="unsubscribed", since=today)
                save(target, rows)
                return "unsubscribed", rows[i]
        row = Subscriber(email=address, status="unsubscribed", since=today, source="unsubscribe")
        save(target, rows + [row])
        return "recorded", row


# --- command line -----------------------------------------------------------

def run(settings, args) -> int:
    out, err = sys.stdout, sys.stderr
    if args.action == "import":
        report = import_file(settings, args.niche, args.file)
        target = subscribers_file(settings, args.niche)
        for row in report.added:
            print(f"added {row.email}" + (" (unsubscribed in the source list)" if row.status == "unsubscribed" else ""),
                  file=out)
        for row in report.unsubscribed:
            print(f"unsubscribed {row.email} (the source list says so)", file=out)
        for row in report.kept_unsubscribed:
            print(f"kept {row.email} unsubscribed (since {row.since or 'earlier'}; imports never re-subscribe)",
                  file=out)
        for line, value, why in report.skipped:
            print(f"skipped line {line}: {value!r} {why}" if value else f"skipped line {line}: {why}", file=out)
        changed = len(report.added) + len(report.unsubscribed)
        print(f"{target}: {len(report.added)} added, {len(report.unsubscribed)} unsubscribed, "
              f"{len(report.kept_unsubscribed)} kept unsubscribed, {report.unchanged} already there, "
              f"{len(report.skipped)} skipped" + ("" if changed else "; file unchanged"), file=out)
        return 0
    if args.action == "export":
        require_niche_slug(settings, args.niche)
        target = subscribers_file(settings, args.niche)
        rows = load(target)
        out.write(dumps(rows))
        subscribed = sum(r.status == "subscribed" for r in rows)
        print(f"exported {len(rows)} addresses from {target} ({subscribed} subscribed, "
              f"{len(rows) - subscribed} not); nothing changed", file=err)
        return 0
    outcome, row = unsubscribe(settings, args.niche, args.email)
    target = subscribers_file(settings, args.niche)
    if outcome == "already":
        print(f"{row.email} was already unsubscribed (since {row.since or 'earlier'}); {target} unchanged", file=out)
    elif outcome == "unsubscribed":
        print(f"unsubscribed {row.email} in {target}", file=out)
    else:
        print(f"{row.email} was not on the list; recorded as unsubscribed in {target} so no import adds it",
              file=out)
    return 0
