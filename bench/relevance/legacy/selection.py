# Frozen copy of plugins/curator/selection.py at 5fc504c (issue 16 baseline); do not edit.
"""Dedupe and select: which candidates make a niche's next issue.

The issue files are the history: a link any earlier issue carried is never
picked again (compared by canonical URL, so `?a=1&b=2` and `?b=2&a=1` are one
link). Within a run, the same article from several feeds is one candidate,
keyed by canonical URL, then GUID, then normalised title. Hand-picks go first,
then candidates by score, at most `per_source` from one source, at most
`max_links` in all, in a stable order.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from .score import Candidate
from curator.curation.tracking import url_key


def link_key(cand: Candidate) -> str:
    """The candidate's dedup key: kept with its entry in the feed cache, else worked out now."""
    return cand.key or url_key(cand.url)


def title_key(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).casefold()
    return " ".join(re.findall(r"\w+", text))


def dedupe(candidates: Iterable[Candidate], history: Iterable[str] = ()) -> list[Candidate]:
    """Best-scored first; drop what history carried and every later duplicate by URL, GUID or title."""
    sent = {url_key(u) for u in history}
    seen_urls, seen_guids, seen_titles = set(sent), set(), set()
    kept = []
    for cand in sorted(candidates, key=sort_key):
        u, g, t = link_key(cand), cand.guid.strip(), title_key(cand.title)
        if u in seen_urls or (g and g in seen_guids) or (t and t in seen_titles):
            continue
        seen_urls.add(u)
        if g:
            seen_guids.add(g)
        if t:
            seen_titles.add(t)
        kept.append(cand)
    return kept


def sort_key(cand: Candidate):
    """Higher score first; then newer; then the feed order the entry arrived in (stable)."""
    stamp = cand.date.timestamp() if cand.date is not None else float("-inf")
    return (-cand.score, -stamp, cand.order, cand.url)


def select(picks: list[Candidate], ranked: list[Candidate], history: set[str], *,
           max_links: int, per_source: int) -> list[Candidate]:
    """Hand-picks not yet sent (in the editor's order) first, then the best feed entries;
    `ranked` is what `dedupe` returned for this history."""
    sent = {url_key(u) for u in history}
    chosen: list[Candidate] = []
    taken: set[str] = set()
    for pick in picks:
        key = link_key(pick)
        if key in sent or key in taken:
            continue
        if len(chosen) >= max_links:
            break
        chosen.append(pick)
        taken.add(key)
    per = Counter()
    titles = {title_key(c.title) for c in chosen}
    for cand in ranked:
        if len(chosen) >= max_links:
            break
        key = link_key(cand)
        if key in taken or title_key(cand.title) in titles or per[cand.source] >= per_source:
            continue
        chosen.append(cand)
        taken.add(key)
        per[cand.source] += 1
    return chosen
