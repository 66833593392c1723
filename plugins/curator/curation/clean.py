"""Cleaning: everything from a feed becomes plain text and a safe, untracked http(s) link.

Every field that reaches an issue passes through here, because feeds come from
strangers. A field the feed declares as text (Atom `type="text"`, JSON Feed's
content_text, an RSS title with nothing in it that reads as markup) is text:
"History of the <blink> tag" stays that, and the templates escape it wherever
it is output. An HTML field loses all markup (nh3, with <script>/<style>
contents dropped, after `nesting.flatten` keeps the sanitiser linear). Both lose
control and bidi override characters and are cut at a word boundary; links are
resolved against the entry's base, unwrapped, stripped of tracking parameters
and kept only when they are http(s) (`tracking.clean_link`, the one list of
what to strip).
"""

from __future__ import annotations

import html
import re
from typing import Any, NotRequired, TypedDict
from urllib.parse import urljoin, urlsplit

import nh3

from .nesting import flatten
from .terms import analyzer
from .tracking import TEXT_URL, clean_link, is_click_redirect, is_web_url, url_key


class Entry(TypedDict):
    """One cleaned feed entry. A TypedDict, not a dataclass: entries are the feed cache's JSON (read back
    as they are, thousands per warm run) and cross to the parser workers and back."""

    title: str
    url: str
    summary: str
    guid: str
    date: str | None
    key: str                             # tracking.url_key(url): the same article at any of its URLs
    title_type: NotRequired[str]         # "text" when the feed's title was text, not HTML
    summary_type: NotRequired[str]
    terms: NotRequired[dict[str, list[str]]]   # per analyser key: [title terms, summary terms]


TITLE_MAX_CHARS = 200
# A stranger's feed must not be able to blow up an issue (or its email past EMAIL_MAX_BYTES):
# a summary is at most this many characters per allowed word, a link at most this long.
SUMMARY_CHARS_PER_WORD = 12
URL_MAX_CHARS = 2000
_DROP_CONTENT = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math",
                 "title", "textarea", "xmp", "noembed", "noframes"}
# What an HTML parser would start a tag, comment or declaration at ("a < b" is text; "</" + anything
# but a letter opens a bogus comment that swallows text up to the next ">").
_TAG_LIKE = re.compile(r"</?[a-zA-Z!?][^>]*>?|</")
# A tag escaped once too often, or "</" (which a parser reads as the start of a bogus comment,
# so that "&lt;/>" read again would lose its text; it is dropped on the first pass instead).
_ESCAPED_TAG = re.compile(r"&(amp;)*lt;(/|[a-zA-Z!?])", re.I)
# Control characters (C0, DEL, C1), line/paragraph separators and lone surrogates become spaces.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_ASCII_CONTROL = str.maketrans(dict.fromkeys([*range(0x20), 0x7f], " "))
# Bidi overrides/isolates and zero-width characters can disguise text; drop them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                    "\u2066\u2067\u2068\u2069\u2060\ufeff\u00ad"))


def _strip_markup(text: str) -> str:
    cleaned = nh3.clean(flatten(text), tags=set(), clean_content_tags=_DROP_CONTENT, attributes={},
                        strip_comments=True)
    return html.unescape(cleaned)


_BLOCK_END = re.compile(r"<\s*(br|/p|/div|/li|/h\d|/tr)\b[^>]*>", re.I)


def plain_text(value: Any) -> str:
    """Markup to one line of plain text; the result never contains a tag, even a double-escaped one."""
    text = "" if value is None else str(value)
    if "<" not in text and "&" not in text:  # no tag, no entity: nothing for the sanitiser to do
        return _one_line(_visible(text))
    return _plain_markup(text)


TEXT, HTML = "text", "html"  # what a field of a parsed entry holds (its "title_type", "summary_type")
# What reads as markup in a field that did not say what it holds (an RSS title): a closing tag, an
# entity or character reference, a comment or declaration, or a start tag with attributes. Not "<blink>"
# alone, nor "<ann@example.org>": text that mentions a tag, or an address.
_MARKUP = re.compile(r"</[a-zA-Z]|&#?\w+;|<[!?]|<[a-zA-Z][^\t\n\f\r />]*[\t\n\f\r /]+[^\t\n\f\r />]")


