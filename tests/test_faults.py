"""Faults: curation killed mid-run, an editor's draft, a damaged cache, a folder it cannot write.

Real `openhand curate` processes against feeds on a local server; the checks are
what a user would find afterwards: files whole or absent, the next run fine, the
editor's words untouched, and a clear message when something cannot be written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from curator.curation import fetch
from curator.model.issues import load_issue
from support.budget import rounds
from support.feedserver import FeedServer, make_project, niche_text, rss
from support.project import OPENHAND, openhand, start_openhand, write

DATE = dt.date(2026, 11, 22)
EARLIER = DATE - dt.timedelta(days=31)
NICHES = ("books", "clinic", "garden")


def entries(niche: str, feed: int, n: int = 25) -> list[dict]:
    return [{"title": f"{niche} payroll note {feed}-{i}", "link": f"https://{niche}.example/{feed}/{i}",
             "description": f"How payroll works, part {i}. " * 20,
             "date": f"Fri, {20 - i % 15:02d} Nov 2026 10:00:00 GMT", "guid": f"{niche}-{feed}-{i}"}
            for i in range(n)]


@pytest.fixture
def server():
    with FeedServer() as srv:
        srv.httpd.socket.listen(128)  # room for every fetch thread's connection at once
        yield srv


def project(root: Path, server: FeedServer, feeds_per_niche: int = 4) -> Path:
    niches = {}
    for niche in NICHES:
        feeds = []
        for f in range(feeds_per_niche):
            url = server.add(f"/{niche}/{f}.xml", body=rss(f"{niche} {f}", entries(niche, f)), etag=f'"{niche}{f}"')
            feeds.append((url, f"{niche} feed {f}", 1.0))
        niches[niche] = niche_text(feeds, keywords=["payroll"])
    return make_project(root, niches)


def draft(root: Path, niche: str, day: dt.date = DATE) -> Path:
    return root / "content" / "newsletters" / niche / f"{day.isoformat()}.md"


def edited_draft(root: Path) -> dict[Path, bytes]:
    """Curate an earlier issue per niche and edit it the way an editor does; returns path -> bytes."""
    openhand(root, "curate", "--date", EARLIER.isoformat())
    saved = {}
    for niche in NICHES:
        path = draft(root, niche, EARLIER)
        text = path.read_text(encoding="utf-8")
        text = text.replace("intro: ''", "intro: 'Hello from the editor: \"quotes\", émoji 🙂 and # hashes'")
        text = text.replace("status: draft", "status: published")
        text += "\nDear reader,\n\nThis month I rewrote *everything* by hand.\n"
        path.write_text(text, encoding="utf-8")
        saved[path] = path.read_bytes()
    return saved


def cache_files(root: Path) -> list[Path]:
    return sorted((root / "cache" / "curator" / "feeds").glob("*.json"))


def visible_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def processes_in(folder: Path) -> list[str]:
    """Live processes working in this folder (a zombie is dead, only not yet reaped)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd") != str(folder):
                continue
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if state not in ("Z", "X"):
            found.append(f"{pid} {command}")
    return found


def assert_everything_whole(root: Path, saved: dict[Path, bytes]) -> None:
    """Every draft loads, every cache file is complete JSON, the editor's files are byte-identical."""
    for path in visible_files(root / "content" / "newsletters"):
        issue = load_issue(str(path))
        assert issue.links, path
    for path in cache_files(root):
        state = json.loads(path.read_text(encoding="utf-8"))
        assert state["version"] == fetch.CACHE_VERSION and isinstance(state["entries"], list), path
    for path, data in saved.items():
        assert path.read_bytes() == data, f"{path} changed"


