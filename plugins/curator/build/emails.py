"""One email per published issue: mail/<slug>/<number>.eml, .html and .txt.

The HTML comes from theme/templates/email/issue.html with its CSS inlined by
css-inline (at-rules such as @media kept in a <style>); the plain text comes
from its own template (email/issue.txt) as format=flowed text (RFC 3676):
lines of at most 72 columns for fixed-width readers, each soft break a trailing
space so a phone's mail client re-flows the paragraph to its own width (an
unwrapped paragraph would show one 300-column line wherever text is not
re-wrapped, e.g. a terminal client or the .txt file); numbered link references. The .eml is what sending uses:
identical for every
recipient, with no To (sending fills it in) and no per-recipient token.

Header values follow headers.py's rules (checked when the niche and issue files
are read). A build renders every email first (MailBatch) and writes them only
after the no-strings check has passed.
"""

from __future__ import annotations

import binascii
import hashlib
import logging
import os
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.utils import format_datetime
from functools import cached_property
from typing import Any

import css_inline

from ..curation.tracking import is_web_url
from ..delivery.fingerprint import record as record_inputs  # what `send` checks the .eml against
from ..model import headers as rules
from ..model.documents import write_bytes_atomic

logger = logging.getLogger(__name__)

WIDTH = 72
HTML_TEMPLATE = "email/issue.html"
TEXT_TEMPLATE = "email/issue.txt"


def site_domain(settings) -> str:
    """SITE_DOMAIN, else SITEURL's host: the domain of Message-ID and List-Id (ASCII, checked)."""
    return rules.domain(settings)


def web_base(settings) -> str:
    """Where "read it on the web" points: SITEURL when absolute, else https://SITE_DOMAIN."""
    siteurl = settings["SITEURL"].rstrip("/")
    if is_web_url(siteurl):
        return siteurl
    return f"https://{settings['SITE_DOMAIN']}" if settings.get("SITE_DOMAIN") else siteurl


def headers(issue, settings) -> list[tuple[str, str]]:
    """The email's headers in order. The niche's values (title, from, reply_to, unsubscribe) were checked
    when its file was read (headers.py's rules); the subject is checked here, a ContentError naming the file."""
    niche = issue.niche
    domain = site_domain(settings)
    # With a list endpoint its one-click link comes first (RFC 8058); the niche's own addresses keep their order.
    order = (niche.unsubscribe_https, niche.unsubscribe_mailto) if niche.list_endpoint else (
        niche.unsubscribe_mailto, niche.unsubscribe_https)
    unsubscribe = [u for u in order if u]
    values = [
        ("Subject", rules.one_line(issue.subject, issue.path, "subject", "Subject")),
        ("From", niche.file.email.from_),
        ("Reply-To", niche.file.email.reply_to),
        ("Date", format_datetime(issue.date)),
        ("Message-ID", rules.message_id(niche.slug, issue.number, domain)),
        ("List-Id", rules.list_id(niche.title, niche.slug, domain)),
        ("List-Unsubscribe", ", ".join(f"<{u}>" for u in unsubscribe)),
    ]
    if niche.unsubscribe_https:
        values.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return values


def fill(text: str, first: str = "") -> str:
    """One paragraph as format=flowed lines (RFC 3676 4.2): at most 72 columns counting the
    trailing space that marks each soft break; long words (URLs) are never broken.

    The lines are what textwrap.wrap(..., 71, break_long_words=False, break_on_hyphens=False)
    returns for text whose spaces are single (a property test holds the two equal); textwrap
    took 60% of an email's render. No hanging indent: flowed text cannot carry one (a leading
    space is stuffing, and re-flowing would put the indent inside the paragraph)."""
    words = (text or "").split()
    if not words:
        return ""
    return " \n".join(_fill_lines(first, words, "", WIDTH - 1))


def _fill_lines(first: str, words: list[str], indent: str, width: int) -> list[str]:
    """Words greedily into lines of at most `width` (a longer word alone on its line): the first
    line starts with `first`, each next one with `indent`. An empty word (a double space kept in
    a header) joins its line, never starts one."""
    lines, line = [], first + words[0]
    for word in words[1:]:
        if word and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = indent + word
        else:
            line += " " + word
    lines.append(line)
    return lines


_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def paragraphs(text: str) -> str:
    """Paragraphs (blank-line separated) each filled as flowed text; Markdown list items stay one per line."""
    out = []
    for block in (text or "").replace("\r\n", "\n").split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        if lines and all(_ITEM.match(line) or line.startswith((" ", "\t")) for line in lines) and _ITEM.match(lines[0]):
            items: list[str] = []
            for line in lines:
                if _ITEM.match(line):
                    items.append(_ITEM.sub("", line))
                else:
                    items[-1] += " " + line.strip()
            out.append("\n".join(fill(item, "- ") for item in items))
        elif lines:
            out.append(fill(" ".join(lines)))
    return "\n\n".join(out)


_STUFF = re.compile(r"^(?=[ >]|From )", re.M)


