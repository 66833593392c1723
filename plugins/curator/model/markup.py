"""The editor's Markdown: one rendering for the page, the feed and the email, sanitised, plus its plain text.

Markdown fields: an issue's `intro`, each link's `note` and the letter (the file's body),
and a niche's hub text (its body). Everything else an editor writes (subject, preheader,
titles, summary, source, why, section names) is plain text, escaped wherever it is output.

The HTML is Python-Markdown's (configured by MARKDOWN, as Pelican's own reader is), then
cleaned by nh3 to an allowlist: whatever the editor pasted, nothing in a page, feed or
email runs. What the cleaner would remove because it is active (`unsafe`) is also a
no-strings finding, so a <script> in a note fails the build instead of vanishing in silence.
The plain-text email part is the text of that same HTML: emphasis goes where Markdown says
it is emphasis, and `2\\*3`, `__init__` in code or `{{ 5*5 }}` stay as the reader sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

import nh3
from markdown import Markdown
from markupsafe import Markup

from ..curation.tracking import is_web_url

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "del", "ins",
        "mark", "small", "sub", "sup", "code", "pre", "kbd", "samp", "var", "blockquote", "q", "cite", "abbr",
        "dfn", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
        "caption", "a", "img", "div", "span", "figure", "figcaption"}
ATTRIBUTES = {"*": {"id", "class", "title", "lang", "dir"}, "a": {"href"}, "img": {"src", "alt", "width", "height"},
              "ol": {"start"}, "th": {"style", "colspan", "rowspan"}, "td": {"style", "colspan", "rowspan"},
              "abbr": {"title"}, "q": {"cite"}, "blockquote": {"cite"}}
SCHEMES = {"http", "https", "mailto", "tel"}
# Active content: refused in an editor's words (the cleaner would drop it), as feeds' is removed.
UNSAFE_TAGS = {"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
               "button", "select", "textarea", "base", "meta", "link"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href", "cite",
                  "srcset", "longdesc"}
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")


def markdown_config(settings) -> dict:
    """The MARKDOWN setting as Pelican's own reader applies it: the listed extensions plus every one that
    has a config (Pelican adds those during the build), less `meta` (front matter is YAML here), the
    configs and the output format. The one reading, for the converter and for the email's fingerprint."""
    md = settings["MARKDOWN"] or {}
    configs = dict(md.get("extension_configs") or {})
    extensions = list(dict.fromkeys(list(md.get("extensions") or []) + list(configs)))
    return {"extensions": [e for e in extensions if e != "markdown.extensions.meta"], "extension_configs": configs,
            "output_format": md.get("output_format", "html5")}


def make_markdown(settings) -> Markdown:
    """A Markdown converter configured like Pelican's own reader (MARKDOWN setting)."""
    return Markdown(**markdown_config(settings))


def raw_html(markdown: Markdown, text: str) -> str:
    """Markdown as Python-Markdown renders it, before cleaning (what the no-strings check reads)."""
    if not text or not text.strip():
        return ""
    markdown.reset()
    return markdown.convert(text)


def clean(html: str) -> Markup:
    """HTML cut down to the allowlist: no scripts, handlers, frames, forms or styles but text alignment."""
    if not html:
        return Markup("")
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES, link_rel=None,
                            filter_style_properties={"text-align"}))


def to_html(markdown: Markdown, text: str) -> Markup:
    """An editor's Markdown field as safe HTML, the same in the page, the feed and the email."""
    return clean(raw_html(markdown, text))


@dataclass(frozen=True)
class Rendered:
    """One Markdown field: safe HTML, its plain text, and (description, where to find it in the
    source) for everything active the cleaner took out."""

    html: Markup
    text: str
    unsafe: tuple[tuple[str, str], ...]


_MARKDOWNS: dict[str, Markdown] = {}
# Extensions whose syntax all starts with a character `_PLAIN` leaves out (what Pelican and the demo use).
KNOWN_EXTENSIONS = {f"markdown.extensions.{name}" for name in (
    "extra", "abbr", "attr_list", "def_list", "fenced_code", "footnotes", "md_in_html", "tables", "toc",
    "smarty", "codehilite", "meta", "sane_lists")}
# One line of letters, digits, spaces and the punctuation no Markdown syntax above starts with...
_PLAIN = re.compile(r"(?:[^\W_]|[ ,.;:!?()%/+=@$€£-])*")
# ...except at the start of a line (lists, definitions) or doubled (smarty's dashes and ellipses).
_NOT_PLAIN = re.compile(r"^(?:\d+\.\s|[-+:=!])|\.\.|--|  ")


