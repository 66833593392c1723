"""The build never touches the network: only `openhand curate` fetches."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from support.project import WIDE, copy_project

# Runs Pelican in-process with every way out of the machine refused, then reports what it imported.
NO_NETWORK_BUILD = textwrap.dedent("""
    import socket, sys

    def refuse(*args, **kwargs):
        raise OSError("the build tried to use the network")

    socket.socket.connect = socket.socket.connect_ex = refuse
    socket.create_connection = socket.getaddrinfo = refuse
    from pelican import main
    try:
        main(["content", "-o", "output", "-s", "pelicanconf.py", "--fatal", "errors"])
    except SystemExit as exc:
        if exc.code:
            raise
    fetching = sorted(m for m in sys.modules if m in (
        "curator.curation.fetch", "curator.curation.download", "curator.curation.network", "curator.curation.curate",
        "curator.curation.pipeline", "curator.delivery.send", "curator.delivery.smtp", "curator.delivery.relay",
        "urllib3", "feedparser", "smtplib"))
    print("FETCHING-MODULES:", ",".join(fetching))
""")


def test_the_demo_builds_with_the_network_refused_and_imports_nothing_that_fetches(tmp_path):
    project = copy_project(tmp_path)
    proc = subprocess.run([sys.executable, "-c", NO_NETWORK_BUILD], cwd=project, capture_output=True, text=True,
                          env={**WIDE, "PATH": "/usr/bin:/bin"}, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FETCHING-MODULES: \n" in proc.stdout
    assert (project / "output" / "newsletters" / "dental" / "1" / "index.html").is_file()
    assert (project / "mail" / "dental" / "1.eml").is_file()
