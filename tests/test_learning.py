"""The curator learns from the editor: kept, dropped and chosen links move the next draft.

The record of what each draft offered lives under state/curator/ and must survive re-runs and
kills; a link the editor dropped never comes back; runner-ups are offered, never published;
`openhand curate --forget NICHE` starts a niche's learning over.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import time
from pathlib import Path

import pytest

from curator.curation import offers
from curator.curation.learning import Decision, Verdict, decisions, learn, wilson_lower
from curator.curation.offers import Offered, Record
from curator.curation.terms import analyzer
from curator.curation.tracking import url_key
from curator.model.documents import dumps, loads
from curator.model.issues import IssueFile, IssueLink, load_issue
from support.feedserver import make_project, niche_text, rss
from support.newsletters import link, newsletter_project, write_issue
from support.project import build, openhand, start_openhand

D1, D2, D3 = dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)


def test_the_wilson_lower_bound_keeps_two_decisions_from_swinging_a_source():
    assert round(wilson_lower(2, 2), 2) == 0.34
    assert wilson_lower(0, 0) == 0.0 and wilson_lower(0, 5) == 0.0
    assert 0.34 < wilson_lower(9, 10) < wilson_lower(20, 20) < 1
    picks = [Decision(Verdict.KEPT, f"k{i}", f"Payroll rule {i}", "", "Good", D1) for i in range(2)]
    picks += [Decision(Verdict.DROPPED, f"d{i}", f"City news {i}", "", "Noisy", D1) for i in range(6)]
    learned = learn(picks, analyzer("en"))
    assert learned.source_prior("Good") == pytest.approx(0.34, abs=0.005)   # 2 of 2 kept: a cautious +0.34
    assert learned.source_prior("Noisy") == pytest.approx(-wilson_lower(6, 6))
    assert learned.source_prior("Unknown") == 0.0
    assert learned.judge(frozenset(analyzer("en").terms("City news 9")), "Noisy").factor < 1 < \
        learned.judge(frozenset(analyzer("en").terms("Payroll rule 9")), "Good").factor


def test_one_word_in_common_with_kept_links_says_less_than_several():
    en = analyzer("en")
    title = "Payroll audit checklist for hygienist rotas"
    kept = [Decision(Verdict.KEPT, f"k{i}", title, "", "A", D1) for i in range(4)]
    dropped = [Decision(Verdict.DROPPED, f"d{i}", "Celebrity gossip roundup", "", "A", D1) for i in range(4)]
    learned = learn(kept + dropped, en)
    one = learned.term_probability(en.terms("Payroll laptops reviewed"))
    several = learned.term_probability(en.terms(title))
    assert 0.5 < one < several
    # The five words were kept alike: averaged over the known words alone, one would say as much as five.
    assert (one - 0.5) < 0.6 * (several - 0.5)


def offered(url: str, **kw) -> Offered:
    return Offered(
        url=url, key=url_key(url), title=kw.pop("title", url), summary="", source=kw.pop("source", "A"), **kw
    )


def test_a_published_issue_says_what_was_kept_dropped_and_chosen_and_runner_ups_left_are_neither():
    record = Record("shop", {D1.isoformat(): (
        offered("https://a.example/kept"), offered("https://a.example/dropped"),
        offered("https://dol.gov/pick", hand_picked=True),
        offered("https://a.example/moved-up", runner_up=True), offered("https://a.example/left", runner_up=True))})
    issue = IssueFile(path="x.md", niche="shop", number=1, date=D1, status="published", subject="", preheader="",
                      intro="", body="", links=tuple(IssueLink(u, u) for u in (
                          "https://a.example/kept?utm_source=x", "https://dol.gov/pick", "https://a.example/moved-up",
                          "https://by-hand.example/added")),
                      more=(IssueLink("https://a.example/left", "left"),))
    got = {d.key: d.verdict for d in decisions(record, [issue])}
    assert got == {"a.example/kept": Verdict.KEPT, "dol.gov/pick": Verdict.CHOSEN, "a.example/moved-up": Verdict.KEPT,
                   "by-hand.example/added": Verdict.CHOSEN, "a.example/dropped": Verdict.DROPPED}
    draft = IssueFile(**{**issue.__dict__, "status": "draft"})
    assert decisions(record, [draft]) == []                      # nothing is decided before publishing
    assert decisions(Record("shop", {}), [issue]) == []          # an issue curation did not draft teaches nothing


# --- end to end: drafts, the record, the editor's edits, the next drafts ------------------------------

def entries(prefix: str, n: int, first_day: int):
    from email.utils import format_datetime

    start = dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC)
    return [{"title": f"{prefix} payroll note {i}", "link": f"https://{prefix.lower()}.example/{i}",
             "description": f"What owners should know about payroll change {i}, with the numbers worked out.",
             "date": format_datetime(start + dt.timedelta(days=(first_day + i) % 30)), "guid": None}
            for i in range(n)]


def project(tmp_path: Path, n_feeds: int = 2, per_feed: int = 6) -> Path:
    feeds = []
    for f in range(n_feeds):
        name = ["Good", "Noisy"][f] if f < 2 else f"Feed{f}"
        path = tmp_path / "content" / "sources" / f"{name}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rss(name, entries(name, per_feed, 10 + f)))
        feeds.append((f"../sources/{name}.xml", name, 1.0))
    return make_project(tmp_path, {"shop": niche_text(feeds, keywords=["payroll"], max_links=3, per_source=3,
                                                      cadence="weekly")})


def draft_path(root: Path, date: dt.date) -> Path:
    return root / "content" / "newsletters" / "shop" / f"{date}.md"


def publish(path: Path, *, drop: list[str] = (), add: list[dict] = (), move_up: int = 0) -> None:
    """What an editor does: remove links, add one by hand, move a runner-up up, set published."""
    post = loads(path.read_text(encoding="utf-8"), str(path))
    meta = post.metadata
    meta["links"] = [link for link in meta["links"] if link["url"] not in drop] + meta["more"][:move_up] + list(add)
    meta["more"] = meta["more"][move_up:]
    meta["status"] = "published"
    path.write_text(dumps(meta, "Dear reader."), encoding="utf-8")


def test_the_editors_choices_move_the_next_draft_and_a_dropped_link_never_comes_back(tmp_path):
    root = project(tmp_path)
    openhand(root, "curate", "--date", D1.isoformat())
    first = load_issue(str(draft_path(root, D1)))
    assert len(first.links) == 3 and len(first.more) == 5
    state = root / "state" / "curator" / "shop.json"
    record = json.loads(state.read_text(encoding="utf-8"))
    assert [o["url"] for o in record["drafts"][D1.isoformat()]] == [link.url for link in first.links + first.more]
    assert [o["runner_up"] for o in record["drafts"][D1.isoformat()]] == [False] * 3 + [True] * 5

    # The record survives re-runs that leave the draft alone, byte for byte.
    saved = state.read_bytes()
    for args in ((), ("--force",), ("--offline",)):
        openhand(root, "curate", "--date", D1.isoformat(), *args)
        assert state.read_bytes() == saved

    dropped = first.links[-1].url
    by_hand = {"url": "https://by-hand.example/guide", "title": "A guide the editor found", "source": "by-hand.example",
               "note": "Worth it."}
    publish(draft_path(root, D1), drop=[dropped], add=[by_hand], move_up=1)
    openhand(root, "curate", "--date", D2.isoformat())
    second = load_issue(str(draft_path(root, D2)))
    offered_now = [link.url for link in second.links + second.more]
    assert dropped not in offered_now                          # still in its feed, never offered again
    assert not {link.url for link in load_issue(str(draft_path(root, D1))).links} & set(offered_now)
    source = next(link.source for link in first.links if link.url == dropped)
    kept_from = sum(1 for link in first.links[:-1] + first.more[:1] if link.source == source)
    evidence = f"you kept {kept_from} of {kept_from + 1} links from this source"
    assert any(evidence in link.why for link in second.links + second.more if link.source == source), \
        [link.why for link in second.links + second.more]

    # --forget: the niche starts over, and the dropped link may be offered again.
    proc = openhand(root, "curate", "--forget", "shop")
    assert "shop: forgot what the editor taught it (removed state/curator/shop.json)" in proc.stdout
    assert not state.exists() and not draft_path(root, D3).exists()
    assert "had learned nothing yet" in openhand(root, "curate", "--forget", "shop").stdout
    openhand(root, "curate", "--date", D3.isoformat())
    third = load_issue(str(draft_path(root, D3)))
    assert dropped in [link.url for link in third.links + third.more]
    assert not any("you kept" in link.why for link in third.links + third.more)
    assert openhand(root, "curate", "--forget", "bakery", check=False).returncode == 2


def test_an_unreadable_record_is_set_aside_with_one_warning_not_overwritten(tmp_path):
    root = project(tmp_path)
    state = root / "state" / "curator" / "shop.json"
    state.parent.mkdir(parents=True)
    state.write_text("{not json", encoding="utf-8")
    proc = openhand(root, "curate", "--date", D1.isoformat())
    assert proc.stderr.count("is not a curation record") == 1 and "shop.json.bad" in proc.stderr
    assert (state.parent / "shop.json.bad").read_text(encoding="utf-8") == "{not json"
    assert D1.isoformat() in json.loads(state.read_text(encoding="utf-8"))["drafts"]


def test_a_kill_never_leaves_a_broken_record_nor_a_draft_it_does_not_record(tmp_path):
    root = project(tmp_path, n_feeds=30, per_feed=20)
    openhand(root, "curate", "--date", D1.isoformat())
    state = root / "state" / "curator"
    before = offers.load(str(state), "shop").drafts[D1.isoformat()]
    start = time.monotonic()
    openhand(root, "curate", "--date", D2.isoformat())
    took = time.monotonic() - start
    rng = random.Random(16)
    killed = tries = 0
    while killed < 10 and tries < 30:  # a loaded machine makes runs slower or faster than the first: adapt
        tries += 1
        draft_path(root, D2).unlink(missing_ok=True)
        proc = start_openhand(root, "curate", "--date", D2.isoformat())
        time.sleep(rng.uniform(0.3, 1.0) * took)  # the record is written near the end
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        else:
            took *= 0.8  # it finished first: aim earlier
        proc.wait(timeout=60)
        record = offers.load(str(state), "shop")
        assert not list(state.glob("*.bad"))                 # the file always parsed
        assert record.drafts[D1.isoformat()] == before       # the older offers are whole
        if draft_path(root, D2).exists():                    # a draft is never there without its offers
            draft = load_issue(str(draft_path(root, D2)))
            assert [o.url for o in record.drafts[D2.isoformat()]] == [link.url for link in draft.links + draft.more]
    assert killed >= 5, f"only {killed} of {tries} runs were killed before finishing"


# --- runner-ups are offered, never published -----------------------------------------------------------

def test_runner_ups_never_reach_a_page_a_feed_or_an_email(tmp_path):
    proj = newsletter_project(tmp_path / "p", issues=1, drafts=0)
    runner = {"url": "https://runner-up.example/never", "title": "Runner-up RUNNERUPTITLE", "source": "Elsewhere",
              "summary": "A runner-up summary RUNNERUPSUMMARY.", "why": "matches 'payroll' RUNNERUPWHY"}
    published = write_issue(proj, 2, links=[link(21), link(22, "People")], more=[runner])
    write_issue(proj, 3, status="draft", links=[link(31)], more=[runner])
    build(proj, "publishconf.py")
    issue = load_issue(str(published))
    assert issue.more and issue.more[0].url == runner["url"]  # read, so curation can learn from it
    outputs = [p for folder in ("output", "mail", "preview") if (proj / folder).is_dir()
               for p in (proj / folder).rglob("*") if p.is_file()]
    texts = {
        p: p.read_bytes().decode("utf-8", "replace") for p in outputs if p.suffix in (".html", ".xml", ".eml", ".txt")
    }
    assert any("journal.example.org/articles/21" in t for t in texts.values())  # the issue itself is there
    for marker in ("runner-up.example", "RUNNERUPTITLE", "RUNNERUPSUMMARY", "RUNNERUPWHY"):
        assert not [str(p) for p, t in texts.items() if marker in t], marker


def test_the_record_is_written_whole_without_a_flush_of_its_own(tmp_path, monkeypatch):
    """Atomic (a kill leaves the old record or the new one), not fsynced: the draft written right
    after it is, and that flush commits the record too on a journalling file system."""
    import os

    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    record = offers.with_offer(Record("shop", {}), "2026-11-22", (offered("https://a.example/x"),))
    offers.save(str(tmp_path), record)
    assert synced == []
    assert offers.load(str(tmp_path), "shop") == record
    assert [p.name for p in tmp_path.iterdir()] == ["shop.json"]   # no temporary file left
