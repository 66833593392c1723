"""Sending under faults, against real servers: kill -9 anywhere, a full disk, a database cut off, two sends at
once, a relay that greylists everyone, trickles its greeting or turns us away. Never a second copy.

The runs that get killed are forked from this process (a real process, a real SIGKILL, without the half
second of interpreter start-up per run), so twenty of them per database stay cheap."""

from __future__ import annotations

import contextlib
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from support.budget import rounds
from support.sending import Cli, add_settings, copy_site, delivery_states, state
from support.smtp import RawServer, SmtpServer

ADDRESSES = [f"reader{i:02d}@practice{i % 7}.example" for i in range(24)]
CONNECTIONS = 4
FILL_AT = 10  # the message at which the full-disk test fills the disk


@pytest.fixture
def built(send_site) -> Path:
    return send_site


def with_list(built: Path, dest: Path, addresses=ADDRESSES) -> Path:
    return copy_site(built, dest, "email\n" + "\n".join(addresses) + "\n")


@pytest.fixture
def cli(capsys, caplog, monkeypatch):
    return Cli(capsys, caplog, monkeypatch)


def fork_send(project: Path, smtp, *args: str, output: Path, setup=None) -> int:
    """`openhand send` in a forked child (its output to `output`); returns the child's pid."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.stdout = sys.stderr = open(1, "w", buffering=1, closefd=False)
            os.environ.update(smtp.env())
            if setup:
                setup()
            from curator.cli import main

            code = main(["--settings", str(project / "pelicanconf.py"), "send", "--niche", "dental", "--issue", "1",
                         *args])
        except BaseException as exc:  # noqa: BLE001 - whatever happens, the child must not run pytest on
            print(f"child failed: {exc!r}", flush=True)
        finally:
            sys.stdout.flush()
            os._exit(code)
    return pid


def reap(pid: int, timeout: float = 60) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the send did not finish")


def check_never_twice(project: Path, smtp, summary: str, addresses=ADDRESSES) -> dict[str, int]:
    """Every subscriber has exactly one copy, except `unknown` ones (at most one copy, and named)."""
    copies = smtp.handler.copies()
    states = delivery_states(project)
    assert set(states) == set(addresses), set(addresses) ^ set(states)
    for address in addresses:
        if states[address] == "unknown":
            assert copies.get(address, 0) <= 1, address
            assert address in summary, f"{address} is unknown but not named"
        else:
            assert states[address] == "sent" and copies.get(address, 0) == 1, (address, states[address], copies)
    return {s: list(states.values()).count(s) for s in set(states.values())}


@pytest.mark.fuzz
def test_kill_9_at_random_points_never_sends_twice(built, tmp_path, database_url, cli):
    project = with_list(built, tmp_path / "site")
    rng = random.Random(int(os.environ.get("OPENHAND_FAULT_SEED", "14")))
    unknown_total, killed_runs = 0, 0
    with SmtpServer() as smtp:
        smtp.handler.delay = 0.001
        assert cli(project, "send", "--niche", "dental", "--issue", "1", "--dry-run").returncode == 0  # import once
        runs = rounds(20)
        for _run in range(runs):
            state(project, "DELETE FROM deliveries")
            state(project, "DELETE FROM sends")
            smtp.handler.messages.clear()
            at, wait = rng.randrange(1, len(ADDRESSES)), rng.uniform(0, 0.012)
            child: list[int] = []

            def kill_soon(count, at=at, wait=wait, child=child):
                if count == at:  # the relay holds message `at`; its reply and the others are in flight
                    threading.Timer(wait, lambda: os.kill(child[0], signal.SIGKILL)).start()

            smtp.handler.on_data = kill_soon
            child.append(fork_send(project, smtp, "--connections", str(CONNECTIONS), output=tmp_path / "run.txt"))
            code = reap(child[0])
            smtp.handler.on_data = None
            killed_runs += code == -signal.SIGKILL
            finish = cli.send(project, smtp)
            assert "Traceback" not in finish.stdout + finish.stderr
            counts = check_never_twice(project, smtp, finish.stdout + finish.stderr)
            assert counts.get("unknown", 0) <= CONNECTIONS, counts
            unknown_total += counts.get("unknown", 0)
    assert killed_runs >= runs * 3 // 4, f"only {killed_runs} of {runs} runs were killed mid-send"
    print(f"kill -9: {killed_runs} runs killed, {unknown_total} messages left unknown in all, none sent twice")


@contextlib.contextmanager
def small_disk(tmp_path: Path):
    """A 16 MB tmpfs (as root; the WAL alone may reach 4 MB before a checkpoint), or None where mounting is not
    allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(folder: Path) -> Path:
    """Fill the disk holding `folder` to the last byte."""
    stats = os.statvfs(folder)
    filler = folder / "filler"
    with open(filler, "wb") as handle, contextlib.suppress(OSError):  # ENOSPC at the very end is the point
        handle.write(b"\0" * (stats.f_bavail * stats.f_frsize))
    return filler


