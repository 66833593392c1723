"""Every command the README shows runs as written: make targets exist and take their variables,
`openhand` lines parse (the README says how to reach .venv/bin/openhand)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys

import pytest

from curator import cli
from support.project import ROOT
from support.tools import needs

README = (ROOT / "README.md").read_text(encoding="utf-8")


def shown_commands() -> list[str]:
    """The README's shell lines (```sh blocks, continuations joined) and its `make ...` table cells."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip()
            commands += [part.strip() for part in line.split("&&") if part.strip()]
    for cell in re.findall(r"`(make [^`]+)`", README):
        commands += [c.strip() for c in cell.split(", ")]
    return commands


def words(command: str) -> list[str]:
    parts = shlex.split(command.replace("…", "x"))
    while parts and re.fullmatch(r"[A-Z_]+=.*", parts[0]):  # environment assignments
        parts.pop(0)
    return parts


COMMANDS = shown_commands()


def test_the_readme_says_how_to_reach_the_openhand_command():
    assert "source .venv/bin/activate" in README and ".venv/bin/openhand" in README
    assert len(COMMANDS) >= 10


@needs("make", shutil.which("make"), "apt-get install make")
@pytest.mark.parametrize("command", sorted({c for c in COMMANDS if words(c)[0] == "make"}))
def test_each_make_command_the_readme_shows_exists(command):
    args = words(command)[1:]
    proc = subprocess.run(["make", "-n", f"VENV={sys.prefix}", "-o", f"{sys.prefix}/.installed", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "usage:" not in proc.stderr


@pytest.mark.parametrize("command", sorted({c for c in COMMANDS if words(c)[0].endswith("openhand")}))
def test_each_openhand_command_the_readme_shows_parses(command):
    cli._parser().parse_args(words(command)[1:])
