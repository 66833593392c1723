"""Previews and emails are written outside output/, with the guards of Pelican's Writer, and announced.

A preview or email path must stay inside its folder, one build must never write a file twice
(two issues silently overwriting each other), and another plugin hears of every file by
`curator.build.writing.file_written`, as Pelican's `content_written` tells it of output/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pelican.writers import FileOverwriteFailedError

from curator.build.writing import GuardedFiles, file_written
from support.newsletters import newsletter_project
from support.project import build_in_process


def test_a_path_that_leaves_its_folder_is_refused(tmp_path):
    files = GuardedFiles(str(tmp_path / "preview"))
    assert files.path("mail/dental/3.html") == str(tmp_path / "preview" / "mail" / "dental" / "3.html")
    for escape in ("../outside.html", "../../etc/passwd", "../preview-old/x.html", "/etc/passwd"):
        with pytest.raises(RuntimeError, match="break out"):
            files.write_text(escape, "x", kind="preview")
    assert not (tmp_path / "outside.html").exists() and not (tmp_path / "preview-old").exists()


def test_one_build_never_writes_a_file_twice(tmp_path):
    files = GuardedFiles(str(tmp_path))
    files.write_text("newsletters/dental/1/index.html", "first", kind="preview")
    with pytest.raises(FileOverwriteFailedError, match="already written"):
        files.write_text("newsletters/dental/./1/index.html", "second", kind="preview")
    with pytest.raises(FileOverwriteFailedError):
        files.replace_bytes("newsletters/dental/1/index.html", b"second", kind="email")
    assert (tmp_path / "newsletters" / "dental" / "1" / "index.html").read_text() == "first"


def _build(project: Path, monkeypatch) -> list[tuple[str, str]]:
    """One in-process build of the project; (kind, path relative to the project) of every announcement."""
    heard: list[tuple[str, str]] = []

    def receiver(path, kind, issue):
        assert os.path.isfile(path) and issue is not None
        heard.append((kind, os.path.relpath(path, project)))

    with file_written.connected_to(receiver):
        build_in_process(project, monkeypatch)
    return heard


def test_every_preview_and_email_is_announced_once_written(tmp_path, monkeypatch):
    project = newsletter_project(tmp_path, issues=2, drafts=1)
    heard = _build(project, monkeypatch)
    on_disk = sorted(
        str(p.relative_to(project))
        for folder in ("preview", "mail")
        for p in (project / folder).rglob("*")
        if p.is_file() and p.suffix in (".html", ".txt", ".eml")
    )
    assert sorted(path for _, path in heard) == on_disk and len(set(heard)) == len(heard)
    kinds = {kind: sorted(p for k, p in heard if k == kind) for kind, _ in heard}
    assert kinds["email"] == [f"mail/dental/{n}.{ext}" for n in (1, 2) for ext in ("eml", "html", "txt")]
    assert kinds["preview-email"] == ["preview/mail/dental/3.html", "preview/mail/dental/3.txt"]
    assert len(kinds["preview"]) == 1 and kinds["preview"][0].startswith("preview/")

    # Built again unchanged: the previews are written (and announced) again, the emails are not rewritten.
    again = _build(project, monkeypatch)
    assert {kind for kind, _ in again} == {"preview", "preview-email"}
