"""Fetching feeds: the only code in Openhand that touches the network.

feedparser has no timeout and no size cap, so it never fetches: this module
does, with urllib3 (pooled connections, connect/read timeouts, an overall
deadline against servers that trickle, a size cap checked before reading and
applied to *decompressed* bytes, a redirect limit) and a per-feed cache holding
the conditional-GET validators, the back-off state and the last good entries.
Each feed's outcome is a `Fetched` value; nothing here raises for one bad feed.

This module owns the feed cache: its schema (`FeedState`, a `FeedStateJSON` on disk)
and every transition of it (a failure and its back-off, the validators, a body that
was not a feed, a good parse). Curation reports what parsing found and never edits
the state itself.

The connections themselves (politeness per host, public feeds kept out of the local
network) are `network`'s.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, TypedDict
from urllib.parse import urljoin, urlsplit

import urllib3

from ..model.documents import write_bytes_atomic
from .clean import Entry
from .network import Network, Refused, is_local_origin
from .tracking import is_web_url

logger = logging.getLogger(__name__)

CACHE_VERSION = 1
BACKOFF_BASE = 15 * 60          # first back-off after a failure: 15 minutes
BACKOFF_MAX = 24 * 60 * 60      # never wait more than a day
RETRY_AFTER_MAX = 7 * 24 * 60 * 60  # a server's Retry-After (year 9999...) cannot silence a feed for longer
CHUNK = 64 * 1024



class Status(StrEnum):
    """What became of one feed this run."""

    OK = "ok"                       # new bytes to parse
    NOT_MODIFIED = "not modified"   # 304 / unchanged file: reuse cached entries, parse nothing
    NOT_FETCHED = "not fetched"     # offline or backing off: no request made, cached entries reused
    FAILED = "failed"
    GONE = "gone"                   # 410 Gone, now or on an earlier run: never fetched again
    STOPPED = "stopped"             # sent a body, but a limit (or a crash) stopped its parsing


class FetchError(Exception):
    """One feed could not be fetched; the message says why in words."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.status, self.retry_after = reason, status, retry_after


# ---------------------------------------------------------------- the cache

class FeedStateJSON(TypedDict, total=False):
    """A feed cache file (cache/curator/feeds/<sha>.json) as JSON: only `FeedState` reads or writes it."""

    version: int
    location: str
    entries: list[Entry]
    cleaned: str                # clean.cleaned_stamp of the entries
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
                out[key] = getattr(self, key)  # type: ignore[literal-required]
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


@dataclass
class Fetched:
    """What fetching one feed produced."""

    location: str
    status: Status
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str = ""              # the URL after redirects (base for relative links)
    reason: str = ""                 # for warnings: why it failed, moved, or was skipped
    state: FeedState | None = None   # the feed's state after this fetch (fetch_one always sets it)
    changed: bool = True             # the state differs from the cached one (so it must be saved)


def cache_path(cache_folder: str, location: str) -> str:
    digest = hashlib.sha256(location.encode("utf-8")).hexdigest()[:24]
    return os.path.join(cache_folder, "feeds", f"{digest}.json")


def load_state(cache_folder: str, location: str) -> FeedState:
    """The cached state of one feed; a missing or damaged file gives a fresh one (with a warning)."""
    path = cache_path(cache_folder, location)
    try:
        with open(path, "rb") as handle:
            return FeedState.from_json(json.loads(handle.read().decode("utf-8")), location)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("feed cache %s for %s is damaged (%s); rebuilding it", path, location, exc)
    return FeedState(location)


def save_state(cache_folder: str, state: FeedState) -> None:
    """Atomic (temp file + rename), so a kill mid-write leaves the old cache file or the new one.

    Not fsynced, unlike drafts: a cache lost to a power cut is only rebuilt (with a warning),
    and a hundred fsyncs would cost a warm run more than its requests.
    """
    path = cache_path(cache_folder, state.location)
    data = json.dumps(state.to_json(), ensure_ascii=False, sort_keys=True).encode("utf-8")
    try:
        write_bytes_atomic(path, data, durable=False)
    except OSError as exc:
        logger.warning("could not write the feed cache for %s: %s", state.location, exc)


def keep(cache_folder: str, result: Fetched, state: FeedState) -> None:
    """Save a feed's final state (after parsing's findings were taken in) when it differs from the cached one."""
    if result.changed or state != result.state:
        save_state(cache_folder, state)


# ---------------------------------------------------------------- one feed

