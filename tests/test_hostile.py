"""The hostile-feed corpus end to end: strangers' feeds curated, published and built.

tests/hostile/manifest.yaml lists the cases (>= 40) and how the local server serves
each. One `openhand curate` run covers them all (grouped into niches, each with a
good control feed); the drafts are then published as an editor would and the site
built. For every case: curate exits 0, the draft loads, the bad feed is named once
with its reason, the control feed is unaffected, and nothing dangerous reaches a
page, a niche feed or an email.
"""

from __future__ import annotations

import re

import pytest
import yaml

from hostile import checks
from hostile.corpus import Corpus, built_corpus, manifest

CASES = [spec["name"] for spec in manifest()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return built_corpus(tmp_path_factory)


def case(corpus: Corpus, name: str):
    return next(c for c in corpus.cases if c.name == name)


def warnings_naming(corpus: Corpus, url: str) -> list[str]:
    """Warnings about this feed: it is named as `Name <url>` (a redirect chain naming it does not count)."""
    return [line for line in corpus.curate_stderr.splitlines()
            if line.startswith("WARNING") and f"<{url}>" in line]


def test_the_corpus_has_at_least_forty_cases_with_unique_names_and_files_that_exist():
    specs = manifest()
    assert len(specs) >= 40
    assert len(set(CASES)) == len(CASES)
    from hostile.corpus import HERE
    for spec in specs:
        assert not spec.get("file") or (HERE / spec["file"]).is_file(), spec


def test_curate_finishes_and_every_niche_gets_a_draft_that_loads(corpus):
    assert corpus.returncode == 0, corpus.curate_stderr
    assert "Traceback" not in corpus.curate_stderr
    assert set(corpus.drafts) == set(corpus.controls)
    for niche, path in corpus.drafts.items():
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        assert meta["niche"] == niche and meta["status"] == "published"
        assert corpus.issues[niche].links


@pytest.mark.parametrize("name", CASES)
def test_each_case_is_named_once_with_its_reason_or_not_at_all(corpus, name):
    c = case(corpus, name)
    said = warnings_naming(corpus, c.url)
    if c.warn is None:
        assert said == [], f"{name}: unexpected warning {said}"
    else:
        assert len(said) == 1, f"{name}: want one warning, got {said}"
        assert c.warn in said[0], f"{name}: {said[0]!r} does not say {c.warn!r}"


@pytest.mark.parametrize("name", CASES)
def test_each_case_contributes_exactly_its_expected_links(corpus, name):
    c = case(corpus, name)
    issue = corpus.issues[c.niche]
    from_case = [link.url for link in issue.links if link.source == f"Case {name}"]
    assert sorted(from_case) == sorted(c.links)


def test_every_control_feed_is_picked_whole_and_never_warned_about(corpus):
    for niche, links in corpus.controls.items():
        picked = [link.url for link in corpus.issues[niche].links if link.source == f"Control {niche}"]
        assert sorted(picked) == sorted(links), niche
        assert warnings_naming(corpus, corpus.control_urls[niche]) == []


def test_every_draft_field_is_plain_safe_text(corpus):
    problems = []
    for niche, issue in corpus.issues.items():
        for link in issue.links:
            where = f"{niche}: {link.url}"
            problems += checks.url_problems(link.url, where)
            assert link.url.startswith(("http://", "https://")), where
            assert 0 < len(link.title) <= 201, where
            for field in (link.title, link.summary, link.note, link.why, link.source):
                problems += checks.text_problems(field, where)
                for url in re.findall(r"https?://[^\s<>\"'`)\]]+", field, re.I):  # links written as text
                    problems += checks.url_problems(url.rstrip(".,;:"), f"{where} (text)")
                assert "<" not in field or not any(
                    t in field.lower() for t in ("<script", "<img", "<svg", "<iframe")
                ), where
        problems += checks.text_problems(issue.subject + issue.preheader, niche)
    assert problems == []


def test_the_long_title_is_cut_at_a_word_and_disguising_characters_are_gone(corpus):
    issue = corpus.issues[case(corpus, "long-title").niche]
    (long,) = [link for link in issue.links if link.source == "Case long-title"]
    assert long.title.endswith("overlong…") and len(long.title) <= 201
    (rtl,) = [link for link in issue.links if link.source == "Case rtl-override"]
    assert rtl.title == "Ledger gnp.exe invoice isolate zerowidth"
    (crlf,) = [link for link in issue.links if link.source == "Case crlf-title"]
    assert "\r" not in crlf.title and "\n" not in crlf.title


def test_markup_in_titles_becomes_its_text_and_scripts_vanish(corpus):
    titles = {link.source.removeprefix("Case "): link.title for issue in corpus.issues.values()
              for link in issue.links if link.source.startswith("Case ")}
    assert titles["img-onerror"] == "Ledger title" and titles["iframe"] == "Ledger iframe"
    for name in ("script-in-title", "double-escaped", "img-onerror", "svg-onload", "css-expression", "iframe"):
        assert "pwned" not in titles[name] and "<" not in titles[name], (name, titles[name])


OUTPUTS = pytest.mark.parametrize("output", ["output", "output-published"])

# Fields a feed declared as text (Atom type="text", JSON Feed's title and content_text, an RSS title with
# nothing in it that reads as markup): (case, link, title, summary) as the feed wrote them.
TEXT_FIELDS = [
    (
        "text-type",
        "https://hostile.example/text-type/1",
        "Ledger: the history of the <blink> tag",
        "Ann Example <ann@example.org> explains the ledger.",
    ),
    (
        "text-type-rss",
        "https://hostile.example/text-type-rss/1",
        "Ledger: the <blink> tag, from RSS",
        "About the ledger.",
    ),
    (
        "json-feed",
        "https://hostile.example/json-feed/2",
        "Ledger: the <blink> tag, as JSON text",
        "A JSON Feed's text: <b>ledger</b> stays as written.",
    ),  # not the text-type case's words: two stories
]


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name, url, title, summary", TEXT_FIELDS)
def test_text_fields_keep_their_words_and_are_escaped_wherever_they_are_output(corpus, name, url, title, summary):
    import email
    import email.policy

    import feedparser
    from bs4 import BeautifulSoup

    niche = case(corpus, name).niche
    issue = corpus.issues[niche]
    (link,) = [link for link in issue.links if link.url == url]
    assert (link.title, link.summary) == (title, summary)
    page = corpus.project / "output-published" / "newsletters" / niche / str(issue.number) / "index.html"
    message = email.message_from_bytes((corpus.project / "mail" / niche / f"{issue.number}.eml").read_bytes(),
                                       policy=email.policy.default)
    feed = feedparser.parse((corpus.project / "output-published" / "feeds" / "newsletters" / f"{niche}.atom.xml")
                            .read_bytes(), sanitize_html=False)
    htmls = {"page": page.read_text(encoding="utf-8"), "email": message.get_body(("html",)).get_content(),
             "feed": feed.entries[0].content[0].value}
    for where, markup in htmls.items():
        soup = BeautifulSoup(markup, "html.parser")
        assert soup.find("blink") is None and soup.find("ann@example.org") is None, where
        assert title in _words(soup.get_text(" ")), where
    assert title in _words(message.get_body(("plain",)).get_content())
    assert summary in _words(BeautifulSoup(htmls["page"], "html.parser").get_text(" "))


@OUTPUTS
def test_no_page_carries_anything_dangerous(corpus, output):
    pages = sorted((corpus.project / output).rglob("*.html"))
    issue_pages = [p for p in pages if p.parent.name.isdigit()]
    assert len(issue_pages) == len(corpus.drafts)
    site = "https://clearwater-advisory.example" if output == "output-published" else ""  # publishconf's SITEURL
    problems = [p for page in pages for p in checks.page_problems(page, site)]
    assert problems == []


def test_no_draft_preview_carries_anything_dangerous(corpus):
    """The editor's first look at a draft is its preview page: the first place a payload would run."""
    from hostile.corpus import PREVIEWS

    previews = sorted((corpus.project / PREVIEWS / "newsletters").rglob("*.html"))
    assert len(previews) == len(corpus.drafts)
    problems = [p for page in previews for p in checks.page_problems(page)]
    # and the draft's email, previewed beside it (preview/mail/), as the sent one would be checked
    emails = sorted((corpus.project / PREVIEWS / "mail").rglob("*.*"))
    assert len(emails) == 2 * len(corpus.drafts)
    problems += [p for html in emails if html.suffix == ".html" for p in checks.html_problems(
        html.read_text(encoding="utf-8"), str(html), local_scripts=False)]
    problems += [p for txt in emails if txt.suffix == ".txt" for p in checks.text_problems(
        txt.read_text(encoding="utf-8"), str(txt))]
    assert problems == []


@OUTPUTS
def test_no_niche_feed_carries_anything_dangerous(corpus, output):
    feeds = sorted((corpus.project / output / "feeds" / "newsletters").glob("*.xml"))
    assert len(feeds) == 2 * len(corpus.drafts)
    problems = [p for feed in feeds for p in checks.feed_problems(feed)]
    assert problems == []


def test_no_email_carries_anything_dangerous(corpus):
    mail = corpus.project / "mail"
    emls = sorted(mail.rglob("*.eml"))
    assert len(emls) == len(corpus.drafts)
    problems = [p for eml in emls for p in checks.eml_problems(eml)]
    problems += [p for html in sorted(mail.rglob("*.html")) for p in checks.html_problems(
        html.read_text(encoding="utf-8"), str(html), local_scripts=False)]
    problems += [p for txt in sorted(mail.rglob("*.txt")) for p in checks.text_problems(
        txt.read_text(encoding="utf-8"), str(txt))]
    assert problems == []


def test_the_checks_themselves_catch_what_they_look_for():
    """The detectors above must be able to fail: each known-bad snippet is caught."""
    bad = ['<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=1">',
           '<a href="javascript:alert(1)">x</a>', '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
           '<iframe src="https://evil.example/"></iframe>', '<svg onload=alert(1)></svg>',
           '<img src="https://t.example/p.gif" width="1" height="1">', '<p style="x:expression(alert(1))">',
           '<a href="https://a.example/?utm_source=x">x</a>', '<a href="data:text/html,hi">x</a>',
           '<meta http-equiv="refresh" content="0;url=https://evil.example/">', '<base href="https://evil.example/">']
    for snippet in bad:
        assert checks.html_problems(f"<p>{snippet}</p>", "t"), snippet
    assert checks.html_problems('<p>Ledger [click](javascript:window.__pwned=1)</p>', "t") == []
    assert checks.text_problems("a\u202eb", "t") and checks.text_problems("a\x00b", "t")


def test_no_server_can_silence_its_feed_for_more_than_a_week(corpus):
    import json
    import time

    from curator.curation import download, fetch

    folder = str(corpus.project / "cache" / "curator")
    for name in ("unavailable-503", "too-many-429-huge", "too-many-429"):
        with open(fetch.cache_path(folder, case(corpus, name).url), encoding="utf-8") as handle:
            state = json.load(handle)
        assert 60 < state["next_try"] - time.time() <= download.RETRY_AFTER_MAX, name


def test_one_feed_cannot_blow_up_an_issue_or_its_email(corpus):
    """A 120,000-character word, a 60,000-character URL and 4,000 entries cost their feed, not the build."""
    links = {link.source.removeprefix("Case "): link for issue in corpus.issues.values() for link in issue.links}
    assert len(links["long-word-summary"].summary) <= 60 * 12 + 1
    assert all(len(link.url) <= 2000 for link in links.values())
    limit = 90 * 1024
    for eml in (corpus.project / "mail").rglob("*.eml"):
        assert eml.stat().st_size < 3 * limit, eml
    for html in (corpus.project / "mail").rglob("*.html"):
        assert html.stat().st_size <= limit, html
