"""Niche files (content/niches/<slug>.md): whom a newsletter serves and where its links come from."""

from __future__ import annotations

import difflib
import glob
import logging
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .documents import ContentError, Fields, load
from .tracking import is_web_url, web_url

logger = logging.getLogger(__name__)

CADENCES = {"weekly": 7, "biweekly": 14, "monthly": 28}
KNOWN_KEYS = {"title", "summary", "cadence", "max_links", "per_source", "keywords", "exclude",
              "sections", "feeds", "email", "slug", "lang"}


@dataclass(frozen=True)
class Section:
    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class FeedSource:
    """One feed a niche reads. `location` is an http(s) URL or an absolute file path."""

    url: str
    name: str
    weight: float
    location: str

    @property
    def is_remote(self) -> bool:
        return is_web_url(self.location)


@dataclass(frozen=True)
class EmailSettings:
    from_: str
    reply_to: str
    unsubscribe: tuple[str, ...]

    @property
    def unsubscribe_mailto(self) -> str | None:
        return next((u for u in self.unsubscribe if u.startswith("mailto:")), None)

    @property
    def unsubscribe_https(self) -> str | None:
        return next((u for u in self.unsubscribe if u.startswith("https://")), None)


@dataclass(frozen=True)
class Niche:
    slug: str
    path: str
    title: str
    summary: str
    cadence: str
    max_links: int
    per_source: int
    keywords: tuple[str, ...]
    exclude: tuple[str, ...]
    sections: tuple[Section, ...]
    feeds: tuple[FeedSource, ...]
    email: EmailSettings
    body: str = ""
    lang: str = "en"
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def cadence_days(self) -> int:
        return CADENCES[self.cadence]


def load_niche(path: str) -> Niche:
    """Read and validate one niche file; raises ContentError naming file and key."""
    post = load(path)
    f = Fields(path, post.metadata)
    slug = os.path.splitext(os.path.basename(path))[0]
    for key in f.unknown(KNOWN_KEYS):
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
        logger.warning("%s: unknown key %r is ignored%s", path, key,
                       f" (did you mean {close[0]!r}?)" if close else "")
    sections = []
    for i, rec in enumerate(f.records("sections", (), "[{name: Money, keywords: [tax, payroll]}]")):
        s = f.nested("sections", rec, i)
        sections.append(Section(s.text("name", example="Money"), tuple(w.lower() for w in s.words("keywords"))))
    names = [s.name for s in sections]
    if len(set(names)) != len(names):
        raise f.error("sections", f"has the same section name twice: {names}", "[{name: Money}, {name: Staff}]")
    feeds = tuple(_feed(f.nested("feeds", rec, i), path)
                  for i, rec in enumerate(f.records("feeds", (), "[{url: 'https://example.org/feed.xml', name: Example, weight: 1}]")))
    seen: set[str] = set()
    for feed in feeds:
        if feed.location in seen:
            raise f.error("feeds", f"lists the feed {feed.url} twice", "one entry per feed")
        seen.add(feed.location)
    return Niche(
        slug=slug,
        path=path,
        title=f.text("title", example="Dental practices"),
        summary=f.text("summary", "", "One sentence on whom this serves"),
        cadence=f.choice("cadence", tuple(CADENCES), "monthly"),
        max_links=f.number("max_links", 7, "7", minimum=1),
        per_source=f.number("per_source", 2, "2", minimum=1),
        keywords=tuple(w.lower() for w in f.words("keywords")),
        exclude=tuple(w.lower() for w in f.words("exclude")),
        sections=tuple(sections),
        feeds=feeds,
        email=_email(f),
        body=post.content,
        lang=f.text("lang", "en", "en"),
    )


def _feed(f: Fields, niche_path: str) -> FeedSource:
    url = f.text("url", example="https://example.org/feed.xml")
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):  # urlsplit lowercases it: HTTP://Example.org/x is a URL too
        location = web_url(url)
        if location is None or not parts.netloc or " " in url:
            raise f.error("url", f"is not a URL: {url!r}", "https://example.org/feed.xml")
        url = location
    elif parts.scheme and len(parts.scheme) > 1:
        raise f.error("url", f"must be an http(s) URL or a file path, not {parts.scheme}:", "https://example.org/feed.xml")
    else:
        location = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(niche_path)), url))
    name = f.text("name", "", "Dental Practice Journal") or (parts.netloc or os.path.basename(url))
    weight = f.number("weight", 1.0, "1.0", kind=float, minimum=0)
    return FeedSource(url=url, name=name, weight=weight, location=location)


def _email(f: Fields) -> EmailSettings:
    example = "{from: 'Practice <letters@example.com>', reply_to: hello@example.com, unsubscribe: 'mailto:unsubscribe@example.com'}"
    e = f.nested("email", f.mapping("email", example=example))
    unsubscribe = e.words("unsubscribe", example="'mailto:unsubscribe@example.com'")
    if not unsubscribe:
        raise e.error("unsubscribe", "is missing: every email must say how to stop", "'mailto:unsubscribe@example.com'")
    for address in unsubscribe:
        if not (address.startswith("mailto:") and "@" in address) and not address.startswith("https://"):
            raise e.error("unsubscribe", f"must be a mailto: or https: address, not {address!r}",
                          "'mailto:unsubscribe@example.com'")
        if not address.isascii():  # it goes into List-Unsubscribe as it is
            raise e.error("unsubscribe", f"{address!r} holds characters a mail header cannot carry; "
                          "percent-encode them (é -> %C3%A9)", "'https://example.com/d%C3%A9sabonner'")
    from_ = e.text("from", example="'Practice <letters@example.com>'")
    if "@" not in from_:
        raise e.error("from", f"is not an email address: {from_!r}", "'Practice <letters@example.com>'")
    reply_to = e.text("reply_to", from_, "hello@example.com")
    for key, value in (("from", from_), ("reply_to", reply_to)):
        if "\r" in value or "\n" in value:
            raise e.error(key, "must be one line", "'Practice <letters@example.com>'")
    return EmailSettings(from_=from_, reply_to=reply_to, unsubscribe=tuple(unsubscribe))


def load_niches(folder: str) -> dict[str, Niche]:
    """Every niche in a folder by slug; the first bad file stops with its ContentError."""
    niches = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.md"))):
        niche = load_niche(path)
        niches[niche.slug] = niche
    return niches


def require_niche(niches: dict[str, Niche], slug: str, path: str, key: str = "niche") -> Niche:
    """The niche a file points at, or a ContentError listing the ones there are."""
    if slug not in niches:
        known = ", ".join(sorted(niches)) or "none yet"
        raise ContentError(path, f"names niche {slug!r}, which has no file in content/niches/ (known: {known})",
                           key=key, fix="use one of the known slugs or add the niche file")
    return niches[slug]
