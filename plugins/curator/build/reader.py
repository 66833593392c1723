"""The one front-matter format for articles and pages: YAML, read by python-frontmatter.

Replaces Pelican's Markdown reader so that articles, pages, niches, links and
issues are all written the same way and all fail the same way: a ContentError naming
the file, the key and the fix. Pelican itself logs a failed read as "Could not process
<file>" with no reason; `quiet_content_errors` drops that line for a ContentError, and
the newsletter generator reports the reason with every other content error.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from typing import Any

from markdown import Markdown
from pelican.readers import MarkdownReader

from ..model.documents import ContentError, gather, load, raise_all

logger = logging.getLogger(__name__)

_LIST_AS_TEXT = {"tags", "authors", "keywords"}
STATUSES = ("published", "draft", "hidden", "skip")  # what Pelican's Article and Page accept


class YAMLMarkdownReader(MarkdownReader):
    """Markdown with YAML front matter; a file without it is an error, not a guess."""

    def read(self, source_path):
        post = load(source_path)  # ContentError names the file and the key
        md_settings = dict(self.settings["MARKDOWN"])
        md_settings["extensions"] = [e for e in md_settings.get("extensions", []) if e != "markdown.extensions.meta"]
        self._md = Markdown(**md_settings)
        content = self._md.convert(post.content)
        metadata: dict[str, Any] = {}
        errors: list[ContentError] = []
        for name, value in post.metadata.items():
            name = str(name).lower()
            if isinstance(value, (dt.date, dt.datetime)):
                value = value.isoformat()
            if name in _LIST_AS_TEXT and isinstance(value, (list, tuple)):
                value = ", ".join(str(v) for v in value)
            if name in self.settings["FORMATTED_FIELDS"] and isinstance(value, str):
                self._md.reset()
                value = self._md.convert(value)
            metadata[name] = (
                gather(errors, self._process, source_path, name, value) if isinstance(value, str) else value
            )
        gather(errors, _check, source_path, post.metadata)
        raise_all(errors)  # every wrong key of the file at once
        return content, metadata

    def _process(self, path: str, name: str, value: str):
        try:
            return self.process_metadata(name, value)
        except (ValueError, TypeError, OverflowError) as exc:
            example = {"date": "2026-11-02", "modified": "2026-11-02 14:30"}.get(name, "...")
            raise ContentError(path, f"{value!r} cannot be read ({exc})", key=name,
                               fix=f"write e.g. {name}: {example}") from None


def _check(path: str, meta: dict) -> None:
    """What Pelican would otherwise skip the file for with a line of its own (or no reason at all)."""
    errors = []
    status = str(meta.get("status") or "published").strip().lower()
    if status not in STATUSES:
        errors.append(ContentError(path, f"must be one of {', '.join(STATUSES)}, not {meta.get('status')!r}",
                                   key="status", fix="write e.g. status: published"))
    if status != "skip" and not str(meta.get("title") or "").strip():
        errors.append(ContentError(path, "is missing: every article and page needs one", key="title",
                                   fix="write e.g. title: A plain guide to month-end"))
    raise_all(errors)


class ContentErrorFilter(logging.Filter):
    """Drops Pelican's "Could not process <file>" when the reason is a ContentError: the generator
    reports that error, with the others, as one line naming the file, key and fix. (Pelican logs the
    line inside its except block, so the exception is the one being handled.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (str(record.msg).startswith("Could not process") and isinstance(sys.exc_info()[1], ContentError))


def add_reader(readers) -> None:
    for ext in YAMLMarkdownReader.file_extensions:
        readers.reader_classes[ext] = YAMLMarkdownReader
    generators_logger = logging.getLogger("pelican.generators")
    if not any(isinstance(f, ContentErrorFilter) for f in generators_logger.filters):
        generators_logger.addFilter(ContentErrorFilter())
