"""Fetching feeds: with `download` and `network`, the only code in Openhand that touches the network.

Every feed of a run is fetched in threads (`fetch_all`), each honouring its per-feed
cache: the conditional-GET validators, the back-off state and the last good entries.
Each feed's outcome is a `Fetched` value; nothing here raises for one bad feed. One
request's mechanics (timeouts, the size cap, redirects) are `download`'s.

This module owns the feed cache: its schema (`FeedState`, a `FeedStateJSON` on disk)
and every transition of it (a failure and its back-off, the validators, a body that
was not a feed, a good parse). Curation reports what parsing found and never edits
the state itself.

The connections themselves (politeness per host, public feeds kept out of the local
network) are `network`'s.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import TypedDict

from ..model.documents import write_bytes_atomic
from .clean import Entry
from .download import Fetched, FetchError, FetchOptions, Status, fetch_file, fetch_url
from .network import Network
from .tracking import is_web_url

logger = logging.getLogger(__name__)

CACHE_VERSION = 1
BACKOFF_BASE = 15 * 60          # first back-off after a failure: 15 minutes
BACKOFF_MAX = 24 * 60 * 60      # never wait more than a day
SEAL = b'"sealed": "'          # the file's digest, written last in its place (see _seal)
SEAL_SIZE = 32



# ---------------------------------------------------------------- the cache

class FeedStateJSON(TypedDict, total=False):
    """A feed cache file (cache/curator/feeds/<sha>.json) as JSON: only `FeedState` reads or writes it."""

    version: int
    location: str
    entries: list[Entry]
    cleaned: str                # clean.cleaned_stamp of the entries (dropped on reading when the seal fails)
    sealed: str                 # sha256 of the file written with this field all zeros: an edit since breaks it
    etag: str | None
    last_modified: str | None
    file_stamp: str | None      # a local file's "size:mtime_ns"
    failures: int               # failures in a row
    last_error: str
    next_try: float             # epoch seconds: backing off until then
    gone: bool
    gone_at: str                # yyyy-mm-dd of the 410
    fetched_at: str             # when the entries were last parsed from a good body


@dataclass(frozen=True)
class FeedState:
    """One feed's cached state. Every change is one of the methods below, each returning a new state,
    so that "did it change?" is a comparison and the cache is written only when it did."""

    location: str
    entries: list[Entry] = field(default_factory=list)
    cleaned: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    file_stamp: str | None = None
    failures: int = 0
    last_error: str = ""
    next_try: float = 0
    gone: bool = False
    gone_at: str | None = None
    fetched_at: str | None = None

    @property
    def remote(self) -> bool:
        return is_web_url(self.location)

    @classmethod
    def from_json(cls, data: FeedStateJSON, location: str) -> FeedState:
        """A cache file's state; raises ValueError for one that is not of this version or this feed."""
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get("location") != location:
            raise ValueError("not a feed cache file of this version")
        entries = data.get("entries", [])
        if not isinstance(entries, list):
            raise ValueError("entries is not a list")
        cleaned = data.get("cleaned")
        return cls(location, entries, cleaned if isinstance(cleaned, str) else None, data.get("etag"),
                   data.get("last_modified"), data.get("file_stamp"), int(data.get("failures") or 0),
                   str(data.get("last_error") or ""), float(data.get("next_try") or 0), bool(data.get("gone")),
                   data.get("gone_at"), data.get("fetched_at"))

    def to_json(self) -> FeedStateJSON:
        out: FeedStateJSON = {"version": CACHE_VERSION, "location": self.location, "entries": self.entries,
                              "failures": self.failures, "last_error": self.last_error, "next_try": self.next_try}
        for key in ("cleaned", "etag", "last_modified", "file_stamp", "gone_at", "fetched_at"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.gone:
            out["gone"] = True
        return out

    # The transitions.

    def failed(self, reason: str, now: float, retry_after: float | None = None) -> FeedState:
        """A failed fetch: one more failure in a row, and (for a remote feed) a back-off."""
        failures = self.failures + 1
        next_try = now + backoff(failures, retry_after) if self.remote else self.next_try
        return replace(self, failures=failures, last_error=reason, next_try=next_try)

    def went(self, reason: str, now: float) -> FeedState:
        """410 Gone: remembered, never fetched again."""
        return replace(self, failures=self.failures + 1, last_error=reason, gone=True,
                       gone_at=time.strftime("%Y-%m-%d", time.gmtime(now)))

    def answered(self, status: Status, headers: dict[str, str]) -> FeedState:
        """The server (or file) answered: no back-off; a body's validators are kept for the next
        conditional GET. A body counts as a success only once it parses as a feed (`parsed`)."""
        state = replace(self, last_error="", next_try=0)
        if status != Status.OK:
            return replace(state, failures=0)
        if self.remote:
            return replace(state, etag=headers.get("etag") or None, last_modified=headers.get("last-modified") or None)
        return replace(state, file_stamp=headers.get("file_stamp"))

    def refused(self, reason: str, now: float) -> FeedState:
        """The body was not a feed, or a limit stopped its parsing: fetched in full again next time
        (no validators), after a back-off."""
        return replace(self, etag=None, last_modified=None, file_stamp=None).failed(reason, now)

    def parsed(self, entries: list[Entry], cleaned: str, now: float) -> FeedState:
        """A body that parsed as a feed: its entries are the last good ones."""
        return replace(self, entries=entries, cleaned=cleaned, failures=0,
                       fetched_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)))

    def recleaned(self, entries: list[Entry], cleaned: str) -> FeedState:
        """Cached entries cleaned again (an older cleaner, another summary length, a hand edit): kept,
        stamped, so the next run reuses them as they are."""
        return replace(self, entries=entries, cleaned=cleaned)


