"""`openhand inbox [--dry-run]`: the list's mailbox read by the program instead of a person.

It logs in over IMAP (OPENHAND_IMAP_HOST, _PORT, _USER, _PASSWORD, _FOLDER, and OPENHAND_IMAP_SSL=1
or OPENHAND_IMAP_STARTTLS=1; plain IMAP only to this machine, since the password would cross the
network readable), reads every message in the folder without marking it read (BODY.PEEK), and for
each one reports.py understands: mailto: unsubscribes, bounces and complaints change the list
(readers.py), the message is recorded as handled (`inbox_handled`, by a digest of its Message-ID)
and then moved to INBOX_HANDLED_FOLDER. A message handled before but not moved (the run stopped)
is only moved: nothing is applied twice, so a reader who unsubscribed by mail and later came back
through the endpoint stays subscribed. Everything else stays where it is, unread, for the editor.
`--dry-run` opens the folder read-only and says what it would do.
"""

from __future__ import annotations

import hashlib
import imaplib
import os
import re
import socket
import ssl
import sys
from dataclasses import dataclass

from ..emails import site_domain
from ..niches import load_niches
from ..settings import SettingsError, content_dir
from . import readers
from .database import StateError, now
from .legacy import open_state
from .relay import Secret, env_flag, is_loopback
from .reports import Context, Finding, classify, mailto_parts, parse
from .subscribers import address_key

ENV = "OPENHAND_IMAP_"


class InboxError(Exception):
    """The mailbox cannot be read; one line saying what and what to do (never the password)."""


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: Secret
    use_ssl: bool
    starttls: bool
    folder: str
    timeout: float

    def describe(self) -> str:
        mode = "SSL" if self.use_ssl else "STARTTLS" if self.starttls else "plain"
        return f"{self.user}@{self.host}:{self.port}/{self.folder} ({mode})"


