"""`openhand inbox` against a real Dovecot on 127.0.0.1: mailto: unsubscribes, RFC 3464 bounces and RFC 5965
complaints change the list, each handled message is moved, an ordinary reply stays unread for the editor."""

from __future__ import annotations

import pytest

from support.dovecot import DOVECOT, Dovecot
from support.sending import Cli, copy_site, state
from support.tools import needs

pytestmark = needs("dovecot", DOVECOT, "apt-get install dovecot-imapd")

DOMAIN = "clearwater-advisory.example"
HANDLED = "Openhand"


def crlf(text: str) -> bytes:
    return text.strip("\n").replace("\n", "\r\n").encode("utf-8") + b"\r\n"


def mailto_request(address="ana@clinic.example", subject="unsubscribe", to=f"unsubscribe+dental@{DOMAIN}") -> bytes:
    return crlf(f"""From: Ana Ruiz <{address}>
To: {to}
Subject: {subject}
Message-ID: <req-{address}-{len(subject)}@clinic.example>
Date: Tue, 03 Nov 2026 10:00:00 +0000

Please take me off.
""")


def dsn(recipient: str, status: str, action: str = "failed", number: int = 1, original_id: str = "dental.1",
        headers_only: bool = True) -> bytes:
    original = (f"Content-Type: text/rfc822-headers\n\nMessage-ID: <{original_id}@{DOMAIN}>\n"
                f'List-Id: "Dental practices" <dental.{DOMAIN}>\nTo: {recipient}\n' if headers_only else
                f"Content-Type: message/rfc822\n\nMessage-ID: <{original_id}@{DOMAIN}>\nTo: {recipient}\n"
                f"Subject: Issue 1\n\nThe issue.\n")
    return crlf(f"""From: Mail Delivery System <MAILER-DAEMON@mx.example>
To: letters@{DOMAIN}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{recipient}-{status}-{number}@mx.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="=b="

--=b=
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.
--=b=
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example
Arrival-Date: Mon, 02 Nov 2026 15:00:00 +0000

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {"550 5.1.1 no such user" if status.startswith("5") else "452 4.2.2 mailbox full"}

--=b=
{original}
--=b=--
""")


def arf(recipient: str) -> bytes:
    return crlf(f"""From: Complaints <feedback@isp.example>
To: letters@{DOMAIN}
Subject: FW: Issue 1
Message-ID: <arf-{recipient}@isp.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="=f="

--=f=
Content-Type: text/plain

This is an email abuse report for an email message received from IP 192.0.2.25.
--=f=
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Mail-From: <letters@{DOMAIN}>
Arrival-Date: Mon, 02 Nov 2026 15:00:00 +0000

--=f=
Content-Type: message/rfc822

From: Clearwater Advisory <letters@{DOMAIN}>
To: {recipient}
Subject: Issue 1
Message-ID: <dental.1@{DOMAIN}>
List-Id: "Dental practices" <dental.{DOMAIN}>

The issue.
--=f=--
""")


REPLY = crlf(f"""From: Eve <eve@practice.example>
To: Dana at Clearwater <dana@{DOMAIN}>
Subject: Re: Issue 1: calmer month-ends
In-Reply-To: <dental.1@{DOMAIN}>
Message-ID: <thanks-eve@practice.example>

Thanks, the collections checklist was just what we needed.
""")


@pytest.fixture(scope="module")
def dovecot():
    server = Dovecot().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mailbox(dovecot):
    dovecot.empty("INBOX", HANDLED)
    return dovecot


