"""The worker side of `pools`: what runs in the keeper process and in the workers it forks.

The protocol between the run and the keeper (framed, pickled tasks and results), the
per-task limits each worker sets on itself, and how a worker's death becomes a
`Stopped`. Nothing here runs in the curating process itself.
"""

from __future__ import annotations

import collections
import gc
import importlib
import json
import math
import os
import pickle
import resource
import signal
import struct
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

MEMORY, CPU, TIME, CRASH, ERROR = "memory", "cpu", "time", "crash", "error"
RESULT_OK, RESULT_FAILED, RESULT_STOPPED = "ok", "failed", "stopped"
_EXIT_MEMORY = 75                     # a worker's exit code after a MemoryError
END = b""                            # parent -> keeper: no more tasks


@dataclass(frozen=True)
class Limits:
    """What one task may use: memory above the worker's size when the task starts, CPU seconds
    (counted by the kernel in whole seconds, so rounded up), and wall-clock seconds."""

    memory_mb: int
    cpu_seconds: float
    wall_seconds: float


@dataclass(frozen=True)
class Stopped:
    """A task that did not finish: what stopped it (MEMORY, CPU, TIME, CRASH or ERROR) and how."""

    limit: str
    detail: str = ""


# ---------------------------------------------------------------- in every child process

def die_with_parent(parent: int) -> None:
    """A worker must not outlive its run: after a SIGKILL nothing is left to stop it, and it would
    wait for work for ever. Linux: ask for SIGKILL when the forking thread dies."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(1)


def _soft_limit(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, hard))


def _set_limits(limits: Limits) -> None:
    """Limits for the next task, from what this worker uses now (it accumulates CPU time, and its
    size is whatever earlier tasks left): only soft limits, so the next task can raise them again."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            size = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _soft_limit(resource.RLIMIT_AS, size + limits.memory_mb * 2 ** 20)
    except (OSError, ValueError):
        pass  # no /proc: the CPU limit and the watchdog still hold
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _soft_limit(resource.RLIMIT_CPU, math.ceil(usage.ru_utime + usage.ru_stime + limits.cpu_seconds))


def frame(key: str, payload: bytes) -> bytes:
    raw = key.encode("utf-8", "surrogateescape")
    return struct.pack("!I", len(raw)) + raw + payload


def unframe(data: bytes) -> tuple[str, bytes]:
    (size,) = struct.unpack_from("!I", data)
    return data[4:4 + size].decode("utf-8", "surrogateescape"), data[4 + size:]


