"""The Pelican generator for newsletters: niche hubs, issue pages, per-niche feeds, previews, emails.

Reads content/niches/ and content/newsletters/ (content.load_content), so an
editor's mistakes stop the build with each file and key named. Published issues
become pages and feed items under output/ and emails under mail/; drafts are
rendered only into PREVIEW_PATH (outside output/, so never linked, searched or
fed), and not at all when PREVIEW_PATH is None (publishconf.py).

Niche feeds (feeds.py) are on in local builds too (pelicanconf.py), unlike Pelican's site
feeds: the niche pages offer them as a way to subscribe, so they must exist
wherever the pages do. Set NICHE_FEED_ATOM / NICHE_FEED_RSS = None to drop one.

Pelican's Jinja autoescape is off; the templates under newsletters/ and email/
(but not the plain-text email) are compiled with autoescape on, so every
string from an issue file is escaped unless it is explicitly Markup. The Markdown
fields (intro, notes, the letter, the hub text) are rendered once here by markup.py,
sanitised, and the page, the feed item and the email all show that one rendering.

Content errors (content.py) are gathered in generate_context and raised together
before anything is written. Emails are rendered in generate_output but written to
mail/ only once the no-strings check has passed (`staged_mail`, used at `finalized`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import posixpath
import weakref
from dataclasses import dataclass, field, fields
from email.utils import parseaddr
from urllib.parse import quote
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from pelican.generators import Generator

from ..model import markup
from ..model.content import load_content
from ..delivery.tokens import PLACEHOLDER
from ..model.documents import gather, raise_all, write_atomic
from .feeds import write_niche_feeds
from ..model.issues import IssueFile, IssueLink
from ..model.niches import Niche
from ..model.settings import project_dir

logger = logging.getLogger(__name__)

NICHE_TEMPLATE = "niche"  # its name in PAGINATED_TEMPLATES


def autoescape_for(name: str | None) -> bool:
    """Autoescape the curator's own HTML templates; leave the theme's and plain text as Pelican has them."""
    if not name:
        return False
    return name.startswith(("newsletters/", "email/")) and not name.endswith(".txt")


def mail_address(value: str) -> str:
    """The bare address of 'Name <a@b>' (or the value itself)."""
    return parseaddr(value)[1] or value


def issue_datetime(day: dt.date, timezone: str | None) -> dt.datetime:
    """An issue's date as an aware datetime (9:00 local), for feeds and the email Date header."""
    tz = ZoneInfo(timezone) if timezone else dt.timezone.utc
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=tz)


@dataclass(frozen=True)
class LinkView(IssueLink):
    """One link as pages, feeds and emails show it: the issue file's plain-text fields (escaped by the
    templates) and its Markdown note rendered once, as sanitised HTML and as plain text."""

    note_html: Markup = Markup("")
    note_text: str = ""


def link_view(render, link: IssueLink) -> LinkView:
    note = render(link.note)
    return LinkView(**{f.name: getattr(link, f.name) for f in fields(IssueLink)}, note_html=note.html,
                    note_text=note.text)


@dataclass
class Section:
    name: str
    links: list[LinkView]


def group_links(links, section_order) -> list[Section]:
    """Links by section: the niche's sections in their order, other named sections as met, unsectioned last."""
    groups: dict[str, list[IssueLink]] = {name: [] for name in section_order}
    for link in links:
        groups.setdefault(link.section or "", []).append(link)
    loose = groups.pop("", [])
    sections = [Section(name, items) for name, items in groups.items() if items]
    if loose:
        sections.append(Section("More worth reading" if sections else "", loose))
    return sections


@dataclass
class NicheView:
    """A niche as the templates and A's home page see it (url relative, e.g. newsletters/dental/)."""

    niche: Niche
    slug: str
    title: str
    summary: str
    url: str
    save_as: str
    body_html: Markup
    feed_atom: str | None
    feed_rss: str | None
    subscribe_mailto: str
    unsubscribe_mailto: str | None
    unsubscribe_https: str | None
    lang: str
    list_endpoint: str | None = None  # LIST_ENDPOINT: the hub's subscribe form, each reader's unsubscribe link
    issues: list["IssueView"] = field(default_factory=list)  # published, latest first
    drafts: list["IssueView"] = field(default_factory=list)

    @property
    def latest(self):
        return self.issues[0] if self.issues else None

    @property
    def feeds(self) -> list[tuple[str, str, str]]:
        """(kind, MIME type, path) of each niche feed that is on."""
        out = []
        if self.feed_atom:
            out.append(("Atom", "application/atom+xml", self.feed_atom))
        if self.feed_rss:
            out.append(("RSS", "application/rss+xml", self.feed_rss))
        return out


