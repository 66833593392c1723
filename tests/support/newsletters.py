"""Fixture niches and issues for the newsletter build tests (helper C): real files in a copied project."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from curator.model.documents import dumps

from .project import copy_project, write


def niche_text(title="Dental practices", *, unsubscribe="mailto:unsubscribe+dental@example.com?subject=stop",
               sections=("Money", "People"), body="For owners of small dental practices.\n\nOne short list a month.",
               **extra) -> str:
    meta = {
        "title": title,
        "summary": f"Useful links for {title.lower()}.",
        "cadence": "monthly",
        "sections": [{"name": s, "keywords": [s.lower()]} for s in sections],
        "email": {"from": "Clearwater <letters@example.com>", "reply_to": "Dana <dana@example.com>",
                  "unsubscribe": unsubscribe},
        **extra,
    }
    return dumps(meta, body)


def link(n: int, section: str = "Money", **extra) -> dict:
    return {"url": f"https://journal.example.org/articles/{n}", "title": f"Guide number {n}",
            "source": "Practice Journal", "section": section, "note": f"Why guide {n} helps: it is short.",
            "summary": f"A plain summary of guide {n}.", **extra}


def issue_text(number: int, *, niche="dental", status="published", date=None, links=None, body="", **extra) -> str:
    day = date or (dt.date(2026, 1, 5) + dt.timedelta(days=28 * (number - 1)))
    meta = {"niche": niche, "number": number, "date": day.isoformat(), "status": status,
            "subject": f"Issue {number}: five calmer links", "preheader": f"Preheader of issue {number}",
            "intro": f"Intro of issue {number}.", **extra,
            "links": links if links is not None else [link(number * 10 + i, "Money" if i % 2 else "People")
                                                     for i in range(3)]}
    return dumps(meta, body)


def write_niche(project: Path, slug="dental", **kw) -> Path:
    return write(project / "content" / "niches" / f"{slug}.md", niche_text(**kw))


def write_issue(project: Path, number: int, niche="dental", **kw) -> Path:
    text = issue_text(number, niche=niche, **kw)
    day = text.split("date: '", 1)[1][:10] if "date: '" in text else text.split("date: ", 1)[1][:10]
    return write(project / "content" / "newsletters" / niche / f"{day}.md", text)


def newsletter_project(tmp: Path, issues: int = 3, drafts: int = 1) -> Path:
    """A project with no demo content: one niche, `issues` published issues and `drafts` drafts after them."""
    project = copy_project(tmp, content=False)
    write_niche(project)
    for n in range(1, issues + 1):
        write_issue(project, n, body="Dear reader,\n\nThis month is about **cash flow**." if n == 1 else "")
    for n in range(issues + 1, issues + drafts + 1):
        write_issue(project, n, status="draft")
    return project
