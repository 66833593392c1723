"""What each draft offered, kept outside the draft so later runs can tell what the editor did with it.

The editor edits the draft in place, so once it is published the draft no
longer says what curation offered. This module owns the record of it: one JSON
file per niche under CURATOR_STATE_PATH (state/curator/, git-ignored and kept
by `make clean`), written atomically: a kill leaves the old record or the new
one, whole. It is not fsynced itself: ten flushes, one per niche, were the
largest cost curation added to a warm run (10-40 ms each on the bench machine),
and the draft written right after it is flushed, which on a journalling file
system (ext4's default ordered journal) commits the record's rename and data
with it. Elsewhere a power cut may lose the newest record or leave it torn:
`load` sets a torn file aside with one warning, and the niche learns again from
its next draft. `learning` reads it; `openhand curate --forget NICHE` deletes a
niche's file.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass

from ..model.documents import write_bytes_atomic

logger = logging.getLogger(__name__)

VERSION = 1


@dataclass(frozen=True)
class Offered:
    """One link a draft offered: in `links:`, or as a runner-up in `more:`."""

    url: str
    key: str
    title: str
    summary: str
    source: str
    hand_picked: bool = False
    runner_up: bool = False


@dataclass(frozen=True)
class Record:
    """A niche's offers, by the draft's date (ISO)."""

    slug: str
    drafts: dict[str, tuple[Offered, ...]]


def record_path(folder: str, slug: str) -> str:
    return os.path.join(folder, f"{slug}.json")


def load(folder: str, slug: str) -> Record:
    """The niche's record; an empty one when there is none. A file that is not a record is set aside
    (renamed *.bad, with one warning) rather than overwritten, so nothing is lost."""
    path = record_path(folder, slug)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("version") != VERSION:
            raise ValueError(f"version {data.get('version')!r}, where this Openhand reads version {VERSION}")
        drafts = {str(date): tuple(Offered(**item) for item in items) for date, items in data["drafts"].items()}
        return Record(slug, drafts)
    except FileNotFoundError:
        return Record(slug, {})
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        aside = path + ".bad"
        try:
            os.replace(path, aside)
        except OSError:
            aside = ""
        logger.warning("%s is not a curation record (%s: %s): niche %s learns again from its next draft%s",
                       path, exc.__class__.__name__, exc, slug, f"; the file was moved to {aside}" if aside else "")
        return Record(slug, {})


def save(folder: str, record: Record) -> None:
    data = {"version": VERSION, "niche": record.slug,
            "drafts": {date: [asdict(o) for o in offers] for date, offers in sorted(record.drafts.items())}}
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    write_bytes_atomic(record_path(folder, record.slug), text.encode("utf-8"), durable=False)


def with_offer(record: Record, date: str, offered: tuple[Offered, ...]) -> Record:
    return Record(record.slug, {**record.drafts, date: offered})


def forget(folder: str, slug: str) -> bool:
    """Delete the niche's record; True when there was one."""
    try:
        os.unlink(record_path(folder, slug))
        return True
    except FileNotFoundError:
        return False
