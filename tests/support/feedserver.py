"""A real HTTP server on 127.0.0.1 serving fixture feeds, and the ways servers misbehave.

Each path is a `Route`: a body with ETag/304 support, or a fault (slow, trickling,
redirecting, oversized, gzip bomb, 4xx/5xx, 429 with Retry-After). The server
records every request so tests can assert what curation asked for, and counts the
connections open at once (`max_connections`). `FeedServer("127.0.0.7")` binds another
loopback address: on Linux all of 127/8 is loopback, so each is a host of its own.
"""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None            # set: If-None-Match with it gets 304
    last_modified: str | None = None   # set: If-Modified-Since with it gets 304
    location: str | None = None        # for redirects (a path on this server or a URL)
    delay: float = 0.0                 # seconds before the response starts
    trickle: float = 0.0               # seconds between body bytes (a server that sends too slowly)
    gzip: bool = False                 # send the body gzip-compressed
    raw_gzip: bytes | None = None      # send these bytes as a gzip body as they are (a bomb)
    send_length: bool = True           # False: no Content-Length, body until the connection closes
    declared_length: int | None = None # a Content-Length to claim (for an oversized body refused unread)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hit:
    path: str
    status: int
    headers: dict[str, str]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128   # the default 5 drops connections when 16+ fetch threads connect at once

    def handle_error(self, request, client_address):  # a client hanging up early is expected here
        pass


class FeedServer:
    """`with FeedServer() as server: url = server.add("/a.xml", Route(body=...))`"""

    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.connections = self.max_connections = 0
        self._lock = threading.Lock()
        self.httpd = _QuietServer((host, 0), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route | None = None, **kwargs) -> str:
        self.routes[path] = route or Route(**kwargs)
        return self.url(path)

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def setup(self):  # one per connection
                super().setup()
                with server._lock:
                    server.connections += 1
                    server.max_connections = max(server.max_connections, server.connections)

            def finish(self):
                with server._lock:
                    server.connections -= 1
                super().finish()

            def do_GET(self):
                self._respond(server.routes.get(self.path.split("?", 1)[0]))

            def send_response(self, code, message=None):
                # The hit is recorded with its status line, before the client can read a byte of the
                # reply: a test that asks for the hits once its client is done sees every one.
                headers = getattr(self, "headers", None)   # unset for a request line that did not parse
                with server._lock:
                    server.hits.append(Hit(getattr(self, "path", "").split("?", 1)[0], code,
                                           {k.lower(): v for k, v in (headers.items() if headers else ())}))
                super().send_response(code, message)

            def _respond(self, route: Route | None) -> int:
                if route is None:
                    return self._simple(404, b"not found")
                if route.delay:
                    time.sleep(route.delay)
                if route.location is not None:
                    self.send_response(route.status)
                    target = route.location if "://" in route.location else server.url(route.location)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return route.status
                if route.status != 200:
                    extra = dict(route.headers)
                    return self._simple(route.status, route.body or b"error", extra)
                if (route.etag and self.headers.get("If-None-Match") == route.etag) or (
                        route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified):
                    self.send_response(304)
                    if route.etag:
                        self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return 304
                body = route.body
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                if route.raw_gzip is not None:
                    body = route.raw_gzip
                    self.send_header("Content-Encoding", "gzip")
                elif route.gzip:
                    body = gzip.compress(body)
                    self.send_header("Content-Encoding", "gzip")
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                if route.declared_length is not None:
                    self.send_header("Content-Length", str(route.declared_length))
                elif route.send_length:
                    self.send_header("Content-Length", str(len(body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                try:
                    if route.trickle:
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(route.trickle)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return 200

            def _simple(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> int:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return status

        return Handler


def rss(title: str, items: list[dict], link: str = "https://news.example/") -> bytes:
    """A small RSS 2.0 feed; each item: title, link, description, date (RFC 822), guid (optional).

    Values are inserted as given (callers escape or deliberately do not), so hostile
    markup can be served exactly as a stranger's feed would carry it.
    """
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<rss version="2.0"><channel>',
             f"<title>{title}</title>", f"<link>{link}</link>", "<description>fixture</description>"]
    for item in items:
        parts.append("<item>")
        for key, tag in (("title", "title"), ("link", "link"), ("description", "description"),
                         ("date", "pubDate"), ("guid", "guid")):
            if item.get(key) is not None:
                parts.append(f"<{tag}>{item[key]}</{tag}>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


# ---------------------------------------------------------------- curation projects

CONF = '''"""Settings for a curation test project: short timeouts and a small size cap."""
PATH = "content"
SITEURL = "https://openhand.test"
TIMEZONE = "UTC"
CURATE_CONNECT_TIMEOUT = 1.0
CURATE_READ_TIMEOUT = 0.5
CURATE_MAX_BYTES = 200_000
'''


def niche_text(feeds: list[tuple[str, str, float]], *, keywords: list[str], title: str = "Test niche",
               max_links: int = 7, per_source: int = 2, cadence: str = "monthly", exclude: list[str] = (),
               sections: list[tuple[str, list[str]]] = ()) -> str:
    """A niche file; feeds are (url, name, weight)."""
    import yaml

    meta = {
        "title": title, "summary": "For tests.", "cadence": cadence, "max_links": max_links,
        "per_source": per_source, "keywords": list(keywords), "exclude": list(exclude),
        "sections": [{"name": n, "keywords": list(k)} for n, k in sections],
        "feeds": [{"url": u, "name": n, "weight": w} for u, n, w in feeds],
        "email": {"from": "Test <letters@openhand.test>", "unsubscribe": "mailto:unsubscribe@openhand.test"},
    }
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\nHub text.\n"


def make_project(root, niches: dict[str, str], picks: dict[str, str] | None = None, conf: str = CONF):
    """A minimal project folder: settings file, niche files, hand-picked links."""
    from pathlib import Path

    from support.project import write

    root = Path(root)
    write(root / "pelicanconf.py", conf)
    for slug, text in niches.items():
        write(root / "content" / "niches" / f"{slug}.md", text)
    for name, text in (picks or {}).items():
        write(root / "content" / "links" / f"{name}.md", text)
    (root / "content" / "newsletters").mkdir(parents=True, exist_ok=True)
    return root


def load_settings(root, **overrides):
    from curator.model import settings as curator_settings

    return curator_settings.load(str(root / "pelicanconf.py"), overrides)