def _work(fn, inbox: Connection, outbox: Connection, limits: Limits) -> None:
    """A worker: one task at a time, each under fresh limits, until the keeper closes the inbox.
    SIGXCPU's default action ends it; a MemoryError ends it with _EXIT_MEMORY, unreported
    (reporting would need the memory it has just run out of)."""
    _soft_limit(resource.RLIMIT_CORE, 0)  # a worker killed by SIGXCPU leaves no core file
    while True:
        try:
            key, payload = unframe(inbox.recv_bytes())
        except (EOFError, OSError):
            os._exit(0)
        _set_limits(limits)
        try:
            out = pickle.dumps((RESULT_OK, fn(*pickle.loads(payload))), pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            os._exit(_EXIT_MEMORY)
        except Exception as exc:  # a bug shown a stranger's bytes: that task fails, the worker goes on
            out = pickle.dumps((RESULT_FAILED, f"{type(exc).__name__}: {exc}"))
        try:
            outbox.send_bytes(frame(key, out))
        except MemoryError:
            os._exit(_EXIT_MEMORY)
        except OSError:
            os._exit(0)


# ---------------------------------------------------------------- the keeper process

@dataclass
class _Worker:
    pid: int
    inbox: Connection     # keeper -> worker
    outbox: Connection    # worker -> keeper
    key: str | None = None
    deadline: float = 0.0
    killed: bool = False


def _fork_worker(fn, limits: Limits, others: list[Connection]) -> _Worker:
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    keeper = os.getpid()
    pid = os.fork()
    if pid == 0:  # the worker: keep only its own two pipe ends, so every EOF reaches who waits for it
        try:
            die_with_parent(keeper)
            for conn in others:
                conn.close()
            os.close(to_w)
            os.close(from_r)
            _work(fn, Connection(to_r, writable=False), Connection(from_w, readable=False), limits)
        finally:
            os._exit(1)
    os.close(to_r)
    os.close(from_w)
    return _Worker(pid, Connection(to_w, readable=False), Connection(from_r, writable=False))


def _death(status: int, killed: bool, limits: Limits) -> tuple:
    code = os.waitstatus_to_exitcode(status)
    if killed:
        return RESULT_STOPPED, TIME, f"took longer than {limits.wall_seconds:g} s"
    if code == _EXIT_MEMORY:
        return RESULT_STOPPED, MEMORY, f"needed more than {limits.memory_mb} MB"
    if code == -signal.SIGXCPU:
        return RESULT_STOPPED, CPU, f"needed more than {limits.cpu_seconds:g} s of CPU"
    try:
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    except ValueError:
        how = f"signal {-code}"
    return RESULT_STOPPED, CRASH, f"its worker process died ({how})"


@dataclass
class _Keeper:
    fn: Any
    processes: int
    limits: Limits
    tasks: Connection
    results: Connection
    pending: collections.deque = field(default_factory=collections.deque)
    workers: list[_Worker] = field(default_factory=list)

    def dispatch(self) -> None:
        for worker in list(self.workers):
            if worker.key is None and self.pending:
                self.assign(worker)
        while self.pending and len(self.workers) < self.processes:
            others = [self.tasks, self.results] + [c for w in self.workers for c in (w.inbox, w.outbox)]
            self.workers.append(_fork_worker(self.fn, self.limits, others))
            self.assign(self.workers[-1])

    def assign(self, worker: _Worker) -> None:
        key, data = self.pending.popleft()
        try:
            worker.inbox.send_bytes(data)
        except OSError:  # it died while idle (killed from outside): the task waits for another
            self.pending.appendleft((key, data))
            self.retire(worker)
            return
        worker.key, worker.deadline, worker.killed = key, time.monotonic() + self.limits.wall_seconds, False

    def retire(self, worker: _Worker) -> int:
        """Reap a dead worker; returns its wait status."""
        self.workers.remove(worker)
        worker.inbox.close()
        worker.outbox.close()
        return os.waitpid(worker.pid, 0)[1]

    def collect(self, worker: _Worker) -> None:
        try:
            data = worker.outbox.recv_bytes()
        except (EOFError, OSError):
            data = frame(worker.key or "", pickle.dumps(_death(self.retire(worker), worker.killed, self.limits)))
        else:
            worker.key = None
        self.results.send_bytes(data)

    def run(self) -> None:
        ended = False
        while True:
            self.dispatch()
            busy = [w for w in self.workers if w.key is not None]
            if ended and not busy and not self.pending:
                return
            now = time.monotonic()
            timeout = max(0.0, min(w.deadline for w in busy) - now) if busy else None
            ready = wait(([] if ended else [self.tasks]) + [w.outbox for w in busy], timeout)
            if self.tasks in ready:
                data = self.tasks.recv_bytes()  # EOFError: the run is gone, so is this keeper
                if data == END:
                    ended = True
                else:
                    self.pending.append((unframe(data)[0], data))
            now = time.monotonic()
            for worker in busy:
                if worker.outbox in ready:
                    self.collect(worker)
                elif now >= worker.deadline and not worker.killed:
                    worker.killed = True  # the watchdog: its EOF follows
                    os.kill(worker.pid, signal.SIGKILL)

    def stop(self, kill: bool) -> None:
        for worker in list(self.workers):
            if kill:
                try:
                    os.kill(worker.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.retire(worker)


def keeper_main(argv: list[str]) -> None:
    """The keeper's entry point (a fresh interpreter, see pools._BOOT): argv is the task and result pipe
    fds, the task function as module:name, the number of workers and the limits as JSON."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle; EOF stops us
    task_fd, result_fd, target, processes, limits = argv
    module, _, name = target.partition(":")
    fn = getattr(importlib.import_module(module), name)
    gc.freeze()  # the workers share what the import built instead of copying it page by page
    keeper = _Keeper(fn, int(processes), Limits(**json.loads(limits)),
                     Connection(int(task_fd), writable=False), Connection(int(result_fd), readable=False))
    finished = False
    try:
        keeper.run()
        finished = True
    except (EOFError, OSError):
        pass  # the run died or closed us early: stop the workers now
    finally:
        keeper.stop(kill=not finished)
    os._exit(0)
