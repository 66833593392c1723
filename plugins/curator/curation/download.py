"""One feed's bytes: a conditional GET (or a local file's read), with every limit a stranger's server needs.

feedparser has no timeout and no size cap, so it never fetches: this does, with urllib3
(pooled connections, connect/read timeouts, an overall deadline against servers that
trickle, a size cap checked before reading and applied to *decompressed* bytes, redirects
followed by hand). Each outcome is a `Fetched`; a failure is a `FetchError` with the
reason in words, which `fetch` turns into the feed's new state. The connections themselves
(politeness per host, public feeds kept out of the local network) are `network`'s.
"""

from __future__ import annotations

import email.utils
import os
import time
import zlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import urllib3

from .network import Network, Refused, is_local_origin

if TYPE_CHECKING:
    from .fetch import FeedState

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
                got = _get(pool, current, url, headers, options, started + budget, now, moved)
            finally:
                budget -= time.monotonic() - started
        if isinstance(got, Fetched):
            return got
        status, target = got
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
