"""The email as it goes out: the built bytes, the no-strings check on them, and the one per-recipient step.

`personalise(message, recipient)` is the only place a message changes between recipients
(today: the To header). The list endpoint (issue 15) adds each recipient's signed
unsubscribe token there, in List-Unsubscribe and in the bodies' unsubscribe link; every
other byte stays as the build wrote it and as the check passed it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import formataddr, parseaddr

from .. import nostrings
from ..emails import header_block, site_domain


class MessageError(Exception):
    """The email cannot be sent as it is; the message says why and what to do."""


@dataclass(frozen=True)
class Recipient:
    niche: str
    address: str
    name: str = ""


@dataclass(frozen=True)
class Built:
    path: str
    data: bytes          # CRLF line ends, no To
    sender: str          # the envelope MAIL FROM: the From address
    digest: str          # of the bytes: the same rebuild gives the same digest


def load(path: str, data: bytes | None = None) -> Built:
    if data is None:
        with open(path, "rb") as handle:
            data = handle.read()
    if b"\r\n" not in data:
        data = data.replace(b"\n", b"\r\n")
    if b"\r\n\r\n" not in data:
        raise MessageError(f"{path} has no blank line between headers and body; rebuild it with make html")
    head = BytesParser(policy=policy.SMTP).parsebytes(data, headersonly=True)
    if head["To"] is not None:
        raise MessageError(f"{path} already has a To header; sending sets To per subscriber")
    sender = parseaddr(str(head.get("From", "")))[1]
    if "@" not in sender:
        raise MessageError(f"{path} has no From address; set email.from in the niche file")
    return Built(path, data, sender, hashlib.sha256(data).hexdigest()[:16])


def personalise(message: bytes, recipient: Recipient) -> bytes:
    """The message for one recipient: the built bytes with one To header added after the others."""
    end = message.find(b"\r\n\r\n")
    name = " ".join((recipient.name or "").split())
    to = policy.SMTP.fold("To", formataddr((name, recipient.address)) if name else recipient.address)
    return message[:end + 2] + to.encode("ascii") + message[end + 2:]


_HEADER = re.compile(rb"^(Subject|Message-ID):.*?\r\n(?=[^ \t]|\Z)", re.S | re.M | re.I)


def as_test(message: bytes, settings) -> bytes:
    """A test copy: the subject prefixed [Test] and a Message-ID of its own (so no mail client mistakes
    the real issue, later, for a copy it already has)."""
    end = message.find(b"\r\n\r\n") + 2
    head = BytesParser(policy=policy.SMTP).parsebytes(message, headersonly=True)
    subject = "[Test] " + str(head.get("Subject", ""))
    message_id = f"<test.{secrets.token_hex(8)}@{site_domain(settings)}>"
    replaced = {b"subject": header_block([("Subject", subject)]), b"message-id": header_block([("Message-ID",
                                                                                                  message_id)])}
    block = _HEADER.sub(lambda m: replaced[m.group(1).lower()], message[:end])
    return block + message[end:]


def problems(data: bytes, settings) -> list[str]:
    """The no-strings email checks on these exact bytes: '[rule] detail (part, line N)' for each finding."""
    message = BytesParser(policy=policy.SMTP).parsebytes(data)
    found = []
    hosts = nostrings.site_hosts(settings)
    for part in message.walk():
        kind = part.get_content_type()
        if kind not in ("text/html", "text/plain"):
            continue
        text = part.get_content()
        if kind == "text/html":
            size = nostrings.email_size_problem(len(text.encode("utf-8")), settings["EMAIL_MAX_BYTES"])
            if size:
                found.append(f"[email-size] {size}")
            hits = nostrings.scan_html(text, hosts)
        else:
            hits = nostrings.scan_text(text, (), links=True)
        found.extend(f"[{rule}] {detail} ({kind} part, line {line})" for line, rule, detail in hits)
    return found
