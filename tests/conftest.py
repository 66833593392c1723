"""Shared fixtures: the demo site built once per session, locally and for publishing."""

from __future__ import annotations

import pytest

from support.project import build, copy_project
from support.tools import check_needs


def pytest_runtest_setup(item):
    """A missing outside tool skips its tests, or fails them under CI=true (support/tools.py)."""
    check_needs(item)


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory):
    """The bundled demo, copied and built with pelicanconf.py (relative URLs)."""
    project = copy_project(tmp_path_factory.mktemp("demo"))
    build(project)
    return project


@pytest.fixture(scope="session")
def published_project(tmp_path_factory):
    """The bundled demo built with publishconf.py (absolute URLs, feeds)."""
    project = copy_project(tmp_path_factory.mktemp("published"))
    build(project, "publishconf.py")
    return project


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test."""
    from support.browser import chromium

    with chromium() as browser:
        yield browser