def renderer(settings):
    """render(text) -> Rendered for this MARKDOWN configuration. Memoised: the build renders each field
    once for the page, the feed item and the email, and the no-strings check reads the same result.
    A field with no Markdown syntax at all (most notes) skips the converter (0.17 ms a field): its
    HTML is one paragraph of itself, as the converter would write it (a property test holds them equal)."""
    config = repr(settings["MARKDOWN"])
    if config not in _MARKDOWNS:
        _MARKDOWNS[config] = make_markdown(settings)
    fast = set(markdown_config(settings)["extensions"]) <= KNOWN_EXTENSIONS
    return lambda text: _plain(text) if fast and is_plain(text) else _render(config, text or "")


def is_plain(text: str) -> bool:
    """No Markdown syntax anywhere in `text`: it renders as <p>text</p>."""
    return bool(text) and text == text.strip() and bool(_PLAIN.fullmatch(text)) and not _NOT_PLAIN.search(text)


def _plain(text: str) -> Rendered:
    return Rendered(Markup(f"<p>{text}</p>"), text, ())


@lru_cache(maxsize=16384)
def _render(config: str, text: str) -> Rendered:
    raw = raw_html(_MARKDOWNS[config], text)
    html = clean(raw)
    return Rendered(html, to_text(html), tuple(unsafe(raw)))


def unsafe(html: str) -> list[tuple[str, str]]:
    """What in `html` is active (a script, a handler, a frame, a form, a javascript:/vbscript:/data: URL):
    (description, a fragment of the source to find it by), in document order."""
    finder = _UnsafeFinder()
    finder.feed(html)
    finder.close()
    return finder.found


class _UnsafeFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in UNSAFE_TAGS:
            self.found.append((f"a <{tag}> element", f"<{tag}"))
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append((f"an event handler ({name}=) on <{tag}>", name))
            elif name in URL_ATTRIBUTES and value:
                url = "".join(ch for ch in value if ch > " ").lower()  # browsers skip spaces and controls
                scheme = next((s for s in UNSAFE_SCHEMES if url.startswith(s)), None)
                if scheme:
                    self.found.append((f"a {scheme} URL ({name}= on <{tag}>)", scheme.rstrip(":")))

    handle_startendtag = handle_starttag


def to_text(html: str) -> str:
    """The text a reader sees in `html`: blocks as paragraphs, list items as '- item' lines, a link as
    'text (url)', an image as its alt text; no markup, and no Markdown marks but those Markdown kept."""
    if not html:
        return ""
    converter = _Text()
    converter.feed(html)
    converter.close()
    return converter.result()


_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "dl", "dt", "dd",
           "figure", "figcaption", "hr", "ul", "ol"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []  # (text, the separator after it)
        self.line: list[str] = []
        self.lists: list[list[int | None]] = []  # per open list: [next number] or [None] for bullets
        self.links: list[str | None] = []
        self.link_start: list[int] = []
        self.items = 0  # open <li>s: a paragraph inside an item stays on the item's line
        self.quotes = 0  # open <blockquote>s: their paragraphs read "> ..." as in any mail client

    def _flush(self, separator: str = "\n\n") -> None:
        text = " ".join("".join(self.line).split())
        if text:
            self.blocks.append(("> " * self.quotes + text, separator))
        self.line = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "li":
            self._flush("\n")
            kind = self.lists[-1] if self.lists else [None]
            prefix = "- " if kind[0] is None else f"{kind[0]}. "
            if kind[0] is not None:
                kind[0] += 1
            self.line.append(prefix)
            self.items += 1
        elif tag in ("p", "div") and self.items:
            self.line.append(" ")
        elif tag == "blockquote":
            self._flush()
            self.quotes += 1
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append([int(attrs.get("start") or 1)] if tag == "ol" else [None])
        elif tag in _BLOCKS:
            self._flush()
        elif tag == "br":
            self.line.append(" ")
        elif tag == "a":
            self.links.append(attrs.get("href"))
            self.link_start.append(len(self.line))
        elif tag == "img" and attrs.get("alt"):
            self.line.append(attrs["alt"])

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            href, start = self.links.pop(), self.link_start.pop()
            label = " ".join("".join(self.line[start:]).split())
            if href and (is_web_url(href) or href.startswith("mailto:")) and label != href.removeprefix("mailto:"):
                self.line.append(f" ({href})")
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            if not self.lists and self.blocks:  # after the whole list, a paragraph break
                self.blocks[-1] = (self.blocks[-1][0], "\n\n")
        elif tag == "li":
            self._flush("\n")
            self.items = max(0, self.items - 1)
        elif tag == "blockquote":
            self._flush()
            self.quotes = max(0, self.quotes - 1)
        elif tag in ("p", "div") and self.items:
            self.line.append(" ")
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data):
        self.line.append(data)

    def result(self) -> str:
        self._flush()
        out = []
        for i, (text, separator) in enumerate(self.blocks):
            out.append(text)
            if i + 1 < len(self.blocks):
                out.append(separator)
        return "".join(out)
