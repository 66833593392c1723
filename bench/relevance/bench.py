"""The relevance bench: does the draft offer what the editor would have chosen, week after week?

The corpus (this folder's YAML) holds three niches, each reading six feeds (trade
press, a general small-business blog, an aggregator re-posting stories under new
titles, local news, a vendor, a niche blogger) over four weekly rounds, every
entry labelled by an editor: 2 = surely in, 1 = acceptable, 0 = out. Each round's
feeds show that week's entries and the week before's, through the real cleaner.
For each niche, round n is drafted after the editor's decisions on rounds
1..n-1, simulated from the labels: drop the 0s, keep the rest, publish. Both
scorers run the same simulation: today's (frozen in legacy/) and the new one.

Reported per niche and round: precision@k (share of the k links labelled >= 1),
nDCG@k (graded gains 2^label - 1 against the best k distinct stories still
available), and duplicate stories per draft (links beyond the first of a story).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "plugins"))

from curator.choice import Choice, Options, choose  # noqa: E402
from curator.clean import clean_entry  # noqa: E402
from curator.issues import IssueFile, IssueLink, sent_urls  # noqa: E402
from curator.learning import offered_links  # noqa: E402
from curator.niches import EmailSettings, FeedSource, Niche, Section  # noqa: E402
from curator.offers import Record, with_offer  # noqa: E402
from curator.settings import DEFAULTS  # noqa: E402
from curator.tracking import url_key  # noqa: E402

NICHES = ("dental", "restaurants", "nonprofits")
FIRST_DRAFT = dt.date(2026, 10, 5)   # round n is drafted on this Monday + 7 (n - 1) days
WINDOW = 2                            # a feed shows this many weeks of entries
TARGETS = {"precision_round_1": 0.9, "precision_round_4": 0.95, "duplicates": 0}


@dataclass(frozen=True)
class Item:
    feed: str
    entry: dict
    label: int
    story: str
    round: int


@dataclass
class NicheCorpus:
    niche: Niche
    feeds: list[FeedSource]
    items: dict[int, list[Item]]      # round -> items, in feed order


def draft_date(round_: int) -> dt.date:
    return FIRST_DRAFT + dt.timedelta(days=7 * (round_ - 1))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _entry(raw: dict, host: str, round_: int, position: int) -> dict:
    """The entry as `curate` keeps it: through the real cleaner, dated within the round's week."""
    when = dt.datetime.combine(draft_date(round_), dt.time(9, 0), dt.timezone.utc) - dt.timedelta(days=1 + position % 6)
    if raw.get("future"):
        when += dt.timedelta(days=200)
    url = f"https://www.{host}/{draft_date(round_).year}/{round_}-{_slug(raw['title'])}"
    entry = clean_entry({"title": raw["title"], "link": url, "summary": raw.get("summary", ""), "guid": url,
                         "date": when.isoformat()}, f"https://www.{host}/feed.xml", "", DEFAULTS["CURATE_SUMMARY_WORDS"])
    assert entry is not None, raw
    return entry


def load(folder: Path = HERE) -> list[NicheCorpus]:
    shared = yaml.safe_load((folder / "shared.yaml").read_text(encoding="utf-8"))
    hosts = {f["name"]: f["host"] for f in shared["feeds"]}
    out = []
    for slug in NICHES:
        data = yaml.safe_load((folder / f"{slug}.yaml").read_text(encoding="utf-8"))
        meta = data["niche"]
        hosts.update({f["name"]: f["host"] for f in meta["feeds"] if "host" in f})
        feeds = [FeedSource(url=f"https://www.{hosts[f['name']]}/feed.xml", name=f["name"], weight=float(f["weight"]),
                            location=f"https://www.{hosts[f['name']]}/feed.xml") for f in meta["feeds"]]
        niche = Niche(slug=slug, path=f"{slug}.md", title=meta["title"], summary=meta["summary"], cadence="weekly",
                      max_links=meta["max_links"], per_source=meta["per_source"],
                      keywords=tuple(w.lower() for w in meta["keywords"]),
                      exclude=tuple(w.lower() for w in meta["exclude"]),
                      sections=tuple(Section(s["name"], tuple(s["keywords"])) for s in meta["sections"]),
                      feeds=tuple(feeds), email=EmailSettings("a@example.org", "a@example.org", ("mailto:u@example.org",)),
                      body=meta["body"], lang="en")
        items: dict[int, list[Item]] = {}
        for round_ in sorted(set(data["rounds"]) | set(shared["rounds"])):
            raws = [(r, r["label"]) for r in data["rounds"].get(round_, [])]
            raws += [(r, r["labels"][slug]) for r in shared["rounds"].get(round_, [])]
            by_feed: dict[str, list[Item]] = {}
            for position, (raw, label) in enumerate(raws):
                entry = _entry(raw, hosts[raw["feed"]], round_, position)
                by_feed.setdefault(raw["feed"], []).append(
                    Item(raw["feed"], entry, int(label), raw.get("story") or entry["key"], round_))
            items[round_] = [i for f in feeds for i in by_feed.get(f.name, [])]
        out.append(NicheCorpus(niche, feeds, items))
    return out


