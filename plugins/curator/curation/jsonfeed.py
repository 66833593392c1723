"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read with the stdlib json module.

A JSON Feed is a stranger's bytes like any feed: its size is capped by the fetch,
nesting too deep for the decoder, an impossible number or a wrong type anywhere
becomes one `Refused` reason (never a traceback), and a field of the wrong type
is left out, so an entry without a usable link or title is skipped (and counted)
as it is in RSS. Items come out as the same raw entries `parse` makes of RSS and
Atom: title, summary and content_text are text; content_html is HTML.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

VERSIONS = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Refused(Exception):
    """The body is not a JSON Feed Openhand can read; the message says why, in words."""


def is_json(body: bytes, content_type: str) -> bool:
    """JSON by its first character, or by its media type (application/json, application/feed+json...)
    unless it starts as XML does (a feed served under the wrong type is read for what it is)."""
    first = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    kind = content_type.split(";")[0].strip().lower()
    return first == b"{" or (first != b"<" and kind.endswith(("/json", "+json")))


def read(body: bytes, min_year: int, max_year: int) -> tuple[list[dict[str, Any]], str, str]:
    """The raw entries, the feed's title and its home page; raises Refused."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise Refused("is JSON nested too deeply to read") from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, a number with thousands of digits
        raise Refused(f"is not valid JSON ({_short(exc)})") from None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith(VERSIONS):
        raise Refused('got JSON, but not a JSON Feed (one says "version": "https://jsonfeed.org/version/1.1")')
    items = data.get("items")
    if not isinstance(items, list):
        raise Refused("is a JSON Feed whose items is not a list")
    entries = [_entry(item, min_year, max_year) for item in items]
    return entries, _string(data.get("title")), _string(data.get("home_page_url"))


def _entry(item: Any, min_year: int, max_year: int) -> dict[str, Any]:
    item = item if isinstance(item, dict) else {}
    summary, summary_type = next(((_string(item.get(key)), kind) for key, kind in
                                  (("summary", "text"), ("content_text", "text"), ("content_html", "html"))
                                  if _string(item.get(key))), ("", "html"))
    guid = item.get("id")
    return {
        "title": _string(item.get("title")),
        "title_type": "text",
        "link": _string(item.get("url")) or _string(item.get("external_url")),
        "summary": summary,
        "summary_type": summary_type,
        "guid": str(guid) if isinstance(guid, (int, float)) and not isinstance(guid, bool) else _string(guid),
        "date": _date(item.get("date_published"), min_year, max_year)
        or _date(item.get("date_modified"), min_year, max_year),
        "base": "",
    }


def _string(value: Any) -> str:
    """A string field as it is ('' for any other type), lone surrogates (valid JSON, not text) replaced."""
    if not isinstance(value, str):
        return ""
    return _SURROGATE.sub("\ufffd", value) if not value.isascii() else value


def _date(value: Any, min_year: int, max_year: int) -> str | None:
    """An RFC 3339 date as an ISO date in UTC; None when absent, unreadable or out of range."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        when = when.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None
    return when.isoformat() if min_year <= when.year <= max_year else None


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."