def imap_config(environ, timeout: float = 30.0) -> ImapConfig:
    """The mailbox from OPENHAND_IMAP_* (never from a file); plain text only to a host on this machine."""
    host, user = environ.get(ENV + "HOST", "").strip(), environ.get(ENV + "USER", "").strip()
    password = environ.get(ENV + "PASSWORD") or ""
    if not (host and user and password):
        raise SettingsError(f"set {ENV}HOST, {ENV}USER and {ENV}PASSWORD (and {ENV}SSL=1 or {ENV}STARTTLS=1, "
                            f"{ENV}PORT, {ENV}FOLDER as needed) in the environment; they are never read from files")
    use_ssl, starttls = env_flag(environ, ENV + "SSL"), env_flag(environ, ENV + "STARTTLS")
    if use_ssl and starttls:
        raise SettingsError(f"set {ENV}SSL or {ENV}STARTTLS, not both (SSL for port 993, STARTTLS for 143)")
    text = environ.get(ENV + "PORT", "").strip()
    try:
        port = int(text) if text else (993 if use_ssl else 143)
    except ValueError:
        raise SettingsError(f"{ENV}PORT must be a port number, not {text!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"{ENV}PORT must be between 1 and 65535, not {port}")
    if not (use_ssl or starttls) and not is_loopback(host):
        raise SettingsError(f"the connection to {host}:{port} would be plain text, so the password would cross the "
                            f"network readable: set {ENV}SSL=1 (port 993) or {ENV}STARTTLS=1 (port 143); plain IMAP "
                            "is only for a server on this machine")
    folder = environ.get(ENV + "FOLDER", "").strip() or "INBOX"
    if not folder.isascii() or any(ord(c) < 32 or c in '"\\' for c in folder):
        raise SettingsError(f"{ENV}FOLDER must be an ASCII folder name without quotes, not {folder!r}")
    return ImapConfig(host, port, user, Secret(password), use_ssl, starttls, folder, float(timeout))


def _quoted(folder: str) -> str:
    return '"' + folder + '"'


class Mailbox:
    """One IMAP session on one folder; every failure is an InboxError."""

    def __init__(self, config: ImapConfig, readonly: bool):
        self.config, self.readonly = config, readonly
        self.imap: imaplib.IMAP4 | None = None
        self.created: set[str] = set()

    def __enter__(self) -> Mailbox:
        c = self.config
        try:
            if c.use_ssl:
                self.imap = imaplib.IMAP4_SSL(c.host, c.port, ssl_context=ssl.create_default_context(),
                                              timeout=c.timeout)
            else:
                self.imap = imaplib.IMAP4(c.host, c.port, timeout=c.timeout)
                if c.starttls:
                    self.imap.starttls(ssl.create_default_context())
            self.imap.login(c.user, c.password.reveal())
            self.capabilities = self._capabilities()
            typ, data = self.imap.select(_quoted(c.folder), readonly=self.readonly)
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
            self.close()
            raise InboxError(f"IMAP {c.describe()}: {_one_line(exc)}; check OPENHAND_IMAP_* and that the server "
                             "is up") from None
        if typ != "OK":
            self.close()
            raise InboxError(f"IMAP {c.describe()}: cannot open the folder ({_one_line(data)}); set "
                             f"{ENV}FOLDER to one that exists")
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.imap is not None:
            try:
                self.imap.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
            self.imap = None

    def _capabilities(self) -> set[str]:
        typ, data = self.imap.capability()
        return set((data[0] or b"").decode("ascii", "replace").upper().split()) if typ == "OK" else set()

    def _call(self, what: str, *args):
        try:
            typ, data = self.imap.uid(*args)
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
            raise InboxError(f"IMAP {self.config.describe()}: {what} failed: {_one_line(exc)}") from None
        if typ != "OK":
            raise InboxError(f"IMAP {self.config.describe()}: {what} failed: {_one_line(data)}")
        return data

    def uids(self) -> list[bytes]:
        return (self._call("searching the folder", "SEARCH", None, "ALL")[0] or b"").split()

    def fetch(self, uid: bytes) -> bytes | None:
        data = self._call(f"reading message {uid.decode()}", "FETCH", uid, "(BODY.PEEK[])")
        return next((item[1] for item in data if isinstance(item, tuple)), None)

    def move(self, uid: bytes, folder: str) -> None:
        if folder not in self.created:
            try:
                self.imap.create(_quoted(folder))  # NO when it exists already: fine
            except (imaplib.IMAP4.error, OSError) as exc:
                raise InboxError(f"IMAP {self.config.describe()}: cannot create {folder}: {_one_line(exc)}") from None
            self.created.add(folder)
        if "MOVE" in self.capabilities:
            self._call(f"moving message {uid.decode()} to {folder}", "MOVE", uid, _quoted(folder))
            return
        self._call(f"copying message {uid.decode()} to {folder}", "COPY", uid, _quoted(folder))
        self._call(f"removing message {uid.decode()}", "STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        if "UIDPLUS" in self.capabilities:
            self._call(f"expunging message {uid.decode()}", "EXPUNGE", uid)
        else:
            self.imap.expunge()


def _one_line(value) -> str:
    if isinstance(value, BaseException) and value.args and isinstance(value.args[0], bytes):
        value = value.args[0]  # imaplib's errors hold the server's words as bytes
    if isinstance(value, list):
        value = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in value if v)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, socket.timeout):
        return "no answer in time"
    return " ".join(str(value).split()) or type(value).__name__


def message_key(message, raw: bytes) -> str:
    """What identifies a message across runs: a digest of its Message-ID, else of its bytes."""
    message_id = str(message.get("Message-ID", "")).strip()
    return hashlib.sha256(message_id.encode("utf-8") if message_id else raw).hexdigest()[:32]


def context(settings, niches, environ=os.environ) -> Context:
    from .tokens import SECRET_ENV, signer

    mailtos = {slug: mailto_parts(n.email.unsubscribe_mailto) for slug, n in niches.items()}
    return Context(site_domain(settings), mailtos, signer(settings, environ) if environ.get(SECRET_ENV) else None)


VERB = {"unsubscribe": "unsubscribed", "bounce": "bounced", "complaint": "complained"}


