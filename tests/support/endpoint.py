"""The list endpoint for the tests: a site built with LIST_ENDPOINT on a chosen port, the app under waitress
on 127.0.0.1 in a thread, and raw HTTP requests (http.client: a redirect or a cookie would show)."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from .project import OPENHAND, ROOT, build, copy_project, write
from .sending import ISSUE, SETTINGS

SECRET = "test-list-secret-8c1f4e0b9a7d6c5e4f3a2b1c0d9e8f7a"


def make_list_site(dest: Path, port: int, extra: str = "") -> Path:
    """The dental niche with issues 1 and 2 published, built with LIST_ENDPOINT = http://127.0.0.1:PORT."""
    project = copy_project(dest, content=False)
    write(project / "content" / "niches" / "dental.md", (ROOT / "content" / "niches" / "dental.md").read_text())
    for number, date in ((1, "2026-11-02"), (2, "2026-12-07")):
        write(project / "content" / "newsletters" / "dental" / f"{date}.md",
              ISSUE.format(number=number, date=date, status="published"))
    with open(project / "pelicanconf.py", "a", encoding="utf-8") as conf:
        conf.write(SETTINGS + f"LIST_ENDPOINT = 'http://127.0.0.1:{port}'\n" + extra)
    build(project)
    return project


def list_settings(project: Path, **overrides):
    from curator.model import settings as curator_settings

    settings = curator_settings.load(str(project / "pelicanconf.py"))
    settings.update(overrides)
    return settings


@contextlib.contextmanager
def serving(app, port: int):
    """`app` under waitress on 127.0.0.1:port, in a thread; yields the base URL."""
    from waitress import wasyncore
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=port, threads=4, channel_timeout=10,
                           clear_untrusted_proxy_headers=False)  # as `openhand listen`: the app decides
    stop = threading.Event()

    def run() -> None:  # the loop closes its own sockets, after its last select(): no other thread touches them
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)
        wasyncore.close_all(server._map)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.task_dispatcher.shutdown()  # the requests' threads first, while the loop still writes their replies
        stop.set()
        thread.join(timeout=10)


def start_listen(project: Path, port: int, env: dict[str, str], timeout: float = 60) -> subprocess.Popen:
    """`openhand listen` as a user runs it, in its own process; returned once it accepts connections."""
    proc = subprocess.Popen([str(OPENHAND), "--settings", "pelicanconf.py", "listen", "--port", str(port)],
                            cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"openhand listen stopped: {proc.stderr.read()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.02)  # polling for the port, not waiting a fixed time
    proc.kill()
    raise RuntimeError(f"openhand listen did not answer in {timeout:g} s")


def endpoint_env(smtp, **extra) -> dict[str, str]:
    return {**os.environ, **smtp.env(), "OPENHAND_LIST_SECRET": SECRET, **extra}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str


def request(url: str, method: str = "GET", body: bytes | dict | None = None, headers: dict | None = None,
            timeout: float = 20) -> Answer:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    if isinstance(body, dict):
        body = urlencode(body).encode()
    sent = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                           headers={**sent, **(headers or {})})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      response.read().decode("utf-8", "replace"))
    finally:
        connection.close()
