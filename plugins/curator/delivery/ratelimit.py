"""Limits on the list endpoint: who the client is, how often it may ask, how often one address is mailed.

Two limits, kept in two places on purpose:

* Per subscribed address (a stranger's inbox must not be flooded): at most one confirmation per
  LIST_CONFIRM_INTERVAL, as a row in the database (`rate_limits`), so every instance behind a proxy
  shares it. The row's key is a keyed digest of the address, never the address, and it is deleted
  once its time is up.
* Per client address (one machine must not send thousands of requests): LIST_CLIENT_LIMIT asks per
  LIST_CLIENT_WINDOW seconds, counted in this process's memory only: no IP address is ever written
  anywhere, and each is forgotten when its window ends. Several instances each count their own;
  a reverse proxy's own limit (nginx limit_req, see docs/readers.md) is the shared one. IPv6
  clients are counted by their /64, which one machine usually holds whole.

The client is REMOTE_ADDR, unless that is one of LIST_TRUSTED_PROXIES: then X-Forwarded-For is
read from the right, skipping the trusted proxies, and the first other address is the client.
"""

from __future__ import annotations

import ipaddress
import threading
import time


def take_gate(tx, bucket: str, now: str, until: str) -> bool:
    """Shut the gate `bucket` until `until` if it is open at `now`; False if it was shut (one statement, so two
    instances at once cannot both pass)."""
    cursor = tx.execute("INSERT INTO rate_limits (bucket, until) VALUES (?, ?) ON CONFLICT (bucket) DO UPDATE "
                        "SET until = excluded.until WHERE rate_limits.until <= ?", (bucket, until, now))
    return cursor.rowcount == 1


def release_gate(tx, bucket: str) -> None:
    tx.execute("DELETE FROM rate_limits WHERE bucket = ?", (bucket,))


def _network(value: str):
    return ipaddress.ip_network(str(value), strict=False)


def client_address(environ, trusted) -> str:
    """The client's address: REMOTE_ADDR, or through X-Forwarded-For when REMOTE_ADDR is a trusted proxy."""
    remote = (environ.get("REMOTE_ADDR") or "").strip()
    if not trusted or not _within(remote, trusted):
        return remote
    hops = [hop.strip() for hop in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop
    return hops[0] if hops else remote


def _within(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def trusted_networks(values) -> tuple:
    return tuple(_network(v) for v in values)


def client_key(address: str) -> str:
    """What one client is counted as: its IPv4 address, or its IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address
    if ip.version == 6:
        return str(ip.ipv4_mapped or ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class ClientLimiter:
    """`limit` requests per `window` seconds per client, in memory; a client is forgotten when its window ends."""

    def __init__(self, limit: int, window: float, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, float(window), clock
        self.lock = threading.Lock()
        self.windows: dict[str, tuple[float, int]] = {}
        self.swept = clock()

    def allow(self, client: str) -> float | None:
        """None if this request may go on; else the seconds until this client may ask again."""
        key = client_key(client)
        moment = self.clock()
        with self.lock:
            if moment - self.swept >= self.window:
                self.windows = {k: w for k, w in self.windows.items() if moment - w[0] < self.window}
                self.swept = moment
            start, count = self.windows.get(key, (moment, 0))
            if moment - start >= self.window:
                start, count = moment, 0
            if count >= self.limit:
                return max(1.0, self.window - (moment - start))
            self.windows[key] = (start, count + 1)
            return None
