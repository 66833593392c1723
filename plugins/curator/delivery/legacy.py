"""The files Openhand kept before the database, imported once on first use and left where they are.

subscribers/<slug>.csv (email, name, status, since, source) becomes the niche's list;
mail/sent/<slug>-<number>.log (`time, status, address, detail, "end"` per line, torn last
lines ignored) becomes that issue's deliveries: `sent` lines as sent, `failed` ones as
refused (a later run tries them again, as a re-run did before). Each file is recorded in
`legacy_imports`, so it is read once; what was imported is said on standard error, with
the file's name, and the file is never changed or removed.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import re

from ..model.settings import project_dir, project_root
from .database import Database, now, open_database
from .importers import read_export
from .subscribers import address_key, import_rows

logger = logging.getLogger(__name__)

_LOG_NAME = re.compile(r"^(.+)-(\d+)\.log$")


def open_state(settings, environ=os.environ) -> Database:
    """The state database, created and migrated if need be, with any old files imported."""
    db = open_database(settings, environ)
    import_legacy(db, settings)
    return db


def _files(settings) -> list[str]:
    found = []
    folder = project_dir(settings, "SUBSCRIBERS_PATH")
    if folder:
        found += sorted(glob.glob(os.path.join(folder, "*.csv")))
    mail = project_dir(settings, "MAIL_PATH")
    if mail:
        found += sorted(glob.glob(os.path.join(mail, "sent", "*.log")))
    return found


def import_legacy(db: Database, settings) -> list[str]:
    """Import every old file not imported yet; returns one summary line per file imported."""
    files = _files(settings)
    if not files:
        return []
    root = project_root(settings)
    with db.transaction(write=False) as tx:
        done = {row[0] for row in tx.all("SELECT path FROM legacy_imports")}
    lines = []
    for path in files:
        name = os.path.relpath(path, root)
        if name in done:
            continue
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        summary = _import_csv(db, path, name) if path.endswith(".csv") else _import_log(db, path, name)
        with db.transaction() as tx:
            tx.execute("INSERT INTO legacy_imports (path, digest, imported_at, summary) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (path) DO NOTHING", (name, digest, now(), summary))
        line = f"imported {name} into {db.display}: {summary}; the file is left in place and no longer read"
        logger.info("%s", line)
        lines.append(line)
    return lines


def _import_csv(db: Database, path: str, name: str) -> str:
    slug = os.path.splitext(os.path.basename(path))[0]
    report = import_rows(db, slug, read_export(path).rows)
    for line, value, why in report.skipped:
        logger.warning("%s line %s: %r %s (left in the file, not imported)", name, line, value, why)
    statuses: dict[str, int] = {}
    for row in report.added:
        statuses[row.status] = statuses.get(row.status, 0) + 1
    counts = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "nothing new"
    return f"{len(report.added)} addresses for {slug} ({counts}), {len(report.skipped)} lines skipped"


def read_sent_log(path: str) -> dict[str, tuple[str, str]]:
    """{address key: (address, 'sent' | 'refused')} from an old send log; a torn line never counts."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().split("\n")[:-1]  # the part after the last newline is incomplete
    found: dict[str, tuple[str, str]] = {}
    for line in lines:
        parts = line.split("\t")
        if line.startswith("#") or len(parts) != 5 or parts[4] != "end" or parts[1] not in ("sent", "failed"):
            continue
        key = address_key(parts[2])
        if found.get(key, ("", ""))[1] != "sent":
            found[key] = (parts[2].strip(), "sent" if parts[1] == "sent" else "refused")
    return found


def _import_log(db: Database, path: str, name: str) -> str:
    match = _LOG_NAME.match(os.path.basename(path))
    if not match:
        return "not a send log name (<slug>-<number>.log); nothing imported"
    slug, issue = match.group(1), int(match.group(2))
    found = read_sent_log(path)
    stamp = now()
    with db.transaction() as tx:
        for key, (address, state) in found.items():
            tx.execute("INSERT INTO deliveries (niche, issue, address_key, address, state, attempts, run, detail, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, 1, 'legacy', ?, ?) "
                       "ON CONFLICT (niche, issue, address_key) DO NOTHING",
                       (slug, issue, key, address, state, f"from {name}", stamp))
    sent = sum(state == "sent" for _, state in found.values())
    return f"issue {issue} of {slug}: {sent} sent, {len(found) - sent} refused"
