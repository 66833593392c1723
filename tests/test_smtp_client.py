"""The SMTP client's boundaries, against real sockets: where a failure happens decides between
`deferred` (safe to try again) and `unknown` (the relay may have the message)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from curator.delivery.relay import SmtpConfig
from curator.delivery.smtp import ConnectError, Connection, Reply, Result, stuffed, verdict
from support.smtp import RawServer, SmtpServer

MESSAGE = b"From: a@x.example\r\nSubject: hi\r\n\r\n.leading dot\r\nbody\r\n"


def config(port: int, timeout: float = 2.0, deadline: float = 5.0) -> SmtpConfig:
    return SmtpConfig("127.0.0.1", port, None, None, False, False, timeout, deadline)


@pytest.mark.parametrize("stage, code, result", [
    ("mail", 250, None), ("mail", 451, Result.DEFERRED), ("mail", 550, Result.FATAL),
    ("rcpt", 250, None), ("rcpt", 450, Result.DEFERRED), ("rcpt", 550, Result.REFUSED),
    ("data", 354, None), ("data", 451, Result.DEFERRED), ("data", 554, Result.REFUSED), ("data", 250, Result.DEFERRED),
    ("dot", 250, Result.SENT), ("dot", 451, Result.DEFERRED), ("dot", 552, Result.REFUSED),
    ("dot", 354, Result.UNKNOWN),
])
def test_what_each_reply_means_at_each_stage(stage, code, result):
    outcome = verdict(stage, Reply(code, "text"))
    assert (outcome.result if outcome else None) is result


def test_dots_at_line_starts_are_doubled_and_the_message_ends_with_the_terminator():
    assert stuffed(b"a\r\n.b\r\n..c\r\n") == b"a\r\n..b\r\n...c\r\n.\r\n"
    assert stuffed(b".x") == b"..x\r\n.\r\n"


def test_a_real_relay_gets_the_message_whole_and_pipelined():
    with SmtpServer() as server:
        connection = Connection(config(server.port))
        for address in ("a@x.example", "b@x.example"):
            attempt = connection.send("s@x.example", address, MESSAGE, time.monotonic() + 5)
            assert attempt.result is Result.SENT, attempt
        connection.quit()
        assert [m.data for m in server.messages] == [MESSAGE, MESSAGE] and server.handler.pipelined == [True, True]


def _scripted(replies: list[bytes], after_354=None):
    """A relay answering each line it reads with the next reply; after the 354, `after_354(conn)`."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)

    def serve():
        conn, _ = sock.accept()
        with conn:
            conn.sendall(b"220 scripted\r\n")
            pending = list(replies)
            buffer = b""
            while pending:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
                while b"\r\n" in buffer and pending:
                    _, buffer = buffer.split(b"\r\n", 1)
                    reply = pending.pop(0)
                    conn.sendall(reply)
                    if reply.startswith(b"354") and after_354:
                        after_354(conn)
                        return

    threading.Thread(target=serve, daemon=True).start()
    return sock


def test_a_connection_lost_while_the_message_is_written_is_deferred_not_unknown():
    """The relay hangs up after 354 without reading: the final dot never got out, so it is safe to retry."""
    sock = _scripted([b"250 hi\r\n", b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n"],
                     after_354=lambda conn: conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0"))
    with sock:
        connection = Connection(config(sock.getsockname()[1]))
        attempt = connection.send("s@x.example", "a@x.example", MESSAGE + b"x" * 16 * 1024 * 1024,
                                  time.monotonic() + 5)
    assert attempt.result is Result.DEFERRED, attempt
    assert "writing" in attempt.detail


def test_no_reply_after_the_dot_is_unknown():
    sock = _scripted([b"250 hi\r\n", b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n"],
                     after_354=lambda conn: time.sleep(1.0))
    with sock:
        connection = Connection(config(sock.getsockname()[1], timeout=0.3))
        attempt = connection.send("s@x.example", "a@x.example", MESSAGE, time.monotonic() + 5)
    assert attempt.result is Result.UNKNOWN and "may have accepted it" in attempt.detail


def test_a_trickled_greeting_is_cut_off_at_the_deadline():
    with RawServer(b"220 slow greeting that takes far too long\r\n", every=0.1, hang_up=False) as slow:
        connection = Connection(config(slow.port, timeout=1.0, deadline=0.4))
        started = time.monotonic()
        with pytest.raises(ConnectError) as caught:
            connection.send("s@x.example", "a@x.example", MESSAGE, time.monotonic() + 0.4)
        took = time.monotonic() - started
    assert "SEND_DEADLINE" in str(caught.value) and not caught.value.fatal
    assert took < 44 * 0.1 / 2  # the whole greeting would take 4.4 s; each read alone is well within the timeout