def looks_like_markup(text: str) -> bool:
    """Whether text a feed did not declare as text or HTML carries markup (so it is read as HTML)."""
    return ("<" in text or "&" in text) and _MARKUP.search(_visible(text)) is not None


def text_field(value: Any) -> str:
    """A field the feed declared as text: kept as written, on one line, without controls or bidi tricks."""
    return _one_line(_visible("" if value is None else str(value)))


def field_text(value: Any, kind: str) -> str:
    """A field as plain text: text kept as written, HTML without its markup."""
    return text_field(value) if kind == TEXT else plain_text(value)


def _plain_markup(text: str) -> str:
    # Block-level tags become spaces so "a</p><p>b" does not read "ab".
    text = _BLOCK_END.sub(" ", text)
    # Invisible characters go before each pass, not after: "<\u200bimg onerror=...>" is text to a
    # parser, but dropping the zero-width space afterwards would join it into a tag.
    for _ in range(4):
        text = _visible(_strip_markup(_visible(text)))
        if not _TAG_LIKE.search(text) and not _ESCAPED_TAG.search(text):
            break
    else:
        text = _TAG_LIKE.sub(" ", text)
    return _one_line(text)


def _visible(text: str) -> str:
    if text.isascii():  # no invisible character, and ASCII controls by a table (5x the regex's speed)
        return text.translate(_ASCII_CONTROL)
    return _CONTROL.sub(" ", text.translate(_INVISIBLE))


def _one_line(text: str) -> str:
    """Runs of whitespace become one space, none at the ends (str.split's whitespace is re's \\s)."""
    return " ".join(text.split())


def cut_words(text: str, words: int) -> str:
    """At most `words` words, cut at a word boundary, with an ellipsis when cut."""
    parts = text.split()
    if len(parts) <= words:
        return text
    return " ".join(parts[:words]).rstrip(".,;:-–—") + "…"


