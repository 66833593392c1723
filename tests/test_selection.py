"""Which links a draft carries: hand-picks first, max_links, per_source, sections, history and cadence.

`choice._select` is the pure step that fills a draft from the editor's hand-picks and the ranked
stories; `choose` runs it on scored feed entries. Each test is a rule an editor would notice broken
(a hand-pick lost, one link too many, the same article twice, a link sent last month sent again).
"""

from __future__ import annotations

import datetime as dt

import pytest

from curator.curation.choice import Options, _select, choose
from curator.curation.drafts import too_soon
from curator.curation.offers import Record
from curator.curation.score import Candidate
from curator.curation.selection import link_key, sort_key, title_key
from curator.curation.stories import Story
from curator.curation.tracking import url_key
from curator.model.issues import IssueFile, IssueLink, sent_urls
from curator.model.niches import EmailSettings, FeedSource, Niche, Section
from curator.model.settings import HARD_SELL_PHRASES

DATE = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 21, 9, tzinfo=dt.UTC)
FEEDS = tuple(FeedSource(f"https://{s}.example/feed", s.upper(), 1.0, f"https://{s}.example/feed") for s in "abc")


def niche(max_links=3, per_source=3, keywords=("hygienist",), sections=(), cadence="weekly") -> Niche:
    return Niche(slug="n", path="n.md", title="N", summary="", cadence=cadence, max_links=max_links,
                 per_source=per_source, keywords=tuple(keywords), exclude=(),
                 sections=tuple(Section(n, tuple(k)) for n, k in sections), feeds=FEEDS,
                 email=EmailSettings("a@x.example", "a@x.example", ("mailto:u@x.example",)), lang="en")


def cand(url, title=None, source="A", score=1.0, picked=False, section="", order=0) -> Candidate:
    return Candidate(url=url, title=title or f"Title of {url}", summary="", guid="", date=None, source=source,
                     score=score, section=section, why="", order=order, hand_picked=picked)


def story(*members: Candidate) -> Story:
    return Story(members[0], tuple(members[1:]))


def urls(chosen) -> list[str]:
    return [(c.lead if isinstance(c, Story) else c).url for c in chosen]


def pick(url, title=None, section="") -> Candidate:
    return cand(url, title, source="", picked=True, section=section)


# --- _select: the pure step ---------------------------------------------------------------------

def test_hand_picks_come_first_in_the_editors_order_then_the_best_stories():
    stories = [story(cand(f"https://a.example/s{i}", score=10 - i)) for i in range(3)]
    picks = [pick("https://p.example/2"), pick("https://p.example/1")]
    links, more = _select(picks, stories, set(), niche(max_links=4), runners_up=5)
    assert urls(links) == ["https://p.example/2", "https://p.example/1", "https://a.example/s0", "https://a.example/s1"]
    assert urls(more) == ["https://a.example/s2"]


def test_an_already_sent_hand_pick_is_skipped_and_every_later_hand_pick_kept():
    picks = [pick("https://p.example/1"), pick("https://p.example/sent"), pick("https://p.example/3")]
    links, _ = _select(picks, [], {url_key("https://p.example/sent")}, niche(max_links=5), runners_up=0)
    assert urls(links) == ["https://p.example/1", "https://p.example/3"]


def test_the_same_hand_pick_twice_is_one_link_and_later_picks_still_count():
    picks = [pick("https://p.example/1?a=1&b=2"), pick("https://p.example/1?b=2&a=1"), pick("https://p.example/2")]
    links, _ = _select(picks, [], set(), niche(max_links=5), runners_up=0)
    assert urls(links) == ["https://p.example/1?a=1&b=2", "https://p.example/2"]


@pytest.mark.parametrize("max_links", [1, 2, 3])
def test_hand_picks_never_exceed_max_links(max_links):
    picks = [pick(f"https://p.example/{i}") for i in range(max_links + 2)]
    stories = [story(cand("https://a.example/s"))]
    links, more = _select(picks, stories, set(), niche(max_links=max_links), runners_up=2)
    assert urls(links) == [f"https://p.example/{i}" for i in range(max_links)]
    assert urls(more) == ["https://a.example/s"]


