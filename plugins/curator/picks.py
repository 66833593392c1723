"""Hand-picked links (content/links/*.md): what the editor chose, with why it helps.

One bad file never stops the rest: each file's mistake (unknown niche, missing note,
not YAML, unreadable) is reported naming the file and the fix, and only that link is
left out; `openhand curate` curates the others and exits 2 so the mistake is seen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .documents import ContentError, Fields, load, markdown_files
from .niches import Niche, require_niche

logger = logging.getLogger(__name__)


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
    try:
        post = load(path)
    except OSError as exc:  # a dangling link, a file removed meanwhile, no permission
        raise ContentError(path, f"cannot be read ({exc.strerror})", fix="restore the file or remove it") from None
    f = Fields(path, post.metadata)
    url = f.text("url", example="'https://example.org/guide'")
    if not url.startswith(("http://", "https://")):
        raise f.error("url", f"must be an http(s) link, not {url!r}", "'https://example.org/guide'")
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


@dataclass
class LoadedPicks:
    picks: list[Pick] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)


def load_picks(folder: str, niches: dict[str, Niche], root: str) -> LoadedPicks:
    """Every hand-picked link under `folder`, in file-name order (the editor's order), and each bad
    file's error (logged here, once). Symbolic links are followed only inside `root` (content/)."""
    paths, refused = markdown_files(folder, root)
    for path in refused:
        logger.warning("%s is a symbolic link to a place outside %s; not followed (move what it points "
                       "at into content/ to use it)", path, root)
    out = LoadedPicks()
    for path in paths:
        try:
            out.picks.append(load_pick(path, niches))
        except ContentError as exc:
            logger.error("%s; this hand-picked link is left out, the others are curated", exc)
            out.errors.append(exc)
    return out
