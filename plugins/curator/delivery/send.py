"""`openhand send`: one published issue's email to a niche's subscribers, never twice.

Before anything connects: the issue must be published, its .eml built from the files as
they are now (fingerprint.py), and the exact bytes about to go out must pass the
no-strings email checks. Then one transaction takes the issue's send (a second run of the
same issue is refused), turns what a dead run left `sending` into `unknown`, and reads what
was already delivered; the sender does the rest. `--test ADDRESS` sends one copy, subject
prefixed [Test], of a draft too, and records nothing. `--dry-run` lists who would receive
it on standard output, one address per line.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from ..model.documents import ContentError
from ..model.issues import load_niche_issues
from ..model.niches import load_niches, no_such_niche
from ..model.settings import content_dir, project_path
from . import deliveries
from .database import StateError
from .fingerprint import stale
from .legacy import open_state
from .message import (
    Built,
    MessageError,
    Recipient,
    as_test,
    load,
    needs_token,
    per_recipient_problems,
    personalise,
    problems,
)
from .relay import smtp_config
from .sender import Plan, Sender, Tally
from .smtp import ConnectError, Connection, Result


class SendError(Exception):
    """Sending cannot start; the message says why and what to do."""


def find_issue(settings, slug: str, number: int):
    """(niche, issue file) or a SendError naming what exists."""
    niches_dir = content_dir(settings, "NICHES_PATH")
    niches = load_niches(niches_dir)
    if slug not in niches:
        raise SendError(no_such_niche("--niche", slug, niches_dir, niches))
    newsletters_dir = content_dir(settings, "NEWSLETTERS_PATH")
    issues = {issue.number: issue for issue in load_niche_issues(newsletters_dir, niches[slug])}
    if number not in issues:
        have = ", ".join(str(n) for n in sorted(issues)) or "none yet"
        raise SendError(f"--issue {number}: {os.path.join(newsletters_dir, slug)} has no issue number {number} "
                        f"(issues: {have})")
    return niches[slug], issues[number]


def built_email(settings, niche, issue) -> Built:
    """The built .eml of a published issue, refused when it no longer matches what it was built from."""
    eml_path = os.path.join(project_path(settings, "MAIL_PATH"), niche.slug, f"{issue.number}.eml")
    if not os.path.isfile(eml_path):
        raise SendError(f"{eml_path}: not built yet; run make html (published issues become emails)")
    built = load(eml_path)
    problem = stale(eml_path, settings, issue.path, niche, built.data)
    if problem:
        raise SendError(problem)
    return built


def rendered_email(settings, slug: str, number: int) -> Built:
    """A draft's email, rendered now by the build's own generator and renderer (drafts have no .eml)."""
    from ..build.emails import EmailRenderer
    from ..build.generator import NewsletterGenerator

    generator = NewsletterGenerator(dict(settings), settings, settings["PATH"], settings["THEME"],
                                    settings["OUTPUT_PATH"])
    generator.generate_context()
    view = next(i for n in generator.niches if n.slug == slug for i in n.issues + n.drafts if i.number == number)
    renderer = EmailRenderer(generator.html_env, settings)
    return load(f"{view.path} (rendered for the test)", renderer.render(view).eml)


def preflight(settings, built: Built, niche: str, dry_run: bool = False):
    """Before anything connects: two readers' copies differ only in To and the unsubscribe token (each has
    its own, in List-Unsubscribe and both bodies), and one passes the no-strings check. The tokens' Signer
    when the email carries them (OPENHAND_LIST_SECRET is then needed, but for a dry run), else None."""
    import secrets

    from .relay import Secret
    from .tokens import Signer
    from .tokens import signer as make_signer

    signer = None
    if needs_token(built.data):
        signer = Signer(Secret(secrets.token_urlsafe(32)), 1) if dry_run else make_signer(settings)
    readers = [Recipient(niche, a, n, signer.unsubscribe(niche, a) if signer else "")
               for a, n in (("reader@example.org", ""), ("another.reader@example.net", "A. Reader"))]
    found = per_recipient_problems(built.data, *readers)
    if found:
        raise SendError(f"{built.path}: " + "; ".join(found) + "; nothing was sent (rebuild it with make html)")
    check_bytes(personalise(built.data, readers[0]), settings, built.path)
    return None if dry_run else signer


def check_bytes(data: bytes, settings, where: str) -> None:
    found = problems(data, settings)
    if found:
        raise SendError(f"{where} fails the no-strings check, so nothing was sent: " + "; ".join(found[:5])
                        + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
                        + " (fix the issue, run make html, then send again)")


class Output:
    """A rich progress bar on a terminal, plain lines otherwise; safe from several threads."""

    def __init__(self, total: int, stream=None):
        self.stream = stream or sys.stdout
        self.progress = None
        self.lock = threading.Lock()
        if total and self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                     TextColumn("{task.description}"), console=Console(file=self.stream))
            self.task = self.progress.add_task("", total=total)
            self.progress.start()
        self.done, self.total = 0, total

    def step(self, address: str, outcome: str) -> None:
        with self.lock:
            self.done += 1
            if self.progress is not None:
                self.progress.update(self.task, advance=1, description=address)
                if outcome != "sent":
                    self.progress.console.print(f"{outcome} {address}")
            else:
                print(f"[{self.done}/{self.total}] {outcome} {address}", file=self.stream, flush=True)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


class StopRequest:
    """Ctrl-C / SIGTERM: no new message starts, the ones in flight finish and are recorded; a second one
    stops at once (what was in flight is then `unknown` on the next run)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.signum: int | None = None
        self.event = threading.Event()
        self.previous = {}

    def _handle(self, signum, frame):
        if self.signum is not None:
            self.__exit__()
            raise KeyboardInterrupt
        self.signum = signum
        self.event.set()
        print("stopping after the messages in flight (again to stop now)", file=sys.stderr, flush=True)

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self.previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self.previous.items():
            signal.signal(s, handler)
        self.previous = {}