@pytest.mark.fuzz
def test_sigkill_at_random_points_never_leaves_a_half_file_and_the_next_run_succeeds(tmp_path, server):
    root = project(tmp_path, server)
    saved = edited_draft(root)
    started = time.monotonic()
    openhand(root, "curate", "--date", DATE.isoformat())
    full = time.monotonic() - started
    rng = random.Random(20261122)
    killed = with_drafts = leftovers = 0
    n = rounds(20)
    for run in range(n):
        for niche in NICHES:
            draft(root, niche).unlink(missing_ok=True)
        if run % 3 == 0:
            shutil.rmtree(root / "cache", ignore_errors=True)  # some runs fetch everything, some get 304s
        proc = start_openhand(root, "curate", "--date", DATE.isoformat())
        time.sleep(rng.uniform(0.05, full * 1.1))
        proc.send_signal(signal.SIGKILL)
        killed += proc.wait() == -signal.SIGKILL
        with_drafts += any(draft(root, niche).exists() for niche in NICHES)
        assert_everything_whole(root, saved)
        # Leftovers of a kill can only be hidden temp files, never a file under a real name.
        left = [*(root / "content").rglob(".*"), *(root / "cache").rglob(".*")]
        for path in left:
            assert path.name.startswith(".openhand-") and path.name.endswith(".tmp"), path
        leftovers += len(left)
        # The next run finishes the job and removes those (their writer is dead, however new they are);
        # by its end nothing of the killed run is still running.
        proc = openhand(root, "curate", "--date", DATE.isoformat())
        assert "Traceback" not in proc.stderr
        assert not [p for p in left if p.exists()]
        assert processes_in(root) == [], "a killed run left processes behind"
        assert_everything_whole(root, saved)
        for niche in NICHES:
            assert len(load_issue(str(draft(root, niche))).links) == 7
    print(f"{killed} of {n} runs killed; {with_drafts} after a draft was written; {leftovers} stray temp files")
    assert killed >= n // 2, f"only {killed} of {n} runs were killed before finishing"


def test_an_edited_draft_survives_every_rerun_byte_for_byte(tmp_path, server):
    root = project(tmp_path, server)
    openhand(root, "curate", "--date", DATE.isoformat())
    path = draft(root, "books")
    text = path.read_text(encoding="utf-8")
    edited = text.replace("intro: ''", "intro: My own words.").replace("why:", "why: >-\n      edited\n     ", 1)
    edited = edited.split("links:")[0] + "links: []\n---\n\nI removed every link on purpose.\n"
    path.write_text(edited, encoding="utf-8")
    before = path.read_bytes()
    stamp = path.stat().st_mtime_ns
    server.add("/books/0.xml", body=rss("changed", entries("books", 9)), etag='"new"')  # the feeds moved on
    for args in ([], ["--force"], ["--offline"], ["--niche", "books", "--force"]):
        proc = openhand(root, "curate", "--date", DATE.isoformat(), *args)
        assert path.read_bytes() == before, args
        assert path.stat().st_mtime_ns == stamp, args
        assert f"kept content/newsletters/books/{DATE.isoformat()}.md (exists)" in proc.stdout, proc.stdout
    assert not list(path.parent.glob(".*"))  # no temp file left beside it


def test_a_deleted_cache_folder_is_rebuilt_by_the_next_run(tmp_path, server):
    root = project(tmp_path, server, feeds_per_niche=1)
    openhand(root, "curate", "--date", EARLIER.isoformat())
    shutil.rmtree(root / "cache")
    server.hits.clear()
    proc = openhand(root, "curate", "--date", DATE.isoformat())
    assert len(cache_files(root)) == len(NICHES)
    # Nothing to be conditional about any more: full fetches, all parsed.
    assert all("if-none-match" not in hit.headers and hit.status == 200 for hit in server.hits)
    assert "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def curated_once(tmp_path_factory):
    """One feed per niche on a server kept for the module, curated once: each damage test damages a copy."""
    with FeedServer() as srv:
        root = project(tmp_path_factory.mktemp("curated-once"), srv, feeds_per_niche=1)
        openhand(root, "curate", "--date", EARLIER.isoformat())
        yield srv, root


@pytest.mark.parametrize("damage", ["truncated", "garbage", "not-utf8", "wrong-version", "entries-not-list",
                                    "a-folder", "empty"])
