"""Choosing one niche's links: relevance, junk, learning and stories make a draft's links and runner-ups.

Pure: the niche, its entries, hand-picks, issues and curation record in; the
draft's links (hand-picks first, then the best stories, at most `per_source`
from one source and `max_links` in all) and its runner-ups out, each with its
`why`. An entry's score is

    relevance (0..1) x source weight x (0.5 + recency) x junk x learning x audience

(audience: the source's focus, a first-hand title, keywords that are only the niche's name; see
`audience`), raised for each
further source carrying the same story. No I/O, no logging:
`curate` runs it per niche (maybe in a forked worker), and the relevance bench
runs it on its labelled corpus.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any, NamedTuple

from ..model.issues import IssueFile, sent_urls
from ..model.niches import FeedSource, Niche
from . import junk
from .audience import (
    FIRST_HAND,
    NAMED_ONLY,
    customer_side,
    first_hand,
    first_person,
    named_only,
    reader,
)
from .clean import TEXT, Entry
from .focus import Focus, source_focus
from .learning import Judgement, Learned, decisions, learn
from .offers import Record
from .relevance import (
    Document,
    Index,
    Match,
    Vocabulary,
    background,
    best_section,
    bm25f,
    document,
    excluded,
    term_counts,
    vocabulary,
)
from .score import UNDATED_DECAY, Candidate, _age_words, parse_date, reference_time
from .selection import link_key, title_key
from .stories import STORY_COMMON, Story, group
from .terms import Analyzer
from .terms import analyzer as analyzer_for
from .tracking import url_key

CONTEXT_WORDS_SHOWN = 4


@dataclass(frozen=True)
class Options:
    """The settings choosing reads, resolved for one niche."""

    half_life: float
    max_age: float
    runners_up: int
    hard_sell: tuple[str, ...]
    lang: str

    @classmethod
    def from_settings(cls, settings: dict[str, Any], niche: Niche) -> Options:
        return cls(float(settings["CURATE_HALF_LIFE_DAYS"]), float(settings["CURATE_MAX_AGE_DAYS"]),
                   int(settings["CURATE_RUNNERS_UP"]), tuple(settings["HARD_SELL_PHRASES"]),
                   niche_language(settings, niche))


def niche_language(settings: dict[str, Any], niche: Niche) -> str:
    """The language a niche's words are compared in: its `lang:`, else the site's DEFAULT_LANG."""
    return niche.lang or settings["DEFAULT_LANG"]


def pick_section(niche: Niche, title: str, note: str, lang: str) -> str:
    """The section a hand-picked link without one goes under: the one whose keywords its title and
    note hold most, read as feed entries are (stems, phrases), the title counting three times."""
    analyzer = analyzer_for(lang)
    vocab = vocabulary(niche, analyzer)
    return best_section(vocab, term_counts(vocab, document(analyzer, title, note)))


@dataclass
class Choice:
    links: list[Candidate]
    more: list[Candidate]
    seen: int = 0
    kept: int = 0          # stories left once filters, history and dropped links are applied


class _Detail(NamedTuple):
    """What an entry's score rests on, kept to explain the few links a draft shows (a NamedTuple: one is made
    for every entry seen, and a frozen dataclass takes five times as long to build)."""

    doc: Document
    match: Match
    has_keywords: bool
    signals: tuple[junk.Signal, ...] | None   # None: not judged, the entry could not make the draft
    judgement: Judgement
    date: dt.datetime | None
    age: float
    weight: float
    focus: Focus | None = None
    first_hand: str = ""     # the first-person term of the title ('we'), which raised the score
    named_only: tuple[str, ...] = ()   # its keywords, when all are the niche's own name, which lowered it


@dataclass
class _Run:
    niche: Niche
    analyzer: Analyzer
    learned: Learned
    options: Options
    details: dict[int, _Detail] = field(default_factory=dict)
    sent: dict[int, Document] = field(default_factory=dict)   # by (negative) order: links issues carried
    vocab: Vocabulary | None = None
    background: Counter = field(default_factory=Counter)
    entries: int = 0                                            # how many entries `background` counts
    focus: dict[str, Focus] = field(default_factory=dict)


def context_texts(niche: Niche, issues: list[IssueFile], date: dt.date) -> list[str]:
    """The niche's own words: its hub text and what its published issues said."""
    texts = [niche.body]
    for issue in issues:
        if issue.published and issue.date < date:
            texts.append(f"{issue.subject} {issue.intro}")
            texts.extend(f"{link.title} {link.summary} {link.note}" for link in issue.links)
    return texts


