"""`openhand listen [--host 127.0.0.1] [--port 8080]`: the list endpoint under waitress.

waitress is a production WSGI server (pure Python, threads): LIST_THREADS requests at once, a
request body of at most 64 KB, idle connections closed after 30 s. It writes no access log, so no
reader's IP address lands in a file, and it leaves X-Forwarded-For to the application
(clear_untrusted_proxy_headers=False), which believes it only from LIST_TRUSTED_PROXIES. Put it behind a TLS reverse
proxy (docs/readers.md); the
application itself is endpoint.ListApp, which any other WSGI server can run.
"""

from __future__ import annotations

import logging
import sys

from .endpoint import ListApp

logger = logging.getLogger(__name__)


def run(settings, args) -> int:
    import waitress

    app = ListApp(settings)
    niches = ", ".join(sorted(app.niches)) or "none yet"
    print(f"list endpoint for {app.endpoint} (niches: {niches}; database: {app.db.display}) on "
          f"http://{args.host}:{args.port}; Ctrl-C stops it", file=sys.stderr, flush=True)
    try:
        waitress.serve(app, host=args.host, port=args.port, threads=settings["LIST_THREADS"], ident="openhand",
                       max_request_body_size=64 * 1024, channel_timeout=30, connection_limit=200,
                       asyncore_use_poll=True, clear_untrusted_proxy_headers=False, _quiet=True)
    finally:
        app.db.close()
    return 0
