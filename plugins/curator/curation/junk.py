"""Signals of junk, said out loud: each lowers an entry's score by a fixed share and names itself in `why`.

An editor throws out a link for reasons that have nothing to do with its
topic: a title with leftover template or markup, one that shouts, one that
sells, one about the site's own products or awards, one that reports what
happened to someone else (a local clinic's open day), one stuffed with
keywords, one that talks to a machine instead of a reader, a date that has
not happened yet, a summary too thin to say what the link gives. Each signal
found multiplies the score by (1 - its share); the shares are below.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from .phrases import phrase_regex
from .terms import Analyzer

# The share of the score each signal takes away (a score found with two of them keeps (1-a)(1-b)).
PENALTIES = {
    "debris": 0.5,        # control characters, markup or template placeholders left in the title
    "future": 0.3,        # dated more than a day after the run: the date is not trusted either
    "shouting": 0.3,      # an all-caps title, or one with two or more exclamation marks
    "selling": 0.5,       # a hard-sell phrase, or a form of one of the niche's exclusion words
    "injection": 0.8,     # instructions addressed to an AI or to whoever compiles the newsletter
    "thin": 0.3,          # a summary under SHORT_SUMMARY_WORDS words: it does not say what the link gives
    "stuffed": 0.6,       # a title made of keywords: at least STUFFED_KEYWORDS, STUFFED_SHARE of its words;
                          # or STUFFED_ALWAYS keywords, whatever their share
    "self": 0.5,          # the title names the link's own site (launches, awards, customer stories)
    "promotion": 0.7,     # an invitation to the source's webinar, demo, trial or waiting list (CALLS_TO_ACTION):
                          # none of the 27 entries of the relevance corpus that hold one is labelled useful
    "customer": 0.5,      # advice for the niche's customers ('find a dentist'), see audience.py
    "report": 0.5,        # a news report of one event ('Harbourside café wins regional bake-off'): REPORTS
}
SHORT_SUMMARY_WORDS = 8
STUFFED_KEYWORDS = 4
STUFFED_SHARE = 0.6
STUFFED_ALWAYS = 6        # no useful title in the corpus names more than 4 of the niche's keywords; this many
                          # is stuffing even padded with other words ("... the ultimate guide for small firms")
SELF_MIN_CHARS = 5        # a shorter site name ('irs', 'dol') is too likely a word of a real title
CAPS_MIN_LETTERS = 12     # a shorter title in capitals is likely an acronym or a name
CAPS_SHARE = 0.8          # at least this share of the title's letters upper case: shouting

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_MARKUP = re.compile(r"</?[a-z][^>]*>|&(?:[a-z]+|#\d+|#x[0-9a-f]+);|<!\[CDATA", re.I)
# Template placeholders and mojibake are debris even in a title the feed declared as text.
_DEBRIS = re.compile(r"\{\{|\}\}|\{%|%\}|\[\[|\]\]|\$\{|%[A-Z_]{3,}%|\ufffd|Ã[\x80-\xbf]|â€")
# A vendor's calls to action to the reader, per language (Snowball's names), in HARD_SELL_PHRASES' form
# and read the same way (phrases.phrase_regex): its events, demos, trials and waiting lists. Not a
# consultation or a quote: those are what the niche's own readers offer their customers ("book a
# consultation" in a law firm's intake script). A niche in a language without a list here is judged by
# its `exclude` words and HARD_SELL_PHRASES only (the "selling" signal), never by English phrases.
CALLS_TO_ACTION = {
    "english": (
        "webinar", "webinars", "live session", "live demo", "live event", "live stream",
        "save your seat", "reserve your seat", "save your spot", "reserve your spot", "claim your spot",
        "book your seat", "book your place", "register now", "register today", "register here",
        "register for our", "sign up for our", "join our", "join us", "attend our",
        "book a demo", "book a free demo", "book your demo", "request a demo", "request a free demo",
        "schedule a demo", "get a demo", "get a free demo", "ask for a demo",
        "start your free", "start a free", "join the waiting list", "join the waitlist", "join our waitlist",
        "get on the waiting list", "join the beta", "early access", "sign up to be the first",
        "sign up to hear", "sign up to get", "be the first to know", "be the first to hear",
        "be the first to try",
    ),
}
# A news report of one event, per language: a headline whose subject does one of these ('Millbrook vet
# clinic hosts adoption day', 'Harriers thank volunteer physios', 'Local attorney elected to city
# council', 'Celebrity foundation under investigation'). It tells the reader what happened to someone
# else, not how to do their work. Not when the verb opens its clause ('Thank your volunteers'), follows
# a pronoun, 'to' or a modal ('before we open'), is followed by 'you' ('Say thank you with a bonus'),
# or the title asks or advises anywhere ('Why clinics open on Sundays', 'Clinic opens a second site:
# what it cost'): that is a case told for the reader. The third person's '-s' or a past form, not the
# plain verb ('Stay open late', 'Keep the till open'), but for 'thank' ('Harriers thank volunteers').
REPORTS = {
    "english": (
        ("hosts", "thank", "thanks", "celebrates", "opens", "wins", "welcomes", "honours", "honors", "marks",
         "unveils", "raises", "raised", "retires", "retired", "elected", "appointed", "named", "hosted",
         "celebrated", "welcomed", "honoured", "honored", "awarded", "charged", "arrested", "closed",
         "under investigation"),
        ("i", "we", "you", "they", "he", "she", "it", "who", "that", "which", "to", "will", "can", "could",
         "should", "would", "must", "may", "might", "and", "or", "not", "don't", "doesn't", "never", "also",
         "still", "now", "just"),
        ("how", "why", "what", "when", "where", "which", "who", "should", "can", "do", "does", "is", "are",
         "if", "ways", "tips"),
        ("you",),
    ),
}
_CLAUSES = re.compile(r"[:;?!\u2014\u2013]|\s-\s")
_WORDS = re.compile(r"[\w'\u2019-]+")
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget)\b[^.!?]{0,40}\b(?:instructions|prompts?)\b"
    r"|\b(?:system prompt|language models?|AI (?:assistants?|curators?|models?)|as an AI)\b"
    r"|\b(?:rank|list|put|include|feature) this (?:link|article|page|post|story|item|charity|site)\b"
    r"[^.!?]{0,40}\b(?:first|top)\b", re.I)


@lru_cache(maxsize=64)
def _injection_terms(analyzer: Analyzer) -> frozenset[str]:
    """Terms one of which any text _INJECTION finds holds (most entries hold none: no regex for them)."""
    words = "ignore disregard forget system language model models ai rank list put include feature"
    return frozenset(analyzer.terms(words))




@dataclass(frozen=True)
class Signal:
    name: str
    share: float
    why: str


@lru_cache(maxsize=64)
def _report_terms(analyzer: Analyzer) -> frozenset[str]:
    """Terms one of which a report's title holds (most titles hold none: no clause is read for them)."""
    verbs = REPORTS.get(analyzer.key, ((),))[0]
    return frozenset(analyzer.terms(verb)[-1] for verb in verbs)


