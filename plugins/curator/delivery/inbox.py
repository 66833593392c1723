"""`openhand inbox [--dry-run]`: the list's mailbox read by the program instead of a person.

It logs in over IMAP (imap.py: OPENHAND_IMAP_*, plain IMAP only to this machine), reads every
message in the folder without marking it read, and for each one reports.py understands (mailto:
unsubscribes, bounces, complaints) changes the list (readers.py); the message is recorded as handled
(`inbox_handled`, by a digest of its Message-ID)
and then moved to INBOX_HANDLED_FOLDER. A message handled before but not moved (the run stopped)
is only moved: nothing is applied twice, so a reader who unsubscribed by mail and later came back
through the endpoint stays subscribed. Everything else stays where it is, unread, for the editor.
`--dry-run` opens the folder read-only and says what it would do.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys

from ..build.emails import site_domain
from ..model.niches import load_niches
from ..model.settings import SettingsError, content_dir
from . import readers
from .database import StateError, now
from .imap import InboxError, Mailbox, imap_config
from .legacy import open_state
from .reports import Context, Finding, classify, mailto_parts, parse
from .subscribers import address_key


def message_key(message, raw: bytes) -> str:
    """What identifies a message across runs: a digest of its Message-ID, else of its bytes."""
    message_id = str(message.get("Message-ID", "")).strip()
    return hashlib.sha256(message_id.encode("utf-8") if message_id else raw).hexdigest()[:32]


def context(settings, niches, environ=os.environ) -> Context:
    from .tokens import SECRET_ENV, signer

    mailtos = {slug: mailto_parts(n.email.unsubscribe_mailto) for slug, n in niches.items()}
    return Context(site_domain(settings), mailtos, signer(settings, environ) if environ.get(SECRET_ENV) else None)


VERB = {"unsubscribe": "unsubscribed", "bounce": "bounced", "complaint": "complained"}


def apply(db, finding: Finding, key: str, settings) -> list[str]:
    """Change the list as one finding says; what changed, one line each."""
    niches = finding.niches
    if finding.anywhere:
        with db.transaction(write=False) as tx:
            niches = tuple(r[0] for r in tx.all("SELECT niche FROM subscribers WHERE address_key = ? ORDER BY niche",
                                                (address_key(finding.address),)))
        if not niches:
            return [f"{finding.address} is on no list; nothing to do ({finding.detail})"]
    lines = []
    for niche in niches:
        if finding.kind in ("delayed", "delivered"):
            lines.append(f"{finding.address} in {niche}: {finding.detail}; nothing changes")
            continue
        if finding.kind == "soft-bounce":
            limit = settings["INBOX_SOFT_BOUNCES"]
            outcome, count = readers.soft_bounce(db, niche, finding.address, key, limit, source="bounce")
            if outcome is readers.Outcome.COUNTED:
                lines.append(f"{finding.address} in {niche}: {finding.detail} ({count} of {limit}; bounced at "
                             f"{limit})")
                continue
        else:
            act = {"unsubscribe": readers.leave, "bounce": readers.bounce, "complaint": readers.complain}[finding.kind]
            outcome = act(db, niche, finding.address, source={"unsubscribe": "mailto"}.get(finding.kind,
                                                                                          finding.kind))
        done = "" if outcome is readers.Outcome.CHANGED else " (already not receiving it)"
        lines.append(f"{VERB.get(finding.kind, 'bounced')} {finding.address} in {niche}{done}: {finding.detail}")
    return lines


def run(settings, args) -> int:
    try:
        return _run(settings, args)
    except (InboxError, StateError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(settings, args) -> int:
    config = imap_config(os.environ, settings["SEND_TIMEOUT"])
    folder = settings["INBOX_HANDLED_FOLDER"]
    if folder.lower() == config.folder.lower():
        raise SettingsError(f"INBOX_HANDLED_FOLDER is {folder!r}, the folder being read; name another one")
    niches = load_niches(content_dir(settings, "NICHES_PATH"))
    ctx = context(settings, niches)
    db = open_state(settings)
    handled = left = 0
    try:
        with Mailbox(config, readonly=args.dry_run) as box:
            for uid in box.uids():
                raw = box.fetch(uid)
                message = parse(raw or b"")
                findings = classify(message, ctx) if raw else None
                if not findings:
                    left += 1
                    continue
                handled += 1
                key = message_key(message, raw or b"")
                where = f"message {uid.decode()} ({_subject(message)})"
                if args.dry_run:
                    for finding in findings:
                        print(f"would handle {where}: {finding.kind} {finding.address} in "
                              f"{', '.join(finding.niches) or 'every list it is on'} ({finding.detail})")
                    continue
                for line in _handle(db, findings, key, settings):
                    print(f"{where}: {line}")
                box.move(uid, folder)
    finally:
        db.close()
    verb = "would move" if args.dry_run else "moved"
    print(f"inbox {config.describe()}: {handled} handled ({verb} to {folder}), {left} left for you"
          + (" (dry run: nothing changed)" if args.dry_run else ""))
    return 0


def _handle(db, findings: list[Finding], key: str, settings) -> list[str]:
    """Apply a message's findings once: a message already recorded as handled is only moved."""
    with db.transaction(write=False) as tx:
        done = tx.one("SELECT action FROM inbox_handled WHERE message_key = ?", (key,))
    if done:
        return [f"handled on an earlier run ({done[0]}); moved now"]
    lines = [line for finding in findings for line in apply(db, finding, key, settings)]
    summary = ", ".join(sorted({f.kind for f in findings}))  # what was done, never to whom
    with db.transaction() as tx:
        tx.execute("INSERT INTO inbox_handled (message_key, action, handled_at) VALUES (?, ?, ?) "
                   "ON CONFLICT (message_key) DO NOTHING", (key, summary, now()))
    return lines


_SPACE = re.compile(r"\s+")


def _subject(message) -> str:
    return repr(_SPACE.sub(" ", str(message.get("Subject", ""))).strip()[:60])