def choose(niche: Niche, tagged: list[tuple[FeedSource, Entry]], picks: list[Candidate], issues: list[IssueFile],
           record: Record, date: dt.date, options: Options) -> Choice:
    """The draft's links and runner-ups for `date`."""
    analyzer = analyzer_for(options.lang)
    run = _Run(niche, analyzer, learn(decisions(record, issues), analyzer), options)
    earlier = [i for i in issues if i.date != date]
    history = sent_urls(earlier)
    context = context_texts(niche, issues, date)
    sent = {url_key(u) for u in history}
    blocked = sent | run.learned.dropped
    carried = _carried(run, earlier, date)
    top = 2 * (niche.max_links + options.runners_up + len(picks)) + 5
    while True:  # only the best candidates are judged in full: enough of them to fill the draft
        run.details.clear()
        candidates = _score_all(run, tagged, context, date, top)
        judged = [c for c in candidates if run.details[c.order].signals is not None]
        stories = group(candidates + carried, lambda c: _shingles(run, c), blocked, min(top, len(judged)),
                        lambda c: _rare(run, c), lambda c: _terms(run, c), lambda c: _words(run, c),
                        run.background.__getitem__, run.entries)
        links, more = _select(picks, stories, sent, niche, options.runners_up,
                              lambda c: run.details[c.order].signals is not None)
        if (len(links) >= niche.max_links and len(more) >= options.runners_up) or top >= len(candidates):
            break
        top *= 4
    explained = [c if isinstance(c, Candidate) else _explain(run, c) for c in links]
    return Choice(explained, [_explain(run, s) for s in more], len(tagged), len(stories))


def _carried(run: _Run, issues: list[IssueFile], date: dt.date) -> list[Candidate]:
    """The links of the issues of the last CURATE_MAX_AGE_DAYS as candidates already sent: grouped with the
    entries, they take out a story an issue carried under another title or URL (an older story's copies
    are too old to be in the running)."""
    since = date - dt.timedelta(days=run.options.max_age)
    out = []
    for issue in issues:
        if issue.date < since:
            continue
        for link in issue.links:
            order = -1 - len(run.sent)
            run.sent[order] = document(run.analyzer, link.title, link.summary)
            out.append(Candidate(url=link.url, title=link.title, summary=link.summary, guid="", date=None,
                                 source=link.source, score=0.0, section="", why="", order=order, key=url_key(link.url)))
    return out


def _doc(run: _Run, cand: Candidate) -> Document:
    """A candidate's terms: an entry's, or (negative order) a link an issue carried."""
    detail = run.details.get(cand.order)
    return detail.doc if detail is not None else run.sent[cand.order]


class _Entry(NamedTuple):
    """An entry still in the running: not excluded, not too old (a NamedTuple, as _Detail)."""

    order: int
    feed: FeedSource
    entry: Entry
    date: dt.datetime | None   # None when undated or dated in the future
    future: bool
    age: float
    doc: Document


