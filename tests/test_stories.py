"""One story, one slot (curation/stories.py), by its rules one at a time.

The texts here are made-up term sequences ("t0 t1 ..."), so each test sets
exactly how many word pairs or words two entries share; test_relevance.py has
the same rules on real wording, through `choose`.
"""

from __future__ import annotations

from collections import Counter

import pytest

from curator.curation.score import Candidate
from curator.curation.stories import STORY_BONUS, STORY_MAX_SOURCES, group, shingles
from curator.curation.tracking import url_key


def cand(i: int, terms: str = "", *, title: str = "", url: str = "", guid: str = "", source: str = "",
         score: float | None = None) -> Candidate:
    url = url or f"https://x.example/{i}"
    return Candidate(url=url, title=title or f"Entry {i}", summary=terms, guid=guid, date=None,
                     source=source or f"S{i}", score=1.0 - i / 100 if score is None else score, section="",
                     why="", order=i, key=url_key(url))


def words(prefix: str, n: int, start: int = 0) -> str:
    return " ".join(f"{prefix}{k}" for k in range(start, start + n))


def interleaved(one: str, other: str, n: int) -> str:
    return " ".join(f"{one}{k} {other}{k}" for k in range(n))


def stories_of(cands, top=None, blocked=frozenset(), by_words=False, counted=False, entries=10):
    """The stories' members by order, stories by their first member (the terms are each candidate's
    summary, split). By words, every term weighs alike (in 1 of `entries`), or, `counted`, as often
    as these entries hold it."""
    terms = {c.order: tuple(c.summary.split()) for c in cands}
    options = {}
    if by_words or counted:
        seen = Counter(t for c in cands for t in set(terms[c.order]))
        options = {"words_of": lambda c: frozenset(terms[c.order]),
                   "occurrences": seen.__getitem__ if counted else (lambda t: 1),
                   "entries": len(cands) if counted else entries}
    found = group(cands, lambda c: shingles(terms[c.order]), blocked, top, **options)
    return sorted([[m.order for m in s.members] for s in found], key=lambda members: members[0])


def test_shingles_are_a_texts_word_pairs_and_a_one_word_text_is_its_word():
    assert shingles(("a", "b", "c")) == {("a", "b"), ("b", "c")}
    assert shingles(("a", "b")) == {("a", "b")}
    assert shingles(("a",)) == {"a"}
    assert shingles(()) == frozenset()


def test_the_same_url_guid_or_title_is_one_story_led_by_the_best_scored():
    cands = [cand(0, guid="tag:a,2026:1"), cand(1, title="Payroll: the calendar!"), cand(2),
             cand(3, guid="tag:a,2026:1", url="https://mirror.example/1"), cand(4, title="payroll THE calendar"),
             cand(5, title="Another title", url="https://x.example/2")]
    assert stories_of(cands) == [[0, 3], [1, 4], [2, 5]]
    assert stories_of(cands, top=3) == [[0, 3], [1, 4], [2, 5]]   # copies that only join a leader, by the same keys


def test_a_url_decides_before_a_guid_and_a_guid_before_a_title():
    cands = [cand(0, guid="g0"), cand(1, guid="g1", title="Payroll"),
             cand(2, guid="g1", url="https://x.example/0"),            # URL of 0, GUID of 1: 0's
             cand(3, guid="g0", title="Payroll", url="https://y.example/3")]  # GUID of 0, title of 1: 0's
    assert stories_of(cands) == [[0, 2, 3], [1]]


def test_copies_found_by_key_stay_one_story_however_different_their_texts():
    a = cand(0, f"k0 k1 {words('a', 30)}", guid="g")      # one word pair in common: no copy by their texts
    b = cand(1, f"k0 k1 {words('b', 30)}", guid="g", url="https://y.example/1")
    c = cand(2, f"k0 k1 {words('c', 30)}", guid="g", url="https://z.example/2")
    assert stories_of([a, b, c]) == [[0, 1, 2]]
    assert stories_of([a, b, c], top=1) == [[0, 1, 2]]
    assert stories_of([a, b, c], by_words=True) == [[0, 1, 2]]


