"""Property tests (hypothesis) for what the hostile corpus cannot enumerate.

* The text cleaner never returns markup: not as it is, not once a careless template
  unescapes it again, not when pasted raw into a page (Pelican's Jinja does not
  autoescape) - and no control, bidi-override or line-break character survives.
* The draft writer round-trips any title, note, summary and why through YAML: what
  curation wrote is what `issues.load_issue` reads back, so no feed text can add a
  key, end the front matter or change an issue's status; libyaml and the Python emitter
  write the same front matter.
* Emails wrap plain text as textwrap does, and carry any text exactly (quoted-printable, no ">From" mangling) in short
  ASCII lines.
"""

from __future__ import annotations

import datetime as dt
import email
import html
import re
import textwrap
from email import policy

import pytest
import yaml
from bs4 import BeautifulSoup, Comment, Declaration, Doctype, ProcessingInstruction
from hypothesis import example, given, settings
from hypothesis import strategies as st

from curator.build.emails import fill, mime_body
from curator.curation import clean
from curator.curation.clean import TITLE_MAX_CHARS, clean_entries, cut_chars, plain_text, reclean_entries
from curator.curation.drafts import render
from curator.curation.score import Candidate
from curator.model import documents
from curator.model.documents import loads
from curator.model.issues import load_issue
from curator.model.niches import load_niche
from support.budget import examples
from support.feedserver import niche_text
from support.project import write

TAG = re.compile(r"</?[a-zA-Z!?]")
FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f]")

# Pieces strangers' feeds are made of: tags, attributes, handlers, entities in every spelling, CDATA, comments.
PIECES = ["<", ">", "</", "/>", "<!--", "-->", "<![CDATA[", "]]>", "<?", "?>", "<!DOCTYPE html>", "script", "img",
          "svg", "iframe", "style", "b", "a", " ", "=", '"', "'", "src=x", "onerror=", "onload=", "href=",
          "javascript:", "alert(1)", "&lt;", "&gt;", "&amp;", "&amp;lt;", "&#60;", "&#x3C;", "&#x3c", "&LT;",
          "&lt", "&#0;", "&#x202e;", "&#13;&#10;", "\u202e", "\x00", "\r\n", "\t", "é", "😀", "x", "1",
          "/", "&", "lt;", "gt;", "amp;", "!--", "onerror", "\n"]  # the pieces of test_clean's former copy
markup = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
tags = st.builds(
    lambda name, attr, body, escape: (
        f"<{name} {attr}>{body}</{name}>" if not escape else html.escape(f"<{name} {attr}>{body}</{name}>")
    ),
    st.sampled_from(["script", "img", "svg", "b", "a", "iframe", "p", "style", "math", "details"]),
    st.sampled_from(["", "onerror=alert(1)", 'src="x"', "href='javascript:alert(1)'", "style=x:expression(1)"]),
    markup,
    st.booleans(),
)
hostile_text = st.one_of(markup, tags, st.lists(st.one_of(tags, markup), max_size=4).map("".join),
                         st.text(max_size=200))


@settings(max_examples=examples(500), deadline=None)
@given(st.text(max_size=300).map(lambda t: t.replace("<", "").replace("&", "")))
def test_text_without_tags_or_entities_takes_the_short_path_to_the_same_result(text):
    assert plain_text(text) == clean._plain_markup(text)


def assert_no_markup(out: str) -> None:
    assert not TAG.search(out), out
    assert not TAG.search(html.unescape(out)), f"markup once unescaped again: {out!r}"
    page = BeautifulSoup(f"<p>{out}</p>", "html.parser")
    (para,) = page.find_all(True)
    assert para.name == "p" and not para.find_all(True), f"raw in a page it makes elements: {out!r}"
    assert not [n for n in para.descendants if isinstance(n, (Comment, Declaration, Doctype, ProcessingInstruction))]
    assert not FORBIDDEN.search(out), f"control or bidi character in {out!r}"
    assert out == out.strip()


@settings(max_examples=examples(600), deadline=None)
@given(hostile_text)
@example("&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;")
@example("<scr<script>ipt>alert(1)</scr</script>ipt>")
@example("&lt;<b></b>img src=x onerror=alert(1)&gt;")
@example("<<b></b>!-- -->")
def test_the_text_cleaner_never_returns_markup(text):
    assert_no_markup(plain_text(text))
    assert_no_markup(cut_chars(plain_text(text), TITLE_MAX_CHARS))


# ------------------------------------------------------------------- flattening deep nesting changes no text

def _element(name: str, attrs: str = ""):
    return lambda inner: f"<{name}{attrs}>{inner}</{name}>"


words = st.lists(
    st.sampled_from(["ledger", "Payroll", "tips", "&amp;", "caf\u00e9", "2026", "a", "\u00a0", "\u65e5\u672c"]),
    min_size=1,
    max_size=4,
).map(" ".join)
attrs = st.sampled_from(
    ["", ' class="x"', " id=a1", " href='https://a.example/?a=1&amp;b=2'", ' title="a>b"', ' data-x="<b>"']
)
inline = st.sampled_from(["b", "i", "em", "strong", "a", "span", "code", "small", "u", "s", "font", "sup", "abbr"])
block = st.sampled_from(["p", "div", "blockquote", "section", "article", "h2", "h3", "figure", "figcaption", "dd"])