def cut_chars(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    if " " in head[limit // 2:]:
        head = head[:head.rindex(" ")]
    return head.rstrip(".,;:-–— ") + "…"


def absolute_link(link: str, *bases: str) -> str | None:
    """The link made absolute against the first http(s) base, then cleaned; None if unusable."""
    link = (link or "").strip()
    if not link or len(link) > URL_MAX_CHARS:
        return None
    try:
        if not urlsplit(link).scheme:
            base = next((b for b in bases if is_web_url(b)), None)
            if base is None:
                return None
            link = urljoin(base, link)
    except ValueError:  # urllib cannot read it ("//[x")
        return None
    url = clean_link(link)
    # A click-counting host with no target inside (bit.ly, feedproxy...) is not a link Openhand
    # can send: the no-strings check would refuse the whole build over it.
    return None if url is None or is_click_redirect(url) else url


def _text_link(match: re.Match) -> str:
    text = match.group(0)
    url, tail = text.rstrip(".,;:"), text[len(text.rstrip(".,;:")):]
    cleaned = clean_link(url)
    return "" if cleaned is None or is_click_redirect(cleaned) else cleaned + tail


def clean_text_links(text: str) -> str:
    """Links in plain text lose their tracking parameters; click-counting ones go (bit.ly...)."""
    return _one_line(TEXT_URL.sub(_text_link, text)) if "://" in text else text


def clean_entry(raw: dict[str, Any], feed_url: str, feed_link: str, summary_words: int) -> Entry | None:
    """One parsed entry as Openhand keeps it, or None when it has no usable link or title. A field that
    was text says so ("title_type": "text"), so that cleaning it again keeps it as it is."""
    url = absolute_link(raw.get("link", ""), raw.get("base", ""), feed_url, feed_link)
    if url is None:
        return None
    title_type, summary_type = _kind(raw.get("title_type")), _kind(raw.get("summary_type"))
    title = cut_chars(clean_text_links(field_text(raw.get("title"), title_type)), TITLE_MAX_CHARS)
    summary = cut_chars(cut_words(clean_text_links(field_text(raw.get("summary"), summary_type)), summary_words),
                        summary_words * SUMMARY_CHARS_PER_WORD)
    if not title:
        title, title_type = cut_chars(cut_words(summary, 12), TITLE_MAX_CHARS), summary_type
    if not title:
        return None
    guid = plain_text(raw.get("guid"))[:500]
    entry: Entry = {"title": title, "url": url, "summary": summary, "guid": guid, "date": raw.get("date"),
             "key": url_key(url)}
    if title_type == TEXT:
        entry["title_type"] = TEXT
    if summary_type == TEXT and summary:
        entry["summary_type"] = TEXT
    return entry


def _kind(value: Any) -> str:
    return TEXT if value == TEXT else HTML


# Bump whenever clean_entry or the analysis changes what it keeps: caches stamped by an older cleaner are
# cleaned again. 4: text fields kept as text; an unclosed iframe/object no longer swallows the rest of a
# field. 5: each entry carries its terms per language (analyse_entries).
CLEANER_VERSION = 5


def analyse_entries(entries: list[Entry], languages: tuple[str, ...]) -> list[Entry]:
    """Each entry with its title and summary as index terms for each of the given languages (the
    languages of the niches reading the feed): "terms": {"english": ["title terms", "summary terms"]}.
    Done once, where the feed is cleaned (in the parser workers), so that choosing links for every
    niche and every later run reads the terms instead of working them out again."""
    analyzers = {a.key: a for a in map(analyzer, languages)}
    for entry in entries if analyzers else ():
        entry["terms"] = {
            key: a.fields(entry["title"], entry.get("summary", "")) for key, a in sorted(analyzers.items())
        }
    return entries


def analysed_keys(languages: tuple[str, ...]) -> str:
    """The analyses entries carry for these languages, as the stamp names them ('english,french')."""
    return ",".join(sorted({analyzer(lang).key for lang in languages}))


def cleaned_stamp(summary_words: int, languages: tuple[str, ...] = ()) -> str:
    """What the cache stores beside entries this cleaner produced: the cleaner's version, the summary
    length and the analyses, so a newer cleaner, a new setting or a niche in another language all
    mismatch. That the entries are as this cleaner left them is the cache file's seal
    (fetch.load_state drops the stamp of a file edited since it was written)."""
    return f"{CLEANER_VERSION}:{summary_words}:{analysed_keys(languages)}"


def reclean_entries(entries: Any, summary_words: int, stamp: Any = None,
                    languages: tuple[str, ...] = ()) -> list[Entry]:
    """Entries reused from the cache go through this step again unless their stamp shows this
    cleaner wrote them, unchanged since (the stamp of a file edited by hand is dropped when it is
    read): a cache written by an older cleaner, for another summary length or other languages, or
    edited by hand must not bypass it. A field the entry marks as text is cleaned again as text, the
    rest as HTML (as a hand edit may have put markup there)."""
    if (
        isinstance(entries, list)
        and isinstance(stamp, str)
        and stamp == cleaned_stamp(summary_words, languages)
    ):
        return entries
    out = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        date = entry.get("date") if isinstance(entry.get("date"), str) else None
        again = clean_entry({"title": str(entry.get("title") or ""), "link": str(entry.get("url") or ""),
                             "summary": entry.get("summary"), "guid": entry.get("guid"), "date": date,
                             "title_type": entry.get("title_type"), "summary_type": entry.get("summary_type")},
                            "", "", summary_words)
        if again is not None:
            out.append(again)
    return analyse_entries(out, languages)


def clean_entries(raws: list[dict[str, Any]], feed_url: str, feed_link: str, summary_words: int) -> list[Entry]:
    cleaned = (clean_entry(raw, feed_url, feed_link, summary_words) for raw in raws)
    return [entry for entry in cleaned if entry is not None]
