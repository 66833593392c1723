"""`openhand`: the command line for what the build does not do (curate, check, send, subscribers, backup, serve,
listen, inbox).

Argument parsing lives here; each command's work lives in its own module and is
imported only when that command runs, so `openhand --help` stays instant.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from .delivery.database import StateError
from .model.documents import ContentError
from .model.settings import SettingsError

logger = logging.getLogger("curator")

# What `openhand curate` exits with (curate.exit_code decides; the README lists the same).
CURATE_EXIT_CODES = """exit codes:
  0  every niche wrote its draft (or kept it, or is not due yet), or had nothing new to offer
  1  a niche could not be curated: it has no draft because every feed failed or a limit
     stopped one of its feeds, or its draft could not be written
  2  a content or settings error: a niche file, a setting, or a hand-picked link file
     (then that link is left out and the others are curated)"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"openhand {version('openhand')} (Pelican {version('pelican')})"
    except PackageNotFoundError:
        return "openhand (not installed: run `make install`)"


def _parser() -> argparse.ArgumentParser:  # long: one add_argument per option, read as the CLI's reference
    parser = argparse.ArgumentParser(
        prog="openhand",
        description="Curate, check, send and serve no-strings newsletters for a Pelican site.",
    )
    parser.add_argument("--version", action="version", version=_version(), help="print the version and exit")
    parser.add_argument("--settings", "-s", default=None,
                        help="Pelican settings file (default: pelicanconf.py in the current folder)")
    parser.add_argument("--verbose", "-v", action="store_true", help="say more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    curate = sub.add_parser("curate", help="write a draft issue per niche from its feeds and hand-picked links",
                            epilog=CURATE_EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    curate.add_argument("--niche", action="append", metavar="SLUG", help="only this niche (repeatable)")
    curate.add_argument("--date", metavar="YYYY-MM-DD", help="the draft's date (default: today)")
    curate.add_argument("--offline", action="store_true", help="use only the feed cache, fetch nothing")
    curate.add_argument("--force", action="store_true", help="write a draft even if the cadence says it is too soon")
    curate.add_argument("--forget", action="append", metavar="SLUG",
                        help="reset what curation learned from the editor's choices for this niche (repeatable); "
                             "curates nothing")
    curate.add_argument("--retry", action="store_true",
                        help="fetch feeds that are backing off after failures too (once you fixed one)")

    check = sub.add_parser("check", help="the no-strings check on content/, output/ and mail/")
    check.add_argument("--strict", action="store_true", help="hard-sell phrases are errors, not warnings")

    send = sub.add_parser("send", help="send a published issue to a niche's subscribers over SMTP")
    send.add_argument(
        "--niche", required=True, metavar="SLUG", help="the niche, as its file is named (content/niches/SLUG.md)"
    )
    send.add_argument("--issue", required=True, type=int, metavar="N", help="the issue's number")
    send.add_argument("--dry-run", action="store_true", help="list who would receive it; send nothing")
    send.add_argument("--rate", type=float, default=None, metavar="PER_SECOND",
                      help="at most this many messages a second, across all connections")
    send.add_argument("--limit", type=int, default=None, metavar="K", help="send at most K messages this run")
    send.add_argument("--connections", type=int, default=None, metavar="N",
                      help="SMTP connections at once (default: SEND_CONNECTIONS)")
    send.add_argument("--retry-unknown", action="store_true",
                      help="also send to addresses whose delivery is unknown (the relay may have them already)")
    send.add_argument("--test", default=None, metavar="ADDRESS",
                      help="send one copy to ADDRESS, subject prefixed [Test] (drafts too); records nothing")

    subs = sub.add_parser("subscribers", help="a niche's list: import, export, add, unsubscribe, list, count")
    subs_sub = subs.add_subparsers(dest="action", metavar="ACTION", required=True)
    statuses = ("subscribed", "unconfirmed", "unsubscribed", "bounced", "complained")
    imp = subs_sub.add_parser("import", help="add addresses from a CSV export (Mailchimp, Buttondown, Substack, "
                                             "Ghost, listmonk, or any CSV with an email column)")
    imp.add_argument("file", metavar="FILE", help="a CSV file with an email column (other tools' exports work)")
    imp.add_argument("--niche", required=True, metavar="SLUG", help="the niche whose list to add to")
    imp.add_argument("--status", choices=statuses, default=None,
                     help="the status of every row in FILE (default: what the file says)")
    exp = subs_sub.add_parser("export", help="write the niche's list as CSV to standard output")
    exp.add_argument("--niche", required=True, metavar="SLUG", help="the niche whose list to write")
    add = subs_sub.add_parser("add", help="add one address")
    add.add_argument("email", metavar="EMAIL", help="the address to add")
    add.add_argument("--niche", required=True, metavar="SLUG", help="the niche whose list to add to")
    add.add_argument("--name", default="", help="the reader's name (for the To header)")
    add.add_argument("--status", choices=("subscribed", "unconfirmed"), default="subscribed",
                     help="subscribed (gets issues) or unconfirmed (default: subscribed)")
    add.add_argument("--resubscribe", action="store_true",
                     help="subscribe an address that had unsubscribed, bounced or complained (they asked you to)")
    uns = subs_sub.add_parser("unsubscribe", help="mark one address unsubscribed")
    uns.add_argument("email", metavar="EMAIL", help="the address to mark unsubscribed")
    uns.add_argument("--niche", required=True, metavar="SLUG", help="the niche whose list it is on")
    lst = subs_sub.add_parser("list", help="the niche's addresses, one a line (address, status, name)")
    lst.add_argument("--niche", required=True, metavar="SLUG", help="the niche whose list to show")
    lst.add_argument("--status", choices=statuses, default=None, help="only addresses with this status")
    cnt = subs_sub.add_parser("count", help="how many addresses per status")
    cnt.add_argument("--niche", default=None, metavar="SLUG", help="only this niche (default: every niche)")

    backup = sub.add_parser("backup", help="write a consistent copy of the state database to PATH")
    backup.add_argument("path", metavar="PATH", help="the file to write (replaced whole, never half-written)")

    serve = sub.add_parser("serve", help="serve the built site on 127.0.0.1, with its 404 page and drafts at /preview/")
    serve.add_argument("--port", "-p", type=int, default=None, help="the port (default: PORT, Pelican's 8000)")
    serve.add_argument(
        "--bind",
        "-b",
        default=None,
        metavar="ADDRESS",
        help="the address to listen on (default: BIND, Pelican's 127.0.0.1; 0.0.0.0 for every interface)",
    )
    serve.add_argument("--output", "-o", default=None, metavar="DIR", help="the built site (default: OUTPUT_PATH)")
    serve.add_argument("--regenerate", "-r", action="store_true", help="rebuild on every change, as `pelican -r` does")
    listen = sub.add_parser(
        "listen", help="serve the list endpoint: subscribe (double opt-in) and one-click unsubscribe"
    )
    listen.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1; put a TLS "
                                                             "reverse proxy in front)")
    listen.add_argument("--port", type=int, default=8080, help="the port (default: 8080)")

    inbox = sub.add_parser("inbox", help="read the list's mailbox (IMAP): mailto: unsubscribes, bounces, complaints")
    inbox.add_argument("--dry-run", action="store_true", help="say what it would do; change and move nothing")
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
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C stops every command, `serve` and `listen` included, even when started where SIGINT is ignored
        # (a script's background job): Python keeps an inherited SIG_IGN and would never raise KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        from .model import settings as curator_settings

        # Curation reads the settings file without importing Pelican; the other commands use Pelican's reader.
        settings = curator_settings.load(_settings_path(args.settings), pelican=args.command != "curate")
        if args.command == "curate":
            from .curation.command import run
        elif args.command == "check":
            from .build.nostrings import run
        elif args.command == "send":
            from .delivery.send import run
        elif args.command == "backup":
            from .delivery.backup import run
        elif args.command == "serve":
            from .build.serve import run
        elif args.command == "listen":
            from .delivery.listen import run
        elif args.command == "inbox":
            from .delivery.inbox import run
        else:
            from .delivery.subscribers import run
        return run(settings, args)
    except ContentError as exc:
        for error in exc.errors:  # every content error found, one line each
            print(f"error: {error}", file=sys.stderr)
        return 2
    except (SettingsError, StateError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
