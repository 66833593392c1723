"""Keyword matching: the word lookup in score.matches finds exactly what one regex per keyword found."""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curator.curation.score import (
    _IS_UNSPACED,
    _age_words,
    _fold,
    _pattern,
    matches,
    may_match,
    parse_date,
    reference_time,
)
from support.budget import examples

# Scripts written without spaces between words, by the names Unicode gives their letters.
UNSPACED_NAMES = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "CJK RADICAL", "KANGXI RADICAL",
                  "CJK STROKE", "IDEOGRAPHIC", "HANGZHOU NUMERAL", "VERTICAL KANA", "VERTICAL IDEOGRAPHIC",
                  "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA", "HENTAIGANA", "BOPOMOFO", "THAI ", "LAO ", "TIBETAN",
                  "MYANMAR", "KHMER", "TAI LE ", "NEW TAI LUE", "TAI THAM", "BALINESE", "JAVANESE", "YI ", "TANGUT",
                  "KHITAN", "NUSHU", "OLD CHINESE")


def unspaced(ch: str) -> bool:
    if len(ch) != 1:
        return False
    name = unicodedata.name(ch, "")
    # Tangut and Khitan letters have no names in unicodedata.
    return name.startswith(UNSPACED_NAMES) or (not name and 0x17000 <= ord(ch) <= 0x18D7F)


def old_reference(words: tuple[str, ...], text: str) -> list[str]:
    """The first matcher, one regex per keyword per text: whole words everywhere."""
    return [w for w in words if w and re.compile(
        r"(?<![\w])" + r"\s+".join(map(re.escape, w.split())) + r"(?:s|es)?(?![\w])", re.I).search(text)]


def _class(chars: list[int]) -> str:
    """A regex character class body for these code points, as ranges."""
    out, i = [], 0
    while i < len(chars):
        j = i
        while j + 1 < len(chars) and chars[j + 1] == chars[j] + 1:
            j += 1
        out.append(re.escape(chr(chars[i])) + ("-" + re.escape(chr(chars[j])) if j > i else ""))
        i = j + 1
    return "".join(out)


@functools.cache
def _spaced() -> re.Pattern[str]:
    """A letter of a script written with spaces: a word letter that is none of those scripts' letters. Built on
    first use (naming the code points takes a second, which every xdist worker paid collecting this file)."""
    # Planes 4-16 hold no letter of these scripts (4-13 are unassigned; 14-16 are tags, selectors, private use).
    named_unspaced = _class([c for c in range(0x40000) if unspaced(chr(c))])
    return re.compile(f"[^\\W{named_unspaced}]", re.I)


@functools.cache
def _starts(core: str) -> re.Pattern[str]:
    """Every place `core` matches, overlapping, the match in group 1 (small patterns, compiled once: putting the
    giant class above into each keyword's pattern made compiling it most of this file's time)."""
    return re.compile(f"(?=({core}))", re.I)


def reference(words: tuple[str, ...], text: str) -> list[str]:
    """The definition of a match: whole words, any spacing, a plural -s/-es allowed; but an edge of the
    keyword in a script written without spaces needs no boundary, and a letter of one is a boundary.
    Read as one regex per keyword, `(?<!SPACED)w1\\s+w2(?:s|es)?(?!SPACED)`, with each edge's look-around
    checked by the same class on the one character there."""
    found = []
    for w in (w for w in words if w):
        parts = w.split()
        first, last = (parts[0][0], parts[-1][-1]) if parts else ("", "")
        core = r"\s+".join(map(re.escape, parts))
        for suffix in ("",) if unspaced(last) else ("s", "es", ""):
            spaced = _spaced()
            if any((unspaced(first) or m.start() == 0 or not spaced.fullmatch(text[m.start() - 1]))
                   and (unspaced(last) or m.end(1) == len(text) or not spaced.fullmatch(text[m.end(1)]))
                   for m in _starts(core + suffix).finditer(text)):
                found.append(w)
                break
    return found


# Pieces that stress the edges: case, plurals, near-plurals, digits, underscores, hyphens, apostrophes,
# non-ASCII letters, letters re.IGNORECASE treats as equal, odd spacing and punctuation.
STEMS = ["grant", "Grant", "GRANTS", "granted", "grantes", "cash", "flow", "cash flow", "form", "990", "form 990",
         "tax", "taxes", "taxs", "bus", "buses", "class", "classes", "e", "es", "s", "a", "i", "I", "ı", "İ",
         "ſ", "ſtaff", "staff", "Staffs", "café", "CAFÉ", "cafés", "straße", "STRASSE", "ΟΔΟΣ", "οδος", "οδοσ",
         "µ", "μ", "Μ", "\u0345", "ι", "Ꙋ", "ᲈ", "k", "K", "x_y", "_", "covid-19", "o'brien", "O’Brien",
         "don't", "c++", ".net", "e-mail", "2024", "x2", "日本", "naïve", "nai\u0308ve", "经济", "全球经济恢复放缓",
         "AI芯片", "芯片", "ภาษี", "การยื่นภาษี", "帳簿", "会計帳簿の", "カタカナ", "ລາວ", "ខ្មែរ"]
