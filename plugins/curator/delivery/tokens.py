"""Signed tokens for the list's links: confirm a subscription, unsubscribe with one click.

A token is `PAYLOAD.MAC`, both base64url without padding: PAYLOAD is `purpose:niche:issued:address`
and MAC the first 16 bytes (128 bits) of HMAC-SHA256 over it, keyed by a key derived from
OPENHAND_LIST_SECRET. Nothing in it is guessable and it holds no database id; whoever has the
link can act for that one address on that one list, and nobody can make a link for another
address without the secret. Confirmation tokens expire (LIST_CONFIRM_HOURS); unsubscribe tokens
do not, so a link in a years-old issue still works (and the same address always gets the same
link). The address inside is encoded, not encrypted: the link is only ever mailed to it.

The secret comes from the environment only, never from a file, and is never shown: a changed
secret makes every earlier link invalid (the pages then say so, and the mailto: still works).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model.settings import SettingsError

if TYPE_CHECKING:  # the build imports this module for PLACEHOLDER, and must not import the relay's
    from .relay import Secret

SECRET_ENV = "OPENHAND_LIST_SECRET"
MIN_SECRET = 32
MAKE_ONE = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'
# What the build writes where each recipient's unsubscribe token goes (message.personalise fills it in).
PLACEHOLDER = "OPENHAND-UNSUBSCRIBE-TOKEN"
CONFIRM, UNSUBSCRIBE = "c", "u"
_MAC_BYTES = 16
MAX_TOKEN = 450  # the longest a token gets: a 60-character niche and a 254-character address


class BadToken(Exception):
    """Not a token this list made (forged, altered, cut short, or made with another secret)."""


class Expired(Exception):
    """A real confirmation token, older than LIST_CONFIRM_HOURS."""

    def __init__(self, token: Token):
        super().__init__("expired")
        self.token = token


@dataclass(frozen=True)
class Token:
    purpose: str
    niche: str
    address: str
    issued: int  # seconds since the epoch (0 in unsubscribe tokens: they carry no time)


def list_secret(environ=os.environ) -> Secret:
    """OPENHAND_LIST_SECRET, or a SettingsError saying how to make one (the value is never shown)."""
    from .relay import Secret

    value = environ.get(SECRET_ENV, "")
    if not value.strip():
        raise SettingsError(f"set {SECRET_ENV} in the environment (never in a file): a random string of at least "
                            f"{MIN_SECRET} characters, e.g. from {MAKE_ONE}")
    if len(value.strip()) < MIN_SECRET:
        raise SettingsError(f"{SECRET_ENV} is {len(value.strip())} characters; use at least {MIN_SECRET}, "
                            f"e.g. from {MAKE_ONE}")
    return Secret(value.strip())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Makes and checks tokens. `keyed(text)` is the same secret's keyed digest for other uses (rate limits)."""

    def __init__(self, secret: Secret, confirm_seconds: float):
        master = secret.reveal().encode("utf-8")
        self._key = hmac.new(master, b"openhand list tokens v1", hashlib.sha256).digest()
        self._other = hmac.new(master, b"openhand keyed digests v1", hashlib.sha256).digest()
        self.confirm_seconds = confirm_seconds

    def __repr__(self) -> str:
        return "Signer(********)"

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def sign(self, purpose: str, niche: str, address: str, issued: int = 0) -> str:
        payload = f"{purpose}:{niche}:{issued}:{address}".encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def confirm(self, niche: str, address: str, now: float | None = None) -> str:
        return self.sign(CONFIRM, niche, address, int(time.time() if now is None else now))

    def unsubscribe(self, niche: str, address: str) -> str:
        return self.sign(UNSUBSCRIBE, niche, address)

    def verify(self, token: str, purpose: str, now: float | None = None) -> Token:
        """The token's contents, or BadToken; Expired for a real confirmation token that is too old."""
        try:
            encoded, _, mac = (token or "").partition(".")
            payload, given = _unb64(encoded), _unb64(mac)
        except (binascii.Error, ValueError):
            raise BadToken("not a token") from None
        if not hmac.compare_digest(self._mac(payload), given):
            raise BadToken("the signature does not match")
        try:
            kind, niche, issued, address = payload.decode("utf-8").split(":", 3)
            found = Token(kind, niche, address, int(issued))
        except ValueError:
            raise BadToken("not a token") from None
        if kind != purpose:
            raise BadToken(f"a {kind!r} token where a {purpose!r} one belongs")
        if purpose == CONFIRM and (time.time() if now is None else now) - found.issued > self.confirm_seconds:
            raise Expired(found)
        return found

    def keyed(self, text: str) -> str:
        """A keyed digest of `text`: equal texts match, and nobody without the secret can tell what it was."""
        return hmac.new(self._other, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def signer(settings, environ=os.environ) -> Signer:
    return Signer(list_secret(environ), settings["LIST_CONFIRM_HOURS"] * 3600)