def test_a_full_disk_stops_the_run_with_one_line_and_nothing_is_sent_twice(built, tmp_path, cli, monkeypatch):
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    addresses = [f"reader{i:03d}@practice{i % 7}.example" for i in range(150)]
    project = with_list(built, tmp_path / "site", addresses)
    with small_disk(tmp_path) as disk, SmtpServer() as smtp:
        folder = disk or tmp_path / "state"
        add_settings(project, f"DATABASE = {str(folder / 'openhand.db')!r}")
        assert cli(project, "send", "--niche", "dental", "--issue", "1", "--dry-run").returncode == 0
        limit, filled = None, []
        if disk is not None:  # the disk fills while the relay holds message FILL_AT: the run is well under way
            smtp.handler.on_data = lambda count: count == FILL_AT and filled.append(fill(disk))
        else:  # no tmpfs: the same through RLIMIT_FSIZE in the child, a little above the files' sizes now
            limit = max(p.stat().st_size for p in folder.iterdir()) + 64 * 1024

        def cap():
            if limit:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        pid = fork_send(project, smtp, "--connections", str(CONNECTIONS), output=tmp_path / "full.txt", setup=cap)
        code = reap(pid)
        output = (tmp_path / "full.txt").read_text()
        assert code == 1, output
        assert "Traceback" not in output
        lines = [line for line in output.splitlines() if "could not write" in line]
        assert len(lines) == 1 and "free disk space" in lines[0], output
        first = len(smtp.messages)
        assert (FILL_AT if disk is not None else 1) <= first < len(addresses), "the disk filled too late"
        smtp.handler.on_data = None
        for filler in filled:
            filler.unlink()
        finish = cli.send(project, smtp)
        counts = check_never_twice(project, smtp, finish.stdout + finish.stderr, addresses)
        assert counts.get("unknown", 0) <= CONNECTIONS
    print(f"full disk: stopped after {first} of {len(addresses)}, {counts.get('unknown', 0)} unknown, none twice")


def test_a_database_connection_cut_mid_run_stops_it_with_one_line(built, tmp_path, postgres_server, cli, monkeypatch):
    url = postgres_server.new_database()
    monkeypatch.setenv("OPENHAND_DATABASE_URL", url)
    project = with_list(built, tmp_path / "site")
    with SmtpServer() as smtp:
        import psycopg

        def cut(count):
            if count == 10:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND pid <> pg_backend_pid()")

        smtp.handler.on_data = cut
        proc = cli.send(project, smtp, "--connections", str(CONNECTIONS))
        assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
        assert len([line for line in proc.stdout.splitlines() if line.startswith("stopped:")]) == 1
        assert "the database" in proc.stdout and "failed" in proc.stdout
        smtp.handler.on_data = None
        finish = cli.send(project, smtp)
        counts = check_never_twice(project, smtp, finish.stdout + finish.stderr)
        assert counts.get("unknown", 0) <= CONNECTIONS


def test_two_sends_of_one_issue_started_together_send_each_copy_once(built, tmp_path, database_url, cli):
    project = with_list(built, tmp_path / "site")
    with SmtpServer() as smtp:
        smtp.handler.delay = 0.002
        assert cli(project, "send", "--niche", "dental", "--issue", "1", "--dry-run").returncode == 0
        for _attempt in range(3):
            state(project, "DELETE FROM deliveries")
            smtp.handler.messages.clear()
            pids = [fork_send(project, smtp, "--connections", "3", output=tmp_path / f"two{i}.txt") for i in range(2)]
            codes = sorted(reap(pid) for pid in pids)
            outputs = [(tmp_path / f"two{i}.txt").read_text() for i in range(2)]
            assert codes == [0, 2] or codes == [0, 0], outputs
            assert max(smtp.handler.copies().values()) == 1 and len(smtp.handler.copies()) == len(ADDRESSES)
            if codes == [0, 2]:
                assert any("another send of this issue is running" in o for o in outputs), outputs


