"""The editor's own words: Markdown fields rendered one way everywhere, active markup refused, plain text kept.

Markdown fields (intro, a link's note, the letter, a niche's hub text) are rendered once,
sanitised, and shown the same in the issue page, the feed item and the email; their plain-text
part is the text of that same rendering. Active markup (scripts, handlers, frames, forms,
javascript:/vbscript:/data: links) fails the build for a published issue, warns for a draft.
"""

from __future__ import annotations

import email
import re
from email import policy

import feedparser
import pytest
from bs4 import BeautifulSoup

from curator.model.markup import unsafe
from support.newsletters import link, newsletter_project, write_issue, write_niche
from support.project import build, copy_project, openhand

WIDE = {"COLUMNS": "1000"}


@pytest.mark.parametrize("html", [
    "<script>alert(1)</script>", "<SCRIPT SRC=//x.example/a.js></SCRIPT>", '<img src=x onerror="alert(1)">',
    '<a href="#" onclick="steal()">x</a>', "<iframe src=https://x.example/></iframe>", "<object data=x.swf></object>",
    "<embed src=x.swf>", '<form action="https://x.example/"><input name=email></form>',
    '<a href="javascript:alert(1)">x</a>', '<a href=" JaVa&#x09;ScRiPt:alert(1)">x</a>', '<a href="vbscript:x">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "<style>body{display:none}</style>",
])
def test_active_markup_is_found(html):
    assert unsafe(html), html


@pytest.mark.parametrize("html", [
    '<p>A <a href="https://example.org/x?a=1&amp;b=2">link</a>, <strong>bold</strong>, <code>&lt;script&gt;</code></p>',
    '<a href="mailto:a@example.org">mail</a> <img src="/theme/img/x.png" alt="x">', "<p>on the one hand</p>",
])
def test_ordinary_markup_is_not(html):
    assert unsafe(html) == []


NOTE = "Read **this** first: [the checklist](https://example.org/checklist), then _breathe_."


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    project = newsletter_project(tmp_path_factory.mktemp("words"), issues=0, drafts=0)
    letter = ("Multiply 2\\*3, then 4\\*5.\n\n2*3 = 6 on its own line.\n\n"
              "Python runs `__init__` first; the file is my__init__helper.py; see "
              "[the data model](https://example.org/ref/__init__/x).\n\n"
              "A template would print {{ 5*5 }} here. This is **bold**.")
    write_issue(project, 1, intro="An *easy* month, {{ 5*5 }} links.", subject="Issue {{ 5*5 }}",
                links=[link(1, note=NOTE), link(2, section="People", note="As it is: {{ 5*5 }}.")],
                body=letter)
    build(project, "publishconf.py")
    return project


def test_a_markdown_note_renders_the_same_in_page_feed_and_email(rendered):
    page = BeautifulSoup((rendered / "output/newsletters/dental/1/index.html").read_text(), "html.parser")
    atom = feedparser.parse((rendered / "output/feeds/newsletters/dental.atom.xml").read_bytes())
    feed = BeautifulSoup(atom.entries[0].content[0].value, "html.parser")
    mail = BeautifulSoup((rendered / "mail/dental/1.html").read_text(), "html.parser")
    for where, doc in (("page", page), ("feed", feed), ("email", mail)):
        strong = [s.get_text() for s in doc.find_all("strong")]
        assert "this" in strong and "bold" in strong, where
        assert doc.find("em", string="easy") and doc.find("em", string="breathe"), where
        assert doc.find("a", href="https://example.org/checklist").get_text() == "the checklist", where
        assert "**" not in doc.get_text() and "[the checklist]" not in doc.get_text(), where
    text = (rendered / "mail/dental/1.txt").read_text()
    flat = " ".join(text.split())
    assert "Read this first: the checklist (https://example.org/checklist), then breathe." in flat
    assert "An easy month" in flat and "*easy*" not in flat


