"""Whom an entry is for: the niche's readers, their customers, or nobody in particular.

Two signals an editor uses before reading a word of the article, each grounded in the niche's
own file and said in `why`:

* **Source focus.** A source most of whose entries are not about the niche (the local paper, a
  general blog) mentions the niche's words in passing: its entries' scores are lowered by how far
  its share of entries about the niche falls below the share over all the niche's sources, down
  to FOCUS_FLOOR for a source none of whose entries is about the niche. An entry counts as about
  the niche in proportion to its relevance (0..1), fully from FOCUS_FULL; FOCUS_PRIOR imagined
  average entries keep two or three entries from condemning a source, and a run with fewer than
  FOCUS_MIN_ENTRIES entries in all judges no source.
* **Customer-side.** The hub text says whom the niche serves ("For owners and office managers of
  independent dental practices"); an entry that sends its reader to find, choose, see or call
  one of them ("How to find a dentist who takes your insurance") is advice for their customers.
  The providers are the niche's keywords (and section keywords) that its title or the first
  paragraph of its hub text uses; the verbs are English (SEEK_VERBS), so for a niche in
  another language this signal is off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..model.niches import Niche
from .terms import ENGLISH, Analyzer

FOCUS_FULL = 0.5      # an entry at least this relevant (0..1) counts as wholly about the niche
FOCUS_FLOOR = 0.4     # what is left of a score from a source none of whose entries is about the niche
FOCUS_PRIOR = 2.0     # imagined average entries: a source is judged on more than two or three entries
FOCUS_MIN_ENTRIES = 12  # fewer entries in all than this say nothing about any source
FOCUS_SHOWN = 0.9     # below this factor, `why` names the source's focus
# Verbs of someone looking for a provider, as Snowball's English stems; a provider may follow within
# SEEK_GAP words ("find a good divorce attorney").
SEEK_VERBS = frozenset({"find", "choos", "chose", "pick", "see", "visit", "need", "call", "ask", "trust", "switch"})
SEEK_GAP = 3


@dataclass(frozen=True)
class Focus:
    """How much of a source is about the niche: `on_topic` of `entries`, and the factor it gives."""

    on_topic: int
    entries: int
    factor: float

    @property
    def why(self) -> str:
        if self.factor >= FOCUS_SHOWN:
            return ""
        return (f"a source mostly about other things ({self.on_topic} of its {self.entries} entries are about "
                f"the niche) (-{round((1 - self.factor) * 100)}%)")


def source_focus(relevance: dict[str, list[float]]) -> dict[str, Focus]:
    """Each source's focus from the relevance (0..1, 0 for an entry off the niche) of its entries: its
    share of entries about the niche against the share over every source (so a niche whose every
    entry is on topic, or none, lowers no source), shrunk towards that share by FOCUS_PRIOR entries."""
    values = [v for vs in relevance.values() for v in vs]
    if len(values) < FOCUS_MIN_ENTRIES:
        return {}
    overall = sum(min(1.0, v / FOCUS_FULL) for v in values) / len(values)
    out = {}
    for source, vs in relevance.items():
        share = (sum(min(1.0, v / FOCUS_FULL) for v in vs) + FOCUS_PRIOR * overall) / (len(vs) + FOCUS_PRIOR)
        ratio = min(1.0, share / overall) if overall > 0 else 1.0
        out[source] = Focus(
            sum(v >= FOCUS_FULL for v in vs), len(vs), round(FOCUS_FLOOR + (1 - FOCUS_FLOOR) * ratio, 4)
        )
    return out


@lru_cache(maxsize=256)
def providers(niche: Niche, analyzer: Analyzer) -> frozenset[str]:
    """The terms of the niche's keywords (one-word ones) that name whom it serves: those its title or
    the first paragraph of its hub text uses."""
    if analyzer.key != ENGLISH:
        return frozenset()
    first = (niche.body or "").strip().split("\n\n", 1)[0]
    said = frozenset(analyzer.terms(f"{niche.title} {first}"))
    words = list(niche.keywords) + [w for s in niche.sections for w in s.keywords]
    return frozenset(t for w in words for t in analyzer.terms(w)[-1:] if len(analyzer.terms(w)) == 1 and t in said)


def customer_side(fields: Iterable[tuple[str, ...]], provider_terms: frozenset[str]) -> tuple[str, ...]:
    """The terms that send the reader to a provider ('find', 'a', 'dentist'), or (). `fields`: the
    entry's title and summary as terms."""
    if not provider_terms:
        return ()
    for terms in fields:
        if SEEK_VERBS.isdisjoint(terms):
            continue
        for i, term in enumerate(terms):
            if term in SEEK_VERBS:
                for j in range(i + 1, min(len(terms), i + 2 + SEEK_GAP)):
                    if terms[j] in provider_terms:
                        return terms[i:j + 1]
    return ()
