"""Serve the hostile corpus on 127.0.0.1, curate it with `openhand curate`, publish and build it.

One run covers every case: the cases are grouped into a few niches (about ten feeds
each, plus a good control feed per niche), curated in one `openhand curate` process,
the drafts published and the site built once. Tests then read what came out.
"""

from __future__ import annotations

import datetime as dt
import gzip
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from support.feedserver import FeedServer, Route, niche_text, rss
from support.once import built_once
from support.project import build, copy_project, openhand, write

HERE = Path(__file__).resolve().parent
DATE = dt.date(2026, 11, 22)
GROUP_SIZE = 10
KEYWORD = "ledger"
KEYWORDS = [KEYWORD, "台账", "帳簿"]   # "ledger" in Chinese and Japanese, which are written without spaces
MAX_BYTES = 1_000_000
SETTINGS = f'''
# hostile corpus: short timeouts and a 1 MB cap so faults are quick
CURATE_CONNECT_TIMEOUT = 1.0
CURATE_READ_TIMEOUT = 0.5
CURATE_MAX_BYTES = {MAX_BYTES}
CURATE_WORKERS = 16
'''
# Extra paths some cases point at (the 301's new home).
EXTRA_ROUTES = {"/moved/new.xml": "good-body.xml"}


@dataclass
class Case:
    name: str
    niche: str
    url: str
    warn: str | None
    links: list[str]
    spec: dict = field(default_factory=dict)


@dataclass
class Corpus:
    project: Path
    base: str
    cases: list[Case]
    controls: dict[str, list[str]]       # niche -> the control feed's links
    control_urls: dict[str, str]         # niche -> the control feed's URL
    curate_stderr: str
    curate_stdout: str
    drafts: dict[str, Path]              # niche -> draft path


H = "https://hostile.example"
DATED = "Fri, 20 Nov 2026 10:00:00 GMT"
# Cases too big to keep in git: items made at test time (values go into the XML as they are).
GENERATED = {
    "many-entries": lambda: [{"title": f"Filler entry {i}", "link": f"{H}/many-entries/{i}", "date": DATED,
                              "description": "nothing to see", "guid": f"m{i}"} for i in range(4000)]
    + [{"title": "Ledger needle in a haystack", "link": f"{H}/many-entries/needle", "date": DATED,
        "description": "the one that matters"}],
    "deep-nesting": lambda: [{"title": "Ledger deeply nested summary", "link": f"{H}/deep-nesting/1", "date": DATED,
                              "description": "&lt;div&gt;" * 15000 + "ledger" + "&lt;/div&gt;" * 15000}],
    # 24,000 open <ul><li><blockquote><div> and 6,000 <p><b id=...> never closed (each <b> reopened in
    # every later paragraph): each cost a sanitiser the square of its depth.
    "deep-blocks": lambda: [{"title": "Ledger in deeply nested blocks", "link": f"{H}/deep-blocks/1", "date": DATED,
                             "description": "&lt;ul&gt;&lt;li&gt;&lt;blockquote&gt;&lt;div&gt;" * 6000 + "ledger"
                             + "&lt;/div&gt;&lt;/blockquote&gt;&lt;/li&gt;&lt;/ul&gt;" * 6000}],
    "deep-formatting": lambda: [{"title": "Ledger in reopened formatting", "link": f"{H}/deep-formatting/1",
                                 "date": DATED, "description": "ledger " + "".join(
                                     f"&lt;p&gt;&lt;b id={i}&gt;x&lt;/p&gt;" for i in range(6000))}],
    "long-word-summary": lambda: [{"title": "Ledger with one enormous word", "link": f"{H}/long-word-summary/1",
                                   "date": DATED, "description": "ledger " + "A" * 120_000}],
    "long-url": lambda: [{"title": "Ledger with an enormous URL", "link": f"{H}/long-url/1?q=" + "a" * 60_000,
                          "date": DATED, "description": "x"}],
}


# Bodies made at test time that are not RSS items.
RAW = {
    "entity-bomb": lambda: (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "' + b"A" * 80_000 + b'">\n]>\n'
                            b"<rss version=\"2.0\"><channel><title>bomb</title>" + b"".join(
                                b"<item><title>Ledger bomb %d</title><link>%s/entity-bomb/%d</link><description>"
                                % (i, H.encode(), i) + b"&big;" * 1000 + b"</description></item>" for i in range(10))
                            + b"</channel></rss>"),
    "json-feed-deep": lambda: (b'{"version": "https://jsonfeed.org/version/1.1", "title": "deep", "items": [{"id": "1",'
                               b' "url": "https://hostile.example/json-feed-deep/1", "title": "Ledger", "tags": '
                               + b"[" * 100_000 + b"]" * 100_000 + b"}]}"),
}


def manifest() -> list[dict]:
    return yaml.safe_load((HERE / "manifest.yaml").read_text(encoding="utf-8"))


def _body(spec: dict) -> bytes:
    kind = spec.get("generate")
    if kind in ("big", "big-unsized"):
        return b"<rss>" + b"x" * 50_000_000   # 50 MB: refused by the cap without reading it
    if kind == "gzip-bomb":
        return gzip.compress(b"\0" * 100_000_000, 9)   # 100 MB of zeros in ~100 KB
    if kind in GENERATED:
        return rss(kind, GENERATED[kind]())
    if kind in RAW:
        return RAW[kind]()
    if spec.get("file"):
        return (HERE / spec["file"]).read_bytes()
    return b""


