"""What the newsletter templates see: niches and issues as views, with URLs, prev/next and grouped links.

Built once per build (and by `openhand send` for a draft's email) from the files the
content model read; the Markdown fields are rendered here, once, by markup.py, so the
page, the feed item and the email all show that one rendering. `read_newsletters` is
the generator's intake: every content error, the email headers' included, raised
together before anything is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from email.utils import parseaddr
from urllib.parse import quote
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from ..delivery.tokens import PLACEHOLDER
from ..model import markup
from ..model.content import load_content
from ..model.documents import ContentError, gather, raise_all
from ..model.issues import IssueFile, IssueLink
from ..model.niches import Niche


def mail_address(value: str) -> str:
    """The bare address of 'Name <a@b>' (or the value itself)."""
    return parseaddr(value)[1] or value


def issue_datetime(day: dt.date, timezone: str | None) -> dt.datetime:
    """An issue's date as an aware datetime (9:00 local), for feeds and the email Date header."""
    tz = ZoneInfo(timezone) if timezone else dt.UTC
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
class SectionView:
    name: str
    links: list[LinkView]


def group_links(links, section_order) -> list[SectionView]:
    """Links by section: the niche's sections in their order, other named sections as met, unsectioned last."""
    groups: dict[str, list[LinkView]] = {name: [] for name in section_order}
    for link in links:
        groups.setdefault(link.section or "", []).append(link)
    loose = groups.pop("", [])
    sections = [SectionView(name, items) for name, items in groups.items() if items]
    if loose:
        sections.append(SectionView("More worth reading" if sections else "", loose))
    return sections


@dataclass
class NicheView:
    """A niche as the templates and A's home page see it (url relative, e.g. newsletters/dental/)."""

    file: Niche          # the niche file's record (its cadence, email settings...)
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
    issues: list[IssueView] = field(default_factory=list)  # published, latest first
    drafts: list[IssueView] = field(default_factory=list)

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
    sections: list[SectionView]
    url: str
    save_as: str
    previous: IssueView | None = None
    next: IssueView | None = None
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

    # What feeds.FeedItem reads.
    @property
    def summary(self) -> str:
        return str(escape(self.intro_text or self.preheader or self.title))

    @property
    def feed_title(self) -> str:
        return str(escape(self.title))  # write_feed strips tags from it, so give it escaped text


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
            file=niche, slug=slug, title=niche.title, summary=niche.summary,
            url=settings["NICHE_URL"].format(**fmt), save_as=settings["NICHE_SAVE_AS"].format(**fmt),
            body_html=render(niche.body).html,
            feed_atom=settings["NICHE_FEED_ATOM"].format(**fmt) if settings.get("NICHE_FEED_ATOM") else None,
            feed_rss=settings["NICHE_FEED_RSS"].format(**fmt) if settings.get("NICHE_FEED_RSS") else None,
            subscribe_mailto=f"mailto:{subscribe_to}?subject={quote('Subscribe: ' + niche.title)}",
            unsubscribe_mailto=niche.email.unsubscribe_mailto,
            unsubscribe_https=unsubscribe_link(settings) or niche.email.unsubscribe_https,
            lang=niche.lang or settings["DEFAULT_LANG"], list_endpoint=settings.get("LIST_ENDPOINT"),
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
        for before, after in zip(chronological, chronological[1:], strict=False):
            before.next, after.previous = after, before
        view.issues = chronological[::-1]
        views.append(view)
    return views


def header_errors(views: list[NicheView], settings) -> list[ContentError]:
    """What would go into a published issue's email headers and may not (emails.headers' rules),
    one error naming the file and field each."""
    from .emails import headers

    errors: list[ContentError] = []
    for niche in views:
        for issue in niche.issues:
            gather(errors, headers, issue, settings)
    return errors


def read_newsletters(settings, generated_content: dict) -> tuple[list[NicheView], list[Niche], list[IssueFile]]:
    """The views, and the niche and issue files they came from; every content error in content/ (and in
    the headers the emails would carry) raised together, sorted by file, so nothing is built."""
    niches, issues, errors = load_content(settings, generated_content)
    views = build_views(settings, niches, issues)
    raise_all(sorted(errors + header_errors(views, settings), key=lambda e: e.path))
    return views, list(niches.values()), [issue for found in issues.values() for issue in found]
