"""Worker processes: forking, per-task limits and shutdown, in one place.

`LimitedPool` runs work a stranger's bytes can blow up (parsing and cleaning a feed)
in worker processes, each task under a memory ceiling, a CPU-time limit and a
wall-clock watchdog. Whatever a task does to its worker (MemoryError, SIGXCPU, a
crash, a hang) becomes one `Stopped` outcome for that task; the others go on.

Why a keeper: workers should be forked (a fork starts at once, warm), but the run
forks nothing while its fetch threads are running (a fork copies locks they may
hold). So the pool starts one fresh interpreter (safe with threads), the keeper,
which imports the task's module once and forks the workers itself, having no
threads of its own (`keeper`). The keeper hands each worker one task at a time, so when a
worker dies it knows which task killed it: that task is reported stopped, the
worker replaced, and no other task is lost. The pool starts on its first task, so
a run with nothing to parse (every feed 304) pays for none of it.

`ForkedPool` is the plain forked ProcessPoolExecutor for trusted work (choosing
links from cleaned entries), for when this process has no other threads.
"""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

from .keeper import (
    CPU,
    CRASH,
    END,
    ERROR,
    MEMORY,
    RESULT_OK,
    RESULT_STOPPED,
    TIME,
    Limits,
    Stopped,
    die_with_parent,
    frame,
    unframe,
)

__all__ = ["CPU", "CRASH", "ERROR", "MEMORY", "TIME", "ForkedPool", "LimitedPool", "Limits", "Stopped"]

logger = logging.getLogger(__name__)

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # plugins/
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); from curator.curation.keeper import keeper_main; "
         "keeper_main(sys.argv[2:])")


# ---------------------------------------------------------------- in the run

class LimitedPool:
    """`target(*args)` ("module:function", importable by a fresh interpreter) for each submitted
    task, in `processes` workers under `limits`; `results()` maps each key to the return value or
    a `Stopped`. Started on the first submit (or by start()); close() always, e.g. `with`."""

    def __init__(self, target: str, processes: int, limits: Limits, what: str = "tasks"):
        self.target, self.processes, self.limits, self.what = target, max(1, processes), limits, what
        self._proc: subprocess.Popen | None = None
        self._tasks: Connection | None = None
        self._reader: threading.Thread | None = None
        self._cond = threading.Condition()
        self._done: dict[str, Any] = {}
        self._submitted: list[str] = []
        self._ended = self._eof = False
        self._broken = ""   # why the workers could not start: every task is then Stopped with it

    def start(self) -> None:
        if self._proc is not None or self._broken:
            return
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT, _PACKAGE_PARENT, str(task_r), str(result_w), self.target,
                 str(self.processes), json.dumps(asdict(self.limits))],
                pass_fds=(task_r, result_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        except OSError as exc:  # no process to be had (a process limit, no memory): nothing runs unprotected
            self._broken = f"no worker process could be started ({exc})"
            os.close(task_w)
            os.close(result_r)
            return
        finally:
            os.close(task_r)
            os.close(result_w)
        self._tasks = Connection(task_w, readable=False)
        results = Connection(result_r, writable=False)
        self._reader = threading.Thread(target=self._read, args=(results,), name="pool-results", daemon=True)
        self._reader.start()
        logger.debug("%s in %d worker process%s (each task at most %d MB, %g s of CPU, %g s)", self.what,
                     self.processes, "es" if self.processes > 1 else "", self.limits.memory_mb,
                     self.limits.cpu_seconds, self.limits.wall_seconds)

    def _read(self, results: Connection) -> None:
        """Results as they come (a thread, so the keeper never waits to hand one over)."""
        try:
            while True:
                key, payload = unframe(results.recv_bytes())
                kind, *rest = pickle.loads(payload)
                value = (
                    rest[0]
                    if kind == RESULT_OK
                    else Stopped(*rest)
                    if kind == RESULT_STOPPED
                    else Stopped(ERROR, rest[0])
                )
                with self._cond:
                    self._done[key] = value
                    self._cond.notify_all()
        except (EOFError, OSError):
            pass
        finally:
            results.close()
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    def submit(self, key: str, *args: Any) -> None:
        self.start()
        self._submitted.append(key)
        if self._broken:
            return
        assert self._tasks is not None  # started, not broken
        try:
            self._tasks.send_bytes(frame(key, pickle.dumps(args, pickle.HIGHEST_PROTOCOL)))
        except OSError:
            pass  # the keeper is gone: results() says so for this key

    def results(self) -> dict[str, Any]:
        """Every submitted task's value or Stopped, waiting for those still running."""
        if self._proc is None:
            return {key: Stopped(CRASH, self._broken) for key in self._submitted}
        assert self._tasks is not None
        if not self._ended:
            self._ended = True
            try:
                self._tasks.send_bytes(END)
            except OSError:
                pass
        with self._cond:
            self._cond.wait_for(lambda: self._eof or all(k in self._done for k in self._submitted))
            gone = Stopped(CRASH, "the worker processes stopped early")
            return {key: self._done[key] if key in self._done else gone for key in self._submitted}

    def close(self) -> None:
        """Stop the keeper and its workers (at once, if results() was not asked for)."""
        if self._proc is None:
            return
        assert self._tasks is not None and self._reader is not None  # set together with _proc
        self._tasks.close()  # EOF: after END the keeper is done; before it, it stops its workers now
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(timeout=10)
        self._proc = None

    def __enter__(self) -> LimitedPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ForkedPool:
    """`work(shared, *args)` for trusted tasks (choosing links from cleaned entries) in forked workers,
    which inherit `shared` with the fork instead of receiving it pickled. `start` forks nothing while
    this process runs other threads (a fork copies locks they may hold) or when forking fails: it
    returns False and the caller does the work itself. `result(key)` is a task's value, or None when
    its worker died; `close()` (or `with`) is the one shutdown, cancelling what has not started."""

    def __init__(self, processes: int, work: Callable[..., Any], shared: Any):
        self.processes, self.work, self.shared = processes, work, shared
        self._executor: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future] = {}

    def start(self, tasks: dict[str, tuple]) -> bool:
        if threading.active_count() != 1:
            logger.debug("other threads are running: no worker processes")
            return False
        # The first submit forks every worker. Frozen, what this process holds is never scanned by the
        # workers' garbage collector, so its pages stay shared instead of being copied one by one.
        gc.freeze()
        try:
            self._executor = ProcessPoolExecutor(max_workers=self.processes, mp_context=multiprocessing.get_context(
                "fork"), initializer=_forked, initargs=(os.getpid(), self.work, self.shared))
            self._futures = {key: self._executor.submit(_run_forked, *args) for key, args in tasks.items()}
            return True
        except Exception as exc:  # e.g. no /dev/shm
            logger.debug("no forked workers (%s)", exc)
            self.close()
            return False
        finally:
            gc.unfreeze()

    def submitted(self, key: str) -> bool:
        return key in self._futures

    def result(self, key: str) -> Any:
        try:
            return self._futures[key].result()
        except Exception as exc:  # a dead worker: the caller does that task itself
            logger.debug("task %s failed in a worker: %r", key, exc)
            return None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None

    def __enter__(self) -> ForkedPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_inherited: tuple[Callable[..., Any], Any] | None = None   # set in a forked worker only, by _forked


def _forked(parent: int, work: Callable[..., Any], shared: Any) -> None:
    global _inherited
    die_with_parent(parent)
    _inherited = (work, shared)


def _run_forked(*args: Any) -> Any:
    assert _inherited is not None, "only in a ForkedPool worker"
    work, shared = _inherited
    return work(shared, *args)
