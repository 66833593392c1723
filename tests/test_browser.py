"""The built demo site in a real browser (headless Debian Chromium): navigation, search, no outside requests."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from support.browser import MARKS, guarded_page, serve

pytestmark = MARKS


@pytest.fixture(scope="module")
def site(demo_project):
    """output/ served on 127.0.0.1, for this module only."""
    with serve(demo_project / "output") as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh page that records every request and refuses any that would leave 127.0.0.1."""
    with guarded_page(browser, allow_data=True) as page:
        yield page


def test_a_visitor_follows_the_navigation_and_finds_each_section(site, page):
    page.goto(site + "/")
    assert page.locator("h1").count() == 1
    nav = page.get_by_role("navigation", name="Main")
    expected = {"Resources": "Resource library", "Search": "Search", "About": "About Clearwater Advisory",
                "Start here": "Start here", "Newsletters": None, "Home": None}
    for label, heading in expected.items():
        nav.get_by_role("link", name=label, exact=True).click()
        page.wait_for_load_state("load")
        assert page.locator("h1").count() == 1
        if heading:
            assert page.locator("h1").inner_text() == heading
        nav = page.get_by_role("navigation", name="Main")
    # From the home page, a niche card leads to that niche's newsletter page.
    page.get_by_role("link", name="Dental practices").click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == "/newsletters/dental/"
    # And a guide from "Latest resources" opens, with its download one click away.
    page.goto(site + "/")
    page.locator("#latest").locator("xpath=..").get_by_role("link", name="The month-end close in five steps").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "The month-end close in five steps"
    download = page.get_by_role("link", name="month-end close checklist")
    response = page.request.get(download.evaluate("a => a.href"))
    assert response.ok and "MONTH-END CLOSE CHECKLIST" in response.text()
    assert page.errors == []
    assert page.refused == []
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in page.requests)


def test_a_search_from_the_header_box_finds_the_guide(site, page):
    page.goto(site + "/about/")
    page.get_by_role("searchbox", name="Search the site").fill("prime cost")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search/?q=prime+cost")
    result = page.locator(".pagefind-ui__result-link").first
    result.wait_for(timeout=15000)
    titles = page.locator(".pagefind-ui__result-link").all_inner_texts()
    assert "Prime cost: the one number to know every week" in titles
    page.get_by_role("link", name="Prime cost: the one number to know every week").first.click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == "/cash-flow/restaurant-prime-cost/"
    assert page.errors == []
    assert page.refused == []
    assert any("/pagefind/" in u for u in page.requests)  # the index really was loaded, locally
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in page.requests), page.requests


def test_typing_on_the_search_page_shows_results_as_you_type(site, page):
    page.goto(site + "/search/")
    box = page.locator("#search input")
    box.wait_for()
    box.fill("Form 990")
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
    assert any("Form 990" in t for t in page.locator(".pagefind-ui__result-link").all_inner_texts())
    assert page.refused == [] and page.errors == []


def test_search_finds_newsletter_issues_too(site, page):
    page.goto(site + "/search/?q=denial+codes")
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
    hrefs = page.locator(".pagefind-ui__result-link").evaluate_all("links => links.map(a => a.pathname)")
    assert "/newsletters/dental/1/" in hrefs
    assert page.refused == [] and page.errors == []


# ------------------------------------------------------------------ how the pages look (issue 17)

from support.browser import serve_project  # noqa: E402


@pytest.fixture(scope="module")
def served(draft_project):
    """The demo with a draft, as `make serve` serves it: the 404 page, and previews at /preview/."""
    with serve_project(draft_project) as url:
        yield url


@pytest.fixture
def wide(browser):
    with guarded_page(browser, allow_data=True) as page:
        page.set_viewport_size({"width": 1280, "height": 800})
        yield page


def rgb(page, variable: str) -> str:
    """A CSS custom property of :root as the rgb() string getComputedStyle reports colours in."""
    return page.evaluate("""v => { const probe = document.createElement('i'); probe.style.color = `var(${v})`;
        document.body.append(probe); const c = getComputedStyle(probe).color; probe.remove(); return c; }""", variable)


def test_the_header_stays_on_one_line_at_1280px(served, wide):
    rows = {}  # path -> how far apart the header items' centres are
    for path in ("/", "/newsletters/dental/1/", "/search/", "/about/", "/404.html",
                 "/cash-flow/restaurant-prime-cost/"):
        wide.goto(served + path)
        tops = wide.evaluate("""() => [...document.querySelectorAll('.header-inner > *, .site-nav li')]
            .map(e => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))""")
        rows[path] = max(tops) - min(tops)
    assert all(spread <= 4 for spread in rows.values()), rows  # every item on one row, centred on the same line


