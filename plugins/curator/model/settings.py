"""The curator's settings: every default in one place, checked key by key.

Pelican passes its settings dict around; `configure` fills in what the user left
out and refuses values that would fail later in a less obvious way.
"""

from __future__ import annotations

import logging
import os
from typing import Any

logger = logging.getLogger(__name__)

HARD_SELL_PHRASES = [
    "act now",
    "limited time",
    "buy now",
    "only {n} left",
    "don't miss out",
    "last chance",
    "hurry",
    "order now",
    "exclusive offer",
    "while supplies last",
    "sign up today",
    "free trial",
    "book your call now",
    "before it's too late",
]

DEFAULTS: dict[str, Any] = {
    # Where the curator's documents live, relative to PATH (content/).
    "NICHES_PATH": "niches",
    "LINKS_PATH": "links",
    "NEWSLETTERS_PATH": "newsletters",
    # Where its other files live, relative to the folder that holds PATH.
    "MAIL_PATH": "mail",
    "SUBSCRIBERS_PATH": "subscribers",
    "PREVIEW_PATH": "preview",
    # Pelican's own CACHE_PATH holds the feed cache, under curator/.
    "CURATOR_CACHE_DIR": "curator",
    # Pages, as Pelican's own _URL / _SAVE_AS pairs.
    "NEWSLETTERS_URL": "newsletters/",
    "NEWSLETTERS_SAVE_AS": "newsletters/index.html",
    "NICHE_URL": "newsletters/{slug}/",
    "NICHE_SAVE_AS": "newsletters/{slug}/index.html",
    "ISSUE_URL": "newsletters/{niche}/{number}/",
    "ISSUE_SAVE_AS": "newsletters/{niche}/{number}/index.html",
    "NICHE_PAGINATION": 10,
    # Feeds per niche; None turns one off.
    "NICHE_FEED_ATOM": "feeds/newsletters/{slug}.atom.xml",
    "NICHE_FEED_RSS": "feeds/newsletters/{slug}.rss.xml",
    # Email. SITE_DOMAIN: the domain of Message-ID and List-Id and of the emails' links when SITEURL is
    # relative (None: SITEURL's host).
    "SITE_DOMAIN": None,
    "EMAIL_MAX_BYTES": 90 * 1024,
    "EMAIL_TEMPLATES": "email",
    # The no-strings check.
    "NO_STRINGS_CHECK": True,
    "NO_STRINGS_STRICT": False,
    "HARD_SELL_PHRASES": HARD_SELL_PHRASES,
    # Search (Pagefind) after the build.
    "SEARCH_INDEX": True,
    # Compiled templates kept between builds (build/templates.py); None: Jinja's per-user temp folder.
    "TEMPLATE_CACHE": True,
    "TEMPLATE_CACHE_PATH": None,
    # Curation.
    "CURATE_CONNECT_TIMEOUT": 5.0,
    "CURATE_READ_TIMEOUT": 10.0,
    "CURATE_MAX_BYTES": 5 * 1024 * 1024,
    "CURATE_MAX_REDIRECTS": 5,
    # Fetch threads (I/O-bound; at most one per feed): 100 feeds at 100 ms latency took 0.73 s
    # with 16, 0.42 s with 32, 0.25 s with 64, 0.19 s with 100.
    "CURATE_WORKERS": 100,
    "CURATE_PARSE_PROCESSES": 2,
    "CURATE_SUMMARY_WORDS": 60,
    "CURATE_MAX_AGE_DAYS": 120,
    "CURATE_HALF_LIFE_DAYS": 14.0,
    "CURATE_USER_AGENT": "Openhand/0.1 (+{siteurl})",
    # Curation's robustness (issue 12): at most this many connections at once to one host name;
    # each feed parsed and cleaned in a worker process under a memory ceiling (MB above the
    # worker's size) and a CPU-time limit (seconds; the wall-clock watchdog allows 3 x that + 10 s).
    "CURATE_CONNECTIONS_PER_HOST": 4,
    "CURATE_FEED_MEMORY_MB": 512,
    "CURATE_FEED_CPU_SECONDS": 10,
    # The curator's judgement: runner-ups listed under `more:` in a draft, and where it keeps what each
    # draft offered (to learn what the editor kept and dropped), relative to the folder that holds PATH.
    "CURATE_RUNNERS_UP": 5,
    "CURATOR_STATE_PATH": "state/curator",
    # Sending: tries per recipient on a transient SMTP error, the first back-off
    # (seconds, doubled each try) and the socket timeout.
    "SEND_RETRIES": 5,
    "SEND_RETRY_DELAY": 2.0,
    "SEND_TIMEOUT": 30.0,
    # Delivery (plugins/curator/delivery/): the state database (SQLite under state/, or
    # OPENHAND_DATABASE_URL), how long to wait for a locked one, and the sender: connections
    # at once (Postfix accepts 50 per client; 10 reach 10,000 messages in ~50 s at 25 ms a
    # reply), the longest one message may take from connecting to the reply to its final
    # dot, and the transient failures in a row after which a run stops.
    "DATABASE": "state/openhand.db",
    "DATABASE_TIMEOUT": 10.0,
    "SEND_CONNECTIONS": 10,
    "SEND_DEADLINE": 60.0,
    "SEND_MAX_FAILURES": 10,
    # Readers (delivery/endpoint.py, `openhand listen`; delivery/inbox.py, `openhand inbox`). LIST_ENDPOINT is
    # the list endpoint's public base URL (https, or http on this machine); None keeps the hubs' feeds and
    # mailto: only. A confirmation link works for LIST_CONFIRM_HOURS; one address is sent at most one
    # confirmation per LIST_CONFIRM_INTERVAL minutes (kept in the database, so every instance shares it);
    # one client address may ask LIST_CLIENT_LIMIT times per LIST_CLIENT_WINDOW seconds (in memory, per
    # process); X-Forwarded-For is believed only from LIST_TRUSTED_PROXIES (addresses or networks);
    # LIST_THREADS requests are served at once. The inbox moves what it handled to INBOX_HANDLED_FOLDER
    # and marks an address bounced after INBOX_SOFT_BOUNCES temporary failures.
    "LIST_ENDPOINT": None,
    "LIST_CONFIRM_HOURS": 48,
    "LIST_CONFIRM_INTERVAL": 15,
    "LIST_CLIENT_LIMIT": 10,
    "LIST_CLIENT_WINDOW": 600,
    "LIST_TRUSTED_PROXIES": [],
    "LIST_THREADS": 8,
    "INBOX_HANDLED_FOLDER": "Openhand",
    "INBOX_SOFT_BOUNCES": 3,
}

_TYPES: dict[str, type | tuple[type, ...]] = {
    "NICHE_PAGINATION": int,
    "EMAIL_MAX_BYTES": int,
    "NO_STRINGS_CHECK": bool,
    "NO_STRINGS_STRICT": bool,
    "HARD_SELL_PHRASES": (list, tuple),
    "SEARCH_INDEX": bool,
    "TEMPLATE_CACHE": bool,
    "CURATE_CONNECT_TIMEOUT": (int, float),
    "CURATE_READ_TIMEOUT": (int, float),
    "CURATE_MAX_BYTES": int,
    "CURATE_MAX_REDIRECTS": int,
    "CURATE_WORKERS": int,
    "CURATE_PARSE_PROCESSES": int,
    "CURATE_SUMMARY_WORDS": int,
    "CURATE_MAX_AGE_DAYS": int,
    "CURATE_HALF_LIFE_DAYS": (int, float),
    "CURATE_CONNECTIONS_PER_HOST": int,
    "CURATE_FEED_MEMORY_MB": int,
    "CURATE_FEED_CPU_SECONDS": (int, float),
    "CURATE_RUNNERS_UP": int,
    "SEND_RETRIES": int,
    "SEND_RETRY_DELAY": (int, float),
    "SEND_TIMEOUT": (int, float),
    "DATABASE": str,
    "DATABASE_TIMEOUT": (int, float),
    "SEND_CONNECTIONS": int,
    "SEND_DEADLINE": (int, float),
    "SEND_MAX_FAILURES": int,
    "LIST_CONFIRM_HOURS": (int, float),
    "LIST_CONFIRM_INTERVAL": (int, float),
    "LIST_CLIENT_LIMIT": int,
    "LIST_CLIENT_WINDOW": (int, float),
    "LIST_TRUSTED_PROXIES": (list, tuple),
    "LIST_THREADS": int,
    "INBOX_HANDLED_FOLDER": str,
    "INBOX_SOFT_BOUNCES": int,
}

_ZERO_ALLOWED = {"CURATE_RUNNERS_UP"}  # 0 turns runner-ups off
# Below these a setting cannot work (a worker needs some memory just to read an ordinary feed).
_MINIMUMS = {"CURATE_FEED_MEMORY_MB": 16}

_OPTIONAL_STRINGS = {"NICHE_FEED_ATOM", "NICHE_FEED_RSS", "PREVIEW_PATH", "LIST_ENDPOINT", "SITE_DOMAIN",
                     "TEMPLATE_CACHE_PATH"}


class SettingsError(ValueError):
    """A setting that cannot work; the message says which and what to write."""


def configure(settings: dict[str, Any]) -> dict[str, Any]:
    """Fill in defaults (in place) and validate; returns the same dict."""
    for key, value in DEFAULTS.items():
        settings.setdefault(key, list(value) if isinstance(value, list) else value)
    for key, expected in _TYPES.items():
        value = settings[key]
        if isinstance(value, bool) and expected in (int, (int, float)):
            raise SettingsError(f"{key} must be a number, not {value!r}; e.g. {key} = {DEFAULTS[key]!r}")
        if not isinstance(value, expected):
            raise SettingsError(f"{key} must be {_type_name(expected)}, not {value!r}; e.g. {key} = {DEFAULTS[key]!r}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0 and not (
                key in _ZERO_ALLOWED and value == 0):
            raise SettingsError(f"{key} must be above zero, not {value!r}; e.g. {key} = {DEFAULTS[key]!r}")
    for key, least in _MINIMUMS.items():
        if settings[key] < least:
            raise SettingsError(
                f"{key} must be at least {least}, not {settings[key]!r}; e.g. {key} = {DEFAULTS[key]!r}"
            )
    for key in ("NEWSLETTERS_URL", "NEWSLETTERS_SAVE_AS", "NICHE_URL", "NICHE_SAVE_AS", "ISSUE_URL", "ISSUE_SAVE_AS"):
        if not isinstance(settings[key], str) or not settings[key]:
            raise SettingsError(f"{key} must be a non-empty string; e.g. {key} = {DEFAULTS[key]!r}")
    if not isinstance(settings["CURATOR_STATE_PATH"], str) or not settings["CURATOR_STATE_PATH"]:
        raise SettingsError(f"CURATOR_STATE_PATH must be a folder name, not {settings['CURATOR_STATE_PATH']!r}; "
                            f"e.g. CURATOR_STATE_PATH = {DEFAULTS['CURATOR_STATE_PATH']!r}")
    for key in _OPTIONAL_STRINGS:
        if settings[key] is not None and not isinstance(settings[key], str):
            raise SettingsError(f"{key} must be a string or None, not {settings[key]!r}")
    for key, fields in (("NICHE_SAVE_AS", "{slug}"), ("ISSUE_SAVE_AS", "{number}")):
        if fields not in settings[key]:
            raise SettingsError(
                f"{key} must contain {fields}, or every page lands on one file; e.g. {key} = {DEFAULTS[key]!r}"
            )
    _check_readers(settings)
    return settings


def is_loopback(host: str) -> bool:
    """A host on this machine: only an IP literal on 127/8 or ::1, or `localhost` (no name is resolved to decide).
    The relay, the mailbox and LIST_ENDPOINT allow plain text only to such a host."""
    import ipaddress

    if host.rstrip(".").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_readers(settings: dict[str, Any]) -> None:
    """LIST_ENDPOINT (normalised without its trailing slash), LIST_TRUSTED_PROXIES, INBOX_HANDLED_FOLDER."""
    import ipaddress
    from urllib.parse import urlsplit

    value = settings["LIST_ENDPOINT"]
    example = "e.g. LIST_ENDPOINT = 'https://list.example.com'"
    if value is not None:
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(
                f"LIST_ENDPOINT must be the list endpoint's public URL or None, not {value!r}; {example}"
            )
        parts = urlsplit(value.strip())
        if (
            parts.scheme not in ("https", "http")
            or not parts.hostname
            or parts.query
            or parts.fragment
            or "@" in parts.netloc
        ):
            raise SettingsError(
                f"LIST_ENDPOINT {value!r} must be an https:// URL with no query, fragment or user; {example}"
            )
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise SettingsError(
                f"LIST_ENDPOINT {value!r} must use https:// (http:// only on this machine, e.g. "
                f"http://127.0.0.1:8080): readers' addresses and links would cross the network in clear"
            )
        if len(value) > 200 or not value.isascii() or any(c in value for c in ' <>,"\\'):
            raise SettingsError(f"LIST_ENDPOINT {value!r} must be at most 200 ASCII characters without spaces, "
                                f"<, >, commas or quotes (it goes into every email's List-Unsubscribe); {example}")
        settings["LIST_ENDPOINT"] = value.strip().rstrip("/")
    for entry in settings["LIST_TRUSTED_PROXIES"]:
        try:
            ipaddress.ip_network(str(entry), strict=False)
        except ValueError:
            raise SettingsError(f"LIST_TRUSTED_PROXIES: {entry!r} is not an IP address or network; "
                                "e.g. LIST_TRUSTED_PROXIES = ['127.0.0.1', '10.0.0.0/8']") from None
    folder = settings["INBOX_HANDLED_FOLDER"]
    if not folder.strip() or any(ord(c) < 32 or c in '"\\' for c in folder):
        raise SettingsError(f"INBOX_HANDLED_FOLDER must be a mailbox folder name without quotes or control "
                            f"characters, not {folder!r}; e.g. INBOX_HANDLED_FOLDER = 'Openhand'")


