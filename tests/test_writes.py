"""Files curation writes: readable as the user's umask says, private where they hold subscribers,
and a write killed half-way leaves nothing `git status` shows and nothing the next run keeps.

Writers are killed for real (a process SIGKILLed between writing its temporary file and
renaming it); `git status` is the real git on a real repository with the project's .gitignore.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curator.curation.curate import curate
from curator.delivery import subscribers
from curator.delivery.legacy import open_state
from curator.model import documents
from curator.model.documents import PRIVATE, write_bytes_atomic
from support.feedserver import load_settings, make_project, niche_text, rss
from support.project import ROOT, write

DATE = dt.date(2026, 11, 22)

# A writer killed after its temporary file is whole, before the rename that would publish it.
KILLED_WRITER = """
import os, signal, sys
from curator.model import documents
os.replace = os.link = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
documents.write_bytes_atomic(sys.argv[1], b"---\\nniche: shop\\nnumber: 1\\n")
"""

# A writer still at work: its temporary file exists while it runs.
LIVE_WRITER = """
import os, sys, time
from curator.model import documents
path = os.path.join(sys.argv[1], documents.temp_name())
open(path, "w").close()
print(path, flush=True)
time.sleep(120)
"""


def killed_write(path: Path) -> Path:
    """Kill a writer mid-write of `path`; returns the temporary file it left."""
    before = set(path.parent.iterdir()) if path.parent.exists() else set()
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path)])
    assert proc.returncode == -signal.SIGKILL
    assert not path.exists()
    (left,) = set(path.parent.iterdir()) - before
    return left


def shop_project(root: Path) -> Path:
    sources = root / "content" / "sources"
    sources.mkdir(parents=True)
    (sources / "feed.xml").write_bytes(
        rss(
            "Feed",
            [
                {
                    "title": f"Payroll tip {i}",
                    "link": f"https://a.example/{i}",
                    "date": f"Mon, {10 + i} Nov 2026 10:00:00 GMT",
                }
                for i in range(3)
            ],
        )
    )
    return make_project(root, {"shop": niche_text([("../sources/feed.xml", "Feed", 1.0)], keywords=["payroll"])})


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=root,
                          check=True, capture_output=True, text=True).stdout


def test_an_interrupted_write_leaves_nothing_git_status_shows_and_the_next_run_removes_it(tmp_path):
    root = shop_project(tmp_path / "site")
    (root / ".gitignore").write_bytes((ROOT / ".gitignore").read_bytes())
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the site")
    left = [killed_write(root / "content" / "newsletters" / "shop" / "2026-11-22.md"),
            killed_write(root / "cache" / "curator" / "feeds" / "abc.json")]
    assert all(p.exists() and p.name.startswith(".openhand-") for p in left)
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    # Seconds old, not ten minutes: its writer is dead, so the next run removes it at once.
    curate(load_settings(root), date=DATE)
    assert [p.exists() for p in left] == [False, False]
    assert (root / "content" / "newsletters" / "shop" / "2026-11-22.md").exists()


def test_only_temporary_files_whose_writer_is_gone_are_removed(tmp_path):
    folder = tmp_path / "newsletters"
    folder.mkdir()
    live = subprocess.Popen([sys.executable, "-c", LIVE_WRITER, str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        working = Path(live.stdout.readline().strip())
        name = working.name[len(documents.TEMP_PREFIX):-len(documents.TEMP_SUFFIX)]
        host, boot, pid, start, token = name.rsplit("-", 4)

        def named(**parts) -> Path:
            fields = {"host": host, "boot": boot, "pid": pid, "start": start, "token": "0000"} | parts
            path = folder / (documents.TEMP_PREFIX + "-".join(fields.values()) + documents.TEMP_SUFFIX)
            path.write_text("half")
            return path

        dead = killed_write(folder / "x.md")
        reused = named(start=str(int(start) + 1))           # the same pid, now another process's
        rebooted = named(boot="00000000" if boot != "00000000" else "11111111")
        elsewhere = named(host="another-machine")           # a shared folder: that writer cannot be asked
        elsewhere_old = named(host="another-machine", token="1111")
        legacy_old, legacy_new = folder / ".k1l2m3n4.tmp", folder / ".z9y8x7w6.tmp"  # older versions' names
        for path in (legacy_old, legacy_new):
            path.write_text("half")
        day_ago = time.time() - 2 * 86400
        for path in (elsewhere_old, legacy_old):
            os.utime(path, (day_ago, day_ago))
        removed = documents.remove_abandoned_temp_files(str(folder))
        assert sorted(removed) == sorted(map(str, [dead, reused, rebooted, elsewhere_old, legacy_old]))
        assert working.exists() and elsewhere.exists() and legacy_new.exists()
    finally:
        live.kill()
        live.wait()
    assert str(working) in documents.remove_abandoned_temp_files(str(folder))  # its writer is gone now


@pytest.mark.parametrize(
    "umask, public, private", [(0o022, 0o644, 0o600), (0o077, 0o600, 0o600), (0o002, 0o664, 0o600)]
)
def test_drafts_and_cache_files_follow_the_umask_and_subscriber_files_stay_private(tmp_path, umask, public, private):
    root = shop_project(tmp_path / "site")
    csv = write(tmp_path / "list.csv", "email,name\nann@example.org,Ann\n")
    old = os.umask(umask)
    try:
        report = curate(load_settings(root), date=DATE).niches[0]
        db = open_state(load_settings(root), environ={})
        try:
            subscribers.import_rows(db, "shop", subscribers.read_export(str(csv)).rows)
        finally:
            db.close()
        mail = root / "mail" / "shop" / "1.eml"
        write_bytes_atomic(str(mail), b"Subject: x\r\n\r\nx\r\n", durable=False)
        secret = root / "state" / "token"
        write_bytes_atomic(str(secret), b"x", mode=PRIVATE)
    finally:
        os.umask(old)

    def mode(path) -> int:
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(report.draft.path) == public
    caches = list((root / "cache" / "curator" / "feeds").glob("*.json"))
    assert caches and {mode(p) for p in caches} == {public}
    assert mode(mail) == public
    databases = list((root / "state").glob("openhand.db*"))  # the database, its -wal and -shm
    assert databases and {mode(p) for p in databases} == {private}
    assert mode(secret) == private
