"""The curation pipeline's decisions, without I/O: the records of a run, each feed's parse languages
and limits, and choosing one niche's links (what parsing a feed yields is `digest`, in the workers).

`curate` runs these in order (and in worker processes), `command` shows what they decided.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..model.documents import ContentError
from ..model.niches import Niche
from ..model.picks import Pick
from . import offers
from .choice import Options, choose, niche_language, pick_section
from .clean import TITLE_MAX_CHARS, Entry, cut_chars, plain_text
from .drafts import EXISTS, TOO_SOON, WRITTEN, DraftResult
from .fetch import Status
from .pools import CPU, MEMORY, TIME, Limits, Stopped
from .score import Candidate
from .tracking import clean_link, site_host

logger = logging.getLogger(__name__)

POOL_MIN_ENTRIES = 2000
WALL_FACTOR, WALL_EXTRA = 3, 10.0  # the watchdog: wall seconds per CPU second allowed, and extra


@dataclass
class FeedReport:
    location: str
    status: Status
    entries: list[Entry] = field(default_factory=list)
    parsed: int = 0          # entries parsed this run (0 when not modified or cached)
    reason: str = ""


@dataclass
class NicheReport:
    slug: str
    feeds_ok: int = 0
    not_modified: int = 0
    failed: int = 0
    seen: int = 0
    kept: int = 0
    picked: int = 0
    stopped: list[str] = field(default_factory=list)   # feeds a limit stopped
    draft: DraftResult | None = None
    links: list[Candidate] = field(default_factory=list)
    more: list[Candidate] = field(default_factory=list)   # runner-ups
    problem: str = ""
    nothing_new: bool = False   # no draft, and rightly so: the feeds were read, nothing new matched

    @property
    def succeeded(self) -> bool:
        return self.draft is not None and self.draft.status in (WRITTEN, EXISTS, TOO_SOON)

    @property
    def curated(self) -> bool:
        """Wrote (or kept) its draft, or had nothing new to offer: nothing for the editor to fix."""
        return self.succeeded or self.nothing_new


@dataclass
class CurateResult:
    niches: list[NicheReport]
    feeds: dict[str, FeedReport]
    content_errors: list[ContentError] = field(default_factory=list)   # bad hand-picked link files

    @property
    def parsed(self) -> int:
        return sum(f.parsed for f in self.feeds.values())


# ---------------------------------------------------------------- each feed's parsing: languages, limits

def feed_languages(settings: dict[str, Any], niches: dict[str, Niche]) -> dict[str, tuple[str, ...]]:
    """By feed location, the languages of every niche reading it (not only the niches due now, so
    a feed's analyses do not change with which niches a run curates)."""
    out: dict[str, set[str]] = {}
    for niche in niches.values():
        for feed in niche.feeds:
            out.setdefault(feed.location, set()).add(niche_language(settings, niche))
    return {loc: tuple(sorted(langs)) for loc, langs in out.items()}


def feed_limits(settings: dict[str, Any]) -> Limits:
    """The per-feed limits; the wall-clock watchdog (for a worker that stops using CPU but does not
    finish) leaves room for a busy machine, where a second of CPU can take several."""
    cpu = float(settings["CURATE_FEED_CPU_SECONDS"])
    return Limits(int(settings["CURATE_FEED_MEMORY_MB"]), cpu, WALL_FACTOR * cpu + WALL_EXTRA)


def stopped_reason(stopped: Stopped, limits: Limits) -> str:
    if stopped.limit == MEMORY:
        return f"it needed more than {limits.memory_mb} MB to parse and clean (CURATE_FEED_MEMORY_MB)"
    if stopped.limit == CPU:
        return f"it needed more than {limits.cpu_seconds:g} s of CPU to parse and clean (CURATE_FEED_CPU_SECONDS)"
    if stopped.limit == TIME:
        return (f"parsing and cleaning took longer than {limits.wall_seconds:g} s "
                f"({WALL_FACTOR} x CURATE_FEED_CPU_SECONDS + {WALL_EXTRA:g} s)")
    return f"parsing and cleaning it failed: {stopped.detail}"


def not_a_feed(headers: dict[str, str], body: bytes) -> str:
    kind = (headers.get("content-type") or "").split(";")[0].strip()
    start = body.lstrip()[:100].lower()
    if not body.strip():
        return "the body is empty, not a feed"
    if "html" in kind or start.startswith((b"<!doctype html", b"<html")):
        return "got an HTML page, not a feed"
    if "json" in kind or start.startswith((b"{", b"[")):
        return "got JSON, not an RSS or Atom feed"
    return f"is not an RSS or Atom feed ({kind or 'unknown content type'})"


# ---------------------------------------------------------------- choosing (maybe in forked workers)

def _pick_candidate(pick: Pick, niche: Niche, order: int, lang: str) -> Candidate | None:
    url = clean_link(pick.url)
    if url is None:
        logger.warning("%s: url %r is not an http(s) link once cleaned; skipped", pick.path, pick.url)
        return None
    title = cut_chars(plain_text(pick.title), TITLE_MAX_CHARS) or url
    host = site_host(urlsplit(url).netloc)
    section = pick.section or pick_section(niche, title, plain_text(pick.note), lang)
    return Candidate(url=url, title=title, summary="", guid="", date=None, source=host, score=0.0,
                     section=section, why="hand-picked by the editor", order=order, hand_picked=True,
                     note=plain_text(pick.note))


def pick_candidates(picks: list[Pick], niche: Niche, lang: str) -> list[Candidate]:
    """The niche's hand-picked links as candidates, in the editor's order; an unusable one is logged."""
    niche_picks = [p for p in picks if niche.slug in p.niches]
    return [c for c in (_pick_candidate(p, niche, i, lang) for i, p in enumerate(niche_picks)) if c is not None]


@dataclass
class ChoiceRun:
    """What choosing a niche's links reads (besides its hand-picks)."""

    settings: dict[str, Any]
    feeds: dict[str, FeedReport]
    issues: dict[str, list]
    date: dt.date
    records: dict[str, offers.Record] = field(default_factory=dict)   # what earlier drafts offered


def count_feeds(report: NicheReport, niche: Niche, feeds: dict[str, FeedReport]) -> NicheReport:
    report.feeds_ok = report.not_modified = report.failed = 0
    report.stopped = []
    for feed in niche.feeds:
        fr = feeds[feed.location]
        if fr.status == Status.OK:
            report.feeds_ok += 1
        elif fr.status == Status.NOT_MODIFIED:
            report.not_modified += 1
        elif fr.status in (Status.FAILED, Status.GONE, Status.STOPPED):
            report.failed += 1
            if fr.status == Status.STOPPED:
                report.stopped.append(feed.name)
        else:
            report.feeds_ok += 1 if fr.entries else 0
            report.failed += 0 if fr.entries else 1
    return report


def choose_links(run: ChoiceRun, niche: Niche, picks: list[Candidate]) -> NicheReport:
    """Score, group and select one niche's links (no I/O, no logging: it may run in a worker)."""
    report = count_feeds(NicheReport(niche.slug), niche, run.feeds)
    tagged = [(feed, entry) for feed in niche.feeds for entry in run.feeds[feed.location].entries]
    record = run.records.get(niche.slug) or offers.Record(niche.slug, {})
    choice = choose(niche, tagged, picks, run.issues[niche.slug], record, run.date,
                    Options.from_settings(run.settings, niche))
    report.seen, report.kept = choice.seen, choice.kept
    report.links, report.more = choice.links, choice.more
    report.picked = len(report.links)
    return report


def worth_forking(run: ChoiceRun, niches: list[Niche], processes: int) -> bool:
    """Forked workers for choosing cost ~0.05 s to start: worth it only for many entries and several niches."""
    entries = sum(len(run.feeds[f.location].entries) for n in niches for f in n.feeds)
    return processes >= 2 and len(niches) >= 2 and entries >= POOL_MIN_ENTRIES
