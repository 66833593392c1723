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
"""
