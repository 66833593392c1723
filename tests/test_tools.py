"""How the tests find their outside tools, and what a missing one does: skip here, fail in CI."""

from __future__ import annotations

import textwrap

import pytest

from support import tools
from support.project import ROOT


def executable(path):
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_chromium_is_found_by_playwrights_variable_first(tmp_path, monkeypatch):
    chosen = executable(tmp_path / "my-chrome")
    monkeypatch.setenv("PLAYWRIGHT_CHROMIUM_EXECUTABLE", str(chosen))
    assert tools.find_chromium() == str(chosen)
    monkeypatch.setenv("PLAYWRIGHT_CHROMIUM_EXECUTABLE", str(tmp_path / "not-there"))
    assert tools.find_chromium() is None  # a wrong setting is not silently replaced


@pytest.mark.parametrize("name", ["chromium-headless-shell", "chromium", "chromium-browser"])
def test_chromium_is_found_on_the_path_under_any_of_its_names(tmp_path, monkeypatch, name):
    executable(tmp_path / name)
    monkeypatch.delenv("PLAYWRIGHT_CHROMIUM_EXECUTABLE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert tools.find_chromium() == str(tmp_path / name)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert tools.find_chromium() is None


def test_the_headless_shell_is_chosen_over_the_whole_browser(tmp_path, monkeypatch):
    for name in ("chromium", "chromium-browser", "chromium-headless-shell"):
        executable(tmp_path / name)
    monkeypatch.delenv("PLAYWRIGHT_CHROMIUM_EXECUTABLE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert tools.find_chromium() == str(tmp_path / "chromium-headless-shell")


@pytest.mark.parametrize("ci, outcome", [("", {"skipped": 1}), ("true", {"errors": 1})])  # an error fails the run
def test_a_missing_tool_skips_on_a_workstation_and_fails_in_ci(pytester, monkeypatch, ci, outcome):
    pytester.makeconftest(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "tests")!r})
        from support.tools import check_needs

        def pytest_configure(config):
            config.addinivalue_line("markers", "needs: an outside tool")

        def pytest_runtest_setup(item):
            check_needs(item)
    """))
    pytester.makepyfile(textwrap.dedent("""
        from support.tools import needs

        @needs("frobnicator", None, "apt-get install frobnicator")
        def test_uses_it():
            pass
    """))
    monkeypatch.setenv("CI", ci)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(**outcome)
    result.stdout.fnmatch_lines(["*frobnicator*apt-get install frobnicator*"])


@pytest.mark.parametrize("ci, outcome", [("", {"skipped": 1}), ("true", {"errors": 1})])
def test_a_server_fixture_without_its_server_skips_on_a_workstation_and_fails_in_ci(pytester, monkeypatch, ci, outcome):
    """As the PostgreSQL fixture does when Debian's postgresql is not installed."""
    pytester.makeconftest(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "tests")!r})
        import pytest
        from support.tools import missing

        @pytest.fixture
        def server():
            missing("frobnicatord", "apt-get install frobnicatord")
    """))
    pytester.makepyfile("def test_uses_it(server):\n    pass\n")
    monkeypatch.setenv("CI", ci)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(**outcome)
    result.stdout.fnmatch_lines(["*frobnicatord*apt-get install frobnicatord*"])