@dataclass(frozen=True)
class FetchOptions:
    connect_timeout: float
    read_timeout: float
    max_bytes: int
    max_redirects: int
    user_agent: str
    workers: int
    connections_per_host: int
    retry: bool = False             # fetch feeds that are backing off too (`openhand curate --retry`)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> FetchOptions:
        siteurl = settings["SITEURL"] or settings["SITE_DOMAIN"] or "local"
        return cls(
            connect_timeout=float(settings["CURATE_CONNECT_TIMEOUT"]),
            read_timeout=float(settings["CURATE_READ_TIMEOUT"]),
            max_bytes=int(settings["CURATE_MAX_BYTES"]),
            max_redirects=int(settings["CURATE_MAX_REDIRECTS"]),
            user_agent=str(settings["CURATE_USER_AGENT"]).replace("{siteurl}", str(siteurl)),
            workers=int(settings["CURATE_WORKERS"]),
            connections_per_host=int(settings["CURATE_CONNECTIONS_PER_HOST"]),
        )


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), at most RETRY_AFTER_MAX."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_MAX)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(0.0, when.timestamp() - now), RETRY_AFTER_MAX)


def _read_capped(response, options: FetchOptions, deadline: float) -> bytes:
    """Read a response, refusing more than max_bytes after decompression and past the deadline."""
    length = response.headers.get("Content-Length")
    if length and length.strip().isdigit() and int(length) > options.max_bytes:
        raise FetchError(f"body of {int(length):,} bytes is over the {options.max_bytes:,}-byte cap; not read")
    encoding = (response.headers.get("Content-Encoding") or "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(wbits=47)   # gzip or zlib, detected
    elif encoding == "deflate":
        decoder = zlib.decompressobj()
    elif encoding in ("", "identity"):
        decoder = None
    else:
        raise FetchError(f"unsupported Content-Encoding {encoding!r}")
    out = bytearray()
    raw_seen = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError("timed out: the server sends too slowly")
        chunk = (
            response.read1(CHUNK, decode_content=False)
            if hasattr(response, "read1")
            else response.read(CHUNK, decode_content=False)
        )
        if not chunk:
            break
        raw_seen += len(chunk)
        if decoder is None:
            out += chunk
        else:
            try:
                data = decoder.decompress(chunk, options.max_bytes + 1 - len(out))
                out += data
                # A bomb can hold far more than one chunk's worth: drain what is pending, capped.
                while decoder.unconsumed_tail and len(out) <= options.max_bytes:
                    out += decoder.decompress(decoder.unconsumed_tail, options.max_bytes + 1 - len(out))
            except zlib.error as exc:
                raise FetchError(f"the {encoding} body is corrupt ({exc})") from None
        if len(out) > options.max_bytes or raw_seen > options.max_bytes:
            raise FetchError(f"body is over the {options.max_bytes:,}-byte cap"
                             + (" once decompressed" if decoder is not None else "") + "; stopped reading")
    if decoder is not None:
        try:
            out += decoder.flush()
        except zlib.error as exc:
            raise FetchError(f"the {encoding} body is corrupt ({exc})") from None
        if len(out) > options.max_bytes:
            raise FetchError(f"body is over the {options.max_bytes:,}-byte cap once decompressed; stopped reading")
    return bytes(out)


def fetch_url(net: Network, url: str, state: FeedState, options: FetchOptions,
              now: float | None = None) -> Fetched:
    """One conditional GET, following redirects by hand (to warn on permanent moves, stop loops and
    keep a public feed out of the local network), one request at a time per host."""
    now = time.time() if now is None else now
    headers: dict[str, str] = dict(net.pool.headers)  # per-request headers replace the pool's: keep the UA
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    # One time budget for all the requests of this fetch, against servers that trickle; waiting
    # for a host's turn does not count.
    budget = options.connect_timeout + 2 * options.read_timeout
    current, seen, moved, pool = url, [url], None, net.pool
    for _ in range(options.max_redirects + 1):
        with net.slots.hold(current):
            started = time.monotonic()
            try:
                target = _get(pool, current, url, headers, options, started + budget, now, moved)
            finally:
                budget -= time.monotonic() - started
        if isinstance(target, Fetched):
            return target
        status, target = target
        if status in (301, 308) and moved is None and current == url:
            moved = target
        if target in seen:
            raise FetchError(f"redirect loop ({' -> '.join(seen + [target])})", status)
        if pool is net.pool and not is_local_origin(url):
            pool = net.public
        seen.append(target)
        current = target
    raise FetchError(f"more than {options.max_redirects} redirects ({' -> '.join(seen)})")


def _get(pool: urllib3.PoolManager, current: str, url: str, headers: dict[str, str], options: FetchOptions,
         deadline: float, now: float, moved: str | None) -> Fetched | tuple[int, str]:
    """One request of a fetch: the Fetched it ends with, or a redirect's (status, target)."""
    try:
        response = pool.request("GET", current, headers=headers, redirect=False, preload_content=False,
                                decode_content=False)
    except Refused as exc:
        raise FetchError(f"redirected to {current}, but {exc}; a public feed may not lead into the "
                         "local network, so it was not fetched") from None
    except urllib3.exceptions.MaxRetryError as exc:
        raise FetchError(_network_reason(exc.reason)) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise FetchError(_network_reason(exc)) from None
    status, complete = response.status, False
    try:
        if status in (301, 302, 303, 307, 308):
            location = response.headers.get("Location")
            if not location:
                raise FetchError(f"HTTP {status} without a Location header", status)
            target = urljoin(current, location.strip())
            if urlsplit(target).scheme not in ("http", "https"):
                raise FetchError(f"HTTP {status} redirects to a non-http address {target!r}", status)
            return status, target
        if status == 304:
            return Fetched(url, Status.NOT_MODIFIED, final_url=current, reason=_moved(moved))
        if status == 410:
            raise FetchError("HTTP 410 Gone: the feed no longer exists", 410)
        if status == 429 or status == 503:
            wait = _retry_after(response.headers.get("Retry-After"), now)
            raise FetchError(f"HTTP {status} {'Too Many Requests' if status == 429 else 'Service Unavailable'}"
                             + (f" (Retry-After {int(wait)} s)" if wait is not None else ""), status, wait)
        if status >= 400:
            raise FetchError(f"HTTP {status} {response.reason or ''}".strip(), status)
        if status != 200:
            raise FetchError(f"unexpected HTTP {status}", status)
        body = _read_capped(response, options, deadline)
        complete = True
        kept = {k.lower(): v for k, v in response.headers.items()
                if k.lower() in ("content-type", "content-location", "content-language", "etag", "last-modified")}
        return Fetched(url, Status.OK, body=body, headers=kept, final_url=current, reason=_moved(moved))
    except urllib3.exceptions.ReadTimeoutError:
        raise FetchError(f"timed out after {options.read_timeout:g} s waiting for data") from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise FetchError(_network_reason(exc)) from None
    finally:
        _finish(response, complete)


def _finish(response, complete: bool) -> None:
    """Give the connection back when the body was read (or there is none); otherwise drop it.

    Draining an unread body could mean waiting on a server that trickles, so it is never done.
    """
    if complete or (response.status == 304 and response.headers.get("Content-Length", "0") == "0"):
        response.release_conn()
    else:
        response.close()


def _moved(target: str | None) -> str:
    return f"moved permanently to {target}; update the feed's url in the niche file" if target else ""


def _network_reason(exc: BaseException | None) -> str:
    text = str(exc) if exc is not None else "network error"
    low = text.lower()
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError) or "connect timeout" in low:
        return "timed out connecting"
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError) or "read timed out" in low:
        return "timed out waiting for data"
    if isinstance(exc, urllib3.exceptions.NewConnectionError) or "connection refused" in low:
        return "could not connect (" + text.split(":")[-1].strip() + ")"
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return "host name not found"
    return text


def fetch_file(path: str, state: FeedState, options: FetchOptions) -> Fetched:
    """A local feed file (the offline demo): unchanged size and mtime count as not modified."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise FetchError(f"cannot read the file ({exc.strerror})") from None
    stamp = f"{info.st_size}:{info.st_mtime_ns}"
    if state.file_stamp == stamp and state.fetched_at is not None:
        return Fetched(path, Status.NOT_MODIFIED, final_url=path)
    if info.st_size > options.max_bytes:
        raise FetchError(f"file of {info.st_size:,} bytes is over the {options.max_bytes:,}-byte cap; not read")
    try:
        with open(path, "rb") as handle:
            body = handle.read(options.max_bytes + 1)
    except OSError as exc:
        raise FetchError(f"cannot read the file ({exc.strerror})") from None
    return Fetched(path, Status.OK, body=body, final_url=path, headers={"file_stamp": stamp})


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
