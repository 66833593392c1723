"""What the parser workers run: one feed's bytes parsed, cleaned and analysed (`digest`).

Its own small module because each run's keeper process imports it afresh: it needs parse and
clean only, not the choosing half of the pipeline (niches, Markdown, YAML, the network), which
doubled every keeper's start (0.42 s of CPU to import, against 0.21 s without it).
"""

from __future__ import annotations

from dataclasses import dataclass

from .clean import Entry, analyse_entries, clean_entries, cleaned_stamp


@dataclass(frozen=True)
class Digest:
    """What parsing and cleaning one feed's body found (picklable: it comes back from a worker)."""

    entries: list[Entry]
    cleaned: str        # clean.cleaned_stamp of the entries
    parsed: int         # entries the parser yielded
    problem: str        # why the feed is malformed, if it is ("" when not)
    refused: str        # why the body was refused as a feed ("" when not)
    is_feed: bool
    dropped: int        # entries left out (no usable http(s) link, or no title)


def digest(body: bytes, headers: dict[str, str], url: str, summary_words: int,
           languages: tuple[str, ...] = ()) -> Digest:
    """Parse, clean and analyse (for the languages of the niches reading it) one feed's bytes; pure,
    picklable in and out."""
    from .parse import parse_feed  # feedparser is imported only by a run that has something to parse

    parsed = parse_feed(body, headers)
    entries = analyse_entries(clean_entries(parsed.entries, url, parsed.link, summary_words), languages)
    return Digest(entries, cleaned_stamp(summary_words, languages), len(parsed.entries),
                  parsed.problem, parsed.refused, parsed.is_feed, len(parsed.entries) - len(entries))
