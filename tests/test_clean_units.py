"""clean's small pieces, each a rule a reader would see broken: where a long title or summary is cut,
what an entry keeps, and when entries reused from the feed cache are cleaned again."""

from __future__ import annotations

import pytest

from curator.curation.clean import (
    CLEANER_VERSION,
    TEXT,
    TITLE_MAX_CHARS,
    URL_MAX_CHARS,
    absolute_link,
    analyse_entries,
    analysed_keys,
    clean_entry,
    clean_text_links,
    cleaned_stamp,
    cut_chars,
    cut_words,
    reclean_entries,
)
from curator.curation.terms import analyzer
from curator.curation.tracking import url_key


@pytest.mark.parametrize(("text", "limit", "cut"), [
    ("short", 5, "short"),                                    # exactly the limit: kept whole
    ("abcdef", 5, "abcde…"),                                  # no space in the second half: cut mid-word
    ("one two three four", 10, "one two…"),                   # back to the last space in the second half
    ("a bcdefghijkl", 10, "a bcdefghi…"),                      # the only space is in the first half: not used
    ("one, two; three", 10, "one, two…"),                     # punctuation before the cut goes
    ("one two.. three", 9, "one two…"),
])
def test_a_long_text_is_cut_at_a_space_in_its_second_half_with_an_ellipsis(text, limit, cut):
    assert cut_chars(text, limit) == cut


@pytest.mark.parametrize(("text", "words", "cut"), [
    ("one two three", 3, "one two three"),
    ("one two three four", 3, "one two three…"),
    ("one two, three four", 2, "one two…"),
    ("one two— three", 2, "one two…"),
])
def test_a_summary_is_cut_after_whole_words_without_trailing_punctuation(text, words, cut):
    assert cut_words(text, words) == cut


def test_a_link_is_made_absolute_against_the_first_web_base_and_refused_when_too_long_or_baseless():
    assert absolute_link("/p", "", "https://a.example/feed", "https://b.example/") == "https://a.example/p"
    assert absolute_link("/p", "ftp://x.example/", "https://b.example/x") == "https://b.example/p"
    assert absolute_link("/p") is None and absolute_link("p", "/local/feed.xml") is None
    long = "https://a.example/" + "x" * (URL_MAX_CHARS - len("https://a.example/"))
    assert absolute_link(long) == long and absolute_link(long + "y") is None
    assert absolute_link("https://bit.ly/3abc") is None  # a click counter with no target inside


def test_links_in_plain_text_are_cleaned_and_keep_the_punctuation_after_them():
    assert clean_text_links("See https://a.example/p?utm_source=x, then https://b.example/q.") == \
        "See https://a.example/p, then https://b.example/q."
    assert clean_text_links("Short: https://bit.ly/3abc; done") == "Short: done"  # a click counter goes, whole
    assert clean_text_links("no links  here") == "no links  here"  # nothing to do: left as it is


RAW = {"title": "A <b>bold</b> title", "link": "/post?utm_source=feed", "summary": "<p>One two three four</p>",
       "guid": "g" * 600, "date": "2026-11-20T10:00:00+00:00"}


def test_an_entry_keeps_its_cleaned_fields_its_date_and_its_dedup_key():
    entry = clean_entry(dict(RAW), "https://a.example/feed", "", 3)
    assert entry == {"title": "A bold title", "url": "https://a.example/post", "summary": "One two three…",
                     "guid": "g" * 500, "date": "2026-11-20T10:00:00+00:00", "key": url_key("https://a.example/post")}
    based = clean_entry({**RAW, "base": "https://base.example/dir/"}, "https://a.example/feed", "", 3)
    assert based["url"] == "https://base.example/post"  # xml:base first


