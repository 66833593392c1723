"""`openhand send` against a real SMTP server on 127.0.0.1: once each, never twice, never lost."""

from __future__ import annotations

import os
import pty
import shutil
import signal
import subprocess
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from support.project import OPENHAND, ROOT, build, copy_project, openhand, write
from support.smtp import SmtpServer, free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

PASSWORD = "pw-Zq8!hunter2-very-secret"
SUBSCRIBED = ["ana@clinic.example", "Ben.Lee@Smiles.example", "cara@dentalcare.example",
              "dev@teeth.example", "eve@practice.example"]
ISSUE = """---
niche: dental
number: {number}
date: {date}
status: {status}
subject: "Issue {number}: calmer month-ends, café owners' tips"
preheader: Collections, hygienists and a tax change
intro: Short, useful, no strings.
links:
  - url: https://example.org/collections
    title: Tighten insurance collections
    note: A checklist your front desk can use on Monday.
  - url: https://example.org/hygienists
    title: Keeping good hygienists
    note: What the practices that keep staff do differently.
---
Hello from Dana. This month is about cash.
"""
SUBSCRIBERS = """email,name,status,since,source
ana@clinic.example,Ana Ruiz,subscribed,2026-01-02,import:old.csv
Ben.Lee@Smiles.example,Ben Lee,subscribed,2026-01-02,import:old.csv
gone@clinic.example,Gone Person,unsubscribed,2026-03-01,unsubscribe
cara@dentalcare.example,"Cara O'Neil, DDS",subscribed,2026-01-02,import:old.csv
not-an-address,Broken Row,subscribed,2026-01-02,hand edit
dev@teeth.example,Dev,subscribed,2026-01-02,import:old.csv
BEN.LEE@smiles.example,Ben twice,subscribed,2026-01-02,hand edit
eve@practice.example,Ève Müller,subscribed,2026-01-02,import:old.csv
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A real site: the dental niche, issue 1 published and issue 2 a draft, built with pelican."""
    project = copy_project(tmp_path_factory.mktemp("send-site"), content=False)
    write(project / "content" / "niches" / "dental.md", (ROOT / "content" / "niches" / "dental.md").read_text())
    write(project / "content" / "newsletters" / "dental" / "2026-11-02.md",
          ISSUE.format(number=1, date="2026-11-02", status="published"))
    write(project / "content" / "newsletters" / "dental" / "2026-12-07.md",
          ISSUE.format(number=2, date="2026-12-07", status="draft"))
    with open(project / "pelicanconf.py", "a", encoding="utf-8") as conf:
        conf.write("\nSEND_RETRY_DELAY = 0.01\nSEND_TIMEOUT = 10\n")
    build(project)
    assert (project / "mail" / "dental" / "1.eml").is_file()
    return project


