"""PLACEHOLDER (owned by the newsletter-build work): puts `niches` into the shared context."""

from __future__ import annotations

from pelican.generators import Generator

from .niches import load_niches
from .settings import content_dir


class NicheView:
    def __init__(self, niche, settings):
        self.niche = niche
        self.slug, self.title, self.summary = niche.slug, niche.title, niche.summary
        self.url = settings["NICHE_URL"].format(slug=niche.slug)


class NewsletterGenerator(Generator):
    def generate_context(self):
        niches = load_niches(content_dir(self.settings, "NICHES_PATH"))
        self.context["niches"] = [NicheView(n, self.settings) for n in niches.values()]

    def generate_output(self, writer):
        pass
