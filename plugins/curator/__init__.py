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


def no_strings_check(pelican) -> None:
    """The no-strings check on the built site and this build's emails: a violation fails the build,
    and only a passing check writes the emails to mail/."""
    from .build.generator import staged
    from .build.nostrings import check_build

    check_build(pelican, staged(pelican.settings))


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


def index_for_search(pelican) -> None:
    """Pagefind indexes the finished site, offline."""
    from .build.search import index_site

    index_site(pelican)


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
    signals.finalized.connect(no_strings_check)
    signals.finalized.connect(index_for_search)
