"""`openhand curate`: feeds and hand-picked links become one reviewed draft per niche.

The thin command over the pipeline: fetch (threads) -> parse + clean (every feed
in a worker process under a memory ceiling and a CPU-time limit, `pools.LimitedPool`,
started only when some feed sends a body) -> score, group and select per niche
(`choice.choose`, in forked workers for many entries and several niches; on a warm
run already while the feeds download, from the cache) -> record what the draft
offers, write the draft. Each feed's trouble is one warning naming the feed and the
reason (a limit it hit names the setting); it never stops the other feeds or
niches, nor does a bad hand-picked link file.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from . import fetch as fetching
from .fetch import FeedState, Status
from . import offers
from .choice import Options, choose, niche_language, pick_section
from .clean import TITLE_MAX_CHARS, Entry, analyse_entries, clean_entries, cleaned_stamp, cut_chars, plain_text, reclean_entries
from ..model.documents import ContentError, remove_abandoned_temp_files
from .drafts import EXISTS, TOO_SOON, WRITTEN, DraftResult, precheck, write_draft
from ..model.issues import load_all_issues
from .learning import offered_links
from ..model.niches import Niche, load_niches
from ..model.picks import Pick, read_picks
from .pools import CPU, MEMORY, TIME, LimitedPool, Limits, Stopped, die_with_parent, fork_pool
from .score import Candidate
from ..model.settings import SettingsError, cache_dir, content_dir, project_dir, project_root
from .tracking import clean_link

logger = logging.getLogger(__name__)

# Forked workers for choosing cost ~0.05 s to start: worth it only for many entries and several niches.
POOL_MIN_ENTRIES = 2000
DIGEST = "curator.curation.curate:digest"   # what the parser workers run (imported there by name)
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


# ---------------------------------------------------------------- parsing (maybe in other processes)

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
    return Digest(entries, cleaned_stamp(entries, summary_words, languages), len(parsed.entries),
                  parsed.problem, parsed.refused, parsed.is_feed, len(parsed.entries) - len(entries))


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


def digest_all(jobs: dict[str, tuple], processes: int, limits: Limits) -> dict[str, Any]:
    """Every job's digest (or Stopped), in worker processes under the limits."""
    with LimitedPool(DIGEST, processes, limits) as pool:
        for key, job in jobs.items():
            pool.submit(key, *job)
        return pool.results()


def _stopped_reason(stopped: Stopped, limits: Limits) -> str:
    if stopped.limit == MEMORY:
        return f"it needed more than {limits.memory_mb} MB to parse and clean (CURATE_FEED_MEMORY_MB)"
    if stopped.limit == CPU:
        return f"it needed more than {limits.cpu_seconds:g} s of CPU to parse and clean (CURATE_FEED_CPU_SECONDS)"
    if stopped.limit == TIME:
        return (f"parsing and cleaning took longer than {limits.wall_seconds:g} s "
                f"({WALL_FACTOR} x CURATE_FEED_CPU_SECONDS + {WALL_EXTRA:g} s)")
    return f"parsing and cleaning it failed: {stopped.detail}"


def _not_a_feed(headers: dict[str, str], body: bytes) -> str:
    kind = (headers.get("content-type") or "").split(";")[0].strip()
    start = body.lstrip()[:100].lower()
    if not body.strip():
        return "the body is empty, not a feed"
    if "html" in kind or start.startswith((b"<!doctype html", b"<html")):
        return "got an HTML page, not a feed"
    if "json" in kind or start.startswith((b"{", b"[")):
        return "got JSON, not an RSS or Atom feed"
    return f"is not an RSS or Atom feed ({kind or 'unknown content type'})"


# ---------------------------------------------------------------- the run

