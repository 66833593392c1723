"""`openhand send`: one published issue's email to a niche's subscribers, over SMTP.

Nothing twice, nothing lost: every accepted delivery is appended to
mail/sent/<slug>-<number>.log and fsynced before the next one starts, and a
re-run skips what the log holds. The one window left is a message the server
accepted while the process died before the log line reached the disk (at most
one message, since we send one at a time). The log is locked while a send
runs, so two runs of the same issue cannot race.

SMTP settings come only from the environment (OPENHAND_SMTP_*); the password
is kept in a `Secret` whose repr is masked and is never logged or printed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
import signal
import smtplib
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from email.utils import formataddr, parseaddr

from . import subscribers as subs
from .documents import ContentError, _fsync_dir
from .issues import load_niche_issues
from .niches import load_niches
from .settings import SettingsError, content_dir, project_dir

logger = logging.getLogger(__name__)

ENV = "OPENHAND_SMTP_"
TRUE, FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}
FINGERPRINT_HEADERS = ("From", "Reply-To", "Subject", "Message-ID", "List-Id", "List-Unsubscribe")


class SendError(Exception):
    """Sending cannot start (or must stop); the message says why and what to do."""


class Secret:
    """A password that never shows itself in a repr, a log line or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str | None
    password: Secret | None
    starttls: bool
    use_ssl: bool
    timeout: float

    def describe(self) -> str:
        mode = "SSL" if self.use_ssl else "STARTTLS" if self.starttls else "plain"
        who = f" as {self.user}" if self.user else ""
        return f"{self.host}:{self.port} ({mode}){who}"


