"""The curator's settings: defaults in one place, wrong values refused with the fix."""

import pytest

from curator.settings import DEFAULTS, SettingsError, configure


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
    ],
)
def test_a_wrong_setting_names_the_key_and_an_example(key, value, words):
    with pytest.raises(SettingsError) as info:
        configure({"PATH": "/site/content", key: value})
    assert key in str(info.value) and words in str(info.value)
