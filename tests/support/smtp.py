"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it accepts and can misbehave on cue,
in plain text, with STARTTLS or with implicit TLS (a self-signed certificate made by the openssl CLI)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

CERT_CONFIG = """[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = localhost
[ext]
subjectAltName = DNS:localhost, IP:127.0.0.1
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


def make_certificate(directory) -> tuple[str, str]:
    """A fresh self-signed certificate for localhost / 127.0.0.1: (cert.pem, key.pem) in `directory`.

    The cert is its own trust anchor, so SSL_CERT_FILE=cert.pem makes a default verifying context trust it.
    """
    config, cert, key = (f"{directory}/openssl.cnf", f"{directory}/cert.pem", f"{directory}/key.pem")
    with open(config, "w", encoding="ascii") as handle:
        handle.write(CERT_CONFIG)
    subprocess.run(["/usr/bin/openssl", "req", "-x509", "-config", config, "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    return cert, key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return BytesParser(policy=policy.SMTP).parsebytes(self.data)


@dataclass
class Recorder:
    """The handler: accepted messages in `messages`; the fields below make it misbehave."""

    messages: list[Received] = field(default_factory=list)
    temporary: dict[str, int] = field(default_factory=dict)    # address -> how many 451s at RCPT before a 250
    reject: dict[str, str] = field(default_factory=dict)       # address -> a 5xx reply at RCPT, every time
    reject_data: dict[str, str] = field(default_factory=dict)  # address -> a reply to the final dot (552, 451...)
    drop_at_rcpt: dict[str, int] = field(default_factory=dict)  # address -> times to hang up at RCPT (before the dot)
    drop: dict[str, int] = field(default_factory=dict)         # address -> times to hang up after the dot, keeping it
    late: dict[str, float] = field(default_factory=dict)       # address -> seconds to wait after the dot (keeping it)
    greylist: bool = False                                     # 450 at RCPT for everyone
    delay: float = 0.0                                         # seconds before each reply to MAIL, RCPT, DATA, dot
    pipelining: bool = True                                    # offer PIPELINING in the EHLO reply
    pipelined: list[bool] = field(default_factory=list)        # per MAIL: were RCPT and DATA already waiting?
    on_data: object = None                                     # called with the message count at each final dot
    hold_after: int | None = None                              # after this many messages, stall at RCPT ...
    held: threading.Event = field(default_factory=threading.Event)     # ... set while stalled
    release: threading.Event = field(default_factory=threading.Event)  # ... until this is set
    logins: list[tuple[str, bool]] = field(default_factory=list)
    login_tls: list[str | None] = field(default_factory=list)  # per AUTH: the TLS version it came over, or None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]

    def copies(self) -> dict[str, int]:
        """address (lower case) -> messages received for it."""
        out: dict[str, int] = {}
        for message in self.messages:
            for address in message.rcpt_tos:
                out[address.lower()] = out.get(address.lower(), 0) + 1
        return out

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        buffered = bytes(getattr(server._reader, "_buffer", b""))
        self.pipelined.append(b"RCPT TO:" in buffered and b"DATA" in buffered)
        if self.delay:
            await asyncio.sleep(self.delay)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.greylist:
            return "450 4.2.0 Greylisted, please try again later"
        if key in self.reject:
            return self.reject[key]
        if self.drop_at_rcpt.get(key):
            self.drop_at_rcpt[key] -= 1
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        if self.temporary.get(key):
            self.temporary[key] -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "421 4.3.2 Shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        keys = [a.lower() for a in envelope.rcpt_tos]
        for key in keys:
            if key in self.reject_data:
                return self.reject_data[key]
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            count = len(self.messages)
        if self.on_data:
            self.on_data(count)
        for key in keys:
            if self.drop.get(key):
                self.drop[key] -= 1
                server.transport.close()  # hang up before the reply, with the message kept
                return "421 4.4.2 Connection dropped"
            if key in self.late:
                await asyncio.sleep(self.late[key])
        return "250 2.0.0 Accepted"


class RawServer:
    """A misbehaving relay below SMTP: `greeting` bytes sent `every` seconds apart, then hold or hang up."""

    def __init__(self, greeting: bytes, every: float = 0.0, hang_up: bool = True):
        self.greeting, self.every, self.hang_up = greeting, every, hang_up
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received: list[bytes] = []
        self.stop = threading.Event()

    def _serve(self, conn) -> None:
        with conn:
            for i in range(len(self.greeting)):
                if self.stop.wait(self.every):
                    return
                try:
                    conn.sendall(self.greeting[i:i + 1])
                except OSError:
                    return
            if not self.hang_up:
                conn.settimeout(0.2)
                while not self.stop.is_set():
                    try:
                        data = conn.recv(4096)
                    except TimeoutError:
                        continue
                    except OSError:
                        return
                    if not data:
                        return
                    self.received.append(data)

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def env(self) -> dict[str, str]:
        return {"OPENHAND_SMTP_HOST": "127.0.0.1", "OPENHAND_SMTP_PORT": str(self.port),
                "OPENHAND_SMTP_STARTTLS": "0", "OPENHAND_SMTP_SSL": "0"}

    def __enter__(self) -> RawServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.sock.close()


class SmtpServer:
    """aiosmtpd's Controller on a free port (loopback only), with a LOGIN/PLAIN password if given.

    tls=None: plain text. tls="starttls": STARTTLS offered and required before anything else (so AUTH only
    ever comes over TLS). tls="ssl": implicit TLS from the first byte (port-465 style). Both need
    certificate=(cert.pem, key.pem), e.g. from make_certificate.
    """

    def __init__(self, user: str | None = None, password: str | None = None, tls: str | None = None,
                 certificate: tuple[str, str] | None = None, auth_require_tls: bool | None = None):
        if tls not in (None, "starttls", "ssl") or bool(tls) != bool(certificate):
            raise ValueError("tls must be 'starttls' or 'ssl' with a certificate, or None without one")
        self.handler = Recorder()
        self.user, self.password, self.tls = user, password, tls
        self.port = free_port()
        kwargs = {}
        if user:
            # aiosmtpd cannot tell implicit TLS from plain text, so only STARTTLS can make it require TLS for AUTH
            kwargs = {"authenticator": self._authenticate, "auth_required": True,
                      "auth_require_tls": tls == "starttls" if auth_require_tls is None else auth_require_tls}
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
            kwargs.update({"tls_context": context, "require_starttls": True} if tls == "starttls"
                          else {"ssl_context": context})
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        self.handler.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "", ok))
        tls = server.transport.get_extra_info("ssl_object")
        self.handler.login_tls.append(tls.version() if tls is not None else None)
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535 itself

    def env(self, password: str | None = None) -> dict[str, str]:
        env = {"OPENHAND_SMTP_HOST": "127.0.0.1", "OPENHAND_SMTP_PORT": str(self.port),
               "OPENHAND_SMTP_STARTTLS": "1" if self.tls == "starttls" else "0",
               "OPENHAND_SMTP_SSL": "1" if self.tls == "ssl" else "0"}
        if self.user:
            env.update(OPENHAND_SMTP_USER=self.user, OPENHAND_SMTP_PASSWORD=password or self.password)
        return env

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.handler.release.set()
        self.controller.stop()
