"""`openhand curate`: feeds and hand-picked links become one reviewed draft per niche.

The thin command over the pipeline: fetch (threads) -> parse + clean (in forked
worker processes when there are enough feeds to pay for it) -> score, dedupe and
select per niche (in forked workers too, for many entries and several niches;
on a warm run already while the feeds download, from the cache) -> write the
draft. Each feed's trouble is one warning naming the feed and the
reason; it never stops the other feeds or niches.
"""

from __future__ import annotations

import datetime as dt
import glob
import logging
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from . import fetch as fetching
from .clean import clean_entries, cleaned_stamp, cut_chars, plain_text, reclean_entries, TITLE_MAX_CHARS
from .drafts import EXISTS, TOO_SOON, WRITTEN, DraftResult, precheck, write_draft
from .issues import load_all_issues, sent_urls
from .niches import Niche, load_niches
from .picks import Pick, load_picks
from .score import Candidate, best_section, parse_date, reference_time, score_entry
from .selection import dedupe, select
from .settings import SettingsError, cache_dir, content_dir, project_root
from .tracking import clean_link

logger = logging.getLogger(__name__)

# Worker processes cost ~0.05 s to start: worth it only for many feeds to download and parse,
# or many entries to score for several niches.
POOL_MIN_FEEDS = 8
POOL_MIN_ENTRIES = 2000


@dataclass
class FeedReport:
    location: str
    status: str
    entries: list[dict[str, Any]] = field(default_factory=list)
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
    draft: DraftResult | None = None
    links: list[Candidate] = field(default_factory=list)
    problem: str = ""

    @property
    def succeeded(self) -> bool:
        return self.draft is not None and self.draft.status in (WRITTEN, EXISTS, TOO_SOON)


@dataclass
class CurateResult:
    niches: list[NicheReport]
    feeds: dict[str, FeedReport]

    @property
    def parsed(self) -> int:
        return sum(f.parsed for f in self.feeds.values())


# ---------------------------------------------------------------- parsing (maybe in other processes)

def digest(body: bytes, headers: dict[str, str], url: str, summary_words: int) -> dict[str, Any]:
    """Parse and clean one feed's bytes; pure, picklable in and out."""
    from .parse import parse_feed  # feedparser is imported only by a run that has something to parse

    parsed = parse_feed(body, headers)
    entries = clean_entries(parsed.entries, url, parsed.link, summary_words)
    return {"entries": entries, "cleaned": cleaned_stamp(entries, summary_words), "parsed": len(parsed.entries),
            "problem": parsed.problem, "refused": parsed.refused,
            "is_feed": parsed.is_feed, "dropped": len(parsed.entries) - len(entries)}


def _die_with_parent(parent: int) -> None:
    """Pool initializer: a parser process must not outlive its run. After a SIGKILL the pool
    cannot stop its workers, and a forked worker holds its own queue's pipe open, so it
    would wait for work for ever. Linux: ask for SIGKILL when the forking (main) thread dies."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the run died before that took effect
        os._exit(1)


def _start_parser(parent: int) -> None:
    _die_with_parent(parent)
    from . import parse  # noqa: F401  (feedparser, imported while the first feeds download)


def _fork_pool(processes: int, initializer) -> ProcessPoolExecutor | None:
    """Forked workers (they start at once and inherit what this process holds), or None while this
    process runs other threads (a fork copies locks they may hold: e.g. a test's feed server)."""
    if threading.active_count() != 1:
        logger.debug("other threads are running: no worker processes")
        return None
    return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork"),
                               initializer=initializer, initargs=(os.getpid(),))