def test_stories_fill_the_draft_up_to_max_links_and_no_further():
    stories = [story(cand(f"https://a.example/s{i}", source="ABC"[i % 3], score=9 - i)) for i in range(6)]
    links, more = _select([pick("https://p.example/1")], stories, set(), niche(max_links=3), runners_up=2)
    assert urls(links) == ["https://p.example/1", "https://a.example/s0", "https://a.example/s1"]
    assert urls(more) == ["https://a.example/s2", "https://a.example/s3"]


def test_a_story_a_hand_pick_already_carries_is_not_repeated_under_another_url_or_title():
    picks = [pick("https://p.example/guide", title="The Hygienist's Guide")]
    stories = [story(cand("https://a.example/guide-copy", title="The hygienist’s guide!"), ),  # same title, other URL
               story(cand("https://b.example/x", source="B"), cand("https://p.example/guide/", source="C")),  # same URL
               story(cand("https://c.example/other", source="C"))]
    links, more = _select(picks, stories, set(), niche(max_links=5), runners_up=5)
    assert urls(links) == ["https://p.example/guide", "https://c.example/other"]
    assert more == []


def test_at_most_per_source_links_from_one_source_the_rest_wait_as_runner_ups():
    stories = [story(cand(f"https://a.example/{i}", source="A", score=9 - i)) for i in range(4)]
    stories.append(story(cand("https://b.example/0", source="B", score=1)))
    links, more = _select([], stories, set(), niche(max_links=4, per_source=2), runners_up=3)
    assert urls(links) == ["https://a.example/0", "https://a.example/1", "https://b.example/0"]
    assert urls(more) == ["https://a.example/2", "https://a.example/3"]


def test_a_story_whose_lead_source_is_full_is_led_by_a_copy_from_a_source_with_room():
    first = story(cand("https://a.example/0", source="A", score=5))
    shared = story(cand("https://a.example/1", source="A", score=4), cand("https://b.example/1", source="B", score=3))
    links, _ = _select([], [first, shared], set(), niche(max_links=3, per_source=1), runners_up=0)
    assert urls(links) == ["https://a.example/0", "https://b.example/1"]
    led = links[1]
    assert led.lead.source == "B" and led.lead.score == 4  # the story keeps its rank's score
    assert [c.url for c in led.copies] == ["https://a.example/1"]


def test_a_copy_that_could_not_be_judged_never_leads_a_story():
    shared = story(cand("https://a.example/1", source="A", order=1), cand("https://b.example/1", source="B", order=2))
    links, more = _select([], [shared], set(), niche(), runners_up=1, judged=lambda c: c.order == 2)
    assert urls(links) == ["https://b.example/1"]
    links, more = _select([], [shared], set(), niche(), runners_up=1, judged=lambda c: False)
    assert links == [] and urls(more) == ["https://a.example/1"]


def test_runner_ups_are_at_most_per_source_from_one_source():
    stories = [story(cand(f"https://a.example/{i}", source="A", score=9 - i)) for i in range(5)]
    links, more = _select([], stories, set(), niche(max_links=1, per_source=2), runners_up=5)
    assert urls(links) == ["https://a.example/0"]
    assert urls(more) == ["https://a.example/1", "https://a.example/2"]


# --- the keys -----------------------------------------------------------------------------------

def test_one_link_is_one_key_whatever_its_query_order_fragment_www_or_trailing_slash():
    keys = {url_key(u) for u in ("https://www.a.example/p?b=2&a=1#top", "http://a.example/p?a=1&b=2",
                                 "HTTPS://a.example/p?a=1&b=2")}
    assert keys == {"a.example/p?a=1&b=2"}
    assert url_key("https://www.a.example/p/") == url_key("http://a.example/p") == "a.example/p"
    assert url_key("https://a.example/p?a=1") != url_key("https://a.example/p?a=2")
    assert link_key(cand("https://a.example/x")) == "a.example/x"
    assert link_key(Candidate("https://a.example/x", "t", "", "", None, "A", 1, "", "", key="stored")) == "stored"


