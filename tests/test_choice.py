"""Choosing one niche's links in-process (curation/choice.py): what is in the running, how the score is
made, what the draft takes, and the `why` each link carries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from curator.curation.choice import Options, choose, context_texts, niche_language
from curator.curation.offers import Offered, Record
from curator.curation.score import UNDATED_DECAY
from curator.curation.tracking import url_key
from curator.model.issues import IssueFile, IssueLink
from curator.model.settings import HARD_SELL_PHRASES
from test_relevance import DATE, entry, niche, ranked

DENTAL = dict(keywords=("payroll", "hygienist", "rota"), sections=(("People", ("hygienist", "rota")),
                                                                   ("Money", ("payroll",))),
              body="For owners of dental practices: the front desk, recall lists, broken appointments and the rota.")
FILLER = "Weather and sport for the weekend in town."


def fillers(n: int, source: int = 0) -> list:
    return [(source, entry(f"Other note {i}", FILLER, url=f"https://{'ab'[source]}.example/o{i}")) for i in range(n)]


def issue(date: dt.date, links, status="published", **kw) -> IssueFile:
    return IssueFile(path=f"{date}.md", niche="n", number=1, date=date, status=status, subject=kw.get("subject", ""),
                     preheader="", intro=kw.get("intro", ""), body="", links=tuple(links))


def options(n, runners_up=5, max_age=120.0) -> Options:
    return Options(14.0, max_age, runners_up, tuple(HARD_SELL_PHRASES), n.lang)


def test_each_link_says_why_in_one_sentence_and_goes_under_its_section():
    n = niche(**DENTAL)
    first = entry("How we cut hygienist rota gaps", "Payroll and the front desk recall lists for broken appointments "
                  "at our practice.", url="https://a.example/1")
    thin = entry("Payroll deadlines", "Dates for the year.", url="https://a.example/2", days=3)
    choice = ranked(n, [first, thin, *(e for _, e in fillers(4))])
    assert [(c.title, c.section) for c in choice.links] == [(first["title"], "People"), (thin["title"], "Money")]
    assert choice.links[0].why == (
        "matches 'hygienist', 'rota' in the title; matches 'payroll' in the summary; close to the niche's own words "
        "('broken appointments', 'desk recall', 'front desk', 'recall lists'); published 2026-11-20, among the newest;"
        " source weight 1 (A); told first-hand ('we' in the title) (+30%)")   # four of the niche's words at most
    assert choice.links[1].why == ("matches 'payroll' in the title; published 2026-11-18, 2 days before the newest "
                                   "entry; source weight 1 (A); a 4-word summary (-30%)")
    assert (choice.seen, choice.kept) == (6, 2)   # six entries read, two stories about the niche


def test_a_niche_without_keywords_says_so_an_undated_entry_says_so_and_a_story_names_its_other_sources():
    n = niche(keywords=(), max_links=2)
    undated = {**entry("A practical guide to the rota", "Who works which evening, and how swaps are agreed."),
               "date": None}
    dated = entry("Payroll deadlines for the year", url="https://a.example/p")
    copy = entry("Payroll deadlines for the year", url="https://b.example/p")   # the same story from B
    choice = ranked(n, [undated, dated, (1, copy)])
    why = {c.title: c.why for c in choice.links}
    assert why[undated["title"]].startswith("the niche has no keywords; undated; source weight 1 (A)")
    assert why[dated["title"]].endswith("also in: B")
    n = niche(keywords=("vet", "clinic", "payroll"), title="Veterinary clinics", max_links=1,
              body="For owners of clinics: adoption days, shelter cats and the waiting room.")
    choice = ranked(n, [entry("Millbrook vet clinic hosts adoption day", "Shelter cats in the waiting room."),
                        *(e for _, e in fillers(3))])
    assert "close to the niche's own words" in choice.links[0].why   # the niche's other words do not count
    assert "mentions only the niche's own name ('vet', 'clinic') (-20%)" in choice.links[0].why


def after_one_kept(learning: bool = True):
    """The draft a week after the editor kept the one link a draft offered from source A (or, without
    `learning`, the same draft with no record)."""
    n = niche(**DENTAL, max_links=1)
    d1 = DATE - dt.timedelta(days=7)
    kept = entry("Hygienist rota for the winter", url="https://a.example/kept")
    record = Record("n", {d1.isoformat(): (Offered(kept["url"], url_key(kept["url"]), kept["title"], "", "A"),)})
    published = issue(d1, [IssueLink(kept["url"], kept["title"], source="A")])
    fresh = entry("Hygienist payroll for the new year", url="https://a.example/new")
    if not learning:
        record, published = Record("n", {}), None
    return choose(n, [(n.feeds[0], fresh)], [], [published] if published else [], record, DATE, options(n))


def test_what_the_editor_kept_is_named_in_why():
    assert after_one_kept().links[0].why.endswith("you kept 1 of 1 link from this source")


def test_an_entry_older_than_the_max_age_is_out_and_one_from_the_future_is_in_with_the_date_doubted():
    n = niche(**DENTAL, max_links=5)
    # Ages count from the newest entry seen (never from after the run date).
    newest = entry("Payroll rules this week", "What changed on Monday for the desk.", days=1)
    old = entry("Payroll rules from last spring", "The April change to overtime.", days=130,
                url="https://a.example/old")
    recent = entry("Payroll rules this summer", "The July change to holiday pay.", days=100,
                   url="https://a.example/recent")
    future = entry("Payroll rules next year", "The change planned for 2028 pensions.", days=-30,
                   url="https://a.example/future")
    choice = choose(n, [(n.feeds[0], e) for e in (newest, old, recent, future)], [], [], Record("n", {}), DATE,
                    options(n, max_age=120.0))
    why = {c.title: c.why for c in choice.links + choice.more}
    assert old["title"] not in why and recent["title"] in why
    assert "undated" in why[future["title"]] and "in the future (-30%)" in why[future["title"]]


def test_the_score_is_relevance_by_weight_by_half_plus_recency():
    n = niche(keywords=(), max_links=3)
    heavy = niche(keywords=(), max_links=3, feeds=(n.feeds[0], dataclasses.replace(n.feeds[1], weight=2.0)))
    now = entry("Rota guide", "Who works which evening.", url="https://a.example/now", days=0)
    half = entry("Payroll guide", "When the pay runs close.", url="https://a.example/half", days=14)  # a half-life
    undated = {**entry("Recall guide", "Which patients to call back.", url="https://a.example/undated"), "date": None}
    other = entry("Desk guide", "What the front desk says first.", url="https://b.example/now", days=0)
    choice = choose(heavy, [(heavy.feeds[0], now), (heavy.feeds[0], half), (heavy.feeds[0], undated),
                            (heavy.feeds[1], other)], [], [], Record("n", {}), DATE, options(heavy))
    score = {c.title: c.score for c in choice.links + choice.more}
    assert score["Payroll guide"] == pytest.approx(score["Rota guide"] * (0.5 + 0.5) / (0.5 + 1), rel=1e-3)
    assert score["Recall guide"] == pytest.approx(score["Rota guide"] * (0.5 + UNDATED_DECAY) / 1.5, rel=1e-3)
    assert score["Desk guide"] == pytest.approx(2 * score["Rota guide"], rel=1e-3)   # weight 2 against 1


def test_a_draft_is_filled_even_when_the_best_entries_all_come_from_one_source():
    # Only the best few are judged at first; one source holding them all must not leave the draft short.
    n = niche(keywords=("payroll",), max_links=3, per_source=1)
    best = [(0, entry(f"Payroll rule {i} for payroll clerks", f"Payroll detail number {i} for the clerks' desk.",
                      url=f"https://a.example/{i}")) for i in range(40)]
    rest = [(1, entry(f"Payroll note {i}", f"A payroll aside, number {i}, for the weekend desk.",
                      url=f"https://b.example/{i}", days=20)) for i in range(3)]
    choice = ranked(n, best + rest, runners_up=1)
    assert [c.source for c in choice.links] == ["A", "B"]   # B judged only once the first pass came up short
    assert len(choice.more) == 1


def test_a_story_a_recent_issue_carried_is_not_offered_again_under_another_url_but_an_old_ones_is():
    n = niche(**DENTAL, max_links=3)
    story = "Hygienist payroll rules for the winter rota"
    copy = entry(story, "What changes in January for part-time hygienists and their rota pay.",
                 url="https://b.example/copy")
    carried = IssueLink("https://a.example/first", "Winter rota: the hygienist payroll rules", source="A",
                        summary="What changes in January for part-time hygienists and their rota pay.")
    recent, old = DATE - dt.timedelta(days=14), DATE - dt.timedelta(days=200)
    for when, offered in ((recent, False), (old, True)):
        choice = choose(n, [(n.feeds[1], copy)], [], [issue(when, [carried])], Record("n", {}), DATE, options(n))
        assert (copy["url"] in [c.url for c in choice.links + choice.more]) is offered
    # Whatever order the issues come in, and wherever in an issue the story is.
    other = IssueLink("https://a.example/other", "Front desk scripts for late patients", source="A")
    issues = [issue(old, [other]), issue(recent, [other, carried])]
    entries = [(n.feeds[0], entry("Hygienist recall lists that fill the book", "Calling back the lapsed patients.")),
               (n.feeds[1], copy)]
    choice = choose(n, entries, [], issues, Record("n", {}), DATE, options(n))
    assert [c.title for c in choice.links + choice.more] == ["Hygienist recall lists that fill the book"]


def test_hand_picks_come_first_in_the_editors_order_once_each_and_never_a_sent_one():
    from curator.curation.score import Candidate

    n = niche(**DENTAL, max_links=2)
    def pick(url):
        return Candidate(url=url, title=url, summary="", guid="", date=None, source="", score=0.0, section="",
                         why="by hand", order=-1, key=url_key(url), hand_picked=True)
    picks = [pick("https://x.example/sent"), pick("https://x.example/1"), pick("https://x.example/1"),
             pick("https://x.example/2"), pick("https://x.example/3")]
    earlier = issue(DATE - dt.timedelta(days=7), [IssueLink("https://x.example/sent", "Sent")])
    choice = choose(n, [(n.feeds[0], entry("Payroll rota"))], picks, [earlier], Record("n", {}), DATE, options(n))
    assert [c.url for c in choice.links] == ["https://x.example/1", "https://x.example/2"]
    assert [c.title for c in choice.more] == ["Payroll rota"]


def test_runner_ups_are_the_next_stories_at_most_per_source_from_one_source_and_none_repeats():
    n = niche(keywords=("payroll",), max_links=1, per_source=2)
    a = [(0, entry(f"Payroll rule {i}", url=f"https://a.example/{i}")) for i in range(6)]
    b = [(1, entry(f"Payroll tip {i}", url=f"https://b.example/{i}", days=3)) for i in range(2)]
    choice = ranked(n, a + b, runners_up=3)
    assert len(choice.links) == 1 and len(choice.more) == 3
    sources = [c.source for c in choice.more]
    assert sources.count("A") <= 2 and "B" in sources
    urls = [c.url for c in choice.links + choice.more]
    assert len(urls) == len(set(urls))
    assert ranked(n, a + b, runners_up=0).more == []


def test_the_niches_own_words_are_its_hub_text_and_its_published_issues_before_the_date():
    n = niche(body="Hub text.")
    before = issue(DATE - dt.timedelta(days=7), [IssueLink("u", "Link title", summary="its summary", note="a note")],
                   subject="Subject", intro="Intro words")
    draft = issue(DATE - dt.timedelta(days=3), [IssueLink("v", "Draft link")], status="draft", subject="Draft")
    same_day = issue(DATE, [IssueLink("w", "Today")], subject="Today")
    assert context_texts(n, [before, draft, same_day], DATE) == ["Hub text.", "Subject Intro words",
                                                                "Link title its summary a note"]


def test_options_come_from_the_settings_and_a_niche_without_lang_takes_the_sites():
    settings = {"CURATE_HALF_LIFE_DAYS": 7, "CURATE_MAX_AGE_DAYS": 60, "CURATE_RUNNERS_UP": 4,
                "HARD_SELL_PHRASES": ["act now"], "DEFAULT_LANG": "fr"}
    assert Options.from_settings(settings, niche(lang="")) == Options(7.0, 60.0, 4, ("act now",), "fr")
    assert niche_language(settings, niche(lang="de")) == "de" and niche_language(settings, niche(lang="")) == "fr"


def test_an_exclusion_word_keeps_an_entry_out_of_the_draft_and_its_runner_ups():
    n = niche(keywords=("payroll",), exclude=("sponsored",), max_links=3)
    choice = ranked(n, [entry("Sponsored: payroll software for clinics", "The suite that does it all."),
                        entry("Payroll rules for 2027", "What changes in January for small employers.")])
    assert [c.title for c in choice.links + choice.more] == ["Payroll rules for 2027"]


def test_the_score_is_the_documented_product_and_learning_and_focus_are_factors_of_it():
    n = niche(keywords=(), max_links=1)
    alone = ranked(n, [entry("Rota guide", "Who works which evening and how swaps are agreed.", days=0)])
    assert alone.links[0].score == pytest.approx(1.0 * 1.0 * (0.5 + 1.0))   # no keywords: relevance 1, weight 1
    # What the editor kept from a source raises its next entry by the judgement's factor.
    assert after_one_kept().links[0].score > after_one_kept(learning=False).links[0].score
    # A source mostly about other things: the same entry scores less from it, by the share `why` names.
    on = [(0, entry(f"Payroll rota rule {i}", f"Payroll and rota detail number {i} for the desk.",
                    url=f"https://a.example/{i}")) for i in range(6)]
    off = [(1, entry(f"Town news {i}", f"Weather and sport number {i} for the weekend.", url=f"https://b.example/{i}"))
           for i in range(6)]
    same = "Payroll rota for the hygienist team", "How the hygienist rota and payroll meet each month."
    mixed = ranked(niche(**DENTAL, max_links=6), on + off + [(1, entry(*same, url="https://b.example/same"))])
    focused = ranked(niche(**DENTAL, max_links=6), on + off + [(0, entry(*same, url="https://a.example/same"))])
    b = next(c for c in mixed.links + mixed.more if c.url == "https://b.example/same")
    a = next(c for c in focused.links + focused.more if c.url == "https://a.example/same")
    share = int(re.search(r"about the niche\) \(-(\d+)%\)", b.why).group(1))
    assert b.score == pytest.approx(a.score * (1 - share / 100), abs=0.01)


def test_entries_the_first_pass_did_not_judge_never_outrank_the_ones_it_did():
    n = niche(keywords=("payroll", "rota", "hygienist", "recall"), max_links=1, per_source=5)   # scores well below 1
    found = [(0, entry(f"Payroll note {i}", f"Payroll detail number {i} for the small office this year.",
                       url=f"https://a.example/{i}", days=i)) for i in range(12)]   # 9 judged first, 3 not
    choice = ranked(n, found, runners_up=1)
    assert [c.title for c in choice.links + choice.more] == ["Payroll note 0", "Payroll note 1"]


def test_why_reads_the_summary_and_the_feeds_own_word_on_its_title():
    n = niche(keywords=("dentist", "payroll", "rota"), title="Dental practices", max_links=4)
    told = entry("Questions to ask before a crown", "Ask your dentist what it costs.", url="https://a.example/c")
    bare = entry("Payroll rota", "", url="https://a.example/bare")
    tag = {**entry("Payroll: the history of the <blink> tag", "Why old rota pages blinked at the payroll clerk.",
                   url="https://a.example/t"), "title_type": "text"}
    markup = entry("Spring <b>rota</b> templates", "Three payroll-friendly shift patterns for a small desk.",
                   url="https://a.example/m")
    why = {c.url: c.why for c in (lambda ch: ch.links + ch.more)(ranked(n, [told, bare, tag, markup]))}
    assert "advice for the niche's customers ('your dentist') (-50%)" in why[told["url"]]
    assert why[bare["url"]].endswith("a 0-word summary (-30%)")
    assert "debris" not in why[tag["url"]] and "markup debris '<b>' in the title" in why[markup["url"]]


def test_one_story_under_one_guid_or_in_three_feeds_is_one_link_naming_the_others():
    n = niche(keywords=("payroll",), max_links=3)
    third = dataclasses.replace(n.feeds[1], url="https://c.example/feed", name="C", location="https://c.example/feed")
    n = dataclasses.replace(n, feeds=(*n.feeds, third))
    story = [(i, entry("Payroll deadlines for 2027", "The dates every small employer must meet next year.",
                       url=f"https://{'abc'[i]}.example/p")) for i in range(3)]
    one_guid = [(0, entry("Payroll dates, 2027 edition", "Every date in one list.", url="https://a.example/g1",
                          guid="tag:x,2026:payroll")),
                (1, entry("The 2027 payroll calendar", "A list of deadlines.", url="https://b.example/g2",
                          guid="tag:x,2026:payroll"))]
    choice = ranked(n, story + one_guid)
    why = {c.title: c.why for c in choice.links}
    assert len(choice.links) == 2
    assert why["Payroll deadlines for 2027"].endswith("also in: B, C")
    assert "; also in: B;" in [w for t, w in why.items() if t != "Payroll deadlines for 2027"][0]


def test_why_names_every_keyword_the_summary_matches():
    n = niche(keywords=("payroll", "rota", "hygienist"), max_links=1)
    choice = ranked(n, [entry("A guide for the new year", "Payroll and rota changes for every small office.")])
    assert "matches 'payroll', 'rota' in the summary" in choice.links[0].why


def test_why_shows_the_niches_words_as_written_and_a_word_inside_a_shown_phrase_once():
    n = niche(keywords=("payroll",), max_links=1, body="Scripts. Scripts for the front desk. Recall. The desk.")
    choice = ranked(n, [entry("Payroll at the front desk", "Scripts, recall and the desk."),
                        *(e for _, e in fillers(4))])
    # 'desk' and 'front' are inside 'front desk'; 'scripts' as the summary's first word writes it.
    assert "close to the niche's own words ('front desk', 'recall', 'scripts')" in choice.links[0].why


def test_a_date_within_a_day_of_the_run_is_trusted_and_a_later_one_is_doubted():
    n = niche(keywords=("payroll",), max_links=3)
    end = dt.datetime.combine(DATE, dt.time(23, 59, 59), dt.UTC)   # the run date's last second
    def dated(title, summary, when):
        return {**entry(title, summary), "date": when.isoformat()}
    edge = dated("Payroll rules dated a day ahead", "Overtime thresholds for January, with the numbers.",
                 end + dt.timedelta(days=1))
    ahead = dated("Pension payroll changes", "Auto-enrolment duties that start in the spring, step by step.",
                  end + dt.timedelta(days=1, hours=12))
    why = {c.title: c.why for c in ranked(n, [edge, ahead]).links}
    assert "in the future" not in why[edge["title"]] and "among the newest" in why[edge["title"]]
    assert why[ahead["title"]].startswith("matches 'payroll' in the title; undated;")
    assert "in the future (-30%)" in why[ahead["title"]]


def test_an_entry_exactly_max_age_days_older_than_the_newest_is_still_in():
    n = niche(keywords=("payroll",), max_links=3)
    newest = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    def dated(title, summary, when):
        return {**entry(title, summary), "date": when.isoformat()}
    found = [dated("Payroll rules this week", "Overtime thresholds for January.", newest),
             dated("Payroll at the edge", "Holiday pay for part-time staff, worked out.",
                   newest - dt.timedelta(days=120)),
             dated("Payroll past the edge", "Pension duties for new starters, explained.",
                   newest - dt.timedelta(days=120, seconds=1))]
    choice = choose(n, [(n.feeds[0], e) for e in found], [], [], Record("n", {}), DATE, options(n, max_age=120.0))
    assert [c.title for c in choice.links + choice.more] == ["Payroll rules this week", "Payroll at the edge"]