def _report(title: str, tokens: frozenset[str], analyzer: Analyzer) -> str:
    """The verb that makes the title a report of one event (REPORTS), or ''."""
    if analyzer.key not in REPORTS or tokens.isdisjoint(_report_terms(analyzer)):
        return ""
    verbs, not_after, asking, not_before = REPORTS[analyzer.key]
    if not set(asking).isdisjoint(w.casefold() for w in _WORDS.findall(title)):
        return ""
    for clause in _CLAUSES.split(title):
        written = _WORDS.findall(clause)
        words = [w.casefold().replace("\u2019", "'") for w in written]
        for i in range(1, len(words)):
            if words[i - 1] in not_after:
                continue
            for verb in verbs:
                size = verb.count(" ") + 1
                after = words[i + size] if i + size < len(words) else ""
                if " ".join(words[i:i + size]) == verb and after not in not_before:
                    return f"a news report of one event ({' '.join(written[i:i + size])!r})"
    return ""


def _debris(title: str, text_title: bool) -> str:
    """Leftovers of markup or templates; a title the feed declared as text may name a tag ('the <blink>
    tag'), so only placeholders and mojibake count there."""
    if _CONTROL.search(title):
        return "control characters in the title"
    found = (None if text_title else _MARKUP.search(title)) or _DEBRIS.search(title)
    return f"markup debris {found.group(0)!r} in the title" if found else ""


def site_name(url: str) -> str:
    """The distinctive part of a link's host: 'https://blog.dentsoft.com/x' -> 'dentsoft'."""
    host = url.split("/", 3)[2].rsplit("@", 1)[-1].split(":", 1)[0].lower() if url.count("/") >= 2 else ""
    labels = [label for label in host.split(".")[:-1] if label not in ("www", "blog", "news", "m")]
    return max(labels, key=len, default="")


def _self(title: str, url: str) -> str:
    name = site_name(url)
    if len(name) < SELF_MIN_CHARS or name not in re.sub(r"[\W_]+", "", title.casefold()):
        return ""
    return f"news about its own site ({name})"


