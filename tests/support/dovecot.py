"""A real IMAP server on 127.0.0.1 for the tests: Debian's Dovecot with a throwaway configuration.

One mailbox user (passwd-file auth), a maildir in a temporary folder, random ports: plain IMAP
(which offers STARTTLS) and IMAPS, with a self-signed certificate (support/smtp.make_certificate;
SSL_CERT_FILE=cert makes a client trust it). It runs in the foreground (`dovecot -F`) as a child
of the test session and is stopped at the end. As root the mail is owned by `nobody` and the login
processes run as Dovecot's own `dovenull`; as another user, everything runs as that user.
"""

from __future__ import annotations

import getpass
import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time

from .smtp import free_port, make_certificate

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None)

CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = openhand-test-{port}
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
{users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


class Dovecot:
    user = "lists"
    password = "imap-Pw7!not-for-logs"

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="openhand-dovecot-")
        os.chmod(self.root, 0o755)  # the mail and login processes run as other users
        self.port, self.ssl_port = free_port(), free_port()
        self.cert, self.key = make_certificate(self.root)
        os.chmod(self.key, 0o600)
        for folder in ("run", "state", "mail"):
            os.mkdir(os.path.join(self.root, folder))
        if os.geteuid() == 0:
            uid, gid, users = "nobody", "nogroup", ""
            shutil.chown(os.path.join(self.root, "mail"), "nobody", "nogroup")
        else:
            me = getpass.getuser()
            uid, gid = os.getuid(), os.getgid()
            users = f"default_internal_user = {me}\ndefault_login_user = {me}\ndefault_internal_group = {gid}"
        with open(os.path.join(self.root, "passwd"), "w", encoding="ascii") as handle:
            handle.write(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        self.config = os.path.join(self.root, "dovecot.conf")
        with open(self.config, "w", encoding="ascii") as handle:
            handle.write(CONFIG.format(root=self.root, port=self.port, ssl_port=self.ssl_port, cert=self.cert,
                                       key=self.key, uid=uid, gid=gid, users=users))
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Dovecot:
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.config], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot stopped ({self.proc.returncode}): {self.proc.stdout.read().decode()}"
                                   f"{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"dovecot did not answer on port {self.port} in {timeout} s: {self.log()}")

    def log(self) -> str:
        try:
            with open(os.path.join(self.root, "dovecot.log"), encoding="utf-8", errors="replace") as handle:
                return handle.read()[-3000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def env(self, mode: str = "plain", folder: str = "INBOX") -> dict[str, str]:
        port = {"plain": self.port, "starttls": self.port, "ssl": self.ssl_port}[mode]
        return {"OPENHAND_IMAP_HOST": "127.0.0.1", "OPENHAND_IMAP_PORT": str(port),
                "OPENHAND_IMAP_USER": self.user, "OPENHAND_IMAP_PASSWORD": self.password,
                "OPENHAND_IMAP_FOLDER": folder, "OPENHAND_IMAP_SSL": "1" if mode == "ssl" else "0",
                "OPENHAND_IMAP_STARTTLS": "1" if mode == "starttls" else "0", "SSL_CERT_FILE": self.cert}

    def session(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def append(self, folder: str, *messages: bytes) -> None:
        with self.session() as imap:
            imap.create(f'"{folder}"')
            for raw in messages:
                typ, data = imap.append(f'"{folder}"', None, None, raw)
                assert typ == "OK", data

    def contents(self, folder: str) -> list[tuple[bytes, bytes]]:
        """(flags, raw message) of every message in a folder ([] when it does not exist)."""
        with self.session() as imap:
            typ, _ = imap.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            _, data = imap.uid("SEARCH", None, "ALL")
            out = []
            for uid in (data[0] or b"").split():
                _, fetched = imap.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
                out.append((fetched[0][0], fetched[0][1]))
            return out

    def empty(self, *folders: str) -> None:
        """Delete every message in these folders (each test starts from an empty mailbox)."""
        with self.session() as imap:
            for folder in folders:
                typ, data = imap.select(f'"{folder}"')
                if typ == "OK" and int(data[0] or 0):
                    imap.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                    imap.expunge()
