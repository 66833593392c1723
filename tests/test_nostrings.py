"""The no-strings check: each rule fires on a bad case, a clean issue passes, and the build fails on errors."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curator.build.nostrings import email_size_problem, scan_text
from curator.build.pagescan import scan_css, scan_html
from curator.curation.phrases import phrase_regex, phrases_regex
from curator.model.settings import HARD_SELL_PHRASES
from support.newsletters import link, newsletter_project, write_issue, write_niche
from support.project import build, copy_project, openhand, write

SITE_HOSTS = frozenset({"clearwater-advisory.example"})
WIDE = {"COLUMNS": "500"}  # Pelican logs through rich, which wraps at the terminal width


def rules(found):
    return sorted({rule for _, rule, _ in found})


def page(body: str, head: str = "") -> str:
    return (f"<!DOCTYPE html>\n<html lang=en>\n<head>\n<title>t</title>\n{head}\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


# --- the rules, one bad case each ------------------------------------------------------------------

@pytest.mark.parametrize("href", [
    "https://example.org/a?utm_source=newsletter",
    "https://example.org/a?id=3&fbclid=abc#top",
    "https://www.youtube.com/watch?v=x&si=tracker",
])
def test_a_link_with_a_tracking_parameter_is_refused(href):
    found = scan_html(page(f'<p><a href="{href.replace("&", "&amp;")}">read</a></p>'))
    assert rules(found) == ["tracking-param"]
    assert found[0][0] == 8  # the line of the <a>


@pytest.mark.parametrize("href", ["https://bit.ly/3abc", "https://www.google.com/url?q=https://example.org/",
                                  "http://feedproxy.google.com/~r/x/~3/abc/", "https://click.mailchimp.com/x"])
def test_a_link_through_a_click_redirect_is_refused(href):
    assert "click-redirect" in rules(scan_html(page(f'<a href="{href}">x</a>')))


@pytest.mark.parametrize("img", [
    '<img src="/theme/img/p.gif" width="1" height="1" alt="">',
    '<img src="/theme/img/p.gif" width=0 alt="">',
    "<img src='/p.gif' style='height:1px;width:1px' alt=''>",
    '<img src="https://www.google-analytics.com/collect?v=1" alt="">',
])
def test_an_image_that_looks_like_a_tracking_pixel_is_refused(img):
    assert "tracking-pixel" in rules(scan_html(page(img), SITE_HOSTS))


@pytest.mark.parametrize("markup,where", [
    ('<script src="https://cdn.example.net/app.js"></script>', "body"),
    ('<iframe src="https://www.youtube.com/embed/x" title="v"></iframe>', "body"),
    ('<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Inter">', "head"),
    ('<link rel="preload" as="font" href="//fonts.gstatic.com/s/inter.woff2" crossorigin>', "head"),
    ('<img src="https://images.example.net/photo.jpg" alt="a photo">', "body"),
    ('<img src="/local.jpg" srcset="/local.jpg 1x, https://images.example.net/2x.jpg 2x" alt="">', "body"),
    ('<div style="background-image: url(&quot;https://images.example.net/bg.png&quot;)">x</div>', "body"),
    ("<style>@font-face { font-family: X; src: url(https://fonts.example.net/x.woff2); }</style>", "head"),
    ('<style>@import "https://cdn.example.net/site.css";</style>', "head"),
])
def test_anything_loaded_from_another_host_is_refused(markup, where):
    html = page(markup) if where == "body" else page("<p>x</p>", markup)
    found = scan_html(html, SITE_HOSTS)
    assert "third-party" in rules(found)
    assert all(line > 1 for line, _, _ in found)


def test_a_link_within_the_site_with_a_tracking_parameter_is_refused():
    assert rules(scan_html(page('<a href="../guides/cash/?utm_campaign=nov">x</a>'))) == ["tracking-param"]
    assert scan_html(page('<a href="../guides/cash/?page=2">x</a> <a href="mailto:a@b.example?subject=hi">m</a>')) == []


def test_a_stylesheet_loading_fonts_or_images_from_another_host_is_refused():
    css = "body { color: #111; }\n@import url('https://fonts.googleapis.com/css?family=Inter');\n" \
          ".hero { background: url(../img/hero.png); }\n@font-face { src: url(//fonts.gstatic.com/x.woff2); }\n"
    assert [(line, rule) for line, rule, _ in scan_css(css)] == [(2, "third-party"), (4, "third-party")]


def test_assets_from_the_site_itself_and_plain_links_elsewhere_pass():
    html = page(
        '<p><a href="https://example.org/guide?ref=newsletter">a guide</a> <a href="/about/">about</a></p>\n'
        '<img src="https://clearwater-advisory.example/theme/img/logo.png" width="120" height="40" alt="logo">\n'
        '<img src="../theme/img/chart.png" alt="chart"> <img src="data:image/png;base64,AAAA" alt="">\n'
        "<!-- <script src=\"https://cdn.example.net/old.js\"></script> -->\n"
        '<script>const s = "<img src=https://x.example.net/p.gif>";</script>\n'
        "<pre>&lt;script src=\"https://cdn.example.net/x.js\"&gt;</pre>",
        '<link rel="stylesheet" href="/theme/css/site.css">\n'
        '<link rel="alternate" type="application/atom+xml" href="https://feeds.example.net/all.atom.xml">')
    assert scan_html(html, SITE_HOSTS) == []


def test_hard_sell_phrases_are_found_with_their_line_and_numbers_match_n():
    phrases = HARD_SELL_PHRASES
    text = "intro: A calm note.\nnote: Only 3 left, so ACT   NOW!\nnote: Don’t miss out\nnote: we act on facts now"
    found = scan_text(text, phrases)
    assert [(line, rule) for line, rule, _ in found] == [(2, "hard-sell"), (2, "hard-sell"), (3, "hard-sell")]
    assert "Only 3 left" in found[0][2] or "Only 3 left" in found[1][2]
    assert scan_text("note: this limited-timeline guide is handy\n", phrases) == []


WORDS = ["act", "now", "Act", "NOW", "only", "3", "12", "left", "limited", "time", "buy", "don't", "don’t", "miss",
         "out", "last", "chance", "hurry", "free", "trial", "trials", "book", "your", "call", "before", "it's", "too",
         "late", "x", "_", "é"]


@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from([" ", "  ", "\n", "-", "", ", ", "!"])),
                max_size=40))
@settings(max_examples=300, deadline=None)
def test_the_phrases_read_as_one_regex_find_what_one_regex_per_phrase_finds(parts):
    # The reference: each phrase's own regex (its word boundaries inside), tried in order at each place.
    text = "".join(word + gap for word, gap in parts)
    one_each = re.compile("|".join(f"(?P<p{i}>{phrase_regex(p)})" for i, p in enumerate(HARD_SELL_PHRASES)), re.I)
    combined = phrases_regex(tuple(HARD_SELL_PHRASES))
    assert [(m.span(), m.lastgroup) for m in combined.finditer(text)] == \
        [(m.span(), m.lastgroup) for m in one_each.finditer(text)]


def test_text_links_with_tracking_are_found():
    found = scan_text("[1] https://example.org/a?mc_cid=1&x=2\n[2] https://example.org/b\n", ())
    assert found == [
        (1, "tracking-param", "link https://example.org/a?mc_cid=1&x=2 carries tracking parameter(s) mc_cid")
    ]


def test_email_size_limit():
    assert email_size_problem(90 * 1024, 90 * 1024) is None
    assert "over EMAIL_MAX_BYTES" in email_size_problem(90 * 1024 + 1, 90 * 1024)


# --- the check in the build and on the command line ------------------------------------------------

def test_a_clean_project_passes_the_build_and_openhand_check(tmp_path):
    project = newsletter_project(tmp_path, issues=2, drafts=1)
    build(project)
    proc = openhand(project, "check", "--strict")
    assert "0 error(s), 0 warning(s)" in proc.stdout


def test_a_tracking_link_in_a_published_issue_fails_the_build_naming_file_line_and_rule(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    path = write_issue(project, 1, links=[link(1, url="https://example.org/guide?utm_source=feed&id=2")])
    proc = build(project, check=False, env=WIDE)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "no-strings check failed" in out and "[tracking-param]" in out and "utm_source" in out
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "utm_source" in text)
    assert f"content/newsletters/dental/{path.name}:{line}:" in out
    assert "mail/dental/1.html" in out  # the email carries it too (checked before it is written)...
    assert not list((project / "mail").rglob("1.*"))  # ...and so it was never written
    check = openhand(project, "check", check=False)
    assert check.returncode == 1 and "[tracking-param]" in check.stdout
    for where in (f"content/newsletters/dental/{path.name}:{line}:", "output/newsletters/dental/1/index.html:"):
        assert where in check.stdout


def test_a_draft_with_a_tracking_link_only_warns(tmp_path):
    project = newsletter_project(tmp_path, issues=1, drafts=0)
    write_issue(project, 2, status="draft", links=[link(1, url="https://bit.ly/abc")])
    proc = build(project, env=WIDE)
    assert "[click-redirect]" in proc.stdout + proc.stderr and "(draft)" in proc.stdout + proc.stderr
    assert openhand(project, "check").returncode == 0


def test_a_third_party_image_in_the_editors_letter_fails_the_build(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    write_issue(project, 1, body='Hello.\n\n<img src="https://cdn.example.net/smile.png" alt="smile">')
    proc = build(project, check=False, env=WIDE)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "[third-party]" in out and "cdn.example.net" in out
    assert "output/newsletters/dental/1/index.html" in out


def test_a_tracking_pixel_in_a_site_page_fails_the_build(tmp_path):
    project = newsletter_project(tmp_path, issues=1, drafts=0)
    write(project / "content/pages/about.md",
          '---\ntitle: About\n---\nHello.\n\n<img src="/theme/img/favicon.svg" width="1" height="1" alt="">\n')
    proc = build(project, check=False, env=WIDE)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "[tracking-pixel]" in out and "width=1" in out


def test_a_third_party_font_in_the_site_css_fails_the_build(tmp_path):
    project = newsletter_project(tmp_path, issues=1, drafts=0)
    css = project / "theme/static/css/site.css"
    css.parent.mkdir(parents=True, exist_ok=True)
    with css.open("a", encoding="utf-8") as handle:
        handle.write("\n@font-face { font-family: X; src: url(https://fonts.gstatic.com/s/x.woff2); }\n")
    proc = build(project, check=False, env=WIDE)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "output/theme/css/site.css" in out and "fonts.gstatic.com" in out


def test_an_email_over_the_size_limit_fails_the_build(tmp_path):
    project = newsletter_project(tmp_path, issues=1, drafts=0)
    proc = build(project, "pelicanconf.py", "-e", "EMAIL_MAX_BYTES=2000", check=False, env=WIDE)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "[email-size]" in out and "mail/dental/1.html" in out


def test_hard_sell_warns_by_default_and_fails_when_strict(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    write_issue(project, 1, intro="Act now: only 5 left at this price.")
    proc = build(project, env=WIDE)
    assert "warning" in (proc.stdout + proc.stderr).lower() and "[hard-sell]" in proc.stdout + proc.stderr
    assert openhand(project, "check").returncode == 0
    strict = openhand(project, "check", "--strict", check=False)
    assert strict.returncode == 1 and strict.stdout.count("[hard-sell]") == 2
    failed = build(project, "pelicanconf.py", "-e", "NO_STRINGS_STRICT=true", check=False, env=WIDE)
    assert failed.returncode != 0 and "[hard-sell]" in failed.stdout + failed.stderr


def test_runner_ups_are_not_checked_until_the_editor_moves_one_up_into_links(tmp_path):
    """Runner-ups under `more:` are never rendered, published or sent: what they say is not the issue's."""
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    runner_up = {"url": "https://example.org/deal?utm_source=feed", "title": "Act now: limited time",
                 "source": "Vendor", "summary": "Last chance.", "why": "matches 'claims' in the title"}
    path = write_issue(project, 1, more=[runner_up])
    assert "Act now" in path.read_text() and "more:" in path.read_text()
    proc = openhand(project, "check", "--strict")
    assert "0 error(s), 0 warning(s)" in proc.stdout
    write_issue(project, 1, links=[link(1), {**runner_up, "note": "Moved up."}])
    moved = openhand(project, "check", "--strict", check=False)
    assert moved.returncode == 1 and "[hard-sell]" in moved.stdout and "[tracking-param]" in moved.stdout