class Digester:
    """Parse and clean feeds as their bytes arrive: in worker processes when there are
    enough feeds to pay for them (threads would not help: parsing holds the GIL),
    otherwise here. The workers are forked before any fetch thread starts."""

    def __init__(self, processes: int, feeds: int):
        self.jobs: dict[str, tuple] = {}
        self.futures: dict[str, Any] = {}
        self.pool = None
        if processes > 1 and feeds >= POOL_MIN_FEEDS:
            try:
                self.pool = _fork_pool(processes, _start_parser)
                if self.pool is not None:
                    logger.debug("parsing feeds in %d worker processes", processes)
                    # With fork, the first task makes the pool fork every worker at once, now, while this
                    # process has no threads; no need to wait for them (they import feedparser meanwhile).
                    self.pool.submit(int)
            except Exception as exc:  # e.g. no /dev/shm: parse here instead
                logger.warning("could not start parser processes (%s); parsing in this process", exc)
                self.close()

    def submit(self, key: str, job: tuple) -> None:
        self.jobs[key] = job
        if self.pool is not None:
            self.futures[key] = self.pool.submit(digest, *job)

    def results(self) -> dict[str, dict[str, Any]]:
        out = {}
        for key, job in self.jobs.items():
            future = self.futures.get(key)
            if future is not None:
                try:
                    out[key] = future.result()
                    continue
                except Exception as exc:  # a dead worker: this feed is parsed here instead
                    logger.debug("parser process failed on %s: %r", key, exc)
            out[key] = digest(*job)
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


def digest_all(jobs: dict[str, tuple], processes: int) -> dict[str, dict[str, Any]]:
    """Every job's digest, in a process pool when the feed count makes it pay."""
    digester = Digester(processes, len(jobs))
    try:
        for key, job in jobs.items():
            digester.submit(key, job)
        return digester.results()
    finally:
        digester.close()


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

def remove_stale_temp_files(*folders: str, age: float = 600.0) -> None:
    """A run killed mid-write leaves its hidden temp file behind (the real file is whole, old or
    new): remove those once they are clearly abandoned, so none piles up or gets committed."""
    cutoff = time.time() - age
    for folder in folders:
        for path in glob.glob(os.path.join(glob.escape(folder), "**", ".*.tmp"), recursive=True):
            try:
                if os.lstat(path).st_mtime < cutoff:
                    os.unlink(path)
            except OSError:
                pass


def curate(settings: dict[str, Any], *, slugs: list[str] | None = None, date: dt.date | None = None,
           offline: bool = False, force: bool = False, progress=None) -> CurateResult:
    """Curate the chosen niches (all by default); returns what happened, for the table and tests."""
    date = date or dt.date.today()
    niches_dir = content_dir(settings, "NICHES_PATH")
    niches = load_niches(niches_dir)
    if not niches:
        raise SettingsError(f"{niches_dir}: no niche files (*.md) to curate; add one, e.g. content/niches/dental.md")
    for slug in slugs or []:
        if slug not in niches:
            raise SettingsError(f"--niche {slug}: no such niche in {niches_dir} (known: {', '.join(sorted(niches))})")
    chosen = [niches[s] for s in dict.fromkeys(slugs)] if slugs else list(niches.values())
    links_dir = content_dir(settings, "LINKS_PATH")
    picks = load_picks(links_dir, niches) if os.path.isdir(links_dir) else []
    newsletters_dir = content_dir(settings, "NEWSLETTERS_PATH")
    all_issues = load_all_issues(newsletters_dir, niches)
    remove_stale_temp_files(newsletters_dir, cache_dir(settings))

    # A niche whose draft exists or is not due yet costs its feeds no request.
    early = {n.slug: precheck(newsletters_dir, n, all_issues[n.slug], date, force=force) for n in chosen}
    due = [n for n in chosen if early[n.slug] is None]
    locations = list(dict.fromkeys(feed.location for niche in due for feed in niche.feeds))
    names = {}
    for niche in due:
        for feed in niche.feeds:
            names.setdefault(feed.location, f"{feed.name} <{feed.url}>")
    processes = int(settings["CURATE_PARSE_PROCESSES"])
    base = ChoiceRun(settings, {}, all_issues, date)
    niche_picks = {n.slug: pick_candidates(picks, n) for n in due}  # a bad pick is logged once, here
    early_choice = EarlyChoice(base, due, niche_picks, processes)
    try:
        feeds = (fetch_and_digest(settings, locations, names, offline=offline, progress=progress,
                                  before_fetch=early_choice.start) if locations else {})
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
        reports.append(write_choice(niche, choices[niche.slug], all_issues[niche.slug], newsletters_dir, date, force))
    return CurateResult(reports, feeds)


