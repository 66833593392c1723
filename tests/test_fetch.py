"""Fetching over real HTTP (a local server): conditional GET, caps, timeouts, faults, back-off.

Curation runs in-process against tests/support/feedserver.py; each misbehaving
server must cost only its own feed, named once in a warning with the reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import logging
import os
import time

import pytest

from curator.curation import download, fetch
from curator.curation.curate import curate
from curator.model.issues import load_issue
from support.feedserver import FeedServer, Route, load_settings, make_project, niche_text, rss
from support.project import openhand

DATE = dt.date(2026, 11, 22)


def items(prefix: str, n: int, host: str = "https://news.example") -> list[dict]:
    return [{"title": f"{prefix} payroll tip {i}", "link": f"{host}/{prefix}/{i}",
             "description": f"Payroll help number {i}", "date": f"Mon, {16 - i % 10:02d} Nov 2026 10:00:00 GMT",
             "guid": f"{host}/{prefix}/{i}"} for i in range(n)]


GOOD = rss("Good feed", items("good", 5))


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


def project_with(tmp_path, feeds, **kwargs):
    kwargs.setdefault("per_source", 10)
    return make_project(tmp_path, {"shop": niche_text(feeds, keywords=["payroll"], **kwargs)})


def warnings_about(caplog, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and name in r.getMessage()]


def test_304_reuses_the_cache_and_parses_nothing(tmp_path, server):
    url = server.add("/good.xml", body=GOOD, etag='"v1"', last_modified="Mon, 16 Nov 2026 10:00:00 GMT")
    root = project_with(tmp_path, [(url, "Good", 1.0)])
    settings = load_settings(root)

    first = curate(settings, date=DATE)
    assert first.feeds[url].status == fetch.Status.OK and first.parsed == 5
    second = curate(settings, date=DATE + dt.timedelta(days=40))

    hits = server.hits_for("/good.xml")
    assert [h.status for h in hits] == [200, 304]
    assert hits[1].headers["if-none-match"] == '"v1"'
    assert hits[1].headers["if-modified-since"] == "Mon, 16 Nov 2026 10:00:00 GMT"
    assert "Openhand" in hits[0].headers["user-agent"] and "openhand.test" in hits[0].headers["user-agent"]
    assert second.feeds[url].status == fetch.Status.NOT_MODIFIED
    assert second.parsed == 0
    # The cached entries still count: the niche saw them (all already sent in issue 1, so none picked).
    assert second.niches[0].seen == 5


def test_each_failing_feed_is_named_once_with_its_reason_and_the_others_still_count(tmp_path, server, caplog):
    bomb = gzip.compress(b"\0" * 20_000_000)          # 20 MB of zeros in ~20 KB
    faults = {
        "/slow.xml": (Route(body=GOOD, delay=2.0), "timed out"),
        "/trickle.xml": (Route(body=GOOD, trickle=0.05), "timed out"),
        "/missing.xml": (Route(status=404), "HTTP 404"),
        "/error.xml": (Route(status=500), "HTTP 500"),
        "/loop-a.xml": (Route(status=302, location="/loop-b.xml"), "redirect loop"),
        "/big.xml": (Route(body=b"x" * 300_000), "over the 200,000-byte cap; not read"),
        "/big-unsized.xml": (Route(body=b"<rss>" + b"x" * 400_000, send_length=False), "over the 200,000-byte cap"),
        "/bomb.xml": (Route(raw_gzip=bomb), "once decompressed"),
        "/page.xml": (Route(body=b"<!DOCTYPE html><html><body><p>Hello</p></body></html>", content_type="text/html"),
                      "HTML page, not a feed"),
        "/json.xml": (Route(body=b'{"items": []}', content_type="application/json"), "JSON"),
        "/empty.xml": (Route(body=b""), "empty"),
    }
    for path, (route, _) in faults.items():
        server.add(path, route)
    server.add("/loop-b.xml", status=302, location="/loop-a.xml")
    good = server.add("/good.xml", body=GOOD)
    feeds = [(good, "Good", 1.0)] + [(server.url(p), f"Bad {p}", 1.0) for p in faults]
    root = project_with(tmp_path, feeds, max_links=10, per_source=10)
    settings = load_settings(root)

    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        result = curate(settings, date=DATE)
        elapsed = time.monotonic() - started

    for path, (_, reason) in faults.items():
        said = warnings_about(caplog, server.url(path))
        assert len(said) == 1, (path, said)
        assert reason in said[0], (path, said[0])
        assert result.feeds[server.url(path)].status == fetch.Status.FAILED
    assert not warnings_about(caplog, good)
    report = result.niches[0]
    assert report.failed == len(faults) and report.feeds_ok == 1
    issue = load_issue(report.draft.path)
    assert [link.url for link in issue.links] == [f"https://news.example/good/{i}" for i in range(5)]
    # Threads: the slow and trickling servers were waited for side by side, not one after the other.
    assert elapsed < 4.5


def test_410_marks_the_feed_gone_and_it_is_not_fetched_again(tmp_path, server, caplog):
    gone = server.add("/gone.xml", status=410)
    good = server.add("/good.xml", body=GOOD)
    root = project_with(tmp_path, [(good, "Good", 1.0), (gone, "Old blog", 1.0)])
    settings = load_settings(root)
    with caplog.at_level(logging.WARNING):
        curate(settings, date=DATE)
        caplog.clear()
        second = curate(settings, date=DATE + dt.timedelta(days=30))
    assert len(server.hits_for("/gone.xml")) == 1
    assert second.feeds[gone].status == fetch.Status.GONE
    (said,) = warnings_about(caplog, gone)
    assert "410 Gone" in said and "remove it from the niche file" in said


def test_301_warns_with_the_new_url_and_uses_the_entries(tmp_path, server, caplog):
    old = server.add("/old.xml", status=301, location="/new.xml")
    server.add("/new.xml", body=GOOD)
    root = project_with(tmp_path, [(old, "Moved", 1.0)])
    with caplog.at_level(logging.WARNING):
        result = curate(load_settings(root), date=DATE)
    (said,) = warnings_about(caplog, old)
    assert f"moved permanently to {server.url('/new.xml')}" in said
    assert result.niches[0].picked == 5


def test_429_retry_after_is_honoured_on_the_next_run(tmp_path, server, caplog):
    busy = server.add("/busy.xml", status=429, headers={"Retry-After": "3600"})
    good = server.add("/good.xml", body=GOOD)
    root = project_with(tmp_path, [(good, "Good", 1.0), (busy, "Busy", 1.0)])
    settings = load_settings(root)
    with caplog.at_level(logging.WARNING):
        curate(settings, date=DATE)
        assert "Retry-After 3600 s" in warnings_about(caplog, busy)[0]
        caplog.clear()
        second = curate(settings, date=DATE + dt.timedelta(days=30))
    assert len(server.hits_for("/busy.xml")) == 1
    assert second.feeds[busy].status == fetch.Status.NOT_FETCHED
    (said,) = warnings_about(caplog, busy)
    assert "backing off" in said and "next try in" in said
    state = fetch.load_state(os.path.join(root, "cache", "curator"), busy)
    assert state.next_try - time.time() > 3500


def test_repeated_failures_back_off_exponentially(tmp_path, server):
    root = project_with(tmp_path, [(server.add("/error.xml", status=500), "Flaky", 1.0)])
    folder = os.path.join(root, "cache", "curator")
    options = download.FetchOptions.from_settings(load_settings(root))
    waits = []
    for _ in range(3):
        state = fetch.load_state(folder, server.url("/error.xml"))
        state = dataclasses.replace(state, next_try=0)   # the back-off has run out: time to try again
        fetch.save_state(folder, state)
        now = time.time()
        result = fetch.fetch_all([server.url("/error.xml")], folder, options)[server.url("/error.xml")]
        fetch.save_state(folder, result.state)
        waits.append(result.state.next_try - now)
    assert waits[1] == pytest.approx(2 * waits[0], rel=0.05)
    assert waits[2] == pytest.approx(4 * waits[0], rel=0.05)


def test_gzip_feeds_are_decompressed(tmp_path, server):
    url = server.add("/gz.xml", body=GOOD, gzip=True)
    root = project_with(tmp_path, [(url, "Zipped", 1.0)])
    result = curate(load_settings(root), date=DATE)
    assert result.feeds[url].status == fetch.Status.OK and result.niches[0].picked == 5


def test_offline_uses_the_cache_and_makes_no_request(tmp_path, server, caplog):
    url = server.add("/good.xml", body=GOOD)
    root = project_with(tmp_path, [(url, "Good", 1.0)])
    settings = load_settings(root)
    curate(settings, date=DATE)
    os.remove(os.path.join(root, "content", "newsletters", "shop", f"{DATE}.md"))
    with caplog.at_level(logging.WARNING):
        result = curate(settings, date=DATE, offline=True)
    assert len(server.hits) == 1
    assert result.niches[0].picked == 5
    assert "offline" in warnings_about(caplog, url)[0]


def curated_good_feed(tmp_path, server) -> tuple[str, dict, str]:
    """A project whose one feed (ETag "v1") was curated once: its URL, settings and cache file."""
    url = server.add("/good.xml", body=GOOD, etag='"v1"')
    root = project_with(tmp_path, [(url, "Good", 1.0)])
    settings = load_settings(root)
    curate(settings, date=DATE)
    return url, settings, fetch.cache_path(os.path.join(root, "cache", "curator"), url)


def test_a_damaged_cache_is_rebuilt_with_a_warning(tmp_path, server, caplog):
    url, settings, path = curated_good_feed(tmp_path, server)
    with open(path, "wb") as handle:
        handle.write(b'{"version": 1, "entr')
    with caplog.at_level(logging.WARNING):
        result = curate(settings, date=DATE + dt.timedelta(days=30))
    assert any("damaged" in m and "rebuilding" in m for m in warnings_about(caplog, url))
    assert result.feeds[url].status == fetch.Status.OK and result.parsed == 5
    assert "if-none-match" not in server.hits_for("/good.xml")[1].headers
    assert json.loads(open(path, encoding="utf-8").read())["etag"] == '"v1"'


def sealed_cache(tmp_path) -> tuple[str, str, bytes]:
    folder, url = str(tmp_path / "cache"), "https://news.example/feed.xml"
    entries = [{"title": "Payroll \u00e9t\u00e9 \u2026", "url": "https://news.example/1", "summary": "ok", "guid": "g1",
                "date": None}]
    fetch.save_state(folder, fetch.FeedState(url, entries, cleaned="5:40:english", etag='"v1"'))
    with open(fetch.cache_path(folder, url), "rb") as handle:
        return folder, url, handle.read()


def test_a_cache_file_as_openhand_wrote_it_keeps_its_stamp_and_one_changed_since_loses_it(tmp_path, caplog):
    """The stamp says the entries need no cleaning again; the file's seal says nobody changed them since."""
    folder, url, raw = sealed_cache(tmp_path)
    data = json.loads(raw)                                   # still one plain JSON document
    assert len(data["sealed"]) == fetch.SEAL_SIZE and data["etag"] == '"v1"'
    assert fetch.load_state(folder, url).cleaned == "5:40:english"
    path = fetch.cache_path(folder, url)
    edits = [raw.replace(b"Payroll", b"Paxroll"),             # one letter of an entry, by hand
             json.dumps(data).encode(),                      # the same state written by another program
             raw.replace(b'"ok"', b'"<script>x</script>"'),
             raw.replace(data["sealed"].encode(), b"0" * fetch.SEAL_SIZE),
             raw.replace(b'"sealed": ', b'"sealed_": ')]       # no seal at all (an older cache)
    with caplog.at_level(logging.WARNING):
        for edited in edits:
            with open(path, "wb") as handle:
                handle.write(edited)
            state = fetch.load_state(folder, url)
            assert state.cleaned is None and state.entries == json.loads(edited)["entries"], edited
            assert state.etag == '"v1"'                      # the validators are not lost
    assert not caplog.records                                # not damaged: only cleaned again


