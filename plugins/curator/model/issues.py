"""Newsletter issue files (content/newsletters/<slug>/<yyyy-mm-dd>.md).

The issue files are the newsletter's whole history: curation reads them to
number the next issue and to never pick a link twice; the build renders them.
A draft's runner-ups (`more:`) are read too, for curation to learn from, and
are never rendered: nothing but `links:` reaches a page, a feed or an email.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from ..curation.tracking import web_url
from .documents import ContentError, gather, load, raise_all
from .fields import Fields
from .niches import Niche, require_niche

STATUSES = ("draft", "published")
FILE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\.md$")
DATE_START = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn")
LINK_KEYS = ("url", "title", "source", "section", "note", "summary", "why")


@dataclass(frozen=True)
class IssueLink:
    url: str
    title: str
    source: str = ""
    section: str = ""
    note: str = ""
    summary: str = ""
    why: str = ""


@dataclass(frozen=True)
class IssueFile:
    path: str
    niche: str
    number: int
    date: dt.date
    status: str
    subject: str
    preheader: str
    intro: str
    links: tuple[IssueLink, ...]
    body: str
    more: tuple[IssueLink, ...] = ()   # runner-ups: read, never rendered or sent

    @property
    def published(self) -> bool:
        return self.status == "published"


def load_issue(path: str) -> IssueFile:
    """Read one issue file; raises ContentError naming the key that is wrong (every wrong key at once)."""
    post = load(path)
    f = Fields(path, post.metadata)
    links = _links(f, "links")
    more = _links(f, "more")
    issue = IssueFile(
        path=path,
        niche=f.keep(f.text, "niche", example="dental", default=""),
        number=f.keep(f.number, "number", example="3", minimum=1, default=0),
        date=f.keep(f.date, "date", default=None),
        status=f.keep(f.choice, "status", STATUSES, "draft", default="draft"),
        subject=f.keep(f.text, "subject", "", "'Five links for a calmer month-end'", default=""),
        preheader=f.keep(f.text, "preheader", "", default=""),
        intro=f.keep(f.text, "intro", "", default=""),
        links=links,
        body=post.content,
        more=more,
    )
    f.done()
    return issue


def _link(lf: Fields) -> IssueLink:
    given = lf.text("url", example="'https://example.org/guide'")
    url = web_url(given)
    if url is None:
        raise lf.error("url", f"must be an http(s) link, not {given!r}", "'https://example.org/guide'")
    return IssueLink(
        url=url, title=lf.text("title", url), **{k: lf.keep(lf.text, k, "", default="") for k in LINK_KEYS[2:]}
    )


def _links(f: Fields, key: str) -> tuple[IssueLink, ...]:
    """The issue's `links:` or `more:` records (each bad one reported, the good ones kept)."""
    links = []
    records = f.keep(f.records, key, (), "[{url: 'https://example.org/a', title: A guide, note: Why it helps}]",
                     default=())
    for i, rec in enumerate(records):
        link = f.keep(_link, f.nested(key, rec, i))
        if link:
            links.append(link)
    return tuple(links)


def issue_paths(folder: str) -> list[str]:
    """Every .md file under one niche's issue folder, in name order (a date name sorts oldest first).
    Names that are not YYYY-MM-DD.md are listed too: `name_problem` says what is wrong with them."""
    if not os.path.isdir(folder):
        return []
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(root, name) for name in files if not name.startswith(".") and _maybe_issue(name)]
    return sorted(found, key=lambda p: (os.path.dirname(p) != folder.rstrip(os.sep), p))


def _maybe_issue(name: str) -> bool:
    """A Markdown file: an issue, or one meant to be. Other files (README.txt, a PDF) are the editor's
    own: Pelican never reads this folder, so they are neither published nor refused."""
    return os.path.splitext(name)[1].lower() in MARKDOWN_EXTENSIONS


