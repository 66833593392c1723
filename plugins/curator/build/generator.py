"""The Pelican generator for newsletters: niche hubs, issue pages, per-niche feeds, previews, emails.

Reads content/niches/ and content/newsletters/ (views.read_newsletters), so an
editor's mistakes stop the build with each file and key named. Published issues
become pages and feed items under output/ and emails under mail/; drafts are
rendered only into PREVIEW_PATH (outside output/, so never linked, searched or
fed), and not at all when PREVIEW_PATH is None (publishconf.py).

Like Pelican's ArticlesGenerator, `generate_output` is a list of small steps: the
index, the niche hubs and issue pages (through Pelican's Writer), the niche feeds,
the draft previews and the emails. Previews and emails live outside output/, so they
are written through `writing.GuardedFiles` (the Writer's guards: the path confined to
its folder, no file written twice) and each announced by `writing.file_written`.

Niche feeds (feeds.py) are on in local builds too (pelicanconf.py), unlike Pelican's site
feeds: the niche pages offer them as a way to subscribe, so they must exist
wherever the pages do. Set NICHE_FEED_ATOM / NICHE_FEED_RSS = None to drop one.

Pelican's Jinja autoescape is off; the templates under newsletters/ and email/
(but not the plain-text email) are compiled with autoescape on, so every
string from an issue file is escaped unless it is explicitly Markup.

Emails are rendered in generate_output but written to mail/ only once the no-strings
check has passed (`staged`, used at `finalized`).
"""

from __future__ import annotations

import logging
import os
import posixpath
import weakref
from dataclasses import dataclass

from pelican.generators import Generator

from ..model.issues import IssueFile
from ..model.niches import Niche
from ..model.settings import project_dir
from .feeds import write_niche_feeds
from .views import IssueView, NicheView, read_newsletters
from .writing import GuardedFiles

logger = logging.getLogger(__name__)

NICHE_TEMPLATE = "niche"  # its name in PAGINATED_TEMPLATES


def autoescape_for(name: str | None) -> bool:
    """Autoescape the curator's own HTML templates; leave the theme's and plain text as Pelican has them."""
    if not name:
        return False
    return name.startswith(("newsletters/", "email/")) and not name.endswith(".txt")


