"""What each email was built from, recorded next to it: `send` refuses an email only when that changed.

The build writes mail/<slug>/<number>.inputs beside the .eml: digests of the issue file,
of the niche's fields the email shows (title, language, sections, email settings; not
its hub text), of the email templates, of the settings that reach the email, and of the
.eml itself. `send` recomputes them from the files as they are now. Touching a file, or
editing what the email does not show, changes nothing; editing the issue does, until
`make html` has rebuilt the email. This replaced a comparison of modification times that
blocked sending for good once a file was touched after a build that left the .eml alone.
"""

from __future__ import annotations

import hashlib
import json
import os

from ..model.documents import write_bytes_atomic
from ..model.markup import markdown_config

VERSION = 1
SUFFIX = ".inputs"
EMAIL_SETTINGS = ("SITEURL", "SITE_DOMAIN", "SITENAME", "DEFAULT_LANG", "TIMEZONE", "NICHE_URL", "ISSUE_URL",
                  "MARKDOWN", "LIST_ENDPOINT")
WHAT = {"issue": "the issue file {issue}", "niche": "the niche's title, sections or email settings in {niche}",
        "templates": "the email templates in {templates}", "settings": "the settings that reach the email",
        "eml": "the .eml itself"}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _json(value) -> bytes:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=True).encode("ascii")


def _setting(settings, key: str):
    """A setting as the email sees it. MARKDOWN as generator.make_markdown reads it: Pelican's Markdown
    reader adds the configured extensions to its `extensions` list during the build."""
    value = settings.get(key)
    if key == "MARKDOWN" and isinstance(value, dict):
        value = markdown_config(settings)
        value["extensions"] = sorted(value["extensions"])
    return value


def templates_dir(settings) -> str:
    return os.path.join(settings["THEME"], "templates", settings["EMAIL_TEMPLATES"])


def inputs(settings, issue_path: str, niche, eml: bytes) -> dict:
    """The digests of everything one email is made from (pure but for reading the files)."""
    with open(issue_path, "rb") as handle:
        issue = handle.read()
    email = niche.email
    shown = {"slug": niche.slug, "title": niche.title, "lang": niche.lang, "sections": [s.name for s in niche.sections],
             "email": [email.from_, email.reply_to, list(email.unsubscribe)]}
    folder = templates_dir(settings)
    templates = hashlib.sha256()
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                with open(path, "rb") as handle:
                    templates.update(name.encode() + b"\0" + handle.read() + b"\0")
    return {"version": VERSION, "issue": _digest(issue), "niche": _digest(_json(shown)),
            "templates": templates.hexdigest()[:32],
            "settings": _digest(_json({k: _setting(settings, k) for k in EMAIL_SETTINGS})), "eml": _digest(eml)}


def record(eml_path: str, settings, issue_path: str, niche, eml: bytes) -> None:
    """The build's hook: write <number>.inputs next to <number>.eml (only when it changed)."""
    data = _json(inputs(settings, issue_path, niche, eml)) + b"\n"
    path = eml_path[:-len(".eml")] + SUFFIX
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return
    except FileNotFoundError:
        pass
    write_bytes_atomic(path, data, durable=False)


def stale(eml_path: str, settings, issue_path: str, niche, eml: bytes) -> str | None:
    """Why the .eml cannot be trusted to match its inputs now, or None when it does."""
    path = eml_path[:-len(".eml")] + SUFFIX
    try:
        with open(path, encoding="ascii") as handle:
            recorded = json.load(handle)
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return f"{eml_path} has no record of what it was built from ({path}); run make html"
    current = inputs(settings, issue_path, niche, eml)
    changed = [key for key in WHAT if recorded.get(key) != current[key]]
    if not changed:
        return None
    names = {"issue": issue_path, "niche": niche.path, "templates": templates_dir(settings)}
    what = "; ".join(WHAT[key].format(**names) for key in changed)
    return f"{eml_path} was built before the last change to {what}; run make html so the email matches it"