def test_greylisting_for_everyone_stops_the_run_soon_and_says_try_later(built, tmp_path, cli, monkeypatch):
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    project = with_list(built, tmp_path / "site")
    with SmtpServer() as smtp:
        smtp.handler.greylist = True
        tries = []
        original = smtp.handler.handle_RCPT

        async def counted(*args):
            tries.append(1)
            return await original(*args)

        smtp.handler.handle_RCPT = counted
        proc = cli.send(project, smtp)
        assert proc.returncode == 1
        assert "SEND_MAX_FAILURES" in proc.stdout and "try again later" in proc.stdout and "450" in proc.stdout
        assert len(tries) < 10 + 10  # SEND_MAX_FAILURES plus what the 10 connections had in flight; not 30 x 5
        assert smtp.messages == [] and set(delivery_states(project).values()) == {"deferred"}
        smtp.handler.greylist = False
        assert cli.send(project, smtp).returncode == 0 and len(smtp.messages) == len(ADDRESSES)


def test_a_relay_trickling_its_greeting_cannot_hold_the_run_past_the_deadline(built, tmp_path, cli, monkeypatch):
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    project = with_list(built, tmp_path / "site")
    add_settings(project, "SEND_DEADLINE = 1\nSEND_TIMEOUT = 5\nSEND_MAX_FAILURES = 2")
    greeting = b"220 relay.example ESMTP a very slow greeting\r\n"
    with RawServer(greeting, every=0.25, hang_up=False) as slow:
        started = time.monotonic()
        proc = cli(project, "send", "--niche", "dental", "--issue", "1", "--connections", "2", env=slow.env())
        took = time.monotonic() - started
    assert proc.returncode == 1 and "SEND_DEADLINE (1 s)" in proc.stdout and "try again later" in proc.stdout
    assert took < len(greeting) * 0.25 / 2, took  # the relay alone would have taken 11 s to greet
    assert delivery_states(project) == {} and f"{len(ADDRESSES)} left" in proc.stdout


def test_a_421_at_connect_stops_the_run_and_loses_nothing(built, tmp_path, cli, monkeypatch):
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    project = with_list(built, tmp_path / "site")
    with RawServer(b"421 4.3.2 relay.example too busy, try later\r\n") as busy:
        proc = cli(project, "send", "--niche", "dental", "--issue", "1", env=busy.env())
    assert proc.returncode == 1 and "421 4.3.2" in proc.stdout and "try again later" in proc.stdout
    assert delivery_states(project) == {}


def test_a_database_locked_too_long_stops_before_anything_is_sent(built, tmp_path, cli, monkeypatch):
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    project = with_list(built, tmp_path / "site")
    add_settings(project, "DATABASE_TIMEOUT = 0.3")
    with SmtpServer() as smtp:
        assert cli(project, "send", "--niche", "dental", "--issue", "1", "--dry-run").returncode == 0
        holder = sqlite3.connect(project / "state" / "openhand.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            proc = cli.send(project, smtp)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert proc.returncode == 2 and "locked by another program" in proc.stderr
        assert "DATABASE_TIMEOUT" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
        assert smtp.messages == []


def test_a_row_left_sending_by_a_dead_run_becomes_unknown_and_is_named(built, tmp_path, cli, monkeypatch):
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    project = with_list(built, tmp_path / "site", ADDRESSES[:3])
    with SmtpServer() as smtp:
        assert cli(project, "send", "--niche", "dental", "--issue", "1", "--dry-run").returncode == 0
        state(project, "INSERT INTO deliveries (niche, issue, address_key, address, state, run, updated_at) "
                       "VALUES ('dental', 1, ?, ?, 'sending', 'dead', '2026-01-01T00:00:00Z')",
              (ADDRESSES[0], ADDRESSES[0]))
        proc = cli.send(project, smtp)
    assert "were in flight when the last run" in proc.stderr and ADDRESSES[0] in proc.stderr
    assert delivery_states(project)[ADDRESSES[0]] == "unknown" and smtp.handler.to(ADDRESSES[0]) == []
    assert "--retry-unknown" in proc.stdout and proc.returncode == 1
