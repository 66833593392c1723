"""The golden check: every draft, page, feed and email of the demo and of the bench corpus, hashed.

A refactoring must not change what a user gets. This builds, in scratch folders,
the bundled demo (curated for a fixed date, then built with pelicanconf.py and
publishconf.py) and a bench corpus (10 niches reading 20 generated feeds over
HTTP on 127.0.0.1, curated for a fixed date, then built), and writes one
manifest of `path -> sha256` for every file a user sees: drafts, output/
(Pagefind's index aside), preview/ and mail/.

    .venv/bin/python bench/golden.py --write bench/work/golden-before.json
    ... refactor ...
    .venv/bin/python bench/golden.py --compare bench/work/golden-before.json

--compare prints every added, removed or changed file (a short diff for text)
and exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
from support.project import OPENHAND, PELICAN, copy_project  # noqa: E402

DATE = dt.date(2026, 12, 20)
SCRATCH = HERE / "work" / "golden-scratch"
SKIP_DIRS = {"pagefind", "cache", "__pycache__", "state"}


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and "pelican" in cmd[0]):
        raise SystemExit(
            f"{' '.join(cmd)} failed ({proc.returncode}) in {cwd}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )


def curate(project: Path) -> None:
    _run([str(OPENHAND), "--settings", "pelicanconf.py", "curate", "--force", "--date", DATE.isoformat()], project)


def build(project: Path, conf: str = "pelicanconf.py") -> None:
    _run([str(PELICAN), "content", "-o", "output", "-s", conf, "--fatal", "errors", "-e", "SEARCH_INDEX=false"],
         project)


def hashes(project: Path, label: str) -> dict[str, str]:
    """sha256 of every file under the folders a user sees, keyed `label/relative path`."""
    out = {}
    for top in ("content/newsletters", "output", "preview", "mail"):
        base = project / top
        if not base.is_dir():
            continue
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not (top == "mail" and d == "sent"))
            for name in sorted(files):
                path = Path(folder) / name
                out[f"{label}/{path.relative_to(project)}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def demo(work: Path) -> tuple[dict[str, str], dict[str, Path]]:
    local = copy_project(work / "demo")
    curate(local)
    build(local)
    published = copy_project(work / "demo-published")
    shutil.rmtree(published / "content" / "newsletters")
    shutil.copytree(local / "content" / "newsletters", published / "content" / "newsletters")
    build(published, "publishconf.py")
    return {**hashes(local, "demo"), **hashes(published, "demo-published")}, {"demo": local,
                                                                             "demo-published": published}


def bench_corpus(work: Path) -> tuple[dict[str, str], dict[str, Path]]:
    from run import FeedServer, write_site  # bench/run.py: the same corpus and server the bench uses

    project = copy_project(work / "corpus", content=False)
    server = FeedServer(20, 20, 0.0, DATE)
    try:
        corpus.write_niches(project / "content", server.base, 20, 10)
        curate(project)
    finally:
        server.close()
    # Feed URLs carry the server's random port: drafts are hashed with it replaced.
    for draft in (project / "content" / "newsletters").glob("*/*.md"):
        draft.write_text(draft.read_text(encoding="utf-8").replace(server.base, "http://feeds.test"),
                         encoding="utf-8")
    site = copy_project(work / "corpus-site", content=False)
    write_site(site, 40, 4, 6, DATE, vanilla=False)
    build(site)
    return {**hashes(project, "corpus"), **hashes(site, "corpus-site")}, {"corpus": project, "corpus-site": site}


def manifest(work: Path) -> tuple[dict[str, str], dict[str, Path]]:
    a, pa = demo(work)
    b, pb = bench_corpus(work)
    return {**a, **b}, {**pa, **pb}


def compare(old: dict[str, str], new: dict[str, str], roots: dict[str, Path], old_roots: Path | None) -> int:
    changed = sorted(k for k in old.keys() & new.keys() if old[k] != new[k])
    added, removed = sorted(new.keys() - old.keys()), sorted(old.keys() - new.keys())
    for key in added:
        print(f"added:   {key}")
    for key in removed:
        print(f"removed: {key}")
    for key in changed:
        print(f"changed: {key}")
        label, rel = key.split("/", 1)
        if old_roots is not None and (old_roots / label / rel).is_file():
            before = (old_roots / label / rel).read_text(encoding="utf-8", errors="replace").splitlines()
            after = (roots[label] / rel).read_text(encoding="utf-8", errors="replace").splitlines()
            for line in list(difflib.unified_diff(before, after, "before", "after", n=1, lineterm=""))[:40]:
                print("    " + line)
    print(f"golden check: {len(new)} files, {len(changed)} changed, {len(added)} added, {len(removed)} removed")
    return 1 if changed or added or removed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="MANIFEST", help="write the manifest (and keep the trees beside it)")
    group.add_argument("--compare", metavar="MANIFEST", help="compare with a manifest written before")
    args = parser.parse_args(argv)
    # Always built in the same folder: draft previews name their file by its absolute path.
    shutil.rmtree(SCRATCH, ignore_errors=True)
    SCRATCH.mkdir(parents=True)
    found, roots = manifest(SCRATCH)
    target = Path(args.write or args.compare).resolve()
    trees = target.with_suffix(".trees")
    if args.write:
        target.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        shutil.rmtree(trees, ignore_errors=True)
        shutil.copytree(SCRATCH, trees, symlinks=True)
        print(f"golden manifest: {len(found)} files -> {target} (trees in {trees})")
        return 0
    old = json.loads(target.read_text())
    return compare(old, found, roots, trees if trees.is_dir() else None)


if __name__ == "__main__":
    sys.exit(main())
