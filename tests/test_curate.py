"""Curation end to end: the right picks in the right order, drafts editors can trust.

In-process runs for the pipeline (fast), the `openhand` command in a subprocess
for what a user sees: exit codes, the summary, untouched edited drafts, kills.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curator.curation.curate import DIGEST, curate
from curator.curation.digest import digest
from curator.curation.pools import LimitedPool, Limits
from curator.curation.tracking import tracking_params
from curator.model.issues import load_issue
from curator.model.niches import load_niche
from support.budget import rounds
from support.feedserver import FeedServer, load_settings, make_project, niche_text, rss
from support.project import OPENHAND, ROOT, copy_project, openhand, start_openhand, write

DATE = dt.date(2026, 11, 22)


def item(title, link, day, desc="", guid=None):
    return {"title": title, "link": link, "description": desc or "About money for owners.",
            "date": f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][dt.date(2026, 11, day).weekday()]}, "
                    f"{day:02d} Nov 2026 10:00:00 GMT", "guid": guid}


PICK = """---
url: "https://www.dol.gov/tips-fact-sheet?utm_source=newsletter"
title: "DOL: <em>tips</em> fact sheet"
niches: [shop]
note: "The rules from the agency that enforces them."
---
"""

EARLIER = """---
niche: shop
number: 4
date: 2026-10-01
status: published
subject: Issue four
links:
  - url: "https://a.example/payroll-calendar"
    title: Payroll calendar
    note: Sent last time.
---
"""


def test_the_draft_holds_the_right_picks_in_the_right_order(tmp_path):
    feed_a = rss("A", [
        item("Payroll tips for owners", "https://a.example/payroll-tips?utm_source=a", 20),
        item("Payroll calendar", "https://a.example/payroll-calendar", 18),
        item("Tips jar etiquette", "https://a.example/tips-jar", 19),
        item("Sponsored: payroll software", "https://a.example/ad", 21),
        item("Gardening for beginners", "https://a.example/garden", 21),
        item("Payroll rules for 2027", "https://a.example/rules-2027", 17),
    ])
    feed_b = rss("B", [
        item("Payroll tips for owners", "https://a.example/payroll-tips?utm_campaign=b&amp;fbclid=x", 20),
        item("Tips and payroll in one page", "https://b.example/one-page", 10),
        item("Payroll hack", "javascript:alert(1)", 21),
        item("&lt;script&gt;alert(1)&lt;/script&gt;Tip pooling &lt;b&gt;payroll&lt;/b&gt; rules",
             "https://b.example/pooling", 15, desc="&lt;img src=x onerror=alert(2)&gt;Who shares."),
    ])
    with FeedServer() as server:
        a = server.add("/a.xml", body=feed_a)
        b = server.add("/b.xml", body=feed_b)
        niche = niche_text([(a, "Feed A", 2.0), (b, "Feed B", 1.0)], keywords=["payroll", "tips"],
                           exclude=["sponsored"], max_links=5, per_source=2,
                           sections=[("Money", ["calendar"]), ("People", ["tips", "payroll"])])
        root = make_project(tmp_path, {"shop": niche}, {"dol": PICK})
        write(root / "content" / "newsletters" / "shop" / "2026-10-01.md", EARLIER)
        result = curate(load_settings(root), date=DATE)

    report = result.niches[0]
    assert (report.seen, report.picked) == (9, 5)   # the javascript: entry never counts
    issue = load_issue(report.draft.path)
    assert (issue.niche, issue.number, issue.date, issue.status) == ("shop", 5, DATE, "draft")
    assert [link.url for link in issue.links] == [
        "https://www.dol.gov/tips-fact-sheet",          # hand-picked first, utm gone
        "https://a.example/payroll-tips",               # best score; its duplicate from B dropped
        "https://a.example/tips-jar",                   # A's second; A's third is over per_source
        "https://b.example/pooling",                    # 'Tip' is a form of 'tips' (stemmed): newer than...
        "https://b.example/one-page",                   # ...this one, which matches as many keywords
    ]
    titles = [link.title for link in issue.links]
    assert titles[0] == "DOL: tips fact sheet" and titles[3] == "Tip pooling payroll rules"
    assert issue.links[3].summary == "Who shares."
    assert issue.links[0].note == "The rules from the agency that enforces them."
    assert issue.links[0].why == "hand-picked by the editor"
    assert "matches 'payroll', 'tips' in the title" in issue.links[1].why
    assert "source weight 2 (Feed A)" in issue.links[1].why
    assert [link.source for link in issue.links[1:]] == ["Feed A", "Feed A", "Feed B", "Feed B"]
    assert issue.links[1].section == "People"
    assert all(not tracking_params(link.url) for link in issue.links)
    text = Path(report.draft.path).read_text(encoding="utf-8")
    assert "<" not in text and "javascript" not in text and "utm_" not in text
    assert issue.body == ""


def local_project(tmp_path, n_feeds=2, entries=12):
    """A project whose feeds are files next to the content, as the demo's are."""
    feeds = []
    for f in range(n_feeds):
        body = rss(f"Feed {f}", [item(f"Payroll tip {f}-{i}", f"https://f{f}.example/{i}", 1 + (i * 2 + f) % 28)
                                 for i in range(entries)])
        (tmp_path / "content" / "sources").mkdir(parents=True, exist_ok=True)
        (tmp_path / "content" / "sources" / f"feed{f}.xml").write_bytes(body)
        feeds.append((f"../sources/feed{f}.xml", f"Feed {f}", 1.0))
    return make_project(tmp_path, {"shop": niche_text(feeds, keywords=["payroll"], max_links=4)})


