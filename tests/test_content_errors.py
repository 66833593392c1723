"""Editors' mistakes: each gives one error naming the file, the key and the fix."""

from __future__ import annotations

import datetime as dt

import pytest

from curator.model.documents import ContentError, dumps, load, write_atomic
from curator.model.issues import load_all_issues
from curator.model.niches import load_niche, load_niches
from curator.model.picks import load_picks
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
        (
            '  unsubscribe: "mailto:unsubscribe@clearwater.example"',
            '  unsubscribe: "call us"',
            "email.unsubscribe",
            "mailto:",
        ),
        (
            '  unsubscribe: "mailto:unsubscribe@clearwater.example"',
            '  unsubscribe: "https://clearwater.example/désabonner"',
            "email.unsubscribe",
            "percent-encode",
        ),
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
    err = error_for(load_picks, str(tmp_path / "links"), load_niches(str(tmp_path / "niches")))
    assert err.path == str(path) and err.key == "note" and "why this link helps" in str(err)


def test_a_hand_picked_link_for_an_unknown_niche_lists_the_known_ones(tmp_path):
    niche_file(tmp_path)
    write(
        tmp_path / "links" / "irs.md",
        "---\nurl: https://www.irs.gov/x\ntitle: IRS\nniches: [dentl]\nnote: Helps.\n---\n",
    )
    err = error_for(load_picks, str(tmp_path / "links"), load_niches(str(tmp_path / "niches")))
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


# --- niche slugs and header values (issue 12, items 14 and 15) --------------------------------------

@pytest.mark.parametrize(("name", "suggestion"), [
    ("librairies-québec", "librairies-quebec"), ("my niche", "my-niche"), ("Dental", "dental"),
    ("a" * 61, "a" * 60), ("dental_practices", "dental-practices"), ("-dental", "dental"),
])
def test_a_niche_slug_that_cannot_go_into_a_url_or_header_names_the_file_and_the_allowed_form(
    tmp_path, name, suggestion
):
    path = niche_file(tmp_path, slug=name)
    err = error_for(load_niches, str(tmp_path / "niches"))
    assert err.path == str(path)
    assert "a-z, 0-9 and hyphens" in str(err) and "1-60" in str(err)
    assert f"rename the file to {suggestion}.md" in err.fix


def test_a_slug_of_sixty_plain_characters_is_fine(tmp_path):
    niche_file(tmp_path, slug="a" * 30 + "-" + "b" * 29)
    assert list(load_niches(str(tmp_path / "niches"))) == ["a" * 30 + "-" + "b" * 29]


CONTROLS = ["\t", "\x00", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\r", "\n"]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize(("old", "key"), [
    ('  from: "Clearwater <letters@clearwater.example>"', "email.from"),
    ('  unsubscribe: "mailto:unsubscribe@clearwater.example"', "email.unsubscribe"),
    ("title: Dental practices", "title"),
])
def test_a_control_character_in_a_header_value_is_refused_naming_file_and_key(tmp_path, char, old, key):
    key_name, value = old.strip().split(": ", 1)
    value = value.strip('"')
    cut = value.index("@") if "@" in value else 6
    bad = dumps({"v": value[:cut] + char + value[cut:]}).split("v: ", 1)[1].rstrip("-\n")  # YAML escapes it
    path = niche_file(tmp_path, NICHE.replace(old, old.split(": ")[0] + ": " + bad.strip()))
    err = error_for(load_niche, str(path))
    assert err.key == key and err.path == str(path), str(err)
    assert "cannot go into an email header" in str(err) and "one line" in err.fix


@pytest.mark.parametrize("address", [
    "mailto:stop@clearwater.example>, <https://evil.example/x", "mailto:stop@clearwater.example,evil@x.example",
    "https://clearwater.example/stop now", "https://clearwater.example/<stop", "mailto:stop@clearwater.example?x=\"y",
])
def test_an_unsubscribe_address_that_would_smuggle_a_second_uri_is_refused(tmp_path, address):
    path = niche_file(tmp_path, NICHE.replace('"mailto:unsubscribe@clearwater.example"', repr(address)))
    err = error_for(load_niche, str(path))
    assert err.key == "email.unsubscribe" and "List-Unsubscribe" in str(err) and "percent-encode" in err.fix


@pytest.mark.parametrize(("key", "value", "words"), [
    ("from", "a@clearwater.example, b@clearwater.example", "one email address, not 2"),
    ("from", "Clearwater letters", "not an email address"),
    ("reply_to", "Dana <dana@clearwater.example>, Eve <eve@evil.example>", "one email address, not 2"),
    ("reply_to", "dana@", "not an email address"),
])
def test_from_and_reply_to_are_each_exactly_one_mailbox(tmp_path, key, value, words):
    text = NICHE.replace('  from: "Clearwater <letters@clearwater.example>"',
                         '  from: "Clearwater <letters@clearwater.example>"\n  reply_to: "x@clearwater.example"')
    text = re_sub_key(text, key, value)
    err = error_for(load_niche, str(niche_file(tmp_path, text)))
    assert err.key == f"email.{key}" and words in str(err), str(err)


