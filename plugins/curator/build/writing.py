"""Files the build writes outside output/ (draft previews, emails), with the guards of Pelican's Writer.

Pelican's Writer confines every path to the output folder (`pelican.utils.sanitised_join`),
refuses to write one file twice in a build (`FileOverwriteFailedError`) and sends
`content_written` for each file. Previews (PREVIEW_PATH) and emails (MAIL_PATH) are not
in output/, so they cannot go through it; `GuardedFiles` gives them the same guards, and
`file_written` is their `content_written`, for other plugins:

    from curator.build.writing import file_written

    @file_written.connect
    def minify(path, kind, issue):
        ...   # path: absolute; kind: "preview", "preview-email" or "email"; issue: its views.IssueView

Sent once per file actually written (an email whose bytes did not change is not rewritten,
so not announced), after the file is in place.
"""

from __future__ import annotations

import os

from blinker import signal

from ..model.documents import write_atomic

file_written = signal("openhand.file_written")


class GuardedFiles:
    """Writes under one folder: every path confined to it, none written twice by one build."""

    def __init__(self, base: str):
        self.base = os.path.abspath(base)
        self._written: set[str] = set()

    def path(self, relative: str) -> str:
        """The absolute path of `relative` under the folder; a path that leaves it is refused."""
        from pelican.utils import sanitised_join

        path = sanitised_join(self.base, relative)
        # sanitised_join compares string prefixes, so /site/preview-old would pass for /site/preview.
        if os.path.commonpath([self.base, path]) != self.base:
            raise RuntimeError(f"Attempted to break out of {self.base} to {path}")
        return path

    def paths(self, relatives: dict[str, str]) -> dict[str, str]:
        return {key: self.path(rel) for key, rel in relatives.items()}

    def claim(self, relative: str) -> str:
        """The path, refused if this build already wrote it (two issues that would overwrite each other)."""
        from pelican.writers import FileOverwriteFailedError

        path = self.path(relative)
        if path in self._written:
            raise FileOverwriteFailedError(f'Failed to overwrite "{path}": this build has already written it')
        self._written.add(path)
        return path

    def write_text(self, relative: str, text: str, *, kind: str, issue=None) -> str:
        path = self.claim(relative)
        write_atomic(path, text)
        file_written.send(path, kind=kind, issue=issue)
        return path

    def replace_bytes(self, relative: str, data: bytes, *, kind: str, issue=None) -> bool:
        """Write the bytes only when they differ from the file's (emails.replace_if_changed); True if written."""
        from .emails import replace_if_changed

        path = self.claim(relative)
        changed = replace_if_changed(path, data)
        if changed:
            file_written.send(path, kind=kind, issue=issue)
        return changed