def cache_path(cache_folder: str, location: str) -> str:
    digest = hashlib.sha256(location.encode("utf-8")).hexdigest()[:24]
    return os.path.join(cache_folder, "feeds", f"{digest}.json")


def load_state(cache_folder: str, location: str) -> FeedState:
    """The cached state of one feed; a missing or damaged file gives a fresh one (with a warning).
    A file changed since Openhand wrote it (by hand, by another program) keeps its entries, unstamped:
    they are cleaned again before any use."""
    path = cache_path(cache_folder, location)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        data = json.loads(raw.decode("utf-8"))
        state = FeedState.from_json(data, location)
        return state if state.cleaned is None or _seal_holds(raw, data) else replace(state, cleaned=None)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("feed cache %s for %s is damaged (%s); rebuilding it", path, location, exc)
    return FeedState(location)


def _seal(data: bytes) -> bytes:
    """The file with its seal filled in: the digest of the whole file as written with the seal all zeros.
    Checking it costs one hash of the bytes read, where re-serialising the entries to check them cost a
    warm run more than reading them."""
    start = data.rindex(SEAL) + len(SEAL)
    digest = hashlib.sha256(data).hexdigest()[:SEAL_SIZE].encode("ascii")
    return data[:start] + digest + data[start + SEAL_SIZE:]


def _seal_holds(raw: bytes, data: FeedStateJSON) -> bool:
    """The file is as Openhand wrote it: its seal (the last one in it, the one read) is its digest."""
    sealed = data.get("sealed")
    start = raw.rfind(SEAL) + len(SEAL)
    if start < len(SEAL) or not isinstance(sealed, str) or raw[start:start + SEAL_SIZE] != sealed.encode("utf-8"):
        return False
    zeroed = raw[:start] + b"0" * SEAL_SIZE + raw[start + SEAL_SIZE:]
    return hashlib.sha256(zeroed).hexdigest()[:SEAL_SIZE] == sealed


def save_state(cache_folder: str, state: FeedState) -> None:
    """Atomic (temp file + rename), so a kill mid-write leaves the old cache file or the new one.

    Not fsynced, unlike drafts: a cache lost to a power cut is only rebuilt (with a warning),
    and a hundred fsyncs would cost a warm run more than its requests.
    """
    path = cache_path(cache_folder, state.location)
    data = json.dumps({**state.to_json(), "sealed": "0" * SEAL_SIZE}, ensure_ascii=False, sort_keys=True)
    try:
        write_bytes_atomic(path, _seal(data.encode("utf-8")), durable=False)
    except OSError as exc:
        logger.warning("could not write the feed cache for %s: %s", state.location, exc)