def re_sub_key(text: str, key: str, value: str) -> str:
    import re

    return re.sub(rf'^  {key}: .*$', f"  {key}: {value!r}", text, count=1, flags=re.M)


def test_several_mistakes_in_one_niche_file_are_all_reported_at_once(tmp_path):
    text = (
        NICHE.replace("cadence: monthly", "cadence: fortnightly\nmax_links: seven")
        .replace("weight: 1.0", "weight: heavy")
        .replace('"Clearwater <letters@clearwater.example>"', '"a@x.example, b@x.example"')
    )
    err = error_for(load_niche, str(niche_file(tmp_path, text, slug="Dental Practices")))
    keys = [e.key for e in err.errors]
    assert keys == [None, "feeds[0].weight", "cadence", "max_links", "email.from"], [str(e) for e in err.errors]
    assert str(err).count("\n") == 5  # a heading line, then one line per error


# --- issue file names (item 16) --------------------------------------------------------------------

@pytest.mark.parametrize(("name", "fix"), [
    ("2026-1-5.md", "rename it to 2026-01-05.md"),
    ("notes.md", "rename it to the issue's date"),
    ("2026-11-22-draft.md", "rename it to 2026-11-22.md (a draft is marked by status: draft"),
    ("2027-02-30.md", "the issue's real date"),
    ("2026-11-22.markdown", "rename it to 2026-11-22.md (issue files end in .md)"),
    ("2026/2026-11-22.md", "move it to"),
])
def test_an_issue_file_that_is_not_named_yyyy_mm_dd_md_is_an_error_naming_it_and_the_fix(tmp_path, name, fix):
    niche_file(tmp_path)
    write(tmp_path / "newsletters" / "dental" / "2026-10-01.md", issue_text())
    path = write(tmp_path / "newsletters" / "dental" / name, issue_text(number=2, date="2026-11-22"))
    err = error_for(load_all_issues, str(tmp_path / "newsletters"), load_niches(str(tmp_path / "niches")))
    assert err.path == str(path) and fix in err.fix, str(err)


def test_files_that_are_not_markdown_are_left_alone_in_an_issue_folder(tmp_path):
    """README.txt, a PDF: Pelican never reads content/newsletters/, so nothing there is published but
    the issues; the editor may keep notes next to them."""
    niche_file(tmp_path)
    write(tmp_path / "newsletters" / "dental" / "2026-10-01.md", issue_text())
    write(tmp_path / "newsletters" / "dental" / "README.txt", "my notes")
    write(tmp_path / "newsletters" / "dental" / ".2026-10-01.md.swp", "an editor's swap file")
    issues = load_all_issues(str(tmp_path / "newsletters"), load_niches(str(tmp_path / "niches")))
    assert [i.number for i in issues["dental"]] == [1]


def test_an_issue_outside_a_niche_folder_is_an_error(tmp_path):
    niche_file(tmp_path)
    path = write(tmp_path / "newsletters" / "2026-10-01.md", issue_text())
    err = error_for(load_all_issues, str(tmp_path / "newsletters"), load_niches(str(tmp_path / "niches")))
    assert err.path == str(path) and "newsletters/<niche>/" in err.fix


def test_an_issue_whose_date_disagrees_with_its_file_name_is_an_error(tmp_path):
    """The name orders the archive and is where curation looks; the date is what readers see: one
    issue must not have two dates."""
    niche_file(tmp_path)
    path = write(tmp_path / "newsletters" / "dental" / "2026-10-01.md", issue_text(date="2026-10-08"))
    err = error_for(load_all_issues, str(tmp_path / "newsletters"), load_niches(str(tmp_path / "niches")))
    assert err.path == str(path) and err.key == "date"
    assert "2026-10-08.md" in err.fix and "date: 2026-10-01" in err.fix


def test_every_bad_issue_file_is_reported_in_one_pass(tmp_path):
    niche_file(tmp_path)
    folder = tmp_path / "newsletters" / "dental"
    write(folder / "2026-10-01.md", issue_text(status="publish"))
    write(folder / "2026-11-01.md", issue_text(number="two", date="2026-11-01", links="none"))
    write(folder / "notes.md", issue_text(number=3))
    err = error_for(load_all_issues, str(tmp_path / "newsletters"), load_niches(str(tmp_path / "niches")))
    assert sorted((e.path.rsplit("/", 1)[1], e.key) for e in err.errors) == [
        ("2026-10-01.md", "status"), ("2026-11-01.md", "links"), ("2026-11-01.md", "number"), ("notes.md", None)]


def test_the_mail_domain_is_a_valid_domain_or_a_settings_error():
    from curator.model.headers import domain
    from curator.model.settings import SettingsError

    assert domain({"SITE_DOMAIN": "Clearwater.Example"}) == "clearwater.example"
    assert domain({"SITE_DOMAIN": "café.example"}) == "xn--caf-dma.example"  # IDNA, as DNS has it
    assert domain({"SITEURL": "https://news.example.org/site"}) == "news.example.org"
    for bad in ("my site", "a@b", "x..y"):
        with pytest.raises(SettingsError, match="SITE_DOMAIN"):
            domain({"SITE_DOMAIN": bad})