def test_a_damaged_cache_file_is_rebuilt_with_a_warning(tmp_path, curated_once, damage):
    server, curated = curated_once
    root = tmp_path / "project"
    shutil.copytree(curated, root, symlinks=True)
    server.hits.clear()
    path = cache_files(root)[0]
    state = json.loads(path.read_text(encoding="utf-8"))
    url = state["location"]
    if damage == "a-folder":
        path.unlink()
        path.mkdir()
    else:
        data = {"truncated": path.read_bytes()[:40], "garbage": b"\x00\x01 not json {{{", "not-utf8": b"\xff\xfe\xfa",
                "wrong-version": json.dumps({**state, "version": 99}).encode(),
                "entries-not-list": json.dumps({**state, "entries": "oops"}).encode(), "empty": b""}[damage]
        path.write_bytes(data)
    proc = openhand(root, "curate", "--date", DATE.isoformat())
    warnings = [line for line in proc.stderr.splitlines() if url in line and "WARNING" in line]
    assert any("damaged" in line and "rebuilding" in line for line in warnings), proc.stderr
    assert "Traceback" not in proc.stderr
    if damage != "a-folder":
        rebuilt = json.loads(path.read_text(encoding="utf-8"))
        assert rebuilt["location"] == url and rebuilt["entries"]
    # It was fetched again in full, not conditionally on a validator it could not trust.
    assert "if-none-match" not in server.hits_for(url.removeprefix(server.base))[-1].headers


def test_the_cache_folder_being_a_file_costs_a_warning_not_the_draft(tmp_path, server):
    root = project(tmp_path, server, feeds_per_niche=1)
    (root / "cache").write_text("not a folder", encoding="utf-8")
    proc = openhand(root, "curate", "--date", DATE.isoformat())
    assert "could not write the feed cache" in proc.stderr
    for niche in NICHES:
        assert load_issue(str(draft(root, niche))).links
    assert (root / "cache").read_text(encoding="utf-8") == "not a folder"


# ---------------------------------------------------------------- folders it cannot write

CHATTR = shutil.which("chattr")


@pytest.fixture
def immutable():
    """Make folders truly unwritable, even for root (ext4's immutable flag); always undone."""
    done = []

    def make(path: Path) -> None:
        subprocess.run([CHATTR, "+i", str(path)], check=True, capture_output=True)
        done.append(path)

    yield make
    for path in done:
        subprocess.run([CHATTR, "-i", str(path)], capture_output=True)


@pytest.mark.skipif(CHATTR is None or os.geteuid() != 0, reason="needs chattr and root for an unwritable folder")
def test_a_read_only_newsletters_folder_gives_a_clear_error_and_keeps_the_old_files(tmp_path, server, immutable):
    root = project(tmp_path, server)
    saved = edited_draft(root)
    before = {p: p.read_bytes() for p in visible_files(root / "content")}
    try:
        for niche in NICHES:
            immutable(root / "content" / "newsletters" / niche)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"this filesystem has no immutable flag: {exc.stderr}")
    proc = openhand(root, "curate", "--date", DATE.isoformat(), check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith(("ERROR", "error"))]
    assert len(errors) == len(NICHES), proc.stderr
    for niche, line in zip(NICHES, errors, strict=False):
        assert line.startswith(f"ERROR: niche {niche}: could not write the draft:"), line
        assert "Operation not permitted" in line and f"newsletters/{niche}" in line, line
    assert "Traceback" not in proc.stderr
    assert {p: p.read_bytes() for p in visible_files(root / "content")} == before
    assert not [p for p in (root / "content").rglob(".*.tmp")]
    for path, data in saved.items():
        assert path.read_bytes() == data


