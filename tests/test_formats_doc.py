"""docs/formats.md documents every key the niche, hand-picked link and issue loaders read."""

from __future__ import annotations

import dataclasses
import re

from curator.model import issues, niches, picks
from support.project import ROOT

DOC = ROOT / "docs" / "formats.md"


def documented() -> dict[str, set[str]]:
    """The keys in the first column of each table, by the heading above the table."""
    tables: dict[str, set[str]] = {}
    heading = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("| `"):
            tables.setdefault(heading, set()).add(re.match(r"\| `([^`]+)`", line).group(1))
    return tables


def fields(record, *leave_out: str) -> set[str]:
    """The keys a loader fills a dataclass from: its fields, minus what it derives itself."""
    return {f.name.rstrip("_") for f in dataclasses.fields(record)} - set(leave_out)


def test_every_key_the_loaders_know_is_documented():
    doc = documented()
    assert doc["Niche file"] == set(niches.KNOWN_KEYS)
    assert doc["A section (`sections:` entry)"] == fields(niches.Section)
    assert doc["A feed (`feeds:` entry)"] == fields(niches.FeedSource, "location")
    assert doc["The email settings (`email:`)"] == fields(niches.EmailSettings)
    assert doc["Hand-picked link file"] == fields(picks.Pick, "path", "body")
    assert doc["Issue file"] == fields(issues.IssueFile, "path", "body")
    assert doc["A link (`links:` entry)"] == set(issues.LINK_KEYS) == fields(issues.IssueLink)


def test_cadences_statuses_and_defaults_are_the_loaders_own():
    text = DOC.read_text(encoding="utf-8")
    cadence = next(line for line in text.splitlines() if line.startswith("| `cadence`"))
    for name, days in niches.CADENCES.items():
        assert re.search(rf"`{name}` {days}\b", cadence), (name, days)  # "`weekly` 7 days"
    status = next(line for line in text.splitlines() if line.startswith("| `status`"))
    assert all(f"`{s}`" in status for s in issues.STATUSES)


def test_the_readme_links_the_formats_page():
    assert "docs/formats.md" in (ROOT / "README.md").read_text(encoding="utf-8")
