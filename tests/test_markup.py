"""markup.py's shortcut for fields with no Markdown syntax: it must render exactly as the converter does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from curator.model import markup
from support.budget import examples

ROOT = Path(__file__).resolve().parents[1]


def _demo_markdown() -> dict:
    spec = importlib.util.spec_from_file_location("demo_conf", ROOT / "pelicanconf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MARKDOWN


CONFIGS = {
    "demo": {"MARKDOWN": _demo_markdown()},
    "pelican-default": {"MARKDOWN": {"extension_configs": {"markdown.extensions.codehilite": {"css_class": "highlight"},
                                                           "markdown.extensions.extra": {},
                                                           "markdown.extensions.meta": {}},
                                     "output_format": "html5"}},
}
ALPHABET = "abcXYZéü中 0123456789 ,.;:!?()%/+=@$€£-" + "'\"*_`[]<>&#\\|~{}\n\t^"


@settings(max_examples=examples(500), deadline=None)
@given(st.text(ALPHABET, min_size=1, max_size=40), st.sampled_from(sorted(CONFIGS)))
@example("Why it helps: it is short.", "demo")
@example("1990s tax rules (and 2 more), 50% off? No: 5/7 = 0.71!", "demo")
@example("1. First", "demo")
@example("- a list", "demo")
@example("Wait... really -- yes", "demo")
def test_a_field_without_markdown_syntax_renders_as_the_converter_renders_it(text, config):
    render = markup.renderer(CONFIGS[config])
    converted = markup._render(repr(CONFIGS[config]["MARKDOWN"]), text)  # the converter, never the shortcut
    assert render(text) == converted, text


def test_most_plain_notes_take_the_shortcut():
    assert markup.is_plain("Why guide 11 helps: it is short, and free (PDF, 2 pages).")
    for text in ("it's short", "**bold**", "1. one", "a -- b", "see [x](y)", "<b>x</b>", "two\nlines"):
        assert not markup.is_plain(text), text
