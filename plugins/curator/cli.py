"""`openhand`: the command line for what the build does not do (curate, check, send, serve).

Argument parsing lives here; each command's work lives in its own module and is
imported only when that command runs, so `openhand --help` stays instant.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .documents import ContentError
from .settings import SettingsError

logger = logging.getLogger("curator")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"openhand {version('openhand')} (Pelican {version('pelican')})"
    except PackageNotFoundError:
        return "openhand (not installed: run `make install`)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openhand",
        description="Curate, check, send and serve no-strings newsletters for a Pelican site.",
    )
    parser.add_argument("--version", action="version", version=_version(), help="print the version and exit")
    parser.add_argument("--settings", "-s", default=None,
                        help="Pelican settings file (default: pelicanconf.py in the current folder)")
    parser.add_argument("--verbose", "-v", action="store_true", help="say more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    curate = sub.add_parser("curate", help="write a draft issue per niche from its feeds and hand-picked links")
    curate.add_argument("--niche", action="append", metavar="SLUG", help="only this niche (repeatable)")
    curate.add_argument("--date", metavar="YYYY-MM-DD", help="the draft's date (default: today)")
    curate.add_argument("--offline", action="store_true", help="use only the feed cache, fetch nothing")
    curate.add_argument("--force", action="store_true", help="write a draft even if the cadence says it is too soon")

    check = sub.add_parser("check", help="the no-strings check on content/, output/ and mail/")
    check.add_argument("--strict", action="store_true", help="hard-sell phrases are errors, not warnings")

    send = sub.add_parser("send", help="send a published issue to a niche's subscribers over SMTP")
    send.add_argument("--niche", required=True, metavar="SLUG", help="the niche, as its file is named (content/niches/SLUG.md)")
    send.add_argument("--issue", required=True, type=int, metavar="N", help="the issue's number")
    send.add_argument("--dry-run", action="store_true", help="list who would receive it; send nothing")
    send.add_argument("--rate", type=float, default=None, metavar="PER_SECOND", help="at most this many messages a second")
    send.add_argument("--limit", type=int, default=None, metavar="K", help="send at most K messages this run")

    subs = sub.add_parser("subscribers", help="import, export or unsubscribe a niche's subscribers")
    subs_sub = subs.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = subs_sub.add_parser("import", help="add addresses from a CSV file")
    imp.add_argument("file", metavar="FILE", help="a CSV file with an email column (other tools' exports work)")
    imp.add_argument("--niche", required=True, metavar="SLUG", help="the niche whose list to add to")
    exp = subs_sub.add_parser("export", help="write the niche's list as CSV to standard output")
    exp.add_argument("--niche", required=True, metavar="SLUG", help="the niche whose list to write")
    uns = subs_sub.add_parser("unsubscribe", help="mark one address unsubscribed")
    uns.add_argument("email", metavar="EMAIL", help="the address to mark unsubscribed")
    uns.add_argument("--niche", required=True, metavar="SLUG", help="the niche whose list it is on")

    serve = sub.add_parser("serve", help="serve the built site on 127.0.0.1, with its 404 page and drafts at /preview/")
    serve.add_argument("--port", "-p", type=int, default=None, help="the port (default: PORT, Pelican's 8000)")
    serve.add_argument("--bind", "-b", default=None, metavar="ADDRESS",
                       help="the address to listen on (default: BIND, Pelican's 127.0.0.1; 0.0.0.0 for every interface)")
    serve.add_argument("--output", "-o", default=None, metavar="DIR", help="the built site (default: OUTPUT_PATH)")
    serve.add_argument("--regenerate", "-r", action="store_true", help="rebuild on every change, as `pelican -r` does")
    _accept_common_options_after(sub)
    return parser


def _accept_common_options_after(sub) -> None:
    """`openhand curate --settings x` (as `make` writes it) means the same as `openhand --settings x curate`,
    for every command and every nested one (`openhand subscribers export --niche d -v`)."""
    for command in sub.choices.values():
        command.add_argument("--settings", "-s", default=argparse.SUPPRESS, help="as before the command")
        command.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS, help="say more")
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _accept_common_options_after(action)


def _settings_path(value: str | None) -> str:
    path = value or "pelicanconf.py"
    if not os.path.isfile(path):
        raise SettingsError(f"{path}: no such settings file (run from the project folder or pass --settings)")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        from . import settings as curator_settings

        # Curation reads the settings file without importing Pelican; the other commands use Pelican's reader.
        settings = curator_settings.load(_settings_path(args.settings), pelican=args.command != "curate")
        if args.command == "curate":
            from .curate import run
        elif args.command == "check":
            from .nostrings import run
        elif args.command == "send":
            from .send import run
        elif args.command == "serve":
            from .serve import run
        else:
            from .subscribers import run
        return run(settings, args)
    except (ContentError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