SEPS = [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "", "-", "'", "’", ",", ". ", " - ", "/", "(", ")", "\x1c"]

piece = st.sampled_from(STEMS) | st.text(alphabet="aAbBsSeE_19-' \u00e9\u0131\u017f\u03c2\u03a3", max_size=6)
texts = st.lists(st.tuples(piece, st.sampled_from(SEPS)), max_size=12).map(
    lambda parts: "".join(p + s for p, s in parts))
keywords = st.lists(st.sampled_from(STEMS) | st.text(alphabet="aAsSeE19 -'\u0131\u017f\u03c3", max_size=8)
                    | st.lists(st.sampled_from(STEMS), min_size=2, max_size=3).map(" ".join)
                    | st.sampled_from(["", " ", "grant  writing", "cash\tflow"]), max_size=6).map(tuple)


@settings(max_examples=examples(1500), deadline=None)  # 3000 when the lookup replaced the regexes
@given(keywords, texts)
def test_matches_agrees_with_one_regex_per_keyword(words, text):
    assert matches(words, text) == reference(words, text)


@settings(max_examples=examples(1000), deadline=None)
@given(keywords, st.text(max_size=40))
def test_matches_agrees_on_arbitrary_unicode(words, text):
    assert matches(words, text) == reference(words, text)


@settings(max_examples=examples(300), deadline=None)  # checks the reference above, not the matcher: fewer examples
@given(keywords, texts | st.text(max_size=40))
def test_in_scripts_with_spaces_a_match_is_what_it_always_was(words, text):
    if not any(unspaced(ch) for ch in text + "".join(words)):
        assert reference(words, text) == old_reference(words, text)


# (keywords, text, what a match finds): also the relevance model's cases (test_relevance.py).
UNSPACED_CASES = [
    (("经济",), "…全球经济恢复放缓", ["经济"]),
    (("经济", "恢复"), "全球经济恢复放缓", ["经济", "恢复"]),
    (("ai", "芯片"), "国产AI芯片出货", ["ai", "芯片"]),
    (("ai",), "Said the AIs", ["ai"]),
    (("ai",), "Said the aim", []),
    (("帳簿",), "会計帳簿の付け方", ["帳簿"]),
    (("カタカナ",), "これはカタカナです", ["カタカナ"]),
    (("ภาษี",), "การยื่นภาษีออนไลน์", ["ภาษี"]),
    (("税务 申报",), "个人税务 申报指南", ["税务 申报"]),
    (("grant",), "助成金grant申請", ["grant"]),
]


@pytest.mark.parametrize("words, text, found", UNSPACED_CASES)
def test_keywords_in_scripts_without_spaces_match_inside_text(words, text, found):
    assert matches(words, text) == reference(words, text) == found


def test_the_scripts_without_spaces_are_the_ones_unicode_names():
    wrong = [hex(c) for c in range(0x110000)
             if re.match(r"\w", chr(c)) and bool(_IS_UNSPACED.match(chr(c))) != unspaced(chr(c))]
    assert wrong == []


@pytest.mark.parametrize("words, text, found", [
    (("grant",), "Two Grants announced", ["grant"]),
    (("grant",), "The award was granted", []),
    (("cash flow",), "Cash\n   FLOW problems", ["cash flow"]),
    (("cash flow",), "cash-flow problems", []),
    (("tax",), "Taxes due; taxing times", ["tax"]),
    (("covid-19", "o'brien"), "COVID-19 notes from O'Briens", ["covid-19", "o'brien"]),
    (("staff", "form 990"), "ſtaff filed Form 990s", ["staff", "form 990"]),
    (("οδοσ",), "ΟΔΟΣ", ["οδοσ"]),
    (("ι", "iota"), "a \u0345 b, iota", ["ι", "iota"]),
    (("a", "b"), "a\u0345 b\u0345", ["a", "b"]),
    (("ix", "i", "x"), "İX", ["ix"]),
    (("business tax", "tax"), "Business\u00a0Taxes", ["business tax", "tax"]),
    (("i", "cash flow"), "İ: CASH ﬂow, Cash  Flows", ["i", "cash flow"]),
])
def test_examples(words, text, found):
    assert matches(words, text) == reference(words, text) == found


