"""The peer: how a typical Pelican feed plugin gathers entries (pelican-webring style).

`feedparser.parse(url)` lets feedparser fetch each feed itself (no timeout, no
conditional GET, its sanitiser on), here generously in a thread pool of 16
rather than one after another as pelican-webring does; then each entry's
summary is stripped of tags and cut to a word budget, and everything is sorted
newest first. Run as a process: `python bench/webring.py URLFILE`; prints JSON.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import feedparser
from markupsafe import Markup


def fetch(url: str):
    return url, feedparser.parse(url)


def entries(url: str, parsed, words: int = 60) -> list[dict]:
    out = []
    for entry in parsed.entries:
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if stamp is None:  # pelican-webring skips entries without a date
            continue
        summary = Markup(entry.get("summary", "")).striptags().split()
        out.append({"title": entry.get("title", ""), "link": entry.get("link", ""), "date": tuple(stamp)[:6],
                    "summary": " ".join(summary[:words]), "feed": url})
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as handle:
        urls = [line.strip() for line in handle if line.strip()]
    workers = int(argv[1]) if len(argv) > 1 else 16
    start = time.perf_counter()
    found: list[dict] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for url, parsed in pool.map(fetch, urls):
            found.extend(entries(url, parsed))
    found.sort(key=lambda e: e["date"], reverse=True)
    print(json.dumps({"feeds": len(urls), "entries": len(found), "seconds": time.perf_counter() - start}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
