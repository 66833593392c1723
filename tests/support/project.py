"""Build real Openhand sites into temp folders, the way a user's `make html` does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PELICAN = BIN / "pelican"
OPENHAND = BIN / "openhand"
PROJECT_FILES = ("pelicanconf.py", "publishconf.py")
PROJECT_DIRS = ("theme", "plugins")
# Pelican logs through rich, which wraps at the terminal width: one record per line keeps messages whole.
WIDE = {"COLUMNS": "1000"}


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
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `pelican content -o output -s conf` in the project, as `make html` does."""
    cmd = [str(PELICAN), "content", "-o", "output", "-s", conf, "--fatal", "errors", *extra]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True,
                          env={**os.environ, **WIDE, **(env or {})}, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"pelican failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def openhand(project: Path, *args: str, check: bool = True, env: dict[str, str] | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed `openhand` command in the project folder."""
    proc = subprocess.run([str(OPENHAND), "--settings", "pelicanconf.py", *args], cwd=project,
                          capture_output=True, text=True, env={**os.environ, **WIDE, **(env or {})}, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"openhand {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc
