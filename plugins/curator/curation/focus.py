"""How much of a source is about the niche: a source mostly about other things counts less.

A source most of whose entries are not about the niche (the local paper, a general blog)
mentions the niche's words in passing: its entries' scores are lowered by how far its share of
entries about the niche falls below the share over all the niche's sources, down to FOCUS_FLOOR
for a source none of whose entries is about the niche. An entry counts as about the niche in
proportion to its relevance (0..1), fully from FOCUS_FULL; FOCUS_PRIOR imagined average entries
keep two or three entries from condemning a source, and a run with fewer than FOCUS_MIN_ENTRIES
entries in all judges no source.
"""

from __future__ import annotations

from dataclasses import dataclass

FOCUS_FULL = 0.5      # an entry at least this relevant (0..1) counts as wholly about the niche
FOCUS_FLOOR = 0.4     # what is left of a score from a source none of whose entries is about the niche
FOCUS_PRIOR = 2.0     # imagined average entries: a source is judged on more than two or three entries
FOCUS_MIN_ENTRIES = 12  # fewer entries in all than this say nothing about any source
FOCUS_SHOWN = 0.9     # below this factor, `why` names the source's focus


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