# --- the two scorers, one interface: (niche corpus, tagged entries, issues, record, date) -> (links, more)

def new_scorer(corpus: NicheCorpus, tagged, issues, record, date) -> Choice:
    options = Options(DEFAULTS["CURATE_HALF_LIFE_DAYS"], DEFAULTS["CURATE_MAX_AGE_DAYS"],
                      DEFAULTS["CURATE_RUNNERS_UP"], tuple(DEFAULTS["HARD_SELL_PHRASES"]), corpus.niche.lang)
    return choose(corpus.niche, tagged, [], issues, record, date, options)


def today_scorer(corpus: NicheCorpus, tagged, issues, record, date) -> Choice:
    from relevance.legacy.score import parse_date, reference_time, score_entry
    from relevance.legacy.selection import dedupe, select

    niche = corpus.niche
    reference = reference_time([parse_date(e.get("date")) for _, e in tagged], date)
    cands = [score_entry(e, niche, f.name, f.weight, reference, DEFAULTS["CURATE_HALF_LIFE_DAYS"],
                         DEFAULTS["CURATE_MAX_AGE_DAYS"], order) for order, (f, e) in enumerate(tagged)]
    history = sent_urls([i for i in issues if i.date != date])
    ranked = dedupe([c for c in cands if c is not None], history)
    return Choice(select([], ranked, history, max_links=niche.max_links, per_source=niche.per_source), [])


SCORERS = {"today": today_scorer, "new": new_scorer}


# --- the simulation and its measures