def apply(db, finding: Finding, key: str, settings) -> list[str]:
    """Change the list as one finding says; what changed, one line each."""
    niches = finding.niches
    if finding.anywhere:
        with db.transaction(write=False) as tx:
            niches = tuple(r[0] for r in tx.all("SELECT niche FROM subscribers WHERE address_key = ? ORDER BY niche",
                                                (address_key(finding.address),)))
        if not niches:
            return [f"{finding.address} is on no list; nothing to do ({finding.detail})"]
    lines = []
    for niche in niches:
        if finding.kind in ("delayed", "delivered"):
            lines.append(f"{finding.address} in {niche}: {finding.detail}; nothing changes")
            continue
        if finding.kind == "soft-bounce":
            limit = settings["INBOX_SOFT_BOUNCES"]
            outcome, count = readers.soft_bounce(db, niche, finding.address, key, limit, source="bounce")
            if outcome is readers.Outcome.COUNTED:
                lines.append(f"{finding.address} in {niche}: {finding.detail} ({count} of {limit}; bounced at "
                             f"{limit})")
                continue
        else:
            act = {"unsubscribe": readers.leave, "bounce": readers.bounce, "complaint": readers.complain}[finding.kind]
            outcome = act(db, niche, finding.address, source={"unsubscribe": "mailto"}.get(finding.kind,
                                                                                          finding.kind))
        done = "" if outcome is readers.Outcome.CHANGED else " (already not receiving it)"
        lines.append(f"{VERB.get(finding.kind, 'bounced')} {finding.address} in {niche}{done}: {finding.detail}")
    return lines


def run(settings, args) -> int:
    try:
        return _run(settings, args)
    except (InboxError, StateError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(settings, args) -> int:
    config = imap_config(os.environ, settings["SEND_TIMEOUT"])
    folder = settings["INBOX_HANDLED_FOLDER"]
    if folder.lower() == config.folder.lower():
        raise SettingsError(f"INBOX_HANDLED_FOLDER is {folder!r}, the folder being read; name another one")
    niches = load_niches(content_dir(settings, "NICHES_PATH"))
    ctx = context(settings, niches)
    db = open_state(settings)
    handled = left = 0
    try:
        with Mailbox(config, readonly=args.dry_run) as box:
            for uid in box.uids():
                raw = box.fetch(uid)
                message = parse(raw or b"")
                findings = classify(message, ctx) if raw else None
                if not findings:
                    left += 1
                    continue
                handled += 1
                key = message_key(message, raw)
                where = f"message {uid.decode()} ({_subject(message)})"
                if args.dry_run:
                    for finding in findings:
                        print(f"would handle {where}: {finding.kind} {finding.address} in "
                              f"{', '.join(finding.niches) or 'every list it is on'} ({finding.detail})")
                    continue
                for line in _handle(db, findings, key, settings):
                    print(f"{where}: {line}")
                box.move(uid, folder)
    finally:
        db.close()
    verb = "would move" if args.dry_run else "moved"
    print(f"inbox {config.describe()}: {handled} handled ({verb} to {folder}), {left} left for you"
          + (" (dry run: nothing changed)" if args.dry_run else ""))
    return 0


def _handle(db, findings: list[Finding], key: str, settings) -> list[str]:
    """Apply a message's findings once: a message already recorded as handled is only moved."""
    with db.transaction(write=False) as tx:
        done = tx.one("SELECT action FROM inbox_handled WHERE message_key = ?", (key,))
    if done:
        return [f"handled on an earlier run ({done[0]}); moved now"]
    lines = [line for finding in findings for line in apply(db, finding, key, settings)]
    summary = ", ".join(sorted({f.kind for f in findings}))  # what was done, never to whom
    with db.transaction() as tx:
        tx.execute("INSERT INTO inbox_handled (message_key, action, handled_at) VALUES (?, ?, ?) "
                   "ON CONFLICT (message_key) DO NOTHING", (key, summary, now()))
    return lines


_SPACE = re.compile(r"\s+")


def _subject(message) -> str:
    return repr(_SPACE.sub(" ", str(message.get("Subject", ""))).strip()[:60])