def test_copies_share_a_third_of_their_word_pairs_or_half_of_the_shorter_texts():
    common = words("c", 15)  # 14 shared pairs
    a, b = cand(0, f"{common} {words('a', 16)}"), cand(1, f"{words('b', 16)} {common}")  # 30 pairs each
    assert stories_of([a, b]) == [[0, 1]]   # Jaccard 14/46 = 0.30 (the shorter's share: 0.47)
    a, b = cand(0, f"{words('c', 13)} {words('a', 18)}"), cand(1, f"{words('b', 18)} {words('c', 13)}")
    assert stories_of([a, b]) == [[0], [1]]   # 12 of 30 each: 0.25, and 0.4 of either
    long = cand(0, f"{words('c', 13)} {words('a', 28)}")  # 40 pairs
    short = cand(1, f"{words('c', 13)} {words('b', 7)}")  # 19 pairs, 12 of them shared with `long`
    assert stories_of([long, short]) == [[0, 1]]  # Jaccard 12/47 = 0.26, but 0.63 of the shorter one


def test_a_text_with_fewer_than_twelve_distinctive_pairs_is_told_by_its_keys_alone():
    assert stories_of([cand(0, words("c", 13)), cand(1, words("c", 13))]) == [[0, 1]]   # 12 pairs, all shared
    assert stories_of([cand(0, words("c", 12)), cand(1, words("c", 12))]) == [[0], [1]]  # 11


def test_pairs_in_more_than_four_entries_are_boilerplate_even_when_they_are_not_leaders():
    boiler = words("read", 9)  # 8 pairs every entry carries, and 6 of its own: 14
    cands = [cand(i, f"{words(f'own{i}x', 7)} {boiler}") for i in range(5)]
    assert stories_of(cands) == [[i] for i in range(5)]          # in 5 entries: boilerplate, left out
    assert stories_of(cands[:4]) == [[0, 1, 2, 3]]                # in 4: a story's own words
    assert stories_of(cands, top=2) == [[0], [1]]                 # counted over the others too


def test_the_copy_most_alike_joins_of_two_stories_it_could_join():
    a, b = cand(0, words("x", 31)), cand(1, words("y", 31))
    like_a = cand(2, f"{words('x', 20)} {words('y', 16)}")   # 19 of a's pairs (0.41), 15 of b's (0.30)
    like_b = cand(3, f"{words('x', 16)} {words('y', 20)}")
    assert stories_of([a, b, like_a]) == [[0, 2], [1]]
    assert stories_of([a, b, like_b]) == [[0], [1, 3]]


def test_of_two_stories_a_copy_is_as_like_it_joins_the_first():
    a, b = cand(0, words("x", 31)), cand(1, words("y", 31))
    both = cand(2, f"{words('x', 18)} {words('y', 18)}")      # 17 pairs of each: alike
    assert stories_of([a, b, both]) == [[0, 2], [1]]
    a, b = cand(0, interleaved("x", "a", 14)), cand(1, interleaved("y", "b", 14))
    both = cand(2, interleaved("x", "y", 14))                  # 14 of 28 words of each, no word pair
    assert stories_of([a, b, both], by_words=True) == [[0, 2], [1]]


def test_the_pair_rules_hold_at_their_bars():
    a = cand(0, f"{words('c', 10)} {words('a', 11)}")          # 20 pairs
    b = cand(1, f"{words('b', 10)} {words('c', 10)}")          # 19 pairs; 9 shared: Jaccard 9/30 = 0.3
    assert stories_of([a, b]) == [[0, 1]]
    long = cand(0, f"{words('c', 11)} {words('a', 30)}")       # 40 pairs
    short = cand(1, f"{words('c', 11)} {words('b', 10)}")      # 20 pairs, 10 shared: half of the shorter's
    assert stories_of([long, short]) == [[0, 1]]


