"""Curation A/B: this worktree's curator against another commit's, interleaved, in one session.

    .venv/bin/python bench/ab.py --base main --feeds 100 --runs 5

The base commit's `plugins/` is exported (`git archive`) under bench/work/ and put first on
PYTHONPATH for its runs, so both sides run the same `openhand` command, project, feed server
and cache layout. Each round runs cold then warm for both sides, the side that goes first
alternating; ratios are taken per round (new / base) and reported as medians: the machine is
shared, so only pairs measured next to each other say anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402
from measure import summary  # noqa: E402


def export(ref: str, dest: Path) -> Path:
    """The ref's plugins/ folder under dest (replaced)."""
    if dest.exists():
        shutil.rmtree(dest)
    data = subprocess.run(["git", "archive", ref, "plugins"], cwd=bench.ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "plugins"


def once(project: Path, server: bench.FeedServer, today: dt.date, env: dict, *, cold: bool,
         profile: Path | None = None) -> float:
    if cold:
        shutil.rmtree(project / "cache", ignore_errors=True)
    shutil.rmtree(project / "content" / "newsletters", ignore_errors=True)
    shutil.rmtree(project / "state", ignore_errors=True)
    server.call("reset")
    cmd = [str(bench.OPENHAND), "--settings", "pelicanconf.py", "curate", "--force", "--date", today.isoformat()]
    result = bench.measure.run(bench._profiled(cmd, profile), cwd=str(project), env={"COLUMNS": "200", **env})
    if result.returncode != 0:
        raise RuntimeError(f"curate failed ({result.returncode}): {(result.stderr or result.stdout)[-2000:]}")
    return result.seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="the commit to compare with (default main)")
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true",
                        help="then profile one cold and one warm run of each side (pyinstrument) into bench/work/ab/")
    args = parser.parse_args(argv)
    work = HERE / "work" / "ab"
    base_plugins = export(args.base, work / "base")
    today = dt.date.today()
    server = bench.FeedServer(args.feeds, args.entries, 0.1, today, hosts=min(bench.HOSTS, args.feeds))
    sides = {"base": {"PYTHONPATH": str(base_plugins)}, "new": {"PYTHONPATH": ""}}
    projects = {}
    times: dict[str, dict[str, list[float]]] = {s: {"cold": [], "warm": []} for s in sides}
    try:
        for side in sides:
            project, _ = bench.new_project(work / f"curate-{side}")
            bench.corpus.write_niches(project / "content", server.base, args.feeds, 10, server.hosts)
            projects[side] = project
        for r in range(args.runs):
            order = list(sides) if r % 2 == 0 else list(reversed(sides))
            for kind in ("cold", "warm"):
                for side in order:
                    seconds = once(projects[side], server, today, sides[side], cold=kind == "cold")
                    times[side][kind].append(seconds)
                    bench.log(f"round {r + 1}/{args.runs} {kind} {side}: {seconds:.2f} s")
        for side in sides if args.profile else ():
            for kind in ("cold", "warm"):
                once(projects[side], server, today, sides[side], cold=kind == "cold",
                     profile=work / f"profile-{side}-{kind}.txt")
    finally:
        server.close()
    print(f"{args.feeds} feeds x {args.entries} entries, {args.runs} rounds, base {args.base}, "
          f"load {os.getloadavg()[0]:.1f}")
    for kind in ("cold", "warm"):
        b, n = summary(times["base"][kind]), summary(times["new"][kind])
        ratio = summary([x / y for x, y in zip(times["new"][kind], times["base"][kind], strict=False)])
        print(f"{kind}: base {b['median']:.2f} s [{b['min']:.2f}-{b['max']:.2f}], new {n['median']:.2f} s "
              f"[{n['min']:.2f}-{n['max']:.2f}], new/base per round {ratio['median']:.3f} "
              f"[{ratio['min']:.3f}-{ratio['max']:.3f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
