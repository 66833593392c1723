"""Relevance: how much an entry is about the niche, read the way a person reads it (BM25F).

The niche's vocabulary is its keywords, its sections' keywords and, weighted
lower, the words of its hub text and of its published issues. Every entry is
scored against it with BM25F: the title and the summary are fields with their
own weight and length normalisation, a term's count saturates (the tenth
'dental' adds almost nothing), and a term is worth its inverse document
frequency over the entries seen for the niche this run, so a word every entry
carries says little. Keywords of several words count only as a phrase. The
score is then squashed to 0..1 (`RELEVANCE_HALF` is where it reaches 0.5), so
an entry stuffed with every keyword is not worth much more than one that is
plainly about two of them: the other signals decide between on-topic entries.
Exclusion words stay a hard filter, matched as before (`score.matches`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import chain
from typing import Any, NamedTuple

from ..model.niches import Niche
from .score import matches, may_match
from .stories import shingles
from .terms import Analyzer

# Field weights and length normalisation (b), term saturation (k1): BM25F's usual ranges; the title,
# a dozen words chosen by the author, says more per word than the summary.
TITLE_WEIGHT, SUMMARY_WEIGHT = 3.0, 1.0
TITLE_B, SUMMARY_B = 0.5, 0.75
K1 = 1.2
# How much each kind of vocabulary term counts: the editor's keywords, section keywords, and the words
# of the hub text and published issues (context), which are many and less deliberate.
# Context: the hub text's and published issues' words that are not grammar (stop words), and their
# two-word phrases ('front desk', 'office managers'), which say more than either word.
KEYWORD, SECTION, CONTEXT = "keyword", "section", "context"
TERM_WEIGHTS = {KEYWORD: 1.0, SECTION: 0.6, CONTEXT: 0.3}
CONTEXT_PHRASE_WEIGHT = 0.6
CONTEXT_MIN_CHARS = 3      # shorter words are mostly grammar the stop-word list missed ('st', 'll')
CONTEXT_LIFT = 4.0         # a context word counts fully when it is this many times more frequent in the
                           # niche's own text than in the entries seen, less below, nothing at or under 1
RELEVANCE_HALF = 2.5       # the raw score at which relevance is 0.5 (about one keyword in a title)
MIN_CONTEXT_RAW = 0.9      # an entry matching no keyword needs this much from the niche's own words


@dataclass(frozen=True)
class Term:
    """One vocabulary item: `label` as the editor wrote it, `tokens` its index terms (several = a phrase)."""

    label: str
    tokens: tuple[str, ...]
    kind: str
    weight: float


@dataclass(frozen=True)
class Vocabulary:
    terms: tuple[Term, ...]
    singles: dict[str, int]                        # a one-term entry's term -> its index
    heads: dict[str, tuple[tuple[int, tuple[str, ...], frozenset[str]], ...]]  # a phrase's first term ->
                                                   # (index, its terms, the others as a set) per phrase
    sections: tuple[tuple[str, frozenset[int]], ...]
    has_keywords: bool
    context: tuple[bool, ...] = ()                 # by index: a context word (else a keyword)
    sizes: tuple[int, ...] = ()                    # by index: how many terms it has

    @cached_property
    def single_terms(self) -> frozenset[str]:
        return frozenset(self.singles)

    @cached_property
    def head_terms(self) -> frozenset[str]:
        return frozenset(self.heads)


class Document:
    """An entry's two fields as index terms. A small slotted class, not a frozen dataclass with
    cached_property: one is made (and its set of terms read) for every entry seen, and in Python 3.11
    cached_property takes a lock on first access."""

    __slots__ = ("title", "summary", "_tokens", "_shingles")

    def __init__(self, title: tuple[str, ...], summary: tuple[str, ...]):
        self.title, self.summary = title, summary
        self._tokens: frozenset[str] | None = None
        self._shingles: frozenset | None = None

    def __repr__(self) -> str:
        return f"Document(title={self.title!r}, summary={self.summary!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Document) and (self.title, self.summary) == (other.title, other.summary)

    def __hash__(self) -> int:
        return hash((self.title, self.summary))

    @property
    def tokens(self) -> frozenset[str]:
        """The set of its terms (no per-term counts: the few vocabulary terms an entry holds are
        counted where found, tuple.count in C, instead of counting its every term)."""
        if self._tokens is None:
            self._tokens = frozenset(self.title).union(self.summary)
        return self._tokens

    @property
    def shingles(self) -> frozenset:
        """Its 2-term shingles (title and summary), for finding the same story elsewhere."""
        if self._shingles is None:
            self._shingles = shingles(self.title + self.summary)
        return self._shingles


class Match(NamedTuple):
    """How an entry meets the vocabulary: `raw` BM25F score, `relevance` in 0..1, how many keywords
    (and section keywords) it holds and how many in its title; the labels, for `why`, on demand.
    A NamedTuple: one is made for every entry seen, and a frozen dataclass takes five times as long."""

    raw: float
    relevance: float
    keywords: int = 0
    title_keywords: int = 0
    title_share: float = 0.0       # share of the title's terms that are keywords (stuffing shows here)
    gains: tuple[tuple[float, int, bool], ...] = ()   # (gain, term, in title)
    vocab: Vocabulary | None = None

    @property
    def eligible(self) -> bool:
        """A candidate at all: a keyword (or section keyword) found, or enough of the niche's own words."""
        return self.keywords > 0 or self.raw >= MIN_CONTEXT_RAW

    def _labels(self, context: bool, title: bool | None) -> tuple[str, ...]:
        if not self.gains:
            return ()
        assert self.vocab is not None
        terms, kinds = self.vocab.terms, self.vocab.context
        return tuple(terms[i].label for _, i, in_title in self.gains
                     if kinds[i] == context and (title is None or in_title == title))

    @property
    def in_title(self) -> tuple[str, ...]:
        """Keyword and section labels found in the title, in the vocabulary's order."""
        return self._labels(False, True)

    @property
    def in_summary(self) -> tuple[str, ...]:
        """... found only in the summary."""
        return self._labels(False, False)

    @property
    def context(self) -> tuple[str, ...]:
        """The niche's own words found (either field), strongest first."""
        if not self.gains:
            return ()
        ranked = sorted(self.gains, key=lambda g: -g[0])
        vocab = self.vocab
        assert vocab is not None
        return tuple(vocab.terms[i].label for _, i, _ in ranked if vocab.context[i])