def test_titles_compare_without_case_accents_or_punctuation():
    assert title_key("Café  Prices: UP!") == title_key("cafe prices up") == "cafe prices up"
    assert title_key("Straße") == title_key("STRASSE")
    assert title_key("Prices up") != title_key("Prices down")


def test_higher_scores_rank_first_then_newer_then_the_order_entries_arrived_in():
    def c(url, score, days, order):
        date = None if days is None else NOW - dt.timedelta(days=days)
        return Candidate(url, url, "", "", date, "A", score, "", "", order=order)

    ranked = sorted([c("low", 1, 0, 0), c("old", 2, 5, 1), c("new", 2, 1, 2), c("undated", 2, None, 3),
                     c("new-later", 2, 1, 4)], key=sort_key)
    assert [x.url for x in ranked] == ["new", "new-later", "old", "undated", "low"]


# --- choose: history, sections, summary matches ---------------------------------------------------

def entry(title, url, summary=None, days=1):
    summary = summary if summary is not None else f"Worked numbers for {url.rsplit('/', 1)[-1]} in a small office."
    return {"title": title, "summary": summary, "url": url, "guid": "", "key": url_key(url),
            "date": (NOW - dt.timedelta(days=days)).isoformat()}


def issue(date, *links, status="published", number=1) -> IssueFile:
    return IssueFile(path=f"{date}.md", niche="n", number=number, date=date, status=status, subject="s",
                     preheader="", intro="", links=tuple(IssueLink(u, "t") for u in links), body="")


def run(n, entries, picks=(), issues=(), runners_up=0):
    opts = Options(14.0, 120.0, runners_up, tuple(HARD_SELL_PHRASES), "en")
    tagged = [(FEEDS[i], e) for i, e in entries]
    return choose(n, tagged, list(picks), list(issues), Record("n", {}), DATE, opts)


def test_a_link_an_earlier_issue_carried_is_never_picked_again_but_a_rerun_of_the_same_date_may_keep_it():
    entries = [(0, entry("Hygienist hiring guide", "https://a.example/hire?x=1&y=2")),
               (1, entry("Hygienist pay survey", "https://b.example/pay"))]
    earlier = issue(dt.date(2026, 11, 1), "https://a.example/hire?y=2&x=1")
    assert urls(run(niche(), entries, issues=[earlier]).links) == ["https://b.example/pay"]
    same_day = issue(DATE, "https://a.example/hire?y=2&x=1", status="draft", number=2)
    assert sorted(urls(run(niche(), entries, issues=[same_day]).links)) == ["https://a.example/hire?x=1&y=2",
                                                                          "https://b.example/pay"]
    assert sent_urls([earlier, same_day]) == {"https://a.example/hire?y=2&x=1"}


def test_an_already_sent_hand_pick_drops_only_itself_in_a_full_run():
    picks = [pick("https://p.example/sent"), pick("https://p.example/new")]
    chosen = run(niche(), [(0, entry("Hygienist pay survey", "https://a.example/pay"))], picks=picks,
                 issues=[issue(dt.date(2026, 11, 1), "https://p.example/sent")])
    assert urls(chosen.links) == ["https://p.example/new", "https://a.example/pay"]


def test_the_same_article_at_two_urls_is_one_link_in_the_draft():
    entries = [(0, entry("Hygienist shortage: what clinics do next", "https://a.example/shortage")),
               (1, entry("Hygienist shortage: what clinics do next", "https://b.example/news/shortage")),
               (2, entry("Hygienist pay survey", "https://c.example/pay"))]
    chosen = run(niche(max_links=3), entries)
    assert sorted(c.title for c in chosen.links) == ["Hygienist pay survey", "Hygienist shortage: what clinics do next"]
    merged = next(c for c in chosen.links if "shortage" in c.url)
    assert merged.why.endswith("; also in: " + ({"A", "B"} - {merged.source}).pop())