def space_stuff(text: str) -> str:
    """RFC 3676 4.4: a line that starts with a space, ">" or "From " gets one more space, which a
    flowed reader removes (so no line reads as a quote, and no transport writes ">From")."""
    return _STUFF.sub(" ", text)


@dataclass
class Rendered:
    """One issue's email; `eml` (the bytes of the .eml) is built on first use."""

    html: str
    text: str
    issue: Any = field(default=None, repr=False)
    renderer: EmailRenderer | None = field(default=None, repr=False)

    @cached_property
    def eml(self) -> bytes:
        assert self.renderer is not None
        return self.renderer.eml(self.issue, self)

    @property
    def html_bytes(self) -> int:
        return len(self.html.encode("utf-8"))


class EmailRenderer:
    """Templates and the CSS inliner, prepared once; `render` is then cheap per issue."""

    def __init__(self, env, settings):
        self.settings = settings
        self.html_template = env.get_template(HTML_TEMPLATE)
        self.text_template = env.get_template(TEXT_TEMPLATE)
        self.inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
        self.base = web_base(settings)
        self.max_bytes = settings["EMAIL_MAX_BYTES"]

    def context(self, issue) -> dict:
        niche = issue.niche
        refs, number = {}, 0
        for section in issue.sections:
            for link in section.links:
                number += 1
                refs[id(link)] = number
        return {
            "issue": issue, "niche": niche, "SITENAME": self.settings["SITENAME"],
            "web_url": f"{self.base}/{issue.url}", "niche_web_url": f"{self.base}/{niche.url}",
            "site_url": f"{self.base}/", "unsubscribe": niche.unsubscribe_https or niche.unsubscribe_mailto,
            "unsubscribe_mailto": niche.unsubscribe_mailto, "unsubscribe_https": niche.unsubscribe_https,
            "ref": lambda link: refs[id(link)], "fill": fill, "paragraphs": paragraphs,
            "letter_text": issue.letter_text,
        }

    def render(self, issue) -> Rendered:
        """HTML (CSS inlined) and plain text: the per-email work that templates do (~0.4 ms)."""
        context = self.context(issue)
        html = self.inliner.inline(self.html_template.render(context)).rstrip() + "\n"
        text = space_stuff(re.sub(r"\n{4,}", "\n\n\n", self.text_template.render(context)).strip()) + "\n"
        return Rendered(html=html, text=text, issue=issue, renderer=self)

    def eml(self, issue, rendered: Rendered) -> bytes:
        """The .eml: multipart/alternative, text first, HTML last, both quoted-printable; no To."""
        boundary = f"=_openhand_{issue.niche.slug}_{issue.number}_="  # same content, same bytes
        if len(boundary) > 70:  # RFC 2046's limit
            boundary = f"=_openhand_{hashlib.sha256(issue.niche.slug.encode()).hexdigest()[:20]}_{issue.number}_="
        return header_block(headers(issue, self.settings)) + mime_body(rendered.text, rendered.html, boundary)


class MailBatch:
    """One build's emails, rendered but not yet in mail/. The no-strings check reads `parts()`; then
    `commit()` writes them all, or, when the check failed, `withhold()` writes none and removes the
    emails of the issues that failed (an older good .eml of an issue that is bad now goes too), so
    `openhand send` can never send what the build refused."""

    def __init__(self, settings, mail_dir: str | None, published: dict[str, set[int]]):
        from .writing import GuardedFiles

        self.settings, self.mail_dir, self.published = settings, mail_dir, published
        self.files = GuardedFiles(mail_dir) if mail_dir else None
        self.items: list[tuple[Any, Rendered]] = []

    def add(self, issue, rendered: Rendered) -> None:
        limit = rendered.renderer.max_bytes if rendered.renderer is not None else self.settings["EMAIL_MAX_BYTES"]
        if rendered.html_bytes > limit:
            logger.warning("%s: email HTML is %s bytes, over EMAIL_MAX_BYTES (%s); the check will refuse it",
                           issue.path, rendered.html_bytes, limit)
        self.items.append((issue, rendered))

    @staticmethod
    def relative_stem(issue) -> str:
        return f"{issue.niche.slug}/{issue.number}"

    def stem(self, issue) -> str:
        """The absolute path of the issue's email files, less the extension (confined to mail/)."""
        assert self.files is not None
        return self.files.path(self.relative_stem(issue))

    def parts(self):
        """(issue, path of its .html, HTML, path of its .txt, text) of every email, for the check."""
        return [
            (issue, self.stem(issue) + ".html", r.html, self.stem(issue) + ".txt", r.text) for issue, r in self.items
        ]

    def commit(self) -> None:
        if not self.mail_dir:
            return
        assert self.files is not None
        for issue, rendered in self.items:
            # .html, .txt, then .eml (what a sender reads) last; each only if its bytes changed.
            stem = self.relative_stem(issue)
            self.files.replace_bytes(stem + ".html", rendered.html.encode("utf-8"), kind="email", issue=issue)
            self.files.replace_bytes(stem + ".txt", rendered.text.encode("utf-8"), kind="email", issue=issue)
            if self.files.replace_bytes(stem + ".eml", rendered.eml, kind="email", issue=issue):
                logger.info('Writing "%s.eml"', self.stem(issue))
            record_inputs(self.stem(issue) + ".eml", self.settings, issue.path, issue.niche.file, rendered.eml)
        self._prune()

    def withhold(self, failing: set[str]) -> list[str]:
        """Write nothing; remove the emails of every issue whose file or email is in `failing` (absolute
        paths). Returns what was removed."""
        removed: list[str] = []
        if not self.mail_dir:
            return removed
        for issue, _ in self.items:
            stem = self.stem(issue)
            if {os.path.abspath(issue.path), stem + ".html", stem + ".txt"} & failing:
                removed += remove_issue_mail(self.mail_dir, issue.niche.slug, {issue.number})
        return removed + self._prune()

    def _prune(self) -> list[str]:
        mail_dir = self.mail_dir
        assert mail_dir is not None
        return [path for slug, numbers in self.published.items() for path in prune(mail_dir, slug, numbers)]


