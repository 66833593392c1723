"""`openhand curate`: feeds and hand-picked links become one reviewed draft per niche.

The run, in order: fetch (threads) -> parse + clean (every feed in a worker process
under a memory ceiling and a CPU-time limit, `pools.LimitedPool`, started only when
some feed sends a body) -> score, group and select per niche (`pipeline.choose_links`,
in forked workers, `pools.ForkedPool`, for many entries and several niches; on a warm
run already while the feeds download, from the cache) -> record what the draft offers,
write the draft. Each feed's trouble is one warning naming the feed and the reason (a
limit it hit names the setting); it never stops the other feeds or niches, nor does a
bad hand-picked link file. The decisions are `pipeline`'s, the command's output
`command`'s, the feed cache `fetch`'s.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import replace
from typing import Any

from ..model.documents import ContentError, remove_abandoned_temp_files
from ..model.issues import load_all_issues
from ..model.niches import Niche, load_niches, no_such_niche
from ..model.picks import Pick, read_picks
from ..model.settings import SettingsError, cache_dir, content_dir, project_path
from . import fetch as fetching
from . import offers
from .choice import niche_language
from .clean import Entry, cleaned_stamp, reclean_entries
from .digest import Digest
from .drafts import WRITTEN, precheck, write_draft
from .fetch import FeedState, Status
from .learning import offered_links
from .pipeline import (
    ChoiceRun,
    CurateResult,
    FeedReport,
    NicheReport,
    choose_links,
    count_feeds,
    feed_languages,
    feed_limits,
    not_a_feed,
    pick_candidates,
    stopped_reason,
    worth_forking,
)
from .pools import ForkedPool, LimitedPool, Limits, Stopped
from .score import Candidate

logger = logging.getLogger(__name__)

DIGEST = "curator.curation.digest:digest"   # what the parser workers run (imported there by name)


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
            raise SettingsError(no_such_niche("--niche", slug, niches_dir, niches))
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
    names: dict[str, str] = {}
    for niche in due:
        for feed in niche.feeds:
            names.setdefault(feed.location, f"{feed.name} <{feed.url}>")
    processes = int(settings["CURATE_PARSE_PROCESSES"])
    state = project_path(settings, "CURATOR_STATE_PATH")
    records = {n.slug: offers.load(state, n.slug) for n in due}
    base = ChoiceRun(settings, {}, all_issues, date, records)
    # A bad pick is logged once, here.
    niche_picks = {n.slug: pick_candidates(picks, n, niche_language(settings, n)) for n in due}
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
            pool.submit(result.location, result.body, result.headers, result.final_url, words,
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
            state = state.recleaned(cached, cleaned_stamp(words, languages.get(loc, ())))
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
        reason = (stopped_reason(out, limits) if isinstance(out, Stopped)
                  else out.refused or not_a_feed(result.headers, result.body))
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


# ---------------------------------------------------------------- choosing, maybe in forked workers

def _choose_forked(run: ChoiceRun, niches: list[Niche], picks: dict[str, list[Candidate]],
                   processes: int) -> ForkedPool | None:
    """Start choosing each niche's links in forked workers (which inherit `run`'s entries instead of
    receiving them) when several niches share many entries; None when not worth it or not possible."""
    if not worth_forking(run, niches, processes):
        return None
    pool = ForkedPool(min(processes, len(niches)), choose_links, run)
    return pool if pool.start({n.slug: (n, picks[n.slug]) for n in niches}) else None


def choose_all(run: ChoiceRun, niches: list[Niche], picks: dict[str, list[Candidate]],
               processes: int) -> dict[str, NicheReport]:
    """Every given niche's choice: in forked workers when that pays, else (or for any that failed) here."""
    pool = _choose_forked(run, niches, picks, processes)
    out: dict[str, NicheReport] = {}
    if pool is not None:
        with pool:
            for niche in niches:
                report = pool.result(niche.slug)
                if report is not None:
                    out[niche.slug] = report
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
        self.pool: ForkedPool | None = None
        self.cached: dict[str, list[Entry]] = {}

    def start(self, cached: dict[str, list[Entry]], bodies: int) -> None:
        if bodies:
            return
        self.cached = cached
        run = replace(
            self.base, feeds={loc: FeedReport(loc, Status.NOT_FETCHED, entries) for loc, entries in cached.items()}
        )
        self.pool = _choose_forked(run, self.niches, self.picks, self.processes)

    def finish(self, run: ChoiceRun) -> dict[str, NicheReport]:
        """The early choices still true of what the feeds reported (feed counts brought up to date)."""
        out: dict[str, NicheReport] = {}
        if self.pool is None:
            return out
        for niche in self.niches:
            if any(run.feeds[f.location].entries is not self.cached.get(f.location) for f in niche.feeds):
                continue
            report = self.pool.result(niche.slug)
            if report is not None:
                out[niche.slug] = count_feeds(report, niche, run.feeds)
        logger.debug("chose links early for %d of %d niches", len(out), len(self.niches))
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
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
