"""What "nothing dangerous reached the output" means, as checks over real built files.

Each function returns a list of problems (empty = safe), each naming the file and
the offending bit, so a failing test says exactly what leaked and where.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
from bs4 import BeautifulSoup

from curator.curation.tracking import is_click_redirect, tracking_params

ACTIVE_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "svg", "math", "portal"}
URL_ATTRS = {"href", "src", "action", "formaction", "poster", "data", "background", "cite", "longdesc",
             "xlink:href", "srcset", "ping", "manifest", "icon"}
BAD_SCHEMES = ("javascript", "data", "vbscript", "file", "livescript", "mocha")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
# Headers an injected CR/LF would add; none of them belongs in an Openhand email.
FORBIDDEN_HEADERS = {"bcc", "cc", "x-injected", "set-cookie", "content-disposition"}


def _scheme(url: str) -> str:
    # Browsers drop ASCII whitespace and control characters inside a scheme ("java\tscript:").
    squeezed = re.sub(r"[\x00-\x20]", "", url)
    return urlsplit(squeezed).scheme.lower()


def url_problems(url: str, where: str) -> list[str]:
    out = []
    if _scheme(url) in BAD_SCHEMES:
        out.append(f"{where}: dangerous URL {url[:80]!r}")
    if url.startswith(("http://", "https://")):
        if tracking_params(url):
            out.append(f"{where}: tracking parameters {tracking_params(url)} in {url[:80]!r}")
        if is_click_redirect(url):
            out.append(f"{where}: click redirect {url[:80]!r}")
    if CONTROL.search(url) or "\n" in url or "\r" in url:
        out.append(f"{where}: control character in URL {url[:80]!r}")
    return out


def _elsewhere(url: str, site: str) -> bool:
    """True for a URL on another host (relative ones and the site's own absolute ones are local)."""
    if site and url.startswith(site.rstrip("/") + "/"):
        return False
    return "://" in url or url.startswith("//")


def html_problems(markup: str, where: str, *, local_scripts: bool = True, site: str = "") -> list[str]:
    """Scripts, handlers, active elements, bad URLs, tracking, outside images in one HTML document.

    local_scripts: the theme's own <script src> files are allowed (relative, or under `site`)."""
    out = []
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup.find_all(True):
        name = tag.name.lower()
        if name == "script":
            src = tag.get("src", "")
            if tag.get_text().strip() or not src or not local_scripts or _elsewhere(src, site):
                out.append(f"{where}: <script> {str(tag)[:80]!r}")
        if name in ACTIVE_TAGS:
            out.append(f"{where}: <{name}> {str(tag)[:80]!r}")
        if name == "meta" and (tag.get("http-equiv") or "").lower() == "refresh":
            out.append(f"{where}: <meta refresh> {str(tag)[:80]!r}")
        if name == "style" and re.search(r"expression\s*\(|javascript:|@import|url\s*\(\s*['\"]?(https?:)?//",
                                         tag.get_text(), re.I):
            out.append(f"{where}: <style> loads or runs something: {tag.get_text()[:80]!r}")
        if name == "img":
            src = tag.get("src", "")
            if _elsewhere(src, site):
                out.append(f"{where}: image from elsewhere {src[:80]!r}")
            if tag.get("width") in ("0", "1") or tag.get("height") in ("0", "1"):
                out.append(f"{where}: 1x1 image {str(tag)[:80]!r}")
        for attr, value in tag.attrs.items():
            values = value if isinstance(value, list) else [value]
            if attr.lower().startswith("on"):
                out.append(f"{where}: event handler {attr}= on <{name}>")
            if attr.lower() == "style" and re.search(r"expression\s*\(|javascript:|url\s*\(", " ".join(values), re.I):
                out.append(f"{where}: style={' '.join(values)[:80]!r} on <{name}>")
            if attr.lower() in URL_ATTRS:
                for url in values:
                    out.extend(url_problems(str(url).strip(), f"{where} <{name} {attr}>"))
    # The injected payloads all carry this marker; as text it is harmless, in code it is not.
    for tag in soup.find_all(["script", "style"]):
        if "__pwned" in tag.get_text():
            out.append(f"{where}: injected code in <{tag.name}>")
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            if "__pwned" in (" ".join(value) if isinstance(value, list) else str(value)):
                out.append(f"{where}: injected code in {attr}= on <{tag.name}>")
    return out


def text_problems(text: str, where: str) -> list[str]:
    out = []
    if re.search(r"<\s*(script|iframe|img|svg|style|object|embed)\b", text, re.I):
        out.append(f"{where}: markup in plain text")
    if CONTROL.search(text):
        out.append(f"{where}: control or bidi-override character {CONTROL.search(text).group()!r}")
    return out


def page_problems(path: Path, site: str = "") -> list[str]:
    return html_problems(path.read_text(encoding="utf-8"), str(path), site=site)


def feed_problems(path: Path) -> list[str]:
    """A niche feed: well-formed, and every entry's links and HTML safe once a reader unescapes it."""
    raw = path.read_bytes()
    parsed = feedparser.parse(raw, sanitize_html=False, resolve_relative_uris=False)
    where = str(path)
    out = [f"{where}: not well-formed ({parsed.get('bozo_exception')})"] if parsed.get("bozo") else []
    if not parsed.entries:
        out.append(f"{where}: no entries")
    for entry in parsed.entries:
        out.extend(text_problems(entry.get("title", ""), f"{where} title"))
        for link in entry.get("links", []):
            out.extend(url_problems(link.get("href", ""), f"{where} link"))
        bodies = [entry.get("summary", "")] + [c.get("value", "") for c in entry.get("content", [])]
        for body in bodies:
            out.extend(html_problems(body, f"{where} entry body", local_scripts=False))
    return out


def eml_problems(path: Path) -> list[str]:
    """One built email: headers without injected lines, HTML and text parts safe."""
    where = str(path)
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    out = []
    for name, value in message.items():
        if name.lower() in FORBIDDEN_HEADERS:
            out.append(f"{where}: unexpected header {name}: {str(value)[:60]!r}")
        if CONTROL.search(str(value)) or "\n" in str(value) or "\r" in str(value):
            out.append(f"{where}: CR/LF or control character in header {name}")
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/html":
            out.extend(html_problems(part.get_content(), f"{where} (html part)", local_scripts=False))
        elif kind == "text/plain":
            out.extend(text_problems(part.get_content(), f"{where} (text part)"))
    return out
