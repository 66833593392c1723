"""`openhand backup PATH`: a consistent copy of the state database, taken while it is in use.

SQLite: the backup API copies a consistent snapshot page by page into a temporary file next
to PATH, which is then fsynced and renamed into place (a crash leaves the old PATH whole).
PostgreSQL has its own tool for this: pg_dump.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile

from ..model.documents import fsync_dir
from .database import StateError
from .legacy import open_state


def backup(db, path: str) -> int:
    """Copy the SQLite database to `path`; returns its size in bytes."""
    target = os.path.realpath(path)
    if target == os.path.realpath(db.location.target):
        raise StateError(f"{path} is the database itself; give the backup another name")
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".openhand-backup-", dir=folder)
    os.close(fd)
    try:
        with db.errors():
            copy = sqlite3.connect(tmp)
            try:
                db.connection().backup(copy)
            finally:
                copy.close()
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            fsync_dir(folder)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return os.path.getsize(target)


def run(settings, args) -> int:
    try:
        db = open_state(settings)
        if db.kind == "postgresql":
            print(f"error: the database is PostgreSQL ({db.display}); back it up with pg_dump, e.g. "
                  f"pg_dump --format=custom --file={args.path} DBNAME", file=sys.stderr)
            return 2
        size = backup(db, args.path)
    except StateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"backed up {db.display} to {args.path} ({size} bytes, a consistent copy)")
    return 0
