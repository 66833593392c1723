"""The benchmark harness, run small so it cannot rot. No test here asserts a time.

`make bench` is only worth its figures if its input is what it claims (realistic
feeds, a server that honours ETag, the same pages for both builds) and if the
measurements read what they say; these tests check exactly that.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import feedparser
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402
import measure  # noqa: E402

TODAY = dt.date(2026, 11, 22)


def test_generated_feeds_look_like_trade_press_feeds():
    feeds = [feedparser.parse(corpus.feed_xml(i, 6, 50, TODAY).encode()) for i in range(6)]
    assert {f.version for f in feeds} == {"rss20", "atom10"}
    for feed in feeds:
        assert not feed.bozo, feed.bozo_exception
        assert len(feed.entries) == 50
        sizes = [len(e.summary) for e in feed.entries]
        assert 1500 <= sorted(sizes)[25] <= 3000  # ~2 KB of HTML per entry
        assert all(e.get("published_parsed") for e in feed.entries)
    links = [e.link for f in feeds for e in f.entries]
    assert any("utm_source=" in link for link in links)
    assert any("utm_" not in link for link in links)
    # Syndication: the same article reaches two feeds under different GUIDs and parameters.
    by_path: dict[str, set[str]] = {}
    for f in feeds:
        for e in f.entries:
            by_path.setdefault(e.link.split("?")[0], set()).add(e.id)
    assert sum(1 for ids in by_path.values() if len(ids) > 1) >= 20
    titles = [e.title for f in feeds for e in f.entries]
    assert any(t.startswith("Sponsored") for t in titles)  # something for exclusion rules to drop


def test_feeds_are_deterministic():
    assert corpus.feed_xml(3, 10, 20, TODAY) == corpus.feed_xml(3, 10, 20, TODAY)


def test_niche_files_load_with_the_curators_own_loader(tmp_path):
    from curator.model.niches import load_niches

    corpus.write_niches(tmp_path / "content", "http://127.0.0.1:9", feeds=25, niches=10)
    niches = load_niches(str(tmp_path / "content" / "niches"))
    assert len(niches) == 10
    urls = {f.url for n in niches.values() for f in n.feeds}
    assert urls == {"http://127.0.0.1:9" + corpus.feed_path(i) for i in range(25)}
    assert any(len(n.feeds) > 25 // 10 for n in niches.values())  # feeds shared between niches


@pytest.fixture
def feed_server():
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "feedserver.py"), "--feeds", "3", "--entries", "5",
                             "--latency", "0.01", "--date", TODAY.isoformat()], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().split()[1])
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _get(url: str, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_feed_server_honours_etag_and_gzip_and_counts(feed_server):
    status, headers, body = _get(feed_server + corpus.feed_path(0))
    assert status == 200 and feedparser.parse(body).entries
    etag = headers["ETag"]
    status, _, body = _get(feed_server + corpus.feed_path(0), **{"If-None-Match": etag})
    assert (status, body) == (304, b"")
    status, headers, body = _get(feed_server + corpus.feed_path(0), **{"If-None-Match": '"other"'})
    assert status == 200
    status, headers, zipped = _get(feed_server + corpus.feed_path(1), **{"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and len(feedparser.parse(gzip.decompress(zipped)).entries) == 5
    assert _get(feed_server + "/feeds/nope.xml")[0] == 404
    stats = json.loads(_get(feed_server + "/_stats")[2])
    assert stats["200"] == 3 and stats["304"] == 1 and stats["404"] == 1 and stats["entries_served"] == 15


def test_webring_peer_gets_every_entry_newest_first(feed_server, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(feed_server + corpus.feed_path(i) for i in range(3)))
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "webring.py"), str(urls)],
                          capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(proc.stdout)["entries"] == 15


def test_measure_reads_the_memory_of_the_whole_process_tree():
    # A parent holding ~20 MB starts a child holding ~80 MB: the tree's peak is their sum.
    code = ("import subprocess, sys, time; a = bytearray(20 * 2**20); "
            "subprocess.run([sys.executable, '-c', 'import time; b = bytearray(80 * 2**20); time.sleep(0.6)'])")
    run = measure.run([sys.executable, "-c", code], sample=0.02)
    assert run.returncode == 0
    assert run.maxrss_mb >= 80  # the largest single process (the child, reaped by the parent)
    assert run.tree_rss_mb >= 100
    assert measure.summary([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}


def test_quick_bench_runs_every_part_and_writes_results(tmp_path):
    out = tmp_path / "latest.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--work", str(tmp_path / "work"),
                           "--out", str(out)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Targets" in proc.stdout and "Curation" in proc.stdout and "Build" in proc.stdout
    results = json.loads(out.read_text())
    cfg = results["meta"]["config"]
    feeds = cfg["feeds"][0]

    curation = results["curation"]["sizes"][str(feeds)]
    assert "error" not in curation, curation.get("error")
    assert curation["drafts"] == cfg["niches"]  # every niche got its draft, cold and warm
    assert curation["cold_entries_parsed"] == feeds * cfg["entries"]
    assert curation["webring_runs"][0]["entries"] == feeds * cfg["entries"]
    for key in ("cold_s", "warm_s", "webring_s", "webring_over_cold", "cold_rss_mb"):
        assert set(curation[key]) == {"median", "min", "max", "n"}

    build = results["build"]["sizes"][str(cfg["articles"][0])]
    assert build["source_pages"] == cfg["articles"][0] + cfg["niches"] * cfg["issues"]
    assert build["emails"] == cfg["niches"] * cfg["issues"]
    assert build["vanilla_html_files"] > cfg["articles"][0] and build["openhand_html_files"] > cfg["articles"][0]
    assert build["openhand_over_vanilla"]["median"] > 0

    assert results["email"]["renders"] == cfg["emails"] and results["email"]["ms"]["n"] == cfg["emails"]
    assert {t["target"] for t in results["targets"]} >= {"cold curation wall", "warm curation wall",
                                                          "email render median (whole .eml)"}
    runs = results["sending"]["runs"]
    assert set(runs) == {"sequential_25ms", "concurrent_25ms", "sequential_0ms", "concurrent_0ms",
                         "concurrent_0ms_small"}
    for name, run in runs.items():  # the relay counted one copy per subscriber, and the send said how long it took
        assert run["messages"] == run["recipients"] == run["expected"] and run["duplicates"] == 0, name
        assert run["send_s"] is not None and run["commits"] >= 1, name
    readers = results["readers"]  # the endpoint answered every request and the database holds what it should
    assert readers["ok"] == readers["requests"] == readers["joining"] + readers["leaving"]
    assert readers["lost_or_wrong"] == readers["doubled"] == readers["others_changed"] == 0
    assert readers["confirmations"] == readers["joining"] and readers["p99_ms"] >= readers["p50_ms"] > 0


def test_the_relevance_bench_reports_the_blind_set_apart_from_the_tuned_and_held_out_sets():
    from relevance import bench as relevance

    sets = relevance.load()
    slugs = {name: [c.niche.slug for c in corpora] for name, corpora in sets.items()}
    assert slugs[relevance.BLIND] == ["bookkeepers", "salons"]
    assert {"cafes", "physio"} <= set(slugs[relevance.HELD_OUT])   # the first blind set, looked into since
    assert set(slugs[relevance.BLIND]).isdisjoint(slugs[relevance.TUNED] + slugs[relevance.HELD_OUT])
    for corpus_ in sets[relevance.BLIND]:  # four labelled rounds, read through the real cleaner
        assert sorted(corpus_.items) == [1, 2, 3, 4] and all(corpus_.items.values())
    results = relevance.run()
    assert {v[0].split("(")[1].split(")")[0] for v in relevance.verdicts(results)} == {"tuned", "held-out", "blind"}
    assert any(line.startswith("  blind     salons") for line in relevance.table(results))


def test_the_relevance_bench_counts_a_story_an_earlier_issue_carried_as_a_repeat_and_a_zero():
    from types import SimpleNamespace

    from relevance import bench as relevance

    def item(key, label, story):
        return relevance.Item("F", {"key": key, "title": key}, label, story, 1)

    pool = [item("a.example/1", 2, "s1"), item("b.example/2", 2, "s2"), item("c.example/3", 1, "s3")]
    links = [SimpleNamespace(url=f"https://{i.entry['key']}") for i in pool[:2]]
    fresh = relevance.measure(links, pool, 2)
    assert fresh["precision"] == 1.0 and fresh["duplicates"] == fresh["repeats"] == 0
    again = relevance.measure(links, pool, 2, frozenset({"s2"}))   # s2 went out last week under another URL
    assert again["repeats"] == 1 and again["duplicates"] == 1 and again["precision"] == 0.5
    assert again["ndcg"] < fresh["ndcg"]
