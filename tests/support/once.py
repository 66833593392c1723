"""Work done once per test session and shared by every xdist worker: the builds no test writes to."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path


def built_once(tmp_path_factory, name: str, make: Callable[[Path], Path]) -> Path:
    """`make(folder)` run by whichever xdist worker asks first, the others waiting for it and reusing what it
    returned: for the builds no test writes to (the draft project is not one: `serve --regenerate` rebuilds it)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent / "built-once"  # this session's, shared by its workers
    shared.mkdir(exist_ok=True)
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if make() fails
        done = shared / f"{name}.done"
        if not done.exists():
            folder = shared / name
            shutil.rmtree(folder, ignore_errors=True)  # a worker that failed half-way left it
            folder.mkdir()
            done.write_text(str(make(folder)), encoding="utf-8")
        return Path(done.read_text(encoding="utf-8"))
