"""Build real Openhand sites into temp folders, the way a user's `make html` does."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PELICAN = BIN / "pelican"
OPENHAND = BIN / "openhand"
PROJECT_FILES = ("pelicanconf.py", "publishconf.py")
PROJECT_DIRS = ("theme", "plugins")
# Pelican logs through rich, which wraps at the terminal width: one record per line keeps messages whole.
WIDE = {"COLUMNS": "1000"}
# OPENHAND_TEST_FORK=0: every build and openhand run as a real subprocess (to compare, or to rule the fork out).
FORK = os.environ.get("OPENHAND_TEST_FORK", "1") != "0"


def copy_project(dest: Path, *, content: bool = True) -> Path:
    """A copy of the project (settings, theme, plugin, and the demo content if asked)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, dest / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    if content:
        shutil.copytree(ROOT / "content", dest / "content")
    else:
        (dest / "content").mkdir()
    return dest


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build(project: Path, conf: str = "pelicanconf.py", *extra: str, check: bool = True,
          env: dict[str, str] | None = None, fork: bool = FORK) -> subprocess.CompletedProcess:
    """Run `pelican content -o output -s conf` in the project, as `make html` does: in a forked copy of
    this process (see `run_forked`), or with fork=False as the installed `pelican` command."""
    args = ["content", "-o", "output", "-s", conf, "--fatal", "errors", *extra]
    return _run("pelican", _pelican_main, PELICAN, args, project, env, 600, fork, check, "pelican")


def build_in_process(project: Path, monkeypatch, **override) -> None:
    """One build of the project in this very process, as pelican-plugins' tests build (a test can then
    patch or listen to what runs), without the search index; `override` replaces settings."""
    from pelican import Pelican
    from pelican.settings import read_settings

    with monkeypatch.context() as m:
        m.chdir(project)
        settings = read_settings(str(project / "pelicanconf.py"), override={"SEARCH_INDEX": False, **override})
        Pelican(settings).run()


def openhand(project: Path, *args: str, check: bool = True, env: dict[str, str] | None = None,
             timeout: float = 300, fork: bool = FORK) -> subprocess.CompletedProcess:
    """Run `openhand --settings pelicanconf.py ARGS` in the project folder: its main() in a forked copy of
    this process, or with fork=False the installed command."""
    argv = ["--settings", "pelicanconf.py", *args]
    return _run("openhand", _openhand_main, OPENHAND, argv, project, env, timeout, fork, check,
                f"openhand {' '.join(args)}")


class Forked:
    """A run started by start_forked, with the part of subprocess.Popen the kill tests use."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.005)
        return self.returncode  # type: ignore[return-value]  # set by poll


def start_openhand(project: Path, *args: str, env: dict[str, str] | None = None) -> Forked | subprocess.Popen:
    """`openhand --settings pelicanconf.py ARGS` started and not waited for, output discarded: forked as
    openhand() forks, or with OPENHAND_TEST_FORK=0 the installed command."""
    argv = ["--settings", "pelicanconf.py", *args]
    env = {**os.environ, **WIDE, **(env or {})}
    if not FORK:
        return subprocess.Popen([str(OPENHAND), *argv], cwd=project, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    return Forked(start_forked(_openhand_main, "openhand", argv, project, env))


def _run(name: str, main, script: Path, argv: list[str], project: Path, env: dict[str, str] | None,
         timeout: float, fork: bool, check: bool, what: str) -> subprocess.CompletedProcess:
    """`name argv` in the project, forked (run_forked) or as the installed script; with check, a failure
    raises with its output."""
    env = {**os.environ, **WIDE, **(env or {})}
    if fork:
        proc = run_forked(main, name, argv, project, env, timeout)
    else:
        proc = subprocess.run([str(script), *argv], cwd=project, capture_output=True, text=True, env=env,
                              timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _pelican_main(argv: list[str]) -> int:
    from pelican import main

    main(argv)
    return 0


def _openhand_main(argv: list[str]) -> int:
    from curator.cli import main

    return main(argv)


def _console_as_new() -> None:
    """Pelican's rich console reads COLUMNS once, when pelican.log is imported: in this process that was
    before the test's environment; read it again, as the console of a new process would."""
    log = sys.modules.get("pelican.log")
    if log is not None:
        columns = os.environ.get("COLUMNS", "")
        log.console._width = int(columns) if columns.isdigit() else None


def run_forked(main, name: str, argv: list[str], cwd: Path, env: dict[str, str],
               timeout: float) -> subprocess.CompletedProcess:
    """`name argv` as its console script would run it, but in a fork of the test process: the same
    command line, folder, environment, exit code, stdout and stderr, without starting Python and importing
    Pelican again (a tenth of a second or more a run, ~90 runs). The child keeps nothing: Pelican's global
    logging state, its message de-duplication and the plugin's caches end with it, as with a subprocess.
    What is under test being the installed script or a new interpreter stays a subprocess."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = start_forked(main, name, argv, cwd, env, out.fileno(), err.fileno())
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise subprocess.TimeoutExpired([name, *argv], timeout)
            time.sleep(0.005)
        texts = []
        for f in (out, err):
            f.seek(0)
            texts.append(f.read().decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n"))  # as text=True
    return subprocess.CompletedProcess([name, *argv], os.waitstatus_to_exitcode(status), texts[0], texts[1])


def start_forked(main, name: str, argv: list[str], cwd: Path, env: dict[str, str], stdout: int | None = None,
                 stderr: int | None = None) -> int:
    """The fork run_forked waits for, returned as soon as it runs (its pid; output to /dev/null unless given):
    for the tests that kill a run part-way, so that the kill lands in the run's work, not in a new
    interpreter's start-up."""
    pid = os.fork()
    if pid:
        return pid
    code = 1  # the child: never returns into pytest
    try:
        os.setpgid(0, 0)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null if stdout is None else stdout, 1)
        os.dup2(null if stderr is None else stderr, 2)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        sys.argv = [name, *argv]
        for module in ("pelicanconf", "publishconf"):  # another project's, imported by an earlier test
            sys.modules.pop(module, None)
        _console_as_new()
        root = logging.getLogger()  # as a fresh interpreter has it, not as pytest's capture left it
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.setLevel(logging.WARNING)
        code = main(argv) or 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)
