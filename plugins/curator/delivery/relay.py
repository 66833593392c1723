"""The relay's settings: OPENHAND_SMTP_* from the environment only, never from a file.

The password lives in a `Secret` whose repr is masked. It is refused here, before anything
connects, when it would cross the network in clear text: a user without STARTTLS or SSL is
allowed only to a relay on this machine (an IP literal on 127/8 or ::1, or `localhost`; no
name is resolved to decide), or with OPENHAND_SMTP_INSECURE=1.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.settings import SettingsError, is_loopback

ENV = "OPENHAND_SMTP_"
TRUE, FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


class Secret:
    """A password that never shows itself in a repr, a log line or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str | None
    password: Secret | None
    starttls: bool
    use_ssl: bool
    timeout: float      # the longest wait for one read or write
    deadline: float     # the longest one message may take, connecting included

    def describe(self) -> str:
        mode = "SSL" if self.use_ssl else "STARTTLS" if self.starttls else "plain"
        who = f" as {self.user}" if self.user else ""
        return f"{self.host}:{self.port} ({mode}){who}"


def env_flag(environ, variable: str) -> bool:
    """A 1/0 (true/false, yes/no, on/off) switch from the environment; unset is off."""
    value = environ.get(variable, "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise SettingsError(f"{variable} must be 1 or 0 (or true/false), not {value!r}")


def _flag(environ, name: str) -> bool:
    return env_flag(environ, ENV + name)


def smtp_config(environ, timeout: float = 30.0, deadline: float = 60.0) -> SmtpConfig:
    """The relay from OPENHAND_SMTP_HOST/_PORT/_USER/_PASSWORD/_STARTTLS/_SSL/_INSECURE (never from a file).

    A password is refused here, before anything connects, when it would travel in clear text."""
    host = environ.get(ENV + "HOST", "").strip()
    if not host:
        raise SettingsError(f"set {ENV}HOST (and {ENV}PORT, {ENV}USER, {ENV}PASSWORD, {ENV}STARTTLS=1 or "
                            f"{ENV}SSL=1 as your relay needs) in the environment; they are never read from files")
    starttls, use_ssl = _flag(environ, "STARTTLS"), _flag(environ, "SSL")
    if starttls and use_ssl:
        raise SettingsError(f"set {ENV}STARTTLS or {ENV}SSL, not both (SSL for port 465, STARTTLS for 587)")
    port_text = environ.get(ENV + "PORT", "").strip()
    try:
        port = int(port_text) if port_text else (465 if use_ssl else 587 if starttls else 25)
    except ValueError:
        raise SettingsError(f"{ENV}PORT must be a port number, not {port_text!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"{ENV}PORT must be between 1 and 65535, not {port}")
    user = environ.get(ENV + "USER", "").strip() or None
    password = environ.get(ENV + "PASSWORD") or None
    if bool(user) != bool(password):
        raise SettingsError(f"set both {ENV}USER and {ENV}PASSWORD, or neither")
    if user and not (starttls or use_ssl) and not is_loopback(host) and not _flag(environ, "INSECURE"):
        raise SettingsError(f"{ENV}USER is set but the connection to {host}:{port} would be plain text, so the "
                            f"password would cross the network readable: set {ENV}STARTTLS=1 (port 587) or "
                            f"{ENV}SSL=1 (port 465); {ENV}INSECURE=1 sends it in clear anyway")
    return SmtpConfig(host, port, user, Secret(password) if password else None, starttls, use_ssl,
                      float(timeout), float(deadline))
