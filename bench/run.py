"""`make bench`: curation and build measured against their peers, side by side.

    .venv/bin/python bench/run.py            # the full bench (~10 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # a few feeds, a few pages: checks the harness works
    .venv/bin/python bench/run.py --only curation --runs 5
    .venv/bin/python bench/run.py --only sending      # openhand send: sequential vs concurrent, 25 ms and 0 ms
    .venv/bin/python bench/run.py --only readers      # the list endpoint: 50 clients subscribing and leaving
    .venv/bin/python bench/run.py --only relevance    # the labelled corpus, today's scorer vs the new one

Every figure is a median over several runs, with min and max; every ratio is
taken between runs made in the same process, interleaved, against the same
input (these machines are noisy). Prints a table; writes bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "plugins"))

import corpus  # noqa: E402
import measure  # noqa: E402
import readers  # noqa: E402
import sending  # noqa: E402
from measure import summary  # noqa: E402
from support.project import OPENHAND, PELICAN, copy_project  # noqa: E402

PY = sys.executable

FULL = {"feeds": [25, 100, 400], "primary_feeds": 100, "entries": 50, "latency": 0.1, "runs": 3,
        "articles": [250, 1000], "primary_articles": 1000, "niches": 10, "issues": 52, "build_runs": 3,
        "scale_runs": 2, "emails": 200}
QUICK = {"feeds": [4], "primary_feeds": 4, "entries": 10, "latency": 0.02, "runs": 1,
         "articles": [12], "primary_articles": 12, "niches": 2, "issues": 3, "build_runs": 1, "scale_runs": 1,
         "emails": 5}

HOSTS = 250  # feed hosts at most (127.0.0.1 to 127.0.0.250): 400 feeds share some, as on the web
TARGETS = {"cold_s": 4.0, "cold_vs_webring": 3.5, "warm_s": 1.0, "build_ratio": 1.10, "email_ms": 2.0,
           "curate_rss_mb": 300.0}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- projects ---------------------------------------------------------------------------

def new_project(dest: Path) -> tuple[Path, list[str]]:
    """An empty-content copy of the project; returns it and any extra pelican options
    (the `simple` theme when the project has no theme yet)."""
    if dest.exists():
        shutil.rmtree(dest)
    if (ROOT / "theme" / "templates").is_dir():
        return copy_project(dest, content=False), []
    dest.mkdir(parents=True)
    for name in ("pelicanconf.py", "publishconf.py"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "plugins", dest / "plugins", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "content").mkdir()
    return dest, ['THEME="simple"']


def dumps(meta: dict, body: str = "") -> str:
    from curator.model.documents import dumps as curator_dumps

    return curator_dumps(meta, body)


# --- curation ---------------------------------------------------------------------------

class FeedServer:
    """bench/feedserver.py in its own process, so its CPU is not charged to the client."""

    def __init__(self, feeds: int, entries: int, latency: float, today: dt.date, hosts: int = 1):
        self.hosts = hosts
        self.proc = subprocess.Popen(
            [PY, str(HERE / "feedserver.py"), "--feeds", str(feeds), "--entries", str(entries),
             "--latency", str(latency), "--date", today.isoformat(), "--hosts", str(hosts)],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise RuntimeError(f"feed server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"

    def call(self, what: str) -> dict:
        with urllib.request.urlopen(f"{self.base}/_{what}", timeout=10) as response:
            return json.load(response)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _drafts(project: Path) -> list[Path]:
    return sorted((project / "content" / "newsletters").glob("*/*.md"))


def _profiled(cmd: list[str], profile: Path | None) -> list[str]:
    """The same command under pyinstrument (wall-clock sampling of the main process)."""
    if profile is None:
        return cmd
    profile.parent.mkdir(parents=True, exist_ok=True)
    return [PY, "-m", "pyinstrument", "--show-all", "-o", str(profile), *cmd]


def _curate_once(project: Path, server: FeedServer, today: dt.date, *, cold: bool, profile: Path | None = None) -> dict:
    if cold:
        shutil.rmtree(project / "cache", ignore_errors=True)
    shutil.rmtree(project / "content" / "newsletters", ignore_errors=True)
    server.call("reset")
    cmd = [str(OPENHAND), "--settings", "pelicanconf.py", "curate", "--force", "--date", today.isoformat()]
    run = measure.run(_profiled(cmd, profile), cwd=str(project), env={"COLUMNS": "200"})
    stats = server.call("stats")
    result = {"seconds": run.seconds, "tree_rss_mb": run.tree_rss_mb, "tree_pss_mb": run.tree_pss_mb,
              "maxrss_mb": run.maxrss_mb,
              "returncode": run.returncode, "drafts": len(_drafts(project)), "server": stats}
    if run.returncode != 0:
        result["error"] = (run.stderr or run.stdout)[-2000:]
    return result


def _webring_once(urls_file: Path, expected: int, workers: int = 16) -> dict:
    run = measure.run([PY, str(HERE / "webring.py"), str(urls_file), str(workers)])
    out = json.loads(run.stdout) if run.returncode == 0 else {}
    if run.returncode != 0 or out.get("entries") != expected:
        raise RuntimeError(f"webring baseline failed or short ({out}): {run.stderr[-1500:]}")
    return {"seconds": run.seconds, "tree_rss_mb": run.tree_rss_mb, "maxrss_mb": run.maxrss_mb,
            "entries": out["entries"]}


def bench_curation(cfg: dict, work: Path, today: dt.date, profile_dir: Path | None = None) -> dict:
    """Cold (empty cache), warm (every feed 304) and the webring-style peer, per feed count. The feeds
    are spread over up to HOSTS loopback hosts (one each, up to that many), as real feeds are."""
    server = FeedServer(max(cfg["feeds"]), cfg["entries"], cfg["latency"], today, hosts=min(HOSTS, max(cfg["feeds"])))
    results: dict = {"entries_per_feed": cfg["entries"], "latency_s": cfg["latency"], "niches": cfg["niches"],
                     "sizes": {}}
    try:
        for feeds in cfg["feeds"]:
            project, _ = new_project(work / f"curate-{feeds}")
            corpus.write_niches(project / "content", server.base, feeds, cfg["niches"], server.hosts)
            urls = project / "urls.txt"
            urls.write_text("\n".join(corpus.feed_url(server.base, i, server.hosts) for i in range(feeds)) + "\n")
            peer = feeds == cfg["primary_feeds"]
            cold, warm, webring = [], [], []
            runs = cfg["runs"] if peer else cfg["scale_runs"]  # the compared size gets the most runs
            for r in range(runs):
                log(f"curation {feeds} feeds, run {r + 1}/{runs}: cold")
                cold.append(_curate_once(project, server, today, cold=True))
                log(f"curation {feeds} feeds, run {r + 1}/{runs}: warm")
                warm.append(_curate_once(project, server, today, cold=False))
                if peer:
                    log(f"curation {feeds} feeds, run {r + 1}/{runs}: webring-style peer")
                    webring.append(_webring_once(urls, feeds * cfg["entries"]))
            size = {"feeds": feeds, "entries": feeds * cfg["entries"], "cold_runs": cold, "warm_runs": warm}
            ok = [c for c in cold if c["returncode"] == 0] and [w for w in warm if w["returncode"] == 0]
            if not ok:
                size["error"] = next((c.get("error") for c in cold + warm if c.get("error")), "curate failed")
            else:
                size["cold_s"] = summary([c["seconds"] for c in cold])
                size["warm_s"] = summary([w["seconds"] for w in warm])
                size["cold_rss_mb"] = summary([c["tree_rss_mb"] for c in cold])
                size["cold_pss_mb"] = summary([c["tree_pss_mb"] for c in cold])
                size["cold_maxrss_mb"] = summary([c["maxrss_mb"] for c in cold])
                size["warm_rss_mb"] = summary([w["tree_rss_mb"] for w in warm])
                size["cold_entries_parsed"] = max(c["server"]["entries_served"] for c in cold)
                size["warm_entries_parsed"] = max(w["server"]["entries_served"] for w in warm)
                size["warm_not_modified"] = min(w["server"]["304"] for w in warm)
                size["drafts"] = min(c["drafts"] for c in cold + warm)
            if webring:
                # For reference only: pelican-webring as shipped fetches one feed after another.
                log(f"curation {feeds} feeds: webring-style peer, one thread (as pelican-webring ships)")
                size["webring_sequential_s"] = summary([_webring_once(urls, feeds * cfg["entries"], 1)["seconds"]])
                size["webring_s"] = summary([w["seconds"] for w in webring])
                size["webring_rss_mb"] = summary([w["tree_rss_mb"] for w in webring])
                size["webring_runs"] = webring
                if "cold_s" in size:
                    size["webring_over_cold"] = summary(
                        [w["seconds"] / c["seconds"] for w, c in zip(webring, cold, strict=False)]
                    )
            results["sizes"][str(feeds)] = size
            if profile_dir and peer:
                log(f"curation {feeds} feeds: profiling one cold and one warm run (pyinstrument)")
                for kind in ("cold", "warm"):
                    _curate_once(project, server, today, cold=kind == "cold",
                                 profile=profile_dir / f"curate-{feeds}-{kind}.txt")
    finally:
        server.close()
    return results


# --- build ------------------------------------------------------------------------------

def write_site(project: Path, articles: int, niches: int, per_niche: int, today: dt.date, *, vanilla: bool) -> int:
    """The site's content: YAML-front-matter articles + niches + published issues for
    Openhand; for vanilla Pelican the same articles in its own metadata format, and
    every issue as one more plain article. Returns the number of articles+issues."""
    content = project / "content"
    folder = content / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    count = 0

    def plain(meta: dict, body: str) -> str:
        head = "".join(f"{k.capitalize()}: {', '.join(v) if isinstance(v, list) else v}\n" for k, v in meta.items())
        return head + "\n" + body

    for slug, meta, body in corpus.articles(articles, today):
        text = plain(meta, body) if vanilla else dumps(meta, body)
        (folder / f"{slug}.md").write_text(text, encoding="utf-8")
        count += 1
    if vanilla:
        for slug, date, meta, body in corpus.issues(niches, per_niche, today):
            art = {"title": meta["subject"], "date": f"{date.isoformat()} 08:00", "category": "newsletters",
                   "tags": [slug], "summary": meta["preheader"], "slug": f"{slug}-issue-{meta['number']}"}
            (folder / f"{art['slug']}.md").write_text(plain(art, corpus.issue_as_article(meta, body)), encoding="utf-8")
            count += 1
        return count
    for j in range(niches):
        slug, title, keywords = corpus.NICHES[j % len(corpus.NICHES)]
        (content / "niches").mkdir(exist_ok=True)
        (content / "niches" / f"{slug}.md").write_text(
            corpus.niche_file(slug, title, keywords, [(0, f"https://www.{slug}-journal.example/feed.xml")]),
            encoding="utf-8")
    for slug, date, meta, body in corpus.issues(niches, per_niche, today):
        path = content / "newsletters" / slug / f"{date.isoformat()}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(meta, body), encoding="utf-8")
        count += 1
    return count


def _pelican_once(project: Path, extra: list[str], profile: Path | None = None) -> dict:
    for name in ("output", "mail", "cache"):
        shutil.rmtree(project / name, ignore_errors=True)
    cmd = [str(PELICAN), "content", "-o", "output", "-s", "pelicanconf.py", "--fatal", "errors"]
    if extra:
        cmd += ["-e", *extra]
    run = measure.run(_profiled(cmd, profile), cwd=str(project))
    if run.returncode != 0:
        raise RuntimeError(
            f"pelican failed in {project} ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
        )
    pages = sum(1 for _ in (project / "output").rglob("*.html"))
    emails = sum(1 for _ in (project / "mail").rglob("*.eml")) if (project / "mail").is_dir() else 0
    return {"seconds": run.seconds, "maxrss_mb": run.maxrss_mb, "tree_rss_mb": run.tree_rss_mb,
            "html_files": pages, "emails": emails}


def bench_build(cfg: dict, work: Path, today: dt.date, profile_dir: Path | None = None) -> dict:
    """Openhand's build (search index off, and as shipped) against vanilla Pelican."""
    results: dict = {"niches": cfg["niches"], "issues_per_niche": cfg["issues"], "sizes": {}}
    for articles in cfg["articles"]:
        plugin, extra = new_project(work / f"build-{articles}-openhand")
        vanilla, _ = new_project(work / f"build-{articles}-vanilla")
        pages = write_site(plugin, articles, cfg["niches"], cfg["issues"], today, vanilla=False)
        write_site(vanilla, articles, cfg["niches"], cfg["issues"], today, vanilla=True)
        variants = {
            "vanilla": (vanilla, extra + ["PLUGINS=[]"]),
            "openhand_nosearch": (plugin, extra + ["SEARCH_INDEX=false"]),
            "openhand": (plugin, extra),
        }
        runs: dict[str, list[dict]] = {name: [] for name in variants}
        count = cfg["build_runs"] if articles == cfg["primary_articles"] else cfg["scale_runs"]
        for r in range(count):
            for name, (project, options) in variants.items():
                log(f"build {articles} articles + {cfg['niches']}x{cfg['issues']} issues, run {r + 1}/{count}: {name}")
                runs[name].append(_pelican_once(project, options))
        size: dict = {"articles": articles, "source_pages": pages, "runs": runs}
        for name, rs in runs.items():
            size[f"{name}_s"] = summary([x["seconds"] for x in rs])
            size[f"{name}_rss_mb"] = summary([x["maxrss_mb"] for x in rs])
            size[f"{name}_html_files"] = rs[0]["html_files"]
        size["emails"] = runs["openhand"][0]["emails"]
        for name in ("openhand_nosearch", "openhand"):
            size[f"{name}_over_vanilla"] = summary(
                [a["seconds"] / b["seconds"] for a, b in zip(runs[name], runs["vanilla"], strict=False)])
        results["sizes"][str(articles)] = size
        if profile_dir and articles == cfg["primary_articles"]:
            for name in ("vanilla", "openhand_nosearch"):
                log(f"build {articles} articles: profiling {name} (pyinstrument)")
                _pelican_once(variants[name][0], variants[name][1], profile_dir / f"build-{articles}-{name}.txt")
    return results