def curate(settings: dict[str, Any], *, slugs: list[str] | None = None, date: dt.date | None = None,
           offline: bool = False, force: bool = False, retry: bool = False, progress=None) -> CurateResult:
    """Curate the chosen niches (all by default); returns what happened, for the table and tests.
    retry=True fetches the feeds that are backing off after failures too."""
    date = date or dt.date.today()
    root = os.path.abspath(settings["PATH"])
    niches_dir = content_dir(settings, "NICHES_PATH")
    niches = load_niches(niches_dir, root)
    if not niches:
        raise SettingsError(f"{niches_dir}: no niche files (*.md) to curate; add one, e.g. content/niches/dental.md")
    for slug in slugs or []:
        if slug not in niches:
            raise SettingsError(f"--niche {slug}: no such niche in {niches_dir} (known: {', '.join(sorted(niches))})")
    chosen = [niches[s] for s in dict.fromkeys(slugs)] if slugs else list(niches.values())
    links_dir = content_dir(settings, "LINKS_PATH")
    picks, pick_errors = _picks(links_dir, niches, root)
    newsletters_dir = content_dir(settings, "NEWSLETTERS_PATH")
    all_issues = load_all_issues(newsletters_dir, niches)
    remove_abandoned_temp_files(newsletters_dir, cache_dir(settings))

    # A niche whose draft exists or is not due yet costs its feeds no request.
    early = {n.slug: precheck(newsletters_dir, n, all_issues[n.slug], date, force=force) for n in chosen}
    due = [n for n in chosen if early[n.slug] is None]
    locations = list(dict.fromkeys(feed.location for niche in due for feed in niche.feeds))
    names = {}
    for niche in due:
        for feed in niche.feeds:
            names.setdefault(feed.location, f"{feed.name} <{feed.url}>")
    processes = int(settings["CURATE_PARSE_PROCESSES"])
    state = project_dir(settings, "CURATOR_STATE_PATH")
    records = {n.slug: offers.load(state, n.slug) for n in due}
    base = ChoiceRun(settings, {}, all_issues, date, records)
    niche_picks = {n.slug: pick_candidates(picks, n, niche_language(settings, n)) for n in due}  # a bad pick is logged once, here
    early_choice = EarlyChoice(base, due, niche_picks, processes)
    try:
        feeds = (fetch_and_digest(settings, locations, names, offline=offline, retry=retry, progress=progress,
                                  before_fetch=early_choice.start, languages=feed_languages(settings, niches))
                 if locations else {})
        run = replace(base, feeds=feeds)
        choices = early_choice.finish(run)
    finally:
        early_choice.close()
    choices.update(choose_all(run, [n for n in due if n.slug not in choices], niche_picks, processes))
    reports = []
    for niche in chosen:
        if early[niche.slug] is not None:
            reports.append(NicheReport(niche.slug, draft=early[niche.slug]))
            continue
        reports.append(write_choice(niche, choices[niche.slug], all_issues[niche.slug], newsletters_dir, date, force,
                                    state, records[niche.slug]))
    return CurateResult(reports, feeds, pick_errors)


def _picks(folder: str, niches: dict[str, Niche], root: str) -> tuple[list[Pick], list[ContentError]]:
    """The hand-picked links; a bad file is one error line and only its link is left out."""
    picks, errors, refused = read_picks(folder, niches, root)
    for path in refused:
        logger.warning("%s is a symbolic link to a place outside %s; not followed (move what it points "
                       "at into content/ to use it)", path, root)
    for error in errors:
        logger.error("%s; this hand-picked link is left out, the others are curated", error)
    return picks, errors


def fetch_and_digest(settings: dict[str, Any], locations: list[str], names: dict[str, str], *,
                     offline: bool, retry: bool = False, progress=None, before_fetch=None,
                     languages: dict[str, tuple[str, ...]] | None = None) -> dict[str, FeedReport]:
    """Every feed's report. `before_fetch(cached, bodies)`, if given, is called with the entries the
    cache holds (the very lists a feed that answers 304 reports) and how many feeds will likely send
    a body, before any thread starts. `languages`: by location, the languages its entries are
    analysed for (those of the niches reading it)."""
    options = replace(fetching.FetchOptions.from_settings(settings), retry=retry)
    folder = cache_dir(settings)
    words = int(settings["CURATE_SUMMARY_WORDS"])
    limits = feed_limits(settings)
    languages = languages or {}
    states = {loc: fetching.load_state(folder, loc) for loc in locations}
    cached_entries = {loc: reclean_entries(st.entries, words, st.cleaned, languages.get(loc, ()))
                      for loc, st in states.items()}
    bodies = fetching.likely_bodies(states, offline, retry=retry)
    if before_fetch is not None:
        before_fetch(cached_entries, bodies)
    # Every body is parsed under the limits, in worker processes that start with the first one
    # (at once when bodies are expected, while the requests are on the wire): a warm run of 304s
    # starts none.
    pool = LimitedPool(DIGEST, int(settings["CURATE_PARSE_PROCESSES"]), limits, "parsing feeds")
    if bodies:
        pool.start()

    def on_done(result: fetching.Fetched) -> None:
        if result.status == Status.OK:
            pool.submit(result.location, result.body, result.headers, result.url, words,
                        languages.get(result.location, ()))
        if progress:
            progress(names.get(result.location, result.location), len(locations))

    try:
        fetched = fetching.fetch_all(locations, folder, options, offline=offline, on_done=on_done, states=states)
        digested = pool.results()
    finally:
        pool.close()
    reports: dict[str, FeedReport] = {}
    for loc in locations:
        result = fetched[loc]
        assert result.state is not None  # fetch_all sets every result's state
        state, cached = result.state, cached_entries[loc]
        if cached is not state.entries:
            state = state.recleaned(cached, cleaned_stamp(cached, words, languages.get(loc, ())))
        if result.status == Status.OK:
            report, state = _digested(result, state, cached, digested[loc], names.get(loc, loc), limits)
        else:
            report = _not_digested(result, cached, names.get(loc, loc))
        reports[loc] = report
        fetching.keep(folder, result, state)
    return reports


