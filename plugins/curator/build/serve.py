"""`openhand serve`: the built site on 127.0.0.1, with the site's 404 page and the draft previews.

Pelican's own server (`pelican -l`) answers a missing URL with an empty response, and it serves
output/ only. This is its request handler (same URL suffix rules and MIME types) with two
additions: a missing file gets 404.html with status 404, and PREVIEW_PATH is served at
/preview/. A preview links the site's assets through its path on disk (preview/... to
../output/...), so the output folder is also served under its name relative to the preview
folder's parent (/output/ by default). `--regenerate` runs `pelican -r` beside it (devserver).
"""

from __future__ import annotations

import logging
import os
import posixpath
import signal
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from http import HTTPStatus, server

from pelican.server import ComplexHTTPRequestHandler

from ..model.settings import project_dir

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mounts:
    """URL prefixes (first path segment) and the folders they serve; "" is the site itself."""

    output: str
    folders: tuple[tuple[str, str], ...]  # (prefix, folder)

    def folder_for(self, path: str) -> tuple[str, str]:
        """The folder a URL path is served from, and the path inside it."""
        segments = [s for s in posixpath.normpath(urllib.parse.unquote(path)).split("/") if s]
        if segments:
            for prefix, folder in self.folders:
                if segments[0] == prefix:
                    return folder, "/".join(segments[1:])
        return self.output, "/".join(segments)


def mounts(output: str, preview: str | None) -> Mounts:
    """The site at /, previews at /preview/, and the site again where a preview's relative links reach it."""
    output = os.path.abspath(output)
    folders = []
    if preview:
        preview = os.path.abspath(preview)
        folders.append(("preview", preview))
        alias = os.path.relpath(output, os.path.dirname(preview))
        if "/" not in alias and alias not in (os.curdir, os.pardir, "preview"):
            folders.append((alias, output))
    return Mounts(output, tuple(folders))


class SiteHandler(ComplexHTTPRequestHandler):
    """Pelican's handler, mounted on several folders, answering 404 with the site's own page."""

    mounts: Mounts  # set on the subclass `make_server` builds
    path: str       # the request's (http.server sets it; Pelican's handler is untyped)

    def translate_path(self, path):
        path = path.split("?", 1)[0].split("#", 1)[0]
        folder, inside = self.mounts.folder_for(path)
        words = [w for w in inside.split("/") if w and w not in (os.curdir, os.pardir)]
        result = os.path.join(folder, *words)
        return result + "/" if path.rstrip().endswith("/") else result

    def do_GET(self):
        self._serve(send_body=True)

    def do_HEAD(self):
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        found = self.get_path_that_exists(self.path.split("?", 1)[0])
        if not found:
            self._not_found(send_body)
            return
        self.path = found
        if send_body:
            server.SimpleHTTPRequestHandler.do_GET(self)
        else:
            server.SimpleHTTPRequestHandler.do_HEAD(self)

    def get_path_that_exists(self, original_path):
        """Pelican's lookup (path, .html, /index.html), without its warning: a 404 is logged as one line."""
        trailing = original_path.endswith("/")
        base = original_path.rstrip("/")
        for suffix in self.SUFFIXES:
            if suffix == "/" and not trailing:
                continue
            if os.path.exists(self.translate_path(base + suffix)):
                return base + suffix
        return None

    def _not_found(self, send_body: bool) -> None:
        page = os.path.join(self.mounts.output, "404.html")
        if not os.path.isfile(page):
            self.send_error(HTTPStatus.NOT_FOUND, "Not found (and the site has no 404.html)")
            return
        with open(page, "rb") as handle:
            body = handle.read()
        # A relative build's 404 page links its stylesheet as ./theme/...: make that mean the site root
        # whatever the missing URL was, as a published site's absolute links do.
        body = body.replace(b"<head>", b'<head>\n<base href="/">', 1)
        self.send_response(HTTPStatus.NOT_FOUND)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def make_server(output: str, preview: str | None, bind: str = "127.0.0.1", port: int = 8000):
    """A threading HTTP server for the site (port 0: any free port); not started."""
    handler = type("Handler", (SiteHandler,), {"mounts": mounts(output, preview)})
    server.ThreadingHTTPServer.allow_reuse_address = True
    return server.ThreadingHTTPServer((bind, port), handler)


class _Stop(Exception):
    """SIGTERM, raised inside serve_forever so the finally clause runs."""


def _stop(signum, frame):
    raise _Stop()


def run(settings, args) -> int:
    output = args.output or settings["OUTPUT_PATH"]
    if not os.path.isdir(output):
        logger.error("%s: no built site; run `make html` first", output)
        return 2
    bind = args.bind or settings["BIND"] or "127.0.0.1"
    port = settings["PORT"] if args.port is None else args.port
    try:
        httpd = make_server(output, project_dir(settings, "PREVIEW_PATH"), bind, port)
    except OSError as exc:
        logger.error("cannot listen on %s:%s (%s); try another port (make serve PORT=8080)", bind, port, exc.strerror)
        return 2
    signal.signal(signal.SIGTERM, _stop)  # a process manager's stop: close the server and pelican -r too
    regenerate = None
    try:  # from here on a stop, whenever it comes, closes the server and stops pelican -r
        if args.regenerate:
            regenerate = subprocess.Popen([sys.executable, "-m", "pelican", "-r", settings["PATH"], "-o", output,
                                           "-s", args.settings or "pelicanconf.py"])
        host, port = httpd.server_address[:2]
        print(f"Serving {output} at http://{host}:{port}/ (drafts at /preview/); Ctrl-C stops it", flush=True)
        httpd.serve_forever()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        httpd.server_close()
        if regenerate:
            regenerate.terminate()
            regenerate.wait(timeout=10)
    return 0
