"""Deterministic test material: feeds, niche files, articles and issue files.

Everything is generated from a seed, so two runs (and the peer measured in the
same run) see byte-identical input. Feeds look like real trade-press feeds: RSS
2.0 and Atom, ~2 KB of HTML per entry, some links carrying utm_* parameters,
and some articles that also appear in a neighbouring feed (syndication), with a
different GUID and sometimes different tracking parameters.
"""

from __future__ import annotations

import datetime as dt
import random
from email.utils import format_datetime
from html import escape
from pathlib import Path

NICHES = [
    ("dental", "Dental practices", ["dental", "dentist", "hygienist", "patient", "claims", "insurance", "practice"]),
    (
        "restaurants",
        "Independent restaurants",
        ["restaurant", "menu", "food cost", "kitchen", "tips", "server", "chef"],
    ),
    ("nonprofits", "Small nonprofits", ["nonprofit", "donor", "grant", "board", "volunteer", "fundraising", "990"]),
    ("law", "Small law firms", ["law firm", "attorney", "trust account", "billing", "client", "matter", "paralegal"]),
    ("vets", "Veterinary clinics", ["veterinary", "clinic", "pet", "vet tech", "inventory", "client", "appointment"]),
    (
        "builders",
        "Builders and trades",
        ["contractor", "job costing", "bid", "subcontractor", "equipment", "crew", "site"],
    ),
    ("retail", "Independent shops", ["retail", "inventory", "point of sale", "shop", "margin", "seasonal", "customer"]),
    ("architects", "Architecture studios", ["architect", "studio", "fee", "project", "drawing", "client", "planning"]),
    (
        "physio",
        "Physiotherapy clinics",
        ["physiotherapy", "clinic", "patient", "therapist", "booking", "insurance", "referral"],
    ),
    ("salons", "Salons and barbers", ["salon", "stylist", "chair rental", "booking", "retail", "tips", "client"]),
]
MONEY = ["cash flow", "payroll", "tax", "collections", "overhead", "pricing", "bookkeeping", "quarterly estimates",
         "sales tax", "depreciation", "retirement plan", "health insurance", "line of credit", "budget"]
PEOPLE = ["hiring", "retention", "training", "staff", "overtime", "benefits", "scheduling", "onboarding"]
SYSTEMS = ["software", "compliance", "records", "checklist", "systems", "audit", "security", "backups"]
VERBS = ["cut", "tame", "fix", "plan", "audit", "simplify", "track", "negotiate", "forecast", "protect"]
OPENERS = ["How to", "Why", "A checklist to", "What changed:", "Five ways to", "The case for", "A plain guide to",
           "Ask the accountant:", "Field notes:", "When to"]
SPONSORED = ["Sponsored: win a free consultation", "Webinar registration: scale your practice", "Giveaway: new tablets"]
WORDS = ("the owners we spoke to said the hardest part was keeping a steady routine each month so that nothing "
         "surprised them at year end and the numbers told a story they could act on with their team and their "
         "lender while the rules kept changing and the software vendors promised more than they delivered").split()


def _sentence(rng: random.Random, extra: list[str]) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 20))]
    words[rng.randrange(len(words))] = rng.choice(extra)
    return " ".join(words).capitalize() + "."


def _title(rng: random.Random, keywords: list[str]) -> str:
    topic = rng.choice(MONEY + PEOPLE + SYSTEMS)
    subject = rng.choice(keywords)
    return f"{rng.choice(OPENERS)} {rng.choice(VERBS)} {topic} in your {subject} business".replace("  ", " ")


def _body(rng: random.Random, keywords: list[str], link: str, pixel: bool) -> str:
    """About 2 KB of the HTML trade feeds carry: paragraphs, a list, links, emphasis."""
    parts = [f"<p>{escape(_sentence(rng, keywords))} <strong>{escape(rng.choice(MONEY))}</strong> "
             f"{escape(_sentence(rng, keywords))}</p>"]
    while sum(len(p) for p in parts) < 1700:
        choice = rng.random()
        if choice < 0.6:
            parts.append(f"<p>{escape(_sentence(rng, keywords))} {escape(_sentence(rng, MONEY))}</p>")
        elif choice < 0.8:
            items = "".join(f"<li>{escape(_sentence(rng, PEOPLE + SYSTEMS))}</li>" for _ in range(3))
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append(
                f'<p>See <a href="{escape(link)}">the full article</a> and '
                f'<a href="https://www.irs.gov/businesses/small-businesses-self-employed">the IRS page</a>.</p>'
            )
    if pixel:
        parts.append('<img src="https://pixel.example-tracker.com/open.gif?u=123" width="1" height="1" alt="">')
    return "".join(parts)


