"""The `readers` part of `make bench`: the list endpoint under load, on SQLite.

`openhand listen` (waitress, its own process) with a local relay (bench/smtprelay.py, 0 ms, its own
process) for the confirmations. 50 client threads, one keep-alive connection each, send
subscribe requests (each for a new address: a confirmation email each) interleaved with one-click
unsubscribe POSTs (each for a subscribed address, with its signed token), as fast as the answers
come. Then the database is read: every subscribing address is one `unconfirmed` row, every
unsubscribed one `unsubscribed`, nobody else changed, no address twice; the relay got exactly one
confirmation per subscribing address. Reports requests/s and the latency median, p99 and max.

    .venv/bin/python bench/run.py --only readers
"""

from __future__ import annotations

import http.client
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import measure
from sending import Relay
from support.endpoint import SECRET, make_list_site, start_listen
from support.project import OPENHAND
from support.smtp import free_port

FULL = {"clients": 50, "per_client": 40}
QUICK = {"clients": 5, "per_client": 4}
TARGETS = {"per_s": 200.0}


def _project(work: Path, port: int, subscribed: int) -> Path:
    dest = work / "readers"
    if dest.exists():
        shutil.rmtree(dest)
    project = make_list_site(dest, port, "LIST_CLIENT_LIMIT = 1_000_000_000\n")
    (project / "list.csv").write_text("email\n" + "".join(f"leaving{i:05d}@practice{i % 97}.example\n"
                                                          for i in range(subscribed)), encoding="utf-8")
    run = measure.run([str(OPENHAND), "--settings", "pelicanconf.py", "subscribers", "import", "list.csv",
                       "--niche", "dental"], cwd=str(project))
    if run.returncode != 0:
        raise RuntimeError(run.stderr[-2000:])
    return project


class Client(threading.Thread):
    """One reader's browser or mail provider: requests one after another on one keep-alive connection."""

    def __init__(self, port: int, requests: list[tuple[str, bytes]], start: threading.Barrier):
        super().__init__(daemon=True)
        self.port, self.requests, self.start_line = port, requests, start
        self.latencies: list[float] = []
        self.statuses: list[int] = []

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        self.start_line.wait()
        for path, body in self.requests:
            began = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                self.statuses.append(response.status)
            except (OSError, http.client.HTTPException):
                self.statuses.append(0)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.latencies.append(time.perf_counter() - began)
        connection.close()


def _plan(clients: int, per_client: int, signer) -> tuple[list[list[tuple[str, bytes]]], list[str], list[str]]:
    plans, joining, leaving = [], [], []
    for c in range(clients):
        plan = []
        for i in range(per_client):
            n = c * per_client + i
            if i % 2 == 0:
                address = f"joining{n:05d}@clinic{n % 89}.example"
                joining.append(address)
                plan.append(("/subscribe", urlencode({"email": address, "niche": "dental", "website": ""}).encode()))
            else:
                address = f"leaving{n:05d}@practice{n % 97}.example"
                leaving.append(address)
                plan.append((f"/u/{signer.unsubscribe('dental', address)}", b"List-Unsubscribe=One-Click"))
        plans.append(plan)
    return plans, joining, leaving


def _check(project: Path, joining: list[str], leaving: list[str], subscribed: int) -> dict:
    with sqlite3.connect(project / "state" / "openhand.db") as db:
        rows = db.execute("SELECT address_key, status FROM subscribers WHERE niche = 'dental'").fetchall()
        doubled = db.execute("SELECT COUNT(*) FROM (SELECT address_key FROM subscribers GROUP BY niche, address_key "
                             "HAVING COUNT(*) > 1)").fetchone()[0]
    by = dict(rows)
    lost = [a for a in joining if by.get(a) != "unconfirmed"] + [a for a in leaving if by.get(a) != "unsubscribed"]
    others = sum(1 for a, s in rows if a.startswith("leaving") and a not in set(leaving) and s != "subscribed")
    return {"rows": len(rows), "expected_rows": subscribed + len(joining), "lost_or_wrong": len(lost),
            "doubled": doubled, "others_changed": others}


def bench_readers(quick: bool, work: Path) -> dict:
    from curator.delivery.relay import Secret
    from curator.delivery.tokens import Signer

    cfg = QUICK if quick else FULL
    port = free_port()
    total = cfg["clients"] * cfg["per_client"]
    subscribed = total  # more subscribed addresses than unsubscribe requests: the others must stay
    project = _project(work, port, subscribed)
    plans, joining, leaving = _plan(cfg["clients"], cfg["per_client"], Signer(Secret(SECRET), 3600))
    relay = Relay(0.0)
    env = {**os.environ, "OPENHAND_LIST_SECRET": SECRET, "OPENHAND_SMTP_HOST": "127.0.0.1",
           "OPENHAND_SMTP_PORT": str(relay.port)}
    proc = start_listen(project, port, env)
    try:
        start = threading.Barrier(cfg["clients"] + 1)
        clients = [Client(port, plan, start) for plan in plans]
        for client in clients:
            client.start()
        start.wait()
        began = time.perf_counter()
        for client in clients:
            client.join()
        seconds = time.perf_counter() - began
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        counts = relay.stop()
    latencies = sorted(x for c in clients for x in c.latencies)
    statuses = [s for c in clients for s in c.statuses]
    result = {"clients": cfg["clients"], "requests": len(statuses), "seconds": seconds,
              "per_s": len(statuses) / seconds if seconds else 0.0, "ok": sum(s == 200 for s in statuses),
              "p50_ms": 1000 * latencies[len(latencies) // 2], "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
              "max_ms": 1000 * latencies[-1], "confirmations": counts["messages"],
              "confirmation_duplicates": counts["duplicates"], "joining": len(joining), "leaving": len(leaving),
              **_check(project, joining, leaving, subscribed)}
    return result


def verdicts(results: dict, add) -> None:
    r = results
    exact = (r["ok"] == r["requests"] and r["lost_or_wrong"] == 0 and r["doubled"] == 0 and r["others_changed"] == 0
             and r["rows"] == r["expected_rows"] and r["confirmations"] == r["joining"]
             and r["confirmation_duplicates"] == 0)
    add("readers: no lost or doubled rows, one confirmation each", "yes" if exact else
        f"NO ({r['ok']}/{r['requests']} answered 200, {r['lost_or_wrong']} lost or wrong, {r['doubled']} doubled, "
        f"{r['confirmations']} confirmations for {r['joining']})", "yes", exact)
    add(f"readers: subscribe + one-click unsubscribe, {r['clients']} clients, SQLite",
        f"{r['per_s']:.0f} requests/s (p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms)",
        f">= {TARGETS['per_s']:.0f}/s", r["per_s"] >= TARGETS["per_s"] and exact)


def table(results: dict) -> list[str]:
    r = results
    return [
        f"List endpoint ({r['clients']} clients, {r['joining']} subscribes + {r['leaving']} one-click "
        f"unsubscribes, SQLite, openhand listen and the relay in their own processes)",
        f"  {r['requests']} requests in {r['seconds']:.2f} s: {r['per_s']:.0f}/s; latency p50 {r['p50_ms']:.1f} ms, "
        f"p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms; {r['confirmations']} confirmations "
        f"({r['confirmation_duplicates']} duplicates); rows {r['rows']}/{r['expected_rows']}, "
        f"{r['lost_or_wrong']} lost or wrong, {r['doubled']} doubled",
    ]


if __name__ == "__main__":  # a quick look without the rest of the bench
    print("\n".join(table(bench_readers("--quick" in sys.argv, Path(__file__).parent / "work"))))
