"""Openhand's Pelican plugin: niches, newsletter issues, emails and the no-strings check.

Pelican loads it through PLUGIN_PATHS/PLUGINS; `register` wires module-level
receivers (blinker keeps them weakly, so they must not be closures).
"""

from pelican import signals

from . import settings as curator_settings
from .reader import add_reader


def initialized(pelican) -> None:
    curator_settings.configure(pelican.settings)
    # The curator reads its own folders; keep Pelican's article/page generators out.
    own = [pelican.settings[k] for k in ("NICHES_PATH", "LINKS_PATH", "NEWSLETTERS_PATH")]
    for key in ("ARTICLE_EXCLUDES", "PAGE_EXCLUDES"):
        current = list(pelican.settings.get(key, []))
        pelican.settings[key] = current + [p for p in own + ["sources"] if p not in current]


def register() -> None:
    signals.initialized.connect(initialized)
    signals.readers_init.connect(add_reader)