def ordinary(children):
    """Markup as feeds write it: paragraphs, lists, quotes, inline formatting, images, closed embeds."""
    return st.one_of(
        st.builds(lambda n, a, c: f"<{n}{a}>{c}</{n}>", inline, attrs, children),
        st.builds(lambda n, a, c: f"<{n}{a}>{c}</{n}>", block, attrs, children),
        st.builds(
            lambda items: "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>", st.lists(children, max_size=4)
        ),
        st.builds(lambda items: "<ol>" + "".join(f"<li>{i}" for i in items) + "</ol>", st.lists(children, max_size=4)),
        st.builds(lambda c: f"<table><tr><td>{c}</td><td>x</td></tr></table>", children),
        st.builds(lambda c: f"<p>{c}", children),  # unclosed paragraphs are ordinary too
        st.lists(children, max_size=5).map("".join),
    )


ordinary_markup = st.recursive(words | st.sampled_from(["<br>", '<img src="x.png" alt="a">', "<hr>",
                                                          "<iframe src='https://v.example/'>fallback</iframe>",
                                                          "<object data='x'>fallback</object>",
                                                          "<script>var a = '<div>';</script>", "<!-- note -->"]),
                               ordinary, max_leaves=25)


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(ordinary_markup, min_size=1, max_size=12).map("".join))
def test_ordinary_markup_cleans_to_the_text_it_always_did(text):
    """Flattening before the sanitiser keeps the sanitiser linear; on markup nested as feeds nest it
    (flattened or not: long runs of siblings pass through the same step) the text is what it was."""
    now = plain_text(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clean, "flatten", lambda markup: markup)   # the cleaner as it was
        before = plain_text(text)
    assert now == before


soup_tags = st.sampled_from(["div", "p", "span", "b", "i", "em", "strong", "a", "ul", "ol", "li", "blockquote", "h2",
                             "section", "code", "small", "font", "u", "s", "dl", "dt", "dd", "pre", "nobr", "center"])
tag_soup = st.lists(st.one_of(
    st.builds(lambda n, a: f"<{n}{a}>", soup_tags, attrs),
    st.builds(lambda n: f"</{n}>", soup_tags),
    words, st.sampled_from(["<br>", "<img src=x>", "<hr>", " ", "\n"])), max_size=60).map("".join)


@settings(max_examples=examples(600), deadline=None)
@given(tag_soup)
@example("<b>x<p>y</b>z</p>")
@example("<pre>\nledger</pre><pre>\r\nx")
def test_dropping_tags_beyond_the_depth_limit_changes_no_text(text):
    """Whatever the nesting or misnesting, a tag the flattening drops changes no text (with the limit at
    2, almost every tag is dropped): so deep markup loses depth, never words."""
    from curator.curation import nesting

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nesting, "MAX_NESTING", 2)
        flattened = plain_text(text)
        patch.setattr(clean, "flatten", lambda markup: markup)
        before = plain_text(text)
    assert flattened == before


# ------------------------------------------------------------------- the draft writer

any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)  # lone surrogates are not UTF-8


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("niche")
    path = write(folder / "niches" / "shop.md", niche_text([("https://feed.example/a.xml", "A", 1.0)],
                                                           keywords=["payroll"]))
    return load_niche(str(path)), folder


@settings(max_examples=examples(300), deadline=None)
@given(title=any_text, note=any_text, summary=any_text, why=any_text, source=any_text)
@example(
    title="---\nstatus: published\n---", note="a: b\n- c", summary="#", why="'\"", source="!!python/object:os.system"
)
@example(title="\u2028\u2029\x85\ufeff", note="\r\n\r", summary="\x00\x1b", why="&a *a", source=" lead")
def test_the_draft_writer_round_trips_any_title_and_note(shop, title, note, summary, why, source):
    niche, folder = shop
    link = Candidate(url="https://a.example/x?y=1", title=title, summary=summary, guid="", date=None, source=source,
                     score=1.0, section="", why=why, note=note, hand_picked=True)
    text = render(niche, 3, dt.date(2026, 11, 22), [link])
    meta = loads(text, "draft.md").metadata
    (written,) = meta["links"]
    # The YAML layer returns exactly what was written, and nothing could add or change a key.
    assert (written["title"], written["note"], written["summary"], written["why"], written["source"]) == (
        title, note, summary, why, source)
    assert set(meta) == {"niche", "number", "date", "status", "subject", "preheader", "intro", "links"}
    assert meta["status"] == "draft" and meta["niche"] == "shop" and meta["number"] == 3
    # The issue loader reads it back (trimmed of surrounding whitespace, as every front-matter text is).
    path = write(folder / "newsletters" / "shop" / "2026-11-22.md", text)
    issue = load_issue(str(path))
    (loaded,) = issue.links
    assert (loaded.note, loaded.summary, loaded.why, loaded.source) == tuple(
        v.strip() for v in (note, summary, why, source))
    assert loaded.title == title.strip() or (not title.strip() and loaded.title == link.url)
    assert issue.status == "draft" and issue.number == 3


