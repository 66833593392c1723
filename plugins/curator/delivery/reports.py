"""What a message in the list's mailbox asks for: pure functions from a parsed email to findings.

* A delivery status notification (RFC 3464: multipart/report; report-type=delivery-status):
  per recipient, Action failed with Status 5.x.x is a permanent failure (bounce), 4.x.x a
  temporary one (soft bounce); Action delayed says the relay is still trying (noted, nothing
  changes). The subscriber is Original-Recipient, else Final-Recipient.
* An abuse report (RFC 5965 ARF: report-type=feedback-report, Feedback-Type abuse, fraud, virus or
  other) is a complaint; the subscriber is Original-Rcpt-To, else the original message's To.
* Anything else sent to a niche's unsubscribe address, or with "unsubscribe" in its subject, is a
  mailto: unsubscribe request from its From address (never an automatic reply, RFC 3834).

The niche comes from the original message a report includes (or a request replies to): first a
valid signed token in its List-Unsubscribe (it also names the address exactly), else its List-Id
`<slug.domain>` or Message-ID `<slug.N@domain>` / `<confirm.slug.x@domain>` on this site's domain.
A report this site's mail cannot be found in is not ours: `classify` returns None, and the
message is left for the editor, as is anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parseaddr
from urllib.parse import unquote, urlsplit

from .subscribers import check_address
from .tokens import UNSUBSCRIBE, BadToken, Signer

UNSUBSCRIBE_WORD = re.compile(r"\bunsubscribe\b", re.I)
COMPLAINTS = {"abuse", "fraud", "virus", "other"}
_ID = re.compile(r"<([^<>@\s]+)@([^<>@\s]+)>")
_TOKEN = re.compile(r"<https?://[^<>]*/u/([A-Za-z0-9_.-]+)>")


@dataclass(frozen=True)
class Finding:
    kind: str                   # unsubscribe | bounce | soft-bounce | delayed | delivered | complaint
    address: str
    niches: tuple[str, ...]     # the lists it applies to; empty with `anywhere`: every list the address is on
    detail: str
    anywhere: bool = False


@dataclass(frozen=True)
class Context:
    domain: str                             # the site's mail domain (Message-ID, List-Id)
    unsubscribe: dict                       # niche slug -> (its mailto: address, lower case; its subject or "")
    signer: Signer | None = None            # when OPENHAND_LIST_SECRET is set


def mailto_parts(uri: str | None) -> tuple[str, str]:
    """(address in lower case, subject) of a mailto: URI."""
    if not uri:
        return "", ""
    parts = urlsplit(uri)
    subject = next((unquote(v) for k, _, v in (p.partition("=") for p in parts.query.split("&"))
                    if k.lower() == "subject"), "")
    return unquote(parts.path).strip().lower(), subject


def classify(message: EmailMessage, ctx: Context) -> list[Finding] | None:
    """The findings for one message, or None when it is not for the program (left for the editor)."""
    if message.get_content_type() == "multipart/report":
        kind = str(message.get_param("report-type") or "").lower()
        if kind == "delivery-status":
            return _dsn(message, ctx)
        if kind == "feedback-report":
            return _arf(message, ctx)
        return None
    return _request(message, ctx)


def _original(message: EmailMessage):
    """The headers of the original message a report carries (message/rfc822 or text/rfc822-headers)."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            return inner[0] if isinstance(inner, list) and inner else None
        if kind in ("text/rfc822-headers", "message/rfc822-headers"):
            return HeaderParser(policy=policy.default).parsestr(_text(part))
    return None


def _text(part) -> str:
    data = part.get_payload(decode=True) or b""
    return data.decode("utf-8", "replace")


def _fields(part) -> list:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload
    return [HeaderParser(policy=policy.default).parsestr(block) for block in re.split(r"\r?\n\r?\n", _text(part))
            if block.strip()]