def _flag(environ, name: str) -> bool:
    value = environ.get(ENV + name, "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise SettingsError(f"{ENV}{name} must be 1 or 0 (or true/false), not {value!r}")


def smtp_config(environ, timeout: float = 30.0) -> SmtpConfig:
    """The relay from OPENHAND_SMTP_HOST/_PORT/_USER/_PASSWORD/_STARTTLS/_SSL (never from a file)."""
    host = environ.get(ENV + "HOST", "").strip()
    if not host:
        raise SettingsError(f"set {ENV}HOST (and {ENV}PORT, {ENV}USER, {ENV}PASSWORD, {ENV}STARTTLS=1 or "
                            f"{ENV}SSL=1 as your relay needs) in the environment; they are never read from files")
    starttls, use_ssl = _flag(environ, "STARTTLS"), _flag(environ, "SSL")
    if starttls and use_ssl:
        raise SettingsError(f"set {ENV}STARTTLS or {ENV}SSL, not both (SSL for port 465, STARTTLS for 587)")
    port_text = environ.get(ENV + "PORT", "").strip()
    try:
        port = int(port_text) if port_text else (465 if use_ssl else 587 if starttls else 25)
    except ValueError:
        raise SettingsError(f"{ENV}PORT must be a port number, not {port_text!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"{ENV}PORT must be between 1 and 65535, not {port}")
    user = environ.get(ENV + "USER", "").strip() or None
    password = environ.get(ENV + "PASSWORD") or None
    if bool(user) != bool(password):
        raise SettingsError(f"set both {ENV}USER and {ENV}PASSWORD, or neither")
    return SmtpConfig(host, port, user, Secret(password) if password else None, starttls, use_ssl, float(timeout))


# --- what to send, to whom --------------------------------------------------

@dataclass
class Job:
    slug: str
    number: int
    eml_path: str
    message: bytes           # the .eml as built, CRLF line ends
    sender: str              # envelope MAIL FROM: the From address
    fingerprint: str
    recipients: list         # subscribers.Subscriber, subscribed and valid, each once
    skipped: list            # (Subscriber, why) left out of the list
    log_path: str


def fingerprint(message) -> str:
    """What a reader sees (headers that matter, decoded parts): stable across rebuilds of the same issue."""
    digest = hashlib.sha256()
    for name in FINGERPRINT_HEADERS:
        digest.update(f"{name}: {message.get(name, '')}\n".encode())
    for part in message.walk():
        if not part.is_multipart():
            digest.update(part.get_content_type().encode() + b"\n")
            digest.update(part.get_payload(decode=True) or b"")
    return digest.hexdigest()[:16]


def with_to(message: bytes, subscriber) -> bytes:
    """The built message with one To header added after the others; the bytes of everything else are kept."""
    end = message.find(b"\r\n\r\n")
    if end < 0:
        raise SendError("the .eml has no blank line between headers and body; rebuild it with make html")
    name = " ".join((subscriber.name or "").split())
    to = policy.SMTP.fold("To", formataddr((name, subscriber.email)) if name else subscriber.email)
    return message[:end + 2] + to.encode("ascii") + message[end + 2:]


def sent_log_path(settings, slug: str, number: int) -> str:
    return os.path.join(project_dir(settings, "MAIL_PATH"), "sent", f"{slug}-{number}.log")


def prepare(settings, slug: str, number: int) -> Job:
    """Check everything that can be checked before the first message goes out."""
    niches_dir = content_dir(settings, "NICHES_PATH")
    niches = load_niches(niches_dir)
    if slug not in niches:
        raise SendError(f"--niche {slug}: no such niche in {niches_dir} (known: {', '.join(sorted(niches)) or 'none'})")
    newsletters_dir = content_dir(settings, "NEWSLETTERS_PATH")
    issues = {issue.number: issue for issue in load_niche_issues(newsletters_dir, niches[slug])}
    if number not in issues:
        have = ", ".join(str(n) for n in sorted(issues)) or "none yet"
        raise SendError(f"--issue {number}: {os.path.join(newsletters_dir, slug)} has no issue number {number} "
                        f"(issues: {have})")
    issue = issues[number]
    if not issue.published:
        raise ContentError(issue.path, f"is {issue.status!r}; only published issues are sent", key="status",
                           fix="set status: published, run make html, then send again")
    eml_path = os.path.join(project_dir(settings, "MAIL_PATH"), slug, f"{number}.eml")
    if not os.path.isfile(eml_path):
        raise SendError(f"{eml_path}: not built yet; run make html (published issues become emails)")
    for source in (issue.path, niches[slug].path):  # the issue, and the niche's From / unsubscribe settings
        if os.path.getmtime(eml_path) < os.path.getmtime(source):
            raise SendError(f"{eml_path} is older than {source}; run make html so the email matches it")
    with open(eml_path, "rb") as handle:
        data = handle.read()
    if b"\r\n" not in data:
        data = data.replace(b"\n", b"\r\n")
    message = BytesParser(policy=policy.SMTP).parsebytes(data)
    if message["To"] is not None:
        raise SendError(f"{eml_path} already has a To header; sending sets To per subscriber")
    sender = parseaddr(str(message.get("From", "")))[1]
    if "@" not in sender:
        raise SendError(f"{eml_path} has no From address; set email.from in {niches[slug].path}")
    list_path = subs.subscribers_file(settings, slug)
    if not os.path.exists(list_path):
        raise SendError(f"{list_path}: no subscribers yet; add them with "
                        f"openhand subscribers import FILE --niche {slug}")
    recipients, skipped = subs.receiving(subs.load(list_path))
    return Job(slug, number, eml_path, data, sender, fingerprint(message), recipients, skipped,
               sent_log_path(settings, slug, number))


# --- the send log -------------------------------------------------------------

def read_log(path: str) -> tuple[set[str], str | None]:
    """(addresses already accepted, fingerprint last recorded).

    A record is `time, status, address, detail, "end"` on one line; a line torn by a
    kill mid-write lacks the final field, so it never counts, even once a later run
    has closed it with a newline.
    """
    sent, last_fp = set(), None
    if not os.path.exists(path):
        return sent, None
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    lines = text.split("\n")
    for line in lines[:-1]:  # the part after the last newline is incomplete
        if line.startswith("#"):
            for word in line.split():
                if word.startswith("email="):
                    last_fp = word[len("email="):]
            continue
        parts = line.split("\t")
        if len(parts) == 5 and parts[4] == "end" and parts[1] == "sent":
            sent.add(subs.address_key(parts[2]))
    return sent, last_fp


class SendLog:
    """Append-only, one line per outcome, fsynced per line; holds an exclusive lock while open."""

    def __init__(self, path: str):
        self.path = path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        created = not os.path.exists(path)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if created:
            _fsync_dir(os.path.dirname(path))  # the new file's name survives a power cut too
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise SendError(f"{path} is locked: another send of this issue is running") from None
        size = os.fstat(self.fd).st_size
        if size:
            with open(path, "rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    self._write("\n")  # close a line torn by a kill, so the next one parses

    def _write(self, text: str) -> None:
        os.write(self.fd, text.encode("utf-8"))
        os.fsync(self.fd)

    def note(self, text: str) -> None:
        self._write(f"# {text}\n")

    def record(self, status: str, address: str, detail: str = "") -> None:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._write(f"{stamp}\t{status}\t{address}\t{' '.join(detail.split())}\tend\n")

    def close(self) -> None:
        os.close(self.fd)


# --- SMTP -------------------------------------------------------------------------

class Transient(Exception):
    """Worth another try later: a 4xx reply, a dropped or refused connection."""

    def __init__(self, reason: str, connection: bool = False):
        super().__init__(reason)
        self.connection = connection


class Permanent(Exception):
    """A 5xx for this recipient: record it, tell the user, go on with the others."""


class Fatal(Exception):
    """Nobody can be sent to (login refused, sender refused): stop the run."""


def _reply(code, message) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"


class Mailer:
    """One SMTP connection, opened on first use and after any trouble."""

    def __init__(self, config: SmtpConfig):
        self.config = config
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        try:
            if c.use_ssl:
                conn = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            conn.ehlo()
            if c.starttls:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
        except ssl.SSLCertVerificationError as exc:  # not worth a retry, and the login must not follow
            raise Fatal(f"the TLS certificate of {c.host}:{c.port} could not be verified ({exc.verify_message}); "
                        f"check {ENV}HOST is the name on the relay's certificate, or, if the relay uses a private "
                        f"CA, point SSL_CERT_FILE at that CA's certificate") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise Transient(f"cannot connect to {c.host}:{c.port}: {_describe(exc)}", connection=True) from None
        if c.user:
            try:
                conn.login(c.user, c.password.reveal())
            except smtplib.SMTPAuthenticationError as exc:
                _close(conn)
                raise Fatal(f"the server refused the login as {c.user}: {_reply(exc.smtp_code, exc.smtp_error)}") \
                    from None
            except smtplib.SMTPNotSupportedError:
                _close(conn)
                raise Fatal(f"{c.host}:{c.port} offers no login (AUTH); try {ENV}STARTTLS=1 or {ENV}SSL=1") from None
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                _close(conn)
                raise Transient(f"connection lost while logging in: {type(exc).__name__}", connection=True) from None
            except Exception as exc:  # never let a message or traceback carry the password
                _close(conn)
                raise Fatal(f"login as {c.user} failed ({type(exc).__name__})") from None
        return conn

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        if self.conn is None:
            self.conn = self._connect()
        try:
            options = ["BODY=8BITMIME"] if not data.isascii() and self.conn.has_extn("8bitmime") else []
            refused = self.conn.sendmail(sender, [recipient], data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            code, message = exc.recipients.get(recipient, next(iter(exc.recipients.values()), (550, b"")))
            self._raise_for(code, message)
        except smtplib.SMTPSenderRefused as exc:
            if 400 <= exc.smtp_code < 500:
                self.reset()
                raise Transient(_reply(exc.smtp_code, exc.smtp_error)) from None
            raise Fatal(f"the server refused the sender {sender}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
        except smtplib.SMTPResponseException as exc:  # data refused, 421, ...
            self._raise_for(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.reset()
            raise Transient(f"connection lost: {_describe(exc)}", connection=True) from None
        if refused:
            code, message = refused.get(recipient, (550, b""))
            self._raise_for(code, message)

    def _raise_for(self, code: int, message) -> None:
        if 400 <= code < 500 or code < 400:
            self.reset()
            raise Transient(_reply(code, message), connection=code == 421)
        raise Permanent(_reply(code, message))

    def reset(self) -> None:
        if self.conn is not None:
            _close(self.conn)
        self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            _close(self.conn)
        self.conn = None


def _close(conn) -> None:
    try:
        conn.close()
    except OSError:
        pass


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, socket.timeout):
        return "timed out"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class Result:
    sent: list[str] = field(default_factory=list)
    already: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    stopped: str | None = None


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived; the current message is not retried."""


class StopRequest:
    """Ctrl-C / SIGTERM ask the run to stop after the message in flight is sent and logged,
    so an interrupt never lands between "accepted" and "logged"; a second one stops at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.signum: int | None = None
        self.previous = {}

    def _handle(self, signum, frame):
        if self.signum is not None:
            self.__exit__()
            raise KeyboardInterrupt
        self.signum = signum
        print("stopping after the message in flight (again to stop now)", file=sys.stderr, flush=True)

    def __bool__(self) -> bool:
        return self.signum is not None

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self.previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self.previous.items():
            signal.signal(s, handler)
        self.previous = {}


def deliver(mailer: Mailer, sender: str, recipient: str, data: bytes, retries: int, delay: float,
            sleep=time.sleep, stop=()) -> None:
    """One message, retried with doubling back-off on transient errors; raises Permanent/Fatal/Transient,
    or Interrupted instead of a retry once a stop was asked for."""
    for attempt in range(1, retries + 1):
        try:
            mailer.send(sender, recipient, data)
            return
        except Transient as exc:
            if stop:
                raise Interrupted(str(exc)) from None
            if attempt == retries:
                raise
            wait = delay * 2 ** (attempt - 1)
            logger.warning("%s: %s; trying again in %.1f s (try %s of %s)", recipient, exc, wait, attempt + 1, retries)
            sleep(wait)


# --- the command ------------------------------------------------------------------

class Output:
    """A rich progress bar on a terminal, plain lines otherwise."""

    def __init__(self, total: int, stream=None):
        self.stream = stream or sys.stdout
        self.progress = None
        if total and self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                     TextColumn("{task.description}"), console=Console(file=self.stream))
            self.task = self.progress.add_task("", total=total)
            self.progress.start()
        self.done, self.total = 0, total

    def step(self, address: str, outcome: str) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress.update(self.task, advance=1, description=address)
            if outcome != "sent":
                self.progress.console.print(f"{outcome} {address}")
        else:
            print(f"[{self.done}/{self.total}] {outcome} {address}", file=self.stream, flush=True)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def run(settings, args) -> int:
    try:
        return _run(settings, args)
    except SendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(settings, args) -> int:
    if args.rate is not None and args.rate <= 0:
        raise SendError(f"--rate must be above zero (messages a second), not {args.rate}")
    if args.limit is not None and args.limit < 1:
        raise SendError(f"--limit must be 1 or more, not {args.limit}")
    job = prepare(settings, args.niche, args.issue)
    for row, why in job.skipped:
        logger.warning("%s: skipping %r: %s", subs.subscribers_file(settings, job.slug), row.email, why)
    done, last_fp = read_log(job.log_path)
    todo = [r for r in job.recipients if r.key not in done]
    already = len(job.recipients) - len(todo)
    label = f"issue {job.number} of {job.slug}"

    batch = todo[:args.limit] if args.limit else todo
    if args.dry_run:
        for row in batch:
            print(row.email)
        later = f", {len(todo) - len(batch)} more on later runs (--limit {args.limit})" if len(batch) < len(todo) else ""
        print(f"dry run, nothing sent: {label} would go to {len(batch)} subscribers{later}; "
              f"{already} already sent (in {job.log_path}); {len(job.skipped)} addresses skipped", file=sys.stderr)
        return 0

    config = smtp_config(os.environ, settings["SEND_TIMEOUT"])
    result = Result(already=already, left=[r.email for r in todo[len(batch):]])
    if not batch:
        _summary(label, result, job)
        return 0
    log = SendLog(job.log_path)
    if last_fp is None:
        log.note(f"openhand send niche={job.slug} issue={job.number} email={job.fingerprint} file={job.eml_path}")
    elif last_fp != job.fingerprint:
        logger.warning("%s changed since this issue started going out; the %s subscribers already sent to got the "
                       "earlier version, the rest get this one", job.eml_path, already)
        log.note(f"email rebuilt: email={job.fingerprint}")
    logger.info("sending %s to %s subscribers through %s", label, len(batch), config.describe())
    mailer, output = Mailer(config), Output(len(batch))
    interval = 1.0 / args.rate if args.rate else 0.0
    next_start = 0.0
    stop = StopRequest()
    try:
        stop.__enter__()
        for i, row in enumerate(batch):
            wait = next_start - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            next_start = time.monotonic() + interval
            if stop:
                result.stopped = "interrupted; nothing lost"
                result.left = [r.email for r in batch[i:]] + result.left
                break
            try:
                deliver(mailer, job.sender, row.email, with_to(job.message, row),
                        settings["SEND_RETRIES"], settings["SEND_RETRY_DELAY"], stop=stop)
            except Permanent as exc:
                log.record("failed", row.email, str(exc))
                result.failed.append((row.email, str(exc)))
                output.step(row.email, "failed")
                continue
            except Transient as exc:
                if exc.connection:
                    result.stopped = f"gave up after {settings['SEND_RETRIES']} tries: {exc}"
                    result.left = [r.email for r in batch[i:]] + result.left
                    break
                reason = f"still refused after {settings['SEND_RETRIES']} tries: {exc}"
                log.record("failed", row.email, reason)
                result.failed.append((row.email, reason))
                output.step(row.email, "failed")
                continue
            except Fatal as exc:
                result.stopped = str(exc)
                result.left = [r.email for r in batch[i:]] + result.left
                break
            except Interrupted:
                result.stopped = "interrupted; nothing lost"
                result.left = [r.email for r in batch[i:]] + result.left
                break
            log.record("sent", row.email)
            result.sent.append(row.email)
            output.step(row.email, "sent")
    finally:
        stop.__exit__()
        output.stop()
        mailer.close()
        log.close()
    _summary(label, result, job)
    if stop.signum is not None:
        return 128 + stop.signum
    return 1 if result.failed or result.stopped else 0


def _summary(label: str, result: Result, job: Job) -> None:
    print(f"{label}: {len(result.sent)} sent, {result.already} skipped as already sent, "
          f"{len(result.failed)} failed, {len(result.left)} left (log: {job.log_path})")
    for address, reason in result.failed:
        print(f"  failed {address}: {reason}")
    if result.stopped:
        print(f"stopped: {result.stopped}")
    if result.left:
        print(f"run the same command again to send to the {len(result.left)} left")
    elif result.failed:
        print("a re-run tries the failed addresses again; fix or unsubscribe them first")
