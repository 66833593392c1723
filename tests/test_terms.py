"""Index terms: Snowball stems in the niche's language, function words, and character pairs for
scripts written without spaces (curation/terms.py)."""

from __future__ import annotations

import pytest

from curator.curation.terms import Analyzer, analyzer, snowball_name


@pytest.mark.parametrize("lang, name", [
    ("en", "english"), ("  EN-gb ", "english"), ("pt_BR", "portuguese"), ("zz", None), ("", None),
])
def test_a_language_tag_names_its_snowball_algorithm(lang, name):
    assert snowball_name(lang) == name


def test_words_meet_their_stems_in_the_niches_language():
    assert analyzer("en").terms("Dentists, hygienists and scheduling") == ("dentist", "hygienist", "and", "schedul")
    assert analyzer("fr").terms("Les cabinets dentaires") == analyzer("fr").terms("le cabinet dentaire")
    assert analyzer("en").terms("") == ()


def test_text_is_normalised_before_it_is_cut_so_full_width_letters_are_the_same_words():
    assert analyzer("en").terms("\uff30\uff21\uff39\uff32\uff2f\uff2c\uff2c rules") == ("payrol", "rule")
    assert analyzer("en").terms("ﬁnance") == analyzer("en").terms("finance")   # a ligature


def test_a_script_without_spaces_becomes_its_character_pairs_and_a_lone_character_stays_one():
    en = analyzer("en")
    assert en.terms("歯科医院") == ("歯科", "科医", "医院")
    assert en.terms("歯 clinics") == ("歯", "clinic")
    assert en.terms("Café 診療所 dentists") == ("café", "診療", "療所", "dentist")


def test_a_language_without_a_stemmer_keeps_its_words_whole_and_its_marks_inside_them():
    plain = Analyzer("zz")
    assert plain.key == "none" and plain.stemmer is None
    assert plain.terms("Cafés 日本 clinics") == ("cafés", "日本", "clinics")
    assert plain.terms("नमस्ते दुनिया") == ("नमस्ते", "दुनिया")   # combining marks are part of the word
    assert plain.stop_terms == frozenset()


def test_function_words_come_from_the_stopwords_list_in_the_analyzers_own_terms():
    assert {"the", "and", "for"} <= analyzer("en").stop_terms
    assert "payrol" not in analyzer("en").stop_terms
    assert analyzer("en-GB").stop_terms == analyzer("en").stop_terms


def test_an_entrys_fields_are_its_title_and_summary_as_space_separated_terms():
    assert analyzer("en").fields("Payroll rules", "Dentists' deadlines") == ["payrol rule", "dentist deadlin"]


def test_the_surface_maps_each_term_to_the_first_word_as_written():
    assert analyzer("en").surface("Dentists and the dentist's hygienists") == {
        "dentist": "Dentists", "and": "and", "the": "the", "s": "s", "hygienist": "hygienists"}
    assert analyzer("en").surface("") == {}
    assert Analyzer("zz").surface("नमस्ते दुनिया") == {"नमस्ते": "नमस्ते", "दुनिया": "दुनिया"}
