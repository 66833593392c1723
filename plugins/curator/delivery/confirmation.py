"""The confirmation email of double opt-in: plain text and HTML, one link, no tracking; and its sending.

The words are theme/templates/list/confirm-email.txt and .html; the link is the endpoint's
confirmation page with a signed, expiring token (tokens.py). The email goes through the same
relay as the issues (OPENHAND_SMTP_*, the same TLS rule), one connection per serving thread,
kept open between requests and opened again when the relay has closed it. Before the endpoint
starts, a sample passes the no-strings email check (message.problems), so the confirmation can
carry no tracking either.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from ..build.emails import site_domain
from .message import problems
from .relay import SmtpConfig
from .smtp import ConnectError, Connection, Result
from .tokens import Signer

logger = logging.getLogger(__name__)


class ConfirmationError(Exception):
    """The confirmation could not be sent; the message says why (no address in it)."""


class Confirmations:
    def __init__(self, settings, pages, config: SmtpConfig, signer: Signer, endpoint: str):
        self.settings, self.pages, self.config, self.signer, self.endpoint = settings, pages, config, signer, endpoint
        self.domain = site_domain(settings)
        self.hours = settings["LIST_CONFIRM_HOURS"]
        self.local = threading.local()

    def url(self, niche: str, address: str) -> str:
        return f"{self.endpoint}/confirm/{self.signer.confirm(niche, address)}"

    def message(self, niche, address: str) -> bytes:
        """The email for `address` to confirm `niche` (a niches.Niche)."""
        context = {"niche": niche, "confirm_url": self.url(niche.slug, address), "hours": f"{self.hours:g}"}
        message = EmailMessage(policy=policy.SMTP)
        message["Subject"] = f"Confirm your subscription to {niche.title}"
        message["From"] = niche.email.from_
        message["Reply-To"] = niche.email.reply_to
        message["To"] = address
        message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        message["Message-ID"] = f"<confirm.{niche.slug}.{secrets.token_hex(8)}@{self.domain}>"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(self.pages.text("confirm-email.txt", **context).strip() + "\n")
        message.add_alternative(self.pages.render("confirm-email.html", **context).decode("utf-8"), subtype="html")
        return message.as_bytes()

    def check(self, niche) -> None:
        """The no-strings email check on a sample confirmation; a ConfirmationError naming what failed."""
        found = problems(self.message(niche, "reader@example.org"), self.settings)
        if found:
            raise ConfirmationError("the confirmation email (theme/templates/list/confirm-email.*) fails the "
                                    "no-strings check: " + "; ".join(found[:3]))

    def send(self, niche, address: str) -> None:
        """One confirmation; a ConfirmationError when the relay did not take it (tried again once on a fresh
        connection if a kept one had gone stale)."""
        data = self.message(niche, address)
        sender = parseaddr(niche.email.from_)[1]
        for attempt in (1, 2):
            connection = self._connection()
            reused = connection.is_open
            try:
                outcome = connection.send(sender, address, data, time.monotonic() + self.config.deadline)
            except ConnectError as exc:
                raise ConfirmationError(str(exc)) from None
            if outcome.result is Result.SENT:
                return
            connection.close()
            if not (reused and attempt == 1 and outcome.result is Result.DEFERRED):
                break
        raise ConfirmationError(f"the relay answered {outcome.detail}")

    def _connection(self) -> Connection:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = Connection(self.config)
        return connection

