"""One SMTP connection that knows where a failure happened, so a message is never sent twice by guesswork.

smtplib cannot say whether the final dot had been written when a send fails; this client
can. Everything up to and including the write of the message and its terminating
`CRLF.CRLF` is "before the dot": a failure there means the relay cannot have the message
(`deferred`, safe to retry). Once that write has returned, a missing or garbled reply
(timeout, dropped connection) leaves the message `unknown`: RFC 5321 gives a relay ten
minutes to answer the dot, and it has usually queued the message by then.

Each transaction has an overall deadline (SEND_DEADLINE) besides the per-read timeout
(SEND_TIMEOUT): a relay that trickles its greeting a byte a second cannot hold a
connection longer than the deadline. MAIL, RCPT and DATA go in one write when the relay
offers PIPELINING (RFC 2920): two round trips a message instead of four.

The relay's settings come from relay.py; the password is read from its `Secret` only to
log in, and never appears in a message.
"""

from __future__ import annotations

import base64
import enum
import re
import socket
import ssl
import time
from dataclasses import dataclass

from .relay import ENV, SmtpConfig

MAX_LINE = 4096


# --- replies and outcomes -------------------------------------------------------------------

class Result(str, enum.Enum):
    SENT = "sent"            # 250 to the final dot
    REFUSED = "refused"      # 5xx for this message or recipient
    DEFERRED = "deferred"    # 4xx, or any failure before the final dot was written
    UNKNOWN = "unknown"      # the dot was written, then no usable reply
    FATAL = "fatal"          # nobody can be sent to (sender refused): stop the run
    WITHHELD = "withheld"    # the caller's `ready()` said no before the message was written


@dataclass(frozen=True)
class Reply:
    code: int
    text: str
    lines: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


@dataclass(frozen=True)
class Attempt:
    result: Result
    detail: str


def verdict(stage: str, reply: Reply) -> Attempt | None:
    """What a reply means at a stage (mail, rcpt, data, dot); None when it lets the transaction go on."""
    code = reply.code
    if stage == "dot":
        if 200 <= code < 300:
            return Attempt(Result.SENT, str(reply))
        if 400 <= code < 500:
            return Attempt(Result.DEFERRED, str(reply))
        if 500 <= code < 600:
            return Attempt(Result.REFUSED, str(reply))
        return Attempt(Result.UNKNOWN, f"an unexpected reply after the message was sent: {reply}")
    wanted = 354 if stage == "data" else None
    if (code == wanted) or (wanted is None and 200 <= code < 300):
        return None
    if 400 <= code < 500 or not 500 <= code < 600:
        return Attempt(Result.DEFERRED, str(reply))
    if stage == "mail":
        return Attempt(Result.FATAL, f"the relay refused the sender: {reply}")
    return Attempt(Result.REFUSED, str(reply))


class Failure(Exception):
    """The connection failed (timeout, deadline, hang-up, garbage); `detail` says how."""


class ConnectError(Exception):
    """The connection could not be opened; `fatal` when trying again cannot help."""

    def __init__(self, detail: str, fatal: bool = False):
        super().__init__(detail)
        self.fatal = fatal


