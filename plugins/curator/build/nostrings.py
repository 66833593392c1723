"""The no-strings check: prove there are no trackers, tracking links, third-party loads or hard sells.

Runs after every build (Pelican's `finalized` signal: an error stops `make html`
with a non-zero exit) and as `openhand check [--strict]`. It reads issue files
in content/, the HTML in output/ and the emails in mail/, and reports each
problem as `file:line: severity: [rule] detail`.

Rules: tracking-param, click-redirect (tracking.py's lists), tracking-pixel,
third-party (a script, iframe, font, stylesheet, image or CSS url() from
another host), form (a form that POSTs anywhere but LIST_ENDPOINT's subscribe
URL, or sends readers' input to another host), email-size (EMAIL_MAX_BYTES), hard-sell (HARD_SELL_PHRASES; a
warning unless NO_STRINGS_STRICT / --strict), and on the editor's own words
(editorial.py) unsafe-markup, no-links and missing-note. Findings in draft issue
files are warnings: a draft is the editor's work in progress, and it is checked
again once it is published. The rule functions are pure; the edges read files.

In a build the emails are checked before they are written: the generator hands
over what it rendered (and the issue and niche files it read), and only a passing
check writes them to mail/; a failing one writes none and removes the failing
issues' old ones, so `openhand send` never sends what the check refused.
"""

from __future__ import annotations

import bisect
import glob
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..curation.phrases import phrases_regex
from ..curation.tracking import TEXT_URL
from ..model import markup
from ..model.documents import ContentError
from ..model.issues import issue_paths, load_issue
from ..model.niches import read_niches
from ..model.settings import content_dir, project_dir, project_root
from . import editorial
from .pagescan import host_of, link_problems, scan_css, scan_html

logger = logging.getLogger(__name__)

ERROR, WARNING = "error", "warning"

@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    detail: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: [{self.rule}] {self.detail}"


class NoStringsError(Exception):
    """The build broke the no-strings promise; the message lists every finding."""

    exitcode = 1


# --- pure rules -----------------------------------------------------------------------------------

def scan_text(text: str, phrases: Sequence[str], *, links: bool = True) -> list[tuple[int, str, str]]:
    """(line, rule, detail) for tracking links and hard-sell `phrases` (HARD_SELL_PHRASES) in plain text
    (issue files, text emails)."""
    found: list[tuple[int, str, str]] = []
    newlines = [m.start() for m in re.finditer("\n", text)]
    if links:
        for match in TEXT_URL.finditer(text):
            line = bisect.bisect_right(newlines, match.start()) + 1
            found.extend((line, rule, detail) for rule, detail in link_problems(match.group(0).rstrip(".,;:")))
    combined = phrases_regex(tuple(map(str, phrases)))
    if combined is not None:
        for match in combined.finditer(text):
            phrase = phrases[int(str(match.lastgroup)[1:])]
            line = bisect.bisect_right(newlines, match.start()) + 1
            found.append((line, "hard-sell", f"hard-sell phrase {match.group(0)!r} (matches {phrase!r})"))
    return sorted(found, key=lambda f: f[0])


def email_size_problem(size: int, limit: int) -> str | None:
    if size > limit:
        return f"email HTML is {size} bytes, over EMAIL_MAX_BYTES ({limit}); Gmail clips long emails: cut links or text"
    return None


# --- thin I/O -------------------------------------------------------------------------------------

def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _rel(path: str, root: str) -> str:
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel


def site_hosts(settings) -> frozenset[str]:
    hosts = {host_of(settings.get(key) or "") for key in ("SITEURL", "FEED_DOMAIN")}
    return frozenset(h for h in hosts if h)


