"""Draft issue files: the hand-off from curation to the editor.

A draft is Markdown with YAML front matter that `issues.load_issue` reads. It is
written atomically and never over an existing file: once a file for that date
exists it belongs to the editor, and a re-run leaves it byte for byte.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..model.documents import dumps, write_atomic
from ..model.issues import IssueFile
from ..model.niches import Niche
from .score import Candidate

WRITTEN = "written"
EXISTS = "exists"
TOO_SOON = "too soon"


@dataclass(frozen=True)
class DraftResult:
    status: str          # WRITTEN, EXISTS or TOO_SOON
    path: str
    number: int
    message: str


def next_number(issues: list[IssueFile]) -> int:
    return max((i.number for i in issues), default=0) + 1


def too_soon(issues: list[IssueFile], niche: Niche, date: dt.date) -> str:
    """Why the cadence says no draft yet (empty when one is due)."""
    earlier = [i for i in issues if i.date <= date]
    if not earlier:
        return ""
    last = max(earlier, key=lambda i: i.date)
    due = last.date + dt.timedelta(days=niche.cadence_days)
    if date >= due:
        return ""
    return (f"issue {last.number} is dated {last.date.isoformat()} and the cadence is {niche.cadence}: "
            f"the next one is due on {due.isoformat()} (use --force to write it now)")


def draft_path(newsletters_dir: str, niche: Niche, date: dt.date) -> str:
    return os.path.join(newsletters_dir, niche.slug, f"{date.isoformat()}.md")


def render(niche: Niche, number: int, date: dt.date, chosen: list[Candidate], more: Sequence[Candidate] = ()) -> str:
    """The draft's text: front matter the editor completes, an empty body for the letter. Runner-ups go
    under `more:`, below `links:`: the editor moves one up to use it; the rest are never published."""
    links = []
    for cand in chosen:
        links.append({
            "url": cand.url,
            "title": cand.title,
            "source": cand.source,
            "section": cand.section,
            "note": cand.note,
            "summary": cand.summary,
            "why": cand.why,
        })
    count = len(chosen)
    subject = f"{niche.title}, issue {number}: {count} link{'s' if count != 1 else ''} for {date:%B %Y}"
    lead = next((c.title for c in chosen if not c.hand_picked), chosen[0].title if chosen else "")
    preheader = f"Starting with: {lead}" if lead else ""
    meta = {
        "niche": niche.slug,
        "number": number,
        "date": date,
        "status": "draft",
        "subject": subject[:150],
        "preheader": preheader[:150],
        "intro": "",
        "links": links,
    }
    if more:
        meta["more"] = [{"url": c.url, "title": c.title, "source": c.source, "summary": c.summary, "why": c.why}
                        for c in more]
    return dumps(meta, "")


def precheck(newsletters_dir: str, niche: Niche, issues: list[IssueFile], date: dt.date, *,
             force: bool = False) -> DraftResult | None:
    """Why no draft will be written (a file exists, or too soon), before any feed is fetched."""
    path = draft_path(newsletters_dir, niche, date)
    number = next_number(issues)
    if os.path.exists(path):
        return DraftResult(EXISTS, path, number, f"{path} already exists; left untouched")
    reason = "" if force else too_soon(issues, niche, date)
    if reason:
        return DraftResult(TOO_SOON, path, number, f"skipped: {reason}")
    return None


def write_draft(newsletters_dir: str, niche: Niche, issues: list[IssueFile], date: dt.date,
                chosen: list[Candidate], *, more: Sequence[Candidate] = (), force: bool = False) -> DraftResult:
    """Write the draft unless the file exists (editor's) or the cadence says it is too soon."""
    early = precheck(newsletters_dir, niche, issues, date, force=force)
    if early is not None:
        return early
    path, number = draft_path(newsletters_dir, niche, date), next_number(issues)
    if not write_atomic(path, render(niche, number, date, chosen, more), overwrite=False):
        return DraftResult(EXISTS, path, number, f"{path} appeared while curating; left untouched")
    return DraftResult(WRITTEN, path, number, f"wrote {path}")
