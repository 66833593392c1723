"""The curator learns from the editor: kept, dropped and chosen links move the next draft.

The record of what each draft offered lives under state/curator/ and must survive re-runs and
kills; a link the editor dropped never comes back; runner-ups are offered, never published;
`openhand curate --forget NICHE` starts a niche's learning over.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import signal
import time
from pathlib import Path

import pytest

from curator.curation import offers
from curator.curation.learning import (
    Decision,
    Learned,
    Verdict,
    content_terms,
    decisions,
    learn,
    offered_links,
    wilson_lower,
)
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


# --- the model's arithmetic, as the module's docstring gives it -------------------------------------

def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_the_wilson_bound_of_one_decision_is_small_but_not_nothing():
    assert wilson_lower(1, 1) == pytest.approx(0.2065, abs=1e-4)
    assert wilson_lower(5, 5) == pytest.approx(0.5655, abs=1e-4)
    assert wilson_lower(3, 6) == pytest.approx(0.1876, abs=1e-4)


def test_learnings_say_grows_with_decisions_and_is_half_at_ten():
    assert Learned(count=10).weight == 0.5 and Learned(count=30).weight == 0.75 and Learned().weight == 0.0


def test_a_source_the_editor_drops_from_weighs_its_whole_prior_one_kept_from_half_of_it():
    learned = Learned(count=8, sources={"Kept": (4, 4), "Dropped": (0, 4), "Even": (2, 4)})
    assert learned.source_effect("Kept") == pytest.approx(0.5 * wilson_lower(4, 4))
    assert learned.source_effect("Dropped") == pytest.approx(-wilson_lower(4, 4))
    assert learned.source_effect("Even") == 0.0 and learned.source_effect("Unknown") == 0.0


def test_the_term_model_is_a_squashed_mean_over_known_words_and_four_imagined_ones():
    learned = Learned(count=1, llr={"payrol": 1.0, "webinar": -0.5})
    assert learned.term_probability(["cafe"]) == 0.5                        # nothing known: no opinion
    assert learned.term_probability(["payrol", "webinar", "cafe"]) == pytest.approx(sigmoid(2 * 0.5 / (2 + 4)))
    assert learned.term_probability(["payrol"]) == pytest.approx(sigmoid(2 * 1.0 / 5))
    # However sure, the exponent stops at +-30 (no overflow for a word seen a thousand times).
    assert Learned(count=1, llr={"a": 1000.0}).term_probability(["a"]) == sigmoid(30.0)
    assert Learned(count=1, llr={"a": -1000.0}).term_probability(["a"]) == sigmoid(-30.0)


def test_a_judgement_is_the_documented_exponent_and_says_why_only_when_asked():
    learned = Learned(count=10, sources={"S": (1, 2)}, llr={"payrol": 1.0}, examples=((frozenset({"payrol"}), True),))
    p = sigmoid(2 * 1.0 / 5)
    prior = wilson_lower(1, 2) - wilson_lower(1, 2)
    expected = round(math.exp(0.5 * ((2 * p - 1) + prior)), 4)
    plain = learned.judge(["payrol"], "S")
    assert plain.factor == expected and plain.why == ""
    assert learned.judge(iter(["payrol"]), "S", explain=True) == (learned.judge(["payrol"], "S", explain=True))
    assert learned.judge(["payrol"], "S", explain=True).why == (
        "you kept 1 of 2 links from this source; similar links were kept 1 of 1 time")
    assert Learned().judge(["payrol"], "S", explain=True) == Learned().judge(["payrol"], "S")
    assert (Learned().judge(["payrol"], "S").factor, Learned().judge(["payrol"], "S").why) == (1.0, "")


def test_why_counts_the_most_similar_decisions_by_their_content_words():
    payroll = frozenset({"payrol", "deadlin"})
    learned = Learned(count=3, sources={"S": (1, 1)}, stop=frozenset({"the", "for"}),
                      examples=((payroll, True), (payroll, False), (frozenset(), True)))   # one with no words at all
    # Grammar words and numbers do not dilute the likeness: only 'payrol' and 'deadlin' are compared.
    noisy = {"payrol", "deadlin", "the", "for", *map(str, range(20))}   # unfiltered, a cosine of 0.29
    assert learned.judge(noisy, "S", explain=True).why == (
        "you kept 1 of 1 link from this source; similar links were kept 1 of 2 times")
    assert Learned(count=1, examples=((payroll, True),)).judge(payroll, "T", explain=True).why == (
        "similar links were kept 1 of 1 time")
    # Three words in common of ten each is a cosine of exactly 0.3: similar. Two of ten is not.
    ten = frozenset(f"w{i}" for i in range(10))
    other = frozenset({"w0", "w1", "w2", *(f"x{i}" for i in range(7))})
    assert len(other) == 10 and len(ten & other) == 3
    assert "similar links" in Learned(count=1, examples=((other, True),)).judge(ten, "T", explain=True).why
    fewer = frozenset({"w0", "w1", *(f"x{i}" for i in range(8))})
    assert Learned(count=1, examples=((fewer, True),)).judge(ten, "T", explain=True).why == ""
    # At most five: the five most alike, not the first five.
    close = [(frozenset({"payrol", "deadlin"}), True)] * 5
    far = [(frozenset({"payrol", "deadlin", *(f"y{i}" for i in range(20))}), False)] * 2
    learned = Learned(count=7, examples=tuple(far + close))
    assert learned.judge(payroll, "T", explain=True).why == "similar links were kept 5 of 5 times"


def test_learn_counts_each_sources_decisions_and_each_words_smoothed_log_ratio():
    en = analyzer("en")
    found = [Decision(Verdict.KEPT, "k", "Payroll", "deadlines", "S", D1),
             Decision(Verdict.DROPPED, "d", "Webinar", "payroll", "S", D1),
             Decision(Verdict.CHOSEN, "c", "Payroll deadlines", "", "T", D1)]
    learned = learn(found, en)
    assert learned.count == 3 and learned.sources == {"S": (1, 2), "T": (1, 1)}
    assert learned.dropped == frozenset({"d"})
    assert learned.examples == ((frozenset({"payrol", "deadlin"}), True), (frozenset({"webinar", "payrol"}), False),
                                (frozenset({"payrol", "deadlin"}), True))
    # 'deadlin': in 2 of 2 positives, 0 of 1 negative; 2 pseudo-decisions at its overall rate 2/3; the log
    # ratio shrunk by the 2 decisions that hold it, 2/(2+1).
    p, q = (2 + 2 * 2 / 3) / (2 + 2), (0 + 2 * 2 / 3) / (1 + 2)
    assert learned.llr["deadlin"] == pytest.approx(math.log(p / q) * 2 / 3)
    p, q = (0 + 2 / 3) / (2 + 2), (1 + 2 / 3) / (1 + 2)
    assert learned.llr["webinar"] == pytest.approx(math.log(p / q) * 1 / 2)
    assert learned.llr["payrol"] == pytest.approx(0.0)   # in every decision: says nothing
    assert learn([], en) == Learned()


def test_content_terms_leave_out_grammar_words_and_bare_numbers():
    en = analyzer("en")
    assert content_terms(en, "The 2027 payroll deadlines") == frozenset({"payrol", "deadlin"})
    assert content_terms(en, "The 2027 payroll deadlines", frozenset()) == frozenset({"the", "payrol", "deadlin"})


def test_an_issue_teaches_whatever_order_its_drafts_came_in_and_its_links_borrow_what_the_draft_knew():
    record = Record("shop", {D1.isoformat(): (offered("https://a.example/1", title="One"),),
                             D2.isoformat(): (Offered("https://a.example/2", "a.example/2", "Two", "Offered words.",
                                                      "Feed B"),)})
    unpublished = IssueFile(path="1.md", niche="shop", number=1, date=D1, status="draft", subject="", preheader="",
                            intro="", body="", links=(IssueLink("https://a.example/1", "One"),))
    published = IssueFile(path="2.md", niche="shop", number=2, date=D2, status="published", subject="",
                          preheader="", intro="", body="", links=(IssueLink("https://a.example/2", "Two"),))
    (kept,) = decisions(record, [published, unpublished])
    assert (kept.verdict, kept.summary, kept.source) == (Verdict.KEPT, "Offered words.", "Feed B")
    noted = IssueFile(**{**published.__dict__, "links": (IssueLink("https://b.example/x", "X", note="Why."),)})
    (chosen,) = [d for d in decisions(record, [noted]) if d.verdict is Verdict.CHOSEN]
    assert (chosen.summary, chosen.source) == ("Why.", "")


def test_the_record_keys_a_link_as_curation_did_or_from_its_url():
    class Cand:
        def __init__(self, url, key):
            self.url, self.key, self.title, self.summary, self.source, self.hand_picked = url, key, "", "", "", False

    first, second = offered_links([Cand("https://a.example/x", "story-1")], [Cand("https://a.example/y?b=1", "")])
    assert (first.key, first.runner_up) == ("story-1", False)
    assert (second.key, second.runner_up) == (url_key("https://a.example/y?b=1"), True)


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


@pytest.mark.parametrize("text, reason", [
    ('{"version": 2, "niche": "shop", "drafts": {}}', "ValueError: version 2, where this Openhand reads version 1"),
    ('{"version": 1, "niche": "shop", "drafts": []}', "AttributeError"),
    ('{"version": 1, "niche": "shop"}', "KeyError: 'drafts'"),
    ('{"version": 1, "drafts": {"2026-11-02": [{"url": "u"}]}}', "TypeError"),
])
def test_a_record_of_another_version_or_shape_is_set_aside_with_its_reason(tmp_path, caplog, text, reason):
    (tmp_path / "shop.json").write_text(text, encoding="utf-8")
    assert offers.load(str(tmp_path), "shop") == Record("shop", {})
    (warning,) = [r.getMessage() for r in caplog.records]
    assert f"shop.json is not a curation record ({reason}" in warning
    moved = f"niche shop learns again from its next draft; the file was moved to {tmp_path}/shop.json.bad"
    assert warning.endswith(moved)
    assert (tmp_path / "shop.json.bad").read_text(encoding="utf-8") == text and not (tmp_path / "shop.json").exists()


def test_a_saved_record_reads_back_whole_is_stable_and_keeps_its_words_as_written(tmp_path):
    record = Record("shop", {D2.isoformat(): (offered("https://a.example/2", title="Café rotas"),),
                             D1.isoformat(): (offered("https://a.example/1", runner_up=True),)})
    offers.save(str(tmp_path), record)
    text = (tmp_path / "shop.json").read_text(encoding="utf-8")
    assert offers.load(str(tmp_path), "shop") == record
    data = json.loads(text)
    assert (data["version"], data["niche"], list(data["drafts"])) == (1, "shop", [D1.isoformat(), D2.isoformat()])
    assert "Café rotas" in text and text.endswith("}\n")     # readable, and whole lines
    offers.save(str(tmp_path), offers.load(str(tmp_path), "shop"))
    assert (tmp_path / "shop.json").read_text(encoding="utf-8") == text   # the same record, the same bytes
    assert offers.forget(str(tmp_path), "shop") is True and offers.forget(str(tmp_path), "shop") is False


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
