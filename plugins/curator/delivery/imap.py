"""The list's mailbox over IMAP: its settings (OPENHAND_IMAP_*, never from a file) and one session on a folder.

OPENHAND_IMAP_HOST, _PORT, _USER, _PASSWORD, _FOLDER (INBOX), and OPENHAND_IMAP_SSL=1 (IMAPS, 993) or
OPENHAND_IMAP_STARTTLS=1 (143), as for the relay. Plain IMAP is refused before connecting unless the
server is on this machine: the password would cross the network readable. Messages are read with
BODY.PEEK (nothing is marked read) and moved with MOVE, or COPY, \\Deleted and EXPUNGE where the server
has no MOVE. Every failure is an InboxError: one line, never the password.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from dataclasses import dataclass

from ..model.settings import SettingsError, is_loopback
from .relay import Secret, env_flag

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

    @property
    def _imap(self) -> imaplib.IMAP4:
        assert self.imap is not None, "not connected"
        return self.imap

    def _capabilities(self) -> set[str]:
        typ, data = self._imap.capability()
        return set((data[0] or b"").decode("ascii", "replace").upper().split()) if typ == "OK" else set()

    def _call(self, what: str, *args):
        try:
            typ, data = self._imap.uid(*args)
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
                self._imap.create(_quoted(folder))  # NO when it exists already: fine
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
            self._imap.expunge()


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
