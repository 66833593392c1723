"""relevance.bm25f against BM25F written out by hand, and the context words' lift, on entries small
enough to check on paper. The constants are the ones relevance.py documents: field weights 3 (title)
and 1 (summary), length normalisation b 0.5 and 0.75, saturation k1 1.2, term kinds keyword 1.0,
section 0.6, context 0.3 (phrases 0.6), relevance = raw / (raw + 2.5). A change to any of them, or to
the formula, moves every draft's order: these tests say so at once."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from curator.curation.relevance import (
    Document,
    Index,
    background,
    best_section,
    bm25f,
    document,
    excluded,
    term_counts,
    vocabulary,
)
from curator.curation.terms import analyzer
from curator.model.niches import EmailSettings, Niche, Section

EN = analyzer("en")


def niche(keywords=("payroll", "cash flow"), sections=(("Money", ("invoice",)),), exclude=()) -> Niche:
    return Niche(slug="n", path="n.md", title="N", summary="", cadence="weekly", max_links=5, per_source=3,
                 keywords=tuple(keywords), exclude=tuple(exclude), sections=tuple(Section(n, k) for n, k in sections),
                 feeds=(), email=EmailSettings("a@x.example", "a@x.example", ("mailto:u@x.example",)), lang="en")


ENTRIES = [
    ("Payroll and cash flow", "Payroll payroll for shops"),
    ("Invoice tips", "When an invoice is late, cash flow suffers for the payroll"),
    ("Garden party", "Nothing about money at all here, just flowers and cake"),
    ("Payroll", ""),
]


def stem(word: str) -> str:
    (term,) = EN.terms(word)
    return term


def by_hand(docs, title_tokens, summary_tokens):
    """BM25F as written in the papers, for the vocabulary payroll (keyword), cash flow (a keyword phrase)
    and invoice (section keyword)."""
    n = len(docs)
    avg_t = sum(len(d.title) for d in docs) / n
    avg_s = sum(len(d.summary) for d in docs) / n

    def count(tokens, phrase):
        return sum(1 for i in range(len(tokens)) if tuple(tokens[i:i + len(phrase)]) == phrase)

    terms = [((stem("payroll"),), 1.0), ((stem("cash"), stem("flow")), 1.0), ((stem("invoice"),), 0.6)]
    raw = 0.0
    for phrase, weight in terms:
        df = sum(1 for d in docs if count(d.title, phrase) or count(d.summary, phrase))
        tf_t, tf_s = count(title_tokens, phrase), count(summary_tokens, phrase)
        if not (tf_t or tf_s):
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        tf = (3.0 / (0.5 + 0.5 * len(title_tokens) / avg_t)) * tf_t \
            + (1.0 / (0.25 + 0.75 * len(summary_tokens) / avg_s)) * tf_s
        raw += weight * idf * tf / (1.2 + tf)
    return raw


def test_bm25f_is_the_textbook_formula_with_the_documented_constants():
    vocab = vocabulary(niche(), EN)
    docs = [document(EN, t, s) for t, s in ENTRIES]
    found = [term_counts(vocab, d) for d in docs]
    index = Index.build(found, docs, vocab)
    for (title, _), doc, f in zip(ENTRIES, docs, found, strict=True):
        match = bm25f(vocab, index, doc, f)
        expected = by_hand(docs, doc.title, doc.summary)
        assert match.raw == pytest.approx(expected, rel=1e-9), title
        assert match.relevance == pytest.approx(expected / (expected + 2.5), rel=1e-9), title


def test_what_a_match_rests_on_keywords_in_title_summary_and_the_title_share():
    vocab = vocabulary(niche(), EN)
    docs = [document(EN, t, s) for t, s in ENTRIES]
    found = [term_counts(vocab, d) for d in docs]
    index = Index.build(found, docs, vocab)
    first, second, garden, bare = (bm25f(vocab, index, d, f) for d, f in zip(docs, found, strict=True))
    assert (first.keywords, first.title_keywords, first.in_title, first.in_summary) == (
        2, 2, ("payroll", "cash flow"), ())
    assert first.title_share == pytest.approx(3 / len(docs[0].title))  # payroll + the two words of cash flow
    assert (second.keywords, second.title_keywords, second.in_title, second.in_summary) == (
        3, 1, ("invoice",), ("payroll", "cash flow"))
    assert second.title_share == pytest.approx(1 / len(docs[1].title))
    assert (garden.raw, garden.relevance, garden.keywords, garden.eligible) == (0.0, 0.0, 0, False)
    assert bare.title_share == 1.0 and bare.eligible and bare.in_summary == ()
    assert found[0][vocab.singles[stem("payroll")]] == (1, 2)  # (in the title, in the summary)


def test_a_phrase_counts_only_where_its_words_stand_together_and_in_order():
    vocab = vocabulary(niche(), EN)
    doc = document(EN, "Cash and flow", "flow cash; cash flow, cash flow")
    phrase = next(i for i, t in enumerate(vocab.terms) if t.label == "cash flow")
    assert term_counts(vocab, doc) == {phrase: (0, 2)}
    assert term_counts(vocab, document(EN, "cash", "flow")) == {}


def test_the_section_an_entry_goes_under_is_the_one_its_words_meet_most_the_title_counting_three_times():
    n = niche(keywords=("payroll",), sections=(("Money", ("invoice", "tax")), ("People", ("hiring", "staff"))))
    vocab = vocabulary(n, EN)

    def section(title, summary):
        return best_section(vocab, term_counts(vocab, document(EN, title, summary)))

    assert section("Hiring staff", "an invoice") == "People"
    assert section("An invoice", "hiring and staff") == "Money"        # 3 for the title beats 1 + 1
    assert section("Invoice and hiring", "") == "Money"                 # a tie: the first section wins
    assert section("Payroll", "nothing else") == ""                     # no section keyword: no section
    assert section("Invoice invoice invoice", "staff") == "Money"       # a field counts a word once
    assert section("Invoice invoice hiring", "staff") == "People"       # 3 for invoice (once) < 3 + 1
    assert section("Hiring", "invoice invoice invoice tax") == "People"  # 3 beats 1 + 1, however many invoices
    assert section("Payroll", "an invoice") == "Money"                  # the summary alone is enough


def test_a_context_word_weighs_by_how_much_more_the_niches_own_text_uses_it():
    own = ["Bookkeeping for bakeries: bookkeeping, flour costs and bakeries."]
    bg = Counter({stem("bookkeeping"): 1, stem("flour"): 40, stem("bakeries"): 3, stem("other"): 56})
    vocab = vocabulary(niche(keywords=("payroll",), sections=()), EN, own, bg)
    weights = {t.label: t.weight for t in vocab.terms if t.kind == "context"}
    counts = Counter(t for t in EN.terms(own[0]) if t not in EN.stop_terms and len(t) >= 3)
    total, bg_total = sum(counts.values()), sum(bg.values()) + len(bg) + 1

    def lifted(token):
        lift = (counts[token] / total) / ((bg.get(token, 0) + 1) / bg_total)
        return min(1.0, math.log(lift) / math.log(4.0)) if lift > 1 else 0.0

    for token in counts:
        if lifted(token) > 0:
            assert weights[token] == pytest.approx(0.3 * lifted(token)), token
        else:
            assert token not in weights, token
    assert stem("flour") not in weights  # the entries use it more than the niche does: no weight
    phrase = f"{stem('bookkeeping')} {stem('bakeries')}"
    assert phrase not in weights  # never side by side in the niche's text
    pair = f"{stem('flour')} {stem('cost')}"
    assert weights[pair] == pytest.approx(0.6 * max(lifted(stem("flour")), lifted(stem("cost"))))


def test_short_words_and_stop_words_are_never_context():
    vocab = vocabulary(niche(keywords=("payroll",), sections=()), EN, ["Of the ox at st. by xy zebra"],
                       Counter({"other": 10}))
    labels = {t.label for t in vocab.terms if t.kind == "context"}
    assert labels == {stem("zebra")}


@pytest.mark.parametrize(("title", "summary", "out"), [
    ("Sponsored: payroll software", "", True),
    ("Payroll software", "A sponsored post", True),       # the summary counts too
    ("Payroll software", "Sponsorship rules", False),     # whole words only
    ("Payroll", "Sponsored post", True),                  # title and summary are two separate words
    ("Payroll sponsoreds", "", True),                     # a plural allowed
    ("Payroll unsponsored", "", False),
])
def test_exclusion_words_match_in_the_title_or_the_summary_as_whole_words(title, summary, out):
    assert excluded(niche(exclude=("sponsored",)), title, summary) is out
    assert excluded(niche(), title, summary) is False


def test_background_counts_every_term_of_every_entry():
    docs = [document(EN, "payroll payroll", "cash"), document(EN, "cash", "")]
    assert background(docs) == Counter({stem("payroll"): 2, stem("cash"): 2})


OWN = ["Bookkeeping bakeries: bookkeeping for bakeries, flour sugar cost."]
BG = Counter({stem("bookkeeping"): 20, stem("flour"): 40, stem("bakeries"): 40, stem("sugar"): 50, "other": 30})


def by_hand_lift():
    counts = Counter(t for t in EN.terms(OWN[0]) if t not in EN.stop_terms and len(t) >= 3)
    total, bg_total = sum(counts.values()), sum(BG.values()) + len(BG) + 1

    def lifted(token):
        lift = (counts[token] / total) / ((BG.get(token, 0) + 1) / bg_total)
        return min(1.0, math.log(lift) / math.log(4.0)) if lift > 1 else 0.0
    return counts, lifted


def test_context_words_and_phrases_weigh_by_their_lift_up_to_four_times():
    vocab = vocabulary(niche(keywords=("payroll",), sections=()), EN, OWN, BG)
    counts, lifted = by_hand_lift()
    words = {t.label: t.weight for t in vocab.terms if t.kind == "context" and len(t.tokens) == 1}
    phrases = {t.tokens: t.weight for t in vocab.terms if t.kind == "context" and len(t.tokens) == 2}
    assert words == {t: pytest.approx(0.3 * lifted(t)) for t in counts if lifted(t) > 0}
    # lifts of about 1.3 (bakeries), 2.4 (bookkeeping) and far above 4 (cost: weight capped), flour and sugar below 1
    assert 0 < lifted(stem("bakeries")) < 0.5 < lifted(stem("bookkeeping")) < 1 == lifted(stem("cost"))
    pairs, previous = set(), None
    for t in EN.terms(OWN[0]):  # two words side by side, not across a stop word
        if t in EN.stop_terms or len(t) < 3:
            previous = None
            continue
        if previous is not None:
            pairs.add((previous, t))
        previous = t
    expected = {p: pytest.approx(0.6 * max(lifted(p[0]), lifted(p[1]))) for p in pairs
                if max(lifted(p[0]), lifted(p[1])) > 0}
    assert phrases == expected
    assert (stem("flour"), stem("sugar")) not in phrases  # neither word is the niche's more than the entries'


def test_bm25f_with_context_words_uses_the_floored_robertson_sparck_jones_idf():
    vocab = vocabulary(niche(keywords=("payroll",), sections=()), EN, OWN, BG)
    entries = [("Bakeries and payroll", "bookkeeping cost"), ("Cost of bakeries", "payroll"),
               ("Cost cost", "bakeries"), ("Other things", "cost")]
    docs = [document(EN, t, s) for t, s in entries]
    found = [term_counts(vocab, d) for d in docs]
    index = Index.build(found, docs, vocab)
    n = len(docs)
    avg_t, avg_s = sum(len(d.title) for d in docs) / n, sum(len(d.summary) for d in docs) / n
    for doc, f in zip(docs, found, strict=True):
        match = bm25f(vocab, index, doc, f)
        raw, gains = 0.0, []
        for i in sorted(f):
            term = vocab.terms[i]
            df = sum(1 for other in found if i in other)
            if term.kind == "context":
                idf = max(0.0, math.log((n - df + 0.5) / (df + 0.5)))
            else:
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf_t, tf_s = f[i]
            tf = (3.0 / (0.5 + 0.5 * len(doc.title) / avg_t) * tf_t
                  + 1.0 / (0.25 + 0.75 * len(doc.summary) / avg_s) * tf_s)
            gain = term.weight * idf * tf / (1.2 + tf)
            if gain > 0:
                raw += gain
                gains.append((gain, term.label))
        assert match.raw == pytest.approx(raw, rel=1e-9)
        assert match.context == tuple(label for _, label in sorted(gains, key=lambda g: -g[0])
                                      if vocab.terms[[t.label for t in vocab.terms].index(label)].kind == "context")
        assert match.keywords == (1 if "payroll" in {t.label for t in (vocab.terms[i] for i in f)} else 0)
        keyword_words = sum(f[i][0] for i in f if vocab.terms[i].kind != "context")
        assert match.title_share == pytest.approx(keyword_words / len(doc.title))
    cost = next(i for i, t in enumerate(vocab.terms) if t.label == stem("cost"))
    assert index.idf(cost, "context") == 0.0  # every entry carries it: it says nothing


def test_one_entry_alone_and_an_entry_without_a_title():
    vocab = vocabulary(niche(), EN)
    doc = document(EN, "", "payroll")
    index = Index.build([term_counts(vocab, doc)], [doc], vocab)
    match = bm25f(vocab, index, doc, term_counts(vocab, doc))
    # one entry: average lengths are its own, so the summary's normalisation is 1; idf is log(1 + 0.5/1.5)
    tf = 1.0 / (0.25 + 0.75 * 1)
    assert match.raw == pytest.approx(math.log(1 + 0.5 / 1.5) * tf / (1.2 + tf))
    assert (match.title_share, match.in_title, match.in_summary) == (0.0, (), ("payroll",))


def test_terms_stored_in_the_feed_cache_are_used_as_they_are_and_anything_else_is_worked_out_again():
    stored = {EN.key: ["payroll cash", "flow"]}
    assert document(EN, "ignored", "ignored", stored) == Document(("payroll", "cash"), ("flow",))
    worked_out = document(EN, "Payroll", "Flows")
    for bad in ({EN.key: ["payroll"]}, {EN.key: ["a", 2]}, {EN.key: [1, "b"]}, {"xx": ["a", "b"]}, ["a", "b"], None,
                {EN.key: ("a", "b")}, {EN.key: ["a", "b", "c"]}):
        assert document(EN, "Payroll", "Flows", bad) == worked_out, bad


def test_the_vocabulary_keeps_each_term_once_at_its_strongest_kind_and_skips_what_has_no_words():
    n = niche(keywords=("payroll", "—"), sections=(("Money", ("payroll", "invoice", "…")),))
    vocab = vocabulary(n, EN)
    assert [(t.label, t.kind, t.weight) for t in vocab.terms] == [("payroll", "keyword", 1.0),
                                                                  ("invoice", "section", 0.6)]
    assert vocab.sections == (("Money", frozenset({0, 1})),)
