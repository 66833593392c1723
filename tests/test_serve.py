"""`openhand serve` (make serve): the site's 404 page with status 404, and draft previews at /preview/."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from support.browser import serve_project
from support.project import OPENHAND, WIDE


@pytest.fixture(scope="module")
def site(draft_project):
    with serve_project(draft_project) as url:
        yield url


def fetch(url: str, method: str = "GET") -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def test_a_missing_address_gets_the_sites_404_page_with_status_404(site):
    for path in ("/no-such-page", "/cash-flow/no-such-guide/", "/theme/css/missing.css", "/preview/nothing/"):
        status, body, kind = fetch(site + path)
        assert status == 404, path
        assert kind.startswith("text/html") and b"That page is not here" in body, path
    status, body, _ = fetch(site + "/no-such-page", "HEAD")
    assert status == 404 and body == b""


def test_the_404_pages_links_work_from_any_depth(site):
    _, body, _ = fetch(site + "/a/b/c/missing")
    page = BeautifulSoup(body, "html.parser")
    base = page.find("base")["href"]
    stylesheet = page.find("link", rel="stylesheet")["href"]
    status, css, kind = fetch(urllib.request.urljoin(urllib.request.urljoin(site + "/a/b/c/missing", base), stylesheet))
    assert status == 200 and kind.startswith("text/css") and b":root" in css


def test_pages_are_served_as_pelicans_server_serves_them(site):
    for path in (
        "/",
        "/newsletters/dental/1/",
        "/newsletters/dental/1",
        "/404.html",
        "/feeds/newsletters/dental.atom.xml",
    ):
        status, body, _ = fetch(site + path)
        assert status == 200 and body, path


def test_a_draft_preview_and_its_email_are_served_with_the_sites_styles(site):
    url = site + "/preview/newsletters/dental/2/"
    status, body, _ = fetch(url)
    assert status == 200 and b"Draft preview" in body
    page = BeautifulSoup(body, "html.parser")
    for link in [page.find("link", rel="stylesheet")["href"]] + [a["href"] for a in page.select(".preview-banner a")]:
        status, _, _ = fetch(urllib.request.urljoin(url, link))
        assert status == 200, link
    status, _, _ = fetch(site + "/preview/mail/dental/2.txt")
    assert status == 200


def test_nothing_outside_the_served_folders_is_reachable(site, draft_project):
    assert (draft_project / "pelicanconf.py").is_file()
    for path in ("/../pelicanconf.py", "/preview/../pelicanconf.py", "/output/../pelicanconf.py",
                 "/%2e%2e/pelicanconf.py", "/preview/%2e%2e/content/newsletters/dental/2026-12-20.md"):
        status, body, _ = fetch(site + path)
        assert status == 404 and b"SITENAME" not in body, path


def start(project: Path, *args: str, sigint_ignored: bool = False) -> tuple[subprocess.Popen, str]:
    # PYTHONFAULTHANDLER: a serve that hangs prints where each of its threads is when sent SIGABRT.
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    proc = subprocess.Popen([str(OPENHAND), "--settings", "pelicanconf.py", "serve", "--port", "0", *args],
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **WIDE, "PYTHONFAULTHANDLER": "1"},
                            preexec_fn=ignore)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    assert match, line + proc.stderr.read()
    return proc, match.group(0).rstrip("/")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def pelican_children(pid: int) -> list[int]:
    """The process's children that run `pelican -r`."""
    found = []
    for kid in children(pid):
        try:
            argv = Path(f"/proc/{kid}/cmdline").read_text().split("\0")
        except FileNotFoundError:
            continue
        if "pelican" in argv and "-r" in argv:
            found.append(kid)
    return found


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["terminal", "background-job"])
def test_the_command_serves_the_404_page_and_stops_on_ctrl_c(draft_project, sigint_ignored):
    # A script's background job starts with SIGINT ignored, and Python keeps that: serve must stop anyway
    # (its banner says Ctrl-C stops it). The test runner itself may be such a job.
    proc, url = start(draft_project, sigint_ignored=sigint_ignored)
    try:
        assert fetch(url + "/missing")[0] == 404
        assert fetch(url + "/preview/newsletters/dental/2/")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # say what the process was doing
            status = Path(f"/proc/{proc.pid}/status")
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines()) if status.exists() else {}
            shown = ", ".join(f"{k} {fields[k].strip()}" for k in ("State", "Threads", "SigBlk", "SigIgn", "SigCgt")
                              if k in fields)
            proc.send_signal(signal.SIGABRT)  # faulthandler's dump of every thread's stack, then the process dies
            try:
                err = proc.communicate(timeout=10)[1]
            except subprocess.TimeoutExpired:
                proc.kill()
                err = proc.communicate(timeout=5)[1]
            pytest.fail(f"serve did not stop on Ctrl-C ({shown}); stderr: {err[-4000:]}")
        assert code == 0


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads a process's children from /proc (Linux)")
def test_regenerate_runs_pelican_beside_the_server_and_stops_it_too(draft_project):
    proc, url = start(draft_project, "--regenerate")
    try:
        deadline = time.monotonic() + 30
        while not pelican_children(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # until the fork has exec'd pelican
        kids = pelican_children(proc.pid)
        assert kids, "no pelican -r started"
    finally:
        proc.send_signal(signal.SIGTERM)  # what a process manager sends; Ctrl-C is tested above
        assert proc.wait(timeout=20) == 0
    for kid in kids:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{kid}").exists() and "Z" not in Path(f"/proc/{kid}/stat").read_text().split()[2] \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not Path(f"/proc/{kid}").exists() or Path(f"/proc/{kid}/stat").read_text().split()[2] == "Z"


def test_the_command_names_a_missing_build_in_one_line(tmp_path):
    from support.project import copy_project, openhand

    project = copy_project(tmp_path, content=False)
    proc = openhand(project, "serve", "--port", "0", check=False)
    assert proc.returncode == 2
    assert "no built site; run `make html` first" in proc.stderr and "Traceback" not in proc.stderr
