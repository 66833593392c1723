"""Hand-picked links (content/links/*.md): what the editor chose, with why it helps.

Files are found through symbolic links only inside content/ (a loop is read once, a link
outside is not followed). The build refuses every bad file at once (`load_picks`);
curation (`read_picks`) leaves out only the bad files' links and curates the rest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..curation.tracking import web_url
from .documents import ContentError, gather, load, markdown_files, raise_all
from .fields import Fields
from .niches import Niche, require_niche


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


def read_picks(folder: str, niches: dict[str, Niche], root: str | None = None
               ) -> tuple[list[Pick], list[ContentError], list[str]]:
    """Every good hand-picked link under `folder` in file-name order (the editor's order), every bad
    file's errors, and the symbolic links not followed because they lead outside `root` (content/;
    by default the folder that holds `folder`)."""
    paths, refused = markdown_files(folder, root or os.path.dirname(os.path.abspath(folder)))
    picks: list[Pick] = []
    errors: list[ContentError] = []
    for path in paths:
        pick = gather(errors, load_pick, path, niches)
        if pick:
            picks.append(pick)
    return picks, errors, refused


def load_picks(folder: str, niches: dict[str, Niche], root: str | None = None) -> list[Pick]:
    """Every hand-picked link; every bad file is reported at once (a ContentError or ContentErrors)."""
    picks, errors, _ = read_picks(folder, niches, root)
    raise_all(errors)
    return picks
