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
    """The handler: accepted messages in `messages`; the dicts and events below make it misbehave."""

    messages: list[Received] = field(default_factory=list)
    temporary: dict[str, int] = field(default_factory=dict)    # address -> how many 451s before a 250
    reject: dict[str, str] = field(default_factory=dict)       # address -> a 5xx reply, every time
    drop: dict[str, int] = field(default_factory=dict)         # address -> how many times to hang up at end of data
    hold_after: int | None = None                              # after this many messages, stall at RCPT ...
    held: threading.Event = field(default_factory=threading.Event)     # ... set while stalled
    release: threading.Event = field(default_factory=threading.Event)  # ... until this is set
    logins: list[tuple[str, bool]] = field(default_factory=list)
    login_tls: list[str | None] = field(default_factory=list)  # per AUTH: the TLS version it came over, or None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if key in self.reject:
            return self.reject[key]
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
        for address in envelope.rcpt_tos:
            if self.drop.get(address.lower()):
                self.drop[address.lower()] -= 1
                server.transport.close()  # hang up before the reply: nothing accepted
                return "421 4.4.2 Connection dropped"
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Accepted"


class SmtpServer:
    """aiosmtpd's Controller on a free port (loopback only), with a LOGIN/PLAIN password if given.

    tls=None: plain text. tls="starttls": STARTTLS offered and required before anything else (so AUTH only
    ever comes over TLS). tls="ssl": implicit TLS from the first byte (port-465 style). Both need
    certificate=(cert.pem, key.pem), e.g. from make_certificate.
    """

    def __init__(self, user: str | None = None, password: str | None = None, tls: str | None = None,
                 certificate: tuple[str, str] | None = None):
        if tls not in (None, "starttls", "ssl") or bool(tls) != bool(certificate):
            raise ValueError("tls must be 'starttls' or 'ssl' with a certificate, or None without one")
        self.handler = Recorder()
        self.user, self.password, self.tls = user, password, tls
        self.port = free_port()
        kwargs = {}
        if user:
            # aiosmtpd cannot tell implicit TLS from plain text, so only STARTTLS can make it require TLS for AUTH
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": tls == "starttls",
                      "auth_required": True}
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