def test_an_edited_cache_is_cleaned_again_on_a_304(tmp_path, server):
    url, settings, path = curated_good_feed(tmp_path, server)
    with open(path, "rb") as handle:
        raw = handle.read()
    with open(path, "wb") as handle:
        handle.write(raw.replace(b'"https://news.example/good/0"', b'"https://news.example/good/0?utm_source=hand"'))
    result = curate(settings, date=DATE + dt.timedelta(days=30))
    assert result.feeds[url].status == fetch.Status.NOT_MODIFIED
    urls = [e["url"] for e in result.feeds[url].entries]
    assert "https://news.example/good/0" in urls and not any("utm_" in u for u in urls)
    assert fetch.load_state(os.path.dirname(os.path.dirname(path)), url).cleaned is not None   # sealed again


def test_a_niche_with_nothing_due_costs_its_feeds_no_request(tmp_path, server):
    url = server.add("/good.xml", body=GOOD)
    root = project_with(tmp_path, [(url, "Good", 1.0)])
    settings = load_settings(root)
    curate(settings, date=DATE)
    again = curate(settings, date=DATE)                              # the draft exists
    soon = curate(settings, date=DATE + dt.timedelta(days=10))       # monthly: not due yet
    assert len(server.hits) == 1
    assert again.niches[0].draft.status == "exists" and soon.niches[0].draft.status == "too soon"
    curate(settings, date=DATE + dt.timedelta(days=10), force=True)
    assert len(server.hits) == 2


