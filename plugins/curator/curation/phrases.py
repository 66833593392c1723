"""HARD_SELL_PHRASES read as regexes: one reading for the no-strings check and the curator's junk signals.

A phrase matches case-insensitively, with any spacing between its words, ' or ’ alike, and "{n}"
standing for a number ("save {n}%" matches "Save 40%"). A module of its own so that the curator's
worker processes read it without importing the no-strings check (and Markdown with it).
"""

from __future__ import annotations

import re


def phrase_regex(phrase) -> str:
    """One phrase as regex source (case-insensitive use), whole words only."""
    parts = [re.escape(word).replace("'", "['’]") for word in str(phrase).split()]
    return r"(?<!\w)" + r"\s+".join(parts).replace(r"\{n\}", r"\d+") + r"(?!\w)"


def phrase_patterns(phrases) -> list[tuple[str, re.Pattern]]:
    """HARD_SELL_PHRASES as (phrase, regex) pairs."""
    return [(str(phrase), re.compile(phrase_regex(phrase), re.I)) for phrase in phrases]