def fetch_and_digest(settings: dict[str, Any], locations: list[str], names: dict[str, str], *,
                     offline: bool, progress=None, before_fetch=None) -> dict[str, FeedReport]:
    """Every feed's report. `before_fetch(cached, bodies)`, if given, is called with the entries the
    cache holds (the very lists a feed that answers 304 reports) and how many feeds will likely send
    a body, before any thread starts."""
    options = fetching.FetchOptions.from_settings(settings)
    folder = cache_dir(settings)
    words = int(settings["CURATE_SUMMARY_WORDS"])
    states = {loc: fetching.load_state(folder, loc) for loc in locations}
    cached_entries = {loc: reclean_entries(st.get("entries"), words, st.get("cleaned")) for loc, st in states.items()}
    bodies = fetching.likely_bodies(states, offline)
    if before_fetch is not None:
        before_fetch(cached_entries, bodies)
    # Worker processes only when many feeds will send bodies: a warm run of 304s parses nothing.
    digester = Digester(int(settings["CURATE_PARSE_PROCESSES"]), bodies)

    def on_done(result: fetching.Fetched) -> None:
        if result.status == fetching.OK:
            digester.submit(result.location, (result.body, result.headers, result.url, words))
        if progress:
            progress(names.get(result.location, result.location), len(locations))

    try:
        fetched = fetching.fetch_all(locations, folder, options, offline=offline, on_done=on_done, states=states)
        digested = digester.results()
    finally:
        digester.close()
    reports: dict[str, FeedReport] = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for loc in locations:
        result, state = fetched[loc], dict(fetched[loc].state)
        cached = cached_entries[loc]
        if cached is not state.get("entries") and isinstance(state.get("entries"), list):
            # Cleaned again (an older cleaner, another summary length, a hand edit): keep the result,
            # stamped, so the next run reuses it as it is.
            state.update(entries=cached, cleaned=cleaned_stamp(cached, words))
        name = names.get(loc, loc)
        if result.status == fetching.OK:
            out = digested[loc]
            if not out["is_feed"] and not out["entries"]:
                reason = out["refused"] or _not_a_feed(result.headers, result.body)
                failures = int(state.get("failures", 0)) + 1
                state.update(etag=None, last_modified=None, file_stamp=None, failures=failures, last_error=reason)
                if loc.startswith(("http://", "https://")):
                    state["next_try"] = time.time() + fetching.backoff(failures)
                report = FeedReport(loc, fetching.FAILED, cached, 0, reason)
            else:
                # One warning per feed, whatever is wrong with it: malformed, entries skipped, moved.
                notes = []
                if out["problem"]:
                    notes.append(f"is malformed ({out['problem']}); using the {out['parsed']} entries it yielded")
                if out["dropped"]:
                    notes.append(f"had {out['dropped']} of {out['parsed']} entries skipped "
                                 "(no usable http(s) link, or no title)")
                if result.reason:
                    notes.append(result.reason)
                if notes:
                    logger.warning("feed %s %s", name, "; ".join(notes))
                state.update(entries=out["entries"], cleaned=out["cleaned"], fetched_at=now,
                             failures=0)
                report = FeedReport(loc, fetching.OK, out["entries"], out["parsed"])
        elif result.status == fetching.NOT_MODIFIED:
            report = FeedReport(loc, fetching.NOT_MODIFIED, cached, 0)
            if result.reason:
                logger.warning("feed %s %s", name, result.reason)
        elif result.status == fetching.GONE:
            report = FeedReport(loc, fetching.GONE, [], 0, result.reason)
        else:
            report = FeedReport(loc, result.status, cached, 0, result.reason)
        if report.status in (fetching.FAILED, fetching.GONE):
            extra = f" (using {len(cached)} entries from the last good fetch)" if report.entries else ""
            logger.warning("feed %s failed: %s%s", name, report.reason, extra)
        elif report.status == fetching.CACHED:
            logger.warning("feed %s not fetched: %s", name, report.reason)
        reports[loc] = report
        if result.changed or state != result.state:
            fetching.save_state(folder, state)
    return reports


def _pick_candidate(pick: Pick, niche: Niche, order: int) -> Candidate | None:
    url = clean_link(pick.url)
    if url is None:
        logger.warning("%s: url %r is not an http(s) link once cleaned; skipped", pick.path, pick.url)
        return None
    title = cut_chars(plain_text(pick.title), TITLE_MAX_CHARS) or url
    host = urlsplit(url).netloc.lower()
    host = host[4:] if host.startswith("www.") else host
    section = pick.section or best_section(niche, title, pick.note)
    return Candidate(url=url, title=title, summary="", guid="", date=None, source=host, score=0.0,
                     section=section, why="hand-picked by the editor", order=order, hand_picked=True,
                     note=plain_text(pick.note))


