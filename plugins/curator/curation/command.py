"""`openhand curate` as a command: its options, the progress bar, the summary table and the exit code."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
from typing import Any

from ..model.niches import load_niches, no_such_niche
from ..model.settings import SettingsError, content_dir, project_path, project_root
from . import offers
from .curate import curate
from .drafts import EXISTS, TOO_SOON, WRITTEN
from .pipeline import CurateResult, NicheReport

logger = logging.getLogger(__name__)


def _parse_date(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SettingsError(f"--date {value!r} is not a date; write it as YYYY-MM-DD, e.g. --date 2026-11-22") from None


def _draft_text(report: NicheReport, root: str) -> str:
    if report.draft is None:
        return f"none ({report.problem})"
    path = os.path.relpath(report.draft.path, root)
    return {WRITTEN: f"wrote {path}", EXISTS: f"kept {path} (exists)",
            TOO_SOON: f"skipped ({report.draft.message.removeprefix('skipped: ')})"}[report.draft.status]


def print_summary(result: CurateResult, root: str, tty: bool, stream=None) -> None:
    stream = stream or sys.stdout
    if tty:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Curation")
        for col in ("niche", "feeds ok", "not modified", "failed", "entries seen", "kept", "picked", "draft"):
            table.add_column(col, justify="right" if col not in ("niche", "draft") else "left")
        for r in result.niches:
            table.add_row(r.slug, str(r.feeds_ok), str(r.not_modified), str(r.failed), str(r.seen), str(r.kept),
                          str(r.picked), _draft_text(r, root))
        Console(file=stream).print(table)
        return
    for r in result.niches:
        print(f"{r.slug}: feeds {r.feeds_ok} ok, {r.not_modified} not modified, {r.failed} failed; "
              f"{r.seen} entries seen, {r.kept} kept, {r.picked} picked; draft: {_draft_text(r, root)}",
              file=stream)


def forget(settings: dict[str, Any], slugs: list[str], stream=None) -> int:
    """`--forget`: delete the niches' records of what their drafts offered, so they learn from scratch."""
    niches_dir = content_dir(settings, "NICHES_PATH")
    known = load_niches(niches_dir)
    state = project_path(settings, "CURATOR_STATE_PATH")
    for slug in slugs:
        if slug not in known and not os.path.exists(offers.record_path(state, slug)):
            raise SettingsError(no_such_niche("--forget", slug, niches_dir, known))
    for slug in dict.fromkeys(slugs):
        path = os.path.relpath(offers.record_path(state, slug), project_root(settings))
        done = offers.forget(state, slug)
        said = f"forgot what the editor taught it (removed {path})" if done else "had learned nothing yet"
        print(f"{slug}: {said}", file=stream or sys.stdout)
    return 0


def run(settings: dict[str, Any], args) -> int:
    if getattr(args, "forget", None):
        return forget(settings, args.forget)
    date = _parse_date(getattr(args, "date", None))
    tty = sys.stdout.isatty() and sys.stderr.isatty()
    started = time.monotonic()
    if tty:
        from rich.progress import Progress

        # No auto-refresh: its thread would keep worker processes from being forked safely.
        with Progress(transient=True, auto_refresh=False) as bar:
            task = bar.add_task("fetching feeds", total=None)

            def progress(name: str, total: int) -> None:
                bar.update(task, total=total, advance=1, description=f"fetched {name[:50]}", refresh=True)

            result = curate(settings, slugs=args.niche, date=date, offline=args.offline, force=args.force,
                            retry=args.retry, progress=progress)
    else:
        result = curate(settings, slugs=args.niche, date=date, offline=args.offline, force=args.force,
                        retry=args.retry)
    print_summary(result, project_root(settings), tty)
    logger.debug("curated %d niche(s) in %.2f s", len(result.niches), time.monotonic() - started)
    return exit_code(result)


def exit_code(result: CurateResult) -> int:
    """0 when every niche was curated, 1 when one could not be, 2 for content errors (cli.py lists them)."""
    if result.content_errors:
        return 2
    return 0 if all(r.curated for r in result.niches) else 1