# --- email ------------------------------------------------------------------------------

def bench_email(cfg: dict, work: Path, today: dt.date) -> dict:
    """Median time to render one issue's email (HTML + text + .eml), called in-process."""
    script = HERE / "email_render.py"
    project, extra = new_project(work / "email")
    write_site(project, 0, cfg["niches"], max(cfg["issues"], 2), today, vanilla=False)
    cmd = [PY, str(script), str(project), str(cfg["emails"])]
    run = measure.run(cmd, cwd=str(project))
    if run.returncode != 0:
        return {"error": (run.stderr or run.stdout)[-2000:]}
    data = json.loads(run.stdout.strip().splitlines()[-1])
    data["ms"] = summary(data.pop("samples_ms"))  # the whole email: parts, MIME, bytes
    data["parts_ms"] = summary(data.pop("parts_samples_ms"))  # HTML and text parts only
    return data


# --- relevance --------------------------------------------------------------------------

def bench_relevance() -> dict:
    """Precision, nDCG and duplicates per niche and round on the labelled corpus (bench/relevance/)."""
    from relevance import bench as relevance

    results = relevance.run()
    results["targets"] = relevance.verdicts(results)
    results["table"] = relevance.table(results)
    return results


# --- report -----------------------------------------------------------------------------

def _fmt(s: dict | None, unit: str = "s", digits: int = 2) -> str:
    if not s:
        return "-"
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def verdicts(results: dict, cfg: dict) -> list[dict]:
    out = []

    def add(name, value, target, met, note=""):
        out.append({"target": name, "value": value, "limit": target, "met": bool(met), "note": note})

    cur = results.get("curation", {}).get("sizes", {}).get(str(cfg["primary_feeds"]))
    if cur and "cold_s" in cur:
        add("cold curation wall", f"{cur['cold_s']['median']:.2f} s", f"<= {TARGETS['cold_s']} s",
            cur["cold_s"]["median"] <= TARGETS["cold_s"])
        if "webring_over_cold" in cur:
            add("cold curation vs webring-style", f"{cur['webring_over_cold']['median']:.2f}x faster",
                f">= {TARGETS['cold_vs_webring']}x", cur["webring_over_cold"]["median"] >= TARGETS["cold_vs_webring"])
        add("warm curation wall", f"{cur['warm_s']['median']:.2f} s", f"<= {TARGETS['warm_s']} s",
            cur["warm_s"]["median"] <= TARGETS["warm_s"])
        add(
            "warm entries parsed",
            f"{cur['warm_entries_parsed']} (feeds 304: {cur['warm_not_modified']}/{cur['feeds']})",
            "0",
            cur["warm_entries_parsed"] == 0 and cur["warm_not_modified"] == cur["feeds"],
        )
        add("curation peak RSS (process tree, summed)", f"{cur['cold_rss_mb']['median']:.0f} MB "
            f"(PSS {cur['cold_pss_mb']['median']:.0f} MB)",
            f"<= {TARGETS['curate_rss_mb']:.0f} MB", cur["cold_rss_mb"]["median"] <= TARGETS["curate_rss_mb"])
    elif cur:
        add("curation", "failed", "runs", False, cur.get("error", "")[-300:])
    sizes = results.get("curation", {}).get("sizes", {})
    good = sorted((int(k), v) for k, v in sizes.items() if "cold_s" in v)
    if len(good) >= 3:
        # Linear means each added feed costs about the same: compare the marginal cost per
        # entry between the lower and the upper pair of sizes (superlinear growth shows as > 1).
        (f0, a), (f1, b), (f2, c) = good[0], good[len(good) // 2], good[-1]
        def slope(key, x, y, fx, fy):
            return (y[key]["median"] - x[key]["median"]) / (fy - fx)
        t_ratio = slope("cold_s", b, c, f1, f2) / max(slope("cold_s", a, b, f0, f1), 0.001)  # >= 1 ms/feed
        # Memory has a large fixed part (interpreter, Pelican): with a positive intercept, linear
        # growth means RSS grows by less than the feed count does.
        m_growth = c["cold_rss_mb"]["median"] / b["cold_rss_mb"]["median"]
        per_feed_ms = 1000 * slope("cold_s", b, c, f1, f2)
        kb_entry = slope("cold_rss_mb", b, c, f1, f2) * 1024 / cfg["entries"]
        add("growth linear in entries",
            f"{f0}->{f1}->{f2} feeds: marginal time per feed {per_feed_ms:.0f} ms, ratio upper/lower pair "
            f"{t_ratio:.2f}; RSS x{m_growth:.2f} for x{f2 / f1:.0f} feeds ({kb_entry:.0f} KB per added entry)",
            f"time ratio <= 1.5, RSS <= x{f2 / f1:.0f}", t_ratio <= 1.5 and m_growth <= f2 / f1)
    build = results.get("build", {}).get("sizes", {}).get(str(cfg["primary_articles"]))
    if build:
        add("build vs vanilla (as shipped, with search index)", f"{build['openhand_over_vanilla']['median']:.2f}x",
            f"<= {TARGETS['build_ratio']}x", build["openhand_over_vanilla"]["median"] <= TARGETS["build_ratio"])
        add(
            "build vs vanilla (search index off)",
            f"{build['openhand_nosearch_over_vanilla']['median']:.2f}x",
            f"<= {TARGETS['build_ratio']}x",
            build["openhand_nosearch_over_vanilla"]["median"] <= TARGETS["build_ratio"],
        )
    email = results.get("email")
    if email and "ms" in email:
        add("email render median (whole .eml)", f"{email['ms']['median']:.2f} ms", f"<= {TARGETS['email_ms']} ms",
            email["ms"]["median"] <= TARGETS["email_ms"])
        add("email render median (HTML + text parts only)", f"{email['parts_ms']['median']:.2f} ms",
            f"<= {TARGETS['email_ms']} ms", email["parts_ms"]["median"] <= TARGETS["email_ms"])
    elif email:
        add("email render", "failed", "runs", False, email.get("error", "")[-300:])
    if results.get("sending"):
        sending.verdicts(results["sending"], add)
    if results.get("readers"):
        readers.verdicts(results["readers"], add)
    for name, value, limit, met in results.get("relevance", {}).get("targets", []):
        add(name, value, limit, met)
    return out


def table(results: dict) -> str:
    lines = []
    meta = results.get("meta", {})
    if meta.get("loadavg_start") and meta["loadavg_start"][0] > (meta.get("cpus") or 1) * 0.5:
        lines.append(f"NOTE: the machine was busy when the bench started (load {meta['loadavg_start'][0]:.1f} "
                     f"on {meta.get('cpus')} cores): absolute times are inflated; ratios are fairer.")
    if meta.get("cpu_loop_s_start"):
        lines.append(f"Machine speed: a fixed Python loop took {meta['cpu_loop_s_start']:.2f} s at the start, "
                     f"{meta.get('cpu_loop_s_end', 0):.2f} s at the end (lower is faster): absolute times scale "
                     "with it, ratios much less.")
    cur = results.get("curation")
    if cur:
        lines.append(f"Curation ({cur['entries_per_feed']} entries/feed, {cur['latency_s'] * 1000:.0f} ms latency, "
                     f"{cur['niches']} niches) median (min-max)")
        lines.append(f"  {'feeds':>5}  {'cold':>22}  {'warm':>22}  {'webring-style':>22}  {'ratio':>7}  "
                     f"{'RSS/PSS cold':>14}  parsed cold/warm")
        for key, s in cur["sizes"].items():
            if "cold_s" not in s:
                lines.append(f"  {key:>5}  FAILED: {s.get('error', '')[-200:]!r}")
                continue
            ratio = f"{s['webring_over_cold']['median']:.2f}x" if "webring_over_cold" in s else "-"
            lines.append(
                f"  {key:>5}  {_fmt(s['cold_s']):>22}  {_fmt(s['warm_s']):>22}  {_fmt(s.get('webring_s')):>22}  "
                f"{ratio:>7}  {s['cold_rss_mb']['median']:>4.0f}/{s['cold_pss_mb']['median']:.0f} MB  "
                f"{s['cold_entries_parsed']}/{s['warm_entries_parsed']}"
            )
        for key, s in cur["sizes"].items():
            if "webring_sequential_s" in s and "cold_s" in s:
                seq = s["webring_sequential_s"]["median"]
                lines.append(
                    f"  {key:>5}  reference: webring-style in one thread, as pelican-webring ships: {seq:.2f}s "
                    f"({seq / s['cold_s']['median']:.2f}x the cold median)"
                )
    build = results.get("build")
    if build:
        lines.append(f"Build (articles + {build['niches']}x{build['issues_per_niche']} issues) median (min-max)")
        lines.append(f"  {'arts':>5}  {'vanilla':>22}  {'openhand, no search':>22}  {'openhand':>22}  "
                     f"{'ratios':>12}  {'RSS':>7}  html v/o  emails")
        for key, s in build["sizes"].items():
            lines.append(f"  {key:>5}  {_fmt(s['vanilla_s']):>22}  {_fmt(s['openhand_nosearch_s']):>22}  "
                         f"{_fmt(s['openhand_s']):>22}  {s['openhand_nosearch_over_vanilla']['median']:.2f}/"
                         f"{s['openhand_over_vanilla']['median']:.2f}x  {s['openhand_rss_mb']['median']:>4.0f} MB  "
                         f"{s['vanilla_html_files']}/{s['openhand_html_files']}  {s['emails']}")
    email = results.get("email")
    if email:
        lines.append(
            "Email render: "
            + (
                f"whole .eml {_fmt(email['ms'], ' ms', 2)}, HTML+text parts "
                f"{_fmt(email['parts_ms'], ' ms', 2)} over {email['ms']['n']} renders "
                f"({email.get('function', '')})"
                if "ms" in email
                else f"FAILED {email.get('error', '')[-300:]!r}"
            )
        )
    if results.get("sending"):
        lines.extend(sending.table(results["sending"]))
    if results.get("readers"):
        lines.extend(readers.table(results["readers"]))
    if results.get("relevance"):
        lines.extend(results["relevance"]["table"])
    lines.append("Targets")
    for v in results.get("targets", []):
        lines.append(f"  [{'met' if v['met'] else 'MISSED'}] {v['target']}: {v['value']} (target {v['limit']})"
                     + (f" {v['note']}" if v["note"] else ""))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small size, to check the harness works")
    parser.add_argument("--only", default="curation,build,email,sending,readers,relevance",
                        help="comma-separated: curation,build,email,sending,readers,relevance")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 3, quick 1)")
    parser.add_argument("--feeds", help="feed counts for curation, e.g. 25,100,400 (the middle one is compared)")
    parser.add_argument("--articles", help="article counts for the build, e.g. 250,1000 (the last one is compared)")
    parser.add_argument("--profile", action="store_true",
                        help="after measuring, profile one run of each with pyinstrument into bench/results/")
    parser.add_argument("--out", default=str(HERE / "results" / "latest.json"))
    parser.add_argument("--work", default=str(HERE / "work"), help="scratch folder for generated projects")
    args = parser.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    if args.runs:
        cfg["runs"] = cfg["build_runs"] = cfg["scale_runs"] = args.runs
    if args.feeds:
        cfg["feeds"] = sorted(int(x) for x in args.feeds.split(","))
        cfg["primary_feeds"] = cfg["feeds"][len(cfg["feeds"]) // 2] if len(cfg["feeds"]) != 2 else cfg["feeds"][1]
    if args.articles:
        cfg["articles"] = sorted(int(x) for x in args.articles.split(","))
        cfg["primary_articles"] = cfg["articles"][-1]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    today = dt.date.today()
    loop_runs = 1 if args.quick else 3   # the quick run checks the harness; its figures are not read
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    results: dict = {"meta": {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "commit": commit,
                              "quick": args.quick, "python": platform.python_version(), "cpus": os.cpu_count(),
                              "loadavg_start": os.getloadavg(), "cpu_loop_s_start": measure.cpu_speed(runs=loop_runs),
                              "config": cfg}}
    start = time.perf_counter()
    parts = set(args.only.split(","))
    profile_dir = Path(args.out).parent / "profiles" if args.profile else None
    if "curation" in parts:
        results["curation"] = bench_curation(cfg, work, today, profile_dir)
    if "build" in parts:
        results["build"] = bench_build(cfg, work, today, profile_dir)
    if "email" in parts:
        results["email"] = bench_email(cfg, work, today)
    if "sending" in parts:
        results["sending"] = sending.bench_sending(args.quick, work)
    if "readers" in parts:
        results["readers"] = readers.bench_readers(args.quick, work)
    if "relevance" in parts:
        results["relevance"] = bench_relevance()
    results["meta"]["loadavg_end"] = os.getloadavg()
    results["meta"]["cpu_loop_s_end"] = measure.cpu_speed(runs=loop_runs)
    results["meta"]["seconds"] = time.perf_counter() - start
    results["targets"] = verdicts(results, cfg)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\n{results['meta']['seconds']:.0f} s in all; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