def test_a_summary_is_at_most_twelve_characters_a_word_and_a_titleless_entry_borrows_twelve_words():
    words = " ".join(["w" * 30] * 5)
    assert len(clean_entry({**RAW, "summary": words}, "https://a.example/", "", 3)["summary"]) <= 3 * 12 + 1
    long = " ".join(f"word{i}" for i in range(20))
    borrowed = clean_entry({**RAW, "title": "", "summary": long}, "https://a.example/", "", 40)
    assert borrowed["title"] == " ".join(f"word{i}" for i in range(12)) + "…"
    assert clean_entry({**RAW, "title": "", "summary": ""}, "https://a.example/", "", 40) is None
    assert len(clean_entry({**RAW, "title": "t " * 300}, "https://a.example/", "", 40)["title"]) <= TITLE_MAX_CHARS + 1


def test_a_text_field_says_so_and_an_empty_text_summary_does_not():
    entry = clean_entry({**RAW, "title": "x < y", "title_type": TEXT, "summary": "<b>", "summary_type": TEXT},
                        "https://a.example/", "", 40)
    assert (entry["title"], entry["title_type"], entry["summary"], entry["summary_type"]) == (
        "x < y", TEXT, "<b>", TEXT)
    html = clean_entry(dict(RAW), "https://a.example/", "", 40)
    assert "title_type" not in html and "summary_type" not in html
    empty = clean_entry({**RAW, "summary": "", "summary_type": TEXT}, "https://a.example/", "", 40)
    assert "summary_type" not in empty


def test_each_entry_carries_its_terms_for_each_language_and_the_stamp_names_them():
    entries = [clean_entry(dict(RAW), "https://a.example/", "", 40)]
    analyse_entries(entries, ("en", "fr"))
    en, fr = analyzer("en"), analyzer("fr")
    assert entries[0]["terms"] == {en.key: en.fields("A bold title", "One two three four"),
                                   fr.key: fr.fields("A bold title", "One two three four")}
    assert analysed_keys(("fr", "en", "en")) == ",".join(sorted({en.key, fr.key}))
    assert analyse_entries([{"title": "t"}], ()) == [{"title": "t"}]


def test_the_stamp_changes_with_the_cleaner_the_summary_length_and_the_languages():
    stamp = cleaned_stamp(40, ("en",))
    version, words, keys = stamp.split(":")
    assert (int(version), int(words), keys) == (CLEANER_VERSION, 40, analyzer("en").key)
    assert cleaned_stamp(41, ("en",)) != stamp != cleaned_stamp(40, ("fr",))
    assert cleaned_stamp(40, ("en", "en")) == stamp


def test_entries_reused_from_the_cache_are_kept_when_stamped_by_this_cleaner_and_cleaned_again_otherwise():
    # (A file edited by hand loses its stamp when it is read: test_fetch's seal tests.)
    entries = [clean_entry(dict(RAW), "https://a.example/", "", 40)]
    stamp = cleaned_stamp(40)
    assert reclean_entries(entries, 40, stamp) is entries
    assert reclean_entries(entries, 40, stamp + "x") == entries and reclean_entries(entries, 40, stamp + "x") \
        is not entries
    edited = [{**entries[0], "title": "<script>x</script>Edited <i>by hand</i>"}]
    assert reclean_entries(edited, 40, None)[0]["title"] == "Edited by hand"
    assert reclean_entries(edited, 41, stamp)[0]["title"] == "Edited by hand"
    assert reclean_entries("not a list", 40, stamp) == [] and reclean_entries(None, 40) == []


def test_damaged_cache_entries_are_dropped_one_by_one_and_the_rest_cleaned_again():
    good = clean_entry(dict(RAW), "https://a.example/", "", 40)
    damaged = ["junk", {"title": "", "url": ""}, {**good, "date": 20261120}, {**good, "url": "https://b.example/x"}]
    again = reclean_entries(damaged, 40, "old")
    assert [e["url"] for e in again] == [good["url"], "https://b.example/x"]
    assert again[0]["date"] is None and again[1]["date"] == good["date"]
    assert again[1]["title"] == good["title"] and again[1]["summary"] == good["summary"]
    text = {**good, "title": "x < y", "title_type": TEXT}
    assert reclean_entries([text], 40, "old")[0]["title"] == "x < y"