def test_a_page_that_is_not_a_feed_backs_off_like_any_failure(tmp_path, server):
    url = server.add("/page.xml", body=b"<!DOCTYPE html><html><body>Moved to our blog</body></html>",
                     content_type="text/html")
    root = project_with(tmp_path, [(url, "Page", 1.0), (server.add("/good.xml", body=GOOD), "Good", 1.0)])
    folder = os.path.join(root, "cache", "curator")
    settings = load_settings(root)
    waits = []
    for day in (0, 30):
        before = time.time()
        curate(settings, date=DATE + dt.timedelta(days=day))
        state = fetch.load_state(folder, url)
        waits.append(state.next_try - before)
        fetch.save_state(folder, dataclasses.replace(state, next_try=0))
    assert len(server.hits_for("/page.xml")) == 2
    assert waits[1] == pytest.approx(2 * waits[0], rel=0.05)


def _entity_bomb(value_bytes: int, references: int) -> bytes:
    """One internal entity of value_bytes, referenced `references` times: small to send, huge expanded."""
    per_item = references // 10
    items = b"".join(b"<item><title>Bomb payroll %d</title><link>https://bomb.example/%d</link><description>"
                     % (i, i) + b"&big;" * per_item + b"</description></item>" for i in range(10))
    return (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "' + b"A" * value_bytes + b'">\n]>\n'
            b'<rss version="2.0"><channel><title>Bomb</title>' + items + b"</channel></rss>")


