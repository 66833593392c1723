"""Niche files (content/niches/<slug>.md): whom a newsletter serves and where its links come from."""

from __future__ import annotations

import difflib
import glob
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..curation.tracking import is_web_url, web_url
from .documents import ContentError, gather, inside, load, raise_all
from .fields import Fields
from .headers import mailbox, one_line, unsubscribe_uri

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
    """One feed a niche reads. `url` is as the niche file writes it (for messages); `location` is what is
    fetched and the feed cache's key: the http(s) URL, or the file's absolute path."""

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
    lang: str = ""   # empty: the site's DEFAULT_LANG (`language`)
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def cadence_days(self) -> int:
        return CADENCES[self.cadence]


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 60


def slug_of(path: str) -> str:
    """The niche's slug: its file name, which goes into URLs, folder names, Message-ID and List-Id
    as it is, so it must be a-z, 0-9 and single hyphens, at most 60 characters; a ContentError if not."""
    slug = os.path.splitext(os.path.basename(path))[0]
    if len(slug) <= MAX_SLUG and SLUG.fullmatch(slug):
        return slug
    suggestion = suggest_slug(slug)
    raise ContentError(path, f"the file name {slug!r} is the niche's slug (its URLs, folders and mail headers) and "
                       f"must be 1-{MAX_SLUG} of a-z, 0-9 and hyphens", key=None,
                       fix=f"rename the file to {suggestion}.md (and its issues' folder to newsletters/{suggestion}/)")


def suggest_slug(name: str) -> str:
    """A slug close to `name`: accents dropped, lowercase, other characters as hyphens, cut at 60."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_name)) or "niche"
    return slug[:MAX_SLUG].rstrip("-")


def load_niche(path: str, root: str | None = None) -> Niche:
    """Read and validate one niche file; raises ContentError naming file and key (every wrong key at once).
    With `root` (content/), a feed that is a local file must be inside it."""
    post = load(path)
    f = Fields(path, post.metadata)
    slug = f.keep(slug_of, path, default="")
    for key in f.unknown(KNOWN_KEYS):
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
        logger.warning("%s: unknown key %r is ignored%s", path, key,
                       f" (did you mean {close[0]!r}?)" if close else "")
    sections = []
    for i, rec in enumerate(f.keep(f.records, "sections", (), "[{name: Money, keywords: [tax, payroll]}]", default=())):
        s = f.nested("sections", rec, i)
        sections.append(Section(s.keep(s.text, "name", example="Money", default=""),
                                tuple(w.lower() for w in s.keep(s.words, "keywords", default=[]))))
    names = [s.name for s in sections]
    if len(set(names)) != len(names):
        f.errors.append(
            f.error("sections", f"has the same section name twice: {names}", "[{name: Money}, {name: Staff}]")
        )
    records = f.keep(
        f.records, "feeds", (), "[{url: 'https://example.org/feed.xml', name: Example, weight: 1}]", default=()
    )
    feeds = tuple(
        feed for feed in (f.keep(_feed, f.nested("feeds", rec, i), path, root) for i, rec in enumerate(records)) if feed
    )
    seen: set[str] = set()
    for feed in feeds:
        if feed.location in seen:
            f.errors.append(f.error("feeds", f"lists the feed {feed.url} twice", "one entry per feed"))
        seen.add(feed.location)
    title = f.keep(f.text, "title", example="Dental practices", default="")
    if title:
        f.keep(one_line, title, path, "title", "List-Id")
    niche = Niche(
        slug=slug,
        path=path,
        title=title,
        summary=f.keep(f.text, "summary", "", "One sentence on whom this serves", default=""),
        cadence=f.keep(f.choice, "cadence", tuple(CADENCES), "monthly", default="monthly"),
        max_links=f.keep(f.number, "max_links", 7, "7", minimum=1, default=7),
        per_source=f.keep(f.number, "per_source", 2, "2", minimum=1, default=2),
        keywords=tuple(w.lower() for w in f.keep(f.words, "keywords", default=[])),
        exclude=tuple(w.lower() for w in f.keep(f.words, "exclude", default=[])),
        sections=tuple(sections),
        feeds=feeds,
        email=f.keep(_email, f),
        body=post.content,
        lang=f.keep(f.text, "lang", "", "en", default=""),
    )
    f.done()
    return niche


def _feed(f: Fields, niche_path: str, root: str | None) -> FeedSource:
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
        if root is not None and not inside(location, root):
            raise ContentError(niche_path, f"{url!r} is {os.path.realpath(location)}, outside the content folder "
                               f"{os.path.realpath(root)}; curation reads local feed files only from there",
                               key=f.prefix + "url", fix="put the feed file under content/ (e.g. content/sources/) "
                               "and give its path relative to the niche file, e.g. url: ../sources/feed.xml")
    name = f.text("name", "", "Dental Practice Journal") or (parts.netloc or os.path.basename(url))
    weight = f.number("weight", 1.0, "1.0", kind=float, minimum=0)
    return FeedSource(url=url, name=name, weight=weight, location=location)


def _email(f: Fields) -> EmailSettings:
    """The email settings; every value goes into a header, so headers.py's rules apply to each."""
    example = ("{from: 'Practice <letters@example.com>', reply_to: hello@example.com, "
               "unsubscribe: 'mailto:unsubscribe@example.com'}")
    e = f.nested("email", f.mapping("email", example=example))
    unsubscribe = e.words("unsubscribe", example="'mailto:unsubscribe@example.com'")
    if not unsubscribe:
        raise e.error("unsubscribe", "is missing: every email must say how to stop", "'mailto:unsubscribe@example.com'")
    for address in unsubscribe:
        e.keep(unsubscribe_uri, address, e.path, "email.unsubscribe")
    from_ = e.text("from", example="'Practice <letters@example.com>'")
    e.keep(mailbox, from_, e.path, "email.from", "'Practice <letters@example.com>'")
    reply_to = e.text("reply_to", from_, "hello@example.com")
    if reply_to != from_:
        e.keep(mailbox, reply_to, e.path, "email.reply_to", "'Dana <dana@example.com>'")
    return EmailSettings(from_=from_, reply_to=reply_to, unsubscribe=tuple(unsubscribe))