def test_folding_is_what_re_ignorecase_compares():
    """Every character folds to what re.IGNORECASE compares it by: its simple lowercase (as the re module
    computes it), letters the re module treats as equal folding alike; word characters stay one character."""
    import _sre

    extra = sys.modules["re._casefix"]._EXTRA_CASES if sys.version_info >= (3, 11) else \
        sys.modules["sre_compile"]._ignorecase_fixes
    for c, others in extra.items():
        assert len({_fold(chr(x)) for x in (c, *others)}) == 1
    for a in range(0x110000):
        lower = _sre.unicode_tolower(a)
        same = {chr(x) for x in (lower, *extra.get(lower, ()))}
        assert _fold(chr(a)) in same, hex(a)
    assert _pattern("grant").search("GRANTS")


# --- dates and the words `why` uses for them ---------------------------------------------------------

UTC = dt.UTC


@pytest.mark.parametrize(("days", "words"), [
    (0.0, "published 2026-11-18, among the newest"),
    (0.99, "published 2026-11-18, among the newest"),
    (1.0, "published 2026-11-18, 1 day before the newest entry"),
    (1.99, "published 2026-11-18, 1 day before the newest entry"),
    (2.5, "published 2026-11-18, 2 days before the newest entry"),
    (30.0, "published 2026-11-18, 30 days before the newest entry"),
])
def test_an_entrys_age_is_said_in_whole_days_before_the_newest_entry(days, words):
    assert _age_words(dt.datetime(2026, 11, 18, 9, tzinfo=UTC), days) == words


@pytest.mark.parametrize(("value", "when"), [
    ("2026-11-16T10:00:00+00:00", dt.datetime(2026, 11, 16, 10, tzinfo=UTC)),
    ("2026-11-16T10:00:00", dt.datetime(2026, 11, 16, 10, tzinfo=UTC)),               # no zone: UTC
    ("2026-11-16T10:00:00+02:00", dt.datetime(2026, 11, 16, 8, tzinfo=UTC)),
    ("", None), (None, None), ("yesterday", None), ("2026-13-01", None),
])
def test_a_date_is_read_as_iso_8601_in_utc_when_it_names_no_zone_else_none(value, when):
    parsed = parse_date(value)
    assert parsed == when
    if when is not None:
        assert parsed.utcoffset() is not None
        assert parsed.tzinfo == (dt.timezone(dt.timedelta(hours=2)) if value.endswith("+02:00") else UTC)


def test_ages_count_from_the_newest_entry_but_never_from_after_the_run_date():
    run = dt.date(2026, 11, 22)
    end = dt.datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)
    older, newest = dt.datetime(2026, 11, 1, tzinfo=UTC), dt.datetime(2026, 11, 20, tzinfo=UTC)
    future = dt.datetime(2026, 12, 25, tzinfo=UTC)
    assert reference_time([older, None, newest, future], run) == newest
    assert reference_time([older, end], run) == end                      # the run date's last second counts
    assert reference_time([future, None], run) == end                    # nothing usable: the run date's end
    assert reference_time([], run) == end


@pytest.mark.parametrize(("words", "text", "maybe"), [
    (("payroll",), "PAYROLL rules", True),
    (("cash flow",), "Flow of cash", True),          # every word inside: worth the full match
    (("cash flow",), "cash only", False),
    (("cash flow",), "flow only", False),
    (("", " "), "anything at all", False),           # blank keywords never match
    (("tax", "cash flow"), "cash and flow", True),
    (("tax", "cash flow"), "nothing here", False),
])
def test_the_cheap_prefilter_says_no_only_when_no_keyword_can_match(words, text, maybe):
    assert may_match(words, text) is maybe
    if not maybe:
        assert matches(words, text) == []


@pytest.mark.parametrize(("words", "text", "found"), [
    (("cash flow",), "Cash tips: mcash flow", []),                  # the phrase's first word must start a word
    (("cash flow",), "cash flowing, then flow", []),                # and its last must end one (or a plural)
    (("cash flow",), "Cash  Flows matter", ["cash flow"]),
    (("经济",), "全球经济恢复放缓", ["经济"]),      # no boundary needed in a script without spaces
    (("芯片",), "AI芯片的需求", ["芯片"]),
])
def test_a_keyword_is_found_where_one_regex_finds_it(words, text, found):
    assert matches(words, text) == found == reference(words, text)
