"""axe-core (Deque's accessibility engine, pinned in tests/axe/package.json) over every kind of page,
in headless Chromium, light and dark: zero violations. axe is injected from node_modules, never a CDN."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.browser import MARKS, guarded_page, serve, serve_project
from support.project import ROOT
from support.tools import needs

AXE = ROOT / "tests/axe/node_modules/axe-core/axe.min.js"

pytestmark = [*MARKS, needs("axe-core", str(AXE) if AXE.is_file() else None, "npm ci --prefix tests/axe")]

PAGES = {
    "home": "/",
    "article": "/cash-flow/restaurant-prime-cost/",
    "page": "/about/",
    "resource library": "/resources/",
    "category": "/category/cash-flow/",
    "categories": "/categories/",
    "tag": "/tag/payroll/",
    "tags": "/tags/",
    "archives": "/archives/",
    "search": "/search/?q=cash",
    "404": "/no/such/page/",
    "newsletters index": "/newsletters/",
    "niche hub": "/newsletters/dental/",
    "issue page": "/newsletters/dental/1/",
    "draft preview": "/preview/newsletters/dental/2/",
}


@pytest.fixture(scope="module")
def site(draft_project):
    with serve_project(draft_project) as url:
        yield url


@pytest.fixture(scope="module")
def axe_url():
    """axe from a local server, not inlined: Chromium then compiles its 500 KB once, not on every page."""
    with serve(AXE.parent) as url:
        yield f"{url}/{AXE.name}"


def violations(page, axe_url: str) -> list[str]:
    page.add_script_tag(url=axe_url)
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)""")  # noqa: E501 (JavaScript)
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_kind_of_page_has_no_axe_violations(site, axe_url, browser, scheme):
    report = {}
    with guarded_page(browser) as page:
        page.emulate_media(color_scheme=scheme)
        for kind, path in PAGES.items():
            page.goto(site + path)
            if kind == "search":
                page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
            found = violations(page, axe_url)
            if found:
                report[kind] = found
        assert page.refused == []
    assert report == {}


def test_axe_finds_a_violation_when_there_is_one(site, axe_url, browser, tmp_path):
    """The harness itself: a page with an unlabelled field and low-contrast text must be reported."""
    with guarded_page(browser) as page:
        page.goto(site + "/about/")
        page.evaluate("""() => { const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend', '<input type="text"><p style="color:#ccc;background:#fff">faint</p>'); }""")  # noqa: E501 (JavaScript)
        found = violations(page, axe_url)
    assert any(v.startswith("label ") for v in found) and any(v.startswith("color-contrast ") for v in found), found


def test_axe_is_the_pinned_version():
    import json

    pinned = json.loads((ROOT / "tests/axe/package.json").read_text())["devDependencies"]["axe-core"]
    assert Path(AXE).read_text(encoding="utf-8").startswith(f"/*! axe v{pinned}")