NO_MATCH = Match(0.0, 0.0)   # an entry holding no vocabulary term


def vocabulary(niche: Niche, analyzer: Analyzer, context_texts: Sequence[str] = (),
               background: Counter | None = None) -> Vocabulary:
    """The niche's terms: keywords, then section keywords, then context words (a word is kept once,
    at its strongest kind). `background` counts the terms of the entries seen: a context word weighs
    by how much more often the niche's own text uses it (its lift, up to CONTEXT_LIFT)."""
    terms: list[Term] = []
    seen: dict[tuple[str, ...], int] = {}
    section_sets: list[tuple[str, set[int]]] = []

    def add(label: str, kind: str, weight: float) -> int | None:
        tokens = analyzer.terms(label)
        if not tokens:
            return None
        if tokens in seen:
            return seen[tokens]
        seen[tokens] = len(terms)
        terms.append(Term(label, tokens, kind, weight))
        return seen[tokens]

    for word in niche.keywords:
        add(word, KEYWORD, TERM_WEIGHTS[KEYWORD])
    for section in niche.sections:
        members = {i for i in (add(w, SECTION, TERM_WEIGHTS[SECTION]) for w in section.keywords) if i is not None}
        section_sets.append((section.name, members))
    counts, phrases = _context(analyzer, context_texts)
    total = sum(counts.values()) or 1
    bg = background or Counter()
    bg_total = sum(bg.values()) + len(bg) + 1

    def lifted(token: str) -> float:
        lift = (counts[token] / total) / ((bg.get(token, 0) + 1) / bg_total)
        return min(1.0, math.log(lift) / math.log(CONTEXT_LIFT)) if lift > 1 else 0.0

    for phrase in sorted(phrases):
        weight = CONTEXT_PHRASE_WEIGHT * max(lifted(phrase[0]), lifted(phrase[1]))
        if weight > 0 and phrase not in seen:
            seen[phrase] = len(terms)
            terms.append(Term(" ".join(phrase), phrase, CONTEXT, weight))
    for token in sorted(counts):
        weight = TERM_WEIGHTS[CONTEXT] * lifted(token)
        if weight > 0:
            add(token, CONTEXT, weight)
    singles: dict[str, int] = {}
    heads: dict[str, list] = {}
    for index, term in enumerate(terms):
        if len(term.tokens) == 1:
            singles[term.tokens[0]] = index
        else:
            heads.setdefault(term.tokens[0], []).append((index, term.tokens, frozenset(term.tokens[1:])))
    return Vocabulary(tuple(terms), singles, {k: tuple(v) for k, v in heads.items()},
                      tuple((name, frozenset(m)) for name, m in section_sets), bool(niche.keywords),
                      tuple(t.kind == CONTEXT for t in terms), tuple(len(t.tokens) for t in terms))


def _context(analyzer: Analyzer, texts: Sequence[str]) -> tuple[Counter, set[tuple[str, str]]]:
    """The content terms of the niche's own texts, counted, and their two-term phrases."""
    stop = analyzer.stop_terms
    counts: Counter = Counter()
    phrases: set[tuple[str, str]] = set()
    for text in texts:
        previous = None
        for t in analyzer.terms(text):
            if t in stop or (len(t) < CONTEXT_MIN_CHARS and t.isascii()):
                previous = None
                continue
            counts[t] += 1
            if previous is not None:
                phrases.add((previous, t))
            previous = t
    return counts, phrases


def document(analyzer: Analyzer, title: str, summary: str, stored: Any = None) -> Document:
    """The entry as terms: read from `stored` (the feed cache's "terms", worked out when the feed was
    cleaned) when it holds this language's, else worked out now."""
    pair = stored.get(analyzer.key) if isinstance(stored, dict) else None
    if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) and isinstance(pair[1], str):
        return _stored_document(pair[0], pair[1])
    return _document(analyzer, title, summary)


