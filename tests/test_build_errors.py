"""A build with editors' mistakes: every content error in one run, one line each, no traceback, nothing built.

Through a real `pelican` run (its output is what is under test), with and without
`--fatal errors` (`make html` runs without it), on a project holding many mistakes
at once: niche files, issue files, a hand-picked link file, an article and a page
Pelican's own reader would skip, and a symbolic link that would publish private files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support.newsletters import issue_text, newsletter_project, niche_text, write_niche
from support.project import PELICAN, WIDE, build, copy_project, openhand, write

# (file, key or None): each must be named on exactly one line of the build's output.
EXPECTED = [
    ("content/articles/untitled.md", "title"),
    ("content/downloads/lists", None),
    ("content/links/irs.md", "note"),
    ("content/newsletters/dental/2026-02-30.md", None),
    ("content/newsletters/dental/2026-03-02.md", "status"),
    ("content/newsletters/dental/notes.md", None),
    ("content/niches/cafes.md", "cadence"),
    ("content/niches/librairies-québec.md", None),
    ("content/pages/about.md", "date"),
]


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    project = newsletter_project(tmp_path_factory.mktemp("broken"), issues=1, drafts=0)
    write_niche(project, "cafes", title="Cafés", cadence="fortnightly")
    write(project / "content/niches/librairies-québec.md", niche_text("Librairies du Québec"))
    folder = project / "content/newsletters/dental"
    write(folder / "notes.md", issue_text(2, date=None))
    write(folder / "2026-02-30.md", issue_text(3))
    write(folder / "2026-03-02.md", issue_text(4, status="publish").replace("date: '2026-03-30'", "date: '2026-03-02'"))
    write(project / "content/links/irs.md", "---\nurl: https://www.irs.gov/x\ntitle: IRS\nniches: [dental]\n---\n")
    write(project / "content/articles/untitled.md", "---\ndate: 2026-01-02\n---\nNo title.\n")
    write(project / "content/pages/about.md", "---\ntitle: About\ndate: soon\n---\nHello.\n")
    write(project / "subscribers/dental.csv", "email,name,status\nreader@example.org,Reader,subscribed\n")
    (project / "content/downloads").mkdir(parents=True)
    os.symlink("../../subscribers", project / "content/downloads/lists")
    return project


@pytest.mark.parametrize("options", [("--fatal", "errors"), ()], ids=["fatal-errors", "make-html"])
def test_every_content_error_is_reported_in_one_run_one_line_each_and_nothing_is_built(broken, tmp_path, options):
    project = tmp_path / "p"
    shutil.copytree(broken, project, symlinks=True)
    proc = subprocess.run([str(PELICAN), "content", "-o", "output", "-s", "pelicanconf.py", *options], cwd=project,
                          capture_output=True, text=True, env={**os.environ, **WIDE}, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "Traceback" not in out and "Could not process" not in out, out
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    assert re.search(r"CRITICAL +ContentErrors: 9 content errors", lines[0]), lines[0]
    for path, key in EXPECTED:
        (line,) = [line for line in lines if f"{path}:" in line]
        assert "(fix: " in line, line
        if key:
            assert f"{path}: {key}: " in line, line
    assert len(lines) == 1 + len(EXPECTED), "\n".join(lines)  # nothing else printed
    assert not (project / "mail").exists()
    assert not [p for p in project.joinpath("output").rglob("*") if p.is_file()]


def test_curate_reports_a_bad_slug_as_the_build_does(broken, tmp_path):
    project = copy_project(tmp_path, content=False)
    write_niche(project)
    write(project / "content/niches/librairies-québec.md", niche_text("Librairies du Québec"))
    write(project / "content/niches/my niche.md", niche_text("My niche"))
    proc = openhand(project, "curate", "--offline", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 2 and all(line.startswith("error: ") and "a-z, 0-9 and hyphens" in line for line in lines)
    assert "rename the file to librairies-quebec.md" in lines[0] and "rename the file to my-niche.md" in lines[1]


def test_a_symlink_to_the_subscriber_lists_fails_the_build_and_publishes_nothing(tmp_path):
    """`ln -s ../../subscribers content/downloads/lists` used to publish every subscriber list."""
    project = newsletter_project(tmp_path, issues=1, drafts=0)
    write(project / "subscribers/dental.csv", "email,name,status\nreader@example.org,Reader,subscribed\n")
    write(project / "content/downloads/guide.txt", "A checklist.\n")
    os.symlink("guide.txt", project / "content/downloads/latest.txt")  # within content/: fine
    os.symlink("../../subscribers", project / "content/downloads/lists")
    proc = build(project, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out
    (line,) = [line for line in out.splitlines() if "ContentError" in line]
    assert "content/downloads/lists: is a symbolic link to" in line and "subscribers" in line and "fix:" in line
    assert "latest.txt" not in out
    output = project / "output"
    assert not (output / "downloads/lists").exists()
    for path in output.rglob("*") if output.exists() else ():
        assert path.is_dir() or b"reader@example.org" not in path.read_bytes(), path


def test_a_symlink_loop_under_content_does_not_hang_the_build(tmp_path):
    project = newsletter_project(tmp_path, issues=1, drafts=0)
    (project / "content/downloads/a").mkdir(parents=True)
    os.symlink("../b", project / "content/downloads/a/b")
    os.symlink("a", project / "content/downloads/b")
    proc = build(project, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # both point inside content/
