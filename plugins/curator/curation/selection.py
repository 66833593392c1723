"""The keys and the order selection uses: a candidate's canonical URL, its normalised title, its rank.

A link any earlier issue carried is never picked again, compared by canonical
URL (so `?a=1&b=2` and `?b=2&a=1` are one link); within a run the same article
from several feeds is one story (`stories`). Higher scores rank first, then
newer, then the order the entries arrived in: equal scores stay stable.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .score import Candidate
from .tracking import url_key

_WORD = re.compile(r"\w+")


def link_key(cand: Candidate) -> str:
    """The candidate's dedup key: kept with its entry in the feed cache, else worked out now."""
    return cand.key or url_key(cand.url)


@lru_cache(maxsize=16384)  # a title is keyed by stories and again by selection
def title_key(title: str) -> str:
    text = title.lower() if title.isascii() else unicodedata.normalize("NFKD", title).casefold()
    return " ".join(_WORD.findall(text))


def sort_key(cand: Candidate):
    """Higher score first; then newer; then the feed order the entry arrived in (stable)."""
    stamp = cand.date.timestamp() if cand.date is not None else float("-inf")
    return (-cand.score, -stamp, cand.order, cand.url)
