"""build() and openhand() run Pelican's and the CLI's main() in a fork of the test process: what a test
reads of such a run (exit code, stdout, stderr, files written) is what the installed command gives."""

from __future__ import annotations

import logging

import pytest

from support.newsletters import link, write_issue, write_niche
from support.project import ROOT, WIDE, build, copy_project, openhand


def same(a, b) -> None:
    assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr)


@pytest.mark.parametrize("args", [("--version",), ("no-such-command",), ("curate", "--niche", "no-such-niche")])
def test_the_cli_in_a_fork_says_and_exits_as_the_installed_command(args):
    same(openhand(ROOT, *args, check=False), openhand(ROOT, *args, check=False, fork=False))


def test_a_build_in_a_fork_fails_and_logs_as_the_pelican_command_and_leaves_no_logging_behind(tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    write_issue(project, 1, links=[link(1, url="https://example.org/?gclid=1")])
    handlers = list(logging.getLogger().handlers)
    forked = build(project, check=False, env=WIDE)
    real = build(project, check=False, env=WIDE, fork=False)
    assert forked.returncode == real.returncode != 0
    problems = [line.split("] ", 1)[-1].strip() for line in forked.stdout.splitlines() if "error: [" in line]
    assert problems and problems == [line.split("] ", 1)[-1].strip() for line in real.stdout.splitlines()
                                     if "error: [" in line]
    assert logging.getLogger().handlers == handlers  # the child's logging went with it
    assert not (project / "mail/dental/1.eml").exists()
