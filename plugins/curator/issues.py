"""Newsletter issue files (content/newsletters/<slug>/<yyyy-mm-dd>.md).

The issue files are the newsletter's whole history: curation reads them to
number the next issue and to never pick a link twice; the build renders them.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
from dataclasses import dataclass

from .documents import ContentError, Fields, load
from .niches import Niche, require_niche
from .tracking import web_url

STATUSES = ("draft", "published")
FILE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\.md$")
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

    @property
    def published(self) -> bool:
        return self.status == "published"


def load_issue(path: str) -> IssueFile:
    """Read one issue file; raises ContentError naming the key that is wrong."""
    post = load(path)
    f = Fields(path, post.metadata)
    links = []
    for i, rec in enumerate(f.records("links", (), "[{url: 'https://example.org/a', title: A guide, note: Why it helps}]")):
        lf = f.nested("links", rec, i)
        given = lf.text("url", example="'https://example.org/guide'")
        url = web_url(given)
        if url is None:
            raise lf.error("url", f"must be an http(s) link, not {given!r}", "'https://example.org/guide'")
        links.append(IssueLink(url=url, title=lf.text("title", url), **{k: lf.text(k, "") for k in LINK_KEYS[2:]}))
    number = f.number("number", example="3", minimum=1)
    date = f.date("date")
    return IssueFile(
        path=path,
        niche=f.text("niche", example="dental"),
        number=number,
        date=date,
        status=f.choice("status", STATUSES, "draft"),
        subject=f.text("subject", "", "'Five links for a calmer month-end'"),
        preheader=f.text("preheader", ""),
        intro=f.text("intro", ""),
        links=tuple(links),
        body=post.content,
    )


def issue_paths(folder: str) -> list[str]:
    """Issue files in one niche's folder, oldest first (names are dates)."""
    return sorted(p for p in glob.glob(os.path.join(folder, "*.md")) if FILE_RE.match(os.path.basename(p)))


def load_niche_issues(newsletters_dir: str, niche: Niche) -> list[IssueFile]:
    """All issues of one niche, drafts too, ordered by number; checks they agree."""
    issues = [load_issue(p) for p in issue_paths(os.path.join(newsletters_dir, niche.slug))]
    by_number: dict[int, IssueFile] = {}
    for issue in issues:
        if issue.niche != niche.slug:
            raise ContentError(issue.path, f"says niche {issue.niche!r} but lives in the folder of {niche.slug!r}",
                               key="niche", fix=f"write niche: {niche.slug}, or move the file")
        if issue.number in by_number:
            raise ContentError(issue.path, f"has number {issue.number}, as {by_number[issue.number].path} does",
                               key="number", fix="give each issue of a niche its own number")
        by_number[issue.number] = issue
    return sorted(issues, key=lambda i: (i.number, i.date))


def load_all_issues(newsletters_dir: str, niches: dict[str, Niche]) -> dict[str, list[IssueFile]]:
    """Every niche's issues; a folder or file for a niche with no niche file is an error."""
    if os.path.isdir(newsletters_dir):
        for entry in sorted(os.listdir(newsletters_dir)):
            full = os.path.join(newsletters_dir, entry)
            if os.path.isdir(full) and issue_paths(full):
                require_niche(niches, entry, issue_paths(full)[0], key="niche")
    return {slug: load_niche_issues(newsletters_dir, niche) for slug, niche in niches.items()}


def sent_urls(issues: list[IssueFile]) -> set[str]:
    """Every link any earlier issue carried (drafts included): never pick one twice."""
    return {link.url for issue in issues for link in issue.links}