RSS091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>https://old.example/</link><description>d</description>
<language>en</language><item><title>Old payroll tip</title><link>https://old.example/1</link></item></channel></rss>"""


def test_a_feed_that_declares_xml_entities_is_refused_and_the_others_go_on(tmp_path, server, caplog):
    """A 132 KB body expanding to 800 MB, and one declaring a single small entity, are each one warning
    naming the feed and the reason; a DOCTYPE without an internal subset (RSS 0.91's) is read as usual."""
    bomb = server.add("/bomb.xml", body=_entity_bomb(80_000, 10_000))
    small = server.add("/small.xml", body=b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "payroll">]>'
                                          b'<rss version="2.0"><channel><title>s</title><item><title>&e; tip</title>'
                                          b'<link>https://small.example/1</link></item></channel></rss>')
    old = server.add("/old.xml", body=RSS091)
    good = server.add("/good.xml", body=GOOD)
    root = project_with(tmp_path, [(bomb, "Bomb", 1.0), (small, "Small", 1.0), (old, "Old", 1.0), (good, "Good", 1.0)],
                        max_links=10)
    with caplog.at_level(logging.WARNING):
        result = curate(load_settings(root), date=DATE)
    for url in (bomb, small):
        (said,) = warnings_about(caplog, url)
        assert "declares XML entities (an entity-expansion attack); refused" in said
        assert result.feeds[url].status == fetch.Status.FAILED
    assert not warnings_about(caplog, old) and not warnings_about(caplog, good)
    links = [link.url for link in load_issue(result.niches[0].draft.path).links]
    assert sorted(links) == [f"https://news.example/good/{i}" for i in range(5)] + ["https://old.example/1"]


JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON",
    "home_page_url": "https://json.example/",
    "items": [
        {
            "id": "j1",
            "url": "https://json.example/1?utm_source=feed",
            "title": "Payroll in <b>HTML</b>? No: text",
            "content_html": "<p>Pay <b>on time</b>.</p><script>steal()</script>",
            "date_published": "2026-11-20T10:00:00Z",
        },
        {
            "id": "j2",
            "external_url": "https://elsewhere.example/payroll",
            "summary": "Payroll, linked from a blog.",
            "content_text": "Ann Example <ann@example.org> writes about payroll.",
            "date_modified": "2026-11-19T12:00:00+02:00",
        },
        {"id": "https://json.example/3", "title": "Payroll with only an id"},
        {"id": "j4", "url": ["not", "a", "string"], "title": "Payroll with a list for a url"},
        "not an item",
    ],
}


@pytest.mark.parametrize("content_type", ["application/feed+json", "application/json", "application/rss+xml"])
def test_a_json_feed_is_read_as_a_feed_and_cleaned_like_any(tmp_path, server, caplog, content_type):
    url = server.add("/feed.json", body=json.dumps(JSON_FEED).encode(), content_type=content_type)
    root = project_with(tmp_path, [(url, "JSON", 1.0)])
    with caplog.at_level(logging.WARNING):
        result = curate(load_settings(root), date=DATE)
    (said,) = warnings_about(caplog, url)
    assert "had 3 of 5 entries skipped" in said
    links = {link.url: link for link in load_issue(result.niches[0].draft.path).links}
    assert sorted(links) == ["https://elsewhere.example/payroll", "https://json.example/1"]
    first, second = links["https://json.example/1"], links["https://elsewhere.example/payroll"]
    assert (first.title, first.summary) == ("Payroll in <b>HTML</b>? No: text", "Pay on time.")
    assert (second.title, second.summary) == ("Payroll, linked from a blog.", "Payroll, linked from a blog.")
    assert "published 2026-11-20" in first.why and "published 2026-11-19" in second.why


@pytest.mark.parametrize("body, reason", [
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"tags": ' + b"[" * 50_000 + b"]" * 50_000 + b"}]}",
     "is JSON nested too deeply to read"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": "none"}', "is a JSON Feed whose items is not a list"),
    (b'{"version": 1.1, "items": []}', "got JSON, but not a JSON Feed"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": ' + b"9" * 10_000 + b"}]}",
     "is not valid JSON"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "is not valid JSON"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": "\xff\xfe", "items": []}', "is not valid JSON"),
])
def test_a_hostile_json_feed_is_one_warning_never_a_traceback(tmp_path, server, caplog, body, reason):
    url = server.add("/bad.json", body=body, content_type="application/feed+json")
    good = server.add("/good.xml", body=GOOD)
    root = project_with(tmp_path, [(url, "Bad JSON", 1.0), (good, "Good", 1.0)])
    with caplog.at_level(logging.WARNING):
        result = curate(load_settings(root), date=DATE)
    (said,) = warnings_about(caplog, url)
    assert reason in said and "Traceback" not in said
    assert result.feeds[url].status == fetch.Status.FAILED and len(result.feeds[good].entries) == 5