def read_niches(folder: str, root: str | None = None) -> tuple[dict[str, Niche], list[ContentError], set[str]]:
    """Every good niche in a folder by slug, every file's errors, and the names of the files that had them
    (so their issues are not also reported as belonging to an unknown niche)."""
    niches: dict[str, Niche] = {}
    errors: list[ContentError] = []
    broken: set[str] = set()
    for path in sorted(glob.glob(os.path.join(glob.escape(folder), "*.md"))):
        niche = gather(errors, load_niche, path, root)
        if niche is None:
            broken.add(os.path.splitext(os.path.basename(path))[0])
        else:
            niches[niche.slug] = niche
    return niches, errors, broken


def load_niches(folder: str, root: str | None = None) -> dict[str, Niche]:
    """Every niche in a folder by slug; bad files stop it, each with its ContentError, all at once.
    With `root` (content/), local feed files must be inside it."""
    niches, errors, _ = read_niches(folder, root)
    raise_all(errors)
    return niches


def known_niches(niches) -> str:
    return ", ".join(sorted(niches)) or "none yet"


def no_such_niche(option: str, slug: str, folder: str, niches) -> str:
    """The one message for a command-line option (--niche, --forget) that names no niche file."""
    return f"{option} {slug}: no such niche in {folder} (known: {known_niches(niches)})"


def require_niche(niches: dict[str, Niche], slug: str, path: str, key: str = "niche") -> Niche:
    """The niche a file points at, or a ContentError listing the ones there are (its `unknown_niche`
    names the slug, so a caller that knows that niche's file is broken can leave the error out)."""
    if slug not in niches:
        error = ContentError(path, f"names niche {slug!r}, which has no file in content/niches/ "
                                   f"(known: {known_niches(niches)})",
                             key=key, fix="use one of the known slugs or add the niche file")
        error.unknown_niche = slug
        raise error
    return niches[slug]
