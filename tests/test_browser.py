"""The built demo site in a real browser (headless Debian Chromium): navigation, search, no outside requests."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (apt-get install chromium)"),
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest output readable
        pass


@pytest.fixture(scope="module")
def site(demo_project):
    """output/ served on 127.0.0.1 on an ephemeral port, in a thread, for this module only."""
    handler = functools.partial(QuietHandler, directory=str(demo_project / "output"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A fresh page that records every request and refuses any that would leave 127.0.0.1."""
    context = browser.new_context()
    requests, refused = [], []

    def guard(route):
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.requests, page.refused = requests, refused
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    yield page
    context.close()


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
