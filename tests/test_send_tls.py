"""`openhand send` over TLS to a real server on 127.0.0.1: STARTTLS, implicit TLS (SSL), and a certificate
nobody vouches for. The certificate is made per test by the openssl CLI; the client trusts it only through
SSL_CERT_FILE, exactly as a relay with a private CA would be trusted."""

from __future__ import annotations

import pytest

from support.project import openhand
from support.sending import PASSWORD, SUBSCRIBED, delivery_states
from support.smtp import SmtpServer, make_certificate
from test_send import built, project  # noqa: F401  (fixtures)

# aiosmtpd cannot see implicit TLS, so the SSL server requires AUTH with its "TLS required" check off
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture
def certificate(tmp_path):
    return make_certificate(tmp_path)


@pytest.fixture(params=["starttls", "ssl"])
def tls_smtp(request, certificate):
    with SmtpServer(user="letters", password=PASSWORD, tls=request.param, certificate=certificate) as server:
        yield server


def send(project, smtp, env=None):
    return openhand(project, "send", "--niche", "dental", "--issue", "1", check=False,
                    env={**smtp.env(), **(env or {})}, timeout=120)


def trusting(certificate):
    """The environment that makes Python's default verifying context trust the test certificate, and only it."""
    return {"SSL_CERT_FILE": certificate[0], "SSL_CERT_DIR": ""}


def test_over_tls_every_subscriber_gets_one_copy_and_the_login_is_encrypted(project, tls_smtp, certificate):
    proc = send(project, tls_smtp, trusting(certificate))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 sent, 0 skipped as already sent, 0 refused" in proc.stdout
    assert sorted(r for m in tls_smtp.messages for r in m.rcpt_tos) == sorted(SUBSCRIBED)
    assert all(len(tls_smtp.handler.to(a)) == 1 for a in SUBSCRIBED)
    assert delivery_states(project) == {a.lower(): "sent" for a in SUBSCRIBED}
    # one login per connection, each over TLS (never before the handshake)
    assert 1 <= len(tls_smtp.handler.logins) <= 5 and set(tls_smtp.handler.logins) == {("letters", True)}
    assert set(tls_smtp.handler.login_tls) <= {"TLSv1.2", "TLSv1.3"}
    verbose = openhand(project, "--verbose", "send", "--niche", "dental", "--issue", "1", check=False,
                       env={**tls_smtp.env(), **trusting(certificate)})
    assert verbose.returncode == 0 and "5 skipped as already sent" in verbose.stdout
    for text in (proc.stdout, proc.stderr, verbose.stdout, verbose.stderr, *(
            p.read_bytes().decode("latin-1") for p in (project / "state").rglob("*") if p.is_file())):
        assert PASSWORD not in text and "hunter2" not in text


def test_starttls_server_refuses_a_login_in_plain_text(project, certificate):
    """The test server really guards AUTH: a client that skips STARTTLS cannot log in (so the pass above means
    send.py upgraded first)."""
    with SmtpServer(user="letters", password=PASSWORD, tls="starttls", certificate=certificate) as server:
        proc = send(project, server, {**trusting(certificate), "OPENHAND_SMTP_STARTTLS": "0"})
        assert proc.returncode == 1 and "offers no login" in proc.stdout, proc.stdout + proc.stderr
        assert server.messages == [] and server.handler.logins == []
        assert set(delivery_states(project).values()) <= {"deferred"}
        assert PASSWORD not in proc.stdout + proc.stderr


def test_an_untrusted_certificate_sends_nothing_and_says_why(project, tls_smtp, certificate):
    proc = send(project, tls_smtp)  # no SSL_CERT_FILE: the self-signed certificate is trusted by nobody
    assert proc.returncode == 1, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    assert f"127.0.0.1:{tls_smtp.port}" in output
    assert "certificate" in output and "could not be verified" in output
    assert "SSL_CERT_FILE" in output  # the way out for a relay with a private CA
    assert "gave up after" not in output and "trying again" not in output  # no pointless retries
    assert "0 sent" in proc.stdout and "5 left" in proc.stdout
    assert tls_smtp.messages == [] and tls_smtp.handler.logins == []  # the password never left the machine
    assert delivery_states(project) == {}
    assert PASSWORD not in output and "hunter2" not in output

    again = send(project, tls_smtp, trusting(certificate))  # trusted now: nothing was lost
    assert again.returncode == 0, again.stdout + again.stderr
    assert all(len(tls_smtp.handler.to(a)) == 1 for a in SUBSCRIBED)


def test_a_relay_offering_auth_in_clear_without_starttls_gets_no_password(project):
    """STARTTLS asked for, the relay offers only AUTH in plain text: nothing is sent, no login tried."""
    with SmtpServer(user="letters", password=PASSWORD, auth_require_tls=False) as server:
        proc = send(project, server, {"OPENHAND_SMTP_STARTTLS": "1"})
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "does not offer STARTTLS" in proc.stdout and "5 left" in proc.stdout
        assert server.handler.logins == [] and server.messages == []
        assert PASSWORD not in proc.stdout + proc.stderr