def _score_all(run: _Run, tagged: list[tuple[FeedSource, Entry]], context: list[str], date: dt.date,
               keep: int) -> list[Candidate]:
    reference = reference_time([parse_date(e.get("date")) for _, e in tagged], date)
    kept = _in_the_running(run, tagged, reference)
    run.background = background([k.doc for k in kept])
    run.entries = len(kept)
    vocab = run.vocab = vocabulary(run.niche, run.analyzer, context, run.background)
    found_all = [term_counts(vocab, k.doc) for k in kept]
    index = Index.build(found_all, [k.doc for k in kept], vocab)
    matches = [bm25f(vocab, index, k.doc, found) for k, found in zip(kept, found_all, strict=False)]
    by_source: dict[str, list[float]] = {}
    for k, match in zip(kept, matches, strict=False):
        by_source.setdefault(k.feed.name, []).append(match.relevance if match.eligible else 0.0)
    run.focus = source_focus(by_source) if vocab.has_keywords else {}
    scored = []
    mine, who = first_person(run.analyzer), reader(run.niche, run.analyzer)
    terms, is_context = vocab.terms, vocab.context
    for k, match in zip(kept, matches, strict=False):
        if vocab.has_keywords and not match.eligible:
            continue
        told = first_hand(k.doc.title, mine)
        named = named_only(((terms[i].label, terms[i].tokens) for _, i, _ in match.gains if not is_context[i]), who)
        judgement = run.learned.judge(chain(k.doc.title, k.doc.summary), k.feed.name)
        decay = UNDATED_DECAY if k.date is None else 0.5 ** (k.age / run.options.half_life)
        focus = run.focus[k.feed.name].factor if run.focus else 1.0
        base = (match.relevance if vocab.has_keywords else 1.0) * k.feed.weight * (0.5 + decay) * judgement.factor
        audience = (FIRST_HAND if told else 1.0) * (NAMED_ONLY if named else 1.0)
        scored.append((base * focus * audience, k, match, judgement, told, named))
    return _judge_best(run, scored, reference, keep)


def _in_the_running(run: _Run, tagged: list[tuple[FeedSource, Entry]], reference: dt.datetime) -> list[_Entry]:
    """The entries not excluded by the niche's words nor too old, with their terms."""
    kept = []
    for order, (feed, entry) in enumerate(tagged):
        title, summary = entry["title"], entry.get("summary", "")
        if excluded(run.niche, title, summary):
            continue
        when = parse_date(entry.get("date"))
        future = when is not None and when > reference + dt.timedelta(days=1)
        age = max(0.0, (reference - when).total_seconds() / 86400) if when is not None and not future else 0.0
        if age > run.options.max_age:
            continue
        kept.append(_Entry(order, feed, entry, None if future else when, future, age,
                           document(run.analyzer, title, summary, entry.get("terms"))))
    return kept


def _judge_best(run: _Run, scored: list, reference: dt.datetime, keep: int) -> list[Candidate]:
    """Junk signals only lower a score, so they are looked for best first, until `keep` entries are known
    to outscore every entry left: those stay in (to be found as copies of a story), unjudged, at 0."""
    scored.sort(key=lambda s: (-s[0], s[1].order))
    best: list[float] = []
    out = []
    niche, options, who = run.niche, run.options, reader(run.niche, run.analyzer)
    for base, k, match, judgement, told, named in scored:
        entry = k.entry
        judged = len(best) < keep or best[0] < base
        signals = None
        if judged:
            customer = customer_side(((entry["title"], k.doc.title), (entry.get("summary", ""), k.doc.summary)), who,
                                     run.analyzer)
            signals = junk.signals(entry["title"], entry.get("summary", ""), k.date if not k.future else
                                   parse_date(entry.get("date")), reference, k.doc.tokens, run.analyzer,
                                   options.hard_sell, niche.exclude, match.title_keywords, match.title_share,
                                   entry["url"], customer.lower(), entry.get("title_type") == TEXT)
            (heapq.heappush if len(best) < keep else heapq.heappushpop)(best, base * junk.factor(signals))
        score = base * junk.factor(signals) if judged and signals is not None else 0.0
        assert run.vocab is not None
        run.details[k.order] = _Detail(k.doc, match, run.vocab.has_keywords, signals, judgement, k.date, k.age,
                                       k.feed.weight, run.focus.get(k.feed.name), told, named)
        out.append(Candidate(url=entry["url"], title=entry["title"], summary=entry.get("summary", ""),
                             guid=entry.get("guid", ""), date=k.date, source=k.feed.name,
                             score=round(score, 4), section="", why="", order=k.order, key=entry.get("key", "")))
    return out


def _rare(run: _Run, cand: Candidate) -> frozenset[str]:
    """The entry's terms that few entries carry: a copy of a story shares some of them."""
    return frozenset(t for t in _doc(run, cand).tokens if run.background[t] <= STORY_COMMON)


def _terms(run: _Run, cand: Candidate):
    """The entry's terms, title then summary (an iterable, not a set: most entries need no set)."""
    doc = _doc(run, cand)
    return chain(doc.title, doc.summary)