def keep(cache_folder: str, result: Fetched, state: FeedState) -> None:
    """Save a feed's final state (after parsing's findings were taken in) when it differs from the cached one."""
    if result.changed or state != result.state:
        save_state(cache_folder, state)


# ---------------------------------------------------------------- many feeds

def backoff(failures: int, retry_after: float | None = None) -> float:
    """Seconds to wait after `failures` failures in a row: doubling, capped, never less than Retry-After."""
    wait = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (max(1, failures) - 1))
    return max(retry_after, wait) if retry_after is not None else wait


def fetch_one(net: Network, location: str, state: FeedState, options: FetchOptions, *, offline: bool,
              now: float) -> Fetched:
    """Fetch one feed honouring its cached state; returns a Fetched (with the new state) whatever happens."""
    if state.gone:
        return Fetched(location, Status.GONE, reason=f"returned 410 Gone on {state.gone_at or 'an earlier run'}; "
                                                     "no longer fetched (remove it from the niche file)", state=state)
    if state.remote and offline:
        return Fetched(location, Status.NOT_FETCHED, reason="offline: using the cached entries" if state.entries
                       else "offline and never fetched: no entries", state=state)
    if state.remote and state.next_try > now and not options.retry:
        wait = int(state.next_try - now)
        return Fetched(location, Status.NOT_FETCHED, reason=f"backing off after {state.failures} failure(s) "
                                                            f"({state.last_error}); next try in {wait} s", state=state)
    try:
        result = (fetch_url(net, location, state, options, now) if state.remote
                  else fetch_file(location, state, options))
    except FetchError as exc:
        if exc.status == 410:
            return Fetched(location, Status.GONE, reason=exc.reason + "; it will not be fetched again "
                                                                    "(remove it from the niche file)",
                           state=state.went(exc.reason, now))
        return Fetched(location, Status.FAILED, reason=exc.reason, state=state.failed(exc.reason, now, exc.retry_after))
    result.state = state.answered(result.status, result.headers)
    result.headers.pop("file_stamp", None)
    return result


def likely_bodies(states: dict[str, FeedState], offline: bool, now: float | None = None,
                  retry: bool = False) -> int:
    """How many remote feeds will probably send a body to parse (no validators to get a 304 with)."""
    if offline:
        return 0
    now = time.time() if now is None else now
    return sum(1 for st in states.values() if st.remote and not st.gone and (retry or st.next_try <= now)
               and not (st.etag or st.last_modified))


def fetch_all(locations: list[str], cache_folder: str, options: FetchOptions, *, offline: bool = False,
              on_done: Callable[[Fetched], None] | None = None,
              states: dict[str, FeedState] | None = None) -> dict[str, Fetched]:
    """Fetch every feed in threads (I/O only: parsing happens elsewhere, never in these threads)."""
    now = time.time()
    states = states if states is not None else {loc: load_state(cache_folder, loc) for loc in locations}
    net = Network(options)
    results: dict[str, Fetched] = {}

    def task(loc: str) -> Fetched:
        try:
            return fetch_one(net, loc, states[loc], options, offline=offline, now=now)
        except Exception as exc:  # a bug must not cost the other feeds their run
            logger.debug("fetching %s crashed", loc, exc_info=True)
            return Fetched(loc, Status.FAILED, reason=f"internal error: {exc!r}", state=states[loc])

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(locations) or 1))) as executor:
            # As each feed completes (not in list order), so its parsing can start while others download.
            for future in as_completed([executor.submit(task, loc) for loc in locations]):
                result = future.result()
                if result.state is None:
                    result.state = states[result.location]
                result.changed = result.status == Status.OK or result.state != states[result.location]
                results[result.location] = result
                if on_done is not None:
                    on_done(result)
    finally:
        net.clear()
    return {loc: results[loc] for loc in locations}