def name_problem(path: str, folder: str) -> ContentError | None:
    """Why `path` is not a well-named issue of the niche folder `folder` (YYYY-MM-DD.md, a real date), or None."""
    name = os.path.basename(path)
    where = "content/newsletters/<niche>/"
    if os.path.dirname(path) != folder.rstrip(os.sep):
        return ContentError(path, f"is in a sub-folder; issues live directly in {where}", key=None,
                            fix=f"move it to {os.path.join(folder, name)}")
    match = FILE_RE.match(name)
    if match:
        try:
            dt.date(*map(int, match.groups()))
            return None
        except ValueError as exc:
            return ContentError(path, f"is named for a date that does not exist ({exc})", key=None,
                                fix="rename it to the issue's real date, YYYY-MM-DD.md")
    stem, ext = os.path.splitext(name)
    guess = DATE_START.match(stem)
    day = None
    if guess:
        try:
            day = dt.date(*map(int, guess.groups()))
        except ValueError:
            pass
    if day and ext == ".md":
        hint = " (a draft is marked by status: draft, not by its name)" if "draft" in stem.lower() else ""
        fix = f"rename it to {day.isoformat()}.md{hint}"
    elif day:
        fix = f"rename it to {day.isoformat()}.md (issue files end in .md)"
    else:
        fix = "rename it to the issue's date, e.g. 2026-11-02.md, or move it out of content/newsletters/"
    return ContentError(path, "is not named YYYY-MM-DD.md, so it would never be published", key=None, fix=fix)


def read_niche_issues(newsletters_dir: str, slug: str) -> tuple[list[IssueFile], list[ContentError]]:
    """All issues of one niche, drafts too, ordered by number, and every error found on the way:
    badly named files, bad keys, a name and a date: that disagree, an issue of another niche, a number twice."""
    folder = os.path.join(newsletters_dir, slug)
    issues: list[IssueFile] = []
    errors: list[ContentError] = []
    by_number: dict[int, IssueFile] = {}
    for path in issue_paths(folder):
        named = name_problem(path, folder)
        if named:
            errors.append(named)
        issue = gather(errors, load_issue, path)
        if issue is None or named:
            continue
        if issue.date.isoformat() != os.path.basename(path)[:-3]:
            errors.append(ContentError(path, f"says {issue.date.isoformat()}, but the file is named for "
                                       f"{os.path.basename(path)[:-3]}", key="date",
                                       fix=f"make them agree: rename the file to {issue.date.isoformat()}.md, "
                                       f"or write date: {os.path.basename(path)[:-3]}"))
        if issue.niche != slug:
            errors.append(ContentError(issue.path, f"says niche {issue.niche!r} but lives in the folder of {slug!r}",
                                       key="niche", fix=f"write niche: {slug}, or move the file"))
        if issue.number in by_number:
            errors.append(ContentError(issue.path, f"has number {issue.number}, as {by_number[issue.number].path} does",
                                       key="number", fix="give each issue of a niche its own number"))
            continue
        by_number[issue.number] = issue
        issues.append(issue)
    return sorted(issues, key=lambda i: (i.number, i.date)), errors


def load_niche_issues(newsletters_dir: str, niche: Niche) -> list[IssueFile]:
    """All issues of one niche, drafts too, ordered by number; checks they agree."""
    issues, errors = read_niche_issues(newsletters_dir, niche.slug)
    raise_all(errors)
    return issues


def read_all_issues(newsletters_dir: str, niches: dict[str, Niche],
                    broken: AbstractSet[str] = frozenset()) -> tuple[dict[str, list[IssueFile]], list[ContentError]]:
    """Every niche's issues and every error in content/newsletters/: a folder with no niche file, an
    issue outside a niche folder, and each issue file's own. `broken` names niche files that failed to
    load: their issues are checked, but not reported as belonging to an unknown niche."""
    errors: list[ContentError] = []
    if os.path.isdir(newsletters_dir):
        for entry in sorted(os.listdir(newsletters_dir)):
            full = os.path.join(newsletters_dir, entry)
            if os.path.isdir(full) and entry not in niches and entry not in broken and issue_paths(full):
                gather(errors, require_niche, niches, entry, issue_paths(full)[0], key="niche")
            elif os.path.isfile(full) and not entry.startswith(".") and _maybe_issue(entry):
                errors.append(ContentError(full, "is not in a niche's folder, so it would never be published",
                                           fix="move it to content/newsletters/<niche>/YYYY-MM-DD.md"))
    issues = {}
    for slug in list(niches) + sorted(broken):
        found, problems = read_niche_issues(newsletters_dir, slug)
        errors += problems
        if slug in niches:
            issues[slug] = found
    return issues, errors


def load_all_issues(newsletters_dir: str, niches: dict[str, Niche]) -> dict[str, list[IssueFile]]:
    """Every niche's issues; any error stops it, every error found is reported at once."""
    issues, errors = read_all_issues(newsletters_dir, niches)
    raise_all(errors)
    return issues


def sent_urls(issues: list[IssueFile]) -> set[str]:
    """Every link any earlier issue carried (drafts included): never pick one twice."""
    return {link.url for issue in issues for link in issue.links}