@dataclass
class IssueView:
    """One issue for pages, feeds and emails. Strings are raw; templates escape them."""

    issue: IssueFile
    niche: NicheView
    number: int
    date: dt.datetime
    title: str
    subject: str
    preheader: str
    intro: str
    intro_html: Markup
    intro_text: str
    letter_html: Markup
    letter_text: str
    sections: list[Section]
    url: str
    save_as: str
    previous: "IssueView | None" = None
    next: "IssueView | None" = None
    content_html: str = ""  # the feed item body, filled in by the generator

    @property
    def links(self):
        return self.issue.links

    @property
    def path(self) -> str:
        return self.issue.path

    @property
    def published(self) -> bool:
        return self.issue.published

    # What Pelican's Writer.write_feed reads of an item.
    @property
    def summary(self) -> str:
        return str(escape(self.intro_text or self.preheader or self.title))

    @property
    def feed_title(self) -> str:
        return str(escape(self.title))  # write_feed strips tags from it, so give it escaped text

    def get_content(self, siteurl: str) -> str:
        return self.content_html


def unsubscribe_link(settings) -> str | None:
    """With a list endpoint, every email's one-click link: the place of each reader's token (message.personalise)."""
    endpoint = settings.get("LIST_ENDPOINT")
    return f"{endpoint}/u/{PLACEHOLDER}" if endpoint else None


def build_views(settings, niches: dict[str, Niche], issues: dict[str, list[IssueFile]]) -> list[NicheView]:
    """Pure: niche and issue view objects with urls, prev/next and grouped links."""
    render = markup.renderer(settings)
    contact = settings.get("CONTACT_EMAIL")
    tz = settings.get("TIMEZONE")
    views = []
    for slug, niche in niches.items():
        fmt = {"slug": slug}
        subscribe_to = mail_address(niche.email.reply_to) or contact or mail_address(niche.email.from_)
        view = NicheView(
            niche=niche, slug=slug, title=niche.title, summary=niche.summary,
            url=settings["NICHE_URL"].format(**fmt), save_as=settings["NICHE_SAVE_AS"].format(**fmt),
            body_html=render(niche.body).html,
            feed_atom=settings["NICHE_FEED_ATOM"].format(**fmt) if settings.get("NICHE_FEED_ATOM") else None,
            feed_rss=settings["NICHE_FEED_RSS"].format(**fmt) if settings.get("NICHE_FEED_RSS") else None,
            subscribe_mailto=f"mailto:{subscribe_to}?subject={quote('Subscribe: ' + niche.title)}",
            unsubscribe_mailto=niche.email.unsubscribe_mailto,
            unsubscribe_https=unsubscribe_link(settings) or niche.email.unsubscribe_https,
            lang=niche.lang or settings.get("DEFAULT_LANG", "en"), list_endpoint=settings.get("LIST_ENDPOINT"),
        )
        order = [s.name for s in niche.sections]
        for issue in issues.get(slug, []):
            ifmt = {"niche": slug, "slug": slug, "number": issue.number, "date": issue.date.isoformat()}
            title = issue.subject or f"{niche.title}: issue {issue.number}"
            intro, letter = render(issue.intro), render(issue.body)
            item = IssueView(
                issue=issue, niche=view, number=issue.number, date=issue_datetime(issue.date, tz),
                title=title, subject=issue.subject or title, preheader=issue.preheader, intro=issue.intro,
                intro_html=intro.html, intro_text=intro.text, letter_html=letter.html, letter_text=letter.text,
                sections=group_links([link_view(render, link) for link in issue.links], order),
                url=settings["ISSUE_URL"].format(**ifmt), save_as=settings["ISSUE_SAVE_AS"].format(**ifmt),
            )
            (view.issues if issue.published else view.drafts).append(item)
        chronological = sorted(view.issues, key=lambda i: (i.date, i.number))
        for before, after in zip(chronological, chronological[1:]):
            before.next, after.previous = after, before
        view.issues = chronological[::-1]
        views.append(view)
    return views