def _type_name(expected) -> str:
    names = {int: "a whole number", float: "a number", bool: "True or False", list: "a list", tuple: "a list"}
    if isinstance(expected, tuple):
        return names.get(expected[0], expected[0].__name__)
    return names.get(expected, expected.__name__)


def project_root(settings: dict[str, Any]) -> str:
    """The folder that holds content/: relative curator paths resolve here."""
    return os.path.dirname(os.path.abspath(settings["PATH"]))


def content_dir(settings: dict[str, Any], key: str) -> str:
    """An absolute folder for NICHES_PATH, LINKS_PATH or NEWSLETTERS_PATH."""
    return os.path.join(os.path.abspath(settings["PATH"]), settings[key])


def project_dir(settings: dict[str, Any], key: str) -> str | None:
    """An absolute path for MAIL_PATH, SUBSCRIBERS_PATH, PREVIEW_PATH, DATABASE, CURATOR_STATE_PATH or
    TEMPLATE_CACHE_PATH."""
    value = settings.get(key)
    if value is None:
        return None
    return value if os.path.isabs(value) else os.path.join(project_root(settings), value)


def project_path(settings: dict[str, Any], key: str) -> str:
    """project_dir for a key that has no None (CURATOR_STATE_PATH, MAIL_PATH for `send`)."""
    path = project_dir(settings, key)
    if path is None:
        raise SettingsError(f"{key} is None; set it to a folder, e.g. {key} = {DEFAULTS[key]!r}")
    return path


def cache_dir(settings: dict[str, Any]) -> str:
    """The curator's feed cache, inside Pelican's CACHE_PATH."""
    base = settings["CACHE_PATH"]
    if not os.path.isabs(base):
        base = os.path.join(project_root(settings), base)
    return os.path.join(base, settings["CURATOR_CACHE_DIR"])


# Pelican's defaults for the keys curation reads, for `load(..., pelican=False)`.
PELICAN_DEFAULTS: dict[str, Any] = {"PATH": os.curdir, "CACHE_PATH": "cache", "SITEURL": "", "DEFAULT_LANG": "en"}


def load(settings_path: str | None, overrides: dict[str, Any] | None = None, *, pelican: bool = True) -> dict[str, Any]:
    """Read a Pelican settings file the way `pelican -s` does, then configure.

    pelican=False reads it without importing Pelican (a third of a warm `openhand curate`):
    the file's own names, its relative paths made absolute as Pelican makes them, and
    Pelican's defaults for the few keys curation reads. A test holds it to read_settings."""
    if pelican:
        from pelican.settings import read_settings

        settings = read_settings(settings_path, override=overrides or {})
    else:
        settings = _read_file(settings_path) if settings_path else {}
        settings.update(overrides or {})
        for key, value in PELICAN_DEFAULTS.items():
            settings.setdefault(key, value)
        if isinstance(settings["SITEURL"], str):
            settings["SITEURL"] = settings["SITEURL"].rstrip("/")
        if not isinstance(settings["PATH"], str) or not os.path.isdir(settings["PATH"]):
            raise SettingsError(f"{settings_path}: PATH {settings['PATH']!r} is not a folder; "
                                "set PATH to the folder that holds your content, e.g. PATH = 'content'")
    return configure(settings)


def _read_file(path: str) -> dict[str, Any]:
    """pelican.settings.get_settings_from_file and the path fixing of read_settings."""
    import importlib.util
    import sys

    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SettingsError(f"{path}: not a Python settings file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    settings = {key: value for key, value in vars(module).items() if key.isupper()}
    base = os.path.dirname(path)

    def absolute(value: str) -> str:
        return value if os.path.isabs(value) else os.path.abspath(os.path.normpath(os.path.join(base, value)))

    for key in ("PATH", "OUTPUT_PATH", "THEME", "CACHE_PATH"):
        if settings.get(key) is not None:
            value = absolute(settings[key])
            if key != "THEME" or os.path.exists(value):  # THEME may name one of Pelican's themes
                settings[key] = value
    if settings.get("PLUGIN_PATHS") is not None:
        settings["PLUGIN_PATHS"] = [absolute(p) for p in settings["PLUGIN_PATHS"]]
    return settings