@pytest.fixture
def project(built, tmp_path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(built, copy, symlinks=True)
    write(copy / "subscribers" / "dental.csv", SUBSCRIBERS)
    return copy


@pytest.fixture
def smtp():
    with SmtpServer(user="letters", password=PASSWORD) as server:
        yield server


def send(project, smtp, *args, check=False, password=None):
    return openhand(project, "send", "--niche", "dental", "--issue", "1", *args, check=check,
                    env=smtp.env(password), timeout=120)


def log_lines(project, status=None):
    path = project / "mail" / "sent" / "dental-1.log"
    if not path.exists():
        return []
    lines = [line.split("\t") for line in path.read_text().splitlines() if line.endswith("\tend")]
    return [line for line in lines if status is None or line[1] == status]


def test_each_subscribed_address_gets_one_identical_message_with_its_own_to(project, smtp):
    proc = send(project, smtp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    built = BytesParser(policy=policy.SMTP).parsebytes((project / "mail" / "dental" / "1.eml").read_bytes())
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(SUBSCRIBED)
    bodies = set()
    for address in SUBSCRIBED:
        [received] = smtp.handler.to(address)
        assert received.mail_from == "letters@clearwater-advisory.example"
        message = received.message
        assert message["To"].addresses[0].addr_spec == address
        for header in ("From", "Reply-To", "Subject", "Date", "Message-ID", "List-Id", "List-Unsubscribe"):
            assert message[header] == built[header], header
        assert message["Subject"] == "Issue 1: calmer month-ends, café owners' tips"
        assert message.get_content_type() == "multipart/alternative"
        text, html = message.get_body(("plain",)), message.get_body(("html",))
        assert "Tighten insurance collections" in text.get_content()
        assert "Tighten insurance collections" in html.get_content()
        without_to = received.data.replace(message_to_line(received.data), b"")
        bodies.add(without_to)
    assert len(bodies) == 1, "recipients' messages differ in more than To"
    assert bodies.pop() == (project / "mail" / "dental" / "1.eml").read_bytes()
    to = {m.rcpt_tos[0]: m.message["To"] for m in smtp.messages}
    assert to["eve@practice.example"].addresses[0].display_name == "Ève Müller"
    assert to["cara@dentalcare.example"].addresses[0].display_name == "Cara O'Neil, DDS"
    assert "5 sent, 0 skipped as already sent, 0 failed" in proc.stdout
    assert "not-an-address" in proc.stderr and "listed twice" in proc.stderr
    assert sorted(line[2] for line in log_lines(project, "sent")) == sorted(SUBSCRIBED)

    again = send(project, smtp)
    assert again.returncode == 0
    assert len(smtp.messages) == 5
    assert "0 sent, 5 skipped as already sent, 0 failed" in again.stdout


def message_to_line(data: bytes) -> bytes:
    start = data.index(b"\r\nTo: ") + 2
    end = start
    while True:  # the header and any folded continuation lines
        end = data.index(b"\r\n", end) + 2
        if data[end:end + 1] not in (b" ", b"\t"):
            return data[start:end]


def test_unsubscribed_invalid_and_duplicate_rows_receive_nothing(project, smtp):
    assert send(project, smtp).returncode == 0
    everyone = [r.lower() for m in smtp.messages for r in m.rcpt_tos]
    assert "gone@clinic.example" not in everyone
    assert "not-an-address" not in everyone
    assert everyone.count("ben.lee@smiles.example") == 1


def test_only_published_issues_can_be_sent(project, smtp):
    proc = openhand(project, "send", "--niche", "dental", "--issue", "2", check=False, env=smtp.env())
    assert proc.returncode == 2
    assert "2026-12-07.md: status: is 'draft'; only published issues are sent" in proc.stderr
    assert "fix: set status: published" in proc.stderr
    missing = openhand(project, "send", "--niche", "dental", "--issue", "9", check=False, env=smtp.env())
    assert missing.returncode == 2 and "no issue number 9" in missing.stderr and "issues: 1, 2" in missing.stderr
    assert smtp.messages == []


def test_an_issue_edited_after_the_build_is_refused_until_rebuilt(project, smtp):
    issue = project / "content" / "newsletters" / "dental" / "2026-11-02.md"
    issue.write_text(issue.read_text().replace("no strings", "no strings at all"))
    eml = project / "mail" / "dental" / "1.eml"
    os.utime(eml, (time.time() - 60, time.time() - 60))
    proc = send(project, smtp)
    assert proc.returncode == 2 and "run make html" in proc.stderr and "1.eml" in proc.stderr
    assert smtp.messages == []


def test_dry_run_lists_who_would_receive_it_and_sends_nothing(project, smtp):
    proc = openhand(project, "send", "--niche", "dental", "--issue", "1", "--dry-run", check=False, env={})
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.split()) == sorted(SUBSCRIBED)
    assert "nothing sent" in proc.stderr and "5 subscribers" in proc.stderr
    assert smtp.messages == [] and not (project / "mail" / "sent").exists()


def test_a_451_then_250_delivers_the_message_once(project, smtp):
    smtp.handler.temporary["cara@dentalcare.example"] = 2
    proc = send(project, smtp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(smtp.handler.to("cara@dentalcare.example")) == 1
    assert len(smtp.messages) == 5
    assert "451" in proc.stderr and "trying again" in proc.stderr


def test_a_dropped_connection_is_retried_and_delivers_once(project, smtp):
    smtp.handler.drop["dev@teeth.example"] = 1
    proc = send(project, smtp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(smtp.handler.to("dev@teeth.example")) == 1 and len(smtp.messages) == 5


def test_a_550_for_one_address_is_reported_and_the_others_delivered(project, smtp):
    smtp.handler.reject["dev@teeth.example"] = "550 5.1.1 No such user here"
    proc = send(project, smtp)
    assert proc.returncode == 1
    assert "4 sent, 0 skipped as already sent, 1 failed" in proc.stdout
    assert "failed dev@teeth.example: 550 5.1.1 No such user here" in proc.stdout
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(set(SUBSCRIBED) - {"dev@teeth.example"})
    assert [line[2] for line in log_lines(project, "failed")] == ["dev@teeth.example"]

    del smtp.handler.reject["dev@teeth.example"]
    again = send(project, smtp)
    assert again.returncode == 0
    assert "1 sent, 4 skipped as already sent, 0 failed" in again.stdout
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)


def test_a_send_killed_mid_run_then_rerun_gives_each_subscriber_exactly_one_copy(project, smtp):
    smtp.handler.hold_after = 2
    env = {**os.environ, **smtp.env()}
    proc = subprocess.Popen([str(OPENHAND), "--settings", "pelicanconf.py", "send", "--niche", "dental",
                             "--issue", "1"], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert smtp.handler.held.wait(60), "the send never reached the third recipient"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert len(smtp.messages) == 2 and len(log_lines(project, "sent")) == 2
    smtp.handler.hold_after = None
    smtp.handler.release.set()

    again = send(project, smtp)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "3 sent, 2 skipped as already sent, 0 failed" in again.stdout
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)


def test_a_torn_last_log_line_is_ignored_and_the_log_stays_parseable(project, smtp):
    log = project / "mail" / "sent" / "dental-1.log"
    write(log, "# openhand send niche=dental issue=1\n2026-11-22T10:00:00Z\tsent\tana@clinic.example\t\tend\n"
               "2026-11-22T10:00:01Z\tsent\tBen.Lee@Smiles.example\t\te")  # killed before "nd\n"
    proc = send(project, smtp)
    assert proc.returncode == 0
    assert "4 sent, 1 skipped as already sent" in proc.stdout
    assert len(smtp.handler.to("Ben.Lee@Smiles.example")) == 1 and smtp.handler.to("ana@clinic.example") == []
    assert sorted(line[2] for line in log_lines(project, "sent")) == sorted(SUBSCRIBED)


def test_limit_sends_at_most_k_and_a_rerun_sends_the_rest(project, smtp):
    first = send(project, smtp, "--limit", "2")
    assert first.returncode == 0
    assert "2 sent, 0 skipped as already sent, 0 failed, 3 left" in first.stdout
    second = send(project, smtp)
    assert "3 sent, 2 skipped as already sent, 0 failed, 0 left" in second.stdout
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)


def test_rate_spaces_the_messages_out(project, smtp):
    stamps = []
    original = smtp.handler.handle_DATA

    async def timed(server, session, envelope):
        stamps.append(time.monotonic())
        return await original(server, session, envelope)

    smtp.handler.handle_DATA = timed
    proc = send(project, smtp, "--rate", "10")
    assert proc.returncode == 0 and len(stamps) == 5
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert min(gaps) >= 0.08, gaps


def test_the_password_never_appears_in_output_or_logs(project, smtp):
    wrong = openhand(project, "--verbose", "send", "--niche", "dental", "--issue", "1", check=False,
                     env=smtp.env(password="wrong-" + PASSWORD))
    verbose = openhand(project, "--verbose", "send", "--niche", "dental", "--issue", "1", "--limit", "1",
                       check=False, env=smtp.env())
    ok = send(project, smtp, check=False)
    assert wrong.returncode == 1 and "refused the login as letters" in wrong.stdout
    assert verbose.returncode == 0 and ok.returncode == 0 and len(smtp.messages) == 5
    assert ("letters", False) in smtp.handler.logins
    texts = [p.stdout + p.stderr for p in (ok, verbose, wrong)]
    texts += [p.read_text(errors="replace") for p in (project / "mail").rglob("*") if p.is_file()]
    for text in texts:
        assert PASSWORD not in text
        assert "hunter2" not in text


def test_a_server_that_cannot_be_reached_stops_the_run_and_loses_nothing(project, smtp):
    env = {**smtp.env(), "OPENHAND_SMTP_PORT": str(free_port())}  # nobody listens there
    proc = openhand(project, "send", "--niche", "dental", "--issue", "1", check=False, env=env)
    assert proc.returncode == 1
    assert "cannot connect to 127.0.0.1" in proc.stdout and "5 left" in proc.stdout
    assert log_lines(project, "sent") == []
    assert send(project, smtp).returncode == 0
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)


