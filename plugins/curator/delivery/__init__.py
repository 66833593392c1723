"""The delivery stage: subscribers and deliveries in a real database, and the sender.

    database.py     the one owner of the schema: connections (SQLite or PostgreSQL), migrations
    subscribers.py  a niche's list: statuses, imports that never re-subscribe, export, the commands
    importers.py    other tools' CSV exports (Mailchimp, Buttondown, Substack, Ghost, listmonk)
    legacy.py       subscribers/*.csv and mail/sent/*.log, imported once on first use
    deliveries.py   one row per (issue, address): the state machine and its SQL
    message.py      the built email: loading, the no-strings check on its bytes, personalise()
    fingerprint.py  what each email was built from (the build records it, `send` compares)
    relay.py        the relay's settings (OPENHAND_SMTP_*), and the rule that a password needs TLS
    smtp.py         one SMTP connection: deadline, PIPELINING, where a failure happened
    sender.py       several connections, a shared rate, back-off, a circuit breaker, group commit
    send.py         `openhand send`
    backup.py       `openhand backup`

Readers by themselves (issue 15):

    tokens.py       signed tokens for the list's links (HMAC-SHA256 with OPENHAND_LIST_SECRET)
    readers.py      what readers and their mail servers do to the list: ask, confirm, leave, bounce, complain
    ratelimit.py    who the client is, and the limits per client (memory) and per address (database)
    pages.py        the endpoint's pages in the site's look (theme/templates/list/), its security headers
    confirmation.py the double opt-in email, and its sending through the relay
    endpoint.py     the list endpoint, a WSGI application (subscribe, confirm, one-click unsubscribe)
    listen.py       `openhand listen` (waitress)
    reports.py      what a message in the list's mailbox asks for (RFC 3464 DSN, RFC 5965 ARF, mailto:)
    imap.py         the mailbox's settings (OPENHAND_IMAP_*) and one IMAP session
    inbox.py        `openhand inbox`: each message read, handled once, moved
"""