@lru_cache(maxsize=16384)
def _stored_document(title: str, summary: str) -> Document:
    return Document(tuple(title.split()), tuple(summary.split()))


@lru_cache(maxsize=16384)
def _document(analyzer: Analyzer, title: str, summary: str) -> Document:
    return Document(analyzer.terms(title), analyzer.terms(summary))


def background(docs: list[Document]) -> Counter:
    """How often each term occurs in the entries seen (what context words are compared with)."""
    return Counter(chain.from_iterable(chain(d.title, d.summary) for d in docs))  # one C loop over every term


def _count(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> int:
    """How often the phrase occurs in the field (the caller knows every word of it is in the entry)."""
    first, size, n, i = phrase[0], len(phrase), 0, -1
    while True:
        try:
            i = tokens.index(first, i + 1)
        except ValueError:
            return n
        if tokens[i:i + size] == phrase:
            n += 1


def term_counts(vocab: Vocabulary, doc: Document) -> dict[int, tuple[int, int]]:
    """Each vocabulary term the document holds: (count in title, count in summary)."""
    title, summary, tokens = doc.title, doc.summary, doc.tokens
    singles = vocab.singles
    found = {singles[t]: (title.count(t), summary.count(t)) for t in vocab.single_terms.intersection(tokens)}
    for token in vocab.head_terms.intersection(tokens):
        for index, phrase, rest in vocab.heads[token]:
            if rest <= tokens:
                counts = (_count(title, phrase) if token in title else 0,
                          _count(summary, phrase) if token in summary else 0)
                if counts != (0, 0):
                    found[index] = counts
    return found


@dataclass
class Index:
    """What BM25F needs from all the entries seen for a niche: their count, document frequencies,
    average field lengths."""

    docs: int
    df: Counter
    avg_title: float
    avg_summary: float
    scale: dict[int, float] = field(default_factory=dict)   # term -> its weight x its idf

    @classmethod
    def build(cls, found: list[dict[int, tuple[int, int]]], docs: list[Document], vocab: Vocabulary) -> Index:
        df = Counter(chain.from_iterable(found))  # one C loop over every entry's terms
        n = max(1, len(docs))
        index = cls(
            len(docs), df, sum(len(d.title) for d in docs) / n or 1.0, sum(len(d.summary) for d in docs) / n or 1.0
        )
        index.scale = {i: vocab.terms[i].weight * index.idf(i, vocab.terms[i].kind) for i in df}
        return index

    def idf(self, index: int, kind: str) -> float:
        n, df = self.docs, self.df.get(index, 0)
        if kind == CONTEXT:  # Robertson-Sparck Jones, floored: a word most entries carry says nothing
            return max(0.0, math.log((n - df + 0.5) / (df + 0.5)))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


def bm25f(vocab: Vocabulary, index: Index, doc: Document, found: dict[int, tuple[int, int]]) -> Match:
    """The entry's relevance and what it rests on (terms summed in index order: the same sum every run)."""
    if not found:
        return NO_MATCH
    title_norm = TITLE_WEIGHT / ((1 - TITLE_B) + TITLE_B * len(doc.title) / index.avg_title)
    summary_norm = SUMMARY_WEIGHT / ((1 - SUMMARY_B) + SUMMARY_B * len(doc.summary) / index.avg_summary)
    scale, context, sizes = index.scale, vocab.context, vocab.sizes
    raw, covered, keywords, in_title = 0.0, 0, 0, 0
    gains = []
    for i in sorted(found):
        tf_t, tf_s = found[i]
        tf = title_norm * tf_t + summary_norm * tf_s
        gain = scale[i] * tf / (K1 + tf)
        if not context[i]:
            covered += sizes[i] * tf_t
        if gain <= 0:
            continue
        raw += gain
        gains.append((gain, i, tf_t > 0))
        if not context[i]:
            keywords += 1
            in_title += tf_t > 0
    return Match(raw, raw / (raw + RELEVANCE_HALF), keywords, in_title,
                 covered / len(doc.title) if doc.title else 0.0, tuple(gains), vocab)


def best_section(vocab: Vocabulary, found: dict[int, tuple[int, int]]) -> str:
    """The section whose keywords the entry holds most (title counting three times); the first wins a tie."""
    best, best_value = "", 0.0
    for name, members in vocab.sections:
        value = sum(TITLE_WEIGHT * min(1, t) + SUMMARY_WEIGHT * min(1, s)
                    for i, (t, s) in found.items() if i in members)
        if value > best_value:
            best, best_value = name, value
    return best


def excluded(niche: Niche, title: str, summary: str) -> bool:
    """A hard filter: the niche's exclusion words, matched as whole words (a plural allowed)."""
    if not niche.exclude:
        return False
    text = f"{title} {summary}"
    return may_match(niche.exclude, text) and bool(matches(niche.exclude, text))