def test_the_check_can_be_switched_off(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    write_issue(project, 1, links=[link(1, url="https://example.org/?gclid=1")])
    checked = build(project, check=False, env=WIDE)  # on by default: the tracked link stops the build
    assert checked.returncode != 0 and "[tracking-param] link https://example.org/?gclid=1" in checked.stdout
    assert not (project / "mail/dental/1.eml").exists()
    off = build(project, "pelicanconf.py", "-e", "NO_STRINGS_CHECK=false", env=WIDE)
    assert "tracking-param" not in off.stdout + off.stderr  # not run at all, not even as warnings
    assert (project / "mail/dental/1.eml").exists()  # no check, so nothing holds the emails back
    assert "https://example.org/?gclid=1" in (project / "mail/dental/1.txt").read_text(encoding="utf-8")


# --- why each link helps (issue 12, item 21) -----------------------------------------------------------

def test_a_published_link_without_a_note_warns_naming_file_line_and_link_and_fails_when_strict(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    path = write_issue(project, 1, links=[link(1), link(2, note=""), link(3, note="   ")])
    proc = build(project, env=WIDE)
    out = proc.stdout + proc.stderr
    lines = path.read_text().splitlines()
    for url in ("https://journal.example.org/articles/2", "https://journal.example.org/articles/3"):
        line = next(i for i, text in enumerate(lines, 1) if url in text)
        assert re.search(
            rf"dental/{path.name}:{line}: warning: \[missing-note\] links\[\d\] \({url}\) has no note", out
        )
    assert "articles/1)" not in out
    assert (project / "mail/dental/1.eml").exists()  # a warning: the email is built
    failed = build(project, "pelicanconf.py", "-e", "NO_STRINGS_STRICT=true", check=False, env=WIDE)
    assert failed.returncode != 0 and failed.stdout.count("error: [missing-note]") == 2
    assert not (project / "mail/dental/1.eml").exists()


def test_a_published_issue_with_no_links_is_an_error_and_a_draft_is_not(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    path = write_issue(project, 1, links=[])
    write_issue(project, 2, status="draft", links=[link(5, note="")])
    write_issue(project, 3, status="draft", links=[])
    proc = build(project, check=False, env=WIDE)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert re.search(rf"dental/{path.name}:\d+: error: \[no-links\] a published issue with no links", out)
    assert "missing-note" not in out and out.count("[no-links]") == 1  # drafts: no finding at all


def test_openhand_check_reads_the_emails_in_mail(tmp_path):
    """The build checks its emails before writing them; `openhand check` reads what is in mail/."""
    project = newsletter_project(tmp_path, issues=1, drafts=0)
    build(project)
    email_html = project / "mail/dental/1.html"
    email_html.write_text(
        email_html.read_text().replace("</body>", '<img src="https://t.example.net/o.gif" alt=""></body>')
    )
    check = openhand(project, "check", check=False)
    assert check.returncode == 1 and "mail/dental/1.html:" in check.stdout and "[third-party]" in check.stdout