@settings(max_examples=examples(500), deadline=None)
@given(st.dictionaries(st.sampled_from(["title", "note", "why", "links"]),
                       st.one_of(any_text, st.lists(st.dictionaries(st.sampled_from(["url", "note"]), any_text),
                                                    max_size=3), st.integers(), st.none())))
@example({"title": "Caf\u00e9 \u2014 \u201cquoted\u201d \U0001F600 \u65e5\u672c"})
@example({"note": "\U0007bd31 \x0b " + "w " * 60})
def test_drafts_are_written_as_the_python_yaml_emitter_writes_them(meta):
    # libyaml writes most drafts (faster); where it would escape a character an editor should read
    # (emoji, anything past U+FFFF) the Python emitter writes it instead: either way the same text.
    expected = yaml.dump(meta, Dumper=documents._Dumper, **documents._YAML_OPTIONS)
    assert documents.dump_yaml(meta) == expected
    assert loads(documents.dumps(meta), "x.md").metadata == meta


@settings(max_examples=examples(300), deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=400))
@example("From the editor\n.\n. \nend=  \t\nx" + "y" * 200)
def test_an_email_carries_any_text_exactly_in_short_ascii_lines(text):
    raw = b"Subject: x\r\n" + mime_body(text, text + "<p>", "=_b_=")
    assert raw.isascii() and max(len(line) for line in raw.split(b"\r\n")) <= 78
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == text  # no ">From", no lost space
    assert msg.get_body(("html",)).get_content().replace("\r\n", "\n") == text + "<p>"


@settings(max_examples=examples(500), deadline=None)
@given(st.lists(st.one_of(st.text(max_size=90), st.sampled_from([" ", "  ", "\n", "a-b", "\xa0", "\u3000", "x" * 80])),
                max_size=40).map("".join),
       st.sampled_from(["", "- ", "[12] "]))
def test_the_plain_text_part_wraps_as_textwrap_does_with_flowed_soft_breaks(text, first):
    # emails.fill replaces textwrap for speed; it must wrap exactly as textwrap did, at 71 columns
    # plus the trailing space that marks a format=flowed soft break (RFC 3676).
    expected = textwrap.wrap(" ".join(text.split()), 71, initial_indent=first,
                             break_long_words=False, break_on_hyphens=False)
    assert fill(text, first) == (" \n".join(expected) if text.split() else "")


# ------------------------------------------------------------------- entries reused from the cache

raw_entries = st.fixed_dictionaries({
    "title": hostile_text, "summary": hostile_text, "guid": st.text(max_size=30),
    "link": st.one_of(st.sampled_from(["https://a.example/p?id=1&utm_source=x", "javascript:alert(1)", "/rel",
                                       "https://a.example/\u202e", "https://a.example/a b", "http://a.example/"]),
                      st.text(max_size=40).map(lambda t: "https://a.example/" + t)),
    "date": st.one_of(st.none(), st.just("2026-11-20T10:00:00+00:00")),
})


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(raw_entries, max_size=4))
@example([{"title": "", "summary": "&amp;lt;/>", "guid": "", "link": "https://a.example/p?id=1", "date": None}])
def test_entries_reused_from_the_cache_keep_their_links_and_stay_plain(raws):
    """Re-cleaning on reuse keeps every entry the cleaner wrote, with the same link; text may only
    lose one more level of entity escaping ("&lt;" written as text reads back as "<"), never gain markup."""
    cleaned = clean_entries(raws, "https://feed.example/f.xml", "https://feed.example/", 60)
    again = reclean_entries(cleaned, 60)
    assert [e["url"] for e in again] == [e["url"] for e in cleaned]
    for before, after in zip(cleaned, again, strict=False):
        for key in ("title", "summary"):
            assert_no_markup(after[key])
            assert after[key] == before[key] or "&" in before[key]


@settings(max_examples=examples(300), deadline=None)
@given(any_text, any_text)
@example("History of the <blink> tag", "Ann Example <ann@example.org> &amp; <script>x</script>")
def test_a_text_field_is_kept_as_the_feed_wrote_it_and_again_when_reused_from_the_cache(title, summary):
    raw = {"title": "Ledger " + title, "title_type": "text", "summary": summary, "summary_type": "text",
           "link": "https://a.example/p", "guid": "g", "date": None}
    (cleaned,) = clean_entries([raw], "https://feed.example/f.xml", "https://feed.example/", 60)
    assert cleaned["title"] == cut_chars(" ".join(("Ledger " + clean._visible(title)).split()), TITLE_MAX_CHARS) \
        or "://" in title
    assert not FORBIDDEN.search(cleaned["title"] + cleaned["summary"])
    assert reclean_entries([cleaned], 60) == [cleaned]