def test_a_feed_url_with_an_upper_case_scheme_is_fetched_not_read_as_a_file(tmp_path, server):
    url = server.add("/good.xml", body=GOOD)
    root = project_with(tmp_path, [(url.replace("http://", "HTTP://"), "Good", 1.0)])
    result = curate(load_settings(root), date=DATE)
    assert len(server.hits_for("/good.xml")) == 1
    assert result.niches[0].draft is not None and len(load_issue(result.niches[0].draft.path).links) == 5
# ---------------------------------------------------------------- politeness: connections per host

def test_at_most_four_connections_at_once_to_one_host(tmp_path, server):
    """30 feeds on one small server: never more than CURATE_CONNECTIONS_PER_HOST (4) at once,
    however many fetch threads there are (a default listen backlog drops a burst of 30)."""
    urls = [server.add(f"/f{i}.xml", body=rss(f"F{i}", items(f"f{i}", 2)), delay=0.1) for i in range(30)]
    root = project_with(tmp_path, [(u, f"Feed {i}", 1.0) for i, u in enumerate(urls)])
    options = download.FetchOptions.from_settings(load_settings(root))
    assert (options.connections_per_host, options.workers) == (4, 100)
    results = fetch.fetch_all(urls, os.path.join(root, "cache", "curator"), options)
    assert [r.status for r in results.values()] == [fetch.Status.OK] * 30
    assert len(server.hits) == 30
    assert 1 <= server.max_connections <= 4, server.max_connections


def test_feeds_on_different_hosts_are_fetched_side_by_side(tmp_path):
    """A host is a host name: 24 feeds on 24 loopback addresses take about one round trip, while
    24 feeds on one host take six rounds of four (the ratio of the two, measured in one run)."""
    from contextlib import ExitStack

    delay = 0.3
    with ExitStack() as stack:
        hosts = [stack.enter_context(FeedServer(f"127.0.0.{i}")) for i in range(2, 26)]
        one = stack.enter_context(FeedServer())
        many = [srv.add("/feed.xml", body=GOOD, delay=delay) for srv in hosts]
        same = [one.add(f"/f{i}.xml", body=GOOD, delay=delay) for i in range(24)]
        options = download.FetchOptions.from_settings(load_settings(project_with(tmp_path, [])))
        # The tests' half-second read timeout is for tests of timeouts; a loaded machine can stretch this
        # 0.3 s reply past it, and here only the rounds are measured.
        options = dataclasses.replace(options, read_timeout=5.0)
        took = {}
        for kind, urls in (("many", many), ("same", same)):
            started = time.monotonic()
            results = fetch.fetch_all(urls, str(tmp_path / kind), options)
            took[kind] = time.monotonic() - started
            assert [r.status for r in results.values()] == [fetch.Status.OK] * 24, (kind, [
                r.reason for r in results.values() if r.status != fetch.Status.OK])
    assert one.max_connections <= 4 and max(h.max_connections for h in hosts) == 1
    assert took["same"] >= 6 * delay, took
    assert took["many"] < took["same"] / 3, took


# ---------------------------------------------------------------- SSRF: a public feed stays out of the local network

@pytest.fixture
def public_host(monkeypatch):
    """127.0.0.2 plays a public host (as a feed on the internet would be); every other loopback,
    private and link-local address stays what it is. Nothing else of the check is changed."""
    from curator.curation import network

    real = network.address_is_public
    monkeypatch.setattr(network, "address_is_public", lambda address: address == "127.0.0.2" or real(address))
    with FeedServer("127.0.0.2") as srv:
        yield srv


