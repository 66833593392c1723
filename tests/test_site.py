"""The demo resource site as a visitor meets it: pages, links, feeds, search, nothing from elsewhere."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup

from support.project import ROOT, build, copy_project, openhand

SITE = "https://clearwater-advisory.example"
LOCAL = "http://site.invalid"  # a stand-in origin to resolve relative links against
# Elements and the attributes through which a page makes the browser fetch something.
LOADS = {
    "script": ["src"], "link": ["href"], "img": ["src", "srcset"], "iframe": ["src"], "frame": ["src"],
    "source": ["src", "srcset"], "video": ["src", "poster"], "audio": ["src"], "track": ["src"],
    "embed": ["src"], "object": ["data"], "input": ["src"], "image": ["href"], "use": ["href"],
}
NAV = ["Home", "Resources", "Newsletters", "Search", "About", "Start here"]


def html_files(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if "pagefind" not in p.relative_to(output).parts)


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def page_url(output: Path, path: Path, origin: str) -> str:
    rel = path.relative_to(output).as_posix()
    return f"{origin}/{rel[:-len('index.html')] if rel.endswith('index.html') else rel}"


def target_file(output: Path, url: str) -> Path:
    """The file under output/ that a same-site URL path is served from."""
    path = unquote(urlsplit(url).path).lstrip("/")
    target = output / path
    if path == "" or path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def internal_links(output: Path, origin: str):
    """(page, attribute value, absolute URL) for every same-site link and asset in every page."""
    host = urlsplit(origin).netloc
    for path in html_files(output):
        base = page_url(output, path, origin)
        doc = soup(path)
        for tag in doc.find_all(True):
            for attr in ("href", "src", "action", "poster", "data"):
                value = tag.get(attr)
                if not value or value.startswith(("mailto:", "tel:", "data:")):
                    continue
                url = urljoin(base, value)
                if urlsplit(url).netloc == host:
                    yield path, tag, value, url


def external_loads(output: Path, site_host: str):
    """Every element in every page that would fetch from a host other than the site's."""
    found = []
    for path in html_files(output):
        doc = soup(path)
        for name, attrs in LOADS.items():
            for tag in doc.find_all(name):
                if name == "link" and set(tag.get("rel", [])) & {"alternate", "canonical"}:
                    continue  # a reference, not a load (checked separately)
                for attr in attrs:
                    for value in re.split(r",\s*", tag.get(attr) or ""):
                        value = value.strip().split(" ")[0]
                        host = urlsplit(urljoin("http://site.invalid/", value)).netloc if value else ""
                        if value and host not in ("site.invalid", site_host):
                            found.append((path.relative_to(output).as_posix(), str(tag)[:120]))
        for style in doc.find_all(style=True):
            if re.search(r"url\(\s*['\"]?(https?:)?//", style["style"]):
                found.append((path.relative_to(output).as_posix(), style["style"][:120]))
        for style in doc.find_all("style"):
            if re.search(r"(url\(\s*['\"]?|@import\s+['\"]?)(https?:)?//", style.get_text()):
                found.append((path.relative_to(output).as_posix(), "<style> loads from elsewhere"))
    return found


# ---------------------------------------------------------------------------- pages


def test_every_kind_of_page_is_built(demo_project):
    out = demo_project / "output"
    expected = ["index.html", "404.html", "about/index.html", "start-here/index.html", "resources/index.html",
                "archives/index.html", "categories/index.html", "tags/index.html", "search/index.html",
                "category/cash-flow/index.html", "tag/payroll/index.html", "newsletters/index.html",
                "cash-flow/restaurant-prime-cost/index.html"]
    missing = [p for p in expected if not (out / p).is_file()]
    assert not missing
    articles = list((ROOT / "content/articles").glob("*.md"))
    assert len(articles) >= 8
    categories = {p.parent.parent.name for p in out.glob("*/*/index.html")
                  if (out / "category" / p.parent.parent.name).is_dir()}
    assert len(categories) >= 2