class NewsletterGenerator(Generator):
    """Niches and issues in, newsletter pages, niche feeds, previews and emails out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.html_env = self.env.overlay(autoescape=autoescape_for)
        self.niches: list[NicheView] = []
        self.files: tuple[list[Niche], list[IssueFile]] = ([], [])
        self.staged: Staged | None = None

    def template(self, name: str):
        return self.html_env.get_template(name)

    def generate_context(self):
        """Every content error in content/ stops the build here, all of them at once, before any output."""
        from . import emails

        niches, issues, errors = load_content(self.settings, self.context.get("generated_content", {}))
        self.files = (list(niches.values()), [issue for found in issues.values() for issue in found])
        self.niches = build_views(self.settings, niches, issues)
        for niche in self.niches:
            for issue in niche.issues:  # what goes into a header is refused now, naming file and field
                gather(errors, emails.headers, issue, self.settings)
        raise_all(sorted(errors, key=lambda e: e.path))
        paginated = self.settings.setdefault("PAGINATED_TEMPLATES", {})
        paginated.setdefault(NICHE_TEMPLATE, self.settings["NICHE_PAGINATION"])
        self.context["niches"] = self.niches
        self.context["newsletters_url"] = self.settings["NEWSLETTERS_URL"]
        self.context["newsletters_save_as"] = self.settings["NEWSLETTERS_SAVE_AS"]

    def generate_output(self, writer):
        from . import emails

        relative = self.settings.get("RELATIVE_URLS", False)
        writer.write_file(self.settings["NEWSLETTERS_SAVE_AS"], self.template("newsletters/index.html"),
                          self.context, relative_urls=relative, niches=self.niches, page_name="newsletters",
                          url=self.settings["NEWSLETTERS_URL"])
        item_template = self.template("newsletters/feed_item.html")
        for niche in self.niches:
            writer.write_file(niche.save_as, self.template("newsletters/niche.html"), self.context,
                              relative_urls=relative, paginated={"issues": niche.issues},
                              template_name=NICHE_TEMPLATE, url=niche.url, niche=niche,
                              issues=niche.issues, page_name="newsletters")
            for issue in niche.issues:
                writer.write_file(issue.save_as, self.template("newsletters/issue.html"), self.context,
                                  relative_urls=relative, niche=niche, issue=issue, url=issue.url,
                                  page_name="newsletters")
                issue.content_html = item_template.render(issue=issue, niche=niche)
            write_niche_feeds(writer, self.context, niche)
        renderer = emails.EmailRenderer(self.html_env, self.settings)
        self._write_previews(renderer)
        # Rendered now, written to mail/ only when the no-strings check passes (nostrings.check_build).
        published = {niche.slug: {issue.number for issue in niche.issues} for niche in self.niches}
        mail = emails.MailBatch(self.settings, project_dir(self.settings, "MAIL_PATH"), published)
        for niche in self.niches:
            for issue in niche.issues:
                mail.add(issue, renderer.render(issue))
        self.staged = Staged(self.settings, mail, *self.files)
        _STAGED[id(self.settings)] = self.staged

    def _write_previews(self, renderer) -> None:
        """Drafts and their emails, rendered outside output/ and mail/ so nothing links, feeds, indexes
        or sends them; `openhand serve` (make serve) shows them at /preview/."""
        preview = project_dir(self.settings, "PREVIEW_PATH")
        if not preview:
            return
        template = self.template("newsletters/issue.html")
        written = []
        for niche in self.niches:
            for issue in niche.issues:  # published since: its old preview goes
                for stale in (os.path.join(preview, issue.save_as), *preview_email(preview, issue).values()):
                    if os.path.isfile(stale):
                        os.unlink(stale)
            for issue in niche.drafts:
                target = os.path.join(preview, issue.save_as)
                siteurl = self.context.get("SITEURL", "")
                if not siteurl:  # point theme assets at the built site next door
                    siteurl = posixpath.normpath(os.path.relpath(self.output_path, os.path.dirname(target)))
                mail = preview_email(preview, issue)
                rendered = renderer.render(issue)
                write_atomic(mail["html"], rendered.html)
                write_atomic(mail["txt"], rendered.text)
                email_links = {kind: os.path.relpath(path, os.path.dirname(target)) for kind, path in mail.items()}
                source = os.path.relpath(issue.path, os.path.dirname(self.settings["PATH"]))  # content/...
                context = {**self.context, "SITEURL": siteurl, "niche": niche, "issue": issue, "source": source,
                           "preview": True, "preview_email": email_links, "output_file": issue.save_as,
                           "page_name": "newsletters"}
                write_atomic(target, template.render(context))
                written.append(target)
        if written:
            from pelican.log import console  # where Pelican prints its own "Done:" line

            site = f"http://{self.settings.get('BIND') or '127.0.0.1'}:{self.settings.get('PORT')}"
            console.print(f"Draft previews (not published): {len(written)} in {preview}; `make serve` shows them at")
            for target in written:
                console.print(f"  {site}/preview/{os.path.relpath(target, preview).replace(os.sep, '/')}")


def preview_email(preview: str, issue: IssueView) -> dict[str, str]:
    """Where a draft's email goes inside PREVIEW_PATH: mail/<slug>/<number>.html and .txt, as in mail/."""
    stem = os.path.join(preview, "mail", issue.niche.slug, str(issue.number))
    return {"html": stem + ".html", "txt": stem + ".txt"}


@dataclass(eq=False)
class Staged:
    """What one build hands the `finalized` no-strings check: the files it read and its emails
    (emails.MailBatch), rendered but not yet written to mail/."""

    settings: dict
    mail: object
    niches: list[Niche]
    issues: list[IssueFile]


# Each build's Staged, from generate_output to `finalized`, by its settings dict (the one object
# Pelican hands both the generator and the signal); weak: the generator owns it.
_STAGED: "weakref.WeakValueDictionary[int, Staged]" = weakref.WeakValueDictionary()


def staged(settings) -> Staged | None:
    """This build's Staged (once: the check takes it), or None when no newsletter output was made."""
    found = _STAGED.pop(id(settings), None)
    return found if found is not None and found.settings is settings else None
