"""The `sending` part of `make bench`: `openhand send` to a local relay, sequential against concurrent.

One project, one issue, a list of N subscribers imported with `openhand subscribers import`.
Each run starts from the same database (a copy of it taken after the import), sends through
bench/smtprelay.py (its own process) 25 ms away and 0 ms away, once with one connection and
once with the defaults, and checks the relay got exactly one copy per subscriber. The
sequential runs send to the first part of the list only (--limit): one connection at 25 ms
would take minutes for all of it; their messages/s compare all the same.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import measure
from support.project import OPENHAND
from support.sending import make_site

HERE = Path(__file__).resolve().parent
FULL = {"subscribers": 10_000, "sequential": {0.025: 500, 0.0: 2_000}, "flat_check": 1_000}
QUICK = {"subscribers": 60, "sequential": {0.025: 10, 0.0: 20}, "flat_check": 20}
TARGETS = {"concurrent_25ms_s": 100.0, "concurrent_0ms_per_s": 400.0, "rss_growth": 1.25}


class Relay:
    def __init__(self, latency: float):
        self.proc = subprocess.Popen([sys.executable, str(HERE / "smtprelay.py"), "--latency", str(latency)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"the relay did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self) -> dict:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        return json.loads(out.strip().splitlines()[-1])


def _project(work: Path, subscribers: int) -> Path:
    dest = work / "sending"
    if dest.exists():
        shutil.rmtree(dest)
    project = make_site(dest)
    (project / "list.csv").write_text("email,name\n" + "".join(
        f"reader{i:05d}@practice{i % 97}.example,Reader {i}\n" for i in range(subscribers)), encoding="utf-8")
    run = measure.run([str(OPENHAND), "--settings", "pelicanconf.py", "subscribers", "import", "list.csv",
                       "--niche", "dental"], cwd=str(project))
    if run.returncode != 0:
        raise RuntimeError(run.stderr[-2000:])
    subprocess.run([sys.executable, "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                    "c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()", str(project / "state" / "openhand.db")],
                   check=True)
    shutil.copy2(project / "state" / "openhand.db", project / "pristine.db")
    return project


def _send_once(project: Path, latency: float, connections: int | None, limit: int | None) -> dict:
    for suffix in ("", "-wal", "-shm"):
        (project / "state" / f"openhand.db{suffix}").unlink(missing_ok=True)
    shutil.copy2(project / "pristine.db", project / "state" / "openhand.db")
    relay = Relay(latency)
    cmd = [str(OPENHAND), "--settings", "pelicanconf.py", "send", "--niche", "dental", "--issue", "1"]
    cmd += ["--connections", str(connections)] if connections else []
    cmd += ["--limit", str(limit)] if limit else []
    env = {"OPENHAND_SMTP_HOST": "127.0.0.1", "OPENHAND_SMTP_PORT": str(relay.port)}
    run = measure.run(cmd, cwd=str(project), env=env, timeout=1800)
    counts = relay.stop()
    took = re.search(r"took ([\d.]+) s, (\d+) commits", run.stderr)
    result = {"seconds": run.seconds, "messages": counts["messages"], "recipients": counts["recipients"],
              "duplicates": counts["duplicates"], "maxrss_mb": run.maxrss_mb, "returncode": run.returncode,
              "send_s": float(took.group(1)) if took else None, "commits": int(took.group(2)) if took else None}
    result["per_s"] = result["messages"] / run.seconds if run.seconds else 0.0
    if run.returncode != 0:
        result["error"] = (run.stdout[-1000:] + run.stderr[-1000:])
    return result


def bench_sending(quick: bool, work: Path) -> dict:
    cfg = QUICK if quick else FULL
    total = cfg["subscribers"]
    project = _project(work, total)
    out: dict = {"subscribers": total, "runs": {}}
    for latency in (0.025, 0.0):
        ms = f"{latency * 1000:.0f}ms"
        seq = cfg["sequential"][latency]
        out["runs"][f"sequential_{ms}"] = {**_send_once(project, latency, 1, seq), "expected": seq}
        out["runs"][f"concurrent_{ms}"] = {**_send_once(project, latency, None, None), "expected": total}
    out["runs"]["concurrent_0ms_small"] = {**_send_once(project, 0.0, None, cfg["flat_check"]),
                                           "expected": cfg["flat_check"]}
    return out


def verdicts(results: dict, add) -> None:
    runs = results["runs"]
    exact = all(r["messages"] == r["expected"] == r["recipients"] and r["duplicates"] == 0 for r in runs.values())
    add("sending: every subscriber exactly one copy (all runs)", "yes" if exact else "NO", "yes", exact)
    slow = runs["concurrent_25ms"]
    add(f"sending {results['subscribers']} at 25 ms, default settings", f"{slow['seconds']:.1f} s "
        f"({slow['per_s']:.0f}/s; one connection: {runs['sequential_25ms']['per_s']:.1f}/s)",
        f"<= {TARGETS['concurrent_25ms_s']:.0f} s", slow["seconds"] <= TARGETS["concurrent_25ms_s"] and exact)
    fast = runs["concurrent_0ms"]
    add("sending at 0 ms, default settings, durable state", f"{fast['per_s']:.0f} messages/s "
        f"({fast['commits']} commits for {fast['messages']}; one connection: {runs['sequential_0ms']['per_s']:.0f}/s)",
        f">= {TARGETS['concurrent_0ms_per_s']:.0f}/s", fast["per_s"] >= TARGETS["concurrent_0ms_per_s"] and exact)
    growth = fast["maxrss_mb"] / max(runs["concurrent_0ms_small"]["maxrss_mb"], 1)
    add("sending memory flat in the list size", f"peak RSS {fast['maxrss_mb']:.0f} MB for {fast['messages']}, "
        f"{runs['concurrent_0ms_small']['maxrss_mb']:.0f} MB for {runs['concurrent_0ms_small']['messages']}",
        f"<= x{TARGETS['rss_growth']}", growth <= TARGETS["rss_growth"])


def table(results: dict) -> list[str]:
    lines = [f"Sending to {results['subscribers']} subscribers (relay in its own process; wall time of the command)"]
    lines.append(f"  {'run':<22} {'sent':>6} {'wall':>8} {'msg/s':>7} {'in send':>8} {'commits':>8} {'RSS':>7}  dup")
    for name, r in results["runs"].items():
        lines.append(f"  {name:<22} {r['messages']:>6} {r['seconds']:>7.1f}s {r['per_s']:>7.1f} "
                     f"{(r['send_s'] or 0):>7.1f}s {r['commits'] or 0:>8} {r['maxrss_mb']:>5.0f}MB  {r['duplicates']}"
                     + (f"  ERROR {r['error'][-200:]!r}" if r.get("error") else ""))
    return lines
