"""A local SMTP relay for the bench (aiosmtpd, in its own process): a relay `--latency` seconds away.

Every reply reaches the client `latency` after the command it answers was sent, as over a
network with that round trip: a command waits `latency` before its reply unless more
commands already wait behind it (PIPELINING, which it offers: a pipelined MAIL, RCPT, DATA
group costs one round trip, as it would on a network; one command at a time costs one
each). The reply to the final dot waits `latency` too. It keeps no message, only counts:
on SIGTERM it prints {"messages", "recipients", "duplicates"} as one JSON line.

    python bench/smtprelay.py --latency 0.025     # prints "PORT n", then serves until SIGTERM
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import json
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Counter:
    def __init__(self, latency: float):
        self.latency = latency
        self.copies: collections.Counter = collections.Counter()
        self.messages = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.latency:
            await asyncio.sleep(self.latency)
        self.messages += 1
        for address in envelope.rcpt_tos:
            self.copies[address.lower()] += 1
        return "250 2.0.0 Accepted"


class DelayedSMTP(SMTP):
    """Each command's reply waits one round trip, unless the client has already sent the next command."""

    async def _round_trip(self) -> None:
        latency = self.event_handler.latency
        if latency and b"\n" not in bytes(getattr(self._reader, "_buffer", b"")):
            await asyncio.sleep(latency)


def _delayed(name: str):
    command = getattr(SMTP, name)

    @functools.wraps(command)
    async def delayed(self, arg):
        await self._round_trip()
        return await command(self, arg)

    return delayed


for _name in ("smtp_EHLO", "smtp_MAIL", "smtp_RCPT", "smtp_DATA"):
    setattr(DelayedSMTP, _name, _delayed(_name))


class RelayController(Controller):
    def factory(self):
        return DelayedSMTP(self.handler, **self.SMTP_kwargs)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    handler = Counter(args.latency)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = RelayController(handler, hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    print(f"PORT {port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    while not done.wait(0.5):
        pass
    controller.stop()
    copies = handler.copies
    print(json.dumps({"messages": handler.messages, "recipients": len(copies),
                      "duplicates": sum(n - 1 for n in copies.values() if n > 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