def test_the_plain_text_part_keeps_what_markdown_keeps(rendered):
    """Only what Markdown itself reads as emphasis loses its marks (no regex guessing)."""
    flat = " ".join((rendered / "mail/dental/1.txt").read_text().split())
    for kept in ("Multiply 2*3, then 4*5.", "2*3 = 6 on its own line.", "Python runs __init__ first",
                 "my__init__helper.py", "the data model (https://example.org/ref/__init__/x)",
                 "would print {{ 5*5 }} here. This is bold.", "As it is: {{ 5*5 }}."):
        assert kept in flat, kept
    assert "\\*" not in flat and "**" not in flat


def test_jinja_syntax_in_an_editors_words_is_never_evaluated(rendered):
    msg = email.message_from_bytes((rendered / "mail/dental/1.eml").read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Issue {{ 5*5 }}"
    for path in ("output/newsletters/dental/1/index.html", "output/feeds/newsletters/dental.atom.xml",
                 "output/feeds/newsletters/dental.rss.xml", "mail/dental/1.html", "mail/dental/1.txt"):
        text = " ".join((rendered / path).read_text().split())
        assert text.count("{{ 5*5 }}") >= 3, path
        for evaluated in ("Issue 25", "month, 25 links", "print 25 here", "As it is: 25."):
            assert evaluated not in text, (path, evaluated)


EVIL = {
    "intro": "Hello <script>alert('intro')</script>",
    "note": 'Read [this](javascript:alert(1)) now',
    "body": 'Dear reader,\n\n<iframe src="/x"></iframe>\n\n<form action="/sub"><input name=e></form>\n\n'
            '<p onclick="steal()">Click me</p>',
}


def test_active_markup_in_a_published_issue_fails_the_build_naming_field_and_line(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project, body="Whom this serves.\n\n<object data=\"/x.swf\"></object>")
    path = write_issue(project, 1, intro=EVIL["intro"], links=[link(1, note=EVIL["note"])], body=EVIL["body"])
    proc = build(project, check=False, env=WIDE)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "no-strings check failed" in out and "Traceback" not in out
    lines = path.read_text().splitlines()
    found = {}
    for line in out.splitlines():
        match = re.search(rf"dental/{path.name}:(\d+): error: \[unsafe-markup\] (\S+)(?: \(the letter\))?: (.*)", line)
        if match:
            found.setdefault(match.group(2), []).append((int(match.group(1)), match.group(3)))
    assert sorted(found) == ["body", "intro", "links[0].note"], found
    assert "<script>" in lines[found["intro"][0][0] - 1]
    assert "javascript:" in lines[found["links[0].note"][0][0] - 1]
    letter = sorted(found["body"])
    assert [what.split(" would run")[0] for _, what in letter] == [
        "a <iframe> element", "a <form> element", "a <input> element", "an event handler (onclick=) on <p>"]
    assert "<iframe" in lines[letter[0][0] - 1] and "onclick" in lines[letter[-1][0] - 1]
    assert re.search(r"niches/dental\.md:\d+: error: \[unsafe-markup\] hub text: a <object> element", out)
    assert not (project / "mail/dental").exists()  # the check refused it: no email to send
    page = (project / "output/newsletters/dental/1/index.html").read_text()
    assert "<script" not in page and "javascript:" not in page and "<iframe" not in page and "onclick" not in page
    assert "Click me" in page  # the words stay; only the active part goes


def test_active_markup_in_a_draft_only_warns_and_the_preview_is_clean(tmp_path):
    project = newsletter_project(tmp_path, issues=1, drafts=0)
    write_issue(project, 2, status="draft", intro=EVIL["intro"], links=[link(1, note=EVIL["note"])], body=EVIL["body"])
    proc = build(project, env=WIDE)
    out = proc.stdout + proc.stderr
    assert out.count("[unsafe-markup]") == 6 and "(draft)" in out
    preview = (project / "preview/newsletters/dental/2/index.html").read_text()
    assert "<script" not in preview and "javascript:" not in preview and "onclick" not in preview
    assert openhand(project, "check").returncode == 0