def test_every_page_has_lang_one_h1_a_title_and_a_description(demo_project, published_project):
    for project in (demo_project, published_project):
        out = project / "output"
        for path in html_files(out):
            doc = soup(path)
            where = path.relative_to(out)
            assert doc.html.get("lang"), f"{where} has no lang"
            assert len(doc.find_all("h1")) == 1, f"{where} has {len(doc.find_all('h1'))} h1"
            assert doc.title and doc.title.get_text(strip=True), f"{where} has no title"
            meta = doc.find("meta", attrs={"name": "description"})
            assert meta and meta["content"].strip(), f"{where} has no description"


def test_every_page_has_landmarks_a_skip_link_and_the_main_navigation(demo_project):
    out = demo_project / "output"
    for path in html_files(out):
        doc = soup(path)
        where = path.relative_to(out)
        main = doc.find("main", id="main")
        assert main is not None, f"{where} has no <main id=main>"
        assert doc.find("header") and doc.find("footer"), where
        skip = doc.find("a", href="#main")
        assert skip is not None and doc.body.find("a") is skip, f"{where}: the skip link is not first"
        nav = doc.find("nav", attrs={"aria-label": "Main"})
        assert [a.get_text(strip=True) for a in nav.find_all("a")] == NAV, where
        search = doc.find("form", attrs={"role": "search"})
        if where.as_posix() == "search/index.html":  # one search box there: Pagefind's own
            assert search is None, where
        else:
            assert search is not None and search.find("input", attrs={"name": "q"}) is not None, where


def test_the_navigation_reaches_each_section_and_marks_where_you_are(demo_project):
    out = demo_project / "output"
    home = out / "index.html"
    nav = soup(home).find("nav", attrs={"aria-label": "Main"})
    titles = {}
    for a in nav.find_all("a"):
        target = target_file(out, urljoin(f"{LOCAL}/", a["href"]))
        assert target.is_file(), f"nav link {a['href']} goes nowhere"
        titles[a.get_text(strip=True)] = soup(target).h1.get_text(strip=True)
        current = soup(target).find("nav", attrs={"aria-label": "Main"}).find("a", attrs={"aria-current": "page"})
        assert current is not None and current.get_text(strip=True) == a.get_text(strip=True)
    assert titles["About"] == "About Clearwater Advisory"
    assert titles["Start here"] == "Start here"
    assert titles["Resources"] == "Resource library"
    assert titles["Search"] == "Search"


def test_the_home_page_says_what_we_give_away_lists_latest_resources_and_the_niches(demo_project):
    out = demo_project / "output"
    doc = soup(out / "index.html")
    headings = [h.get_text(strip=True) for h in doc.find("main").find_all("h2")]
    assert headings == ["What we give away", "Latest resources", "The niches we serve"]
    latest = doc.find(id="latest").find_parent("section")
    newest = sorted((ROOT / "content/articles").glob("*.md"), key=lambda p: p.read_text().split("date:")[1][:17])[-1]
    assert newest.stem in str(latest)
    niches = doc.find(id="niches").find_parent("section")
    links = {a.get_text(strip=True): a["href"] for a in niches.find_all("a")}
    assert links["Dental practices"] == "./newsletters/dental/"
    assert links["Independent restaurants"] == "./newsletters/restaurants/"
    assert links["Nonprofits"] == "./newsletters/nonprofits/"
    assert "./newsletters/" in links.values()  # the newsletters index
    for href in links.values():
        assert target_file(out, urljoin(f"{LOCAL}/", href)).is_file()