def feed_entries(index: int, total: int, entries: int, today: dt.date, seed: int = 7) -> list[dict]:
    """The entries of feed `index` (0-based) among `total` feeds."""
    slug, _, keywords = NICHES[index % len(NICHES)]
    now = dt.datetime.combine(today, dt.time(12, 0), dt.UTC)
    out = []
    for n in range(entries):
        # Syndication: every 10th entry also appears in the next feed (same title and
        # article, own GUID); build it from the seed of the feed that owns it.
        owner, m = (index, n)
        if n % 10 == 5 and total > 1:
            owner, m = ((index - 1) % total, n - 1)
        rng = random.Random(f"{seed}-{owner}-{m}")
        oslug, _, okeywords = NICHES[owner % len(NICHES)]
        title = _title(rng, okeywords) if not (m % 25 == 24) else rng.choice(SPONSORED)
        stem = title.lower().replace(" ", "-").replace(":", "")[:60]
        path = f"https://www.{oslug}-journal{owner}.example/{today.year}/{m:03d}-{stem}"
        link = path
        if rng.random() < 0.3 or owner != index:
            link = f"{path}?utm_source=feed{index}&utm_medium=rss&utm_campaign=weekly"
        body = _body(rng, okeywords, link, pixel=(m % 17 == 3))
        published = now - dt.timedelta(hours=6 * m + rng.randint(0, 5))
        out.append({"title": title, "link": link, "guid": f"urn:bench:{index}:{n}", "date": published,
                    "body": body, "author": rng.choice(["Dana Ruiz", "Sam Okafor", "Lee Park", "Ana Silva"])})
    return out


def feed_xml(index: int, total: int, entries: int, today: dt.date) -> str:
    """One feed's document; every third feed is Atom, the others RSS 2.0."""
    slug, title, _ = NICHES[index % len(NICHES)]
    items = feed_entries(index, total, entries, today)
    home = f"https://www.{slug}-journal{index}.example/"
    if index % 3 == 2:
        body = "".join(
            f"<entry><title>{escape(e['title'])}</title><link rel=\"alternate\" href=\"{escape(e['link'])}\"/>"
            f"<id>{e['guid']}</id><published>{e['date'].isoformat()}</published><updated>{e['date'].isoformat()}</updated>"
            f"<author><name>{e['author']}</name></author>"
            f"<summary type=\"html\">{escape(e['body'])}</summary></entry>\n" for e in items)
        return (
            f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>{escape(title)} Journal {index}</title><link href="{home}"/><id>{home}</id>'
            f"<updated>{items[0]['date'].isoformat() if items else '2026-01-01T00:00:00Z'}</updated>\n{body}</feed>\n"
        )
    body = "".join(
        f"<item><title>{escape(e['title'])}</title><link>{escape(e['link'])}</link>"
        f"<guid isPermaLink=\"false\">{e['guid']}</guid><pubDate>{format_datetime(e['date'])}</pubDate>"
        f"<author>news@{slug}.example ({e['author']})</author>"
        f"<description>{escape(e['body'])}</description></item>\n" for e in items)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{escape(title)} Journal {index}</title><link>{home}</link>"
            f"<description>News for {escape(title.lower())}</description>\n{body}</channel></rss>\n")


def feed_path(index: int) -> str:
    return f"/feeds/{index:03d}.{'atom' if index % 3 == 2 else 'xml'}"


def niche_file(slug: str, title: str, keywords: list[str], feed_urls: list[str]) -> str:
    """A niche file in the format of content/niches/*.md (YAML front matter)."""
    import yaml

    meta = {
        "title": title,
        "summary": f"Plain-English money and staffing help for {title.lower()}.",
        "cadence": "weekly",
        "max_links": 7,
        "per_source": 2,
        "keywords": keywords + MONEY[:6] + PEOPLE[:3],
        "exclude": ["sponsored", "webinar registration", "giveaway"],
        "sections": [
            {"name": "Money", "keywords": MONEY},
            {"name": "People", "keywords": PEOPLE},
            {"name": "Running the business", "keywords": SYSTEMS + keywords[:2]},
        ],
        "feeds": [{"url": url, "name": f"Journal {i}", "weight": 1.0 + (i % 3) / 10} for i, url in feed_urls],
        "email": {
            "from": "Clearwater Advisory <letters@clearwater-advisory.example>",
            "reply_to": "hello@clearwater-advisory.example",
            "unsubscribe": f"mailto:unsubscribe+{slug}@clearwater-advisory.example?subject=unsubscribe",
        },
    }
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=120)
    return f"---\n{head}---\nFor owners and managers of {title.lower()}: a short weekly list of useful links.\n"


def feed_url(base_url: str, index: int, hosts: int = 1) -> str:
    """Feed `index` on `base_url` (http://127.0.0.1:port), or spread over 127.0.0.1 to 127.0.0.<hosts>."""
    if hosts > 1:
        base_url = base_url.replace("//127.0.0.1:", f"//127.0.0.{1 + index % hosts}:")
    return base_url + feed_path(index)


