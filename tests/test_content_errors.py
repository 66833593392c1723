"""Editors' mistakes: each gives one error naming the file, the key and the fix."""

from __future__ import annotations

import datetime as dt

import pytest

from curator.documents import ContentError, dumps, load, write_atomic
from curator.issues import load_all_issues
from curator.niches import load_niche, load_niches
from curator.picks import load_picks
from support.project import write

NICHE = """---
title: Dental practices
cadence: monthly
keywords: [dental, collections]
feeds:
  - url: https://feeds.example/dental.xml
    name: Dental Journal
    weight: 1.0
email:
  from: "Clearwater <letters@clearwater.example>"
  unsubscribe: "mailto:unsubscribe@clearwater.example"
---
Hub text.
"""


def niche_file(tmp_path, text=NICHE, slug="dental"):
    return write(tmp_path / "niches" / f"{slug}.md", text)


def error_for(func, *args) -> ContentError:
    with pytest.raises(ContentError) as info:
        func(*args)
    return info.value


def test_a_valid_niche_loads_with_defaults(tmp_path):
    niche = load_niche(str(niche_file(tmp_path)))
    assert niche.slug == "dental"
    assert (niche.max_links, niche.per_source, niche.cadence_days) == (7, 2, 28)
    assert niche.feeds[0].is_remote and niche.feeds[0].name == "Dental Journal"
    assert niche.email.reply_to == niche.email.from_
    assert niche.email.unsubscribe_mailto == "mailto:unsubscribe@clearwater.example"


def test_front_matter_that_is_not_yaml_names_the_file_and_line(tmp_path):
    path = niche_file(tmp_path, NICHE.replace("title: Dental practices", "title: [Dental: practices"))
    err = error_for(load_niche, str(path))
    assert err.path == str(path)
    assert "not valid YAML at line" in str(err)
    assert "fix:" in str(err)


def test_a_file_without_front_matter_says_how_to_start_one(tmp_path):
    path = write(tmp_path / "niches" / "x.md", "just text\n")
    assert "start the file with a line '---'" in str(error_for(load_niche, str(path)))


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("cadence: monthly", "cadence: fortnightly", "cadence", "weekly, biweekly, monthly"),
        ("cadence: monthly", "cadence: monthly\nmax_links: seven", "max_links", "whole number"),
        ("cadence: monthly", "cadence: monthly\nper_source: 0", "per_source", "at least 1"),
        ("keywords: [dental, collections]", "keywords: {dental: 1}", "keywords", "list of words"),
        ("url: https://feeds.example/dental.xml", "url: 'htp:/bad url'", "feeds[0].url", "http(s) URL"),
        ("url: https://feeds.example/dental.xml", "url: 'https://exa mple.org/feed'", "feeds[0].url", "not a URL"),
        ("weight: 1.0", "weight: heavy", "feeds[0].weight", "number"),
        ('  unsubscribe: "mailto:unsubscribe@clearwater.example"', '  unsubscribe: "call us"', "email.unsubscribe", "mailto:"),
        ('  unsubscribe: "mailto:unsubscribe@clearwater.example"', '  unsubscribe: "https://clearwater.example/désabonner"',
         "email.unsubscribe", "percent-encode"),
        ("title: Dental practices\n", "", "title", "is missing"),
    ],
)
def test_a_wrong_niche_value_names_the_key_and_an_example(tmp_path, old, new, key, words):
    assert old in NICHE
    path = niche_file(tmp_path, NICHE.replace(old, new))
    err = error_for(load_niche, str(path))
    assert err.key == key
    assert err.path == str(path)
    assert words in str(err)
    assert err.fix


def test_an_unknown_niche_key_is_a_warning_that_suggests_the_right_one(tmp_path, caplog):
    path = niche_file(tmp_path, NICHE.replace("cadence: monthly", "cadence: monthly\nkeyword: [x]"))
    load_niche(str(path))
    assert "unknown key 'keyword'" in caplog.text and "did you mean 'keywords'" in caplog.text


def issue_text(niche="dental", number=1, date="2026-10-01", status="published", **extra):
    meta = {"niche": niche, "number": number, "date": dt.date.fromisoformat(date), "status": status,
            "subject": "Five links", "links": [{"url": "https://a.example/x", "title": "A", "note": "Helps."}]}
    meta.update(extra)
    return dumps(meta, "Dear reader,")


def test_an_issue_for_a_niche_that_does_not_exist_is_refused(tmp_path):
    niche_file(tmp_path)
    write(tmp_path / "newsletters" / "bakeries" / "2026-10-01.md", issue_text(niche="bakeries"))
    err = error_for(load_all_issues, str(tmp_path / "newsletters"), load_niches(str(tmp_path / "niches")))
    assert err.key == "niche" and "'bakeries'" in str(err) and "known: dental" in str(err)


def test_two_issues_with_the_same_number_are_refused(tmp_path):
    niche_file(tmp_path)
    write(tmp_path / "newsletters" / "dental" / "2026-10-01.md", issue_text(number=3))
    second = write(tmp_path / "newsletters" / "dental" / "2026-11-01.md", issue_text(number=3, date="2026-11-01"))
    err = error_for(load_all_issues, str(tmp_path / "newsletters"), load_niches(str(tmp_path / "niches")))
    assert err.path == str(second) and err.key == "number" and "2026-10-01.md" in str(err)


def test_an_issue_link_that_is_not_http_is_refused(tmp_path):
    niche_file(tmp_path)
    write(tmp_path / "newsletters" / "dental" / "2026-10-01.md",
          issue_text(links=[{"url": "javascript:alert(1)", "title": "x"}]))
    err = error_for(load_all_issues, str(tmp_path / "newsletters"), load_niches(str(tmp_path / "niches")))
    assert err.key == "links[0].url"


def test_a_hand_picked_link_without_a_note_is_refused(tmp_path):
    niche_file(tmp_path)
    path = write(tmp_path / "links" / "irs.md", "---\nurl: https://www.irs.gov/x\ntitle: IRS\nniches: [dental]\n---\n")
    (err,) = load_picks(str(tmp_path / "links"), load_niches(str(tmp_path / "niches")), str(tmp_path)).errors
    assert err.path == str(path) and err.key == "note" and "why this link helps" in str(err)


def test_a_hand_picked_link_for_an_unknown_niche_lists_the_known_ones(tmp_path):
    niche_file(tmp_path)
    write(tmp_path / "links" / "irs.md", "---\nurl: https://www.irs.gov/x\ntitle: IRS\nniches: [dentl]\nnote: Helps.\n---\n")
    (err,) = load_picks(str(tmp_path / "links"), load_niches(str(tmp_path / "niches")), str(tmp_path)).errors
    assert err.key == "niches" and "known: dental" in str(err)


def test_write_atomic_never_replaces_an_editors_file_when_asked_not_to(tmp_path):
    path = tmp_path / "issue.md"
    path.write_text("the editor's words\n", encoding="utf-8")
    assert write_atomic(str(path), "machine text\n", overwrite=False) is False
    assert path.read_text(encoding="utf-8") == "the editor's words\n"
    assert [p.name for p in tmp_path.iterdir()] == ["issue.md"]  # no temp file left


def test_dumps_round_trips_awkward_text(tmp_path):
    meta = {"title": "Tax: what's \"due\" — 100% # not a comment", "note": "- a dash\n: colon", "n": "007"}
    path = write(tmp_path / "x.md", dumps(meta, "Body"))
    post = load(str(path))
    assert post.metadata == meta and post.content == "Body"