def test_cadence_skips_a_draft_until_forced_and_never_repeats_a_link(tmp_path):
    root = local_project(tmp_path)
    openhand(root, "curate", "--date", "2026-11-22")
    soon = openhand(root, "curate", "--date", "2026-12-01")
    assert "skipped (issue 1 is dated 2026-11-22 and the cadence is monthly" in soon.stdout
    assert not (root / "content" / "newsletters" / "shop" / "2026-12-01.md").exists()

    openhand(root, "curate", "--date", "2026-12-01", "--force")
    first = load_issue(str(root / "content" / "newsletters" / "shop" / "2026-11-22.md"))
    second = load_issue(str(root / "content" / "newsletters" / "shop" / "2026-12-01.md"))
    assert second.number == 2 and len(second.links) == 4
    assert not {link.url for link in first.links} & {link.url for link in second.links}


@pytest.mark.parametrize("args, niche_edit, message", [
    (("--date", "22/11/2026"), None, "--date '22/11/2026' is not a date; write it as YYYY-MM-DD"),
    (("--niche", "bakery"), None, "--niche bakery: no such niche"),
    ((), ("cadence: monthly", "cadence: fortnightly"), "shop.md: cadence: must be one of weekly, biweekly, monthly"),
    ((), ("max_links: 4", "max_links: many"), "shop.md: max_links: must be a whole number"),
])
def test_configuration_errors_exit_2_naming_the_file_and_field(tmp_path, args, niche_edit, message):
    root = local_project(tmp_path)
    if niche_edit:
        path = root / "content" / "niches" / "shop.md"
        path.write_text(path.read_text().replace(*niche_edit), encoding="utf-8")
    proc = openhand(root, "curate", *args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not list((root / "content" / "newsletters").rglob("*.md"))


@pytest.mark.fuzz
def test_a_kill_mid_run_never_leaves_a_half_written_file(tmp_path):
    root = local_project(tmp_path, n_feeds=30, entries=20)
    draft = root / "content" / "newsletters" / "shop" / "2026-11-22.md"
    # Kills land inside a run however fast this machine is: measured runs, cold (no cache) and warm.
    took = {}
    for kind in ("cold", "warm"):
        start = time.monotonic()
        openhand(root, "curate", "--date", "2026-11-22")
        took[kind] = time.monotonic() - start
        draft.unlink()
    rng = random.Random(7)
    killed = 0
    runs = rounds(20)
    for n in range(runs):
        kind = "cold" if n % 2 else "warm"
        if kind == "cold":
            shutil.rmtree(root / "cache", ignore_errors=True)
        proc = start_openhand(root, "curate", "--date", "2026-11-22")
        time.sleep(rng.uniform(0.1, 0.9) * took[kind])
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
        leftovers = [p for p in root.rglob("*") if p.name.endswith(".tmp")]
        # mkstemp names are hidden temp files; a kill can leave one, never a half-written real file.
        for path in root.rglob("*.json"):
            json.loads(path.read_text(encoding="utf-8"))
        if draft.exists():
            assert len(load_issue(str(draft)).links) == 4
            draft.unlink()
        for tmp in leftovers:
            assert tmp.name.startswith(".")
            tmp.unlink()
    assert killed >= runs // 4, f"only {killed} of {runs} runs were killed mid-run"
    openhand(root, "curate", "--date", "2026-11-22")
    assert len(load_issue(str(draft)).links) == 4


def test_a_parser_worker_imports_what_parsing_needs_and_not_the_choosing_half():
    """Every run with a body to parse starts a fresh keeper process that imports DIGEST's module: the
    choosing half (niches, YAML front matter, the network) doubled what each one took to start."""
    module = DIGEST.split(":")[0]
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'plugins')!r}); import curator.curation.keeper, {module}; "
            f"{module}.digest(b'<rss><channel><item><title>t</title><link>https://a.example/</link></item>"
            "</channel></rss>', {}, 'https://a.example/feed', 40); print(' '.join(sorted(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    assert {"feedparser", "nh3", "curator.curation.clean"} <= loaded
    assert not loaded & {"curator.curation.pipeline", "curator.curation.choice", "curator.model.niches",
                         "frontmatter", "yaml", "urllib3", "markdown", "pelican"}