def test_a_hand_picked_article_is_not_repeated_by_a_feed_carrying_it_at_another_url():
    picks = [pick("https://p.example/shortage", title="Hygienist shortage: what clinics do next")]
    entries = [(0, entry("Hygienist shortage: what clinics do next", "https://a.example/shortage")),
               (1, entry("Hygienist pay survey", "https://b.example/pay"))]
    assert urls(run(niche(), entries, picks=picks).links) == ["https://p.example/shortage", "https://b.example/pay"]


def test_an_entry_that_names_a_keyword_only_in_its_summary_is_kept_and_why_says_so():
    entries = [(0, entry("Three ways to fill the chair on Mondays", "https://a.example/mondays",
                         summary="What a hygienist on a split shift changed for one small office.", days=2))]
    chosen = run(niche(), entries)
    assert [c.url for c in chosen.links] == ["https://a.example/mondays"]
    assert chosen.links[0].why == "matches 'hygienist' in the summary; published 2026-11-19, among the newest; " \
                                  "source weight 1 (A)"


def test_why_is_one_sentence_naming_each_reason_in_order():
    entries = [(0, entry("Hygienist rota for a small office", "https://a.example/rota",
                         summary="Scheduling that cut the gaps in half.", days=3)),
               (1, entry("Hygienist rota for a small office", "https://b.example/rota-copy", days=1,
                         summary="Scheduling that cut the gaps in half.")),
               (2, entry("Office coffee", "https://c.example/coffee", summary="Nothing on topic", days=1))]
    chosen = run(niche(keywords=("hygienist", "scheduling")), entries)
    assert [c.url for c in chosen.links] == ["https://b.example/rota-copy"]
    assert chosen.links[0].why == ("matches 'hygienist' in the title; matches 'scheduling' in the summary; "
                                   "published 2026-11-20, among the newest; source weight 1 (B); also in: A; "
                                   "a 7-word summary (-30%)")


def test_each_link_goes_under_the_section_whose_keywords_it_holds_and_a_hand_picks_section_is_kept():
    n = niche(keywords=("hygienist", "billing"), sections=[("Hiring", ["hygienist"]), ("Money", ["billing"])])
    entries = [(0, entry("Hygienist interviews that work", "https://a.example/hire")),
               (1, entry("Billing codes changed this month", "https://b.example/bill"))]
    picks = [pick("https://p.example/1", section="Money")]
    chosen = run(n, entries, picks=picks)
    assert (chosen.links[0].url, chosen.links[0].section) == ("https://p.example/1", "Money")
    assert {c.url: c.section for c in chosen.links[1:]} == {"https://a.example/hire": "Hiring",
                                                            "https://b.example/bill": "Money"}


# --- cadence --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cadence", "last", "due"), [
    ("weekly", dt.date(2026, 11, 15), ""),              # 7 days: due today
    ("weekly", dt.date(2026, 11, 16), "2026-11-23"),
    ("monthly", dt.date(2026, 11, 1), "2026-11-29"),    # monthly is 28 days: the same weekday
    ("biweekly", dt.date(2026, 11, 8), ""),
])
def test_a_draft_is_too_soon_until_the_cadence_has_passed_since_the_last_issue(cadence, last, due):
    reason = too_soon([issue(last, number=4)], niche(cadence=cadence), DATE)
    if not due:
        assert reason == ""
    else:
        assert reason == (f"issue 4 is dated {last.isoformat()} and the cadence is {cadence}: "
                          f"the next one is due on {due} (use --force to write it now)")


def test_an_issue_dated_after_the_draft_does_not_hold_it_back_and_no_issue_means_due():
    assert too_soon([issue(dt.date(2026, 11, 25))], niche(), DATE) == ""
    assert too_soon([], niche(), DATE) == ""
