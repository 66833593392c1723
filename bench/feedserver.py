"""A feed host on 127.0.0.1 with real-world manners: latency, ETag/304, gzip.

Run as its own process (so its work is not charged to the client measured):
    python bench/feedserver.py --feeds 400 --entries 50 --latency 0.1 --date 2026-11-22
It prints "PORT <n>" once every feed is ready. Every request waits `latency`
seconds (a 304 too: the round trip is the cost), then answers 304 when the
client's If-None-Match / If-Modified-Since matches, else the feed, gzipped when
the client accepts it. GET /_stats reports counts; GET /_reset zeroes them.
With --hosts N it listens on 127.0.0.1 to 127.0.0.N (all loopback on Linux), one
port: feeds spread over N hosts, as real feeds are (curation opens at most a few
connections per host, so 100 feeds on one host would measure politeness).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import selectors
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import feed_path, feed_xml  # noqa: E402

LAST_MODIFIED = "Sat, 21 Nov 2026 08:00:00 GMT"


class Feeds:
    def __init__(self, count: int, entries: int, today: dt.date):
        self.bodies: dict[str, tuple[bytes, bytes, str, str]] = {}
        for i in range(count):
            raw = feed_xml(i, count, entries, today).encode("utf-8")
            kind = "application/atom+xml" if feed_path(i).endswith(".atom") else "application/rss+xml"
            etag = '"' + hashlib.sha1(raw).hexdigest()[:16] + '"'
            self.bodies[feed_path(i)] = (raw, gzip.compress(raw, 6), etag, kind)
        self.entries = entries
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.stats = {"requests": 0, "200": 0, "304": 0, "404": 0, "bytes": 0, "entries_served": 0}

    def count(self, key: str, size: int = 0) -> None:
        with self.lock:
            self.stats["requests"] += 1
            self.stats[key] += 1
            self.stats["bytes"] += size
            if key == "200":
                self.stats["entries_served"] += self.entries


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    feeds: Feeds
    latency: float

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/_stats":
            with self.feeds.lock:
                data = json.dumps(self.feeds.stats).encode()
            return self._send(200, data, {"Content-Type": "application/json"})
        if path == "/_reset":
            self.feeds.reset()
            return self._send(200, b"{}", {"Content-Type": "application/json"})
        time.sleep(self.latency)
        found = self.feeds.bodies.get(path)
        if found is None:
            self.feeds.count("404")
            return self._send(404, b"not found", {"Content-Type": "text/plain"})
        raw, zipped, etag, kind = found
        common = {"ETag": etag, "Last-Modified": LAST_MODIFIED, "Cache-Control": "max-age=0"}
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (inm and etag in [t.strip() for t in inm.split(",")]) or (not inm and ims == LAST_MODIFIED):
            self.feeds.count("304")
            return self._send(304, b"", common)
        headers = {**common, "Content-Type": f"{kind}; charset=utf-8", "Vary": "Accept-Encoding"}
        body = raw
        if "gzip" in (self.headers.get("Accept-Encoding") or ""):
            body = zipped
            headers["Content-Encoding"] = "gzip"
        self.feeds.count("200", len(body))
        self._send(200, body, headers)

    do_HEAD = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default (5) drops SYNs under 32 concurrent clients


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--date", default=dt.date.today().isoformat())
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--hosts", type=int, default=1, help="listen on 127.0.0.1 to 127.0.0.N")
    args = parser.parse_args(argv)
    Handler.feeds = Feeds(args.feeds, args.entries, dt.date.fromisoformat(args.date))
    Handler.latency = args.latency
    servers = [Server(("127.0.0.1", args.port), Handler)]
    port = servers[0].server_address[1]
    servers += [Server((f"127.0.0.{i}", port), Handler) for i in range(2, args.hosts + 1)]
    print(f"PORT {port}", flush=True)
    # One loop accepts for every address; each connection then gets a thread, as serve_forever does.
    with selectors.DefaultSelector() as selector:
        for server in servers:
            selector.register(server, selectors.EVENT_READ)
        try:
            while True:
                for key, _ in selector.select():
                    key.fileobj._handle_request_noblock()
        except KeyboardInterrupt:
            pass
        finally:
            for server in servers:
                server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