def route(spec: dict) -> Route:
    route = Route(body=_body(spec), status=int(spec.get("status", 200)),
                  content_type=spec.get("content_type", "application/rss+xml; charset=utf-8"),
                  location=spec.get("location"), delay=float(spec.get("delay", 0)),
                  trickle=float(spec.get("trickle", 0)), headers=dict(spec.get("headers") or {}))
    if spec.get("generate") == "gzip-bomb":
        route.raw_gzip, route.body = route.body, b""
    if spec.get("generate") == "big-unsized":
        route.send_length = False
    return route


def control_feed(niche: str) -> tuple[bytes, list[str]]:
    links = [f"https://control.example/{niche}/{i}" for i in (1, 2)]
    items = [{"title": f"Control ledger tip {i} for {niche}", "link": link, "description": "A calm, useful ledger tip.",
              "date": f"Thu, {18 + i} Nov 2026 09:00:00 GMT", "guid": link} for i, link in enumerate(links, 1)]
    return rss(f"Control {niche}", items), links


def publish(path: Path) -> None:
    """What an editor does after review: status draft -> published (the only change)."""
    text = path.read_text(encoding="utf-8")
    assert "\nstatus: draft\n" in text
    path.write_text(text.replace("\nstatus: draft\n", "\nstatus: published\n", 1), encoding="utf-8")


def build_corpus(tmp: Path) -> Corpus:
    specs = manifest()
    project = copy_project(tmp / "site", content=False)
    with open(project / "pelicanconf.py", "a", encoding="utf-8") as handle:
        handle.write(SETTINGS)
    with FeedServer() as server:
        # socketserver listens with a backlog of 5: sixteen fetch threads connecting at once would
        # overflow it and see connect timeouts that a real server would not cause. Widen it.
        server.httpd.socket.listen(128)
        base = server.base
        for path, name in EXTRA_ROUTES.items():
            server.add(path, Route(body=(HERE / name).read_bytes()))
        cases, controls, control_urls = [], {}, {}
        groups = [specs[i:i + GROUP_SIZE] for i in range(0, len(specs), GROUP_SIZE)]
        for number, group in enumerate(groups, 1):
            niche = f"hostile-{number}"
            body, controls[niche] = control_feed(niche)
            control_urls[niche] = server.add(f"/control/{niche}.xml", body=body)
            feeds = [(control_urls[niche], f"Control {niche}", 1.0)]
            for spec in group:
                url = server.add(f"/c/{spec['name']}.xml", route(spec))
                fill = {"server": base}
                cases.append(Case(spec["name"], niche, url,
                                  spec["warn"].format(**fill) if spec.get("warn") else None,
                                  [link.format(**fill) for link in spec.get("links") or []], spec))
                feeds.append((url, f"Case {spec['name']}", 1.0))
            write(project / "content" / "niches" / f"{niche}.md",
                  niche_text(feeds, keywords=KEYWORDS, title=f"Hostile {number}", max_links=100, per_source=10,
                             sections=[("Money", ["ledger"])]))
        proc = openhand(project, "curate", "--date", DATE.isoformat(), check=False, timeout=120)
    drafts = {}
    for niche in controls:
        path = project / "content" / "newsletters" / niche / f"{DATE.isoformat()}.md"
        if path.exists():
            drafts[niche] = path
    corpus = Corpus(project, base, cases, controls, control_urls, proc.stderr, proc.stdout, drafts)
    corpus.returncode = proc.returncode
    return corpus


PREVIEWS = "preview-drafts"
PUBLISHED = "output-published"


def publish_and_build(corpus: Corpus) -> None:
    """Build the drafts (previews only: what the editor opens first), keep those, then publish and build."""
    import shutil

    build(corpus.project)
    preview = corpus.project / "preview"
    if preview.is_dir():  # same depth as preview/, so its relative links to output/ still work
        shutil.copytree(preview, corpus.project / PREVIEWS)
    for path in corpus.drafts.values():
        publish(path)
    build(corpus.project, "publishconf.py", "-o", PUBLISHED)   # what goes live: absolute URLs, feeds
    build(corpus.project)


_BUILT: dict[str, Corpus] = {}


def _make_corpus(folder: Path) -> Path:
    from curator.model.issues import load_issue

    corpus = build_corpus(folder)
    corpus.issues = {niche: load_issue(str(path)) for niche, path in corpus.drafts.items()}
    publish_and_build(corpus)
    saved = folder / "corpus.pickle"
    saved.write_bytes(pickle.dumps(corpus))
    return saved


def built_corpus(tmp_path_factory) -> Corpus:
    """The corpus curated, its drafts loaded (as curated), published and built; once per test session, by
    whichever worker asks first (support/once.py), the other reading what it recorded."""
    if "corpus" not in _BUILT:
        _BUILT["corpus"] = pickle.loads(built_once(tmp_path_factory, "hostile", _make_corpus).read_bytes())
    return _BUILT["corpus"]


def lines_naming(text: str, url: str) -> list[str]:
    """Log lines that name a feed (by its URL as a whole word, so /c/a.xml is not /c/a.xml-b)."""
    pattern = re.compile(re.escape(url) + r"(?![\w.-])")
    return [line for line in text.splitlines() if pattern.search(line)]
