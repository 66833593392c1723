"""Editors' mistakes end to end: `openhand curate` and the build stop with one clear error, writing nothing.

tests/test_content_errors.py checks each loader's message; here the real commands
run on a copy of the demo with one mistake each, and what a user sees is checked:
a non-zero exit, ONE error naming the file, the key and the fix, no draft or cache
written by curation, and the previous build's output left exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from support.project import build, copy_project, openhand, write

DATE = dt.date(2026, 12, 28)   # a month after the demo issues: every niche is due a draft
DENTAL = "content/niches/dental.md"
ISSUE = "content/newsletters/dental/2026-11-22.md"
PICK = "content/links/irs-recordkeeping.md"


def edit(path: str, old: str, new: str):
    def apply(project: Path) -> None:
        target = project / path
        text = target.read_text(encoding="utf-8")
        assert old in text, (path, old)
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return apply


def add(path: str, source: str, changes: tuple[tuple[str, str], ...]):
    def apply(project: Path) -> None:
        text = (project / source).read_text(encoding="utf-8")
        for old, new in changes:
            assert old in text, (source, old)
            text = text.replace(old, new, 1)
        write(project / path, text)
    return apply


# (id, change, file the error must name, key it must name, words of the fix)
MISTAKES = [
    ("front-matter-not-yaml", edit(DENTAL, "cadence: monthly", "cadence: [monthly"), DENTAL, None, "YAML"),
    ("wrong-key-type", edit(DENTAL, "max_links: 7", "max_links: seven"), DENTAL, "max_links", "max_links: 7"),
    ("unknown-cadence", edit(DENTAL, "cadence: monthly", "cadence: fortnightly"), DENTAL, "cadence", "monthly"),
    (
        "feed-url-not-a-url",
        edit(DENTAL, "url: ../sources/practice-ops-rdf.xml", "url: 'htp:/bad feed'"),
        DENTAL,
        "feeds",
        "https://",
    ),
    (
        "issue-for-a-missing-niche",
        add("content/newsletters/ghost/2026-11-22.md", ISSUE, (("niche: dental", "niche: ghost"),)),
        "content/newsletters/ghost/2026-11-22.md",
        "niche",
        "dental",
    ),
    (
        "two-issues-same-number",
        add("content/newsletters/dental/2026-10-20.md", ISSUE, (("date: 2026-11-22", "date: 2026-10-20"),)),
        "content/newsletters/dental/2026-",
        "number",
        "own number",
    ),
    ("pick-without-a-note", edit(PICK, "note:", "old_note_removed:"), PICK, "note", "note:"),
    # The file name is the slug: URLs, folders, Message-ID and List-Id carry it as it is.
    (
        "niche-slug-not-ascii",
        add("content/niches/librairies-québec.md", DENTAL, ()),
        "content/niches/librairies-québec.md",
        None,
        "librairies-quebec.md",
    ),
    (
        "niche-slug-with-a-space",
        add("content/niches/my niche.md", DENTAL, ()),
        "content/niches/my niche.md",
        None,
        "my-niche.md",
    ),
    (
        "issue-file-not-named-by-date",
        add(
            "content/newsletters/dental/2026-12-1.md",
            ISSUE,
            (("date: 2026-11-22", "date: 2026-12-01"), ("number: 1", "number: 2")),
        ),
        "content/newsletters/dental/2026-12-1.md",
        None,
        "2026-12-01.md",
    ),
]


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """The demo, copied and built once: every mistake starts from this state."""
    project = copy_project(tmp_path_factory.mktemp("good"))
    with open(project / "pelicanconf.py", "a", encoding="utf-8") as handle:
        handle.write("\nSEARCH_INDEX = False\n")
    build(project)
    return project


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lower().startswith(("error", "critical"))
            or "ContentError" in line]


def curate_with(good: Path, tmp_path: Path, change) -> tuple[Path, dict[str, bytes], object]:
    """A copy of the good demo (no cache) with one mistake, its content before, and curate's run."""
    project = tmp_path / "p"
    shutil.copytree(good, project)
    shutil.rmtree(project / "cache", ignore_errors=True)
    change(project)
    content = snapshot(project / "content")
    return project, content, openhand(project, "curate", "--offline", "--date", DATE.isoformat(), check=False)


# A bad hand-picked link file stops only itself (test_a_bad_pick_...): the rest is curated.
PICK_MISTAKES = [m for m in MISTAKES if m[0] == "pick-without-a-note"]
CURATE_MISTAKES = [m for m in MISTAKES if m not in PICK_MISTAKES]


@pytest.mark.parametrize(("change", "path", "key", "fix"), [m[1:] for m in CURATE_MISTAKES],
                         ids=[m[0] for m in CURATE_MISTAKES])
def test_curate_stops_with_one_clear_error_and_writes_nothing(good, tmp_path, change, path, key, fix):
    project, content, proc = curate_with(good, tmp_path, change)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = [line for line in proc.stderr.splitlines() if line.strip()]
    assert line.startswith("error: ") and path in line and "fix" in line and fix in line, line
    assert key is None or f": {key}" in line, line
    assert "Traceback" not in proc.stderr
    assert snapshot(project / "content") == content          # no draft, nothing rewritten
    assert not (project / "cache").exists() or not any((project / "cache").rglob("*.json"))


@pytest.mark.parametrize(("change", "path", "key", "fix"), [m[1:] for m in PICK_MISTAKES],
                         ids=[m[0] for m in PICK_MISTAKES])
def test_a_bad_pick_is_one_error_and_every_niche_is_still_curated(good, tmp_path, change, path, key, fix):
    _, _, proc = curate_with(good, tmp_path, change)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = error_lines(proc.stderr)
    assert path in line and f": {key}" in line and "fix" in line and fix in line, line
    assert "Traceback" not in proc.stderr
    for niche in ("dental", "nonprofits", "restaurants"):
        assert f"wrote content/newsletters/{niche}/{DATE.isoformat()}.md" in proc.stdout, proc.stdout


# Hand-picked links are curation's input only; the build never reads them.
BUILD_MISTAKES = [m for m in MISTAKES if m[0] != "pick-without-a-note"]


@pytest.mark.parametrize(("change", "path", "key", "fix"), [m[1:] for m in BUILD_MISTAKES],
                         ids=[m[0] for m in BUILD_MISTAKES])
def test_the_build_stops_with_a_clear_error_and_leaves_the_last_output_as_it_was(
    good, tmp_path, change, path, key, fix
):
    project = tmp_path / "p"
    shutil.copytree(good, project)
    change(project)
    before = snapshot(project / "output"), snapshot(project / "mail")
    proc = build(project, check=False, env={"COLUMNS": "1000"})  # one log record per line, unwrapped
    assert proc.returncode != 0, proc.stdout[-2000:]
    (line,) = [line for line in (proc.stdout + proc.stderr).splitlines() if "CRITICAL" in line or "ERROR" in line]
    assert "ContentError" in line and path in line and "fix" in line and fix in line, line
    assert key is None or f": {key}" in line, line
    assert (snapshot(project / "output"), snapshot(project / "mail")) == before
