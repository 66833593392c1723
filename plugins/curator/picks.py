"""Hand-picked links (content/links/*.md): what the editor chose, with why it helps."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

from .documents import ContentError, Fields, load
from .niches import Niche, require_niche
from .tracking import web_url


@dataclass(frozen=True)
class Pick:
    path: str
    url: str
    title: str
    niches: tuple[str, ...]
    note: str
    section: str | None
    body: str


def load_pick(path: str, niches: dict[str, Niche]) -> Pick:
    post = load(path)
    f = Fields(path, post.metadata)
    given = f.text("url", example="'https://example.org/guide'")
    url = web_url(given)
    if url is None:
        raise f.error("url", f"must be an http(s) link, not {given!r}", "'https://example.org/guide'")
    note = f.text("note", "")
    if not note:
        raise f.error("note", "is missing: say in a sentence why this link helps the reader",
                      "'A plain checklist for the year-end close.'")
    slugs = tuple(f.words("niches", example="[dental, restaurants]"))
    if not slugs:
        raise f.error("niches", "is missing: which niches is this link for?", "[dental, restaurants]")
    section = f.text("section", None, "Money")
    for slug in slugs:
        niche = require_niche(niches, slug, path, key="niches")
        if section and niche.sections and section not in {s.name for s in niche.sections}:
            raise ContentError(path, f"section {section!r} is not a section of niche {slug!r} "
                               f"({', '.join(s.name for s in niche.sections)})", key="section",
                               fix="use one of those names, or leave section out")
    return Pick(path=path, url=url, title=f.text("title", example="'IRS: Recordkeeping'"),
                niches=slugs, note=note, section=section, body=post.content.strip())


def load_picks(folder: str, niches: dict[str, Niche]) -> list[Pick]:
    """Every hand-picked link, in file-name order (the editor's order)."""
    return [load_pick(p, niches) for p in sorted(glob.glob(os.path.join(folder, "**", "*.md"), recursive=True))]