def test_an_entry_sharing_none_of_the_leaders_uncommon_terms_is_told_by_its_keys_alone():
    text = words("x", 31)
    a, b = cand(0, text), cand(1, text)
    terms = {0: frozenset(text.split()), 1: frozenset(text.split())}
    found = group([a, b], lambda c: shingles(tuple(c.summary.split())), top=1,
                  rare_of=lambda c: frozenset({"only-the-leader-has-this"}), terms_of=lambda c: terms[c.order])
    assert [[m.order for m in story.members] for story in found] == [[0]]   # the same text, never compared
    found = group([a, b], lambda c: shingles(tuple(c.summary.split())), top=1,
                  rare_of=lambda c: frozenset({"x3"}), terms_of=lambda c: terms[c.order])
    assert [[m.order for m in story.members] for story in found] == [[0, 1]]


def test_a_key_decides_before_the_whole_text_of_a_wire_story():
    wire = words("w", 25)
    copies = [cand(i, wire) for i in range(7)]
    keyed = cand(8, wire, guid="g", url="https://y.example/8")   # the wire text, but the GUID of entry 9
    other = cand(9, words("o", 5), guid="g", url="https://z.example/9", score=0.935)   # ranked before it
    assert stories_of([*copies, other, keyed]) == [list(range(7)), [9, 8]]


def test_a_copy_is_compared_with_every_leader_not_only_the_first_that_shares_nothing():
    unrelated, original = cand(0, words("u", 31)), cand(1, words("x", 31))
    copy = cand(2, f"{words('x', 20)} {words('z', 11)}")
    assert stories_of([unrelated, original, copy]) == [[0], [1, 2]]


def test_the_leaders_word_pairs_are_counted_once_however_many_entries_follow():
    original, copy = cand(0, words("x", 31)), cand(1, f"{words('x', 20)} {words('z', 11)}")
    rest = [cand(i, words(f"r{i}x", 20)) for i in range(2, 8)]
    assert stories_of([original, copy, *rest], top=2) == [[0, 1]]


def test_a_wire_story_in_more_feeds_than_boilerplate_is_one_story_from_24_pairs_up():
    text = words("w", 25)   # 24 pairs, all of them in more than STORY_COMMON entries
    copies = [cand(i, text) for i in range(7)]
    assert stories_of(copies) == [list(range(7))]
    assert stories_of(copies, top=2) == [list(range(7))]   # copies that are not leaders join by the whole text
    shorter = [cand(i, words("w", 24)) for i in range(7)]  # 23 pairs: too few to tell from boilerplate
    assert stories_of(shorter) == [[i] for i in range(7)]


def test_a_score_is_rounded_only_when_further_sources_raise_it():
    (alone,) = group([cand(0, score=0.12346)], lambda c: frozenset())
    assert alone.lead.score == 0.12346
    (raised,) = group([cand(0, guid="g", score=0.12346), cand(1, guid="g", source="B", score=0.1)],
                       lambda c: frozenset())
    assert raised.lead.score == 0.1358   # 0.135806, to four places


def test_a_story_any_copy_of_which_is_blocked_is_left_out_whole_and_the_rest_stay():
    cands = [cand(0, guid="g"), cand(1), cand(2, guid="g", url="https://b.example/sent"), cand(3)]
    assert stories_of(cands, blocked={url_key("https://b.example/sent")}) == [[1], [3]]


def test_only_the_best_top_entries_not_blocked_lead_and_the_others_only_join():
    cands = [cand(0), cand(1), cand(2), cand(3, title="Entry 1", url="https://c.example/3"), cand(4)]
    assert stories_of(cands, top=2, blocked={url_key("https://x.example/0")}) == [[1, 3], [2]]