def run(settings, args) -> int:
    try:
        return _run(settings, args)
    except (SendError, MessageError, StateError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(settings, args) -> int:
    for name, value in (("--rate", args.rate), ("--limit", args.limit), ("--connections", args.connections)):
        if value is not None and value <= 0:
            raise SendError(f"{name} must be above zero, not {value}")
    niche, issue = find_issue(settings, args.niche, args.issue)
    if args.test:
        return test_send(settings, niche, issue, args.test)
    if not issue.published:
        raise ContentError(issue.path, f"is {issue.status!r}; only published issues are sent", key="status",
                           fix="set status: published, run make html, then send again (or try it with --test ADDRESS)")
    built = built_email(settings, niche, issue)
    signer = preflight(settings, built, niche.slug, args.dry_run)
    config = None if args.dry_run else smtp_config(os.environ, settings["SEND_TIMEOUT"], settings["SEND_DEADLINE"])
    db = open_state(settings)
    label = f"issue {issue.number} of {niche.slug}"
    if args.dry_run:
        try:
            return dry_run(db, niche.slug, issue.number, args, label)
        finally:
            db.close()
    run_id = deliveries.Run()
    try:
        with db.transaction() as tx:
            start = deliveries.begin(tx, niche.slug, issue.number, run_id, built.digest)
    except deliveries.Busy as exc:
        raise SendError(f"{label}: {exc}; wait for it to finish (or stop it), then run again") from None
    try:
        return _send(settings, db, args, built, start, run_id, config, label, niche.slug, issue.number, signer)
    finally:
        deliveries._ACTIVE.discard(run_id.id)
        try:
            with db.transaction() as tx:
                deliveries.release(tx, niche.slug, issue.number, run_id, built.digest)
        except StateError:
            pass  # the database failed and the run said so; the next run takes the hold over
        db.close()


def dry_run(db, niche: str, number: int, args, label: str) -> int:
    with db.transaction(write=False) as tx:
        total = deliveries.pending_count(tx, niche, number, args.retry_unknown)
        already = tx.one("SELECT COUNT(*) FROM deliveries WHERE niche = ? AND issue = ? AND state = 'sent'",
                         (niche, number))[0]
    listed, after = 0, 0
    while args.limit is None or listed < args.limit:
        with db.transaction(write=False) as tx:
            rows = deliveries.pending_page(tx, niche, number, after, 500, args.retry_unknown)
        for row in rows[:None if args.limit is None else args.limit - listed]:
            print(row[2])
            listed += 1
        if len(rows) < 500:
            break
        after = rows[-1][0]
    later = f", {total - listed} more on later runs (--limit {args.limit})" if listed < total else ""
    print(f"dry run, nothing sent: {label} would go to {listed} subscribers{later}; {already} already sent "
          f"(in {db.display})", file=sys.stderr)
    return 0


def _send(settings, db, args, built, start, run_id, config, label, niche, number, signer) -> int:
    if start.recovered:
        print(f"{len(start.recovered)} messages were in flight when the last run of {label} stopped; they are now "
              f"unknown (the relay may have them): {', '.join(start.recovered)}", file=sys.stderr)
    if start.previous_fingerprint and start.previous_fingerprint != built.digest and start.already_sent:
        print(f"warning: {built.path} changed since this issue started going out; the {start.already_sent} "
              "subscribers already sent to got the earlier version, the rest get this one", file=sys.stderr)
    with db.transaction(write=False) as tx:
        pending = deliveries.pending_count(tx, niche, number, args.retry_unknown)
    total = min(pending, args.limit) if args.limit else pending
    plan = Plan(niche, number, built, args.connections or settings["SEND_CONNECTIONS"], args.rate, args.limit,
                args.retry_unknown, settings["SEND_RETRIES"], settings["SEND_RETRY_DELAY"],
                settings["SEND_MAX_FAILURES"], signer)
    tally = Tally()
    if total:
        print(f"sending {label} to {total} subscribers through {config.describe()}, {min(plan.connections, total)} "
              "connections", file=sys.stderr)
        output, stop = Output(total), StopRequest()
        started = time.monotonic()
        with stop:
            sender = Sender(db, plan, config, run_id, output.step, stop.event)
            try:
                tally = sender.run()
            finally:
                output.stop()
        if stop.signum is not None:
            tally.stop("interrupted; nothing lost")
        commits = sender.writer.commits if sender.writer is not None else 0
        print(f"took {time.monotonic() - started:.1f} s, {commits} commits", file=sys.stderr)
        code = summary(db, label, tally, start, run_id, args, niche, number)
        return 128 + stop.signum if stop.signum is not None else code
    return summary(db, label, tally, start, run_id, args, niche, number)


def summary(db, label: str, tally: Tally, start, run_id, args, niche: str, number: int) -> int:
    named: dict[str, list] = {}
    if tally.database_failed:
        counts, left = dict(tally.counts), None
    else:
        with db.transaction(write=False) as tx:
            counts, named = deliveries.outcomes(tx, niche, number, run_id)
            pending = deliveries.pending_count(tx, niche, number, args.retry_unknown)
        tried_again = counts.get("refused", 0) + counts.get("deferred", 0) + (
            counts.get("unknown", 0) if args.retry_unknown else 0)
        left = max(0, pending - tried_again)
    sent, refused, deferred, unknown = (counts.get(s, 0) for s in ("sent", "refused", "deferred", "unknown"))
    print(f"{label}: {sent} sent, {start.already_sent} skipped as already sent, {refused} refused, {deferred} "
          f"deferred, {unknown} unknown, {'?' if left is None else left} left (database: {db.display})")
    for state, rows in named.items():
        for address, detail in rows:
            print(f"  {state} {address}: {detail}")
    if tally.stopped:
        print(f"stopped: {tally.stopped}")
    earlier = start.unknown_count if not args.retry_unknown else 0
    if unknown or earlier:
        names = [a for a, _ in named.get("unknown", [])] + [a for a in start.unknown if not args.retry_unknown]
        print(f"unknown: {unknown + earlier} addresses may or may not have received it ({', '.join(names)}); they "
              "are never sent again by themselves: check the relay's log, then run the same command with "
              "--retry-unknown to send them again")
    if deferred:
        print(f"deferred: {deferred} addresses got a temporary refusal; the next run tries them again")
    if left:
        print(f"run the same command again to send to the {left} left")
    elif refused:
        print("a re-run tries the refused addresses again; fix or unsubscribe them first")
    return 1 if (refused or deferred or unknown or earlier or tally.stopped) else 0


def test_send(settings, niche, issue, address: str) -> int:
    """One copy to `address`, subject prefixed [Test]; nothing recorded, nothing counted."""
    from .subscribers import check_address

    to, _, problem = check_address(address)
    if problem:
        raise SendError(f"--test {address!r} {problem}")
    try:
        built = built_email(settings, niche, issue) if issue.published else None
    except SendError:
        built = None
    built = built or rendered_email(settings, niche.slug, issue.number)
    signer = preflight(settings, built, niche.slug)
    data = personalise(as_test(built.data, settings), Recipient(niche.slug, to, "",
                                                                signer.unsubscribe(niche.slug, to) if signer else ""))
    check_bytes(data, settings, built.path)
    config = smtp_config(os.environ, settings["SEND_TIMEOUT"], settings["SEND_DEADLINE"])
    connection = Connection(config)
    try:
        attempt = connection.send(built.sender, to, data, time.monotonic() + config.deadline)
    except ConnectError as exc:
        print(f"test copy not sent: {exc}")
        return 1
    finally:
        connection.quit()
    if attempt.result is not Result.SENT:
        print(f"test copy to {to}: {attempt.result.value}: {attempt.detail}")
        return 1
    what = "draft" if not issue.published else "issue"
    print(f"test copy of {what} {issue.number} of {niche.slug} sent to {to} (subject prefixed [Test]; not recorded "
          "as a delivery)")
    return 0
