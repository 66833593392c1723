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
