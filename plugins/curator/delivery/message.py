"""The email as it goes out: the built bytes, the no-strings check on them, and the one per-recipient step.

`personalise(message, recipient)` is the only place a message changes between recipients:
it adds the To header and, when the site has a list endpoint (LIST_ENDPOINT), puts the
recipient's signed unsubscribe token where the build wrote tokens.PLACEHOLDER: in
List-Unsubscribe (rewritten on one line) and in the unsubscribe link of both bodies (the
quoted-printable parts are decoded, filled in and encoded again; everything else is the
built bytes). Every other byte stays as the build wrote it and as the check passed it, and
`per_recipient_problems` proves it before a send by comparing two readers' copies.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import formataddr, parseaddr

from ..build import nostrings
from ..build.emails import header_block, site_domain
from .tokens import MAX_TOKEN, PLACEHOLDER, SECRET_ENV


class MessageError(Exception):
    """The email cannot be sent as it is; the message says why and what to do."""


@dataclass(frozen=True)
class Recipient:
    niche: str
    address: str
    name: str = ""
    token: str = ""  # the signed unsubscribe token for this address and niche (tokens.Signer.unsubscribe)


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
    """The message for one recipient: the built bytes with one To header added after the others, and the
    recipient's unsubscribe token where the build left its place (a MessageError if it has none to give)."""
    template = _template(message)
    name = " ".join((recipient.name or "").split())
    to = policy.SMTP.fold("To", formataddr((name, recipient.address)) if name else recipient.address)
    if not template.pieces:
        return template.head + to.encode("ascii") + template.body[0]
    if not recipient.token:
        raise MessageError(f"this email has a one-click unsubscribe link (LIST_ENDPOINT) and no token was given for "
                           f"{recipient.address}; set {SECRET_ENV} in the environment")
    token = recipient.token.encode("ascii")
    head = template.head.replace(template.unsubscribe, template.unsubscribe.replace(_MARK, token))
    return head + to.encode("ascii") + b"".join(piece if isinstance(piece, bytes) else piece(token)
                                                for piece in template.body)


def needs_token(message: bytes) -> bool:
    """Whether the email has places for an unsubscribe token (it was built with LIST_ENDPOINT)."""
    return bool(_template(message).pieces)


_MARK = PLACEHOLDER.encode("ascii")
_FIELD = re.compile(rb"^List-Unsubscribe:[^\r]*\r\n(?:[ \t][^\r]*\r\n)*", re.M | re.I)
_CTE_QP = re.compile(rb"^Content-Transfer-Encoding:\s*quoted-printable\s*$", re.M | re.I)
_BOUNDARY = re.compile(rb'^Content-Type:(?:[^\r]|\r\n[ \t])*?boundary="?([^";\r\n]+)"?', re.M | re.I)


@dataclass(frozen=True)
class _Template:
    head: bytes          # the header lines, each ending CRLF (List-Unsubscribe unfolded to one line)
    unsubscribe: bytes   # that List-Unsubscribe line (b"" when it has no placeholder)
    body: tuple          # the blank line and the body: bytes as built, and fillers for the token's places
    pieces: int          # how many places a token goes (0: nothing to fill in)


class _Filler:
    """One quoted-printable part with the token's places: decoded once, encoded per recipient as the build
    encodes it (lines end LF for binascii, then CRLF as the MIME generator writes them)."""

    def __init__(self, pieces: list[bytes]):
        self.pieces = pieces

    def __call__(self, token: bytes) -> bytes:
        return binascii.b2a_qp(token.join(self.pieces), istext=True).replace(b"\n", b"\r\n")


@functools.lru_cache(maxsize=16)
def _template(message: bytes) -> _Template:
    """The built message split where a recipient's token goes (cached: the sender passes the same bytes object)."""
    end = message.find(b"\r\n\r\n")
    head, rest = message[:end + 2], message[end + 2:]
    field = _FIELD.search(head)
    if field is None or _MARK not in field.group(0):
        return _Template(head, b"", (rest,), 0)
    line = field.group(0).replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    if len(line) - len(_MARK) + MAX_TOKEN > 996:  # fold between the URIs if one line could pass RFC 5322's 998
        line = line.replace(b">, <", b">,\r\n <")
    head = head[:field.start()] + line + head[field.end():]
    boundary = _BOUNDARY.search(head)
    delimiter = b"\r\n--" + boundary.group(1) if boundary else None
    body = _fill_parts(rest, delimiter) if delimiter else [rest]
    pieces = sum(len(p.pieces) - 1 for p in body if isinstance(p, _Filler))
    if not pieces:
        raise MessageError(f"the email's List-Unsubscribe has {PLACEHOLDER} but no body part has it; rebuild it "
                           "with make html (the email templates must show the unsubscribe link)")
    return _Template(head, line, tuple(body), pieces)


def _fill_parts(rest: bytes, delimiter: bytes) -> list:
    """The body as built bytes and _Fillers, one for each quoted-printable part that holds the placeholder."""
    out: list = []
    chunks = rest.split(delimiter)
    for i, chunk in enumerate(chunks):
        out.append(delimiter if i else b"")
        split = chunk.find(b"\r\n\r\n")
        part_head = chunk[:split + 4] if split >= 0 else b""
        payload = chunk[split + 4:] if split >= 0 else chunk
        decoded = binascii.a2b_qp(payload).replace(b"\r\n", b"\n") if i and _CTE_QP.search(part_head) else None
        if decoded is not None and _MARK in decoded:
            filler = _Filler(decoded.split(_MARK))
            if filler(_MARK) != payload:  # the part would not come back byte for byte: refuse, never guess
                raise MessageError("an email part cannot be filled in without changing it; rebuild it with make html")
            out += [part_head, filler]
        else:
            out.append(chunk)
    return out


def per_recipient_problems(message: bytes, first: Recipient, second: Recipient) -> list[str]:
    """Everything two readers' copies differ in besides To and the unsubscribe token, and any place where a
    copy lacks its token: the proof that nothing else is per-recipient (no tracking by construction)."""
    copies = [_masked(personalise(message, r), r) for r in (first, second)]
    found = []
    for (where, one), (_, other) in zip(*copies, strict=False):
        if one != other:
            found.append(f"the copies for two readers differ in {where}, not only in To and the unsubscribe token")
    if len(copies[0]) != len(copies[1]):
        found.append("the copies for two readers have different parts")
    if needs_token(message):
        for where, text in copies[0]:
            if where in ("List-Unsubscribe", "the text/plain part", "the text/html part") and "\0TOKEN\0" not in text:
                found.append(f"{where} has no unsubscribe link for the reader")
    return found


def _masked(data: bytes, recipient: Recipient) -> list[tuple[str, str]]:
    """(where, text) for each header and each part's content, with To and the token taken out."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    mask = (lambda text: text.replace(recipient.token, "\0TOKEN\0")) if recipient.token else (lambda text: text)
    out = [(name, mask(str(value))) for name, value in message.items() if name.lower() != "to"]
    for part in message.walk():
        if part is not message:
            out += [(f"the {part.get_content_type()} part's {name}", str(value)) for name, value in part.items()]
        if not part.is_multipart():
            out.append((f"the {part.get_content_type()} part", mask(part.get_content())))
    return out


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
