"""Openhand's Pelican plugin: niches, newsletter issues, emails and the no-strings check.

Pelican loads it through PLUGIN_PATHS/PLUGINS; `register` wires module-level
receivers (blinker keeps them weakly, so they must not be closures). Nothing
imported here fetches: the build never touches the network; nor does anything
here import Pelican until `register` runs, so `openhand curate` starts quickly.
"""

import logging

from .model import settings as curator_settings


def initialized(pelican) -> None:
    from .build.templates import keep_compiled_templates

    curator_settings.configure(pelican.settings)
    keep_compiled_templates(pelican.settings)
    # The curator reads its own folders; keep Pelican's article/page generators out.
    own = [pelican.settings[k] for k in ("NICHES_PATH", "LINKS_PATH", "NEWSLETTERS_PATH")]
    for key in ("ARTICLE_EXCLUDES", "PAGE_EXCLUDES"):
        current = list(pelican.settings.get(key, []))
        pelican.settings[key] = current + [p for p in own + ["sources"] if p not in current]


def get_generators(pelican):
    from .build.generator import NewsletterGenerator

    return NewsletterGenerator


def finish_build(pelican) -> None:
    """After the build: the no-strings check on the built site and this build's emails (a violation
    fails the build, and only a passing check writes the emails to mail/), with the search index
    built alongside in Pagefind's own process (both only read the pages). A failed check waits for
    the index to be whole before the build stops (an interrupted one stops Pagefind); Pagefind
    failing to start still fails the build, after the check."""
    from .build.generator import staged
    from .build.nostrings import check_build
    from .build.search import BUNDLE_DIR, SearchIndexError, finish_index, start_index

    try:
        indexing, failed = start_index(pelican), None
    except SearchIndexError as exc:
        indexing, failed = None, exc
    try:
        check_build(pelican, staged(pelican.settings), skip=(BUNDLE_DIR,) if indexing else ())
    except Exception:
        if indexing is not None:
            indexing.wait()
        raise
    except BaseException:   # Ctrl-C: stop now
        if indexing is not None:
            indexing.stop()
        raise
    if failed is not None:
        raise failed
    if indexing is not None:
        finish_index(indexing)


class EditorErrorsWithoutTraceback(logging.Filter):
    """Pelican logs the exception that stopped a build with its traceback. A content error, a failed
    no-strings check or a wrong setting is the editor's to fix, and its message already says what,
    where and how (one line each): the traceback would only bury it."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .build.nostrings import NoStringsError
        from .model.documents import ContentError

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, (ContentError, NoStringsError, curator_settings.SettingsError)):
            record.exc_info, record.exc_text = None, None
        return True


def register() -> None:
    # Imported here, not above: `openhand curate` imports this package and never needs Pelican.
    from pelican import signals

    from .build.feeds import finish_feed
    from .build.reader import add_reader
    from .build.sitemap import steady_lastmod

    pelican_logger = logging.getLogger("pelican")
    if not any(isinstance(f, EditorErrorsWithoutTraceback) for f in pelican_logger.filters):
        pelican_logger.addFilter(EditorErrorsWithoutTraceback())
    signals.initialized.connect(initialized)
    signals.readers_init.connect(add_reader)
    signals.get_generators.connect(get_generators)
    signals.feed_generated.connect(finish_feed)
    signals.all_generators_finalized.connect(steady_lastmod)
    signals.finalized.connect(finish_build)