def test_a_public_feed_that_redirects_into_the_local_network_is_refused(tmp_path, server, public_host, caplog):
    port = server.httpd.server_address[1]
    secret = rss("Intranet", items("secret", 3, host="https://intranet.example"))
    server.add("/secret.xml", body=secret)
    refused = {
        # A name, resolved: localhost is 127.0.0.1.
        public_host.add(
            "/by-name.xml", status=302, location=f"http://localhost:{port}/secret.xml"
        ): "localhost is 127.0.0.1",
        public_host.add("/private.xml", status=301, location="http://10.11.12.13/feed.xml"): "10.11.12.13 is a local",
        public_host.add(
            "/metadata.xml", status=307, location="http://169.254.169.254/latest/meta-data/"
        ): "169.254.169.254",
        public_host.add("/any.xml", status=302, location=f"http://0.0.0.0:{port}/secret.xml"): "0.0.0.0 is a local",
        public_host.add("/v6.xml", status=302, location=f"http://[::1]:{port}/secret.xml"): "::1 is a local",
    }
    public_host.add("/good.xml", body=GOOD)
    moved = public_host.add("/moved.xml", status=302, location="/good.xml")  # public to public: fine
    own = server.add("/own.xml", status=302, location=f"http://localhost:{port}/secret.xml")  # a local niche URL
    root = make_project(tmp_path, {
        "shop": niche_text([(u, f"Shop {i}", 1.0) for i, u in enumerate([*refused, moved])], keywords=["payroll"],
                           per_source=10),
        "intranet": niche_text([(own, "Own", 1.0)], keywords=["payroll"], per_source=10)})
    with caplog.at_level(logging.WARNING):
        result = curate(load_settings(root), date=DATE)
    for url, words in refused.items():
        (said,) = warnings_about(caplog, url)
        assert words in said and "a public feed may not lead into the local network" in said, said
        assert result.feeds[url].status == fetch.Status.FAILED
    assert len(server.hits_for("/secret.xml")) == 1   # for the intranet niche's own URL only
    shop, intranet = (load_issue(r.draft.path) for r in result.niches[::-1])
    assert all(link.url.startswith("https://news.example/good/") for link in shop.links)
    assert [link.url for link in intranet.links] == [f"https://intranet.example/secret/{i}" for i in range(3)]


def test_the_address_connected_to_is_checked_too(tmp_path, server, public_host, monkeypatch):
    """A name that resolves to a public address when checked, then to 127.0.0.1 when connecting
    (DNS rebinding), is refused at the connection, before any request is sent."""
    from curator.curation import network

    real = network.resolve
    monkeypatch.setattr(
        network, "resolve", lambda host, port=None: ["127.0.0.2"] if host == "localhost" else real(host, port)
    )
    port = server.httpd.server_address[1]
    server.add("/secret.xml", body=rss("Intranet", items("secret", 3)))
    url = public_host.add("/rebind.xml", status=302, location=f"http://localhost:{port}/secret.xml")
    options = download.FetchOptions.from_settings(load_settings(project_with(tmp_path, [])))
    result = fetch.fetch_all([url], str(tmp_path / "cache"), options)[url]
    assert (
        result.status == fetch.Status.FAILED and "localhost is 127.0.0.1, a local or private address" in result.reason
    )
    assert server.hits_for("/secret.xml") == []


# ---------------------------------------------------------------- --retry

def test_retry_fetches_a_feed_that_is_backing_off(tmp_path, server, caplog):
    url = server.add("/fixed.xml", status=500)
    root = project_with(tmp_path, [(url, "Fixed", 1.0), (server.add("/good.xml", body=GOOD), "Good", 1.0)])
    settings = load_settings(root)
    curate(settings, date=DATE)
    server.add("/fixed.xml", body=rss("Fixed", items("fixed", 3)))  # the editor fixed the feed
    os.remove(os.path.join(root, "content", "newsletters", "shop", f"{DATE}.md"))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        waiting = curate(settings, date=DATE)
    assert "backing off" in warnings_about(caplog, url)[0] and len(server.hits_for("/fixed.xml")) == 1
    os.remove(waiting.niches[0].draft.path)
    proc = openhand(root, "curate", "--date", DATE.isoformat(), "--retry")
    assert url not in proc.stderr, proc.stderr
    assert len(server.hits_for("/fixed.xml")) == 2
    assert {f"https://news.example/fixed/{i}" for i in range(3)} <= {
        link.url for link in load_issue(waiting.niches[0].draft.path).links
    }
    assert "--retry" in openhand(root, "curate", "--help").stdout
