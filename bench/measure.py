"""Run a command the way a user would and measure it: wall time and peak memory.

Peak memory comes in two readings, both without psutil: the kernel's own
high-water mark for the process (and any child it waited for), from wait4's
rusage, and the sampled sum over the whole process tree (a process pool's
workers count too) read from /proc every few tens of milliseconds, both of RSS
(pages forked workers share with their parent count once per process) and of
PSS (shared pages split between the processes sharing them: what the tree costs).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    seconds: float
    maxrss_mb: float  # kernel high-water mark of the largest single process
    tree_rss_mb: float  # sampled peak of the whole process tree's summed RSS
    returncode: int
    tree_pss_mb: float = 0.0  # sampled peak of the tree's summed PSS
    stdout: str = ""
    stderr: str = ""
    extra: dict = field(default_factory=dict)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as handle:
                    kids.extend(int(k) for k in handle.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return kids


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def tree(pid: int) -> list[int]:
    """A process and all its descendants, now."""
    out, todo, seen = [], [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        out.append(p)
        todo.extend(_children(p))
    return out


class _Sampler(threading.Thread):
    def __init__(self, pid: int, interval: float):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.peak_pss = pid, interval, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            pids = tree(self.pid)
            self.peak = max(self.peak, sum(_rss(p) for p in pids))
            self.peak_pss = max(self.peak_pss, sum(_pss(p) for p in pids))
            self.done.wait(self.interval)


def run(cmd: list[str], *, cwd: str | None = None, env: dict[str, str] | None = None,
        timeout: float = 600, sample: float = 0.05) -> Run:
    """Run cmd to completion; its output is captured into temp files, not pipes,
    so a chatty child never blocks on a full pipe while we wait4 it."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL)
        sampler = _Sampler(proc.pid, sample)
        sampler.start()
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            maxrss_mb=usage.ru_maxrss / 1024,
            tree_rss_mb=sampler.peak / 2**20,
            tree_pss_mb=sampler.peak_pss / 2**20,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def summary(values: list[float]) -> dict[str, float]:
    """Median, min and max, the shape every figure in the results takes."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def self_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_speed(loops: int = 3_000_000, runs: int = 3) -> float:
    """Seconds for a fixed pure-Python loop (median of runs): how fast this machine was running
    when the figures were taken (shared machines change speed by half and more)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        total = 0
        for i in range(loops):
            total += i
        times.append(time.perf_counter() - start)
    return statistics.median(times)