def _digested(result: fetching.Fetched, state: FeedState, cached: list[Entry], out: Digest | Stopped, name: str,
              limits: Limits) -> tuple[FeedReport, FeedState]:
    """The report of a feed that sent a body, and its state once fetch has taken in what parsing
    found: one warning at most."""
    loc = result.location
    if isinstance(out, Stopped) or (not out.is_feed and not out.entries):
        stopped = isinstance(out, Stopped)
        reason = (_stopped_reason(out, limits) if isinstance(out, Stopped)
                  else out.refused or _not_a_feed(result.headers, result.body))
        extra = f" (using {len(cached)} entries from the last good fetch)" if cached else ""
        logger.warning("feed %s %s: %s%s", name, "stopped" if stopped else "failed", reason, extra)
        report = FeedReport(loc, Status.STOPPED if stopped else Status.FAILED, cached, 0, reason)
        return report, state.refused(reason, time.time())
    # One warning per feed, whatever is wrong with it: malformed, entries skipped, moved.
    notes = []
    if out.problem:
        notes.append(f"is malformed ({out.problem}); using the {out.parsed} entries it yielded")
    if out.dropped:
        notes.append(f"had {out.dropped} of {out.parsed} entries skipped "
                     "(no usable http(s) link, or no title)")
    if result.reason:
        notes.append(result.reason)
    if notes:
        logger.warning("feed %s %s", name, "; ".join(notes))
    return FeedReport(loc, Status.OK, out.entries, out.parsed), state.parsed(out.entries, out.cleaned, time.time())


def _not_digested(result: fetching.Fetched, cached: list[Entry], name: str) -> FeedReport:
    """The report of a feed that sent nothing to parse: not modified, failed, gone, not fetched."""
    loc = result.location
    if result.status == Status.NOT_MODIFIED:
        if result.reason:
            logger.warning("feed %s %s", name, result.reason)
        return FeedReport(loc, Status.NOT_MODIFIED, cached, 0)
    report = FeedReport(loc, result.status, [] if result.status == Status.GONE else cached, 0, result.reason)
    if report.status in (Status.FAILED, Status.GONE):
        extra = f" (using {len(cached)} entries from the last good fetch)" if report.entries else ""
        logger.warning("feed %s failed: %s%s", name, report.reason, extra)
    elif report.status == Status.NOT_FETCHED:
        logger.warning("feed %s not fetched: %s", name, report.reason)
    return report


def _pick_candidate(pick: Pick, niche: Niche, order: int, lang: str) -> Candidate | None:
    url = clean_link(pick.url)
    if url is None:
        logger.warning("%s: url %r is not an http(s) link once cleaned; skipped", pick.path, pick.url)
        return None
    title = cut_chars(plain_text(pick.title), TITLE_MAX_CHARS) or url
    host = urlsplit(url).netloc.lower()
    host = host[4:] if host.startswith("www.") else host
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


_RUN: ChoiceRun | None = None  # what forked choosing workers inherit


def _choose_in_worker(niche: Niche, picks: list[Candidate]) -> NicheReport:
    assert _RUN is not None
    return choose_links(_RUN, niche, picks)


