"""Headless Chromium for the browser tests: a local server, a browser, a guarded page.

Chromium is PLAYWRIGHT_CHROMIUM_EXECUTABLE, or chromium-headless-shell / chromium / chromium-browser on the PATH
(support/tools.py); without one the tests skip, or fail under CI=true.

Every page records the requests it makes and refuses (and records) any that
would leave 127.0.0.1, so a test can assert that nothing reached another host.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from .project import ROOT
from .tools import find_chromium, needs

CHROMIUM = find_chromium()
# No background networking: Chromium's own update/sync calls would be refused by this closed network.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

MARKS = [
    pytest.mark.browser,
    needs("chromium", CHROMIUM, "apt-get install chromium-headless-shell, or set PLAYWRIGHT_CHROMIUM_EXECUTABLE"),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest output readable
        pass


@contextlib.contextmanager
def running(server) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 running in a thread; yields its base URL, then stops it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def serve(directory):
    """A folder on 127.0.0.1 on an ephemeral port (a plain static server); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    return running(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler))


def serve_project(project):
    """A built project as `make serve` serves it (openhand serve: 404 page, /preview/); yields the base URL."""
    from curator.build.serve import make_server

    server = make_server(str(project / "output"), str(project / "preview"), "127.0.0.1", 0)
    server.RequestHandlerClass.log_message = lambda *args: None
    return running(server)


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def guarded_page(browser, *, allow_data: bool = False, console_errors: bool = False):
    """A fresh page with .requests, .refused, .dialogs and .errors lists; dialogs are dismissed."""
    context = browser.new_context()
    page = context.new_page()
    page.requests, page.refused, page.dialogs, page.errors = [], [], [], []
    local = ("data:", "blob:", "about:") if allow_data else ("blob:", "about:")

    def guard(route):
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(local):
            route.continue_()
        else:
            page.refused.append(url)
            route.abort()

    def dialog(d):
        page.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    context.route("**/*", guard)
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("dialog", dialog)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    if console_errors:
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    try:
        yield page
    finally:
        context.close()


# axe-core, pinned by tests/axe/package.json and installed by `npm ci --prefix tests/axe` (.ci/run does).
AXE = ROOT / "tests/axe/node_modules/axe-core/axe.min.js"


def axe_violations(page, axe_url: str, rules: list[str] | None = None) -> list[str]:
    """axe-core's violations on the page as it is now (every rule, or only `rules`), one line each.

    axe comes from `axe_url` on a local server, not inlined: Chromium then compiles its 500 KB once."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(url=axe_url)
    options = {"resultTypes": ["violations"], **({"runOnly": {"type": "rule", "values": rules}} if rules else {})}
    return page.evaluate("""async (options) => (await axe.run(document, options)).violations
        .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)""",  # noqa: E501 (JavaScript)
                         options)
