"""Parsing feed bytes: feedparser on bytes already fetched, never on a URL.

The fast setting (no sanitiser, no relative-URI resolution) is used because
every field is made plain text and every link resolved by `clean` anyway; the
sanitiser is ~60% of parse time. Output is plain dicts (picklable, so a process
pool can do this) with ISO dates; a bad date becomes None, never an exception.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from xml.sax.expatreader import ExpatParser

import feedparser
import feedparser.api

# Dates outside this range are noise (year 0001, 9999, epoch zero from a bad feed).
MIN_YEAR, MAX_YEAR = 1995, 2100


class BufferedExpatParser(ExpatParser):
    """The stdlib's expat SAX driver with text buffering on. Expat hands character data over in
    pieces (a 2 KB escaped summary arrives as ~100 calls) and feedparser's handler is slow per
    call; buffered, feeds parse ~30% faster into the same result (a test compares the two)."""

    def reset(self) -> None:
        super().reset()
        self._parser.buffer_text = True


def create_parser() -> BufferedExpatParser:
    """xml.sax driver entry point: feedparser passes PREFERRED_XML_PARSERS to xml.sax.make_parser,
    which imports each named module and calls this."""
    return BufferedExpatParser()


if __name__ not in feedparser.api.PREFERRED_XML_PARSERS:
    feedparser.api.PREFERRED_XML_PARSERS.insert(0, __name__)


@dataclass
class ParsedFeed:
    entries: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""
    link: str = ""
    problem: str = ""        # why feedparser found the feed malformed (bozo), if it did
    is_feed: bool = True     # False when the bytes were not a feed at all (an HTML page, JSON...)


def _date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)  # plain lookup: no feedparser fallback (and its deprecation warning)
        if not value:
            continue
        try:
            stamp = calendar.timegm(value)
            when = dt.datetime.fromtimestamp(stamp, dt.timezone.utc)
        except (TypeError, ValueError, OverflowError, OSError):
            continue
        if MIN_YEAR <= when.year <= MAX_YEAR:
            return when.isoformat()
    return None


def _base(entry: Any) -> str:
    for key in ("title_detail", "summary_detail", "content"):
        detail = entry.get(key)
        if isinstance(detail, list):
            detail = detail[0] if detail else None
        if isinstance(detail, dict) and detail.get("base"):
            return str(detail["base"])
    return ""


def _link(entry: Any) -> str:
    # FeedBurner rewrites links to its click counter and keeps the real one in origLink.
    link = entry.get("feedburner_origlink") or entry.get("link") or ""
    if not link:
        for item in entry.get("links") or []:
            if item.get("rel", "alternate") == "alternate" and item.get("href"):
                return str(item["href"])
        guid = entry.get("id") or ""
        if entry.get("guidislink") or str(guid).startswith(("http://", "https://")):
            return str(guid)
    return str(link)


def _summary(entry: Any) -> str:
    summary = entry.get("summary") or ""
    if not summary:
        for content in entry.get("content") or []:
            if content.get("value"):
                return str(content["value"])
    return str(summary)


def parse_feed(body: bytes, headers: dict[str, str] | None = None) -> ParsedFeed:
    """Entries of one feed as dicts: title, link, summary (still markup), guid, date, base."""
    try:
        result = feedparser.parse(body, response_headers=headers or {}, sanitize_html=False,
                                  resolve_relative_uris=False)
    except MemoryError:
        raise  # a limit, not a malformed feed: the worker that runs this reports it as such
    except Exception as exc:  # feedparser is robust, but a stranger's bytes get no second chance
        return ParsedFeed(problem=f"could not be parsed ({exc.__class__.__name__}: {exc})", is_feed=False)
    problem = ""
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        problem = str(getattr(exc, "getMessage", lambda: exc)()) if exc is not None else "malformed"
    entries = []
    for entry in result.entries:
        entries.append({
            "title": str(entry.get("title") or ""),
            "link": _link(entry),
            "summary": _summary(entry),
            "guid": str(entry.get("id") or ""),
            "date": _date(entry),
            "base": _base(entry),
        })
    version = result.get("version") or ""
    feed = result.get("feed") or {}
    return ParsedFeed(entries=entries, title=str(feed.get("title") or ""), link=str(feed.get("link") or ""),
                      problem=problem, is_feed=bool(version) or bool(entries))
