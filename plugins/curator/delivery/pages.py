"""The list endpoint's pages and emails, in the site's own look: the theme's templates, rendered here.

theme/templates/list/*.html extend the site's base.html, so a page has the site's header, footer
and stylesheet; autoescape is on (an address or a niche title is text, never markup). The
stylesheet and icon are linked from SITEURL when it is absolute (the site's own host), and the
endpoint also serves them itself from the theme's static folder, for a site built with relative
URLs. Every response says so in its Content-Security-Policy: nothing loads from anywhere else.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, TemplateError, select_autoescape

from ..model.settings import SettingsError

FOLDER = "list"
STATIC = ("css/site.css", "img/favicon.svg")


@dataclass(frozen=True)
class Asset:
    data: bytes
    kind: str


class Pages:
    """The templates, loaded once; `render(name, **context)` gives the page's bytes."""

    def __init__(self, settings):
        theme = settings["THEME"]
        self.env = Environment(loader=FileSystemLoader(os.path.join(theme, "templates")),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.plain = self.env.overlay(autoescape=False)
        self.context = {key: value for key, value in settings.items() if key.isupper()}
        self.static_dir = self.context["THEME_STATIC_DIR"]
        self.assets = {f"/{self.static_dir}/{name}": _asset(os.path.join(theme, "static", name)) for name in STATIC}
        site = urlsplit(settings["SITEURL"])
        self.site_origin = f"{site.scheme}://{site.netloc}" if site.scheme in ("http", "https") else ""
        for name in ("_page.html", "check-inbox.html", "confirm.html", "confirmed.html", "unsubscribe.html",
                     "unsubscribed.html", "problem.html", "confirm-email.html", "confirm-email.txt"):
            try:  # a missing or broken template stops the start, not a reader's request
                self.env.get_template(f"{FOLDER}/{name}")
            except TemplateError as exc:
                raise SettingsError(f"{os.path.join(theme, 'templates', FOLDER, name)}: {exc.message or exc}; the list "
                                    "endpoint's pages live there (copy them from Openhand's theme)") from None

    def render(self, name: str, **context) -> bytes:
        return self.env.get_template(f"{FOLDER}/{name}").render({**self.context, **context}).encode("utf-8")

    def text(self, name: str, **context) -> str:
        """A plain-text template (the confirmation email's text part): rendered without escaping."""
        return self.plain.get_template(f"{FOLDER}/{name}").render({**self.context, **context})

    def security_headers(self) -> list[tuple[str, str]]:
        """Only this endpoint and the site itself: styles, the icon, and where a form may go."""
        origins = " ".join(o for o in ("'self'", self.site_origin) if o)
        return [("Content-Security-Policy", f"default-src 'none'; style-src {origins}; img-src {origins}; "
                                            f"form-action {origins}; base-uri 'none'; frame-ancestors 'none'"),
                ("Referrer-Policy", "no-referrer"), ("X-Content-Type-Options", "nosniff"),
                ("Cache-Control", "no-store")]


def _asset(path: str) -> Asset | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return Asset(data, mimetypes.guess_type(path)[0] or "application/octet-stream")