def test_every_page_except_404_can_be_reached_from_the_home_page(demo_project):
    out = demo_project / "output"
    seen, queue = set(), [out / "index.html"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        base = page_url(out, path, LOCAL)
        for a in soup(path).find_all("a", href=True):
            url = urljoin(base, a["href"])
            if urlsplit(url).netloc == "site.invalid":
                target = target_file(out, url)
                if target.suffix == ".html" and target.is_file():
                    queue.append(target)
    unreachable = [p.relative_to(out).as_posix() for p in html_files(out) if p not in seen]
    assert unreachable == ["404.html"]


# ---------------------------------------------------------------------------- links


@pytest.mark.parametrize("which,origin", [("demo_project", LOCAL), ("published_project", SITE)])
def test_every_internal_link_and_asset_resolves_to_a_file(request, which, origin):
    out = request.getfixturevalue(which) / "output"
    broken, anchors = [], []
    ids = {}
    for page, tag, value, url in internal_links(out, origin):
        target = target_file(out, url)
        if not target.is_file():
            broken.append(f"{page.relative_to(out)}: <{tag.name}> {value}")
            continue
        fragment = urlsplit(url).fragment
        if fragment and target.suffix == ".html":
            if target not in ids:
                ids[target] = {t["id"] for t in soup(target).find_all(id=True)}
            if fragment not in ids[target]:
                anchors.append(f"{page.relative_to(out)}: {value}")
    assert not broken, "\n".join(broken)
    assert not anchors, "links to missing anchors:\n" + "\n".join(anchors)


def test_published_pages_use_absolute_links_to_the_site(published_project):
    out = published_project / "output"
    doc = soup(out / "cash-flow/restaurant-prime-cost/index.html")
    nav = [a["href"] for a in doc.find("nav", attrs={"aria-label": "Main"}).find_all("a")]
    assert all(h.startswith(SITE + "/") for h in nav), nav
    assert doc.find("link", rel="stylesheet")["href"] == f"{SITE}/theme/css/site.css"


# ---------------------------------------------------------------------------- no strings


@pytest.mark.parametrize("which,host", [("demo_project", ""), ("published_project", "clearwater-advisory.example")])
def test_no_element_loads_anything_from_another_host(request, which, host):
    out = request.getfixturevalue(which) / "output"
    assert external_loads(out, host) == []
    for css in out.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert not re.search(r"(url\(\s*['\"]?|@import\s+['\"]?)(https?:)?//", text), css
    for js in (out / "theme").rglob("*.js"):
        assert not re.search(r"https?://", js.read_text(encoding="utf-8")), js


def test_no_page_carries_a_tracking_parameter_or_a_sales_pitch(demo_project):
    from curator.curation.tracking import tracking_params
    from curator.model.settings import HARD_SELL_PHRASES

    out = demo_project / "output"
    for path in html_files(out):
        doc = soup(path)
        for a in doc.find_all("a", href=True):
            assert tracking_params(a["href"]) == [], f"{path.relative_to(out)}: {a['href']}"
    for source in [*(ROOT / "content/articles").glob("*.md"), *(ROOT / "content/pages").glob("*.md"),
                   *(ROOT / "content/downloads").iterdir()]:
        text = source.read_text(encoding="utf-8").lower()
        for phrase in HARD_SELL_PHRASES:
            if "{n}" not in phrase:
                assert phrase not in text, f"{source.name} says {phrase!r}"


# ---------------------------------------------------------------------------- downloads


def test_every_download_is_listed_in_the_library_and_served_as_is_without_a_form(demo_project):
    out = demo_project / "output"
    library = soup(out / "resources/index.html")
    assert library.find("form", attrs={"role": None}) is None  # no sign-up form, only the header search
    assert [f["role"] for f in library.find_all("form")] == ["search"]
    base = page_url(out, out / "resources/index.html", LOCAL)
    linked = {target_file(out, urljoin(base, a["href"])) for a in library.find("main").find_all("a", href=True)}
    downloads = sorted((ROOT / "content/downloads").iterdir())
    assert len(downloads) >= 3
    for source in downloads:
        served = out / "downloads" / source.name
        assert served in linked, f"{source.name} is not listed on the Resources page"
        assert served.read_bytes() == source.read_bytes()
    # The library also lists every guide by topic.
    for article in (out).glob("*/*/index.html"):
        if (out / "category" / article.parent.parent.name).is_dir():
            assert article in linked, f"{article.relative_to(out)} missing from the library"


# ---------------------------------------------------------------------------- sitemap, canonical, link previews


def page_address(out: Path, path: Path) -> str:
    rel = path.relative_to(out).as_posix()
    return f"{SITE}/{rel[:-len('index.html')] if rel.endswith('index.html') else rel}"


def test_published_pages_carry_a_canonical_link_and_link_preview_tags_from_nowhere_else(published_project):
    out = published_project / "output"
    pages = html_files(out)
    for path in pages:
        doc = soup(path)
        where = path.relative_to(out).as_posix()
        meta = {m.get("property") or m.get("name"): m.get("content") for m in doc.head.find_all("meta")}
        if where != "404.html":  # a not-found page is served at any address: it names none
            canonical = doc.head.find_all("link", rel="canonical")
            assert [c["href"] for c in canonical] == [page_address(out, path)], where
            assert meta["og:url"] == page_address(out, path), where
        assert meta["og:title"] == doc.title.get_text(), where
        assert meta["og:description"] == meta["description"] != "", where
        assert meta["twitter:card"] == "summary" and meta["twitter:title"] == meta["og:title"], where
        assert meta["twitter:description"] == meta["description"], where
        assert meta["og:type"] == ("article" if doc.select_one("article.prose .eyebrow") else "website"), where
        assert not [k for k in meta if k and k.endswith(":image")], where  # no picture pulled from anywhere
    assert soup(out / "about/index.html").find("meta", property="og:type")["content"] == "website"
    assert (
        soup(out / "cash-flow/restaurant-prime-cost/index.html").find("meta", property="og:type")["content"]
        == "article"
    )


def test_published_sitemap_lists_every_page_and_robots_txt_names_it(published_project):
    import xml.etree.ElementTree as ET

    out = published_project / "output"
    robots = (out / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert "User-agent: *" in robots and f"Sitemap: {SITE}/sitemap.xml" in robots
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in ET.parse(out / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    assert len(locs) == len(set(locs))
    expected = {page_address(out, p) for p in html_files(out)} - {f"{SITE}/404.html"}
    assert set(locs) == expected
    assert f"{SITE}/newsletters/dental/1/" in locs and f"{SITE}/robots.txt" not in locs
    # The same content, the same sitemap: a page without a date of its own takes the newest content
    # date, not the build's clock.
    content_dates = set()
    for path in (ROOT / "content").rglob("*.md"):
        content_dates |= set(re.findall(r"^(?:date|modified): *'?(\d{4}-\d{2}-\d{2})", path.read_text(), re.M))
    lastmods = {m.text[:10] for m in ET.parse(out / "sitemap.xml").getroot().findall("s:url/s:lastmod", ns)}
    assert lastmods and lastmods <= content_dates, lastmods - content_dates


def test_local_builds_write_no_sitemap_and_no_canonical(demo_project):
    out = demo_project / "output"
    assert not (out / "sitemap.xml").exists()
    assert "Sitemap:" not in (out / "robots.txt").read_text(encoding="utf-8")
    assert soup(out / "index.html").head.find("link", rel="canonical") is None


def test_the_site_subtitle_names_no_niche(demo_project):
    """The subtitle is the site's, in every page's footer: a niche added or dropped must not make it wrong."""
    from curator.model.niches import load_niches

    titles = [n.title.lower() for n in load_niches(str(ROOT / "content/niches")).values()]
    footer = soup(demo_project / "output/index.html").select_one(".site-footer p").get_text().lower()
    assert footer.startswith("clearwater advisory:")
    assert not [t for t in titles if t in footer or t.split()[0] in footer], footer


# ---------------------------------------------------------------------------- feeds


def test_site_feeds_parse_with_absolute_links_and_are_announced_in_every_head(published_project):
    out = published_project / "output"
    feeds = sorted((out / "feeds").rglob("*.xml"))
    assert out / "feeds/all.atom.xml" in feeds and out / "feeds/all.rss.xml" in feeds
    for feed in feeds:
        parsed = feedparser.parse(feed.read_bytes())
        assert parsed.bozo == 0, f"{feed.name}: {parsed.get('bozo_exception')}"
        assert parsed.entries, feed.name
        for entry in parsed.entries:
            assert entry.link.startswith(SITE + "/"), entry.link
            assert target_file(out, entry.link).is_file(), entry.link
    site_feed = feedparser.parse((out / "feeds/all.atom.xml").read_bytes())
    assert len(site_feed.entries) == len(list((ROOT / "content/articles").glob("*.md")))
    for path in html_files(out):
        doc = soup(path)
        alternates = {link["type"]: link["href"] for link in doc.head.find_all("link", rel="alternate")}
        assert alternates.get("application/atom+xml", "").startswith(SITE + "/feeds/"), path
        assert alternates.get("application/rss+xml", "").startswith(SITE + "/feeds/"), path
        for href in alternates.values():
            assert target_file(out, href).is_file(), f"{path.relative_to(out)}: {href}"
    home = soup(out / "index.html").head
    assert home.find("link", rel="alternate", type="application/atom+xml")["href"] == f"{SITE}/feeds/all.atom.xml"
    assert home.find("link", rel="alternate", type="application/rss+xml")["href"] == f"{SITE}/feeds/all.rss.xml"


def test_every_feed_has_its_own_atom_id_and_rss_guids_say_they_are_not_links(published_project):
    """RFC 4287 4.2.6: an Atom feed's id is its own (all seven shared the site's URL); a tag: guid is no permalink."""
    import xml.etree.ElementTree as ET

    out = published_project / "output"
    atom = sorted((out / "feeds").rglob("*.atom.xml"))
    assert len(atom) == 7  # the site, three categories, three niches
    ids = {}
    for path in atom:
        feed = feedparser.parse(path.read_bytes()).feed
        own = next(link.href for link in feed.links if link.rel == "self")
        assert feed.id == own == f"{SITE}/{path.relative_to(out).as_posix()}", path.name
        ids[feed.id] = path.name
    assert len(ids) == len(atom)
    for path in sorted((out / "feeds").rglob("*.rss.xml")):
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.entries, path.name
        for entry in parsed.entries:
            assert entry.id.startswith("tag:") and entry.guidislink is False, (path.name, entry.id)
            assert entry.link.startswith(SITE + "/")  # the item's link, not the guid, is where it lives
        guids = ET.parse(path).getroot().iter("guid")
        assert {g.get("isPermaLink") for g in guids} == {"false"}, path.name


def test_local_builds_announce_no_site_feed_they_do_not_write(demo_project):
    out = demo_project / "output"
    assert not (out / "feeds/all.atom.xml").exists()
    assert soup(out / "index.html").head.find("link", attrs={"href": re.compile("all\\.(atom|rss)")}) is None


# ---------------------------------------------------------------------------- search


def test_search_index_covers_every_page_marked_for_it(demo_project):
    import json

    out = demo_project / "output"
    marked = [p for p in html_files(out) if soup(p).find(attrs={"data-pagefind-body": True})]
    articles = [p for p in out.glob("*/*/index.html") if (out / "category" / p.parent.parent.name).is_dir()]
    assert set(articles) <= set(marked)
    assert out / "about/index.html" in marked and out / "resources/index.html" in marked
    assert out / "newsletters/dental/index.html" in marked  # newsletter pages are searchable too
    for listing in ("index.html", "archives/index.html", "category/cash-flow/index.html", "search/index.html"):
        assert out / listing not in marked, listing
    entry = json.loads((out / "pagefind/pagefind-entry.json").read_text())
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == len(marked)
    search = soup(out / "search/index.html")
    scripts = [s["src"] for s in search.find_all("script", src=True)]
    assert "../pagefind/pagefind-ui.js" in scripts
    assert search.find(id="search") is not None and search.find("noscript") is not None


def test_a_build_without_search_index_skips_pagefind(tmp_path):
    project = copy_project(tmp_path)
    build(project, "pelicanconf.py", "-e", "SEARCH_INDEX=false")
    assert (project / "output/index.html").is_file()
    assert not (project / "output/pagefind").exists()


def test_a_missing_pagefind_binary_fails_the_build_and_says_so(tmp_path):
    project = copy_project(tmp_path)
    proc = build(project, check=False, env={"PAGEFIND_BINARY_PATH": str(tmp_path / "no-such-pagefind")})
    assert proc.returncode != 0
    said = proc.stdout + proc.stderr
    assert "pagefind" in said.lower() and "no-such-pagefind" in said


def test_a_build_the_check_refuses_still_leaves_a_whole_search_index(tmp_path):
    """Pagefind indexes the pages while the no-strings check reads them; a refused build waits for it,
    so output/ never holds a half-written index (nor a Pagefind still writing once the build is over)."""
    from support.newsletters import newsletter_project

    project = newsletter_project(tmp_path, issues=1, drafts=0)
    (issue,) = (project / "content/newsletters/dental").glob("*.md")
    issue.write_text(issue.read_text().replace("https://journal.example.org/articles/1",
                                               "https://journal.example.org/articles/1?utm_source=newsletter", 1))
    proc = build(project, check=False)
    assert proc.returncode != 0 and "no-strings check failed" in proc.stdout + proc.stderr
    bundle = project / "output/pagefind"
    assert (bundle / "pagefind.js").is_file() and (bundle / "pagefind-entry.json").is_file()
    sizes = {p: p.stat().st_size for p in bundle.rglob("*") if p.is_file()}
    time.sleep(0.3)
    assert {p: p.stat().st_size for p in bundle.rglob("*") if p.is_file()} == sizes


def test_an_interrupted_check_stops_pagefind_and_a_failed_one_waits_for_it(tmp_path, monkeypatch):
    """Real Pagefind over a real site; the check (which runs alongside it) fails or is interrupted."""
    import types

    import curator
    from curator.build import nostrings, search

    project = copy_project(tmp_path)
    build(project)
    started = []
    real_start = search.Indexing.start

    def start(site):
        started.append(real_start(site))
        return started[-1]

    monkeypatch.setattr(search.Indexing, "start", start)
    pelican = types.SimpleNamespace(settings={"SEARCH_INDEX": True, "OUTPUT_PATH": str(project / "output")})
    for error, finished in ((KeyboardInterrupt, False), (nostrings.NoStringsError, True)):
        def check(*args, error=error, **kwargs):
            raise error("stop")
        monkeypatch.setattr(nostrings, "check_build", check)
        with pytest.raises(error):
            curator.finish_build(pelican)
        proc = started[-1].proc
        assert proc.poll() is not None                          # never left running
        assert (proc.returncode == 0) is finished               # waited for whole, or stopped (SIGTERM)


def test_the_search_bundle_is_left_to_pagefind_during_the_build_and_checked_by_openhand_check(tmp_path):
    project = copy_project(tmp_path)
    build(project)
    css = project / "output/pagefind/pagefind-ui.css"
    css.write_text(css.read_text() + "\n.x { background: url(https://cdn.example.net/x.png) }\n")
    proc = openhand(project, "check", check=False)
    assert proc.returncode == 1 and "pagefind/pagefind-ui.css" in proc.stdout and "third-party" in proc.stdout
    build(project)                      # Pagefind writes its bundle anew while the check reads the pages
    assert "cdn.example.net" not in css.read_text()


def test_search_index_names_a_missing_output_folder(tmp_path):
    from curator.build.search import SearchIndexError, run_pagefind

    with pytest.raises(SearchIndexError, match="does not exist"):
        run_pagefind(tmp_path / "output")


# ---------------------------------------------------------------------------- readability


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_meet_wcag_aa_contrast_in_light_and_dark_mode():
    css = (ROOT / "theme/static/css/site.css").read_text(encoding="utf-8")
    light = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css.split("@media (prefers-color-scheme: dark)")[0]))
    dark_block = css.split("@media (prefers-color-scheme: dark)")[1].split("}\n}")[0]
    dark = {**light, **dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", dark_block))}
    assert dark["bg"] != light["bg"]
    for scheme in (light, dark):
        for fg, bg in [("text", "bg"), ("text", "surface"), ("muted", "bg"), ("muted", "surface"),
                       ("accent", "bg"), ("accent", "surface"), ("accent-strong", "bg"),
                       ("accent-contrast", "accent"), ("accent-contrast", "accent-strong"), ("text", "tag-bg"),
                       ("text", "banner-bg")]:
            ratio = contrast(scheme[fg], scheme[bg])
            assert ratio >= 4.5, f"{fg} on {bg}: {ratio:.2f} ({scheme[fg]} on {scheme[bg]})"
        assert contrast(scheme["focus"], scheme["bg"]) >= 3, "focus ring must stand out (WCAG 1.4.11)"


def test_the_stylesheet_has_dark_mode_print_styles_and_a_visible_focus():
    css = (ROOT / "theme/static/css/site.css").read_text(encoding="utf-8")
    assert "@media (prefers-color-scheme: dark)" in css
    assert "@media print" in css
    assert re.search(r":focus-visible\s*{[^}]*outline:\s*3px solid", css)


def test_the_demo_issue_pages_do_not_ask_a_web_reader_to_reply_to_an_email(demo_project):
    pages = sorted((demo_project / "output/newsletters").glob("*/[0-9]*/index.html"))
    assert len(pages) == 3
    for path in pages:
        text = " ".join(soup(path).find("main").get_text(" ").split())
        assert not re.search(r"\breply\b", text, re.I), path