def pick_candidates(picks: list[Pick], niche: Niche) -> list[Candidate]:
    """The niche's hand-picked links as candidates, in the editor's order; an unusable one is logged."""
    niche_picks = [p for p in picks if niche.slug in p.niches]
    return [c for c in (_pick_candidate(p, niche, i) for i, p in enumerate(niche_picks)) if c is not None]


@dataclass
class ChoiceRun:
    """What choosing a niche's links reads (besides its hand-picks)."""

    settings: dict[str, Any]
    feeds: dict[str, FeedReport]
    issues: dict[str, list]
    date: dt.date


def count_feeds(report: NicheReport, niche: Niche, feeds: dict[str, FeedReport]) -> NicheReport:
    report.feeds_ok = report.not_modified = report.failed = 0
    for feed in niche.feeds:
        fr = feeds[feed.location]
        if fr.status == fetching.OK:
            report.feeds_ok += 1
        elif fr.status == fetching.NOT_MODIFIED:
            report.not_modified += 1
        elif fr.status in (fetching.FAILED, fetching.GONE):
            report.failed += 1
        else:
            report.feeds_ok += 1 if fr.entries else 0
            report.failed += 0 if fr.entries else 1
    return report


def choose_links(run: ChoiceRun, niche: Niche, picks: list[Candidate]) -> NicheReport:
    """Score, dedupe and select one niche's links (no I/O, no logging: it may run in a worker)."""
    report = count_feeds(NicheReport(niche.slug), niche, run.feeds)
    tagged = [(feed, entry) for feed in niche.feeds for entry in run.feeds[feed.location].entries]
    report.seen = len(tagged)
    reference = reference_time([parse_date(e.get("date")) for _, e in tagged], run.date)
    half_life = float(run.settings["CURATE_HALF_LIFE_DAYS"])
    max_age = float(run.settings["CURATE_MAX_AGE_DAYS"])

    def scored(order: int, explain: bool) -> Candidate | None:
        feed, entry = tagged[order]
        return score_entry(entry, niche, feed.name, feed.weight, reference, half_life, max_age, order,
                           explain=explain)

    candidates = [c for c in (scored(order, False) for order in range(len(tagged))) if c is not None]
    history = sent_urls([i for i in run.issues[niche.slug] if i.date != run.date])
    ranked = dedupe(candidates, history)
    report.kept = len(ranked)
    chosen = select(picks, ranked, history, max_links=niche.max_links, per_source=niche.per_source)
    # Sections and `why` only for the links the draft takes (the same score, now explained).
    report.links = [c if c.hand_picked else scored(c.order, True) for c in chosen]
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
    try:
        pool = _fork_pool(min(processes, len(niches)), _die_with_parent)
        if pool is None:
            return None, {}
        return pool, {n.slug: pool.submit(_choose_in_worker, n, picks[n.slug]) for n in niches}
    except Exception as exc:  # e.g. no /dev/shm: chosen in this process
        logger.debug("choosing links in this process (%s)", exc)
        return None, {}
    finally:
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
        run = replace(self.base, feeds={loc: FeedReport(loc, fetching.CACHED, entries) for loc, entries in cached.items()})
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
                 force: bool) -> NicheReport:
    if not report.links:
        report.problem = "no link to pick: every feed failed, or nothing matched the niche's keywords"
        logger.warning("niche %s: %s; no draft written", niche.slug, report.problem)
        return report
    try:
        report.draft = write_draft(newsletters_dir, niche, issues, date, report.links, force=force)
    except OSError as exc:
        report.problem = f"could not write the draft: {exc}"
        logger.error("niche %s: %s", niche.slug, report.problem)
        return report
    if report.draft.status != WRITTEN:
        logger.debug("niche %s: %s", niche.slug, report.draft.message)
    return report


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


def run(settings: dict[str, Any], args) -> int:
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
                            progress=progress)
    else:
        result = curate(settings, slugs=args.niche, date=date, offline=args.offline, force=args.force)
    print_summary(result, project_root(settings), tty)
    logger.debug("curated %d niche(s) in %.2f s", len(result.niches), time.monotonic() - started)
    return 0 if all(r.succeeded for r in result.niches) else 1
