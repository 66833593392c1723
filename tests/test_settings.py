"""The curator's settings: defaults in one place, wrong values refused with the fix."""

import os
import sys

import pytest

from curator.model.settings import DEFAULTS, SettingsError, cache_dir, configure, load
from support.project import copy_project, write


def test_defaults_fill_in_what_the_user_left_out():
    settings = configure({"PATH": "/site/content", "ISSUE_URL": "n/{niche}/{number}/"})
    assert settings["ISSUE_URL"] == "n/{niche}/{number}/"
    assert settings["ISSUE_SAVE_AS"] == DEFAULTS["ISSUE_SAVE_AS"]
    assert settings["HARD_SELL_PHRASES"] is not DEFAULTS["HARD_SELL_PHRASES"]  # no shared mutable default


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("CURATE_MAX_BYTES", "5MB", "whole number"),
        ("CURATE_READ_TIMEOUT", 0, "above zero"),
        ("CURATE_WORKERS", True, "a number"),
        ("NO_STRINGS_STRICT", "yes", "True or False"),
        ("ISSUE_SAVE_AS", "newsletters/{niche}/index.html", "must contain {number}"),
        ("NICHE_FEED_ATOM", 3, "string or None"),
        ("CURATE_FEED_MEMORY_MB", 8, "at least 16"),
        ("CURATE_FEED_CPU_SECONDS", 0, "above zero"),
        ("CURATE_CONNECTIONS_PER_HOST", 2.5, "whole number"),
    ],
)
def test_a_wrong_setting_names_the_key_and_an_example(key, value, words):
    with pytest.raises(SettingsError) as info:
        configure({"PATH": "/site/content", key: value})
    assert key in str(info.value) and words in str(info.value)


# `openhand curate` reads the settings file without importing Pelican: it must read what Pelican reads.
MINIMAL = 'PATH = "content"\nSITEURL = "https://example.org/"\nCACHE_PATH = "../elsewhere/cache"\nCURATE_WORKERS = 8\n'


@pytest.mark.parametrize("conf", ["pelicanconf.py", "publishconf.py", "minimal.py", "site/deeper.py"])
def test_curation_reads_the_settings_file_as_pelican_does(conf, tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project", content=False)
    write(project / "minimal.py", MINIMAL)
    write(project / "site" / "deeper.py", MINIMAL.replace('"content"', '"../content"'))
    monkeypatch.chdir(project)  # publishconf imports pelicanconf from the current folder, as `make publish` runs it
    monkeypatch.syspath_prepend(str(project))
    for name in ("pelicanconf", "publishconf", "minimal", "deeper"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    light = load(conf, pelican=False)
    full = load(conf, pelican=True)
    differing = {key: (light[key], full[key]) for key in light if light[key] != full.get(key, object())}
    assert not differing
    # and the folders curation uses are where Pelican's settings put them
    assert light["PATH"] == str(project / "content")
    assert cache_dir(light) == cache_dir(full) and os.path.isabs(cache_dir(light))
    assert light["CURATE_WORKERS"] == (8 if "minimal" in conf or "deeper" in conf else DEFAULTS["CURATE_WORKERS"])


def test_curation_names_the_settings_file_when_path_is_not_a_folder(tmp_path):
    conf = write(tmp_path / "conf.py", 'PATH = "nowhere"\n')
    with pytest.raises(SettingsError) as info:
        load(str(conf), pelican=False)
    assert "conf.py" in str(info.value) and "PATH" in str(info.value) and "nowhere" in str(info.value)
