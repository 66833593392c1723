"""Curate's edges, as a user runs `openhand curate`: what the exit code says, a bad hand-picked
link file, symbolic links under content/links/, and local feed paths that point outside content/.
"""

from __future__ import annotations

import os
from pathlib import Path

from curator.model.issues import load_issue
from support.feedserver import make_project, niche_text, rss
from support.project import openhand, write

DATE = "2026-11-22"


def feed(name: str, n: int = 3) -> bytes:
    return rss(name, [{"title": f"{name} payroll tip {i}", "link": f"https://{name}.example/{i}",
                       "date": f"Mon, {10 + i} Nov 2026 10:00:00 GMT"} for i in range(n)])


def project(tmp_path: Path, niches: dict[str, list[str]], picks: dict[str, str] | None = None) -> Path:
    """Niches reading local feed files content/sources/<name>.xml (created for each name)."""
    sources = tmp_path / "content" / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    texts = {}
    for slug, names in niches.items():
        for name in names:
            if name != "missing":
                (sources / f"{name}.xml").write_bytes(feed(name))
        texts[slug] = niche_text([(f"../sources/{n}.xml", n, 1.0) for n in names], keywords=["payroll"], per_source=5)
    return make_project(tmp_path, texts, picks)


def pick(url: str, niches: str = "[shop]", note: str | None = "Why it helps.") -> str:
    return f"---\nurl: {url}\ntitle: A guide\nniches: {niches}\n" + (f"note: {note}\n" if note else "") + "---\n"


def draft(root: Path, slug: str, date: str = DATE) -> Path:
    return root / "content" / "newsletters" / slug / f"{date}.md"


# ---------------------------------------------------------------- exit codes

def test_nothing_new_to_offer_exits_0_and_says_so(tmp_path):
    root = project(tmp_path, {"shop": ["a"]})
    openhand(root, "curate", "--date", DATE)
    later = openhand(root, "curate", "--date", "2026-12-28", check=False)  # every entry went into issue 1
    assert later.returncode == 0, later.stdout + later.stderr
    assert "draft: none (nothing new to offer: 3 entries seen" in later.stdout
    assert not draft(root, "shop", "2026-12-28").exists()


def test_a_niche_whose_every_feed_failed_exits_1_the_others_still_get_drafts(tmp_path):
    root = project(tmp_path, {"shop": ["a"], "cafe": ["missing"]})
    proc = openhand(root, "curate", "--date", DATE, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cafe: feeds 0 ok, 0 not modified, 1 failed" in proc.stdout
    assert "draft: none (could not be curated: every feed failed)" in proc.stdout
    assert len(load_issue(str(draft(root, "shop"))).links) == 3


def test_the_exit_codes_are_in_the_help():
    proc = openhand(Path.cwd(), "curate", "--help")
    for line in ("exit codes:", "0  every niche wrote its draft", "1  a niche could not be curated",
                 "2  a content or settings error"):
        assert line in proc.stdout


# ---------------------------------------------------------------- a bad hand-picked link file

def test_a_bad_hand_picked_link_file_is_named_once_and_the_rest_is_curated(tmp_path):
    root = project(tmp_path, {"shop": ["a"], "cafe": ["b"]}, picks={
        "1-good": pick("https://good.example/guide"),
        "2-ghost": pick("https://ghost.example/x", niches="[shop, ghost]"),
        "3-no-note": pick("https://nonote.example/x", note=None),
        "4-not-yaml": "---\nurl: [unclosed\n---\n",
        "5-cafe": pick("https://cafe.example/guide", niches="[cafe]"),
    })
    proc = openhand(root, "curate", "--date", DATE, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 3, proc.stderr
    for name, words in (("2-ghost", "niches: names niche 'ghost'"), ("3-no-note", "note: is missing"),
                        ("4-not-yaml", "front matter is not valid YAML")):
        (line,) = [e for e in errors if f"links/{name}.md" in e]
        assert words in line and "fix" in line and "this hand-picked link is left out" in line, line
    assert "Traceback" not in proc.stderr
    shop = load_issue(str(draft(root, "shop")))
    assert shop.links[0].url == "https://good.example/guide" and len(shop.links) == 4
    assert not {"https://ghost.example/x", "https://nonote.example/x"} & {link.url for link in shop.links}
    assert load_issue(str(draft(root, "cafe"))).links[0].url == "https://cafe.example/guide"


# ---------------------------------------------------------------- symbolic links under content/links/

def test_symlink_loops_never_hang_and_links_outside_content_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside / "secret.md", pick("https://secret.example/leaked"))
    write(outside / "folder" / "also-secret.md", pick("https://secret.example/folder"))
    root = project(tmp_path / "site", {"shop": ["a"]}, picks={"guide": pick("https://good.example/guide")})
    links = root / "content" / "links"
    (links / "sub").mkdir()
    os.symlink("..", links / "sub" / "up")                 # two loops: links/sub/up -> links, links/self -> links
    os.symlink(".", links / "self")
    os.symlink(outside / "folder", links / "folder")      # a folder outside content/
    os.symlink(outside / "secret.md", links / "secret.md")  # a file outside content/
    os.symlink("../sources", links / "sources")             # inside content/: followed (nothing to pick there)
    proc = openhand(root, "curate", "--date", DATE, timeout=60)
    warnings = [line for line in proc.stderr.splitlines() if "symbolic link" in line]
    assert len(warnings) == 2, proc.stderr
    assert any(f"{links / 'folder'} is a symbolic link to a place outside" in w for w in warnings)
    assert any(f"{links / 'secret.md'} is a symbolic link to a place outside" in w for w in warnings)
    urls = [link.url for link in load_issue(str(draft(root, "shop"))).links]
    assert urls.count("https://good.example/guide") == 1   # reached through every loop, picked once
    assert not [u for u in urls if "secret" in u]
    assert "secret" not in draft(root, "shop").read_text()


# ---------------------------------------------------------------- local feed paths stay inside content/

def test_a_local_feed_path_outside_content_is_an_error_naming_the_file_and_key(tmp_path):
    write(tmp_path / "outside" / "secret.xml", feed("secret").decode())
    root = project(tmp_path / "a" / "b" / "site", {"shop": ["a"]})
    niche = root / "content" / "niches" / "shop.md"
    niche.write_text(niche.read_text().replace("- url: ../sources/a.xml", "- url: ../sources/a.xml\n  name: A\n"
                                               "- url: ../../../../../outside/secret.xml"), encoding="utf-8")
    proc = openhand(root, "curate", "--date", DATE, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: {niche}: feeds[1].url: '../../../../../outside/secret.xml' is ")
    assert "outside the content folder" in line and "fix: put the feed file under content/" in line
    assert not draft(root, "shop").exists()

    # A symbolic link inside content/ to a file outside is refused the same way.
    niche.write_text(niche.read_text().replace("../../../../../outside/secret.xml", "../sources/link.xml"))
    os.symlink(tmp_path / "outside" / "secret.xml", root / "content" / "sources" / "link.xml")
    proc = openhand(root, "curate", "--date", DATE, check=False)
    assert proc.returncode == 2 and "feeds[1].url: '../sources/link.xml' is " in proc.stderr
    assert not draft(root, "shop").exists()
