"""The list endpoint: a small WSGI application for readers to join and leave by themselves.

    POST /subscribe            email, niche, and a honeypot: sends a confirmation, answers "check your inbox"
    GET  /confirm/TOKEN        a page with a Confirm button (link scanners fetch GETs: a GET changes nothing)
    POST /confirm/TOKEN        subscribed
    GET  /u/TOKEN              a page with an Unsubscribe button (changes nothing)
    POST /u/TOKEN              unsubscribed at once, 200 (RFC 8058 one-click: no redirect, cookie or login)

Paths are below LIST_ENDPOINT's own path, with or without it in PATH_INFO (a proxy may strip it).
Any WSGI server runs it: `openhand listen` uses waitress; for another server,
`curator.delivery.endpoint:application` reads the settings file OPENHAND_SETTINGS names (default
pelicanconf.py in the working folder), or `make_app(path)` is the factory. It refuses to start without
OPENHAND_LIST_SECRET, LIST_ENDPOINT and the relay's settings. It logs no address and no IP.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from ..model.documents import ContentError
from ..model.niches import load_niches
from ..model.settings import SettingsError, content_dir
from .confirmation import ConfirmationError, Confirmations
from .database import StateError
from .legacy import open_state
from .pages import Pages
from .ratelimit import ClientLimiter, client_address, trusted_networks
from .readers import Outcome, ask, confirm, housekeeping, leave, unask
from .relay import smtp_config
from .subscribers import address_key, check_address
from .tokens import CONFIRM, UNSUBSCRIBE, BadToken, Expired, signer

logger = logging.getLogger(__name__)

SETTINGS_ENV = "OPENHAND_SETTINGS"
MAX_BODY = 16 * 1024
HOUSEKEEPING_EVERY = 60.0
STATUS = {200: "200 OK", 400: "400 Bad Request", 404: "404 Not Found", 405: "405 Method Not Allowed",
          410: "410 Gone", 413: "413 Content Too Large", 429: "429 Too Many Requests",
          500: "500 Internal Server Error", 503: "503 Service Unavailable"}


@dataclass
class Reply:
    code: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    kind: str = "text/html; charset=utf-8"


class ListApp:
    """The WSGI callable. Built once: settings checked, database migrated, niches and templates loaded."""

    def __init__(self, settings, environ=os.environ):
        self.endpoint = settings.get("LIST_ENDPOINT")
        if not self.endpoint:
            raise SettingsError("LIST_ENDPOINT is not set: set it to the endpoint's public URL in the settings file, "
                                "e.g. LIST_ENDPOINT = 'https://list.example.com' (then run make publish, so the hubs "
                                "get their subscribe form)")
        self.settings = settings
        self.signer = signer(settings, environ)
        config = smtp_config(environ, settings["SEND_TIMEOUT"], settings["SEND_DEADLINE"])
        self.niches = load_niches(content_dir(settings, "NICHES_PATH"))
        self.db = open_state(settings, environ)
        self.pages = Pages(settings)
        self.mail = Confirmations(settings, self.pages, config, self.signer, self.endpoint)
        for niche in self.niches.values():
            self.mail.check(niche)
        self.limiter = ClientLimiter(settings["LIST_CLIENT_LIMIT"], settings["LIST_CLIENT_WINDOW"])
        self.trusted = trusted_networks(settings["LIST_TRUSTED_PROXIES"])
        self.prefix = urlsplit(self.endpoint).path.rstrip("/")
        self.site = settings["SITEURL"].rstrip("/")
        self.swept = 0.0

    def __call__(self, environ, start_response):
        try:
            reply = self.route(environ)
        except StateError as exc:
            logger.error("list endpoint: %s", exc)
            reply = self.problem(503, "Please try again in a minute", "The list is busy or unavailable just now; "
                                 "nothing was changed.")
        except Exception as exc:  # a bug: one line in the log, a plain page for the reader
            logger.error("list endpoint: %s: %s", type(exc).__name__, exc)
            reply = self.problem(500, "Something went wrong", "Nothing was changed. Please try again later.")
        headers = [("Content-Type", reply.kind), ("Content-Length", str(len(reply.body))),
                   *self.pages.security_headers(), *reply.headers]
        start_response(STATUS[reply.code], headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else reply.body]

    def route(self, environ) -> Reply:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO") or "/"
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            path = path[len(self.prefix):] or "/"
        asset = self.pages.assets.get(path)
        if asset is not None and method in ("GET", "HEAD"):
            return Reply(200, asset.data, [("Cache-Control", "public, max-age=3600")], asset.kind)
        for prefix, purpose in (("/confirm/", CONFIRM), ("/u/", UNSUBSCRIBE)):
            if path.startswith(prefix):
                return self.token_page(method, environ, prefix, path[len(prefix):], purpose)
        if path == "/subscribe":
            if method != "POST":
                return self.problem(405, "Use the form", "Subscribe with the form on the newsletter's page.",
                                    [("Allow", "POST")])
            return self.subscribe(environ)
        return self.problem(404, "Nothing here", "This address is not a page of the newsletter list.")

    # -- pages ------------------------------------------------------------------------------

    def hub(self, niche) -> str:
        return f"{self.site}/{self.settings['NICHE_URL'].format(slug=niche.slug)}" if niche else f"{self.site}/"

    def page(self, name: str, code: int = 200, niche=None, headers=(), **context) -> Reply:
        body = self.pages.render(f"{name}.html", niche=niche, hub_url=self.hub(niche), **context)
        return Reply(code, body, list(headers))

    def problem(self, code: int, heading: str, message: str, headers=(), niche=None) -> Reply:
        return self.page("problem", code, niche, headers, heading=heading, message=message)

    # -- actions ----------------------------------------------------------------------------

    def subscribe(self, environ) -> Reply:
        form = read_form(environ)
        if form is None:
            return self.problem(413, "Too much", "That request was too large; nothing was changed.")
        niche = self.niches.get(form.get("niche", ""))
        if niche is None:
            return self.problem(404, "No such newsletter", "That newsletter does not exist (any more).")
        if form.get("website"):  # the honeypot: a bot filled in the field people never see; the same answer
            logger.debug("list endpoint: a request with the honeypot filled in was dropped")
            return self.inbox_page(niche, form.get("email", "").strip()[:254])
        address, _, problem = check_address(form.get("email", ""))
        if problem or "<" in form.get("email", ""):
            return self.problem(400, "Please check the address", f"That does not look like an email address: it "
                                f"{problem or 'has a name around it'}. Go back and try again.", niche=niche)
        wait = self.limiter.allow(client_address(environ, self.trusted))
        if wait is not None:
            return self.problem(429, "Too many requests", f"Too many requests came from your network; please try "
                                f"again in {max(1, round(wait / 60))} minutes.", [("Retry-After", f"{wait:.0f}")],
                                niche)
        self.sweep()
        gate = self.signer.keyed(f"confirm:{niche.slug}:{address_key(address)}")
        if ask(self.db, niche.slug, address, gate, self.settings["LIST_CONFIRM_INTERVAL"] * 60) is Outcome.ASKED:
            try:
                self.mail.send(niche, address)
            except ConfirmationError as exc:
                unask(self.db, gate)
                logger.error("list endpoint: a confirmation for %s could not be sent: %s", niche.slug, exc)
                return self.problem(503, "Please try again in a few minutes", "We could not send the confirmation "
                                    "email just now; nothing was changed.", niche=niche)
        return self.inbox_page(niche, address)

    def inbox_page(self, niche, address: str) -> Reply:
        return self.page("check-inbox", 200, niche, address=address,
                         interval=f"{self.settings['LIST_CONFIRM_INTERVAL']:g}",
                         hours=f"{self.settings['LIST_CONFIRM_HOURS']:g}")

    def token_page(self, method: str, environ, prefix: str, token: str, purpose: str) -> Reply:
        if method not in ("GET", "HEAD", "POST"):
            return self.problem(405, "Not here", "Open the link, then press the button.", [("Allow", "GET, POST")])
        try:
            found = self.signer.verify(token, purpose)
        except Expired as exc:
            return self.problem(
                410,
                "This link has expired",
                f"Confirmation links work for "
                f"{self.settings['LIST_CONFIRM_HOURS']:g} hours. Subscribe again on the newsletter's "
                "page and use the new link; nothing was changed.",
                niche=self.niches.get(exc.token.niche),
            )
        except BadToken:
            return self.problem(
                400,
                "This link is not valid",
                "It may have been cut short or changed on the way; "
                "nothing was changed. Copy the whole link from the email, or use the newsletter's page.",
            )
        niche = self.niches.get(found.niche) or _Gone(found.niche)
        action = f"{self.endpoint}{prefix}{token}"  # the public URL: right behind any proxy
        if purpose == CONFIRM:
            if method != "POST":
                return self.page("confirm", 200, niche, address=found.address, action=action)
            if confirm(self.db, found.niche, found.address, found.issued) is Outcome.STALE:
                return self.problem(410, "This link is out of date", "This address left the newsletter after this "
                                    "link was sent, so the link no longer subscribes it; nothing was changed. To come "
                                    "back, subscribe again on the newsletter's page and use the new link.", niche=niche)
            return self.page("confirmed", 200, niche, address=found.address)
        if method != "POST":
            return self.page("unsubscribe", 200, niche, address=found.address, action=action)
        read_form(environ)  # RFC 8058's body (List-Unsubscribe=One-Click) is read; the POST itself is the request
        was = leave(self.db, found.niche, found.address, source="one-click")
        return self.page("unsubscribed", 200, niche, address=found.address,
                         was="subscribed" if was is Outcome.CHANGED else "not")

    def sweep(self) -> None:
        """Forget expired limits and never-confirmed addresses, at most once a minute per process."""
        moment = time.monotonic()
        if moment - self.swept >= HOUSEKEEPING_EVERY:
            self.swept = moment
            housekeeping(self.db, self.settings["LIST_CONFIRM_HOURS"] * 3600)


@dataclass(frozen=True)
class _Gone:
    """A niche named by a valid token whose file is gone: the pages still work, by its slug."""

    slug: str

    @property
    def title(self) -> str:
        return self.slug


def read_form(environ) -> dict[str, str] | None:
    """The urlencoded body's fields (first value each), {} for another body, None when it is over MAX_BODY."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    if "application/x-www-form-urlencoded" not in (environ.get("CONTENT_TYPE") or "").lower():
        return {}
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20)
    except ValueError:  # more fields than any form of ours has
        return {}
    return {key: values[0] for key, values in fields.items()}


def make_app(settings_path: str | None = None, environ=os.environ) -> ListApp:
    """The application from a settings file (OPENHAND_SETTINGS, else pelicanconf.py here)."""
    from ..model import settings as curator_settings

    path = settings_path or environ.get(SETTINGS_ENV) or "pelicanconf.py"
    if not os.path.isfile(path):
        raise SettingsError(f"{path}: no such settings file; set {SETTINGS_ENV} to the site's publishconf.py")
    return ListApp(curator_settings.load(path), environ)


application: ListApp  # `curator.delivery.endpoint:application`: made on first use, by __getattr__


def __getattr__(name: str):
    """`curator.delivery.endpoint:application` for any WSGI server: built when the server asks for it."""
    if name == "application":
        global application
        try:
            application = make_app()
        except (SettingsError, StateError, ContentError) as exc:  # one line in the server's log, not a traceback
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        return application
    raise AttributeError(name)