def origin(original, ctx: Context) -> tuple[str | None, str | None]:
    """(niche, address) of one of this site's messages: the address only from a valid signed token."""
    if original is None:
        return None, None
    if ctx.signer is not None:
        match = _TOKEN.search(str(original.get("List-Unsubscribe", "")))
        if match:
            try:
                token = ctx.signer.verify(match.group(1), UNSUBSCRIBE)
                return token.niche, token.address
            except BadToken:
                pass
    match = _ID.search(str(original.get("List-Id", "")))
    if match and match.group(1).lower().endswith("." + ctx.domain):
        slug = match.group(1)[:-len(ctx.domain) - 1]
        if slug in ctx.unsubscribe:
            return slug, None
    for header in ("Message-ID", "In-Reply-To", "References"):
        for local, domain in _ID.findall(str(original.get(header, ""))):
            if domain.lower() != ctx.domain:
                continue
            parts = local.split(".")
            if parts[0] == "confirm" and len(parts) == 3:
                slug = parts[1]
            else:
                slug = parts[0] if len(parts) == 2 and parts[1].isdigit() else None
            if slug in ctx.unsubscribe:
                return slug, None
    return None, None


def _address(value: str | None) -> str | None:
    """`rfc822; a@b.example` (or a bare address) as an address, or None."""
    text = str(value or "").split(";", 1)[-1].strip().strip("<>")
    address, _, problem = check_address(text)
    return None if problem else address


def _dsn(message: EmailMessage, ctx: Context) -> list[Finding] | None:
    niche, signed = origin(_original(message), ctx)
    status = next((p for p in message.walk() if p.get_content_type() in ("message/delivery-status",
                                                                          "message/global-delivery-status")), None)
    if niche is None or status is None:
        return None
    found = []
    for block in _fields(status)[1:]:
        address = signed or _address(block.get("Original-Recipient")) or _address(block.get("Final-Recipient"))
        action = str(block.get("Action", "")).strip().lower()
        code = str(block.get("Status", "")).strip()
        detail = " ".join(f"{code} {block.get('Diagnostic-Code', '')}".split())[:200]
        if address is None:
            continue
        if action == "failed" and code.startswith("5"):
            found.append(Finding("bounce", address, (niche,), f"permanent failure {detail}"))
        elif action == "failed" and code.startswith("4"):
            found.append(Finding("soft-bounce", address, (niche,), f"temporary failure {detail}"))
        elif action == "delayed":
            found.append(Finding("delayed", address, (niche,), f"delayed {detail}"))
        elif action in ("delivered", "relayed", "expanded"):
            found.append(Finding("delivered", address, (niche,), f"{action} {detail}"))
    return found or None


def _arf(message: EmailMessage, ctx: Context) -> list[Finding] | None:
    original = _original(message)
    niche, signed = origin(original, ctx)
    report = next((p for p in message.walk() if p.get_content_type() == "message/feedback-report"), None)
    if niche is None or report is None:
        return None
    fields = _fields(report)
    head = fields[0] if fields else {}
    if str(head.get("Feedback-Type", "")).strip().lower() not in COMPLAINTS:
        return None
    to = getaddresses([str(original.get("To", ""))]) if original is not None else []
    address = signed or _address(head.get("Original-Rcpt-To")) or (_address(to[0][1]) if to else None)
    if address is None:
        return None
    source = str(head.get("User-Agent") or head.get("Reporting-MTA") or "a mailbox provider").strip()[:80]
    return [Finding("complaint", address, (niche,), f"an abuse report ({source})")]


def _request(message: EmailMessage, ctx: Context) -> list[Finding] | None:
    if str(message.get("Auto-Submitted", "no")).strip().lower() != "no":
        return None  # an automatic reply (out of office, a robot) never unsubscribes anyone
    address = _address(parseaddr(str(message.get("From", "")))[1])
    subject = str(message.get("Subject", ""))
    recipients = {a.lower() for _, a in getaddresses([str(message.get(h, "")) for h in
                                                      ("To", "Cc", "Delivered-To", "X-Original-To")])}
    matched = [slug for slug, (mailto, _) in ctx.unsubscribe.items() if mailto and mailto in recipients]
    if len(matched) > 1:  # several lists share the address: the subject their mailto: asks for picks one
        chosen = [s for s in matched if ctx.unsubscribe[s][1] and ctx.unsubscribe[s][1].lower() in subject.lower()]
        matched = chosen or matched
    if address is None or not (matched or UNSUBSCRIBE_WORD.search(subject)):
        return None
    detail = f"a mailto: request ({subject.strip()[:60]!r})" if subject.strip() else "a mailto: request"
    if matched:
        return [Finding("unsubscribe", address, tuple(matched), detail)]
    niche, _ = origin(message, ctx)  # a reply to an issue names its list in In-Reply-To / References
    if niche:
        return [Finding("unsubscribe", address, (niche,), detail)]
    return [Finding("unsubscribe", address, (), detail, anywhere=True)]


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)
