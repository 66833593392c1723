"""One story, one slot: the same story from several feeds, under other titles and URLs, is one candidate.

Copies are found by the keys curation always used (canonical URL, GUID,
normalised title) and by their words: two entries whose title + summary share
at least `STORY_JACCARD` of their word pairs (Jaccard over 2-word shingles of
stemmed terms, leaving out shingles so common among the entries that they are
boilerplate), or at least `STORY_CONTAINED` of the shorter one's (an aggregator's
excerpt of a longer summary), tell the same story. A story carried by more feeds
than that makes its own word pairs common: long texts most of whose pairs are common
are also compared whole, and `STORY_SAME_TEXT` of them alike is one story. A rewrite
(an aggregator's own title and summary for another feed's story) keeps few word pairs
but most of the telling words: two entries whose shared terms (function words left
out), each weighted by how rare it is among the entries seen (log(entries /
occurrences)), make `STORY_ALIKE` of the lighter one's weight and `STORY_ALIKE_BOTH`
of the two together are one story. The links earlier issues
carried are grouped with the entries (choice.py): a story one of them told is
left out whole, whatever title or URL its new copy has. The best-scored copy leads; the others'
sources are named in its `why` ("also in: ..."), and every further source
carrying it counts in its favour (`STORY_BONUS` per source, at most
`STORY_MAX_SOURCES` of them).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from .score import Candidate
from .selection import link_key, sort_key, title_key

STORY_JACCARD = 0.3      # same-story copies in the corpus score 0.29-0.58; different stories at most 0.25
STORY_CONTAINED = 0.5    # ... and share 0.50-0.76 of the shorter text's shingles; different ones at most 0.43
STORY_COMMON = 4          # a shingle in more entries than this is boilerplate ('appeared first on'), not a story
STORY_MIN_SHINGLES = 12   # fewer distinctive shingles than this (a one-line summary): too short to tell
                          # two stories from one (e.g. "Ledger for 2025" and "Ledger for 2026"): keys decide
STORY_SAME_TEXT = 0.8     # ... but a long text (STORY_SAME_MIN shingles or more) most of whose shingles are common
STORY_SAME_MIN = 24       # is compared whole: a wire story carried by more feeds than STORY_COMMON makes its own
                          # shingles common, and copies sharing this much of them are one text, not boilerplate
STORY_ALIKE = 0.45        # copies of one story in the corpus share 0.48-1.00 of the lighter text's weight
STORY_ALIKE_BOTH = 0.25   # and 0.26-0.91 of both together; different stories at most 0.45 and 0.21, never
                          # both bars at once (a title stuffed with the niche's words is 'contained' in many
                          # texts, but shares little of both), but for a niche's and a general blog's
                          # "Year-end tax moves for ... owners" (up to 0.69, 0.48), which take one slot as well
STORY_MIN_TERMS = 12      # fewer telling terms than this (as STORY_MIN_SHINGLES): too short, or too templated,
                          # to tell by words ("Ledger tip 1" and "Ledger tip 2", a calm useful tip each)
STORY_RARE = 1.0          # a telling term: in at most 1/e of the entries seen
STORY_WORDED = 100        # only the best this many leaders are compared by words (every entry is compared
                          # with them): a draft shows a dozen stories, and comparing all with all is O(n²)
                          # when a niche's draft cannot fill and every entry leads (one big feed)
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
    return frozenset(zip(terms, terms[1:], strict=False))


def group(candidates: Iterable[Candidate], shingles_of: Callable[[Candidate], frozenset],
          blocked: AbstractSet[str] = frozenset(), top: int | None = None,
          rare_of: Callable[[Candidate], frozenset] | None = None,
          terms_of: Callable[[Candidate], frozenset] | None = None,
          words_of: Callable[[Candidate], frozenset[str]] | None = None,
          occurrences: Callable[[str], int] | None = None, entries: int = 0) -> list[Story]:
    """The candidates as stories, best first (by the lead's score raised for extra sources). A story
    any copy of which is `blocked` (a link already sent, or one the editor dropped) is left out whole.

    With `top`, only the best `top` candidates not blocked can lead a story; every other candidate is
    only compared with those (found to be a copy, or left out): a draft takes a few stories, and
    comparing every entry with every other would be most of a run. Ask again with a larger `top`
    when the stories returned are too few. `rare_of`, if given, names a leader's uncommon terms and
    `terms_of` any entry's terms: an entry sharing none of the leaders' uncommon terms is compared by
    its keys alone (its shingles are not made). `words_of` (an entry's distinct terms), `occurrences` (a
    term's count in the `entries` seen) find rewrites: copies that share the story's telling words, not
    its word pairs."""
    ranked = sorted(candidates, key=sort_key)
    if top is not None and top < len(ranked):
        leaders = [c for c in ranked if link_key(c) not in blocked][:top]
    else:
        leaders = ranked
    chosen = {id(c) for c in leaders}
    others = [c for c in ranked if id(c) not in chosen]
    rare = frozenset().union(*map(rare_of, leaders)) if rare_of and others else None
    shared = terms_of or rare_of
    lead_sets = [shingles_of(c) for c in leaders]
    near = [rare is None or shared is None or not rare.isdisjoint(shared(c)) for c in others]
    other_sets = [shingles_of(c) if close else frozenset() for c, close in zip(others, near, strict=True)]
    words = words_of if words_of is not None and occurrences is not None and entries else None
    lead_words = [words(c) if words else frozenset() for c in leaders]
    other_words = [words(c) if words and close else frozenset() for c, close in zip(others, near, strict=True)]
    union = frozenset().union(*lead_sets)
    seen: Counter = Counter()
    for one in lead_sets:
        seen.update(one)
    for one in other_sets:
        if one:
            seen.update(one & union)
    common = {s for s, n in seen.items() if n > STORY_COMMON}
    weight = rarity(occurrences, entries) if words and occurrences else (lambda term: 0.0)
    grouping = _Grouping(common, weight)
    for cand, mine, terms in zip(leaders, lead_sets, lead_words, strict=True):   # the leaders make the stories
        grouping.add(cand, mine, terms)
    for cand, mine, terms in zip(others, other_sets, other_words, strict=True):  # every other entry joins one
        grouping.join(cand, mine if mine and not union.isdisjoint(mine) else frozenset(), terms)
    stories = []
    for copies in grouping.members:
        if any(link_key(c) in blocked for c in copies):
            continue
        copies.sort(key=sort_key)
        lead, rest = copies[0], tuple(copies[1:])
        story = Story(lead, rest)
        extra = min(len(story.other_sources), STORY_MAX_SOURCES)
        if extra:
            story = Story(replace(lead, score=round(lead.score * (1 + STORY_BONUS * extra), 4)), rest)
        stories.append(story)
    return sorted(stories, key=lambda s: sort_key(s.lead))


class _Rarity(dict):
    """term -> its weight, worked out on first use (a dict, so weights are read by map in C)."""

    def __init__(self, occurrences: Callable[[str], int], entries: int):
        super().__init__()
        self.occurrences, self.entries = occurrences, entries

    def __missing__(self, term: str) -> float:
        value = self[term] = max(0.0, math.log(self.entries / max(1, self.occurrences(term))))
        return value


def rarity(occurrences: Callable[[str], int], entries: int) -> Callable[[str], float]:
    """A term's weight in telling one story from another, log(entries / occurrences): 0 for a word
    every entry has (a templated feed's "payroll note 3" and "note 4" differ by their numbers only)."""
    return _Rarity(occurrences, entries).__getitem__


class _Grouping:
    """Stories as they are found: by key (URL, GUID, title), and by the leaders' shingles and words."""

    def __init__(self, common: set, weight: Callable[[str], float]):
        self.common = common
        self.weight = weight
        self.members: list[list[Candidate]] = []
        self.by_url: dict[str, int] = {}
        self.by_guid: dict[str, int] = {}
        self.by_title: dict[str, int] = {}
        self.shingled: list[tuple[int, frozenset]] = []   # (story, a leader's distinctive shingles)
        self.whole: list[tuple[int, frozenset]] = []      # (story, all shingles of a leader mostly common)
        self.worded: list[tuple[int, frozenset[str], float]] = []   # (story, a leader's terms, their weight)

    def _distinct(self, mine: frozenset) -> frozenset:
        mine = mine - self.common if self.common and mine else mine
        return mine if len(mine) >= STORY_MIN_SHINGLES else frozenset()

    def _keyed(self, cand: Candidate) -> tuple[str, str, str, int | None]:
        url, guid, title = link_key(cand), cand.guid.strip(), title_key(cand.title)
        story = self.by_url.get(url)
        if story is None and guid:
            story = self.by_guid.get(guid)
        if story is None and title:
            story = self.by_title.get(title)
        return url, guid, title, story

    def _similar(self, mine: frozenset) -> int | None:
        """The story one of whose leaders shares the most of its shingles with `mine`: at least
        STORY_JACCARD of the two together, or STORY_CONTAINED of the shorter one's (an excerpt, or a
        rewrite that kept much of a shorter text); of equals, the first."""
        return _most_alike(self.shingled, mine, STORY_JACCARD, STORY_CONTAINED)

    @staticmethod
    def _mostly_common(mine: frozenset, distinct: frozenset) -> bool:
        return len(mine) >= STORY_SAME_MIN and len(distinct) * 2 < len(mine)

    def _same_text(self, mine: frozenset) -> int | None:
        """The story of a leader whose whole text (every shingle) is STORY_SAME_TEXT like this one's."""
        return _most_alike(self.whole, mine, STORY_SAME_TEXT, float("inf"))

    def _weighed(self, terms: frozenset[str]) -> float:
        """The terms' weight, 0 for a text with too few telling words (STORY_MIN_TERMS terms of
        weight STORY_RARE or more) to tell by them."""
        weights = list(map(self.weight, terms))
        return sum(weights) if sum(w >= STORY_RARE for w in weights) >= STORY_MIN_TERMS else 0.0

    def _rewrite(self, terms: frozenset[str], total: float) -> int | None:
        """The story of the leader sharing the most weight with `terms`, when that is at least
        STORY_ALIKE of the lighter text's weight and STORY_ALIKE_BOTH of the two texts'; of equals, the
        first."""
        best, best_share, weight = None, 0.0, self.weight
        for story, other, other_total in self.worded:
            common = terms & other
            if not common:
                continue
            shared = sum(map(weight, common))
            share = shared / min(total, other_total)
            if (share >= STORY_ALIKE and shared >= STORY_ALIKE_BOTH * (total + other_total - shared)
                    and share > best_share):
                best, best_share = story, share
        return best

    def _put(self, story: int, cand: Candidate, url: str, guid: str, title: str) -> None:
        self.members[story].append(cand)
        self.by_url.setdefault(url, story)
        if guid:
            self.by_guid.setdefault(guid, story)
        if title:
            self.by_title.setdefault(title, story)

    def add(self, cand: Candidate, mine: frozenset, terms: frozenset[str] = frozenset()) -> None:
        """A leader: a copy of a story already found, or a story of its own."""
        url, guid, title, story = self._keyed(cand)
        distinct = self._distinct(mine)
        whole = self._mostly_common(mine, distinct)
        total = self._weighed(terms)
        if story is None and distinct:
            story = self._similar(distinct)
        if story is None and whole:
            story = self._same_text(mine)
        if story is None and total:
            story = self._rewrite(terms, total)
        if story is None:
            story = len(self.members)
            self.members.append([])
        self._put(story, cand, url, guid, title)
        if distinct:
            self.shingled.append((story, distinct))
        if whole:
            self.whole.append((story, mine))
        if total and len(self.worded) < STORY_WORDED:
            self.worded.append((story, terms, total))

    def join(self, cand: Candidate, mine: frozenset, terms: frozenset[str] = frozenset()) -> None:
        """Any other entry: a copy of a story found, or left out (its shingles and terms are compared
        with the leaders' only)."""
        url, guid, title, story = self._keyed(cand)
        if story is None and mine:
            distinct = self._distinct(mine)
            story = self._similar(distinct) if distinct else None
            if story is None and self.whole and self._mostly_common(mine, distinct):
                story = self._same_text(mine)
        if story is None and terms and self.worded:
            total = self._weighed(terms)
            story = self._rewrite(terms, total) if total else None
        if story is not None:
            self._put(story, cand, url, guid, title)


def _most_alike(leaders: list[tuple[int, frozenset]], mine: frozenset, jaccard: float,
                contained: float) -> int | None:
    """The story of the leader most like `mine` (by Jaccard) among those sharing at least `jaccard` of the
    two sets together or `contained` of the smaller one; of equals, the first; None when none does."""
    best, best_value, size = None, 0.0, len(mine)
    for story, other in leaders:
        common = len(mine & other)
        if not common:
            continue
        value = common / (size + len(other) - common)
        if value < jaccard and common < contained * min(size, len(other)):
            continue
        if best is None or value > best_value:
            best, best_value = story, value
    return best