def test_parsing_in_a_process_pool_gives_the_same_entries(tmp_path):
    bodies = {
        f"feed{f}": rss(
            f"Feed {f}",
            [
                item(
                    f"Payroll {f}-{i} " + "word " * 60,
                    f"https://f{f}.example/{i}",
                    1 + i % 28,
                    desc="Long summary " * 40,
                )
                for i in range(150)
            ],
        )
        for f in range(8)
    }
    assert sum(map(len, bodies.values())) > 512 * 1024
    jobs = {k: (b, {"content-type": "application/rss+xml"}, f"https://{k}.example/feed", 60) for k, b in bodies.items()}
    with LimitedPool(DIGEST, 2, Limits(512, 10, 30)) as pool:
        for key, job in jobs.items():
            pool.submit(key, *job)
        assert pool.results() == {k: digest(*job) for k, job in jobs.items()}


def test_the_demo_curates_offline_into_drafts_that_offer_what_the_editor_published(tmp_path):
    """The shipped issues are the editor's edit of a draft an older scorer wrote: the draft of today's
    curator must offer most of what the editor kept, in `links:` or as a runner-up under `more:`."""
    project = copy_project(tmp_path / "demo")
    shipped = {}
    for path in sorted((project / "content" / "newsletters").glob("*/2026-11-22.md")):
        issue = load_issue(str(path))
        assert issue.status == "published" and all(link.note for link in issue.links)
        shipped[issue.niche] = [link.url for link in issue.links]
        path.unlink()
    assert sorted(shipped) == ["dental", "nonprofits", "restaurants"]

    proc = openhand(project, "curate", "--date", "2026-11-22")
    for slug, urls in shipped.items():
        draft = load_issue(str(project / "content" / "newsletters" / slug / "2026-11-22.md"))
        links, more = [link.url for link in draft.links], [link.url for link in draft.more]
        assert links[:2] == urls[:2] or links[0] == urls[0], slug  # the editor's hand-picks lead
        assert sum(u in links for u in urls) >= 2 * len(urls) / 3, (slug, links)
        assert sum(u in links + more for u in urls) >= 0.8 * len(urls), (slug, links, more)
        assert 0 < len(more) <= 5 and not set(links) & set(more)  # CURATE_RUNNERS_UP, per_source each
    assert proc.stderr.count("broken-feed.xml") == 1 and "malformed" in proc.stderr

    # A later run (with the shipped issues as history) still finds fresh links for every niche.
    for slug in shipped:
        shutil.copy(ROOT / "content" / "newsletters" / slug / "2026-11-22.md",
                    project / "content" / "newsletters" / slug / "2026-11-22.md")
    later = openhand(project, "curate", "--date", "2027-03-01")
    for slug, urls in shipped.items():
        draft = load_issue(str(project / "content" / "newsletters" / slug / "2027-03-01.md"))
        assert draft.number == 2 and len(draft.links) >= 3, slug
        assert not set(urls) & {link.url for link in draft.links}
    assert later.returncode == 0


