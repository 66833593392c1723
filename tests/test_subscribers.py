"""`openhand subscribers import|export|add|unsubscribe|list|count` and `openhand backup`: a niche's list,
kept in the state database (SQLite, and PostgreSQL where `database_url` runs a test twice)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from curator.delivery import subscribers as subs
from curator.delivery.database import MIGRATIONS, Database, Location
from support.project import ROOT, write
from support.sending import Cli, state


@pytest.fixture
def project(tmp_path, database_url) -> Path:
    shutil.copy2(ROOT / "pelicanconf.py", tmp_path / "pelicanconf.py")
    for slug in ("dental", "restaurants"):
        write(tmp_path / "content" / "niches" / f"{slug}.md", (ROOT / "content" / "niches" / f"{slug}.md").read_text())
    return tmp_path


@pytest.fixture
def sqlite_project(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
    shutil.copy2(ROOT / "pelicanconf.py", tmp_path / "pelicanconf.py")
    write(tmp_path / "content" / "niches" / "dental.md", (ROOT / "content" / "niches" / "dental.md").read_text())
    return tmp_path


@pytest.fixture
def cli(capsys, caplog, monkeypatch):
    return Cli(capsys, caplog, monkeypatch)


def run(cli, project, *args):
    return cli(project, "subscribers", *args)


def rows(project, slug="dental"):
    return [(a, n, s) for a, n, s in state(project, "SELECT address, name, status FROM subscribers WHERE niche = ? "
                                                    "ORDER BY id", (slug,))]


def statuses(project, slug="dental"):
    return {a: s for a, _, s in rows(project, slug)}


MAILCHIMP = """Email Address;First Name;Last Name;MEMBER_RATING;OPTIN_TIME
ana@clinic.example;Ana;Ruiz;2;2025-04-01 10:00:00
not an address;Bad;Row;1;
ben@smiles.example;Ben;;3;2025-05-01 09:00:00
ANA@Clinic.Example;Ana;Again;2;
;Empty;Email;1;
Cara <cara@dentalcare.example>;;;1;
dev@teeth;Dev;;1;
"""


def test_import_maps_another_tools_columns_and_says_which_rows_it_skipped(project, cli, tmp_path):
    source = write(tmp_path / "export.csv", MAILCHIMP)
    proc = run(cli, project, "import", str(source), "--niche", "dental")
    assert proc.returncode == 0
    assert rows(project) == [
        ("ana@clinic.example", "Ana Ruiz", "subscribed"),
        ("ben@smiles.example", "Ben", "subscribed"),
        ("cara@dentalcare.example", "Cara", "subscribed"),
    ]
    assert state(project, "SELECT since, source FROM subscribers WHERE address = 'ana@clinic.example'") == [
        ("2025-04-01", "import:export.csv")]
    out = proc.stdout
    assert "added ana@clinic.example" in out and "(Mailchimp export)" in out
    assert "skipped line 3: 'not an address' is not an email address" in out
    assert "skipped line 5: 'ANA@Clinic.Example' listed twice (as line 2)" in out
    assert "skipped line 6: no email address" in out
    assert "skipped line 8: 'dev@teeth' is not an email address" in out
    assert "3 added, 0 unsubscribed, 0 kept unsubscribed, 0 already there, 4 skipped" in out


def test_mailchimps_unsubscribed_and_cleaned_exports_are_never_imported_as_subscribed(project, cli, tmp_path):
    header = "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,CONFIRM_TIME,LEID,EUID"
    unsub = write(
        tmp_path / "unsubscribed_members_export_abc.csv",
        f"{header},UNSUB_TIME,UNSUB_CAMPAIGN_TITLE\nold@x.example,Old,,2,2024-01-01,,1,a,2025-02-03 10:00,Oct\n",
    )
    cleaned = write(tmp_path / "renamed.csv", f"{header},CLEAN_TIME,CLEAN_CAMPAIGN_TITLE\n"
                                              "gone@x.example,Gone,,1,2024-01-01,,2,b,2025-03-04 10:00,Nov\n")
    subscribed = write(tmp_path / "subscribed_members_export_abc.csv",
                       f"{header}\nnew@x.example,New,,2,2025-01-01,,3,c\nold@x.example,Old,,2,2024-01-01,,1,a\n"
                       "gone@x.example,Gone,,1,2024-01-01,,2,b\n")
    for path in (unsub, cleaned):
        assert run(cli, project, "import", str(path), "--niche", "dental").returncode == 0
    proc = run(cli, project, "import", str(subscribed), "--niche", "dental")
    assert statuses(project) == {"old@x.example": "unsubscribed", "gone@x.example": "bounced",
                                 "new@x.example": "subscribed"}
    assert "kept old@x.example unsubscribed" in proc.stdout and "kept gone@x.example bounced" in proc.stdout
    assert state(project, "SELECT since FROM subscribers WHERE address = 'old@x.example'") == [("2025-02-03",)]


@pytest.mark.parametrize("tool, text, expected", [
    ("Buttondown", "email,subscriber_type,creation_date,notes\na@x.example,regular,2025-01-01,\n"
                   "b@x.example,unactivated,2025-01-02,\nc@x.example,unsubscribed,2025-01-03,\n"
                   "d@x.example,premium,2025-01-04,\ne@x.example,spammy,2025-01-05,\n",
     {"a@x.example": "subscribed", "b@x.example": "unconfirmed", "c@x.example": "unsubscribed",
      "d@x.example": "subscribed", "e@x.example": "unsubscribed"}),
    ("Substack", "email,active_subscription,expiry,plan,email_disabled,created_at,first_payment_at\n"
                 "a@x.example,false,,other,false,2025-01-01T00:00:00.000Z,\n"
                 "b@x.example,true,2026-01-01,yearly,true,2025-01-02T00:00:00.000Z,2025-01-02\n",
     {"a@x.example": "subscribed", "b@x.example": "unsubscribed"}),
    ("Ghost", "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,"
              "labels,tiers\n1,a@x.example,A,,true,false,,2025-01-01T00:00:00.000Z,,,\n"
              "2,b@x.example,B,,false,false,,2025-01-02T00:00:00.000Z,,,\n",
     {"a@x.example": "subscribed", "b@x.example": "unsubscribed"}),
    ("listmonk", "uuid,email,name,attributes,status,created_at,updated_at\n"
                 "u1,a@x.example,A,{},enabled,2025-01-01 00:00:00,2025-01-01\n"
                 "u2,b@x.example,B,{},blocklisted,2025-01-02 00:00:00,2025-01-02\n"
                 "u3,c@x.example,C,{},disabled,2025-01-03 00:00:00,2025-01-03\n",
     {"a@x.example": "subscribed", "b@x.example": "unsubscribed", "c@x.example": "unsubscribed"}),
])
def test_exports_of_other_tools_keep_their_statuses(sqlite_project, cli, tmp_path, tool, text, expected):
    proc = run(cli, sqlite_project, "import", str(write(tmp_path / "export.csv", text)), "--niche", "dental")
    assert proc.returncode == 0 and f"({tool} export)" in proc.stdout, proc.stdout
    assert statuses(sqlite_project) == expected


def test_a_second_import_adds_only_new_addresses_case_insensitively(project, cli, tmp_path):
    run(
        cli,
        project,
        "import",
        str(write(tmp_path / "a.csv", "email,name\nana@clinic.example,Ana\n")),
        "--niche",
        "dental",
    )
    proc = run(cli, project, "import", str(write(tmp_path / "b.csv", "E-mail,Name\nAna@CLINIC.example,A\n"
                                                                    "zed@new.example,Zed\n")), "--niche", "dental")
    assert proc.returncode == 0
    assert [r[0] for r in rows(project)] == ["ana@clinic.example", "zed@new.example"]
    assert "1 added, 0 unsubscribed, 0 kept unsubscribed, 1 already there, 0 skipped" in proc.stdout
    again = run(cli, project, "import", str(tmp_path / "b.csv"), "--niche", "dental")
    assert "nothing changed" in again.stdout and len(rows(project)) == 2


def test_an_import_never_resubscribes_and_an_unsubscribed_variant_always_wins(project, cli, tmp_path):
    run(cli, project, "import", str(write(tmp_path / "a.csv", "email\nana@clinic.example\nben@smiles.example\n")),
        "--niche", "dental")
    proc = run(cli, project, "unsubscribe", "ANA@clinic.example", "--niche", "dental")
    assert proc.returncode == 0 and "unsubscribed ana@clinic.example" in proc.stdout
    proc = run(cli, project, "import", str(tmp_path / "a.csv"), "--niche", "dental")
    assert "kept ana@clinic.example unsubscribed" in proc.stdout
    hand_edited = write(tmp_path / "b.csv", "email,status\ncy@x.example,unsubscribed\nCY@x.example,subscribed\n"
                                            "DI@x.example,subscribed\ndi@x.example,complained\n")
    run(cli, project, "import", str(hand_edited), "--niche", "dental")
    assert statuses(project) == {"ana@clinic.example": "unsubscribed", "ben@smiles.example": "subscribed",
                                 "cy@x.example": "unsubscribed", "di@x.example": "complained"}


def test_an_import_honours_the_other_tools_unsubscribes(project, cli, tmp_path):
    run(cli, project, "import", str(write(tmp_path / "a.csv", "email\nben@smiles.example\n")), "--niche", "dental")
    source = write(tmp_path / "b.csv", "Email,Status\nben@smiles.example,unsubscribed\nnew@x.example,cleaned\n"
                                       "odd@x.example,pending\nweird@x.example,maybe\n")
    proc = run(cli, project, "import", str(source), "--niche", "dental")
    assert proc.returncode == 0
    assert statuses(project) == {"ben@smiles.example": "unsubscribed", "new@x.example": "bounced",
                                 "odd@x.example": "unconfirmed"}
    assert "unsubscribed ben@smiles.example (the source list says so)" in proc.stdout
    assert "skipped line 5: 'weird@x.example' status 'maybe' is not one Openhand knows" in proc.stdout


def test_status_override_and_add_and_list_and_count(project, cli, tmp_path):
    run(cli, project, "import", str(write(tmp_path / "gone.csv", "email\nx@x.example\n")), "--niche", "dental",
        "--status", "bounced")
    assert run(cli, project, "add", "y@x.example", "--niche", "dental", "--name", "Y").returncode == 0
    refused = run(cli, project, "add", "x@x.example", "--niche", "dental")
    assert refused.returncode == 2 and "is bounced" in refused.stderr and "--resubscribe" in refused.stderr
    assert run(cli, project, "add", "x@x.example", "--niche", "dental", "--resubscribe").returncode == 0
    run(cli, project, "add", "z@x.example", "--niche", "dental", "--status", "unconfirmed")
    listed = run(cli, project, "list", "--niche", "dental")
    assert listed.stdout.splitlines() == ["x@x.example\tsubscribed", "y@x.example\tsubscribed\tY",
                                          "z@x.example\tunconfirmed"]
    assert run(cli, project, "list", "--niche", "dental", "--status", "unconfirmed").stdout.split() == [
        "z@x.example", "unconfirmed"]
    count = run(cli, project, "count")
    assert "dental: 2 subscribed, 1 unconfirmed, 0 unsubscribed, 0 bounced, 0 complained" in count.stdout


def test_unsubscribing_an_unknown_address_records_it_so_no_import_adds_it(project, cli, tmp_path):
    proc = run(cli, project, "unsubscribe", "stranger@x.example", "--niche", "dental")
    assert proc.returncode == 0 and "was not on the list; recorded as unsubscribed" in proc.stdout
    run(cli, project, "import", str(write(tmp_path / "a.csv", "email\nstranger@x.example\n")), "--niche", "dental")
    assert statuses(project) == {"stranger@x.example": "unsubscribed"}
    proc = run(cli, project, "unsubscribe", "stranger@x.example", "--niche", "dental")
    assert proc.returncode == 0 and "was already unsubscribed" in proc.stdout and "unchanged" in proc.stdout


def test_export_is_formula_safe_changes_nothing_and_imports_again(project, cli, tmp_path):
    run(cli, project, "import", str(write(tmp_path / "a.csv", 'email,name\nana@clinic.example,"Ruiz, Ana"\n'
                                                              'ben@smiles.example,=HYPERLINK("http://evil")\n'
                                                              "cy@x.example,@SUM(A1)\n")), "--niche", "dental")
    run(cli, project, "unsubscribe", "ben@smiles.example", "--niche", "dental")
    before = rows(project)
    proc = run(cli, project, "export", "--niche", "dental")
    assert proc.returncode == 0
    exported = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [(r["email"], r["name"], r["status"]) for r in exported] == [
        ("ana@clinic.example", "Ruiz, Ana", "subscribed"),
        ("ben@smiles.example", '\'=HYPERLINK("http://evil")', "unsubscribed"),
        ("cy@x.example", "'@SUM(A1)", "subscribed"),
    ]
    for row in exported:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
    assert "exported 3 addresses" in proc.stderr and "2 subscribed" in proc.stderr
    assert rows(project) == before
    # the export is itself importable into another niche, statuses and names kept
    run(cli, project, "import", str(write(tmp_path / "export.csv", proc.stdout)), "--niche", "restaurants")
    assert rows(project, "restaurants") == before


def test_addresses_a_spreadsheet_would_run_as_formulas_are_refused(project, cli, tmp_path):
    source = write(tmp_path / "a.csv", "email\n=1+1@example.com\n+cmd@x.example\n-x@x.example\n@x.example\n"
                                       "ok@x.example\n")
    proc = run(cli, project, "import", str(source), "--niche", "dental")
    assert "skipped line 2: '=1+1@example.com' starts with '='" in proc.stdout and "formula" in proc.stdout
    assert [r[0] for r in rows(project)] == ["ok@x.example"]


def test_an_unknown_niche_is_refused_and_creates_no_list(project, cli, tmp_path):
    proc = run(cli, project, "import", str(write(tmp_path / "a.csv", "email\na@b.example\n")), "--niche", "dentl")
    assert proc.returncode == 2 and "no such niche" in proc.stderr and "dental" in proc.stderr
    assert not (project / "state").exists()


def test_a_file_without_an_email_column_names_the_file_and_its_columns(sqlite_project, cli, tmp_path):
    source = write(tmp_path / "people.csv", "Full Name,Phone\nAna,555\n")
    proc = run(cli, sqlite_project, "import", str(source), "--niche", "dental")
    assert proc.returncode == 2
    assert "people.csv" in proc.stderr and "Full Name, Phone" in proc.stderr and "Email Address" in proc.stderr


def test_a_database_inside_content_is_refused(sqlite_project, cli, tmp_path):
    with open(sqlite_project / "pelicanconf.py", "a", encoding="utf-8") as conf:
        conf.write(f"\nDATABASE = {str(sqlite_project / 'content' / 'state.db')!r}\n")
    proc = run(
        cli, sqlite_project, "import", str(write(tmp_path / "a.csv", "email\na@b.example\n")), "--niche", "dental"
    )
    assert proc.returncode == 2 and "DATABASE" in proc.stderr and "publish" in proc.stderr
    assert not (sqlite_project / "content" / "state.db").exists()


def test_the_database_is_wal_durable_migrated_once_and_backed_up_consistently(sqlite_project, cli, tmp_path):
    run(cli, sqlite_project, "import", str(write(tmp_path / "a.csv", "email\na@x.example\nb@x.example\n")),
        "--niche", "dental")
    path = sqlite_project / "state" / "openhand.db"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version FROM schema_migrations").fetchall() == [(v,) for v, _, _ in MIGRATIONS]

    db = Database(Location("sqlite", str(path), str(path)), 5)
    assert db.connection().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.migrate() == []  # already current
    db.close()
    proc = cli(sqlite_project, "backup", str(tmp_path / "copy.db"))
    assert proc.returncode == 0 and "copy.db" in proc.stdout
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT address FROM subscribers ORDER BY id").fetchall() == [("a@x.example",),
                                                                                          ("b@x.example",)]
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_migrations SET version = 99 WHERE version = (SELECT MAX(version) FROM "
                     "schema_migrations)")
    newer = run(cli, sqlite_project, "count")
    assert newer.returncode == 2 and "schema version 99" in newer.stderr and "upgrade Openhand" in newer.stderr


def test_closing_the_database_closes_every_threads_connection(sqlite_project, cli, tmp_path):
    """The sender's threads each have a connection; close() must close them all at once. One left open until
    garbage collection made a process forked meanwhile (a WSGI server's workers, the kill -9 test) believe it
    held that connection's locks, and the child's commits were lost when the parent's last connection closed."""
    import threading

    from curator.delivery.database import Database, Location

    run(cli, sqlite_project, "import", str(write(tmp_path / "a.csv", "email\na@x.example\n")), "--niche", "dental")
    path = sqlite_project / "state" / "openhand.db"
    db = Database(Location("sqlite", str(path), str(path)), 5)

    def open_files() -> int:
        found = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                found += os.readlink(f"/proc/self/fd/{fd}").startswith(str(path))
            except OSError:
                pass
        return found

    worker = threading.Thread(target=lambda: db.connection().execute("SELECT COUNT(*) FROM subscribers").fetchone())
    worker.start()
    worker.join()
    db.connection().execute("SELECT 1")
    assert open_files() >= 2
    db.close()
    assert open_files() == 0


def test_backup_of_a_postgresql_database_points_to_pg_dump(postgres_server, sqlite_project, cli, tmp_path):
    proc = cli(sqlite_project, "backup", str(tmp_path / "copy.db"),
               env={"OPENHAND_DATABASE_URL": postgres_server.new_database()})
    assert proc.returncode == 2 and "pg_dump" in proc.stderr and not (tmp_path / "copy.db").exists()


def test_the_status_rules():
    assert subs.merge_status(None, "subscribed") == "subscribed"
    for sticky in ("unsubscribed", "bounced", "complained"):
        assert subs.merge_status(sticky, "subscribed") == sticky
        assert subs.merge_status(sticky, "unconfirmed") == sticky
        assert subs.merge_status("subscribed", sticky) == sticky
    assert subs.merge_status("unconfirmed", "subscribed") == "subscribed"
    assert subs.merge_status("subscribed", "unconfirmed") == "subscribed"
