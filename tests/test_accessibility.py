"""axe-core (Deque's accessibility engine, pinned in tests/axe/package.json) over every kind of page,
in headless Chromium, light and dark: zero violations. axe is injected from node_modules, never a CDN."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.browser import AXE, MARKS, axe_violations, guarded_page, serve_project
from support.project import ROOT
from support.tools import needs

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


# What the dark scheme changes is colour only: on the same page, the rules that read colours are run again.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def test_every_kind_of_page_has_no_axe_violations_in_light_or_dark(site, axe_url, browser):
    """Every rule in the light scheme; then, the page switched to dark without a reload, every colour rule."""
    report = {}
    with guarded_page(browser) as page:
        for kind, path in PAGES.items():
            page.emulate_media(color_scheme="light")
            page.goto(site + path)
            if kind == "search":
                page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
            for scheme, rules in (("light", None), ("dark", COLOUR_RULES)):
                page.emulate_media(color_scheme=scheme)
                found = axe_violations(page, axe_url, rules)
                if found:
                    report[f"{kind} ({scheme})"] = found
        assert page.refused == []
    assert report == {}


def test_axe_finds_a_violation_when_there_is_one(site, axe_url, browser, tmp_path):
    """The harness itself: a page with an unlabelled field and low-contrast text must be reported."""
    with guarded_page(browser) as page:
        page.goto(site + "/about/")
        page.evaluate("""() => { const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend', '<input type="text"><p style="color:#ccc;background:#fff">faint</p>'); }""")  # noqa: E501 (JavaScript)
        found = axe_violations(page, axe_url)
        page.evaluate("""() => { document.querySelector('main').insertAdjacentHTML('beforeend',
            '<style>@media (prefers-color-scheme: dark) { .dim-in-dark { color: #333 } }</style>' +
            '<p class="dim-in-dark">dim only in the dark</p>'); }""")
        light = axe_violations(page, axe_url, COLOUR_RULES)
        page.emulate_media(color_scheme="dark")
        dark = axe_violations(page, axe_url, COLOUR_RULES)
    assert any(v.startswith("label ") for v in found) and any(v.startswith("color-contrast ") for v in found), found
    assert not any(".dim-in-dark" in v for v in light), light  # the dark run sees what only the dark scheme does
    assert any(v.startswith("color-contrast ") and ".dim-in-dark" in v for v in dark), dark


def test_axe_is_the_pinned_version():
    import json

    pinned = json.loads((ROOT / "tests/axe/package.json").read_text())["devDependencies"]["axe-core"]
    assert Path(AXE).read_text(encoding="utf-8").startswith(f"/*! axe v{pinned}")