def _choose_in_workers(run: ChoiceRun, niches: list[Niche], picks: dict[str, list[Candidate]],
                       processes: int) -> tuple[ProcessPoolExecutor | None, dict[str, Any]]:
    """Start choosing each niche's links in forked workers (which inherit `run`'s entries instead of
    receiving them) when several niches share many entries; (None, {}) when not worth it or not possible."""
    global _RUN
    entries = sum(len(run.feeds[f.location].entries) for n in niches for f in n.feeds)
    if processes < 2 or len(niches) < 2 or entries < POOL_MIN_ENTRIES:
        return None, {}
    _RUN = run  # the first submit forks every worker, with this set
    # Frozen, what this process holds is never scanned by the workers' garbage collector, so its pages
    # stay shared instead of being copied one by one (the first niches a worker chose cost twice the rest).
    gc.freeze()
    try:
        pool = fork_pool(min(processes, len(niches)), die_with_parent)
        if pool is None:
            return None, {}
        return pool, {n.slug: pool.submit(_choose_in_worker, n, picks[n.slug]) for n in niches}
    except Exception as exc:  # e.g. no /dev/shm: chosen in this process
        logger.debug("choosing links in this process (%s)", exc)
        return None, {}
    finally:
        gc.unfreeze()
        _RUN = None


def _result(future, slug: str) -> NicheReport | None:
    try:
        return future.result()
    except Exception as exc:  # a dead worker: that niche is chosen in this process instead
        logger.debug("choosing for %s failed in a worker: %r", slug, exc)
        return None


def choose_all(run: ChoiceRun, niches: list[Niche], picks: dict[str, list[Candidate]],
               processes: int) -> dict[str, NicheReport]:
    """Every given niche's choice: in forked workers when that pays, else (or for any that failed) here."""
    pool, futures = _choose_in_workers(run, niches, picks, processes)
    out: dict[str, NicheReport] = {}
    if pool is not None:
        with pool:
            for slug, future in futures.items():
                report = _result(future, slug)
                if report is not None:
                    out[slug] = report
        logger.debug("chose links for %d niches in %d worker processes", len(out), min(processes, len(niches)))
    for niche in niches:
        if niche.slug not in out:
            out[niche.slug] = choose_links(run, niche, picks[niche.slug])
    return out


class EarlyChoice:
    """A weekly run finds most feeds unchanged (304), so their entries are known before any request:
    while the feeds download, forked workers choose each niche's links from the cached entries. A
    niche whose every feed then reports exactly those entries keeps that choice; the rest are chosen
    again once the feeds are in. Only when no feed is likely to send a body (a warm run)."""

    def __init__(self, base: ChoiceRun, niches: list[Niche], picks: dict[str, list[Candidate]], processes: int):
        self.base, self.niches, self.picks, self.processes = base, niches, picks, processes
        self.pool: ProcessPoolExecutor | None = None
        self.futures: dict[str, Any] = {}
        self.cached: dict[str, list] = {}

    def start(self, cached: dict[str, list], bodies: int) -> None:
        if bodies:
            return
        self.cached = cached
        run = replace(self.base, feeds={loc: FeedReport(loc, Status.NOT_FETCHED, entries) for loc, entries in cached.items()})
        self.pool, self.futures = _choose_in_workers(run, self.niches, self.picks, self.processes)

    def finish(self, run: ChoiceRun) -> dict[str, NicheReport]:
        """The early choices still true of what the feeds reported (feed counts brought up to date)."""
        out = {}
        for niche in self.niches:
            future = self.futures.get(niche.slug)
            if future is None or any(run.feeds[f.location].entries is not self.cached.get(f.location)
                                     for f in niche.feeds):
                continue
            report = _result(future, niche.slug)
            if report is not None:
                out[niche.slug] = count_feeds(report, niche, run.feeds)
        if self.futures:
            logger.debug("chose links early for %d of %d niches", len(out), len(self.niches))
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


def write_choice(niche: Niche, report: NicheReport, issues: list, newsletters_dir: str, date: dt.date,
                 force: bool, state: str, record: offers.Record) -> NicheReport:
    """Write the draft, recording first what it offers (a kill between the two leaves a record and no
    draft, which the next run replaces; never a draft whose offers were not recorded)."""
    if not report.links:
        if report.stopped:
            report.problem = (f"could not be curated: {', '.join(report.stopped)} stopped at a limit, "
                              "and nothing else was new")
        elif niche.feeds and report.failed == len(niche.feeds):
            report.problem = "could not be curated: every feed failed"
        else:
            report.nothing_new = True
            report.problem = (f"nothing new to offer: {report.seen} entries seen, none that matches the "
                              "keywords and is not in an earlier issue")
            logger.info("niche %s: %s; no draft written", niche.slug, report.problem)
            return report
        logger.warning("niche %s: %s; no draft written", niche.slug, report.problem)
        return report
    recorded = _record(state, offers.with_offer(record, date.isoformat(), offered_links(report.links, report.more)))
    try:
        report.draft = write_draft(newsletters_dir, niche, issues, date, report.links, more=report.more, force=force)
    except OSError as exc:
        report.problem = f"could not write the draft: {exc}"
        logger.error("niche %s: %s", niche.slug, report.problem)
    if recorded and (report.draft is None or report.draft.status != WRITTEN):
        _record(state, record)  # no draft of ours: what it would have offered is not to be learned from
    if report.draft is not None and report.draft.status != WRITTEN:
        logger.debug("niche %s: %s", niche.slug, report.draft.message)
    return report


