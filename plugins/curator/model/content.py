"""Everything in content/ that the build refuses, found in one pass, before anything is written.

Pelican's own readers skip a broken article with one line and no reason ("Could not
process ..."); the curator's loaders stop at the first bad file. Here the build gathers
every content error instead: the articles and pages Pelican could not read (read again,
for the reason), symbolic links that would publish what lives outside content/, every
niche file, every issue file and every hand-picked link file. The generator then raises
them together, one line each, and nothing is built.
"""

from __future__ import annotations

import os

from .documents import ContentError, gather
from .issues import IssueFile, read_all_issues
from .niches import Niche, read_niches
from .picks import load_picks
from .settings import content_dir


def symlink_errors(content: str) -> list[ContentError]:
    """A symbolic link under content/ whose target is outside content/: Pelican would follow it and
    publish the target (`ln -s ../../subscribers content/downloads/lists` published the subscriber
    lists). Any target outside content/ is refused, not only the known private folders: the build
    cannot tell what else out there is private. Links are not followed, so a loop cannot hang this."""
    root = os.path.realpath(content)
    errors = []
    for folder, dirs, files in os.walk(content):
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                continue
            target = os.path.realpath(path)
            if os.path.commonpath([root, target]) != root:
                errors.append(ContentError(path, f"is a symbolic link to {target}, outside content/; the build "
                                           "would publish what it points at", key=None,
                                           fix="copy the files you mean to publish into content/, and remove the link"))
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
    return errors


def reader_errors(settings, generated_content: dict) -> list[ContentError]:
    """Why each article or page Pelican failed to read failed, when it is an editor's mistake: Pelican
    records the failed files (generated_content[path] is None) and this reads them again for the reason."""
    from ..build.reader import YAMLMarkdownReader

    errors: list[ContentError] = []
    base = os.path.abspath(settings["PATH"])
    reader = YAMLMarkdownReader(settings)
    for relative, content in sorted(generated_content.items()):
        if content is None and os.path.splitext(relative)[1].lstrip(".") in YAMLMarkdownReader.file_extensions:
            gather(errors, reader.read, os.path.join(base, relative))
    return errors


def load_content(settings, generated_content: dict) -> tuple[dict[str, Niche], dict[str, list[IssueFile]],
                                                               list[ContentError]]:
    """The niches and their issues, and every content error in content/ (empty when all is well)."""
    errors = reader_errors(settings, generated_content)
    errors += symlink_errors(settings["PATH"])
    niches, niche_errors, broken = read_niches(content_dir(settings, "NICHES_PATH"))
    issues, issue_errors = read_all_issues(content_dir(settings, "NEWSLETTERS_PATH"), niches, broken)
    errors += niche_errors + issue_errors
    links = content_dir(settings, "LINKS_PATH")
    if os.path.isdir(links):  # curation's input, checked here too: an editor hears of a bad pick at once
        pick_errors: list[ContentError] = []
        gather(pick_errors, load_picks, links, niches)
        errors += [e for e in pick_errors if getattr(e, "unknown_niche", None) not in broken]
    return niches, issues, errors
