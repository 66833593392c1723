"""`openhand subscribers import|export|unsubscribe`: a niche's list, kept safe and honest."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from curator import subscribers as subs
from curator.cli import main
from support.project import ROOT, write


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copy2(ROOT / "pelicanconf.py", tmp_path / "pelicanconf.py")
    for slug in ("dental", "restaurants"):
        write(tmp_path / "content" / "niches" / f"{slug}.md", (ROOT / "content" / "niches" / f"{slug}.md").read_text())
    return tmp_path


def run(project, capsys, *args):
    code = main(["--settings", str(project / "pelicanconf.py"), "subscribers", *args])
    out, err = capsys.readouterr()
    return code, out, err


def rows(project, slug="dental"):
    path = project / "subscribers" / f"{slug}.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


MAILCHIMP = """Email Address;First Name;Last Name;MEMBER_RATING;OPTIN_TIME
ana@clinic.example;Ana;Ruiz;2;2025-04-01 10:00:00
not an address;Bad;Row;1;
ben@smiles.example;Ben;;3;2025-05-01 09:00:00
ANA@Clinic.Example;Ana;Again;2;
;Empty;Email;1;
Cara <cara@dentalcare.example>;;;1;
dev@teeth;Dev;;1;
"""


def test_import_maps_another_tools_columns_and_says_which_rows_it_skipped(project, capsys, tmp_path):
    source = write(tmp_path / "export.csv", MAILCHIMP)
    code, out, _ = run(project, capsys, "import", str(source), "--niche", "dental")
    assert code == 0
    assert [(r["email"], r["name"], r["status"]) for r in rows(project)] == [
        ("ana@clinic.example", "Ana Ruiz", "subscribed"),
        ("ben@smiles.example", "Ben", "subscribed"),
        ("cara@dentalcare.example", "Cara", "subscribed"),
    ]
    assert rows(project)[0]["since"] == "2025-04-01"
    assert rows(project)[0]["source"] == "import:export.csv"
    assert "added ana@clinic.example" in out
    assert "skipped line 3: 'not an address' is not an email address" in out
    assert "skipped line 5: 'ANA@Clinic.Example' duplicate of line 2" in out
    assert "skipped line 6: no email address" in out
    assert "skipped line 8: 'dev@teeth' is not an email address" in out
    assert "3 added, 0 unsubscribed, 0 kept unsubscribed, 0 already there, 4 skipped" in out


def test_a_second_import_adds_only_new_addresses_case_insensitively(project, capsys, tmp_path):
    run(project, capsys, "import", str(write(tmp_path / "a.csv", "email,name\nana@clinic.example,Ana\n")),
        "--niche", "dental")
    code, out, _ = run(project, capsys, "import", str(write(tmp_path / "b.csv", "E-mail,Name\nAna@CLINIC.example,A\n"
                                                             "zed@new.example,Zed\n")), "--niche", "dental")
    assert code == 0
    assert [r["email"] for r in rows(project)] == ["ana@clinic.example", "zed@new.example"]
    assert "1 added, 0 unsubscribed, 0 kept unsubscribed, 1 already there, 0 skipped" in out
    before = (project / "subscribers" / "dental.csv").read_bytes()
    _, out, _ = run(project, capsys, "import", str(tmp_path / "b.csv"), "--niche", "dental")
    assert "file unchanged" in out
    assert (project / "subscribers" / "dental.csv").read_bytes() == before


def test_an_import_never_resubscribes_an_unsubscribed_address(project, capsys, tmp_path):
    run(project, capsys, "import", str(write(tmp_path / "a.csv", "email\nana@clinic.example\nben@smiles.example\n")),
        "--niche", "dental")
    code, out, _ = run(project, capsys, "unsubscribe", "ANA@clinic.example", "--niche", "dental")
    assert code == 0 and "unsubscribed ana@clinic.example" in out
    code, out, _ = run(project, capsys, "import", str(tmp_path / "a.csv"), "--niche", "dental")
    assert "kept ana@clinic.example unsubscribed" in out
    assert {r["email"]: r["status"] for r in rows(project)} == {"ana@clinic.example": "unsubscribed",
                                                               "ben@smiles.example": "subscribed"}


def test_an_import_honours_the_other_tools_unsubscribes(project, capsys, tmp_path):
    run(project, capsys, "import", str(write(tmp_path / "a.csv", "email\nben@smiles.example\n")), "--niche", "dental")
    source = write(tmp_path / "b.csv", "Email,Status\nben@smiles.example,unsubscribed\nnew@x.example,cleaned\n"
                                       "odd@x.example,pending\n")
    code, out, _ = run(project, capsys, "import", str(source), "--niche", "dental")
    assert code == 0
    assert {r["email"]: r["status"] for r in rows(project)} == {"ben@smiles.example": "unsubscribed",
                                                               "new@x.example": "unsubscribed"}
    assert "unsubscribed ben@smiles.example (the source list says so)" in out
    assert "skipped line 4: 'odd@x.example' status 'pending' is neither subscribed nor unsubscribed" in out


def test_unsubscribing_an_unknown_address_records_it_so_no_import_adds_it(project, capsys, tmp_path):
    code, out, _ = run(project, capsys, "unsubscribe", "stranger@x.example", "--niche", "dental")
    assert code == 0 and "was not on the list; recorded as unsubscribed" in out
    run(project, capsys, "import", str(write(tmp_path / "a.csv", "email\nstranger@x.example\n")), "--niche", "dental")
    assert [(r["email"], r["status"]) for r in rows(project)] == [("stranger@x.example", "unsubscribed")]
    code, out, _ = run(project, capsys, "unsubscribe", "stranger@x.example", "--niche", "dental")
    assert code == 0 and "was already unsubscribed" in out and "unchanged" in out


def test_export_writes_the_list_as_csv_and_changes_nothing(project, capsys, tmp_path):
    run(project, capsys, "import", str(write(tmp_path / "a.csv", 'email,name\nana@clinic.example,"Ruiz, Ana"\n'
                                                                 "ben@smiles.example,Ben\n")), "--niche", "dental")
    run(project, capsys, "unsubscribe", "ben@smiles.example", "--niche", "dental")
    before = (project / "subscribers" / "dental.csv").read_bytes()
    code, out, err = run(project, capsys, "export", "--niche", "dental")
    assert code == 0
    exported = list(csv.DictReader(io.StringIO(out)))
    assert [(r["email"], r["name"], r["status"]) for r in exported] == [
        ("ana@clinic.example", "Ruiz, Ana", "subscribed"), ("ben@smiles.example", "Ben", "unsubscribed")]
    assert "exported 2 addresses" in err and "1 subscribed" in err
    assert (project / "subscribers" / "dental.csv").read_bytes() == before

    # the export is itself importable into another niche, statuses kept
    code, out, _ = run(project, capsys, "import", str(write(tmp_path / "export.csv", out)), "--niche", "restaurants")
    assert {r["email"]: r["status"] for r in rows(project, "restaurants")} == {
        "ana@clinic.example": "subscribed", "ben@smiles.example": "unsubscribed"}


def test_an_unknown_niche_is_refused_and_creates_no_list(project, capsys, tmp_path):
    code, _, err = run(project, capsys, "import", str(write(tmp_path / "a.csv", "email\na@b.example\n")),
                       "--niche", "dentl")
    assert code == 2 and "no such niche" in err and "dental" in err
    assert not (project / "subscribers").exists()


def test_a_file_without_an_email_column_names_the_file_and_its_columns(project, capsys, tmp_path):
    source = write(tmp_path / "people.csv", "Full Name,Phone\nAna,555\n")
    code, _, err = run(project, capsys, "import", str(source), "--niche", "dental")
    assert code == 2
    assert "people.csv" in err and "Full Name, Phone" in err and "Email Address" in err


def test_a_subscribers_folder_inside_content_is_refused(project, capsys, tmp_path):
    with open(project / "pelicanconf.py", "a", encoding="utf-8") as conf:
        conf.write(f"\nSUBSCRIBERS_PATH = {str(project / 'content' / 'subscribers')!r}\n")
    code, _, err = run(project, capsys, "import", str(write(tmp_path / "a.csv", "email\na@b.example\n")),
                       "--niche", "dental")
    assert code == 2 and "SUBSCRIBERS_PATH" in err and "publish" in err
    assert not (project / "content" / "subscribers").exists()


def test_who_receives_an_issue_is_the_subscribed_valid_addresses_once_each():
    rows = [subs.Subscriber("a@x.example"), subs.Subscriber("A@X.example"), subs.Subscriber("b@x.example",
            status="unsubscribed"), subs.Subscriber("broken"), subs.Subscriber("c@x.example", status="paused")]
    chosen, skipped = subs.receiving(rows)
    assert [r.email for r in chosen] == ["a@x.example"]
    assert [(r.email, why) for r, why in skipped] == [
        ("A@X.example", "listed twice"), ("broken", "is not an email address"),
        ("c@x.example", "status 'paused' is not 'subscribed'")]