def _record(state: str, record: offers.Record) -> bool:
    try:
        offers.save(state, record)
        return True
    except OSError as exc:
        logger.warning("niche %s: could not record what the draft offers in %s (%s); the draft is still "
                       "written, but curation will not learn from it", record.slug, state, exc)
        return False


# ---------------------------------------------------------------- the command

def _parse_date(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SettingsError(f"--date {value!r} is not a date; write it as YYYY-MM-DD, e.g. --date 2026-11-22") from None


def _draft_text(report: NicheReport, root: str) -> str:
    if report.draft is None:
        return f"none ({report.problem})"
    path = os.path.relpath(report.draft.path, root)
    return {WRITTEN: f"wrote {path}", EXISTS: f"kept {path} (exists)",
            TOO_SOON: f"skipped ({report.draft.message.removeprefix('skipped: ')})"}[report.draft.status]


def print_summary(result: CurateResult, root: str, tty: bool, stream=None) -> None:
    stream = stream or sys.stdout
    if tty:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Curation")
        for col in ("niche", "feeds ok", "not modified", "failed", "entries seen", "kept", "picked", "draft"):
            table.add_column(col, justify="right" if col not in ("niche", "draft") else "left")
        for r in result.niches:
            table.add_row(r.slug, str(r.feeds_ok), str(r.not_modified), str(r.failed), str(r.seen), str(r.kept),
                          str(r.picked), _draft_text(r, root))
        Console(file=stream).print(table)
        return
    for r in result.niches:
        print(f"{r.slug}: feeds {r.feeds_ok} ok, {r.not_modified} not modified, {r.failed} failed; "
              f"{r.seen} entries seen, {r.kept} kept, {r.picked} picked; draft: {_draft_text(r, root)}",
              file=stream)


def forget(settings: dict[str, Any], slugs: list[str], stream=None) -> int:
    """`--forget`: delete the niches' records of what their drafts offered, so they learn from scratch."""
    niches_dir = content_dir(settings, "NICHES_PATH")
    known = load_niches(niches_dir)
    state = project_dir(settings, "CURATOR_STATE_PATH")
    for slug in slugs:
        if slug not in known and not os.path.exists(offers.record_path(state, slug)):
            raise SettingsError(f"--forget {slug}: no such niche in {niches_dir} (known: {', '.join(sorted(known))})")
    for slug in dict.fromkeys(slugs):
        path = os.path.relpath(offers.record_path(state, slug), project_root(settings))
        done = offers.forget(state, slug)
        print(f"{slug}: {'forgot what the editor taught it (removed ' + path + ')' if done else 'had learned nothing yet'}",
              file=stream or sys.stdout)
    return 0


def run(settings: dict[str, Any], args) -> int:
    if getattr(args, "forget", None):
        return forget(settings, args.forget)
    date = _parse_date(getattr(args, "date", None))
    tty = sys.stdout.isatty() and sys.stderr.isatty()
    started = time.monotonic()
    if tty:
        from rich.progress import Progress

        # No auto-refresh: its thread would keep worker processes from being forked safely.
        with Progress(transient=True, auto_refresh=False) as bar:
            task = bar.add_task("fetching feeds", total=None)

            def progress(name: str, total: int) -> None:
                bar.update(task, total=total, advance=1, description=f"fetched {name[:50]}", refresh=True)

            result = curate(settings, slugs=args.niche, date=date, offline=args.offline, force=args.force,
                            retry=args.retry, progress=progress)
    else:
        result = curate(settings, slugs=args.niche, date=date, offline=args.offline, force=args.force,
                        retry=args.retry)
    print_summary(result, project_root(settings), tty)
    logger.debug("curated %d niche(s) in %.2f s", len(result.niches), time.monotonic() - started)
    return exit_code(result)


def exit_code(result: CurateResult) -> int:
    """0 when every niche was curated, 1 when one could not be, 2 for content errors (cli.py lists them)."""
    if result.content_errors:
        return 2
    return 0 if all(r.curated for r in result.niches) else 1