@pytest.fixture
def project(send_site, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    monkeypatch.delenv("OPENHAND_LIST_SECRET", raising=False)
    return copy_site(send_site, tmp_path / "site")


@pytest.fixture
def cli(capsys, caplog, monkeypatch):
    return Cli(capsys, caplog, monkeypatch)


def statuses(project) -> dict[str, str]:
    return {a.lower(): s for a, s in state(project, "SELECT address, status FROM subscribers WHERE niche = 'dental'")}


SOFT = "cara@dentalcare.example"


def fill(mailbox) -> None:
    mailbox.append("INBOX", mailto_request(), dsn("Ben.Lee@Smiles.example", "5.1.1"),
                   *(dsn(SOFT, "4.2.2", number=n, headers_only=n != 2) for n in (1, 2, 3)),
                   arf("dev@teeth.example"), REPLY)


def test_inbox_handles_unsubscribes_bounces_and_complaints_and_leaves_a_reply(project, mailbox, cli):
    fill(mailbox)
    first = cli(project, "subscribers", "count", "--niche", "dental")  # imports subscribers/dental.csv
    assert "5 subscribed" in first.stdout

    dry = cli(project, "inbox", "--dry-run", env=mailbox.env())
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would handle" in dry.stdout and "unsubscribe ana@clinic.example in dental" in dry.stdout
    assert "6 handled (would move to Openhand), 1 left for you (dry run: nothing changed)" in dry.stdout
    assert set(statuses(project).values()) == {"subscribed", "unsubscribed"}  # only gone@ was unsubscribed before
    assert len(mailbox.contents("INBOX")) == 7 and mailbox.contents(HANDLED) == []

    ran = cli(project, "inbox", env=mailbox.env())
    assert ran.returncode == 0, ran.stdout + ran.stderr
    after = statuses(project)
    assert after["ana@clinic.example"] == "unsubscribed"
    assert after["ben.lee@smiles.example"] == "bounced"
    assert after[SOFT] == "bounced"  # the third temporary failure
    assert after["dev@teeth.example"] == "complained"
    assert after["eve@practice.example"] == "subscribed"
    assert f"{SOFT} in dental: temporary failure 4.2.2" in ran.stdout and "(2 of 3; bounced at 3)" in ran.stdout
    assert "6 handled (moved to Openhand), 1 left for you" in ran.stdout
    [(flags, left)] = mailbox.contents("INBOX")
    assert left == REPLY and b"\\Seen" not in flags  # the editor's reply is still there, unread
    assert len(mailbox.contents(HANDLED)) == 6
    assert mailbox.password not in ran.stdout + ran.stderr

    again = cli(project, "inbox", env=mailbox.env())
    assert "0 handled (moved to Openhand), 1 left for you" in again.stdout
    assert statuses(project) == after


def test_a_message_handled_but_not_moved_is_never_applied_twice(project, mailbox, cli):
    from curator.delivery import readers
    from curator.delivery.legacy import open_state
    from curator.model import settings as curator_settings

    mailbox.append("INBOX", mailto_request(), dsn(SOFT, "4.2.2", number=1))
    assert cli(project, "inbox", env=mailbox.env()).returncode == 0
    assert statuses(project)["ana@clinic.example"] == "unsubscribed"
    db = open_state(curator_settings.load(str(project / "pelicanconf.py")))
    try:
        readers.confirm(db, "dental", "ana@clinic.example")  # she came back through the endpoint
    finally:
        db.close()
    # as if the last run stopped after recording but before the move: the same messages are in INBOX again
    mailbox.append("INBOX", *(raw for _, raw in mailbox.contents(HANDLED)))
    ran = cli(project, "inbox", env=mailbox.env())
    assert ran.stdout.count("handled on an earlier run") == 2, ran.stdout
    assert statuses(project)["ana@clinic.example"] == "subscribed"
    assert state(project, "SELECT COUNT(*) FROM soft_bounces")[0][0] == 1  # the repeated report counted once


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_inbox_over_tls(project, mailbox, cli, mode):
    mailbox.append("INBOX", mailto_request(subject="Please unsubscribe me", to=f"dana@{DOMAIN}"))
    ran = cli(project, "inbox", env=mailbox.env(mode))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"({mode.upper()})" in ran.stdout
    # "unsubscribe" in the subject, sent to another address, not a reply: every list the address is on
    assert statuses(project)["ana@clinic.example"] == "unsubscribed"


def test_plain_imap_to_another_machine_is_refused_before_connecting(project, cli, mailbox):
    env = {**mailbox.env(), "OPENHAND_IMAP_HOST": "192.0.2.10"}
    ran = cli(project, "inbox", env=env)
    assert ran.returncode == 2
    assert "plain text" in ran.stderr and "OPENHAND_IMAP_SSL=1" in ran.stderr and "Traceback" not in ran.stderr
    wrong = cli(project, "inbox", env={**mailbox.env(), "OPENHAND_IMAP_PASSWORD": "not-it-but-secret"})
    [line] = [line for line in wrong.stderr.splitlines() if line.startswith("error:")]
    assert wrong.returncode == 2 and line.startswith("error: IMAP lists@127.0.0.1") and "Authentication failed" in line
    assert "not-it-but-secret" not in wrong.stderr
