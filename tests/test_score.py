"""Keyword matching: the word lookup in score.matches finds exactly what one regex per keyword found."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings, strategies as st

from curator.score import _SAME_CASE, _fold, _pattern, matches


def reference(words: tuple[str, ...], text: str) -> list[str]:
    """The old matcher, one regex per keyword per text, kept as the definition of a match."""
    return [w for w in words if w and re.compile(
        r"(?<![\w])" + r"\s+".join(map(re.escape, w.split())) + r"(?:s|es)?(?![\w])", re.I).search(text)]


# Pieces that stress the edges: case, plurals, near-plurals, digits, underscores, hyphens, apostrophes,
# non-ASCII letters, letters re.IGNORECASE treats as equal, odd spacing and punctuation.
STEMS = ["grant", "Grant", "GRANTS", "granted", "grantes", "cash", "flow", "cash flow", "form", "990", "form 990",
         "tax", "taxes", "taxs", "bus", "buses", "class", "classes", "e", "es", "s", "a", "i", "I", "ı", "İ",
         "ſ", "ſtaff", "staff", "Staffs", "café", "CAFÉ", "cafés", "straße", "STRASSE", "ΟΔΟΣ", "οδος", "οδοσ",
         "µ", "μ", "Μ", "\u0345", "ι", "Ꙋ", "ᲈ", "k", "K", "x_y", "_", "covid-19", "o'brien", "O’Brien",
         "don't", "c++", ".net", "e-mail", "2024", "x2", "日本", "naïve", "nai\u0308ve"]
SEPS = [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "", "-", "'", "’", ",", ". ", " - ", "/", "(", ")", "\x1c"]

piece = st.sampled_from(STEMS) | st.text(alphabet="aAbBsSeE_19-' \u00e9\u0131\u017f\u03c2\u03a3", max_size=6)
texts = st.lists(st.tuples(piece, st.sampled_from(SEPS)), max_size=12).map(
    lambda parts: "".join(p + s for p, s in parts))
keywords = st.lists(st.sampled_from(STEMS) | st.text(alphabet="aAsSeE19 -'\u0131\u017f\u03c3", max_size=8)
                    | st.lists(st.sampled_from(STEMS), min_size=2, max_size=3).map(" ".join)
                    | st.sampled_from(["", " ", "grant  writing", "cash\tflow"]), max_size=6).map(tuple)


@settings(max_examples=3000, deadline=None)
@given(keywords, texts)
def test_matches_agrees_with_one_regex_per_keyword(words, text):
    assert matches(words, text) == reference(words, text)


@settings(max_examples=1000, deadline=None)
@given(keywords, st.text(max_size=40))
def test_matches_agrees_on_arbitrary_unicode(words, text):
    assert matches(words, text) == reference(words, text)


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
