# Frozen copy of plugins/curator/score.py at 5fc504c (issue 16 baseline); do not edit.
"""Scoring: how well an entry fits a niche, and the `why` an editor reads.

Pure functions. Keywords in the title count three times as much as in the
summary; an exclusion word drops the entry; recency decays with a half-life,
measured from the newest entry seen (capped at the run date), so an old demo
or a quiet month still yields a draft; the source's weight multiplies it all.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from curator.model.niches import Niche

TITLE_WEIGHT = 3.0
SUMMARY_WEIGHT = 1.0
UNDATED_DECAY = 0.25


@dataclass(frozen=True)
class Candidate:
    """An entry scored for one niche; `order` keeps equal scores in a stable order."""

    url: str
    title: str
    summary: str
    guid: str
    date: dt.datetime | None
    source: str
    score: float
    section: str
    why: str
    order: int = 0
    hand_picked: bool = False
    note: str = ""
    key: str = ""  # tracking.url_key(url) when the cache already holds it


@lru_cache(maxsize=4096)
def _pattern(word: str) -> re.Pattern[str]:
    """Whole words, any spacing, a plural -s/-es allowed: 'grant' matches 'Grants', not 'granted'."""
    return re.compile(r"(?<![\w])" + r"\s+".join(map(re.escape, word.split())) + r"(?:s|es)?(?![\w])", re.I)


# Matching every keyword's regex against every text was most of a curate run, so each text is folded
# and cut into words once, and keywords are looked up in its set of words. This finds exactly what
# _pattern(word).search finds: a word is a run of \w (what the regex's boundaries see) and letters
# compare as re.IGNORECASE compares them (simple lowercase, then the few letters the re module treats
# as equal, e.g. long s and s, final sigma and sigma). Folding keeps every character a single character
# and a word character a word character, so words sit where they sat; a keyword of several words is
# then checked with a case-sensitive regex on the folded text, only when all its words are present.
_WORD = re.compile(r"\w+")
_SAME_CASE = str.maketrans({  # re._casefix: letters re.IGNORECASE treats as equal -> one of them
    "\u0131": "i", "\u017f": "s", "\u00b5": "\u03bc", "\u0345": "\u03b9", "\u1fbe": "\u03b9",
    "\u1fd3": "\u0390", "\u1fe3": "\u03b0", "\u03d0": "\u03b2", "\u03f5": "\u03b5", "\u03d1": "\u03b8",
    "\u03f0": "\u03ba", "\u03d6": "\u03c0", "\u03f1": "\u03c1", "\u03c2": "\u03c3", "\u03d5": "\u03c6",
    "\u1c80": "\u0432", "\u1c81": "\u0434", "\u1c82": "\u043e", "\u1c83": "\u0441", "\u1c84": "\u0442",
    "\u1c85": "\u0442", "\u1c86": "\u044a", "\u1c87": "\u0463", "\u1c88": "\ua64b", "\u1e9b": "\u1e61",
    "\ufb05": "\ufb06",
})
# U+0345 is not a word character, yet re.IGNORECASE lets it stand for iota: texts holding it use the regex.
_ODD = "\u0345"


_NEEDS_SAME_CASE = re.compile("[" + "".join(chr(c) for c in _SAME_CASE) + "]")


def _fold(text: str) -> str:
    """Lowercase as re.IGNORECASE compares: simple lowercase (dotted capital I -> i), equal letters merged."""
    if text.isascii():  # most text: nothing but lower() can change it (translate is slow, char by char)
        return text.lower()
    text = text.replace("\u0130", "i").lower()
    return text.translate(_SAME_CASE) if _NEEDS_SAME_CASE.search(text) else text


@lru_cache(maxsize=16384)  # an entry's texts are matched ~10 times for one niche, again for the next
def _words(text: str) -> tuple[str, frozenset[str]] | None:
    """The folded text and its words; None for the rare text the lookup cannot answer exactly (see _ODD)."""
    if _ODD in text:
        return None
    folded = _fold(text)
    return folded, frozenset(_WORD.findall(folded))


@lru_cache(maxsize=4096)
def _keyword(word: str) -> tuple[frozenset[str], tuple[str, ...], re.Pattern[str] | None] | None:
    """How to look the keyword up: the forms its last word may take (plural -s/-es), its other words and,
    for several words, a regex for the folded text; None when it holds anything but word characters
    (then _pattern decides)."""
    parts = word.split()
    if not parts or not all(_WORD.fullmatch(p) for p in parts):
        return None
    *head, last = (_fold(p) for p in parts)
    forms = frozenset((last, last + "s", last + "es"))
    if not head:
        return forms, (), None
    return forms, tuple(head), re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, (*head, last)))
                                          + r"(?:s|es)?(?!\w)")


@lru_cache(maxsize=1024)
def _matcher(words: tuple[str, ...]) -> tuple[tuple[tuple[str, tuple | None], ...], frozenset[str],
                                             dict[str, tuple[int, ...]], tuple[int, ...]]:
    """The keywords prepared for one lookup per text: every form any keyword's last word may take
    (intersected with a text's words at C speed), which keywords each form belongs to, and the
    keywords only a regex can decide."""
    lookups = tuple((w, _keyword(w)) for w in words if w)
    index: dict[str, list[int]] = {}
    regex_only = []
    for position, (_, keyword) in enumerate(lookups):
        if keyword is None:
            regex_only.append(position)
            continue
        for form in keyword[0]:
            index.setdefault(form, []).append(position)
    return lookups, frozenset(index), {k: tuple(v) for k, v in index.items()}, tuple(regex_only)


def matches(words: tuple[str, ...], text: str) -> list[str]:
    """The keywords found in text, in the keywords' order (each as _pattern(word) would find it)."""
    return _found(words, text, _words(text))


def _joined(title: str, summary: str) -> tuple[str, tuple[str, frozenset[str]] | None]:
    """`title summary` and its words, from the two texts' own cuts (folding works letter by letter
    and a space ends a word, so this is what cutting the joined text would give)."""
    text = f"{title} {summary}"
    a, b = _words(title), _words(summary)
    if a is None or b is None:
        return text, None
    return text, (f"{a[0]} {b[0]}", a[1] | b[1])


def _found(words: tuple[str, ...], text: str, cut: tuple[str, frozenset[str]] | None) -> list[str]:
    if cut is None:
        return [w for w in words if w and _pattern(w).search(text)]
    folded, seen = cut
    lookups, forms, index, regex_only = _matcher(tuple(words))
    common = seen & forms
    if not common and not regex_only:
        return []
    positions = set(regex_only)
    for form in common:
        positions.update(index[form])
    found = []
    for position in sorted(positions):
        w, keyword = lookups[position]
        if keyword is None:
            if _pattern(w).search(text):
                found.append(w)
            continue
        _, head, several = keyword
        if several is None or (seen.issuperset(head) and several.search(folded)):
            found.append(w)
    return found


def parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def reference_time(dates: list[dt.datetime | None], run_date: dt.date) -> dt.datetime:
    """Ages are measured from the newest entry seen, but never from after the run date."""
    end = dt.datetime.combine(run_date, dt.time(23, 59, 59), dt.timezone.utc)
    real = [d for d in dates if d is not None and d <= end]
    return max(real) if real else end


def _age_words(date: dt.datetime, days: float) -> str:
    if days < 1:
        return f"published {date:%Y-%m-%d}, among the newest"
    whole = int(days)
    return f"published {date:%Y-%m-%d}, {whole} day{'s' if whole != 1 else ''} before the newest entry"


def score_entry(entry: dict, niche: Niche, source: str, weight: float, reference: dt.datetime,
                half_life: float, max_age: float, order: int = 0, *, explain: bool = True) -> Candidate | None:
    """A Candidate, or None when the entry is excluded, off-topic or too old. With explain=False its
    section and `why` are left empty: worked out for the few links a draft takes, not every entry."""
    title, summary = entry["title"], entry.get("summary", "")
    if niche.exclude and _found(niche.exclude, *_joined(title, summary)):
        return None
    in_title = matches(niche.keywords, title)
    in_summary = [w for w in matches(niche.keywords, summary) if w not in in_title]
    if niche.keywords and not in_title and not in_summary:
        return None
    date = parse_date(entry.get("date"))
    if date is not None and date > reference + dt.timedelta(days=1):
        date = None  # dated in the future: not trusted for recency
    if date is not None:
        age = max(0.0, (reference - date).total_seconds() / 86400)
        if age > max_age:
            return None
        decay = 0.5 ** (age / half_life)
    else:
        decay = UNDATED_DECAY
    # A niche without keywords takes every entry: recency and source weight decide.
    relevance = TITLE_WEIGHT * len(in_title) + SUMMARY_WEIGHT * len(in_summary) if niche.keywords else 1.0
    score = round(relevance * weight * (0.5 + decay), 4)
    section = why = ""
    if explain:
        section = best_section(niche, title, summary)
        why = "; ".join(part for part in (
            "" if niche.keywords else "the niche has no keywords",
            _keywords_why(in_title, "title"),
            _keywords_why(in_summary, "summary"),
            _age_words(date, age) if date is not None else "undated",
            f"source weight {weight:g} ({source})",
        ) if part)
    return Candidate(url=entry["url"], title=title, summary=summary, guid=entry.get("guid", ""), date=date,
                     source=source, score=score, section=section, why=why, order=order, key=entry.get("key", ""))


def _keywords_why(words: list[str], where: str) -> str:
    if not words:
        return ""
    return f"matches {', '.join(repr(w) for w in words)} in the {where}"


def best_section(niche: Niche, title: str, summary: str) -> str:
    """The section whose keywords match best (title counting more); the first wins a tie; '' if none."""
    best, best_score = "", 0.0
    for section in niche.sections:
        value = TITLE_WEIGHT * len(matches(section.keywords, title)) + SUMMARY_WEIGHT * len(matches(section.keywords, summary))
        if value > best_score:
            best, best_score = section.name, value
    return best