def test_smtp_settings_come_from_the_environment_only(project):
    proc = openhand(project, "send", "--niche", "dental", "--issue", "1", check=False,
                    env={"OPENHAND_SMTP_HOST": ""})
    assert proc.returncode == 2 and "OPENHAND_SMTP_HOST" in proc.stderr
    both = openhand(project, "send", "--niche", "dental", "--issue", "1", check=False,
                    env={"OPENHAND_SMTP_HOST": "127.0.0.1", "OPENHAND_SMTP_STARTTLS": "1", "OPENHAND_SMTP_SSL": "1"})
    assert both.returncode == 2 and "not both" in both.stderr


def test_subscriber_addresses_never_reach_the_built_site(project):
    build(project)
    for path in (project / "output").rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            for address in SUBSCRIBED + ["gone@clinic.example"]:
                assert address.lower().encode() not in data, path
    for path in (project / "mail" / "dental").iterdir():
        assert b"ana@clinic.example" not in path.read_bytes()


def test_on_a_terminal_a_progress_bar_shows_and_the_summary_follows(project, smtp):
    leader, follower = pty.openpty()
    env = {**os.environ, **smtp.env(), "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen([str(OPENHAND), "--settings", "pelicanconf.py", "send", "--niche", "dental", "--issue",
                             "1"], cwd=project, env=env, stdout=follower, stderr=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(60) == 0
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "sending" in screen and "5/5" in screen and "\u2501" in screen  # rich's bar
    assert "5 sent, 0 skipped as already sent, 0 failed" in screen
    assert len(smtp.messages) == 5


