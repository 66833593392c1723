"""Learning from the editor: what was kept, dropped and chosen moves the next draft.

Once an issue whose draft curation wrote is published, each link it offered is
*kept* (still in `links:`) or *dropped* (removed; a runner-up left in `more:`
is neither), and each link in the issue it did not offer, or that came from
`content/links/`, is *chosen*. From those decisions, per niche, trained in the
run from nothing but the niche's own record:

* a per-source prior: the Wilson lower bounds (95%) of the source's kept rate
  and dropped rate, their difference in -1..1, so two decisions do not swing it;
* a per-term model: naive Bayes over the stemmed words of title and summary,
  each word's log-likelihood ratio smoothed towards its overall rate, averaged
  over the entry's known words and TERM_PRIOR imagined words that say nothing (a
  sum would grow with the entry's length; one known word says less than six);

mixed into the score as exp(weight * (TERM_STRENGTH * (2p - 1) + SOURCE_STRENGTH
* prior)), where weight = n / (n + LEARNING_HALF) grows with the n decisions.
A dropped link is never offered to that niche again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

from ..model.issues import IssueFile
from .offers import Offered, Record
from .terms import Analyzer
from .tracking import clean_link, url_key

Z = 1.96                 # 95% for the Wilson bounds: 2 of 2 kept gives a lower bound of 0.34
LEARNING_HALF = 10.0     # decisions at which learning has half its say
TERM_STRENGTH = 1.0
SOURCE_STRENGTH = 1.0
SOURCE_KEPT = 0.5        # share of a positive source prior that raises scores (see source_effect)
SMOOTHING = 2.0          # pseudo-decisions pulling each word's rates towards its overall rate
TERM_EVIDENCE = 1.0      # a word's log ratio counts fully only once several decisions hold it: n / (n + this)
TERM_SCALE = 2.0         # p = sigmoid(TERM_SCALE * the mean log-likelihood ratio of the entry's known words)
TERM_PRIOR = 4.0         # ... a mean over them and this many imagined words at 0
SIMILAR_MIN = 0.3        # cosine of two links' word sets for them to count as similar in `why`
SIMILAR_MAX = 5


class Verdict(str, Enum):
    KEPT = "kept"
    DROPPED = "dropped"
    CHOSEN = "chosen"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    key: str
    title: str
    summary: str
    source: str
    date: dt.date

    @property
    def positive(self) -> bool:
        return self.verdict is not Verdict.DROPPED


def wilson_lower(k: int, n: int, z: float = Z) -> float:
    """The Wilson score interval's lower bound for k successes in n trials (0 when n is 0)."""
    if n <= 0:
        return 0.0
    p = k / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z * z / n))


def decisions(record: Record, issues: list[IssueFile]) -> list[Decision]:
    """Every decision the published issues show about the drafts in the record, oldest first."""
    out = []
    for issue in sorted(issues, key=lambda i: i.date):
        offered = record.drafts.get(issue.date.isoformat())
        if not issue.published or offered is None:
            continue
        by_key = {o.key: o for o in offered}
        published = set()
        for link in issue.links:
            key = url_key(clean_link(link.url) or link.url)  # as curation keyed it, were a tracker added since
            published.add(key)
            mine = by_key.get(key)
            verdict = Verdict.KEPT if mine is not None and not mine.hand_picked else Verdict.CHOSEN
            out.append(Decision(verdict, key, link.title, link.summary or (mine.summary if mine else "") or link.note,
                                link.source or (mine.source if mine else ""), issue.date))
        for o in offered:
            if o.key not in published and not o.hand_picked and not o.runner_up:
                out.append(Decision(Verdict.DROPPED, o.key, o.title, o.summary, o.source, issue.date))
    return out


@dataclass(frozen=True)
class Judgement:
    factor: float
    why: str = ""


