"""Other tools' subscriber exports, read into rows with an Openhand status (pure parsing, no database).

Each tool says who may be mailed in its own way:
  Mailchimp   one file per status and no status column: `Email Address`, `First Name`, `Last Name`,
              `OPTIN_TIME`...; the unsubscribed export adds `UNSUB_TIME`, the cleaned (bounced) one
              `CLEAN_TIME` (files unsubscribed_members_export_*, cleaned_members_export_*)
  Buttondown  `email` (or `email_address`), `subscriber_type`/`type`: regular, premium, unactivated,
              unsubscribed, removed, spammy...; its unsubscribers export lists only unsubscribed people
  Substack    `email`, `active_subscription`, `email_disabled`, `created_at`...
  Ghost       `email`, `name`, `subscribed_to_emails` (true/false), `created_at`, `labels`...
  listmonk    `uuid`, `email`, `name`, `attributes`, `status` (enabled, disabled, blocklisted)
  Openhand    `email`, `name`, `status`, `since`, `source` (what `subscribers export` writes)
Anything else is read by its column names (`Email`, `E-mail`, `Name`, `Status`, ...).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from dataclasses import dataclass

from ..model.documents import ContentError
from ..model.settings import SettingsError

EMAIL_COLUMNS = ("email", "emailaddress", "mail", "emailaddr", "subscriberemail", "address")
NAME_COLUMNS = ("name", "fullname", "displayname", "subscribername", "contactname")
FIRST_COLUMNS = ("firstname", "fname", "givenname", "first")
LAST_COLUMNS = ("lastname", "lname", "surname", "familyname", "last")
STATUS_COLUMNS = ("status", "subscribertype", "type", "subscriptionstatus", "state")
SINCE_COLUMNS = ("since", "unsubtime", "cleantime", "optintime", "confirmtime", "subscribedat", "createdat",
                 "creationdate", "created", "dateadded", "signupdate", "subscribedon", "subscriptiondate")
SOURCE_COLUMNS = ("source",)

WORDS = {
    "subscribed": ("subscribed", "active", "confirmed", "optedin", "optin", "yes", "true", "1", "", "enabled",
                   "regular", "premium", "trialed", "unpaid", "gifted", "churning", "paused", "pastdue", "free",
                   "paid", "comp"),
    "unconfirmed": ("unconfirmed", "pending", "unactivated", "notconfirmed"),
    "unsubscribed": ("unsubscribed", "unsubscribe", "inactive", "optedout", "optout", "no", "false", "0",
                     "disabled", "blocklisted", "blacklisted", "removed", "spammy"),
    "bounced": ("bounced", "cleaned", "undeliverable", "hardbounce"),
    "complained": ("complained", "complaint", "spam", "spamcomplaint", "abuse"),
}
STATUS_OF_WORD = {word: status for status, words in WORDS.items() for word in words}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Row:
    line: int
    email: str
    name: str
    status: str | None      # an Openhand status, or None when the word is not understood
    word: str               # the source's own status word (for messages)
    since: str
    source: str


@dataclass(frozen=True)
class Export:
    path: str
    tool: str
    rows: list[Row]


def norm(column: str) -> str:
    return re.sub(r"[\s_\-.]+", "", (column or "").strip().lower())


def unformula(cell: str) -> str:
    """Undo the export's formula guard: a `'` before a formula character goes."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in FORMULA_START else cell


def formula_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ tab or CR gets a leading `'`."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def status_word(word: str) -> str | None:
    return STATUS_OF_WORD.get(norm(word))


def tool_of(columns: set[str], filename: str) -> tuple[str, str | None]:
    """(tool, the status every row has, or None when each row says its own)."""
    name = filename.lower()
    if "emailaddress" in columns and columns & {"optintime", "memberrating", "leid", "euid", "confirmtime"}:
        if "cleantime" in columns or name.startswith("cleaned_members_export"):
            return "Mailchimp (cleaned)", "bounced"
        if "unsubtime" in columns or name.startswith("unsubscribed_members_export"):
            return "Mailchimp (unsubscribed)", "unsubscribed"
        return "Mailchimp", "subscribed"
    if "subscribedtoemails" in columns:
        return "Ghost", None
    if columns & {"activesubscription", "emaildisabled"}:
        return "Substack", None
    if {"uuid", "attributes", "status"} <= columns:
        return "listmonk", None
    if "subscribertype" in columns or ("type" in columns and columns & {"creationdate", "metadata", "notes"}):
        if "unsubscribers" in name:
            return "Buttondown (unsubscribers)", "unsubscribed"
        return "Buttondown", None
    return "CSV", None


def _row_status(tool: str, fixed: str | None, values: dict[str, str]) -> tuple[str | None, str]:
    if fixed:
        return fixed, fixed
    if tool == "Ghost":
        word = values.get("subscribedtoemails", "")
        return ("subscribed" if norm(word) in ("true", "1", "yes") else "unsubscribed"), word
    if tool == "Substack":
        word = values.get("emaildisabled", "")
        return ("unsubscribed" if norm(word) in ("true", "1", "yes") else "subscribed"), word
    word = next((values[c] for c in STATUS_COLUMNS if c in values), "")
    return status_word(word), word


def _since(value: str, today: str) -> str:
    try:
        return dt.date.fromisoformat((value or "").strip()[:10]).isoformat()
    except ValueError:
        return today


def _decode(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ContentError(path, f"is not UTF-8 text (byte {exc.start})",
                           fix="export or save the file as CSV UTF-8") from None


def read_export(path: str, status: str | None = None, today: str | None = None) -> Export:
    """The rows of an export (comma, semicolon or tab separated); `status` overrides every row's."""
    today = today or dt.date.today().isoformat()
    text = _decode(path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise ContentError(path, "is empty", fix="export the list with a header line, e.g. Email Address,First Name")
    index: dict[str, int] = {}
    for i, raw in enumerate(header):
        index.setdefault(norm(raw), i)
    email_column = next((c for c in EMAIL_COLUMNS if c in index), None)
    if email_column is None:
        raise ContentError(path, f"has no email column (columns: {', '.join(header)})",
                           fix="name the column 'email' or 'Email Address'")
    tool, fixed = tool_of(set(index), os.path.basename(path))
    fixed = status or fixed
    source = f"import:{os.path.basename(path)}"
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {key: unformula(cells[i].strip()) if i < len(cells) else "" for key, i in index.items()}
        name = next((values[c] for c in NAME_COLUMNS if values.get(c)), "") or " ".join(
            v for v in (next((values[c] for c in FIRST_COLUMNS if c in values), ""),
                        next((values[c] for c in LAST_COLUMNS if c in values), "")) if v)
        row_status, word = _row_status(tool, fixed, values)
        since = _since(next((values[c] for c in SINCE_COLUMNS if values.get(c)), ""), today)
        rows.append(Row(number, values[email_column], " ".join(name.split()), row_status, word, since,
                        values.get("source") or source))
    return Export(path, tool, rows)