def test_on_a_terminal_the_summary_is_a_table(tmp_path):
    import pty

    root = local_project(tmp_path)
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(OPENHAND), "--settings", "pelicanconf.py", "curate", "--date", "2026-11-22"],
                            cwd=root, stdin=slave, stdout=slave, stderr=slave,
                            env={**os.environ, "COLUMNS": "200", "TERM": "xterm"})
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    text = output.decode("utf-8", "replace")
    assert "Curation" in text and "entries seen" in text and "┃" in text
    assert "wrote content/newsletters/shop/2026-11-22.md" in text


def test_a_hand_picked_link_goes_into_one_issue_only(tmp_path):
    root = local_project(tmp_path)
    write(root / "content" / "links" / "guide.md", PICK.replace("[shop]", "[shop]\nsection: ''"))
    first = curate(load_settings(root), date=DATE).niches[0]
    second = curate(load_settings(root), date=DATE + dt.timedelta(days=31)).niches[0]
    assert first.links[0].url == "https://www.dol.gov/tips-fact-sheet" and first.links[0].hand_picked
    assert second.draft.number == 2
    assert "https://www.dol.gov/tips-fact-sheet" not in [c.url for c in second.links]
    assert len(second.links) == 4


def test_a_niche_without_keywords_takes_the_newest_entries(tmp_path):
    root = local_project(tmp_path)
    path = root / "content" / "niches" / "shop.md"
    path.write_text(path.read_text().replace("keywords:\n- payroll\n", "keywords: []\n"), encoding="utf-8")
    report = curate(load_settings(root), date=DATE).niches[0]
    assert report.picked == 4
    assert all("the niche has no keywords" in c.why for c in report.links)
    dates = [c.date for c in report.links]
    assert dates == sorted(dates, reverse=True)



def test_worker_processes_write_the_same_drafts_as_one_process(tmp_path):
    """Many feeds parse, and many entries are scored, in forked workers; on a warm run the niches are
    chosen early from the cache while the feeds download, and a niche whose feed changed is chosen
    again. Every draft must be the one a single process writes (12 feeds, 2400 entries)."""
    topics = ["payroll", "cash flow", "tax", "hiring", "pricing", "insurance"]
    drafts, logs = {}, {}

    def run(processes: int, kind: str) -> None:
        project = tmp_path / f"p{processes}"
        logs[processes, kind] = openhand(project, "curate", "--date", DATE.isoformat(), "--verbose").stderr
        folder = project / "content" / "newsletters"
        drafts[processes, kind] = {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.glob("*/*.md"))}
        for path in folder.glob("*/*.md"):
            path.unlink()

    with FeedServer() as server:
        feeds = []
        for n in range(12):
            items = [
                item(
                    f"{topics[(n + i) % 6].title()} note {n}-{i} for owners",
                    f"https://f{n}.example/{i}?utm_source=x",
                    1 + (i % 21),
                    desc=f"&lt;p&gt;How {topics[i % 6]} works, part {i}, with {topics[(i + n) % 6]}.&lt;/p&gt;",
                    guid=f"f{n}-{i}",
                )
                for i in range(200)
            ]
            feeds.append(server.add(f"/f{n}.xml", body=rss(f"Feed {n}", items), etag=f'"{n}-v1"'))
        niches = {
            slug: niche_text(
                [(url, f"Feed {i}", 1.0 + i / 10) for i, url in enumerate(feeds) if i % 2 == k or i < 4],
                keywords=topics[k::2],
                sections=[("Money", ["cash flow", "tax"]), ("People", ["hiring"])],
            )
            for k, slug in enumerate(["shop", "cafe"])
        }
        for processes in (1, 2):
            project = make_project(tmp_path / f"p{processes}", niches)
            write(project / "pelicanconf.py", (project / "pelicanconf.py").read_text()
                  + f"CURATE_PARSE_PROCESSES = {processes}\nCURATE_MAX_BYTES = 2_000_000\n")
            run(processes, "cold")
        # Feed 5 (read by cafe only) gets a new, best-matching entry; the other eleven answer 304.
        news = item("Cash flow, hiring and insurance: the newest guide", "https://f5.example/new", 22,
                    desc="Cash flow, hiring and insurance.", guid="f5-new")
        server.add("/f5.xml", body=rss("Feed 5", [news]), etag='"5-v2"')
        for processes in (1, 2):
            run(processes, "warm")
    assert "worker processes" not in logs[1, "cold"] + logs[1, "warm"] and "early" not in logs[1, "warm"]
    assert "parsing feeds in 2 worker processes" in logs[2, "cold"]
    assert "chose links for 2 niches in 2 worker processes" in logs[2, "cold"]
    assert "chose links early for 1 of 2 niches" in logs[2, "warm"]
    assert sorted(drafts[2, "cold"]) == sorted(drafts[2, "warm"]) == ["cafe/2026-11-22.md", "shop/2026-11-22.md"]
    assert drafts[2, "cold"] == drafts[1, "cold"] and drafts[2, "warm"] == drafts[1, "warm"]
    assert drafts[2, "warm"]["shop/2026-11-22.md"] == drafts[2, "cold"]["shop/2026-11-22.md"]
    assert "https://f5.example/new" in drafts[2, "warm"]["cafe/2026-11-22.md"]
    assert "https://f5.example/new" not in drafts[2, "cold"]["cafe/2026-11-22.md"]