def check_issue_files(settings, strict: bool, root: str, loaded=None) -> list[Finding]:
    """Tracking links and hard sells in every issue file's text, and the editor-word rules on each
    issue; `loaded` is the build's already parsed issues (else each file is read here)."""
    folder = content_dir(settings, "NEWSLETTERS_PATH")
    phrases = tuple(settings["HARD_SELL_PHRASES"])
    render = markup.renderer(settings)
    by_path = {os.path.abspath(issue.path): issue for issue in loaded} if loaded is not None else None
    findings: list[Finding] = []
    for niche_dir in sorted(glob.glob(os.path.join(folder, "*", ""))):
        for path in issue_paths(niche_dir):
            text, rel = _read(path), _rel(path, root)
            issue = by_path.get(os.path.abspath(path)) if by_path is not None else _load(path, rel, findings)
            if issue is None:
                continue
            draft = not issue.published
            for line, rule, detail in scan_text(without_runner_ups(text), phrases):
                hard = strict if rule == "hard-sell" else True
                severity = ERROR if hard and not draft else WARNING
                findings.append(Finding(rel, line, rule, detail + (" (draft)" if draft else ""), severity))
            findings += [Finding(rel, *found) for found in editorial.issue_findings(issue, text, render, strict)]
    return findings


_FRONT_KEY = re.compile(r"^(?:[^\s#\-][^:\n]*|['\"][^'\"\n]*['\"])\s*:", re.M)
_MORE_KEY = re.compile(r"""^(?:more|"more"|'more')\s*:""")


def without_runner_ups(text: str) -> str:
    """The issue file's text with its front matter's `more:` (the runner-ups) blanked out, line for line:
    runner-ups are never rendered, published or sent, so what they say is not the issue's. A link moved
    up into `links:` is checked there."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return text
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), len(lines))
    inside = False
    for i in range(1, end):
        if _FRONT_KEY.match(lines[i]):
            inside = bool(_MORE_KEY.match(lines[i]))
        if inside:
            lines[i] = ""
    return "\n".join(lines)


def _load(path: str, rel: str, findings: list[Finding]):
    """An issue file for `openhand check`, or None with the reason as a finding (the build lists them all)."""
    try:
        return load_issue(path)
    except ContentError as exc:
        findings.append(Finding(rel, 1, "content", f"{exc}; `make html` lists every content error"))
        return None


def check_niche_files(settings, root: str, loaded=None) -> list[Finding]:
    """The editor-word rules on every niche's hub text; `loaded` is the build's parsed niches."""
    niches = loaded if loaded is not None else read_niches(content_dir(settings, "NICHES_PATH"))[0].values()
    render = markup.renderer(settings)
    return [Finding(_rel(niche.path, root), *found) for niche in niches
            for found in editorial.niche_findings(niche, _read(niche.path), render)]


def form_targets(settings) -> tuple[str, ...]:
    """Where a page's form may POST: the list endpoint's subscribe URL, when there is one."""
    endpoint = settings.get("LIST_ENDPOINT")
    return (f"{endpoint}/subscribe",) if endpoint else ()


def check_output(output: str, hosts, root: str, forms=(), skip: Sequence[str] = ()) -> list[Finding]:
    """The pages and stylesheets under output/, but its top-level folders named in `skip`."""
    findings: list[Finding] = []
    for folder, subfolders, files in os.walk(output):
        if folder == output:
            subfolders[:] = [name for name in subfolders if name not in skip]
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith((".html", ".htm")):
                found = scan_html(_read(path), hosts, forms)
            elif name.endswith(".css"):
                found = scan_css(_read(path), hosts)
            else:
                continue
            findings.extend(Finding(_rel(path, root), line, rule, detail) for line, rule, detail in found)
    return findings


def check_mail(mail: str, hosts, limit: int, root: str) -> list[Finding]:
    """The emails in mail/ (what `openhand check` reads)."""
    return check_mail_parts([(path, _read(path)) for path in sorted(glob.glob(os.path.join(mail, "*", "*.html")))],
                            [(path, _read(path)) for path in sorted(glob.glob(os.path.join(mail, "*", "*.txt")))],
                            hosts, limit, root)


def check_mail_parts(htmls, texts, hosts, limit: int, root: str) -> list[Finding]:
    """Emails as (path, content) of their HTML and text parts: on disk, or a build's before writing."""
    findings: list[Finding] = []
    for path, text in htmls:
        problem = email_size_problem(len(text.encode("utf-8")), limit)
        if problem:
            findings.append(Finding(_rel(path, root), 1, "email-size", problem))
        findings.extend(Finding(_rel(path, root), line, rule, detail) for line, rule, detail in scan_html(text, hosts))
    for path, text in texts:
        findings.extend(Finding(_rel(path, root), line, rule, detail)
                        for line, rule, detail in scan_text(text, (), links=True))
    return findings


