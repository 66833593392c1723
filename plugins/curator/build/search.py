"""Pagefind over the finished site: an offline search index, served from the site itself.

Runs after the build (the `finalized` signal) when SEARCH_INDEX is true, in its own
process while the no-strings check reads the same pages (both only read them;
Pagefind writes output/pagefind/, which that check leaves to `openhand check`).
It never touches the network. Templates mark what to index with `data-pagefind-body`.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

logger = logging.getLogger(__name__)

BUNDLE_DIR = "pagefind"


class SearchIndexError(RuntimeError):
    """Pagefind could not index the site; the message says why and what to do."""


def pagefind_executable() -> Path:
    """The pagefind binary from the `pagefind[bin]` package (PAGEFIND_BINARY_PATH overrides it)."""
    try:
        from pagefind.service import get_executable
    except ImportError as exc:  # pragma: no cover - the pinned requirements install it
        raise SearchIndexError("the 'pagefind' package is not installed; run `make install` "
                               "or set SEARCH_INDEX = False") from exc
    binary = get_executable()
    if binary is None or not Path(binary).is_file():
        raise SearchIndexError(f"no pagefind binary found ({binary or 'pagefind_bin not installed'}); "
                               "reinstall with `pip install pagefind[bin]` or set PAGEFIND_BINARY_PATH")
    return Path(binary)


class Indexing:
    """Pagefind at work on a site: `start` it, then `finish` (raises SearchIndexError with Pagefind's
    own words), `wait` (a build that failed anyway: the index is left whole, never half-written) or
    `stop` (the build was interrupted)."""

    def __init__(self, site: Path, proc: subprocess.Popen, started: float):
        self.site, self.proc, self.started = site, proc, started

    @classmethod
    def start(cls, site: str | os.PathLike) -> Indexing:
        site = Path(site)
        if not site.is_dir():
            raise SearchIndexError(f"cannot index {site}: the folder does not exist (did the build write it?)")
        cmd = [str(pagefind_executable()), "--site", str(site), "--output-subdir", BUNDLE_DIR, "--quiet"]
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except OSError as exc:
            raise SearchIndexError(f"pagefind could not run on {site}: {exc}") from exc
        return cls(site, proc, time.perf_counter())

    def _ended(self, timeout: float) -> tuple[str, str]:
        """Pagefind's output once it has ended; killed (and TimeoutExpired raised) past `timeout`."""
        try:
            return self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise

    def finish(self, timeout: float = 300) -> None:
        try:
            out, err = self._ended(timeout)
        except subprocess.TimeoutExpired as exc:
            raise SearchIndexError(f"pagefind could not run on {self.site}: {exc}") from exc
        if self.proc.returncode != 0:
            detail = (err.strip() or out.strip() or "no output").splitlines()[-20:]
            raise SearchIndexError(f"pagefind failed on {self.site} (exit {self.proc.returncode}):\n"
                                   + "\n".join(detail))
        if not (self.site / BUNDLE_DIR / "pagefind.js").is_file():
            raise SearchIndexError(f"pagefind ran but wrote no index under {self.site / BUNDLE_DIR}; "
                                   "check that pages carry data-pagefind-body")

    def wait(self, timeout: float = 300) -> None:
        try:
            self._ended(timeout)
        except subprocess.TimeoutExpired:
            pass

    def stop(self) -> None:
        """An interrupted build (Ctrl-C): Pagefind is stopped at once, not waited for."""
        self.proc.terminate()
        self.wait(timeout=5)


def run_pagefind(site: str | os.PathLike, *, timeout: float = 300) -> None:
    """Index `site` in place; raise SearchIndexError with pagefind's own words on failure."""
    Indexing.start(site).finish(timeout)


def _say(exc: SearchIndexError) -> None:
    logger.error("Search index: %s (to build without search, set SEARCH_INDEX = False)", exc)


def start_index(pelican) -> Indexing | None:
    """Start indexing OUTPUT_PATH (None when SEARCH_INDEX is off)."""
    if not pelican.settings["SEARCH_INDEX"]:
        logger.info("Search index skipped (SEARCH_INDEX is False)")
        return None
    try:
        return Indexing.start(pelican.settings["OUTPUT_PATH"])
    except SearchIndexError as exc:
        _say(exc)
        raise


def finish_index(indexing: Indexing) -> None:
    try:
        indexing.finish()
    except SearchIndexError as exc:
        _say(exc)
        raise
    logger.info("Search index written to %s in %.2f s", indexing.site / BUNDLE_DIR,
                time.perf_counter() - indexing.started)