def _shouting(title: str) -> str:
    if title.count("!") >= 2:
        return "an exclamation-heavy title"
    letters = sum(map(str.isalpha, title))
    if letters >= CAPS_MIN_LETTERS and sum(map(str.isupper, title)) >= CAPS_SHARE * letters:
        return "an all-caps title"
    return ""


@lru_cache(maxsize=64)
def _selling_patterns(phrases: tuple[str, ...], analyzer: Analyzer) -> tuple[tuple[frozenset[str], str], ...]:
    """Each phrase with the terms an entry must hold for it to be there at all: a set lookup spares
    most entries the regex, and a phrase's regex is compiled only once an entry holds its terms
    (compiling every phrase up front cost each worker process some 20 ms)."""
    return tuple((frozenset(analyzer.terms(str(phrase).replace("{n}", " "))), str(phrase)) for phrase in phrases)


@lru_cache(maxsize=1024)
def _phrase(phrase: str) -> re.Pattern:
    """The phrase as the no-strings check reads it (phrases.phrase_regex)."""
    return re.compile(phrase_regex(phrase), re.I)


def _found(text: str, tokens: frozenset[str], phrases: tuple[str, ...], analyzer: Analyzer, what: str) -> str:
    """The first of the phrases the text holds, said as `what` 'the words', or ''."""
    for needed, phrase in _selling_patterns(phrases, analyzer):
        if needed <= tokens:
            found = _phrase(phrase).search(text)
            if found:
                return f"{what} {found.group(0)!r}"
    return ""


def _selling(text: str, tokens: frozenset[str], hard_sell: tuple[str, ...], analyzer: Analyzer,
             exclude_stems: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    found = _found(text, tokens, hard_sell, analyzer, "hard-sell wording")
    if found:
        return found
    for label, stems in exclude_stems:
        if stems and all(s in tokens for s in stems):
            return f"promotional wording (a form of {label!r})"
    return ""


def signals(
    title: str,
    summary: str,
    date: dt.datetime | None,
    reference: dt.datetime,
    tokens: frozenset[str],
    analyzer: Analyzer,
    hard_sell: tuple[str, ...],
    exclude: tuple[str, ...],
    title_keywords: int = 0,
    title_share: float = 0.0,
    url: str = "",
    customer: str = "",
    text_title: bool = False,
) -> tuple[Signal, ...]:
    """Every junk signal the entry shows, in a fixed order; `tokens` are its index terms, `title_keywords`
    how many of the niche's keywords its title holds, `title_share` the share of its words they make and
    `customer` the words that send its reader to one of the niche's own (audience.customer_side);
    `text_title` says the feed declared its title as text (clean.TEXT)."""
    out = []

    def add(name: str, why: str) -> None:
        if why:
            out.append(Signal(name, PENALTIES[name], why))

    add("debris", _debris(title, text_title))
    add("self", _self(title, url))
    add("future", f"dated {date:%Y-%m-%d}, in the future" if date is not None
        and date > reference + dt.timedelta(days=1) else "")
    add("shouting", _shouting(title))
    text = f"{title} {summary}"
    add("selling", _selling(text, tokens, hard_sell, analyzer, tuple((w, analyzer.terms(w)) for w in exclude)))
    add("promotion", _found(text, tokens, CALLS_TO_ACTION.get(analyzer.key, ()), analyzer, "a call to action"))
    add("customer", f"advice for the niche's customers ({customer!r})" if customer else "")
    add("report", _report(title, tokens, analyzer))
    add("injection", "instructions to a machine in the text"
        if not tokens.isdisjoint(_injection_terms(analyzer)) and _INJECTION.search(text) else "")
    add("stuffed", f"a title stuffed with keywords ({title_keywords} keywords, {title_share:.0%} of its words)"
        if title_keywords >= STUFFED_ALWAYS or (title_keywords >= STUFFED_KEYWORDS and title_share >= STUFFED_SHARE)
        else "")
    words = len(summary.split())
    add("thin", f"a {words}-word summary" if words < SHORT_SUMMARY_WORDS else "")
    return tuple(out)


def factor(found: tuple[Signal, ...]) -> float:
    """What is left of the score once every signal has taken its share."""
    value = 1.0
    for signal in found:
        value *= 1 - signal.share
    return value


def explain(found: tuple[Signal, ...]) -> str:
    """'an all-caps title (-30%), a 3-word summary (-30%)' for `why`."""
    return ", ".join(f"{s.why} (-{round(s.share * 100)}%)" for s in found)