def test_a_short_page_keeps_its_footer_at_the_bottom_of_the_window(served, wide):
    wide.goto(served + "/404.html")
    bottom, height, content = (
        wide.evaluate("""() => [document.querySelector('.site-footer').getBoundingClientRect().bottom,
        window.innerHeight, document.querySelector('main').scrollHeight]""")
    )
    assert content < height  # a short page
    assert abs(bottom - height) <= 1


def test_a_missing_address_gets_the_sites_404_page_styled(served, wide):
    response = wide.goto(served + "/no/such/guide/")
    assert response.status == 404
    assert wide.locator("h1").inner_text() == "That page is not here"
    assert wide.evaluate("getComputedStyle(document.body).backgroundColor") == rgb(wide, "--bg")  # its CSS loaded
    wide.get_by_role("link", name="The home page").click()
    wide.wait_for_load_state("load")
    assert urlsplit(wide.url).path == "/" and wide.refused == []


def test_the_search_page_has_one_box_and_results_in_the_sites_type_and_colours(served, wide):
    wide.goto(served + "/search/?q=cash")
    wide.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
    boxes = wide.locator("input:visible")
    assert boxes.count() == 1 and "pagefind-ui__search-input" in boxes.first.get_attribute("class")
    style = wide.evaluate("""() => { const s = e => getComputedStyle(document.querySelector(e));
        return {link: s('.pagefind-ui__result-link').color, font: s('.pagefind-ui__result-title').fontFamily,
                body: s('body').fontFamily, excerpt: parseFloat(s('.pagefind-ui__result-excerpt').fontSize),
                text: parseFloat(s('body').fontSize)}; }""")
    assert style["link"] == rgb(wide, "--accent")
    assert style["font"] == style["body"]
    assert style["excerpt"] >= 0.85 * style["text"]  # not Pagefind's own 0.8 scale
    assert wide.refused == [] and wide.errors == []


def test_an_issue_page_tells_the_note_from_the_summary_and_keeps_a_readable_measure(served, wide):
    wide.goto(served + "/newsletters/dental/1/")
    note, summary = (wide.evaluate(f"""() => {{ const s = getComputedStyle(document.querySelector('{sel}'));
        return [s.color, s.fontSize, s.borderLeftWidth]; }}""") for sel in (".issue .note", ".issue .summary"))
    assert note[0] != summary[0] and note[1] != summary[1] and note[2] != summary[2]
    assert wide.locator(".issue .summary .label").first.text_content() == "Summary:"
    # Characters per line of the body text (the letter, the notes) where it wraps: about 70, a book's measure.
    widths = wide.evaluate("""() => [...document.querySelectorAll('.issue .letter p, .issue .note')].map(p => {
        const lines = Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight));
        return lines > 1 ? p.textContent.trim().length / lines : 0; }).filter(Boolean)""")
    assert widths and 55 <= max(widths) <= 80, widths  # fills the measure, and the measure is ~70


def test_a_draft_preview_is_served_styled_with_its_email_one_click_away(served, wide):
    wide.goto(served + "/preview/newsletters/dental/2/")
    banner = wide.locator(".preview-banner")
    look = banner.evaluate("""b => { const s = getComputedStyle(b);
        return [s.backgroundColor, parseFloat(s.borderLeftWidth), parseFloat(s.paddingLeft)]; }""")
    assert look[0] != wide.evaluate("getComputedStyle(document.body).backgroundColor") and look[1] >= 4 and look[2] > 0
    assert "content/newsletters/dental/2026-12-20.md" in banner.inner_text()
    with wide.expect_navigation():
        banner.get_by_role("link", name="as HTML").click()
    assert urlsplit(wide.url).path == "/preview/mail/dental/2.html"
    assert wide.locator("h1").inner_text() == "Claim denials, year-end tax and a calmer front desk"
    assert wide.refused == []


def test_read_it_on_the_web_stays_on_one_line_in_a_375px_email(demo_project, browser):
    with serve(demo_project / "mail") as url, guarded_page(browser) as phone:
        phone.set_viewport_size({"width": 375, "height": 700})
        for slug in ("dental", "nonprofits", "restaurants"):
            phone.goto(f"{url}/{slug}/1.html")
            link = phone.get_by_role("link", name="Read it on the web")
            assert link.evaluate("a => a.getClientRects().length") == 1, slug
            frame = phone.evaluate("() => document.querySelector('table.column').getBoundingClientRect().left")
            assert frame == 0, slug  # no cell padding around the column (cellpadding=0)
