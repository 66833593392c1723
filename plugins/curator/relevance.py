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
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from .niches import Niche
from .score import matches
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
    by_token: dict[str, tuple[int, ...]]          # first token -> the terms starting with it
    first_tokens: frozenset[str]
    sections: tuple[tuple[str, frozenset[int]], ...]
    has_keywords: bool


@dataclass(frozen=True)
class Document:
    """An entry's two fields as index terms, with their counts."""

    title: tuple[str, ...]
    summary: tuple[str, ...]
    title_counts: Counter = field(compare=False)
    summary_counts: Counter = field(compare=False)
    tokens: frozenset[str] = field(compare=False, default=frozenset())

    @cached_property
    def shingles(self) -> frozenset:
        """Its 2-term shingles (title and summary), for finding the same story elsewhere."""
        return shingles(self.title + self.summary)


@dataclass(frozen=True)
class Match:
    """How an entry meets the vocabulary: `raw` BM25F score, `relevance` in 0..1, what matched where."""

    raw: float
    relevance: float
    in_title: tuple[str, ...]      # keyword and section labels found in the title
    in_summary: tuple[str, ...]    # ... found only in the summary
    context: tuple[str, ...]       # context words found (either field)
    title_share: float = 0.0       # share of the title's terms that are keywords (stuffing shows here)

    @property
    def eligible(self) -> bool:
        """A candidate at all: a keyword (or section keyword) found, or enough of the niche's own words."""
        return bool(self.in_title or self.in_summary) or self.raw >= MIN_CONTEXT_RAW


def _phrase_tokens(analyzer: Analyzer, phrase: str) -> tuple[str, ...]:
    return analyzer.terms(phrase)


def vocabulary(niche: Niche, analyzer: Analyzer, context_texts: list[str] = (),
               background: Counter | None = None) -> Vocabulary:
    """The niche's terms: keywords, then section keywords, then context words (a word is kept once,
    at its strongest kind). `background` counts the terms of the entries seen: a context word weighs
    by how much more often the niche's own text uses it (its lift, up to CONTEXT_LIFT)."""
    terms: list[Term] = []
    seen: dict[tuple[str, ...], int] = {}
    section_sets: list[tuple[str, set[int]]] = []

    def add(label: str, kind: str, weight: float) -> int | None:
        tokens = _phrase_tokens(analyzer, label)
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
    by_token: dict[str, list[int]] = {}
    for index, term in enumerate(terms):
        by_token.setdefault(term.tokens[0], []).append(index)
    return Vocabulary(tuple(terms), {k: tuple(v) for k, v in by_token.items()}, frozenset(by_token),
                      tuple((name, frozenset(m)) for name, m in section_sets), bool(niche.keywords))


def _context(analyzer: Analyzer, texts: list[str]) -> tuple[Counter, set[tuple[str, str]]]:
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


def document(analyzer: Analyzer, title: str, summary: str) -> Document:
    return _document(analyzer, title, summary)


@lru_cache(maxsize=16384)
def _document(analyzer: Analyzer, title: str, summary: str) -> Document:
    t, s = analyzer.terms(title), analyzer.terms(summary)
    return Document(t, s, Counter(t), Counter(s), frozenset(t) | frozenset(s))


def background(docs: list[Document]) -> Counter:
    """How often each term occurs in the entries seen (what context words are compared with)."""
    counts: Counter = Counter()
    for doc in docs:
        counts.update(doc.title)
        counts.update(doc.summary)
    return counts


def _count(tokens: tuple[str, ...], counts: Counter, phrase: tuple[str, ...]) -> int:
    """How often the phrase occurs in the field (a single term: its count)."""
    if len(phrase) == 1:
        return counts.get(phrase[0], 0)
    if any(p not in counts for p in phrase):
        return 0
    n, size = 0, len(phrase)
    for i in range(len(tokens) - size + 1):
        if tokens[i] == phrase[0] and tokens[i:i + size] == phrase:
            n += 1
    return n


def term_counts(vocab: Vocabulary, doc: Document) -> dict[int, tuple[int, int]]:
    """Each vocabulary term the document holds: (count in title, count in summary)."""
    found: dict[int, tuple[int, int]] = {}
    tc, sc = doc.title_counts, doc.summary_counts
    for token in doc.tokens & vocab.first_tokens:
        for index in vocab.by_token[token]:
            phrase = vocab.terms[index].tokens
            if len(phrase) == 1:
                found[index] = (tc.get(token, 0), sc.get(token, 0))
                continue
            counts = (_count(doc.title, tc, phrase), _count(doc.summary, sc, phrase))
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
    def build(cls, found: list[dict[int, tuple[int, int]]], docs: list[Document], vocab: Vocabulary) -> "Index":
        df: Counter = Counter()
        for terms in found:
            df.update(terms.keys())
        n = max(1, len(docs))
        index = cls(len(docs), df, sum(len(d.title) for d in docs) / n or 1.0, sum(len(d.summary) for d in docs) / n or 1.0)
        index.scale = {i: vocab.terms[i].weight * index.idf(i, vocab.terms[i].kind) for i in df}
        return index

    def idf(self, index: int, kind: str) -> float:
        n, df = self.docs, self.df.get(index, 0)
        if kind == CONTEXT:  # Robertson-Sparck Jones, floored: a word most entries carry says nothing
            return max(0.0, math.log((n - df + 0.5) / (df + 0.5)))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


def bm25f(vocab: Vocabulary, index: Index, doc: Document, found: dict[int, tuple[int, int]]) -> Match:
    """The entry's relevance and what it rests on."""
    norm_t = (1 - TITLE_B) + TITLE_B * len(doc.title) / index.avg_title
    norm_s = (1 - SUMMARY_B) + SUMMARY_B * len(doc.summary) / index.avg_summary
    raw, covered = 0.0, 0
    in_title, in_summary, context = [], [], []
    for i, (tf_t, tf_s) in sorted(found.items()):
        term = vocab.terms[i]
        if term.kind != CONTEXT:
            covered += len(term.tokens) * tf_t
        tf = TITLE_WEIGHT * tf_t / norm_t + SUMMARY_WEIGHT * tf_s / norm_s
        gain = index.scale[i] * tf / (K1 + tf)
        if gain <= 0:
            continue
        raw += gain
        if term.kind == CONTEXT:
            context.append((gain, term.label))
        elif tf_t:
            in_title.append(term.label)
        else:
            in_summary.append(term.label)
    words = tuple(label for _, label in sorted(context, key=lambda g: -g[0]))
    return Match(raw, raw / (raw + RELEVANCE_HALF), tuple(in_title), tuple(in_summary), words,
                 covered / len(doc.title) if doc.title else 0.0)


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
    return bool(niche.exclude) and bool(matches(niche.exclude, f"{title} {summary}"))