def output_dir(settings) -> str:
    """OUTPUT_PATH; relative to the project folder (as `make html` runs), not to where `openhand` runs."""
    output = settings["OUTPUT_PATH"]
    return output if os.path.isabs(output) else os.path.join(project_root(settings), output)


def check_project(settings, *, strict: bool | None = None, output: str | None = None, staged=None,
                  skip: Sequence[str] = ()) -> list[Finding]:
    """Every finding for content/ issue and niche files, output/ and mail/, errors first. `staged` is a
    build's own (generator.Staged): its parsed files and its emails, not yet written to mail/. `skip`:
    output/'s top-level folders another process is writing (the search index)."""
    strict = settings["NO_STRINGS_STRICT"] if strict is None else strict
    root = project_root(settings)
    output = output or output_dir(settings)
    hosts = site_hosts(settings)
    limit = settings["EMAIL_MAX_BYTES"]
    findings = check_issue_files(settings, strict, root, staged.issues if staged else None)
    findings += check_niche_files(settings, root, staged.niches if staged else None)
    if os.path.isdir(output):
        findings += check_output(output, hosts, root, form_targets(settings), skip)
    mail = project_dir(settings, "MAIL_PATH")
    if staged is not None:
        parts = staged.mail.parts()
        findings += check_mail_parts([(p[1], p[2]) for p in parts], [(p[3], p[4]) for p in parts], hosts, limit, root)
    elif mail and os.path.isdir(mail):
        findings += check_mail(mail, hosts, limit, root)
    return sorted(findings, key=lambda f: (f.severity != ERROR, f.path, f.line))


def report(findings: list[Finding], limit: int = 50, withheld: Sequence[str] = ()) -> str:
    errors = [f for f in findings if f.severity == ERROR]
    lines = [str(f) for f in errors[:limit]]
    if len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more")
    held = ("\n(no email of this build was written to mail/" +
            (f"; removed the refused issues' earlier ones: {', '.join(withheld)}" if withheld else "") + ")")
    return (f"no-strings check failed: {len(errors)} problem(s)\n  " + "\n  ".join(lines) +
            "\n(remove tracking parameters and click redirects, serve every asset from this site, keep emails "
            "under EMAIL_MAX_BYTES; `openhand check` lists them again)" + held)


def check_build(pelican, staged=None, skip: Sequence[str] = ()) -> None:
    """After the build: warnings are logged; errors raise so `make html` exits non-zero. The build's
    emails (`staged`) are written to mail/ only when no error was found."""
    settings = pelican.settings
    if not settings["NO_STRINGS_CHECK"]:
        if staged is not None:
            staged.mail.commit()
        return
    findings = check_project(settings, output=pelican.output_path, staged=staged, skip=skip)
    for finding in findings:
        if finding.severity == WARNING:
            logger.warning("%s", finding)
    if any(f.severity == ERROR for f in findings):
        root = project_root(settings)
        failing = {os.path.abspath(os.path.join(root, f.path)) for f in findings if f.severity == ERROR}
        withheld = staged.mail.withhold(failing) if staged is not None else []
        raise NoStringsError(report(findings, withheld=[_rel(p, root) for p in withheld if p.endswith(".eml")]))
    if staged is not None:
        staged.mail.commit()
    logger.info("no-strings check passed (%d warning(s))", len(findings))


def run(settings, args) -> int:
    """`openhand check [--strict]`: print every finding; exit 1 on any error."""
    strict = bool(getattr(args, "strict", False)) or settings["NO_STRINGS_STRICT"]
    findings = check_project(settings, strict=strict)
    for finding in findings:
        print(finding)
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    output = output_dir(settings)
    if not os.path.isdir(output):
        print(f"note: {output} does not exist yet; build the site (make html) to check pages and emails too")
    print(f"no-strings check: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0