@dataclass
class Learned:
    """A niche's model, trained from its decisions; `Learned()` knows nothing and changes nothing."""

    count: int = 0
    sources: dict[str, tuple[int, int]] = field(default_factory=dict)   # source -> (kept, decided)
    llr: dict[str, float] = field(default_factory=dict)
    dropped: frozenset[str] = frozenset()
    examples: tuple[tuple[frozenset[str], bool], ...] = ()
    stop: frozenset[str] = frozenset()    # the language's grammar words, left out of comparisons

    @property
    def weight(self) -> float:
        return self.count / (self.count + LEARNING_HALF)

    def source_prior(self, source: str) -> float:
        """In -1..1: the Wilson lower bound of the source's kept rate less that of its dropped rate."""
        kept, n = self.sources.get(source, (0, 0))
        return wilson_lower(kept, n) - wilson_lower(n - kept, n)

    def source_effect(self, source: str) -> float:
        """What the prior does to a score's exponent: a source the editor drops from weighs its full
        prior, one the editor keeps from is raised SOURCE_KEPT of it (keeping acceptable links from a
        general blog does not make its every post a pick)."""
        prior = self.source_prior(source)
        return SOURCE_STRENGTH * (prior if prior < 0 else SOURCE_KEPT * prior)

    def term_probability(self, terms: Iterable[str]) -> float:
        """P(kept) from the entry's distinct known terms (any iterable of its terms)."""
        known = [self.llr[t] for t in self.known.intersection(terms)]
        if not known:
            return 0.5
        z = TERM_SCALE * math.fsum(known) / (len(known) + TERM_PRIOR)  # fsum: the same whatever order a set gives
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    @cached_property
    def known(self) -> frozenset[str]:
        return frozenset(self.llr)

    def judge(self, terms: Iterable[str], source: str, *, explain: bool = False) -> Judgement:
        if not self.count:
            return Judgement(1.0)
        terms = frozenset(terms) if explain else terms
        p = self.term_probability(terms)
        factor = math.exp(self.weight * (TERM_STRENGTH * (2 * p - 1) + self.source_effect(source)))
        return Judgement(round(factor, 4), self._why(frozenset(terms), source) if explain else "")

    def _why(self, terms: frozenset[str], source: str) -> str:
        parts = []
        terms = frozenset(t for t in terms if t not in self.stop and not t.isdigit())
        kept, n = self.sources.get(source, (0, 0))
        if n:
            parts.append(f"you kept {kept} of {n} link{'s' if n != 1 else ''} from this source")
        ranked = sorted(((len(terms & words) / math.sqrt(len(terms) * len(words)), positive)
                         for words, positive in self.examples if terms and words), reverse=True)
        similar = [positive for value, positive in ranked[:SIMILAR_MAX] if value >= SIMILAR_MIN]
        if similar:
            parts.append(
                f"similar links were kept {sum(similar)} of {len(similar)} time{'s' if len(similar) != 1 else ''}"
            )
        return "; ".join(parts)


def learn(found: list[Decision], analyzer: Analyzer) -> Learned:
    """Train the niche's model from its decisions (nothing downloaded, nothing kept between runs)."""
    if not found:
        return Learned()
    sources: dict[str, list[int]] = {}
    pos_docs: Counter[str] = Counter()
    neg_docs: Counter[str] = Counter()
    examples = []
    positives = sum(d.positive for d in found)
    negatives = len(found) - positives
    stop = analyzer.stop_terms
    for d in found:
        tally = sources.setdefault(d.source, [0, 0])
        tally[0] += d.positive
        tally[1] += 1
        words = content_terms(analyzer, f"{d.title} {d.summary}", stop)
        (pos_docs if d.positive else neg_docs).update(words)
        examples.append((words, d.positive))
    llr = {}
    for term in pos_docs.keys() | neg_docs.keys():
        # Each class's rate with SMOOTHING pseudo-decisions at the term's overall rate, and the log ratio
        # shrunk by the decisions that hold the term: one dropped link does not condemn its every word.
        seen = pos_docs[term] + neg_docs[term]
        rate = seen / len(found)
        p = (pos_docs[term] + SMOOTHING * rate) / (positives + SMOOTHING)
        q = (neg_docs[term] + SMOOTHING * rate) / (negatives + SMOOTHING)
        llr[term] = math.log(p / q) * seen / (seen + TERM_EVIDENCE)
    return Learned(len(found), {s: (k, n) for s, (k, n) in sources.items()}, llr,
                   frozenset(d.key for d in found if d.verdict is Verdict.DROPPED), tuple(examples), stop)


def content_terms(analyzer: Analyzer, text: str, stop: frozenset[str] | None = None) -> frozenset[str]:
    """The words a decision says something about: its terms less grammar words and bare numbers."""
    stop = analyzer.stop_terms if stop is None else stop
    return frozenset(t for t in analyzer.terms(text) if t not in stop and not t.isdigit())


def offered_links(links, more) -> tuple[Offered, ...]:
    """What a draft offers, for the record: its links, then its runner-ups."""
    def one(cand, runner_up: bool) -> Offered:
        return Offered(url=cand.url, key=cand.key or url_key(cand.url), title=cand.title, summary=cand.summary,
                       source=cand.source, hand_picked=cand.hand_picked, runner_up=runner_up)

    return tuple(one(c, False) for c in links) + tuple(one(c, True) for c in more)