@pytest.mark.parametrize("sources, bonus", [(1, 1), (2, 2), (5, STORY_MAX_SOURCES)])
def test_each_further_source_raises_the_story_by_a_tenth_up_to_three(sources, bonus):
    lead = cand(0, guid="g", source="A", score=0.5)
    copies = [cand(i, guid="g", source=f"B{i}", score=0.4) for i in range(1, sources + 1)]
    same_source = cand(9, guid="g", source="A", score=0.3)
    (story,) = group([lead, *copies, same_source], lambda c: frozenset())
    assert story.lead.score == pytest.approx(0.5 * (1 + STORY_BONUS * bonus))
    assert story.other_sources == tuple(f"B{i}" for i in range(1, sources + 1))


def test_a_rewrite_shares_045_of_the_lighter_texts_weight_and_025_of_both_texts():
    # (The word pairs they share are too few for the pair rules: 9 of 20 at most.)
    common, a, b = words("w", 10), words("a", 11), words("b", 11)  # 10 of 21 words shared: 0.48, 0.31 of both
    assert stories_of([cand(0, f"{common} {a}"), cand(1, f"{b} {common}")], by_words=True) == [[0, 1]]
    assert stories_of([cand(0, f"{common} {a}"), cand(1, f"{b} {common}")]) == [[0], [1]]   # by pairs: no
    fewer = words("w", 8)                                            # 8 of 19: 0.42 (though 0.27 of both)
    assert stories_of([cand(0, f"{fewer} {a}"), cand(1, f"{b} {fewer}")], by_words=True) == [[0], [1]]
    contained = cand(1, f"{words('w', 12)}")                        # all 12 of its words in the other's 60:
    heavy = cand(0, f"{words('w', 12)} {words('a', 48)}")           # 1.0 of the lighter, 0.2 of both
    assert stories_of([heavy, contained], by_words=True) == [[0], [1]]
    twelve = words("t", 12)                                         # 12 telling words: enough to tell
    assert stories_of([cand(0, twelve), cand(1, twelve)], by_words=True) == [[0, 1]]
    assert stories_of([cand(0, words("t", 11)), cand(1, words("t", 11))], by_words=True) == [[0], [1]]
    # A word in one entry of four is telling (log 4 = 1.39); of 2, not (0.69).
    assert stories_of([cand(0, twelve), cand(1, twelve)], by_words=True, entries=4) == [[0, 1]]
    assert stories_of([cand(0, twelve), cand(1, twelve)], by_words=True, entries=2) == [[0], [1]]


def test_a_short_leader_is_not_compared_by_words_with_the_entries_after_it():
    short, long = cand(0, words("w", 5)), cand(1, f"{words('w', 5)} {words('a', 20)}")
    assert stories_of([short, long], by_words=True) == [[0], [1]]


def test_words_every_entry_holds_weigh_nothing_so_templated_entries_are_not_one_story():
    template = "what owners should know about the payroll change with the numbers worked out for you"
    notes = [cand(i, f"{template} note{i}") for i in range(12)]
    assert stories_of(notes, counted=True) == [[i] for i in range(12)]


def test_only_the_best_hundred_leaders_are_compared_by_words_with_every_entry():
    # Comparing every entry with every other by words is O(n²) when a draft cannot fill and every
    # entry leads; the draft shows a dozen stories, so only the best STORY_WORDED leaders are kept.
    from curator.curation.stories import STORY_WORDED

    original, rewrite = interleaved("x", "a", 14), interleaved("x", "b", 14)   # 14 of 28 words shared

    def fill(n):
        return [cand(i, words(f"u{i}x", 14), score=3.0 - i / 1000) for i in range(1, n + 1)]

    last = [*fill(STORY_WORDED - 1), cand(500, original, score=1.0), cand(999, rewrite, score=0.0)]
    assert [500, 999] in stories_of(last, by_words=True)            # the 100th leader is compared
    beyond = [*fill(STORY_WORDED), cand(500, original, score=1.0), cand(999, rewrite, score=0.0)]
    found = stories_of(beyond, by_words=True)
    assert [500] in found and [999] in found                        # the 101st is not
