"""Per-feed limits: a feed built to exhaust memory or CPU is stopped at its limit.

Every feed is parsed and cleaned in a worker process under CURATE_FEED_MEMORY_MB and
CURATE_FEED_CPU_SECONDS (and a wall-clock watchdog). A hostile feed served beside good
ones must cost exactly one warning naming it and the limit; the good feeds of its own
niche and of the others are curated as usual, even those queued behind it in the same
worker. The pool itself is tested with tasks that really blow each limit.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from curator.curation import fetch
from curator.curation.command import exit_code
from curator.curation.curate import curate
from curator.curation.pools import CPU, CRASH, MEMORY, TIME, LimitedPool, Limits, Stopped
from curator.model.issues import load_issue
from support.feedserver import CONF, FeedServer, load_settings, make_project, niche_text, rss

DATE = dt.date(2026, 11, 22)


def many_entries(n: int = 40_000) -> bytes:
    """A 2.8 MB feed of 40,000 tiny entries: parsed, it needs over 300 MB and seconds of CPU."""
    items = "".join(f"<item><title>payroll {i}</title><link>https://bomb.example/{i}</link></item>" for i in range(n))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bomb</title>{items}</channel></rss>'.encode()


def good(name: str) -> bytes:
    return rss(name, [{"title": f"{name} payroll tip {i}", "link": f"https://{name}.example/{i}",
                       "description": "Payroll help.", "date": f"Mon, {16 - i:02d} Nov 2026 10:00:00 GMT"}
                      for i in range(3)])


@pytest.mark.parametrize("limits, words", [
    ("CURATE_FEED_MEMORY_MB = 32\nCURATE_FEED_CPU_SECONDS = 60\n",
     "stopped: it needed more than 32 MB to parse and clean (CURATE_FEED_MEMORY_MB)"),
    ("CURATE_FEED_MEMORY_MB = 4096\nCURATE_FEED_CPU_SECONDS = 1\n",
     "stopped: it needed more than 1 s of CPU to parse and clean (CURATE_FEED_CPU_SECONDS)"),
], ids=["memory", "cpu"])
def test_a_feed_that_exhausts_a_limit_is_one_warning_and_every_other_feed_is_curated(tmp_path, caplog, limits, words):
    with FeedServer() as server:
        bomb = server.add("/bomb.xml", body=many_entries())
        # The good feeds answer later, so they queue behind the bomb in the one worker.
        shop = [server.add(f"/shop{i}.xml", body=good(f"shop{i}"), delay=0.3) for i in range(2)]
        cafe = [server.add(f"/cafe{i}.xml", body=good(f"cafe{i}"), delay=0.3) for i in range(2)]
        root = make_project(tmp_path, {
            "shop": niche_text([(bomb, "Bomb", 1.0)] + [(u, f"Shop {i}", 1.0) for i, u in enumerate(shop)],
                               keywords=["payroll"], per_source=3),
            "cafe": niche_text([(u, f"Cafe {i}", 1.0) for i, u in enumerate(cafe)], keywords=["payroll"], per_source=3),
            "only": niche_text([(bomb, "Bomb", 1.0)], keywords=["payroll"]),
        }, conf=CONF + "CURATE_MAX_BYTES = 10_000_000\nCURATE_PARSE_PROCESSES = 1\n" + limits
            + "CURATE_READ_TIMEOUT = 5.0\n")  # the 0.3 s replies within the timeout on a loaded machine too
        with caplog.at_level(logging.WARNING):
            result = curate(load_settings(root), date=DATE)
    (said,) = [r.getMessage() for r in caplog.records if "bomb.xml" in r.getMessage()]
    assert said == f"feed Bomb <{bomb}> {words}"
    assert result.feeds[bomb].status == fetch.Status.STOPPED
    assert all(result.feeds[u].status == fetch.Status.OK for u in shop + cafe)
    reports = {r.slug: r for r in result.niches}
    assert {link.url for link in load_issue(reports["shop"].draft.path).links} == {
        f"https://shop{f}.example/{i}" for f in range(2) for i in range(3)}
    assert len(load_issue(reports["cafe"].draft.path).links) == 6
    assert reports["only"].draft is None and reports["only"].problem.startswith("could not be curated: Bomb stopped")
    assert exit_code(result) == 1
    state = fetch.load_state(os.path.join(root, "cache", "curator"), bomb)
    assert state.failures == 1 and state.next_try > time.time() and not state.etag


# ---------------------------------------------------------------- the pool, limit by limit

def test_each_limit_stops_only_its_own_task_and_the_tasks_queued_behind_it_finish():
    """One worker, so every other task waits behind the one that blows up; the worker is replaced."""
    cases = [("builtins:bytearray", (256 * 2 ** 20,), MEMORY, Limits(64, 60, 60)),
             ("builtins:sum", (range(10 ** 11),), CPU, Limits(64, 1, 60)),
             ("time:sleep", (60,), TIME, Limits(64, 60, 1)),
             ("os:abort", (), CRASH, Limits(64, 60, 60))]
    for target, args, limit, limits in cases:
        with LimitedPool(target, 1, limits) as pool:
            pool.submit("hostile", *args)
            if target != "os:abort":
                for i in range(3):
                    pool.submit(f"innocent {i}", *{"builtins:bytearray": (i,), "builtins:sum": (range(i),),
                                                   "time:sleep": (0,)}[target])
            results = pool.results()
        assert results.pop("hostile").limit == limit, target
        assert all(not isinstance(v, Stopped) for v in results.values()), (target, results)
        assert len(results) == (0 if target == "os:abort" else 3)
    with LimitedPool("builtins:bytearray", 1, Limits(64, 1, 5)) as pool:
        pool.submit("big", 256 * 2 ** 20)
        pool.submit("small", 3)
        assert pool.results() == {"big": Stopped(MEMORY, "needed more than 64 MB"), "small": bytearray(3)}


def test_a_task_that_raises_is_reported_and_the_worker_goes_on():
    with LimitedPool("builtins:int", 1, Limits(64, 5, 10)) as pool:
        pool.submit("bad", "not a number")
        pool.submit("good", "42")
        results = pool.results()
    assert results["good"] == 42
    assert results["bad"].limit == "error" and "ValueError" in results["bad"].detail


def test_a_pool_with_nothing_to_do_starts_no_process():
    pool = LimitedPool("time:sleep", 2, Limits(64, 1, 3))
    assert pool.results() == {}
    pool.close()
    assert pool._proc is None


KILLED_PARENT = """
import sys, time
from curator.curation.pools import LimitedPool, Limits
pool = LimitedPool("time:sleep", 2, Limits(64, 60, float(sys.argv[1])))
pool.submit("a", 60)
pool.submit("b", 60)
print(pool._proc.pid, flush=True)
time.sleep(60)
"""


def _processes_with(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read()
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in command and state not in ("Z", "X"):
            found.append(int(pid))
    return found


def test_a_killed_run_leaves_no_worker_behind():
    marker = repr(round(600 + random.random(), 6))  # the wall limit: on this run's command lines only
    proc = subprocess.Popen([sys.executable, "-c", KILLED_PARENT, marker], stdout=subprocess.PIPE, text=True)
    int(proc.stdout.readline())
    deadline = time.monotonic() + 30
    while len(_processes_with(marker)) < 4 and time.monotonic() < deadline:  # the run, its keeper, two workers
        time.sleep(0.05)
    assert len(_processes_with(marker)) == 4
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(marker) == []


def test_when_no_worker_process_can_start_every_task_is_stopped_not_run_unprotected(monkeypatch):
    from curator.curation import pools

    def no_process(*args, **kwargs):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(pools.subprocess, "Popen", no_process)
    with LimitedPool("builtins:len", 2, Limits(64, 1, 3)) as pool:
        pool.submit("a", "x")
        pool.submit("b", "yy")
        results = pool.results()
    assert set(results) == {"a", "b"}
    assert all(r.limit == CRASH and "no worker process could be started" in r.detail for r in results.values())