# The stdlib's modern email API took ~2 ms to build and serialise one issue's email, most of it
# header objects for the MIME framing. So the message headers are folded by the modern policy
# (RFC 2047 only where needed, a non-ASCII display name encoded apart from its address), and the
# MIME body is written by the compat32 generator, bodies quoted-printable by binascii: ~0.5 ms.
_SMTP = policy.SMTP
_MIME = policy.compat32.clone(linesep="\r\n", mangle_from_=False)


def header_block(values: list[tuple[str, str]]) -> bytes:
    """The header lines: ASCII values folded at spaces, never encoded (an encoded-word would hide
    List-Unsubscribe's <URL>s or List-Id's id from mail clients); other values as policy.SMTP
    writes them (RFC 2047 where needed: a display name encoded apart from its address)."""
    lines = []
    for name, value in values:
        foldable = value.isascii() and all(len(word) <= _LONGEST_WORD for word in value.split(" "))
        lines.append(fold(name, value) if foldable else _SMTP.fold(name, _SMTP.header_factory(name, value)))
    return "".join(lines).encode("ascii")


# A word longer than this cannot be folded under RFC 5322's 998-byte line limit with its header's name:
# such a value (only a subject or a name can hold one: URIs and ids are bounded) is encoded instead,
# RFC 2047 splitting it across lines.
_LONGEST_WORD = 900


def fold(name: str, value: str, width: int = 78) -> str:
    """RFC 5322 folding: a line break before a space wherever a line would pass `width`; a word longer
    than that stays whole (the hard limit is 998)."""
    return "\r\n".join(_fill_lines(f"{name}: ", value.split(" "), " ", width)) + "\r\n"


def _text_part(text: str, subtype: str, params: str = "") -> Message:
    part = Message(policy=_MIME)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"{params}'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii"))
    return part


def mime_body(text: str, html: str, boundary: str) -> bytes:
    """MIME-Version, the multipart/alternative Content-Type and the two parts, CRLF line ends."""
    container = Message(policy=_MIME)
    container["MIME-Version"] = "1.0"
    container["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    container.attach(_text_part(text, "plain", "; format=flowed; delsp=no"))
    container.attach(_text_part(html, "html"))
    return container.as_bytes()


_MAIL_FILE = re.compile(r"^(\d+)\.(eml|html|txt|inputs)$")


def prune(mail_dir: str, slug: str, published: set[int]) -> list[str]:
    """Remove emails of issues that are no longer published (back to draft, renumbered, deleted),
    so nothing can send them; returns the removed paths."""
    removed = _remove(mail_dir, slug, lambda number: number not in published)
    for path in removed:
        logger.info("Removed %s: its issue is not published", path)
    return removed


def remove_issue_mail(mail_dir: str, slug: str, numbers: set[int]) -> list[str]:
    """Remove the emails of these issues (the build refused them)."""
    removed = _remove(mail_dir, slug, lambda number: number in numbers)
    for path in removed:
        logger.warning("Removed %s: the no-strings check refused its issue", path)
    return removed


def _remove(mail_dir: str, slug: str, doomed) -> list[str]:
    folder = os.path.join(mail_dir, slug)
    removed = []
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            match = _MAIL_FILE.match(name)
            if match and doomed(int(match.group(1))):
                os.unlink(os.path.join(folder, name))
                removed.append(os.path.join(folder, name))
    return removed


def replace_if_changed(path: str, data: bytes) -> bool:
    """Write a build artefact atomically (temp file + rename: a sender never reads half an email),
    and only when its bytes changed. No fsync: mail/ is rebuilt from content/ by every build, and
    3 fsyncs per issue would cost seconds on a site with hundreds of issues."""
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return False
    except FileNotFoundError:
        pass
    return write_bytes_atomic(path, data, durable=False)
