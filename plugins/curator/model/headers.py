"""What may go into an email header, and the header values built from an editor's words.

One owner for the rules, so `openhand curate` (which loads niches) and the build refuse
the same things, naming the file and the key:

* any control character (C0 with tab, DEL, C1, and the Unicode line and paragraph
  separators): a CR or LF starts a new header, the others hide or split one in some clients;
* more or fewer than one mailbox where one belongs (`from`, `reply_to`);
* an unsubscribe URI holding what would end its `<...>` early or start a second one
  (whitespace, `<`, `>`, `,`, `"`) or too long to fit one header line (it is never folded);
* a List-Id phrase is a quoted-string with `\\` and `"` escaped (RFC 5322 3.2.4), or RFC 2047
  encoded-words when it is not ASCII; Message-ID and List-Id ids are dot-atoms (RFC 5322, RFC 2919).
"""

from __future__ import annotations

import re
from email import policy
from email.header import Header
from urllib.parse import urlsplit

from .documents import ContentError
from .settings import SettingsError

MAX_URI = 900  # List-Unsubscribe URIs are folded only between them: each must fit a 998-byte line
MAX_ADDRESS = 254  # RFC 5321's limit on a path
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a line break (CR)", "\u2028": "a line separator",
          "\u2029": "a paragraph separator", "\x85": "a line break (NEL)"}
_URI_STOP = re.compile(r'[\s<>,"]')
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")


def control_problem(value: str) -> str | None:
    """Why `value` cannot be a header value, or None."""
    match = _CONTROL.search(value)
    if not match:
        return None
    char = match.group(0)
    name = _NAMES.get(char, f"the control character U+{ord(char):04X}")
    return f"holds {name}, which cannot go into an email header"


def one_line(value: str, path: str, key: str, header: str) -> str:
    """`value` if it can be the `header` header's value; a ContentError naming file and key if not."""
    problem = control_problem(value)
    if problem:
        raise ContentError(path, f"{problem} ({header})", key=key,
                           fix="write it on one line, with no tabs or control characters")
    return value


def mailbox(value: str, path: str, key: str, example: str) -> str:
    """Exactly one mailbox ('Name <a@example.org>' or 'a@example.org'), as email.headerregistry reads it."""
    one_line(value, path, key, "From")
    fix = f"write one address, e.g. {key}: {example}"
    try:
        header = policy.SMTP.header_factory("From", value)
        addresses = header.addresses
    except (IndexError, ValueError, TypeError, AttributeError):  # the stdlib's parser raises IndexError on 'a@'
        raise ContentError(path, f"is not an email address: {value!r}", key=key, fix=fix) from None
    if len(addresses) != 1:
        found = ", ".join(a.addr_spec for a in addresses) or "none"
        raise ContentError(path, f"must be one email address, not {len(addresses)} ({found})", key=key, fix=fix)
    address = addresses[0]
    if header.defects or not address.username or not address.domain:
        raise ContentError(path, f"is not an email address: {value!r}", key=key, fix=fix)
    if not address.addr_spec.isascii():
        raise ContentError(path, f"address {address.addr_spec!r} is not ASCII; mail headers cannot carry it",
                           key=key, fix="write the domain in its ASCII (xn--) form; a display name may be any text")
    if len(address.addr_spec) > MAX_ADDRESS:
        raise ContentError(path, f"address is {len(address.addr_spec)} characters, over SMTP's {MAX_ADDRESS}",
                           key=key, fix=fix)
    return value


def unsubscribe_uri(value: str, path: str, key: str) -> str:
    """A mailto: address or an https: URL that goes into List-Unsubscribe as it is, between < and >."""
    example = "'mailto:unsubscribe@example.com'"
    one_line(value, path, key, "List-Unsubscribe")
    if not value.isascii():
        raise ContentError(path, f"{value!r} holds characters a mail header cannot carry; "
                           "percent-encode them (é -> %C3%A9)", key=key, fix="write e.g. 'https://example.com/d%C3%A9sabonner'")
    if not value.startswith(("mailto:", "https://")):
        raise ContentError(path, f"must be a mailto: or https: address, not {value!r}", key=key,
                           fix=f"write e.g. {example}")
    stop = _URI_STOP.search(value)
    if stop:
        char = stop.group(0)
        raise ContentError(path, f"{value!r} holds {char!r}, which would end or split the List-Unsubscribe "
                           "header's <...> (a second address could be slipped in)", key=key,
                           fix=f"percent-encode it ({char!r} -> %{ord(char):02X}) or remove it")
    if len(value) > MAX_URI:
        raise ContentError(path, f"is {len(value)} characters, too long for one mail header line (at most {MAX_URI})",
                           key=key, fix="use a shorter address")
    if value.startswith("mailto:"):
        address = value[len("mailto:"):].split("?", 1)[0]
        if address.count("@") != 1 or not all(address.split("@")):
            raise ContentError(path, f"{value!r} is not a mailto: address", key=key, fix=f"write e.g. {example}")
    elif not urlsplit(value).hostname:
        raise ContentError(path, f"{value!r} has no host", key=key, fix="write e.g. 'https://example.com/unsubscribe'")
    return value


def domain(settings) -> str:
    """The domain of Message-ID and List-Id: SITE_DOMAIN, else SITEURL's host, else localhost; ASCII (IDNA)."""
    value = settings.get("SITE_DOMAIN") or urlsplit(settings["SITEURL"]).hostname or "localhost"
    try:
        ascii_domain = value.strip().rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        ascii_domain = ""
    if not DOT_ATOM.fullmatch(ascii_domain):
        raise SettingsError(f"SITE_DOMAIN {value!r} is not a domain name; e.g. SITE_DOMAIN = 'example.com'")
    return ascii_domain


def message_id(slug: str, number: int, site_domain: str) -> str:
    """<slug.number@domain>: stable (the same issue always has the same id) and a valid msg-id."""
    return f"<{slug}.{number}@{site_domain}>"


def list_id(title: str, slug: str, site_domain: str) -> str:
    """RFC 2919: a phrase naming the list, then <slug.domain>."""
    return f"{phrase(title)} <{slug}.{site_domain}>"


def phrase(text: str) -> str:
    """Display text for a header: a quoted-string when ASCII and every word fits a line, else encoded-words."""
    if text.isascii() and all(len(word) <= 900 for word in text.split(" ")):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return encoded_words(text)


def encoded_words(text: str) -> str:
    """Text as RFC 2047 encoded-words (UTF-8), separated by spaces so a header can fold between them."""
    return Header(text, "utf-8").encode(linesep="\n").replace("\n", "")
