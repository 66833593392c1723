"""The Makefile as a newcomer uses it: in a folder whose path has a space, with every target's paths quoted."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.project import ROOT, WIDE, copy_project
from support.tools import needs

pytestmark = needs("make", shutil.which("make"), "apt-get install make")

VENV = sys.prefix  # the test run's own .venv: nothing is installed
TARGETS = {
    "html": [], "publish": [], "regenerate": [], "serve": [], "serve-global": [], "devserver": [],
    "devserver-global": [], "check": [], "curate": ["NICHE=dental"], "send": ["NICHE=dental", "ISSUE=1"],
    "clean": [], "rsync_upload": ["SSH_HOST=example.org", "SSH_TARGET_DIR=/var/www/site"], "listen": [],
    "inbox": ["ARGS=--dry-run"],
}


@pytest.fixture(scope="module")
def spaced(tmp_path_factory) -> Path:
    """The project copied into '<tmp>/my sites/Clearwater Advisory', Makefile and requirements too."""
    project = copy_project(tmp_path_factory.mktemp("make") / "my sites" / "Clearwater Advisory")
    for name in ("Makefile", "requirements.txt", "requirements-test.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, project / name)
    return project


def make(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    stamp = f"{VENV}/.installed"
    # -o: take the venv as installed (this run's own), whatever the copied requirements' times say.
    proc = subprocess.run(["make", "--no-print-directory", f"VENV={VENV}", "-o", stamp, *args], cwd=project,
                          capture_output=True, text=True, env={**os.environ, **WIDE}, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_make_html_builds_the_demo_in_a_folder_whose_path_has_a_space(spaced):
    assert " " in str(spaced)
    make(spaced, "html")
    assert (spaced / "output/index.html").is_file() and (spaced / "output/pagefind").is_dir()
    assert (spaced / "mail/dental/1.eml").is_file()
    make(spaced, "clean")
    assert not (spaced / "output").exists() and not (spaced / "mail/dental").exists()


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_target_hands_each_path_over_whole(spaced, target):
    """`make -n` shows the commands; read as the shell reads them, no path is split at its space."""
    lines = [line for line in make(spaced, "-n", target, *TARGETS[target]).stdout.splitlines()
             if str(spaced).split(" ")[0] in line]
    assert lines, target
    for line in lines:
        words = shlex.split(line)
        inside = [w for w in words if str(spaced).split(" ")[0] in w]
        assert inside and all(str(spaced) in w for w in inside), (target, line)


def test_make_help_prints_the_port_and_server_it_will_use(spaced):
    text = make(spaced, "help", "PORT=8123", "SERVER=192.0.2.7").stdout
    assert "http://127.0.0.1:8123" in text and "192.0.2.7" in text
    assert "$(" not in text
    for target in ("serve-global", "devserver-global", "rsync_upload", "curate", "send"):
        assert f"make {target} " in text, target
    assert f"source {VENV}/bin/activate" in text  # how to type the commands yourself


def test_quickstart_switches_debug_and_relative_reach_pelican(spaced):
    assert " -D" in make(spaced, "-n", "html", "DEBUG=1").stdout
    assert "--relative-urls" in make(spaced, "-n", "publish", "RELATIVE=1").stdout
    assert " -D" not in make(spaced, "-n", "html").stdout


def test_make_curate_honours_niche(spaced):
    before = set((spaced / "content/newsletters").rglob("*.md"))
    make(spaced, "curate", "NICHE=dental", "ARGS=--date 2027-03-01")
    written = set((spaced / "content/newsletters").rglob("*.md")) - before
    assert written == {spaced / "content/newsletters/dental/2027-03-01.md"}


def test_rsync_upload_says_what_it_needs_before_building_anything(spaced):
    proc = make(spaced, "rsync_upload", check=False)
    assert proc.returncode != 0 and "usage: make rsync_upload SSH_HOST=" in proc.stderr
    assert "pelican" not in proc.stdout
