"""`openhand send` against a real SMTP server on 127.0.0.1: once each, never twice, never lost.

The tests marked by the `database_url` fixture run twice: on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from support.project import OPENHAND, build, write
from support.sending import PASSWORD, SUBSCRIBED, Cli, add_settings, copy_site, delivery_states, state
from support.smtp import SmtpServer, free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture
def built(send_site) -> Path:
    return send_site


@pytest.fixture
def project(built, tmp_path, monkeypatch) -> Path:
    """A copy with subscribers/dental.csv (imported into the database on first use), on SQLite."""
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    return copy_site(built, tmp_path / "site")


@pytest.fixture
def any_project(built, tmp_path, database_url) -> Path:
    """The same, once on SQLite and once on PostgreSQL."""
    return copy_site(built, tmp_path / "site")


@pytest.fixture
def cli(capsys, caplog, monkeypatch):
    return Cli(capsys, caplog, monkeypatch)


@pytest.fixture
def smtp():
    with SmtpServer(user="letters", password=PASSWORD) as server:
        yield server


def message_to_line(data: bytes) -> bytes:
    start = data.index(b"\r\nTo: ") + 2
    end = start
    while True:  # the header and any folded continuation lines
        end = data.index(b"\r\n", end) + 2
        if data[end:end + 1] not in (b" ", b"\t"):
            return data[start:end]


def test_each_subscribed_address_gets_one_identical_message_with_its_own_to(any_project, smtp, cli):
    project = any_project
    proc = cli.send(project, smtp)
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
        bodies.add(received.data.replace(message_to_line(received.data), b""))
    assert len(bodies) == 1, "recipients' messages differ in more than To"
    assert bodies.pop() == (project / "mail" / "dental" / "1.eml").read_bytes()
    to = {m.rcpt_tos[0]: m.message["To"] for m in smtp.messages}
    assert to["eve@practice.example"].addresses[0].display_name == "Ève Müller"
    assert to["cara@dentalcare.example"].addresses[0].display_name == "Cara O'Neil, DDS"
    assert "5 sent, 0 skipped as already sent, 0 refused, 0 deferred, 0 unknown, 0 left" in proc.stdout
    # the old list was imported once, its file named and left in place; its bad rows said why
    assert "imported subscribers/dental.csv" in proc.stderr and "left in place" in proc.stderr
    assert "not-an-address" in proc.stderr and "listed twice" in proc.stderr
    assert (project / "subscribers" / "dental.csv").is_file()
    assert delivery_states(project) == {a.lower(): "sent" for a in SUBSCRIBED}

    again = cli.send(project, smtp)
    assert again.returncode == 0
    assert len(smtp.messages) == 5
    assert "0 sent, 5 skipped as already sent" in again.stdout
    assert "imported" not in again.stderr


def test_unsubscribed_invalid_and_duplicate_rows_receive_nothing(project, smtp, cli):
    assert cli.send(project, smtp).returncode == 0
    everyone = [r.lower() for m in smtp.messages for r in m.rcpt_tos]
    assert "gone@clinic.example" not in everyone
    assert "not-an-address" not in everyone
    assert everyone.count("ben.lee@smiles.example") == 1


def test_mail_from_rcpt_and_data_are_pipelined_when_the_relay_offers_it(project, smtp, cli):
    assert cli.send(project, smtp, "--connections", "2").returncode == 0
    assert smtp.handler.pipelined == [True] * 5
    with SmtpServer(user="letters", password=PASSWORD) as plain:
        plain.handler.pipelining = False
        again = cli.send(project, plain, "--issue", "1", env={"OPENHAND_DATABASE_URL": "sqlite:///" + str(
            project / "state" / "other.db")})
        assert again.returncode == 0, again.stdout + again.stderr
        assert plain.handler.pipelined == [False] * 5 and len(plain.messages) == 5


def test_only_published_issues_can_be_sent(project, smtp, cli):
    proc = cli.send(project, smtp, issue="2")
    assert proc.returncode == 2
    assert "2026-12-07.md: status: is 'draft'; only published issues are sent" in proc.stderr
    assert "fix: set status: published" in proc.stderr and "--test ADDRESS" in proc.stderr
    missing = cli.send(project, smtp, issue="9")
    assert missing.returncode == 2 and "no issue number 9" in missing.stderr and "issues: 1, 2" in missing.stderr
    assert smtp.messages == []


def test_an_issue_edited_after_the_build_is_refused_until_rebuilt(project, smtp, cli):
    issue = project / "content" / "newsletters" / "dental" / "2026-11-02.md"
    issue.write_text(issue.read_text().replace("no strings", "no strings at all"))
    proc = cli.send(project, smtp)
    assert proc.returncode == 2 and "run make html" in proc.stderr and "1.eml" in proc.stderr
    assert "the issue file" in proc.stderr and "2026-11-02.md" in proc.stderr
    assert smtp.messages == []
    build(project)
    assert cli.send(project, smtp).returncode == 0 and len(smtp.messages) == 5
    assert "no strings at all" in smtp.messages[0].message.get_body(("plain",)).get_content()


def test_touching_files_or_editing_the_hub_text_never_blocks_sending(project, smtp, cli):
    later = time.time() + 60
    issue = project / "content" / "newsletters" / "dental" / "2026-11-02.md"
    niche = project / "content" / "niches" / "dental.md"
    os.utime(issue, (later, later))
    niche.write_text(niche.read_text() + "\nOne more paragraph for the hub page only.\n")
    assert cli.send(project, smtp, "--limit", "1").returncode == 0 and len(smtp.messages) == 1
    niche.write_text(
        niche.read_text().replace("letters@clearwater-advisory.example", "news@clearwater-advisory.example")
    )
    refused = cli.send(project, smtp)
    assert refused.returncode == 2 and "email settings in" in refused.stderr and "dental.md" in refused.stderr
    assert len(smtp.messages) == 1


def test_an_email_that_fails_the_no_strings_check_is_never_sent(built, tmp_path, smtp, cli, monkeypatch):
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    project = copy_site(built, tmp_path / "site")
    add_settings(project, "NO_STRINGS_CHECK = False")
    issue = project / "content" / "newsletters" / "dental" / "2026-11-02.md"
    issue.write_text(issue.read_text().replace("https://example.org/collections",
                                               "https://example.org/collections?utm_source=newsletter"))
    build(project)
    proc = cli.send(project, smtp)
    assert proc.returncode == 2 and "no-strings check" in proc.stderr and "[tracking-param]" in proc.stderr
    assert "utm_source" in proc.stderr and smtp.messages == []


def test_dry_run_lists_who_would_receive_it_and_sends_nothing(project, smtp, cli):
    proc = cli(project, "send", "--niche", "dental", "--issue", "1", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.split()) == sorted(SUBSCRIBED)
    assert "nothing sent" in proc.stderr and "5 subscribers" in proc.stderr
    assert smtp.messages == [] and delivery_states(project) == {}


def test_dry_run_with_a_limit_lists_only_that_many(project, cli):
    proc = cli(project, "send", "--niche", "dental", "--issue", "1", "--dry-run", "--limit", "2")
    assert proc.stdout.split() == SUBSCRIBED[:2]
    assert "3 more on later runs" in proc.stderr


def test_a_451_then_250_delivers_the_message_once(project, smtp, cli):
    smtp.handler.temporary["cara@dentalcare.example"] = 2
    proc = cli.send(project, smtp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(smtp.handler.to("cara@dentalcare.example")) == 1
    assert len(smtp.messages) == 5
    assert "451" in proc.stderr and "trying again" in proc.stderr


def test_a_connection_dropped_before_the_dot_is_retried_and_delivers_once(project, smtp, cli):
    smtp.handler.drop_at_rcpt["dev@teeth.example"] = 1
    proc = cli.send(project, smtp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(smtp.handler.to("dev@teeth.example")) == 1 and len(smtp.messages) == 5


def test_a_drop_after_the_dot_is_unknown_never_retried_until_the_editor_says_so(any_project, smtp, cli):
    smtp.handler.drop["dev@teeth.example"] = 1
    proc = cli.send(any_project, smtp)
    assert proc.returncode == 1
    assert "4 sent, 0 skipped as already sent, 0 refused, 0 deferred, 1 unknown" in proc.stdout
    assert "unknown dev@teeth.example" in proc.stdout and "--retry-unknown" in proc.stdout
    assert len(smtp.handler.to("dev@teeth.example")) == 1  # the relay kept it: a retry would be a second copy
    again = cli.send(any_project, smtp)
    assert "0 sent, 4 skipped as already sent" in again.stdout and "(dev@teeth.example)" in again.stdout
    assert len(smtp.handler.to("dev@teeth.example")) == 1
    retried = cli.send(any_project, smtp, "--retry-unknown")
    assert retried.returncode == 0, retried.stdout
    assert "1 sent, 4 skipped as already sent, 0 refused, 0 deferred, 0 unknown" in retried.stdout
    assert len(smtp.handler.to("dev@teeth.example")) == 2  # on the editor's say-so
    assert delivery_states(any_project)["dev@teeth.example"] == "sent"


def test_a_reply_to_the_dot_later_than_the_timeout_is_unknown_and_not_retried(project, smtp, cli):
    add_settings(project, "SEND_TIMEOUT = 0.3")
    smtp.handler.late["ana@clinic.example"] = 1.0
    proc = cli.send(project, smtp)
    assert proc.returncode == 1
    assert "4 sent" in proc.stdout and "1 unknown" in proc.stdout and "unknown ana@clinic.example" in proc.stdout
    assert "SEND_TIMEOUT" in proc.stdout and "may have accepted it" in proc.stdout
    assert len(smtp.handler.to("ana@clinic.example")) == 1


def test_a_550_for_one_address_is_reported_and_the_others_delivered(any_project, smtp, cli):
    smtp.handler.reject["dev@teeth.example"] = "550 5.1.1 No such user here"
    proc = cli.send(any_project, smtp)
    assert proc.returncode == 1
    assert "4 sent, 0 skipped as already sent, 1 refused" in proc.stdout
    assert "refused dev@teeth.example: 550 5.1.1 No such user here" in proc.stdout
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(set(SUBSCRIBED) - {"dev@teeth.example"})
    assert delivery_states(any_project)["dev@teeth.example"] == "refused"

    del smtp.handler.reject["dev@teeth.example"]
    again = cli.send(any_project, smtp)
    assert again.returncode == 0
    assert "1 sent, 4 skipped as already sent, 0 refused" in again.stdout
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)


def test_a_552_to_the_final_dot_is_refused_and_named(project, smtp, cli):
    smtp.handler.reject_data["eve@practice.example"] = "552 5.3.4 Message too big for this mailbox"
    proc = cli.send(project, smtp)
    assert proc.returncode == 1 and "refused eve@practice.example: 552 5.3.4" in proc.stdout
    assert smtp.handler.to("eve@practice.example") == [] and len(smtp.messages) == 4


def test_a_torn_last_line_of_an_old_send_log_is_ignored_when_it_is_imported(project, smtp, cli):
    write(project / "mail" / "sent" / "dental-1.log",
          "# openhand send niche=dental issue=1\n2026-11-22T10:00:00Z\tsent\tana@clinic.example\t\tend\n"
          "2026-11-22T10:00:01Z\tsent\tBen.Lee@Smiles.example\t\te")  # killed before "nd\n"
    proc = cli.send(project, smtp)
    assert proc.returncode == 0
    assert "imported mail/sent/dental-1.log" in proc.stderr and "1 sent" in proc.stderr
    assert "4 sent, 1 skipped as already sent" in proc.stdout
    assert len(smtp.handler.to("Ben.Lee@Smiles.example")) == 1 and smtp.handler.to("ana@clinic.example") == []
    assert (project / "mail" / "sent" / "dental-1.log").is_file()


def test_limit_sends_at_most_k_and_a_rerun_sends_the_rest(any_project, smtp, cli):
    first = cli.send(any_project, smtp, "--limit", "2")
    assert first.returncode == 0
    assert "2 sent, 0 skipped as already sent, 0 refused, 0 deferred, 0 unknown, 3 left" in first.stdout
    second = cli.send(any_project, smtp)
    assert "3 sent, 2 skipped as already sent, 0 refused, 0 deferred, 0 unknown, 0 left" in second.stdout
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)


def test_rate_spaces_the_messages_out_across_all_connections(project, smtp, cli):
    stamps = []
    original = smtp.handler.handle_DATA

    async def timed(server, session, envelope):
        stamps.append(time.monotonic())
        return await original(server, session, envelope)

    smtp.handler.handle_DATA = timed
    proc = cli.send(project, smtp, "--rate", "10", "--connections", "3")
    assert proc.returncode == 0 and len(stamps) == 5
    # Each message takes a slot 0.1 s after the last one's; it reaches the relay a moment after its slot,
    # and on a loaded machine one may be late enough to land just before the next (a gap of 0.01 s was
    # seen). So: the five span at least three slots, and no 0.1 s holds three of them. Without --rate
    # all five arrive within a few hundredths of a second.
    stamps.sort()
    assert stamps[-1] - stamps[0] >= 0.3, stamps
    assert min(c - a for a, c in zip(stamps, stamps[2:], strict=False)) >= 0.1, stamps


def test_the_password_never_appears_in_output_or_logs(project, smtp, cli):
    wrong = cli(project, "--verbose", "send", "--niche", "dental", "--issue", "1",
                env=smtp.env(password="wrong-" + PASSWORD))
    verbose = cli(project, "--verbose", "send", "--niche", "dental", "--issue", "1", "--limit", "1", env=smtp.env())
    ok = cli.send(project, smtp)
    assert wrong.returncode == 1 and "refused the login as letters" in wrong.stdout
    assert verbose.returncode == 0 and ok.returncode == 0 and len(smtp.messages) == 5
    assert ("letters", False) in smtp.handler.logins
    texts = [p.stdout + p.stderr for p in (ok, verbose, wrong)]
    texts += [p.read_bytes().decode("latin-1") for p in (project / "mail").rglob("*") if p.is_file()]
    texts += [p.read_bytes().decode("latin-1") for p in (project / "state").rglob("*") if p.is_file()]
    for text in texts:
        assert PASSWORD not in text
        assert "hunter2" not in text


def test_a_server_that_cannot_be_reached_stops_the_run_and_loses_nothing(project, smtp, cli):
    proc = cli.send(project, smtp, env={"OPENHAND_SMTP_PORT": str(free_port())})  # nobody listens there
    assert proc.returncode == 1
    assert "cannot connect to 127.0.0.1" in proc.stdout and "5 left" in proc.stdout
    assert "try again later" in proc.stdout
    assert delivery_states(project) == {}
    assert cli.send(project, smtp).returncode == 0
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)


def test_smtp_settings_come_from_the_environment_only(project, cli):
    proc = cli(project, "send", "--niche", "dental", "--issue", "1", env={"OPENHAND_SMTP_HOST": ""})
    assert proc.returncode == 2 and "OPENHAND_SMTP_HOST" in proc.stderr
    both = cli(project, "send", "--niche", "dental", "--issue", "1",
               env={"OPENHAND_SMTP_HOST": "127.0.0.1", "OPENHAND_SMTP_STARTTLS": "1", "OPENHAND_SMTP_SSL": "1"})
    assert both.returncode == 2 and "not both" in both.stderr


def test_a_password_is_never_sent_in_clear_to_another_machine(project, cli):
    from curator.delivery.relay import smtp_config

    clear = {"OPENHAND_SMTP_HOST": "smtp.relay.example", "OPENHAND_SMTP_USER": "letters",
             "OPENHAND_SMTP_PASSWORD": PASSWORD}
    proc = cli(project, "send", "--niche", "dental", "--issue", "1", env=clear)
    assert proc.returncode == 2 and "plain text" in proc.stderr and "OPENHAND_SMTP_STARTTLS=1" in proc.stderr
    assert PASSWORD not in proc.stderr + proc.stdout
    assert not (project / "state").exists()  # refused before anything was opened, taken or connected
    assert smtp_config({**clear, "OPENHAND_SMTP_STARTTLS": "1"}).starttls
    assert smtp_config({**clear, "OPENHAND_SMTP_INSECURE": "1"}).user == "letters"
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert smtp_config({**clear, "OPENHAND_SMTP_HOST": host}).user == "letters"


def test_subscriber_addresses_never_reach_the_built_site(project, smtp, cli):
    assert cli.send(project, smtp).returncode == 0
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
    assert "5 sent, 0 skipped as already sent, 0 refused" in screen
    assert len(smtp.messages) == 5


def test_a_second_send_of_an_issue_while_one_runs_is_refused(project, smtp, cli):
    smtp.handler.hold_after = 1
    first = subprocess.Popen([str(OPENHAND), "--settings", "pelicanconf.py", "send", "--niche", "dental", "--issue",
                              "1", "--connections", "1"], cwd=project, env={**os.environ, **smtp.env()},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert smtp.handler.held.wait(60)
        second = cli.send(project, smtp)
        assert second.returncode == 2 and "another send of this issue is running" in second.stderr
        smtp.handler.hold_after = None
        smtp.handler.release.set()
        first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert all(len(smtp.handler.to(a)) <= 1 for a in SUBSCRIBED)


def test_smtp_ports_default_by_mode_and_the_password_hides_itself():
    from curator.delivery.relay import smtp_config

    base = {"OPENHAND_SMTP_HOST": "smtp.example", "OPENHAND_SMTP_USER": "u", "OPENHAND_SMTP_PASSWORD": PASSWORD,
            "OPENHAND_SMTP_INSECURE": "1"}
    assert smtp_config(base).port == 25
    assert smtp_config({**base, "OPENHAND_SMTP_STARTTLS": "yes"}).port == 587
    config = smtp_config({**base, "OPENHAND_SMTP_SSL": "1"})
    assert (config.port, config.use_ssl) == (465, True)
    assert PASSWORD not in repr(config) and PASSWORD not in config.describe()
    assert config.password.reveal() == PASSWORD


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_after_the_message_in_flight_and_says_what_is_left(project, smtp, cli, signum):
    smtp.handler.hold_after = 2
    env = {**os.environ, **smtp.env()}
    proc = subprocess.Popen([str(OPENHAND), "--settings", "pelicanconf.py", "send", "--niche", "dental",
                             "--issue", "1", "--connections", "1"], cwd=project, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert smtp.handler.held.wait(60)
        proc.send_signal(signum)
        time.sleep(0.2)
        smtp.handler.hold_after = None
        smtp.handler.release.set()  # the stalled RCPT now gets a 421: deferred, not retried, the run stops
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signum, out + err
    assert "2 sent, 0 skipped as already sent, 0 refused, 1 deferred, 0 unknown, 2 left" in out
    assert "interrupted" in out
    assert sorted(delivery_states(project).values()) == ["deferred", "sent", "sent"]
    again = cli.send(project, smtp)
    assert "3 sent, 2 skipped as already sent" in again.stdout
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)


def test_a_rebuild_mid_send_is_allowed_and_a_changed_email_is_called_out(project, smtp, cli):
    assert cli.send(project, smtp, "--limit", "2").returncode == 0
    build(project)  # same issue, rebuilt: nothing a reader would see changed
    quiet = cli.send(project, smtp, "--limit", "1")
    assert quiet.returncode == 0 and "changed since" not in quiet.stderr
    issue = project / "content" / "newsletters" / "dental" / "2026-11-02.md"
    issue.write_text(issue.read_text().replace("Hello from Dana.", "Hello again from Dana."))
    build(project)
    changed = cli.send(project, smtp)
    assert changed.returncode == 0
    assert "1.eml changed since this issue started going out" in changed.stderr
    assert "the 3 subscribers already sent to got the earlier version" in changed.stderr
    assert all(len(smtp.handler.to(a)) == 1 for a in SUBSCRIBED)
    assert "Hello again" in smtp.handler.to(SUBSCRIBED[-1])[0].message.get_body(("plain",)).get_content()


def test_a_test_send_of_a_draft_goes_to_one_address_and_is_never_recorded(project, smtp, cli):
    proc = cli.send(project, smtp, "--test", "editor@clearwater-advisory.example", issue="2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [received] = smtp.messages
    assert received.rcpt_tos == ["editor@clearwater-advisory.example"]
    message = received.message
    assert message["Subject"] == "[Test] Issue 2: calmer month-ends, café owners' tips"
    assert message["To"].addresses[0].addr_spec == "editor@clearwater-advisory.example"
    assert "Tighten insurance collections" in message.get_body(("plain",)).get_content()
    published = cli.send(project, smtp, "--test", "editor@clearwater-advisory.example")
    assert published.returncode == 0
    real = BytesParser(policy=policy.SMTP).parsebytes((project / "mail" / "dental" / "1.eml").read_bytes())
    assert smtp.messages[1].message["Message-ID"] != real["Message-ID"]  # the real issue is not taken for a copy
    assert not (project / "state").exists()  # a test send touches no delivery record
    dry = cli(project, "send", "--niche", "dental", "--issue", "1", "--dry-run")
    assert sorted(dry.stdout.split()) == sorted(SUBSCRIBED)
    assert state(project, "SELECT COUNT(*) FROM deliveries") == [(0,)]
