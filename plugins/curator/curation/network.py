"""The connections curation makes: polite to each host, and a public feed kept out of the local network.

Politeness: at most CURATE_CONNECTIONS_PER_HOST requests at once to one host, where
a host is the URL's host name, lowercased, whatever the port (urllib3 pools per
host:port, so feeds on example.org:80 and :8080 would otherwise add up; a.example.org
and b.example.org are two hosts). Feeds on different hosts are fetched side by side.

SSRF: a niche's own feed URL may be local (a demo, an intranet, tests on 127.0.0.1), but
a feed whose own URL is public may not redirect into the local network: its redirects
go through connections that check every address the host resolves to before connecting
(a public-looking name can resolve to 127.0.0.1) and the address actually connected to
(a name can resolve differently the second time), and refuse loopback, private,
link-local, unspecified, shared and reserved addresses.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

if TYPE_CHECKING:
    from .download import FetchOptions


class Refused(Exception):
    """A connection this fetch may not make (a public feed redirected into the local network)."""


def address_is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, link-local,
    unspecified, shared, reserved or multicast; an IPv4-mapped IPv6 address as its IPv4 one)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int | None = None) -> list[str]:
    """Every address `host` resolves to (a literal address is itself)."""
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _check_public(host: str, address: str) -> None:
    if not address_is_public(address):
        raise Refused(f"{address} is a local or private address" if host.strip("[]") == address
                      else f"{host} is {address}, a local or private address")


class _PublicOnly:
    """(A mixin for urllib3's HTTPConnection and HTTPSConnection: host, port, _dns_host are theirs.)

    A connection that checks every address its host resolves to before connecting, and the
    address it connected to after (a name may resolve differently the second time)."""

    def _new_conn(self):
        try:
            addresses = resolve(self._dns_host, self.port)  # type: ignore[attr-defined]
        except OSError:
            addresses = []  # urllib3's own connect says what is wrong with the name
        for address in addresses:
            _check_public(self.host, address)  # type: ignore[attr-defined]
        sock = super()._new_conn()  # type: ignore[misc]
        try:
            _check_public(self.host, sock.getpeername()[0])  # type: ignore[attr-defined]
        except BaseException:
            sock.close()
            raise
        return sock


class _PublicHTTPConnection(_PublicOnly, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicOnly, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class HostSlots:
    """At most `size` requests at once per host name; a thread waits for its host's turn."""

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    @contextmanager
    def hold(self, url: str):
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            slot = self._slots.setdefault(host, threading.BoundedSemaphore(self.size))
        with slot:
            yield


@dataclass
class Network:
    """What every fetch of one run shares: the connection pools and the per-host slots. Redirects of
    a feed whose own URL is public go through `public`, whose connections refuse local addresses."""

    options: FetchOptions
    pool: urllib3.PoolManager = field(init=False)
    public: urllib3.PoolManager = field(init=False)
    slots: HostSlots = field(init=False)

    def __post_init__(self) -> None:
        self.pool = make_pool(self.options)
        self.public = make_pool(self.options)
        self.public.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}
        self.slots = HostSlots(self.options.connections_per_host)

    def clear(self) -> None:
        self.pool.clear()
        self.public.clear()


def is_local_origin(url: str) -> bool:
    """A niche's own URL may be local (tests, demos, an intranet): then so may its redirects."""
    parts = urlsplit(url)
    try:
        return not any(address_is_public(a) for a in resolve(parts.hostname or "", parts.port))
    except (OSError, ValueError):
        return False


def make_pool(options: FetchOptions) -> urllib3.PoolManager:
    return urllib3.PoolManager(
        num_pools=max(10, options.workers * 2),
        maxsize=options.connections_per_host,
        retries=False,
        timeout=urllib3.Timeout(connect=options.connect_timeout, read=options.read_timeout),
        headers={"User-Agent": options.user_agent,
                 "Accept": "application/rss+xml, application/atom+xml, application/rdf+xml, "
                           "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
                 "Accept-Encoding": "gzip, deflate"},
    )
