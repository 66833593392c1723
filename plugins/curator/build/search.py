"""Pagefind over the finished site: an offline search index, served from the site itself.

Runs after the build (the `finalized` signal) when SEARCH_INDEX is true. Pagefind
only reads output/ and writes output/pagefind/; it never touches the network.
Templates mark what to index with `data-pagefind-body`.
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


def run_pagefind(site: str | os.PathLike, *, timeout: float = 300) -> subprocess.CompletedProcess:
    """Index `site` in place; raise SearchIndexError with pagefind's own words on failure."""
    site = Path(site)
    if not site.is_dir():
        raise SearchIndexError(f"cannot index {site}: the folder does not exist (did the build write it?)")
    cmd = [str(pagefind_executable()), "--site", str(site), "--output-subdir", BUNDLE_DIR, "--quiet"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SearchIndexError(f"pagefind could not run on {site}: {exc}") from exc
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-20:]
        raise SearchIndexError(f"pagefind failed on {site} (exit {proc.returncode}):\n" + "\n".join(detail))
    if not (site / BUNDLE_DIR / "pagefind.js").is_file():
        raise SearchIndexError(f"pagefind ran but wrote no index under {site / BUNDLE_DIR}; "
                               "check that pages carry data-pagefind-body")
    return proc


def index_site(pelican) -> None:
    """The `finalized` receiver: index OUTPUT_PATH unless SEARCH_INDEX is off."""
    if not pelican.settings["SEARCH_INDEX"]:
        logger.info("Search index skipped (SEARCH_INDEX is False)")
        return
    output = pelican.settings["OUTPUT_PATH"]
    started = time.perf_counter()
    try:
        run_pagefind(output)
    except SearchIndexError as exc:
        logger.error("Search index: %s (to build without search, set SEARCH_INDEX = False)", exc)
        raise
    logger.info("Search index written to %s in %.2f s", os.path.join(output, BUNDLE_DIR),
                time.perf_counter() - started)