class NewsletterGenerator(Generator):
    """Niches and issues in, newsletter pages, niche feeds, previews and emails out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.html_env = self.env.overlay(autoescape=autoescape_for)
        self.niches: list[NicheView] = []
        self.files: tuple[list[Niche], list[IssueFile]] = ([], [])
        self.staged: Staged | None = None

    def template(self, name: str):
        return self.html_env.get_template(name)

    def generate_context(self):
        """Every content error in content/ stops the build here (read_newsletters), before any output."""
        self.niches, niches, issues = read_newsletters(self.settings, self.context.get("generated_content", {}))
        self.files = (niches, issues)
        paginated = self.settings["PAGINATED_TEMPLATES"]
        paginated.setdefault(NICHE_TEMPLATE, self.settings["NICHE_PAGINATION"])
        self.context["niches"] = self.niches
        self.context["newsletters_url"] = self.settings["NEWSLETTERS_URL"]

    def generate_output(self, writer):
        from .emails import EmailRenderer

        self.generate_index(writer)
        self.generate_niche_pages(writer)
        self.generate_feeds(writer)
        renderer = EmailRenderer(self.html_env, self.settings)
        self.generate_previews(renderer)
        self.generate_emails(renderer)

    def _write(self, writer, save_as: str, template: str, **context) -> None:
        writer.write_file(save_as, self.template(template), self.context,
                          relative_urls=self.settings["RELATIVE_URLS"], page_name="newsletters", **context)

    def generate_index(self, writer) -> None:
        """newsletters/: every niche."""
        self._write(writer, self.settings["NEWSLETTERS_SAVE_AS"], "newsletters/index.html", niches=self.niches,
                    url=self.settings["NEWSLETTERS_URL"])

    def generate_niche_pages(self, writer) -> None:
        """Each niche's hub (paginated) and its published issues' pages."""
        for niche in self.niches:
            self._write(writer, niche.save_as, "newsletters/niche.html", paginated={"issues": niche.issues},
                        template_name=NICHE_TEMPLATE, url=niche.url, niche=niche, issues=niche.issues)
            for issue in niche.issues:
                self._write(writer, issue.save_as, "newsletters/issue.html", niche=niche, issue=issue, url=issue.url)

    def generate_feeds(self, writer) -> None:
        """Each niche's Atom and RSS feeds; an item's body is the issue as feed_item.html renders it."""
        item_template = self.template("newsletters/feed_item.html")
        for niche in self.niches:
            for issue in niche.issues:
                issue.content_html = item_template.render(issue=issue, niche=niche)
            write_niche_feeds(writer, self.context, niche)

    def generate_previews(self, renderer) -> None:
        """Drafts and their emails, rendered outside output/ and mail/ so nothing links, feeds, indexes
        or sends them; `openhand serve` (make serve) shows them at /preview/."""
        preview = project_dir(self.settings, "PREVIEW_PATH")
        if not preview:
            return
        files = GuardedFiles(preview)
        for niche in self.niches:
            for issue in niche.issues:  # published since: its old preview goes
                for stale in (files.path(issue.save_as), *files.paths(preview_email(issue)).values()):
                    if os.path.isfile(stale):
                        os.unlink(stale)
        written = [
            self._write_preview(files, renderer, niche, issue) for niche in self.niches for issue in niche.drafts
        ]
        if written:
            from pelican.log import console  # where Pelican prints its own "Done:" line

            site = f"http://{self.settings['BIND'] or '127.0.0.1'}:{self.settings['PORT']}"
            console.print(f"Draft previews (not published): {len(written)} in {preview}; `make serve` shows them at")
            for target in written:
                console.print(f"  {site}/preview/{os.path.relpath(target, preview).replace(os.sep, '/')}")

    def _write_preview(self, files: GuardedFiles, renderer, niche: NicheView, issue: IssueView) -> str:
        """One draft's page and email in PREVIEW_PATH; returns the page's path."""
        target = files.path(issue.save_as)
        siteurl = self.context["SITEURL"]
        if not siteurl:  # point theme assets at the built site next door
            siteurl = posixpath.normpath(os.path.relpath(self.output_path, os.path.dirname(target)))
        mail = files.paths(preview_email(issue))
        rendered = renderer.render(issue)
        files.write_text(preview_email(issue)["html"], rendered.html, kind="preview-email", issue=issue)
        files.write_text(preview_email(issue)["txt"], rendered.text, kind="preview-email", issue=issue)
        email_links = {kind: os.path.relpath(path, os.path.dirname(target)) for kind, path in mail.items()}
        source = os.path.relpath(issue.path, os.path.dirname(self.settings["PATH"]))  # content/...
        context = {**self.context, "SITEURL": siteurl, "niche": niche, "issue": issue, "source": source,
                   "preview": True, "preview_email": email_links, "output_file": issue.save_as,
                   "page_name": "newsletters"}
        files.write_text(issue.save_as, self.template("newsletters/issue.html").render(context), kind="preview",
                         issue=issue)
        return target

    def generate_emails(self, renderer) -> None:
        """Every published issue's email, rendered now and written to mail/ only when the no-strings
        check passes (nostrings.check_build, at `finalized`)."""
        from .emails import MailBatch

        published = {niche.slug: {issue.number for issue in niche.issues} for niche in self.niches}
        mail = MailBatch(self.settings, project_dir(self.settings, "MAIL_PATH"), published)
        for niche in self.niches:
            for issue in niche.issues:
                mail.add(issue, renderer.render(issue))
        self.staged = Staged(self.settings, mail, *self.files)
        _STAGED[id(self.settings)] = self.staged


def preview_email(issue: IssueView) -> dict[str, str]:
    """Where a draft's email goes inside PREVIEW_PATH: mail/<slug>/<number>.html and .txt, as in mail/."""
    stem = posixpath.join("mail", issue.niche.slug, str(issue.number))
    return {"html": stem + ".html", "txt": stem + ".txt"}
@dataclass(eq=False)
class Staged:
    """What one build hands the `finalized` no-strings check: the files it read and its emails
    (emails.MailBatch), rendered but not yet written to mail/."""

    settings: dict
    mail: object
    niches: list[Niche]
    issues: list[IssueFile]


# Each build's Staged, from generate_output to `finalized`, by its settings dict (the one object
# Pelican hands both the generator and the signal); weak: the generator owns it.
_STAGED: weakref.WeakValueDictionary[int, Staged] = weakref.WeakValueDictionary()


def staged(settings) -> Staged | None:
    """This build's Staged (once: the check takes it), or None when no newsletter output was made."""
    found = _STAGED.pop(id(settings), None)
    return found if found is not None and found.settings is settings else None
