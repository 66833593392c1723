"""The same content gives the same sitemap.xml.

pelican-sitemap (publishconf.py) dates a page with no date of its own (the home page,
archives, tags, newsletter hubs and issues) by the build's clock, so every build wrote a
different sitemap. Its fallback becomes the newest date in the content instead: what those
pages list changes only when something newer is published.
"""

from __future__ import annotations


def newest_date(generators):
    """The latest date or modified date of any article, page or published issue."""
    dates = []
    for generator in generators:
        for item in [*getattr(generator, "articles", []), *getattr(generator, "pages", [])]:
            dates += [d for d in (getattr(item, "date", None), getattr(item, "modified", None)) if d]
        for niche in getattr(generator, "niches", []):
            dates += [issue.date for issue in niche.issues]
    return max(dates, default=None)


def steady_lastmod(generators) -> None:
    """all_generators_finalized receiver: set the sitemap plugin's fallback date, when it is loaded."""
    try:
        from pelican.plugins.sitemap import sitemap
    except ImportError:
        return
    newest = newest_date(generators)
    if newest is not None and hasattr(sitemap, "generator"):
        sitemap.generator.now = newest
