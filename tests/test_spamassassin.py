"""Every email the demo builds, scored by SpamAssassin's own rules (Debian's package, local tests only:
no network, no DNS blocklists), as a subscriber's mail server would score it once sending adds To."""

from __future__ import annotations

import re
import shutil
import subprocess
from email import policy
from email.parser import BytesHeaderParser

from support.tools import SPAMASSASSIN

pytestmark = SPAMASSASSIN

MAX_SCORE = 0.5


SENDER = b"From reader@example.org "  # each message's mbox separator line starts so, in and out
SEPARATOR = SENDER + b"Thu Jan  1 00:00:00 2026\n"


def scores(emls: list[bytes]) -> list[tuple[float, list[str]]]:
    """SpamAssassin's score and the rules that fired for each message, from the X-Spam-Status header it
    adds: one run over an mbox of them all (its rules load once), each message with To added and
    numbered (the mbox may come back in another order), spam marked in place (report_safe 0)."""
    box = b"".join(SEPARATOR + f"To: reader@example.org\r\nX-Test-Number: {n}\r\n".encode()
                   + re.sub(rb"(?m)^(>*From )", rb">\1", eml) + b"\n" for n, eml in enumerate(emls))
    proc = subprocess.run([shutil.which("spamassassin"), "-t", "-L", "-p", "/dev/null", "--mbox",
                           "--cf=bayes_auto_learn 0", "--cf=report_safe 0"],
                          input=box, capture_output=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr.decode(errors="replace")  # -t exits 1 for spam
    found = {}
    for message in re.split(rb"(?m)^" + re.escape(SENDER) + rb".*\n", proc.stdout)[1:]:
        head = BytesHeaderParser(policy=policy.default).parsebytes(message)
        status = re.match(r"\w+, score=(-?[\d.]+) required=[\d.]+ tests=(.*?) autolearn=", str(head["X-Spam-Status"]))
        assert status, head["X-Spam-Status"]
        found[int(head["X-Test-Number"])] = (float(status.group(1)), re.split(r",\s*", status.group(2)))
    assert sorted(found) == list(range(len(emls))), proc.stdout[:3000]
    return [found[n] for n in range(len(emls))]


def test_spamassassin_scores_a_spammy_message_above_the_limit():
    """The harness itself: invisible text and an all-caps sales pitch must score, or the limit proves nothing."""
    spam = (b"From: deals@example.com\r\nSubject: ACT NOW!!! FREE MONEY\r\nMessage-ID: <1@example.com>\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            b'<html><body><div style="color:transparent;font-size:1px">hidden words</div>'
            b"<p>BUY NOW!!! 100% FREE, RISK FREE, CLICK HERE, LIMITED TIME OFFER!!!</p></body></html>\r\n")
    [(value, rules)] = scores([spam])
    assert value > MAX_SCORE, rules


def test_every_demo_email_scores_at_most_half_a_point(demo_project):
    emails = sorted((demo_project / "mail").glob("*/*.eml"))
    assert len(emails) >= 3
    scored = dict(zip((str(p.relative_to(demo_project / "mail")) for p in emails),
                      scores([p.read_bytes() for p in emails]), strict=True))
    too_high = {name: s for name, s in scored.items() if s[0] > MAX_SCORE}
    assert not too_high, too_high