def _small_files():
    """As if the disk were nearly full: any write past 4 KB fails with EFBIG instead of killing us."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_full_disk_gives_a_clear_error_and_leaves_no_half_file(tmp_path, server):
    root = project(tmp_path, server)
    saved = edited_draft(root)
    before = {p: p.read_bytes() for p in visible_files(root / "content")}
    caches = {p: p.read_bytes() for p in cache_files(root)}
    for niche in NICHES:  # bigger entries: the drafts and cache files no longer fit
        for f in range(4):
            server.add(f"/{niche}/{f}.xml", body=rss("big", entries(niche, f + 10)), etag='"big"')
    proc = subprocess.run([str(OPENHAND), "--settings", "pelicanconf.py", "curate", "--date", DATE.isoformat()],
                          cwd=root, capture_output=True, text=True, preexec_fn=_small_files, timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == len(NICHES) and all("could not write the draft" in e and "too large" in e for e in errors), (
        proc.stderr
    )
    assert "could not write the feed cache" in proc.stderr
    assert {p: p.read_bytes() for p in visible_files(root / "content")} == before
    assert {p: p.read_bytes() for p in cache_files(root)} == caches
    assert not [p for p in root.rglob(".*.tmp")]
    for path, data in saved.items():
        assert path.read_bytes() == data


def test_entries_reused_from_an_old_or_edited_cache_are_cleaned_again(tmp_path, server):
    """A cache written by an older, weaker cleaner (or by hand) must not bypass cleaning on a 304."""
    root = project(tmp_path, server, feeds_per_niche=1)
    write(root / "content" / "niches" / "books.md",
          niche_text([(server.url("/books/0.xml"), "books feed 0", 1.0)], keywords=["payroll"], per_source=10))
    openhand(root, "curate", "--date", EARLIER.isoformat(), "--niche", "books")
    draft(root, "books", EARLIER).unlink()
    path = cache_files(root)[0]
    state = json.loads(path.read_text(encoding="utf-8"))
    state["entries"] = [
        {
            "title": "<img src=x onerror=alert(1)>payroll one",
            "url": "https://books.example/x1",
            "summary": "<script>alert(1)</script>ok",
            "guid": "g1",
            "date": "2026-11-20T10:00:00+00:00",
        },
        {"title": "payroll two", "url": "javascript:alert(1)", "summary": "", "guid": "g2", "date": None},
        {
            "title": "payroll \u202ethree",
            "url": "https://books.example/x3?utm_source=old&id=3",
            "summary": "A" * 50_000,
            "guid": "g3",
            "date": 20261120,
        },
        "not an entry",
        {"title": "payroll four", "url": "https://books.example/x4", "summary": "clean", "guid": "g4", "date": None},
        {
            "title": "payroll five",
            "url": "https://feedproxy.google.com/~r/books/~3/x5",
            "summary": "",
            "guid": "g5",
            "date": None,
        },
    ]
    path.write_text(json.dumps(state), encoding="utf-8")
    proc = openhand(root, "curate", "--date", DATE.isoformat(), "--niche", "books", "--offline")
    assert "Traceback" not in proc.stderr
    links = {link.url: link for link in load_issue(str(draft(root, "books"))).links}
    assert sorted(links) == ["https://books.example/x1", "https://books.example/x3?id=3", "https://books.example/x4"]
    assert (
        links["https://books.example/x1"].title == "payroll one" and links["https://books.example/x1"].summary == "ok"
    )
    assert links["https://books.example/x3?id=3"].title == "payroll three"
    assert len(links["https://books.example/x3?id=3"].summary) <= 60 * 12 + 1
    assert links["https://books.example/x4"].summary == "clean"


def test_two_runs_at_once_write_each_draft_once_and_both_finish(tmp_path, server):
    root = project(tmp_path, server)
    command = [str(OPENHAND), "--settings", "pelicanconf.py", "curate", "--date", DATE.isoformat()]
    procs = [subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], outputs
    assert all("Traceback" not in err for _, err in outputs)
    for niche in NICHES:
        assert len(load_issue(str(draft(root, niche))).links) == 7
        wrote = sum(f"wrote content/newsletters/{niche}/" in out for out, _ in outputs)
        assert wrote == 1, [out for out, _ in outputs]
    assert_everything_whole(root, {})
    assert not [p for p in root.rglob(".*.tmp")]
    assert processes_in(root) == []
