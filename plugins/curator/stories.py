"""One story, one slot: the same story from several feeds, under other titles and URLs, is one candidate.

Copies are found by the keys curation always used (canonical URL, GUID,
normalised title) and by their words: two entries whose title + summary share
at least `STORY_JACCARD` of their word pairs (Jaccard over 2-word shingles of
stemmed terms, leaving out shingles so common among the entries that they are
boilerplate) tell the same story. The best-scored copy leads; the others'
sources are named in its `why` ("also in: ..."), and every further source
carrying it counts in its favour (`STORY_BONUS` per source, at most
`STORY_MAX_SOURCES` of them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from .score import Candidate
from .selection import link_key, sort_key, title_key

STORY_JACCARD = 0.3      # same-story copies in the corpus score 0.33-0.58; different stories at most 0.25
STORY_COMMON = 4          # a shingle in more entries than this is boilerplate ('appeared first on'), not a story
STORY_MIN_SHINGLES = 12   # fewer distinctive shingles than this (a one-line summary): too short to tell
                          # two stories from one (e.g. "Ledger for 2025" and "Ledger for 2026"): keys decide
STORY_BONUS = 0.1
STORY_MAX_SOURCES = 3


@dataclass(frozen=True)
class Story:
    lead: Candidate
    copies: tuple[Candidate, ...] = ()

    @property
    def members(self) -> tuple[Candidate, ...]:
        return (self.lead, *self.copies)

    @property
    def other_sources(self) -> tuple[str, ...]:
        """Sources that carry the story besides the lead's, in the order their copies rank."""
        return tuple(dict.fromkeys(c.source for c in self.copies if c.source != self.lead.source))


def shingles(terms: tuple[str, ...]) -> frozenset:
    """The text's 2-word shingles (its single term when it has one)."""
    if len(terms) < 2:
        return frozenset(terms)
    return frozenset(zip(terms, terms[1:]))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def group(candidates: Iterable[Candidate], shingles_of: Callable[[Candidate], frozenset],
          blocked: set[str] = frozenset(), top: int | None = None,
          rare_of: Callable[[Candidate], frozenset] | None = None) -> list[Story]:
    """The candidates as stories, best first (by the lead's score raised for extra sources). A story
    any copy of which is `blocked` (a link already sent, or one the editor dropped) is left out whole.

    With `top`, only the best `top` candidates not blocked can lead a story; every other candidate is
    only compared with those (found to be a copy, or left out): a draft takes a few stories, and
    comparing every entry with every other would be most of a run. Ask again with a larger `top`
    when the stories returned are too few. `rare_of`, if given, names an entry's uncommon terms: an
    entry sharing none with the leaders is compared by its keys alone (its shingles are not made)."""
    ranked = sorted(candidates, key=sort_key)
    if top is not None and top < len(ranked):
        leaders = {id(c) for c in [c for c in ranked if link_key(c) not in blocked][:top]}
    else:
        leaders = {id(c) for c in ranked}
    rare = frozenset().union(*(rare_of(c) for c in ranked if id(c) in leaders)) if rare_of else None
    full = [shingles_of(c) if id(c) in leaders or rare is None or not rare.isdisjoint(rare_of(c)) else frozenset()
            for c in ranked]
    union = frozenset().union(*(s for c, s in zip(ranked, full) if id(c) in leaders))
    seen: Counter = Counter()
    for c, one in zip(ranked, full):
        seen.update(one if id(c) in leaders else one & union)
    common = {s for s, n in seen.items() if n > STORY_COMMON}
    members: list[list[Candidate]] = []
    by_key: dict[str, int] = {}
    by_shingle: dict[object, list[tuple[int, int]]] = {}
    sets: list[list[frozenset]] = []
    for cand, mine in zip(ranked, full):
        leader = id(cand) in leaders
        keys = [k for k in (f"u:{link_key(cand)}", f"g:{cand.guid.strip()}" if cand.guid.strip() else "",
                            f"t:{title_key(cand.title)}" if title_key(cand.title) else "") if k]
        story = next((by_key[k] for k in keys if k in by_key), None)
        mine = mine - common if common else mine
        if len(mine) < STORY_MIN_SHINGLES:
            mine = frozenset()
        if story is None and mine and (leader or not union.isdisjoint(mine)):
            story = _similar(mine, by_shingle, sets)
        if story is None:
            if not leader:
                continue
            story = len(members)
            members.append([])
            sets.append([])
        members[story].append(cand)
        sets[story].append(mine)
        for k in keys:
            by_key.setdefault(k, story)
        if leader:
            for shingle in mine:
                by_shingle.setdefault(shingle, []).append((story, len(sets[story]) - 1))
    stories = []
    for copies in members:
        if any(link_key(c) in blocked for c in copies):
            continue
        lead, rest = copies[0], tuple(copies[1:])
        story = Story(lead, rest)
        extra = min(len(story.other_sources), STORY_MAX_SOURCES)
        if extra:
            story = Story(replace(lead, score=round(lead.score * (1 + STORY_BONUS * extra), 4)), rest)
        stories.append(story)
    return sorted(stories, key=lambda s: sort_key(s.lead))


def _similar(mine: frozenset, by_shingle: dict, sets: list[list[frozenset]]) -> int | None:
    """The story one of whose copies shares at least STORY_JACCARD of its shingles with `mine`."""
    shared: Counter = Counter()
    for shingle in mine:
        shared.update(by_shingle.get(shingle, ()))
    best, best_value = None, STORY_JACCARD
    for (story, member), common in shared.items():
        other = sets[story][member]
        value = common / (len(mine) + len(other) - common)
        if value >= best_value:
            best, best_value = story, value
    return best