def test_dry_run_with_a_limit_lists_only_that_many(project):
    proc = openhand(project, "send", "--niche", "dental", "--issue", "1", "--dry-run", "--limit", "2", env={})
    assert proc.stdout.split() == SUBSCRIBED[:2]
    assert "3 more on later runs" in proc.stderr


def test_two_sends_of_the_same_issue_cannot_run_at_once(project, smtp):
    from curator.send import SendLog

    log = SendLog(str(project / "mail" / "sent" / "dental-1.log"))
    try:
        proc = send(project, smtp)
    finally:
        log.close()
    assert proc.returncode == 2 and "another send of this issue is running" in proc.stderr
    assert smtp.messages == []


def test_smtp_ports_default_by_mode_and_the_password_hides_itself():
    from curator.send import smtp_config

    base = {"OPENHAND_SMTP_HOST": "smtp.example", "OPENHAND_SMTP_USER": "u", "OPENHAND_SMTP_PASSWORD": PASSWORD}
    assert smtp_config(base).port == 25
    assert smtp_config({**base, "OPENHAND_SMTP_STARTTLS": "yes"}).port == 587
    config = smtp_config({**base, "OPENHAND_SMTP_SSL": "1"})
    assert (config.port, config.use_ssl) == (465, True)
    assert PASSWORD not in repr(config) and PASSWORD not in config.describe()
    assert config.password.reveal() == PASSWORD


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_after_the_message_in_flight_and_says_what_is_left(project, smtp, signum):
    smtp.handler.hold_after = 2
    env = {**os.environ, **smtp.env()}
    proc = subprocess.Popen([str(OPENHAND), "--settings", "pelicanconf.py", "send", "--niche", "dental",
                             "--issue", "1"], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert smtp.handler.held.wait(60)
        proc.send_signal(signum)
        time.sleep(0.2)
        smtp.handler.hold_after = None
        smtp.handler.release.set()  # the stalled RCPT now gets a 421: no retry, the run stops
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signum, out + err
    assert "2 sent, 0 skipped as already sent, 0 failed, 3 left" in out and "interrupted" in out
    assert len(log_lines(project, "sent")) == 2
    again = send(project, smtp)
    assert "3 sent, 2 skipped as already sent" in again.stdout
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)


def test_a_rebuild_mid_send_is_allowed_and_a_changed_email_is_called_out(project, smtp):
    assert send(project, smtp, "--limit", "2").returncode == 0
    build(project)  # same issue, rebuilt: nothing a reader would see changed
    quiet = send(project, smtp, "--limit", "1")
    assert quiet.returncode == 0 and "changed since" not in quiet.stderr
    issue = project / "content" / "newsletters" / "dental" / "2026-11-02.md"
    issue.write_text(issue.read_text().replace("Hello from Dana.", "Hello again from Dana."))
    build(project)
    changed = send(project, smtp)
    assert changed.returncode == 0
    assert "1.eml changed since this issue started going out" in changed.stderr
    assert "the 3 subscribers already sent to got the earlier version" in changed.stderr
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)
    assert "Hello again" in smtp.handler.to(SUBSCRIBED[-1])[0].message.get_body(("plain",)).get_content()
