"""The no-strings check on the editor's own words: what curation cleans out of every feed, an
editor can still type (or paste) into an issue or a niche file.

Rules, reported by nostrings.py like its own (`file:line: severity: [rule] detail`):

* unsafe-markup: a <script> or <style>, a frame, <object>/<embed>, a form or form control, an
  on*= event handler, or a javascript:/vbscript:/data: URL in a Markdown field: an issue's
  intro, a link's note or the letter (the body), and a niche's hub text. Pages, feeds and emails
  never carry it (markup.py cleans it out), but the build fails, so the editor learns their
  words changed instead of finding out from a reader. In a draft it is a warning.
* no-links: a published issue with no links (an error; a draft may be empty).
* missing-note: a published issue's link with no note on why it helps: a warning, an error with
  NO_STRINGS_STRICT (the README promises a line on why each link helps).

Pure: each function takes the parsed file, its text (for line numbers) and a markup renderer.
"""

from __future__ import annotations

import re

ERROR, WARNING = "error", "warning"
# (line, rule, detail, severity)
Found = tuple[int, str, str, str]


def issue_findings(issue, text: str, render, strict: bool) -> list[Found]:
    """What is wrong with the editor's words in one issue file."""
    draft = not issue.published
    found: list[Found] = []
    fields = [("intro", issue.intro, _key(text, "intro"))]
    for i, link in enumerate(issue.links):
        fields.append((f"links[{i}].note", link.note, _key(text, "note", _offset(text, link.url))))
    fields.append(("body (the letter)", issue.body, _body(text)))
    for key, value, start in fields:
        for description, needle in render(value).unsafe:
            found.append(
                (
                    _line(text, _find(text, needle, start)),
                    "unsafe-markup",
                    f"{key}: {description} would run in readers' browsers and mail apps; the page, feed and "
                    f"email leave it out: remove it (links must be http(s) or mailto:)" + (" (draft)" if draft else ""),
                    WARNING if draft else ERROR,
                )
            )
    if not draft:
        if not issue.links:
            found.append((_line(text, _key(text, "links")), "no-links",
                          "a published issue with no links: add the links, each with a note on why it helps, "
                          "or set status: draft", ERROR))
        for i, link in enumerate(issue.links):
            if not link.note.strip():
                found.append((_line(text, _offset(text, link.url)), "missing-note",
                              f"links[{i}] ({link.url}) has no note: add note: with a sentence on why it helps "
                              "the reader", ERROR if strict else WARNING))
    return found


def niche_findings(niche, text: str, render) -> list[Found]:
    """Active markup in a niche's hub text (its body): the hub page is always published."""
    start = _body(text)
    return [(_line(text, _find(text, needle, start)), "unsafe-markup",
             f"hub text: {description} would run in readers' browsers; the page leaves it out: remove it", ERROR)
            for description, needle in render(niche.body).unsafe]


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, max(offset, 0)) + 1


def _offset(text: str, needle: str, start: int = 0) -> int:
    at = text.find(needle, start) if needle else -1
    return at if at >= 0 else 0


def _find(text: str, needle: str, start: int) -> int:
    """Where `needle` first appears (any case) from `start`; `start` if it does not."""
    at = text.lower().find(needle.lower(), start)
    return at if at >= 0 else start


def _key(text: str, key: str, start: int = 0) -> int:
    match = re.compile(rf"^\s*(?:-\s+)?{key}\s*:", re.M).search(text, start)
    return match.start() if match else start


def _body(text: str) -> int:
    """Where the body starts: after the front matter's closing '---' line."""
    match = re.compile(r"^---\s*$", re.M)
    first = match.search(text)
    second = match.search(text, first.end()) if first else None
    return second.end() + 1 if second else 0