def stuffed(data: bytes) -> bytes:
    """The message as DATA carries it (RFC 5321 4.5.2: a leading dot doubled), ending in CRLF.CRLF."""
    if data.startswith(b".") or b"\n." in data:
        data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class Connection:
    """One connection to the relay; `send` opens it on first use and after any trouble."""

    def __init__(self, config: SmtpConfig, local_name: str | None = None):
        self.config = config
        self.local_name = local_name or socket.gethostname() or "localhost"
        self.sock: socket.socket | None = None
        self.buf = bytearray()
        self.extensions: dict[str, str] = {}

    @property
    def is_open(self) -> bool:
        return self.sock is not None

    # -- bytes --

    def _wait(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Failure(f"gave up after SEND_DEADLINE ({self.config.deadline:g} s)")
        assert self.sock is not None, "not connected"
        self.sock.settimeout(min(self.config.timeout, remaining))

    def _write(self, data: bytes, deadline: float) -> None:
        self._wait(deadline)
        assert self.sock is not None
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise Failure(self._late(deadline, "writing to the relay")) from None
        except OSError as exc:
            raise Failure(f"the connection broke while writing ({type(exc).__name__})") from None

    def _late(self, deadline: float, doing: str) -> str:
        if time.monotonic() >= deadline:
            return f"gave up after SEND_DEADLINE ({self.config.deadline:g} s) {doing}"
        return f"no answer within SEND_TIMEOUT ({self.config.timeout:g} s) {doing}"

    def _line(self, deadline: float, doing: str) -> bytes:
        while True:
            end = self.buf.find(b"\n")
            if end >= 0:
                line = bytes(self.buf[:end + 1])
                del self.buf[:end + 1]
                return line
            if len(self.buf) > MAX_LINE:
                raise Failure(f"a reply line longer than {MAX_LINE} bytes {doing}")
            self._wait(deadline)
            assert self.sock is not None
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                raise Failure(self._late(deadline, doing)) from None
            except OSError as exc:
                raise Failure(f"the connection broke {doing} ({type(exc).__name__})") from None
            if not chunk:
                raise Failure(f"the relay closed the connection {doing}")
            self.buf += chunk

    def reply(self, deadline: float, doing: str = "waiting for a reply") -> Reply:
        """One (possibly multi-line) reply; a malformed one is a Failure."""
        texts = []
        while True:
            line = self._line(deadline, doing).rstrip(b"\r\n").decode("utf-8", "replace")
            if len(line) < 3 or not line[:3].isdigit() or line[3:4] not in ("", " ", "-"):
                raise Failure(f"a reply that is not SMTP ({line[:40]!r}) {doing}")
            texts.append(line[4:].strip())
            if line[3:4] != "-":
                return Reply(int(line[:3]), " ".join(t for t in texts if t), tuple(texts))

    def command(self, text: str, deadline: float, doing: str) -> Reply:
        self._write(text.encode("ascii") + b"\r\n", deadline)
        return self.reply(deadline, doing)

    # -- opening --

    def open(self, deadline: float) -> None:
        """Connect, read the greeting, EHLO, STARTTLS, EHLO, AUTH; ConnectError says what failed."""
        c = self.config
        try:
            self._open(deadline)
        except ssl.SSLCertVerificationError as exc:  # not worth a retry, and the login must not follow
            self.close()
            raise ConnectError(f"the TLS certificate of {c.host}:{c.port} could not be verified "
                               f"({exc.verify_message}); check {ENV}HOST is the name on the relay's certificate, "
                               f"or, if the relay uses a private CA, point SSL_CERT_FILE at that CA's certificate",
                               fatal=True) from None
        except (Failure, OSError, ssl.SSLError) as exc:
            self.close()
            detail = str(exc) if isinstance(exc, Failure) else f"{type(exc).__name__}: {exc}"
            raise ConnectError(f"cannot connect to {c.host}:{c.port}: {detail}") from None
        except ConnectError:
            self.close()
            raise

    def _open(self, deadline: float) -> None:
        c = self.config
        remaining = deadline - time.monotonic()
        self.sock = socket.create_connection((c.host, c.port), timeout=max(0.001, min(c.timeout, remaining)))
        self.buf.clear()
        if c.use_ssl:
            self._wait(deadline)
            self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=c.host)
        self._expect(self.reply(deadline, "waiting for the greeting"), "greeting")
        self._ehlo(deadline)
        if c.starttls:
            if "starttls" not in self.extensions:
                raise ConnectError(f"{c.host}:{c.port} does not offer STARTTLS; nothing was sent (set "
                                   f"{ENV}STARTTLS=0 only for a relay on this machine)", fatal=True)
            self._expect(self.command("STARTTLS", deadline, "after STARTTLS"), "STARTTLS")
            self._wait(deadline)
            self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=c.host)
            self.buf.clear()
            self._ehlo(deadline)
        if c.user:
            self._login(deadline)

    def _expect(self, reply: Reply, what: str) -> None:
        if 200 <= reply.code < 300:
            return
        c = self.config
        fatal = 500 <= reply.code < 600
        raise ConnectError(f"{c.host}:{c.port} answered {reply} to the {what}", fatal=fatal)

    def _ehlo(self, deadline: float) -> None:
        reply = self.command(f"EHLO {self.local_name}", deadline, "after EHLO")
        self._expect(reply, "EHLO")
        self.extensions = {}
        for line in reply.lines[1:]:
            word, _, params = line.partition(" ")
            self.extensions[word.lower()] = params

    def _login(self, deadline: float) -> None:
        c = self.config
        methods = self.extensions.get("auth", "").upper().split()
        if not methods:
            raise ConnectError(f"{c.host}:{c.port} offers no login (AUTH); try {ENV}STARTTLS=1 or {ENV}SSL=1",
                               fatal=True)
        assert c.password is not None and c.user is not None  # a relay with AUTH is configured with both
        secret = c.password.reveal()
        if "PLAIN" in methods:
            token = base64.b64encode(f"\0{c.user}\0{secret}".encode()).decode("ascii")
            reply = self.command(f"AUTH PLAIN {token}", deadline, "after AUTH")
        else:
            reply = self.command("AUTH LOGIN", deadline, "after AUTH")
            for value in (c.user, secret):
                if reply.code != 334:
                    break
                reply = self.command(base64.b64encode(value.encode()).decode("ascii"), deadline, "after AUTH")
        del secret
        if reply.code != 235:
            fatal = 500 <= reply.code < 600
            raise ConnectError(f"the server refused the login as {c.user}: {reply}", fatal=fatal)

    # -- one message --

    def send(self, sender: str, recipient: str, data: bytes, deadline: float, ready=None) -> Attempt:
        """One transaction. Opens the connection if needed (ConnectError if it cannot); never raises otherwise,
        but for what `ready` raises. `ready()`, when given, is called after the relay's 354 and before the
        message is written: False withholds it (the connection is closed mid-DATA, so the relay drops
        the unfinished message), True lets it go. The sender commits its `sending` row meanwhile."""
        if self.sock is None:
            self.open(deadline)
        stage = "mail"
        try:
            options = " BODY=8BITMIME" if "8bitmime" in self.extensions and not data.isascii() else ""
            commands = [f"MAIL FROM:<{sender}>{options}", f"RCPT TO:<{recipient}>", "DATA"]
            if "pipelining" in self.extensions:
                self._write("".join(c + "\r\n" for c in commands).encode("ascii"), deadline)
                replies = [self.reply(deadline, f"after {c.split(':')[0]}") for c in commands]
                outcome = self._first_problem(replies, deadline)
            else:
                outcome = None
                for stage, text in zip(("mail", "rcpt", "data"), commands, strict=False):
                    outcome = verdict(stage, self.command(text, deadline, f"after {text.split(':')[0]}"))
                    if outcome:
                        break
            if outcome:
                self._reset(deadline, outcome)
                return outcome
            if ready is not None and not self._ready(ready):
                return Attempt(Result.WITHHELD, "withheld before it was written (another run holds it, or this "
                                                "run is stopping)")
            stage = "body"
            self._write(stuffed(data), deadline)
            stage = "dot"  # the final dot is out: from here on a failure leaves the message unknown
            outcome = verdict("dot", self.reply(deadline, "after the message was sent"))
            assert outcome is not None  # the final dot always has a verdict
            if outcome.result is Result.UNKNOWN or outcome.detail.startswith("421"):
                self.close()
            return outcome
        except Failure as exc:
            self.close()
            if stage == "dot":
                return Attempt(Result.UNKNOWN, f"{exc}; the relay may have accepted it")
            return Attempt(Result.DEFERRED, str(exc))

    def _ready(self, ready) -> bool:
        try:
            go = ready()
        except BaseException:
            self.close()
            raise
        if not go:
            self.close()
        return go

    def _first_problem(self, replies: list[Reply], deadline: float) -> Attempt | None:
        """The pipelined group's outcome: the first reply that stops the transaction."""
        for stage, reply in zip(("mail", "rcpt"), replies, strict=False):
            outcome = verdict(stage, reply)
            if outcome:
                if replies[2].code == 354:  # DATA accepted anyway: end it empty (RFC 2920 3.1)
                    self._write(b".\r\n", deadline)
                    self.reply(deadline, "after ending an empty message")
                return outcome
        return verdict("data", replies[2])

    def _reset(self, deadline: float, outcome: Attempt) -> None:
        """After a refusal the connection goes on with RSET; after a 421 or a failed RSET it is closed."""
        if outcome.detail.startswith("421"):
            self.close()
            return
        try:
            if not 200 <= self.command("RSET", deadline, "after RSET").code < 300:
                self.close()
        except Failure:
            self.close()

    def quit(self) -> None:
        if self.sock is not None:
            try:
                self._write(b"QUIT\r\n", time.monotonic() + min(2.0, self.config.timeout))
                self.reply(time.monotonic() + min(2.0, self.config.timeout), "after QUIT")
            except Failure:
                pass
        self.close()

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buf.clear()
