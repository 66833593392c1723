"""Markup nested too deep for the sanitiser: flattened first, in one linear pass.

html5ever (inside nh3) walks its stack of open elements for many start and end
tags, and its list of formatting elements for every `<b>`/`<font>`: markup
nested 40,000 deep costs the square of the depth (a 1.65 MB feed took a minute).
Only the text of a feed's markup is kept, so a tag that changes no text can go
before the sanitiser sees it. `flatten` tracks the depth an HTML parser would
reach (an over-estimate: implied end tags are not modelled, which can only drop
more) and drops start tags beyond MAX_NESTING open elements, or beyond
MAX_NESTING formatting elements still active, with their end tags. Markup
nested no deeper than that is handed over unchanged, so its text is what it
was. A dropped tag becomes an empty comment (never a join: "<scr<b>ipt>" does
not become "<script>"), which nh3 removes with the other comments.

The same pass keeps an unclosed `<iframe>` or `<object>` from swallowing the
rest of a field: the sanitiser drops their content, which for an unclosed one
is everything after it. Such a start tag is dropped; a closed one is left as it
is (its content is fallback text for a browser that cannot embed).
"""

from __future__ import annotations

import re

MAX_NESTING = 64

_WS = "\t\n\f\r "
# HTML's tokenizer, as far as finding tags goes: comments and bogus comments are read whole (a tag
# inside one is not a tag), attribute values may be quoted ("a>b" inside quotes does not end the tag).
# Possessive and atomic, so that no input makes it backtrack: a tag with no ">" is not a tag.
_VALUE = rf"""[{_WS}]*+=[{_WS}]*+(?:"[^"]*+"|'[^']*+'|[^{_WS}>"'][^{_WS}>]*+|(?=>))"""
_ATTR = rf"""[^{_WS}/>][^{_WS}/>=]*+(?:{_VALUE}|(?![{_WS}]*=))"""
_TOKEN = re.compile(rf"""<!--(?:-?>|.*?--!?>|.*)|<[!?][^>]*+>?|</(?![a-zA-Z])[^>]*+>?"""
                    rf"""|<(/?)([a-zA-Z][^{_WS}/>]*+)(?:[{_WS}/]++|{_ATTR})*+(>?)""", re.S)
_IFRAME_END = re.compile(rf"</iframe[{_WS}/>]", re.I)
_EMBED = re.compile(r"<(?:iframe|object)", re.I)
_DROPPED = "<!---->"

_VOID = frozenset({"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
                   "input", "keygen", "link", "meta", "param", "source", "track", "wbr"})
_FORMATTING = frozenset({"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong",
                         "tt", "u"})
# Elements an end tag's search for its start tag stops at ("has an element in scope").
_SCOPE = frozenset({"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "mi", "mo",
                    "mn", "ms", "mtext", "annotation-xml", "foreignobject", "desc", "title"})
# HTML's "special" elements: an end tag for anything else stops at the first of these.
_SPECIAL = _SCOPE | frozenset(
    "address area article aside base basefont bgsound blockquote body br button center col colgroup dd details "
    "dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header "
    "hgroup hr iframe img input keygen li link listing main menu meta nav noembed noframes noscript ol p param "
    "plaintext pre script search section select source style summary tbody textarea tfoot thead tr track ul "
    "wbr xmp".split())
_STOPS = {"li": _SCOPE | {"ol", "ul"}, "p": _SCOPE | {"button"}}  # list-item and button scope


def flatten(text: str) -> str:
    """The markup with tags nested beyond MAX_NESTING, and unclosed iframe/object start tags, dropped."""
    if text.count("<") <= MAX_NESTING and not _EMBED.search(text):
        return text  # too few tags to nest that deep, and nothing to swallow the rest: nothing to do
    iframes_end = max((m.start() for m in _IFRAME_END.finditer(text)), default=-1)
    drops: list[tuple[int, int]] = []
    objects: list[tuple[int, int]] = []   # <object> start tags not closed yet
    depth = _Depth()
    start, end = depth.start, depth.end
    for m in _TOKEN.finditer(text):
        close, name, gt = m.groups()
        if not gt:
            continue  # a comment, a declaration, or something with no ">" (which is no tag)
        name = name.lower()
        if close:
            if end(name):
                drops.append(m.span())
            elif name == "object" and objects:
                objects.pop()
        elif name == "iframe" and m.start() > iframes_end:
            drops.append(m.span())  # never closed: as raw text it would take everything after it
        elif not start(name):
            drops.append((m.start(), _after_newline(text, m.end()) if name in ("pre", "listing") else m.end()))
        elif name == "object":
            objects.append(m.span())
    if not drops and not objects:
        return text
    out: list[str] = []
    at = 0
    for start_at, end_at in sorted(drops + objects) if objects else drops:
        out += (text[at:start_at], _DROPPED)
        at = end_at
    out.append(text[at:])
    return "".join(out)


def _after_newline(text: str, at: int) -> int:
    """Past the one line break after <pre> or <listing>, which the parser drops with the tag."""
    if text.startswith("\r\n", at):
        return at + 2
    return at + 1 if text[at:at + 1] in ("\n", "\r") else at


class _Depth:
    """The open elements and active formatting elements an HTML parser would hold, over-estimated."""

    def __init__(self):
        self.stack: list[str] = []
        self.active: dict[str, int] = {}     # formatting elements not yet closed by their end tag
        self.active_total = 0
        self.dropped: dict[str, int] = {}    # start tags dropped whose end tags are still to come

    def start(self, name: str) -> bool:
        """Note a start tag; False when it is to be dropped."""
        if name in _VOID:
            return True
        formatting = name in _FORMATTING
        if len(self.stack) >= MAX_NESTING or (formatting and self.active_total >= MAX_NESTING):
            dropped = self.dropped
            dropped[name] = dropped.get(name, 0) + 1
            return False
        self.stack.append(name)
        if formatting:
            self.active[name] = self.active.get(name, 0) + 1
            self.active_total += 1
        return True

    def end(self, name: str) -> bool:
        """Note an end tag; True when it belongs to a dropped start tag (and is dropped too)."""
        if self.dropped.get(name):
            self.dropped[name] -= 1
            return True
        if name in _FORMATTING:
            # The adoption agency: the element leaves the list; the stack shrinks only when nothing
            # special was opened inside it (otherwise the parser keeps that open, as deep as before).
            if self.active.get(name):
                self.active[name] -= 1
                self.active_total -= 1
            if self.stack and self.stack[-1] == name:
                self.stack.pop()
            return False
        stops = _STOPS.get(name, _SCOPE) if name in _SPECIAL else _SPECIAL
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] == name:
                del self.stack[i:]
                break
            if self.stack[i] in stops:
                break
        return False