def _dcg(gains: list[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def measure(links, pool: list[Item], k: int) -> dict:
    by_key = {i.entry["key"]: i for i in pool}
    picked = [by_key[url_key(c.url)] for c in links]
    labels = [i.label for i in picked]
    best: dict[str, int] = {}
    for item in pool:
        best[item.story] = max(best.get(item.story, 0), item.label)
    ideal = _dcg(sorted(best.values(), reverse=True)[:k])
    return {"k": len(picked), "precision": sum(1 for x in labels if x >= 1) / len(picked) if picked else 0.0,
            "ndcg": _dcg(labels) / ideal if ideal else 0.0,
            "duplicates": len(picked) - len({i.story for i in picked}),
            "picks": [(i.label, i.feed, i.entry["title"]) for i in picked]}


def simulate(corpus: NicheCorpus, scorer) -> list[dict]:
    """Every round's draft and its measures; the editor publishes each draft minus its 0s."""
    issues: list[IssueFile] = []
    record = Record(corpus.niche.slug, {})
    rows = []
    for round_ in sorted(corpus.items):
        date = draft_date(round_)
        window = [i for r in range(max(1, round_ - WINDOW + 1), round_ + 1) for i in corpus.items[r]]
        # Each feed lists its newest entries first, the way a feed does.
        ordered = [i for f in corpus.feeds for i in sorted((i for i in window if i.feed == f.name),
                                                             key=lambda i: i.entry["date"], reverse=True)]
        feeds = {f.name: f for f in corpus.feeds}
        tagged = [(feeds[i.feed], i.entry) for i in ordered]
        sent = {url_key(u) for u in sent_urls(issues)}
        pool = [i for i in ordered if i.entry["key"] not in sent]
        choice = scorer(corpus, tagged, issues, record, date)
        row = {"round": round_, **measure(choice.links, pool, corpus.niche.max_links)}
        row["why"] = [(c.title, c.why) for c in choice.links]
        rows.append(row)
        record = with_offer(record, date.isoformat(), offered_links(choice.links, choice.more))
        by_key = {i.entry["key"]: i for i in pool}
        kept = tuple(IssueLink(url=c.url, title=c.title, source=c.source, summary=c.summary, why=c.why)
                     for c in choice.links if by_key[url_key(c.url)].label >= 1)
        issues.append(IssueFile(path=f"{corpus.niche.slug}/{date}.md", niche=corpus.niche.slug, number=round_,
                                date=date, status="published", subject="", preheader="", intro="", links=kept,
                                body=""))
    return rows


def run() -> dict:
    corpora = load()
    results = {"niches": {}, "rounds": sorted(corpora[0].items)}
    for corpus in corpora:
        results["niches"][corpus.niche.slug] = {name: simulate(corpus, scorer) for name, scorer in SCORERS.items()}
    results["mean"] = {name: [{key: sum(results["niches"][n][name][r][key] for n in results["niches"])
                               / len(results["niches"]) for key in ("precision", "ndcg", "duplicates")}
                              for r in range(len(results["rounds"]))] for name in SCORERS}
    return results


def verdicts(results: dict) -> list[tuple[str, str, str, bool]]:
    """(target, value, limit, met): every niche must meet the precision targets."""
    new = {n: rows["new"] for n, rows in results["niches"].items()}
    first = min(rows[0]["precision"] for rows in new.values())
    last = min(rows[-1]["precision"] for rows in new.values())
    dups = max(row["duplicates"] for rows in new.values() for row in rows)
    mean = results["mean"]["new"]
    return [
        ("relevance: precision@k in round 1 (worst niche)", f"{first:.2f}", f">= {TARGETS['precision_round_1']}",
         first >= TARGETS["precision_round_1"]),
        (f"relevance: precision@k in round {len(mean)} (worst niche)", f"{last:.2f}",
         f">= {TARGETS['precision_round_4']}", last >= TARGETS["precision_round_4"]),
        ("relevance: nDCG@k rising (mean over niches)", " -> ".join(f"{r['ndcg']:.2f}" for r in mean),
         "last round above the first", mean[-1]["ndcg"] > mean[0]["ndcg"]),
        ("relevance: duplicate stories per draft (most in any draft)", str(dups), "0", dups == 0),
    ]


def table(results: dict) -> list[str]:
    lines = ["Relevance (labelled corpus, k = max_links; today's scorer | the new one)",
             f"  {'niche':<12} {'round':>5}  {'P@k':>5} {'nDCG':>5} {'dups':>4}  |  {'P@k':>5} {'nDCG':>5} {'dups':>4}"]
    for slug, rows in [*results["niches"].items(), ("mean", results["mean"])]:
        for r, (old, new) in enumerate(zip(rows["today"], rows["new"])):
            lines.append(f"  {slug:<12} {r + 1:>5}  {old['precision']:>5.2f} {old['ndcg']:>5.2f} {old['duplicates']:>4.1f}"
                         f"  |  {new['precision']:>5.2f} {new['ndcg']:>5.2f} {new['duplicates']:>4.1f}")
    return lines


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    res = run()
    print("\n".join(table(res)))
    for v in verdicts(res):
        print(f"  [{'met' if v[3] else 'MISSED'}] {v[0]}: {v[1]} (target {v[2]})")
    if "-v" in sys.argv:
        for slug, rows in res["niches"].items():
            for name in SCORERS:
                for row in rows[name]:
                    print(f"\n{slug} {name} round {row['round']}: P={row['precision']:.2f} nDCG={row['ndcg']:.2f}")
                    for (label, feed, title), (_, why) in zip(row["picks"], row["why"]):
                        print(f"   {label} {feed[:22]:<22} {title[:70]:<70} | {why[:150]}")
