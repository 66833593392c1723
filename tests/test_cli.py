"""The `openhand` command line: help for everything, --version, common options anywhere."""

from __future__ import annotations

import argparse
from importlib.metadata import version

import pytest

from curator import cli
from support.project import ROOT, openhand

# Each command (as typed) and the arguments it needs to parse; a new command must be added here.
COMMANDS = {
    ("curate",): [],
    ("check",): [],
    ("send",): ["--niche", "dental", "--issue", "1"],
    ("serve",): [],
    ("subscribers", "import"): ["clients.csv", "--niche", "dental"],
    ("subscribers", "export"): ["--niche", "dental"],
    ("subscribers", "unsubscribe"): ["a@example.com", "--niche", "dental"],
    ("subscribers", "add"): ["a@example.com", "--niche", "dental"],
    ("subscribers", "list"): ["--niche", "dental"],
    ("subscribers", "count"): [],
    ("backup",): ["state-copy.db"],
    ("listen",): [],
    ("inbox",): [],
}


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every parser and the command path that reaches it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, path + (name,))


def leaves() -> set[tuple[str, ...]]:
    return {path for path, p in parsers(cli._parser())
            if path and not any(isinstance(a, argparse._SubParsersAction) for a in p._actions)}


def test_every_command_and_option_says_what_it_does():
    missing = []
    for path, parser in parsers(cli._parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helped = {a.dest for a in action._choices_actions if a.help}
                missing += [(path, f"command {name}") for name in action.choices if name not in helped]
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append((path, action.option_strings or action.dest))
    assert not missing


def test_the_table_of_commands_is_complete():
    assert leaves() == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS), ids=" ".join)
def test_settings_and_verbose_work_before_or_after_every_command(command):
    args = [*command, *COMMANDS[command]]
    for argv in (["--settings", "x.py", "-v", *args], [*args, "--settings", "x.py", "-v"],
                 [*command[:1], "-s", "x.py", *args[1:], "--verbose"]):
        parsed = cli._parser().parse_args(argv)
        assert (parsed.settings, parsed.verbose) == ("x.py", True), argv
    plain = cli._parser().parse_args(args)
    assert (plain.settings, plain.verbose) == (None, False)


def test_version_names_openhand_and_pelican():
    proc = openhand(ROOT, "--version", fork=False)  # the installed console script, end to end
    assert proc.stdout.strip() == f"openhand {version('openhand')} (Pelican {version('pelican')})"


def test_help_lists_every_command_with_what_it_does():
    text = openhand(ROOT, "--help", fork=False).stdout
    for name in ("curate", "check", "send", "serve", "subscribers", "backup", "listen", "inbox"):
        assert f"    {name} " in text or f"    {name}\n" in text, name
