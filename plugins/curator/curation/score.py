"""Scoring's shared parts: the Candidate record, keyword matching, dates and recency.

Pure functions. `matches` finds keywords as whole words (a plural -s/-es
allowed): the niche's exclusion words are matched with it, as a hard filter
(how an entry meets its keywords is `relevance`). Recency is measured from the newest entry
seen (capped at the run date), so an old demo or a quiet month still yields a
draft. How an entry is judged is `choice` (relevance, junk, learning, stories).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

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


# Scripts written without spaces between words (Han, Hiragana, Katakana, Bopomofo, Thai, Lao, Tibetan,
# Myanmar, Khmer, Yi, Tai scripts, Javanese, Balinese): there a word has no boundary to look for, so a
# keyword's edge in one of them matches inside a run of letters (经济 in 全球经济恢复放缓), and a letter of
# one of them next to a keyword's edge is a boundary (AI in AI芯片).
_UNSPACED = ("\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u1950-\u19ff\u1a20-\u1aaf\u1b00-\u1b7f"
             "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303b\u3040-\u30ff\u3100-\u312f"
             "\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\ua980-\ua9ff\uaa60-\uaa7f\uf900-\ufaff"
             "\uff66-\uff9f\U00016fe0-\U00016fe4\U00017000-\U00018d7f\U0001aff0-\U0001b2ff\U0001d372-\U0001d376\U00020000-\U000323af")
_IS_UNSPACED = re.compile(f"[{_UNSPACED}]")
_SPACED_WORD = f"[^\\W{_UNSPACED}]"  # a word character of a script that separates its words


@lru_cache(maxsize=4096)
def _pattern(word: str) -> re.Pattern[str]:
    """Whole words, any spacing, a plural -s/-es allowed: 'grant' matches 'Grants', not 'granted'; an
    edge in a script without spaces needs no boundary (see _UNSPACED)."""
    parts = word.split()
    body = r"\s+".join(map(re.escape, parts))
    first, last = (parts[0][0], parts[-1][-1]) if parts else ("", "")
    before = "" if _IS_UNSPACED.match(first) else f"(?<!{_SPACED_WORD})"
    after = "" if _IS_UNSPACED.match(last) else f"(?:s|es)?(?!{_SPACED_WORD})"
    return re.compile(before + body + after, re.I)


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
# U+0345 is not a word character, yet re.IGNORECASE lets it stand for iota: texts holding it use the regex,
# as do texts in a script without spaces (their runs of letters are not words).
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
    if not text.isascii() and (_ODD in text or _IS_UNSPACED.search(text)):
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


def may_match(words: tuple[str, ...], text: str) -> bool:
    """False when `matches(words, text)` is surely empty: no keyword has all its words inside the text,
    folded as re.IGNORECASE compares (a substring test, far cheaper than cutting the text into words)."""
    folded = _fold(text)
    for parts in _folded_parts(tuple(words)):
        if parts[0] in folded and all(part in folded for part in parts[1:]):
            return True
    return False


@lru_cache(maxsize=1024)
def _folded_parts(words: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(_fold(w).split()) for w in words if w.strip())


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


@lru_cache(maxsize=16384)  # each entry's date is read once per niche, and again for the reference time
def parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def reference_time(dates: list[dt.datetime | None], run_date: dt.date) -> dt.datetime:
    """Ages are measured from the newest entry seen, but never from after the run date."""
    end = dt.datetime.combine(run_date, dt.time(23, 59, 59), dt.UTC)
    real = [d for d in dates if d is not None and d <= end]
    return max(real) if real else end


def _age_words(date: dt.datetime, days: float) -> str:
    if days < 1:
        return f"published {date:%Y-%m-%d}, among the newest"
    whole = int(days)
    return f"published {date:%Y-%m-%d}, {whole} day{'s' if whole != 1 else ''} before the newest entry"
