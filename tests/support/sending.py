"""A real site with one niche to send, and helpers to run `openhand` in-process and read the state database."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .project import ROOT, build, copy_project, write

PASSWORD = "pw-Zq8!hunter2-very-secret"
SUBSCRIBED = ["ana@clinic.example", "Ben.Lee@Smiles.example", "cara@dentalcare.example",
              "dev@teeth.example", "eve@practice.example"]
ISSUE = """---
niche: dental
number: {number}
date: {date}
status: {status}
subject: "Issue {number}: calmer month-ends, café owners' tips"
preheader: Collections, hygienists and a tax change
intro: Short, useful, no strings.
links:
  - url: https://example.org/collections
    title: Tighten insurance collections
    note: A checklist your front desk can use on Monday.
  - url: https://example.org/hygienists
    title: Keeping good hygienists
    note: What the practices that keep staff do differently.
---
Hello from Dana. This month is about cash.
"""
SUBSCRIBERS = """email,name,status,since,source
ana@clinic.example,Ana Ruiz,subscribed,2026-01-02,import:old.csv
Ben.Lee@Smiles.example,Ben Lee,subscribed,2026-01-02,import:old.csv
gone@clinic.example,Gone Person,unsubscribed,2026-03-01,unsubscribe
cara@dentalcare.example,"Cara O'Neil, DDS",subscribed,2026-01-02,import:old.csv
not-an-address,Broken Row,subscribed,2026-01-02,hand edit
dev@teeth.example,Dev,subscribed,2026-01-02,import:old.csv
BEN.LEE@smiles.example,Ben twice,subscribed,2026-01-02,hand edit
eve@practice.example,Ève Müller,subscribed,2026-01-02,import:old.csv
"""
SETTINGS = "\nSEND_RETRY_DELAY = 0.01\nSEND_TIMEOUT = 10\nSEND_DEADLINE = 20\n"


def make_site(dest: Path, extra_settings: str = "") -> Path:
    """The dental niche, issue 1 published and issue 2 a draft, built with pelican."""
    project = copy_project(dest, content=False)
    write(project / "content" / "niches" / "dental.md", (ROOT / "content" / "niches" / "dental.md").read_text())
    write(project / "content" / "newsletters" / "dental" / "2026-11-02.md",
          ISSUE.format(number=1, date="2026-11-02", status="published"))
    write(project / "content" / "newsletters" / "dental" / "2026-12-07.md",
          ISSUE.format(number=2, date="2026-12-07", status="draft"))
    with open(project / "pelicanconf.py", "a", encoding="utf-8") as conf:
        conf.write(SETTINGS + extra_settings)
    build(project)
    assert (project / "mail" / "dental" / "1.eml").is_file()
    return project


def copy_site(built: Path, dest: Path, subscribers: str | None = SUBSCRIBERS) -> Path:
    shutil.copytree(built, dest, symlinks=True)
    if subscribers is not None:
        write(dest / "subscribers" / "dental.csv", subscribers)
    return dest


def add_settings(project: Path, text: str) -> None:
    with open(project / "pelicanconf.py", "a", encoding="utf-8") as conf:
        conf.write("\n" + text + "\n")


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


class Cli:
    """`openhand ...` in this process (no interpreter start-up): stdout, stderr and log records captured."""

    def __init__(self, capsys, caplog, monkeypatch):
        self.capsys, self.caplog, self.monkeypatch = capsys, caplog, monkeypatch
        caplog.set_level(logging.INFO, logger="curator")

    def __call__(self, project: Path, *args: str, env: dict[str, str] | None = None) -> Ran:
        from pelican.log import LimitFilter

        from curator.cli import main

        LimitFilter._raised_messages.clear()  # Pelican drops a warning it has logged before, in this process
        LimitFilter._group_count.clear()
        for key, value in (env or {}).items():
            self.monkeypatch.setenv(key, value)
        self.capsys.readouterr()
        self.caplog.clear()
        try:
            code = main(["--settings", str(project / "pelicanconf.py"), *args])
        finally:
            for key in env or {}:
                self.monkeypatch.delenv(key, raising=False)
        out, err = self.capsys.readouterr()
        return Ran(code, out, err + "".join(f"{r.levelname}: {r.getMessage()}\n" for r in self.caplog.records
                                            if r.name.startswith("curator")))

    def send(self, project: Path, smtp, *args: str, issue: str = "1", env: dict[str, str] | None = None) -> Ran:
        return self(project, "send", "--niche", "dental", "--issue", issue, *args, env={**smtp.env(), **(env or {})})


def state(project: Path, sql: str, params=()) -> list[tuple]:
    """Run one statement on the project's state database (the one OPENHAND_DATABASE_URL names, else the
    SQLite file); its rows, if it returns any."""
    from curator.delivery.database import Database, locate
    from curator.model import settings as curator_settings

    settings = curator_settings.load(str(project / "pelicanconf.py"), pelican=False)
    db = Database(locate(settings, os.environ), 10)
    try:
        with db.transaction() as tx:
            cursor = tx.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    finally:
        db.close()


def delivery_states(project: Path, issue: int = 1) -> dict[str, str]:
    """address (lower case) -> delivery state."""
    return {a.lower(): s for a, s in state(project, "SELECT address, state FROM deliveries WHERE niche = 'dental' "
                                                     "AND issue = ?", (issue,))}
