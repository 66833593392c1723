"""The one front-matter format for articles and pages: YAML, read by python-frontmatter.

Replaces Pelican's Markdown reader so that articles, pages, niches, links and
issues are all written the same way and all fail the same way.
"""

from __future__ import annotations

import datetime as dt
import logging

from markdown import Markdown
from pelican.readers import MarkdownReader

from .documents import load

logger = logging.getLogger(__name__)

_LIST_AS_TEXT = {"tags", "authors", "keywords"}


class YAMLMarkdownReader(MarkdownReader):
    """Markdown with YAML front matter; a file without it is an error, not a guess."""

    def read(self, source_path):
        self._source_path = source_path
        post = load(source_path)  # ContentError names the file and the key
        md_settings = dict(self.settings["MARKDOWN"])
        md_settings["extensions"] = [e for e in md_settings.get("extensions", []) if e != "markdown.extensions.meta"]
        self._md = Markdown(**md_settings)
        content = self._md.convert(post.content)
        metadata = {}
        for name, value in post.metadata.items():
            name = str(name).lower()
            if isinstance(value, (dt.date, dt.datetime)):
                value = value.isoformat()
            if name in _LIST_AS_TEXT and isinstance(value, (list, tuple)):
                value = ", ".join(str(v) for v in value)
            if name in self.settings["FORMATTED_FIELDS"] and isinstance(value, str):
                self._md.reset()
                value = self._md.convert(value)
            metadata[name] = self.process_metadata(name, value) if isinstance(value, str) else value
        return content, metadata


def add_reader(readers) -> None:
    for ext in YAMLMarkdownReader.file_extensions:
        readers.reader_classes[ext] = YAMLMarkdownReader