def _words(run: _Run, cand: Candidate) -> frozenset[str]:
    """The entry's distinct terms but the language's function words: what tells its story."""
    return _doc(run, cand).tokens - run.analyzer.stop_terms


def _shingles(run: _Run, cand: Candidate) -> frozenset:
    return _doc(run, cand).shingles


def _select(picks: list[Candidate], stories: list[Story], sent: set[str], niche: Niche,
            runners_up: int, judged=lambda c: True) -> tuple[list, list[Story]]:
    """Hand-picks not yet sent (in the editor's order), then the best stories, each led by its best copy
    from a source with room; then the runner-ups, the next best stories (at most per_source from one source)."""
    chosen: list = []
    taken: set[str] = set()
    for pick in picks:
        key = link_key(pick)
        if key in sent or key in taken:
            continue
        if len(chosen) >= niche.max_links:
            break
        chosen.append(pick)
        taken.add(key)
    titles = {title_key(c.title) for c in chosen}
    per: Counter[str] = Counter()
    more_per: Counter[str] = Counter()
    more: list[Story] = []
    for story in stories:
        if len(chosen) >= niche.max_links and len(more) >= runners_up:
            break
        members = story.members
        if any(link_key(c) in taken or title_key(c.title) in titles for c in members):
            continue
        room = next((c for c in members if per[c.source] < niche.per_source and judged(c)), None)
        if len(chosen) < niche.max_links and room is not None:
            story = _led_by(story, room)
            chosen.append(story)
            per[room.source] += 1
        elif len(more) < runners_up and more_per[story.lead.source] < niche.per_source:
            more.append(story)
            more_per[story.lead.source] += 1
        else:
            continue
        taken.update(link_key(c) for c in members)
    return chosen, more


def _led_by(story: Story, lead: Candidate) -> Story:
    if lead is story.lead:
        return story
    rest = tuple(c for c in story.members if c is not lead)
    return Story(replace(lead, score=story.lead.score), rest)


def _explain(run: _Run, story: Story) -> Candidate:
    """The story's lead with its section and its `why`: one sentence, clauses joined by semicolons."""
    lead = story.lead
    d = run.details[lead.order]
    m = d.match
    parts = ["" if d.has_keywords else "the niche has no keywords"]
    if d.has_keywords:
        in_title, in_summary, context = m.in_title, m.in_summary, m.context   # each worked out on every read
        if in_title:
            parts.append(f"matches {', '.join(map(repr, in_title))} in the title")
        if in_summary:
            parts.append(f"matches {', '.join(map(repr, in_summary))} in the summary")
        if context:
            words = run.analyzer.surface(f"{lead.title} {lead.summary}")
            shown: list[str] = []
            covered: set[str] = set()
            for label in context:  # strongest first; a word already inside a shown phrase is not repeated
                if len(shown) == CONTEXT_WORDS_SHOWN or set(label.split()) <= covered:
                    continue
                covered.update(label.split())
                shown.append(" ".join(words.get(t, t) for t in label.split()).lower())
            parts.append(f"close to the niche's own words ({', '.join(map(repr, shown))})")
    parts.append(_age_words(d.date, d.age) if d.date is not None else "undated")
    parts.append(f"source weight {d.weight:g} ({lead.source})")
    parts.append(d.focus.why if d.focus is not None else "")
    if d.first_hand:
        word = run.analyzer.surface(lead.title).get(d.first_hand, d.first_hand)
        parts.append(f"told first-hand ({word!r} in the title) (+{round((FIRST_HAND - 1) * 100)}%)")
    if d.named_only:
        parts.append(f"mentions only the niche's own name ({', '.join(map(repr, d.named_only))}) "
                     f"(-{round((1 - NAMED_ONLY) * 100)}%)")
    if story.other_sources:
        parts.append(f"also in: {', '.join(story.other_sources)}")
    judgement = run.learned.judge(d.doc.tokens, lead.source, explain=True)
    parts.append(judgement.why)
    parts.append(junk.explain(d.signals or ()))
    section = best_section(run.vocab, term_counts(run.vocab, d.doc)) if run.vocab is not None else ""
    return replace(lead, section=section, why="; ".join(p for p in parts if p))