def test_a_warm_run_reuses_the_cached_entries_without_cleaning_them_again(tmp_path, monkeypatch):
    """Entries this cleaner wrote (stamped) are reused as they are when a feed answers 304: the cache
    round trip (keys sorted on disk) must not break the stamp and make every warm run clean it all again."""
    from curator.curation import clean, pools

    items = [item(f"Payroll note {i} &amp; tips", f"https://a.example/{i}?utm_source=x", 1 + i % 20,
                  desc=f"&lt;p&gt;Caf\u00e9 payroll \u2014 part {i}.&lt;/p&gt;") for i in range(30)]
    with FeedServer() as server:
        url = server.add("/a.xml", body=rss("A", items), etag='"v1"')
        root = make_project(tmp_path, {"shop": niche_text([(url, "Feed A", 1.0)], keywords=["payroll"])})
        first = curate(load_settings(root), date=DATE)
        os.unlink(first.niches[0].draft.path)  # so the second run curates again
        cleaned, started = [], []
        real = clean.clean_entry
        monkeypatch.setattr(clean, "clean_entry", lambda *a, **k: cleaned.append(a) or real(*a, **k))
        real_start = pools.LimitedPool.start
        monkeypatch.setattr(pools.LimitedPool, "start", lambda pool: started.append(pool) or real_start(pool))
        second = curate(load_settings(root), date=DATE)
    assert first.parsed == 30 and second.parsed == 0
    assert started == []  # nothing to parse: no worker process either
    (feed,) = second.feeds.values()
    assert feed.status == "not modified" and len(feed.entries) == 30
    assert cleaned == []


def test_upper_case_schemes_in_the_editors_files_are_links_written_lower_case(tmp_path):
    from curator.model.picks import load_pick

    niche = load_niche(str(write(tmp_path / "niches" / "shop.md",
                                 niche_text([("HTTPS://Feed.example/a.xml", "A", 1.0)], keywords=["payroll"]))))
    (feed,) = niche.feeds
    assert feed.url == feed.location == "https://Feed.example/a.xml" and feed.is_remote
    pick = write(tmp_path / "links" / "guide.md", PICK.replace('url: "https://', 'url: "HTTPS://'))
    assert load_pick(str(pick), {"shop": niche}).url == "https://www.dol.gov/tips-fact-sheet?utm_source=newsletter"
    issue = write(tmp_path / "newsletters" / "shop" / "2026-10-01.md",
                  EARLIER.replace('"https://a.example/', '"HtTp://a.example/'))
    assert [link.url for link in load_issue(str(issue)).links] == ["http://a.example/payroll-calendar"]
