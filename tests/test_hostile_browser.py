"""The hostile corpus in a real browser: issue pages, hubs, search and emails run none of the injected code.

Every payload in tests/hostile/ tries to set window.__pwned, open a dialog or load
something from another host. Headless Debian Chromium loads what the build made
from the corpus over http://127.0.0.1, fires the events inline handlers would
wait for, and checks that nothing ran, nothing opened and nothing left 127.0.0.1.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from hostile.corpus import built_corpus
from support.browser import MARKS, guarded_page, serve

pytestmark = MARKS

# Events an injected inline handler (onerror, onload, onmouseover, onfocus, ontoggle...) would wait for.
FIRE_EVENTS = """() => {
  for (const el of document.querySelectorAll('*')) {
    for (const type of ['mouseover', 'mouseenter', 'focus', 'toggle', 'load', 'error', 'begin', 'animationstart']) {
      el.dispatchEvent(new Event(type));
    }
  }
  return typeof window.__pwned;
}"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return built_corpus(tmp_path_factory)


@pytest.fixture(scope="module")
def served(corpus):
    """The project folder (output/ and mail/) on 127.0.0.1."""
    with serve(corpus.project) as url:
        yield url


@pytest.fixture
def page(browser):
    """A page that records requests, refuses any leaving 127.0.0.1, and records dialogs and errors."""
    with guarded_page(browser, console_errors=True) as page:
        yield page


# Pagefind has finished a search when it says it found nothing, or when every result it shows has loaded.
SEARCH_DONE = """() => {
  const said = (document.querySelector('.pagefind-ui__message') || {}).textContent || '';
  if (/^\\s*No results/.test(said)) return true;
  const shown = document.querySelectorAll('.pagefind-ui__result').length;
  return /results? for/.test(said) && shown > 0 && !document.querySelector('.pagefind-ui__loading')
    && document.querySelectorAll('.pagefind-ui__result-link').length === shown;
}"""


def visit(page, url: str) -> str:
    response = page.goto(url)
    assert response is not None and response.ok, url
    page.wait_for_load_state("load")
    return page.evaluate(FIRE_EVENTS)


def assert_nothing_ran(page, where):
    assert page.dialogs == [], (where, page.dialogs)
    assert page.errors == [], (where, page.errors)
    assert page.refused == [], (where, page.refused)
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in page.requests), (where, page.requests)


def test_issue_pages_and_hubs_run_no_injected_code(corpus, served, page):
    paths = sorted(p.relative_to(corpus.project).as_posix()
                   for p in (corpus.project / "output" / "newsletters").rglob("index.html"))
    assert len(paths) == 2 * len(corpus.drafts) + 1          # an issue page and a hub per niche, and the index
    for path in paths:
        assert visit(page, f"{served}/{path}") == "undefined", path
        assert page.locator("main a[href^='javascript:'], main iframe, main img[src*='//']").count() == 0, path
    assert_nothing_ran(page, "pages")


def test_draft_previews_run_no_injected_code(corpus, served, page):
    from hostile.corpus import PREVIEWS

    previews = sorted(p.relative_to(corpus.project).as_posix() for p in (corpus.project / PREVIEWS).rglob("*.html"))
    assert len(previews) == 2 * len(corpus.drafts)  # each draft's page and its email
    for path in previews:
        assert visit(page, f"{served}/{path}") == "undefined", path
    assert_nothing_ran(page, "previews")


def test_email_html_runs_no_injected_code_and_loads_nothing(corpus, served, page):
    emails = sorted(p.relative_to(corpus.project).as_posix() for p in (corpus.project / "mail").rglob("*.html"))
    assert len(emails) == len(corpus.drafts)
    for path in emails:
        assert visit(page, f"{served}/{path}") == "undefined", path
    # An email loads nothing at all: only the .html files themselves were requested.
    assert sorted(urlsplit(u).path.lstrip("/") for u in page.requests) == emails
    assert_nothing_ran(page, "emails")


@pytest.mark.parametrize("query", ["ledger", "pwned", "script", "onerror"])
def test_searching_the_corpus_shows_results_as_text(served, page, query):
    assert visit(page, f"{served}/output/search/?q={quote(query)}") == "undefined"
    page.wait_for_function(SEARCH_DONE, timeout=15000)
    if query == "ledger":
        assert page.locator(".pagefind-ui__result-link").count() > 0
    assert page.evaluate(FIRE_EVENTS) == "undefined"
    assert page.locator("#search iframe, #search svg[onload], #search img[onerror]").count() == 0
    assert_nothing_ran(page, query)


def test_the_harness_notices_a_payload_that_does_run(corpus, served, page):
    """So the tests above can fail: the corpus's HTML page, served as is, does set window.__pwned."""
    from hostile.corpus import HERE

    (corpus.project / "canary").mkdir(exist_ok=True)
    html = (HERE / "html-page.html").read_text(encoding="utf-8")
    (corpus.project / "canary" / "index.html").write_text(
        html.replace("</body>", '<img src="https://tracker.example/p.gif"><script>alert(1)</script></body>'),
        encoding="utf-8")
    assert visit(page, f"{served}/canary/") == "number"
    assert page.dialogs == ["alert: 1"]
    assert page.refused == ["https://tracker.example/p.gif"]