def write_niches(content: Path, base_url: str, feeds: int, niches: int = 10, hosts: int = 1) -> None:
    """`niches` niche files sharing `feeds` feeds: each niche reads its own slice,
    plus the first feed of the next slice (feeds shared between niches are real)."""
    folder = content / "niches"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    niches = min(niches, feeds)
    for j in range(niches):
        mine = [i for i in range(feeds) if i % niches == j]
        if niches > 1:
            mine.append((j + 1) % niches)
        slug, title, keywords = NICHES[j % len(NICHES)]
        slug = slug if j < len(NICHES) else f"{slug}{j}"
        urls = [(i, feed_url(base_url, i, hosts)) for i in sorted(set(mine))]
        (folder / f"{slug}.md").write_text(niche_file(slug, title, keywords, urls), encoding="utf-8")


# --- the site: articles and issues -------------------------------------------------------

CATEGORIES = [
    "guides",
    "checklists",
    "tax",
    "payroll",
    "cash-flow",
    "hiring",
    "systems",
    "pricing",
    "compliance",
    "news",
]


def _article_text(rng: random.Random) -> str:
    """~600 words of Markdown: headings, paragraphs, a list, a link."""
    keywords = rng.choice(NICHES)[2]
    out = []
    for _h in range(3):
        out.append(f"## {_title(rng, keywords)}\n")
        for _ in range(3):
            out.append(" ".join(_sentence(rng, MONEY) for _ in range(4)) + "\n")
        out.append("\n".join(f"- {_sentence(rng, PEOPLE)}" for _ in range(3)) + "\n")
    out.append("Read [the IRS small business guide](https://www.irs.gov/businesses/small-businesses-self-employed).\n")
    return "\n".join(out)


def articles(count: int, today: dt.date, seed: int = 11):
    """(slug, metadata, body) for `count` articles, deterministic."""
    for n in range(count):
        rng = random.Random(f"{seed}-article-{n}")
        title = _title(rng, rng.choice(NICHES)[2])
        meta = {
            "title": f"{title} ({n})",
            "date": (dt.datetime.combine(today, dt.time(9, 0)) - dt.timedelta(hours=7 * n)).strftime("%Y-%m-%d %H:%M"),
            "category": rng.choice(CATEGORIES),
            "tags": sorted({rng.choice(MONEY), rng.choice(PEOPLE), rng.choice(SYSTEMS)}),
            "summary": _sentence(rng, MONEY),
            "slug": f"article-{n:05d}",
        }
        yield meta["slug"], meta, _article_text(rng)


def issue_links(rng: random.Random, niche: str, number: int, keywords: list[str]) -> list[dict]:
    sections = ["Money", "People", "Running the business"]
    return [{
        "url": f"https://www.{niche}-journal.example/{number}/{k}-{rng.choice(VERBS)}",
        "title": _title(rng, keywords),
        "source": f"{niche.capitalize()} Journal {k % 3}",
        "section": sections[k % 3],
        "note": _sentence(rng, keywords),
        "summary": " ".join(_sentence(rng, MONEY) for _ in range(3)),
        "why": f"matches {rng.choice(keywords)}, {rng.choice(MONEY)}; recent; source weight 1.0",
    } for k in range(7)]


def issues(niches: int, per_niche: int, today: dt.date, seed: int = 13):
    """(slug, date, metadata, body) for weekly published issues of each niche."""
    for j in range(niches):
        slug, title, keywords = NICHES[j % len(NICHES)]
        for number in range(1, per_niche + 1):
            rng = random.Random(f"{seed}-issue-{j}-{number}")
            date = today - dt.timedelta(days=7 * (per_niche - number) + 1)
            meta = {
                "niche": slug, "number": number, "date": date.isoformat(), "status": "published",
                "subject": f"{title}: issue {number}, {rng.choice(MONEY)} and {rng.choice(PEOPLE)}",
                "preheader": _sentence(rng, keywords), "intro": " ".join(_sentence(rng, keywords) for _ in range(2)),
                "links": issue_links(rng, slug, number, keywords),
            }
            body = "\n\n".join(" ".join(_sentence(rng, keywords) for _ in range(3)) for _ in range(2))
            yield slug, date, meta, body


def issue_as_article(meta: dict, body: str) -> str:
    """The same words as an issue page, written as one plain Markdown article (for vanilla Pelican)."""
    lines = [meta["intro"], "", body, ""]
    for section in ("Money", "People", "Running the business"):
        lines.append(f"## {section}\n")
        for link in meta["links"]:
            if link["section"] == section:
                lines.append(f"- [{link['title']}]({link['url']}) — {link['source']}. {link['note']} {link['summary']}")
        lines.append("")
    return "\n".join(lines)
