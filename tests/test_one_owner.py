"""One owner per rule: a setting's default lives in settings.DEFAULTS (Pelican's own in Pelican), a
rule that two stages share is one function, so the cleaner and the check can never disagree."""

from __future__ import annotations

import ast
from pathlib import Path

from curator.build.nostrings import scan_text
from curator.curation.clean import clean_text_links
from curator.model.niches import no_such_niche

PLUGIN = Path(__file__).resolve().parent.parent / "plugins" / "curator"


def _setting_get(node: ast.AST) -> str | None:
    """The key of `<...settings or context...>.get("UPPER_KEY", ...)`, else None."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("get", "setdefault")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return None
    key, owner = node.args[0].value, ast.unparse(node.func.value)
    if not (key.isupper() and key[0].isalpha()) or not ("settings" in owner or "context" in owner):
        return None
    return key


def _literal(node: ast.AST) -> bool:
    return isinstance(node, (ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.BinOp)) and not (
        isinstance(node, ast.Constant) and node.value is None)


def fallbacks(source: str) -> list[tuple[int, str]]:
    """(line, setting) of every default written beside a read: settings.get("KEY", 3) and
    settings.get("KEY") or 3, outside settings.py."""
    found = []
    for node in ast.walk(ast.parse(source)):
        key = _setting_get(node)
        if key and len(node.args) > 1 and _literal(node.args[1]):
            found.append((node.lineno, key))
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            for left, right in zip(node.values, node.values[1:], strict=False):
                key = _setting_get(left)
                if key and len(left.args) == 1 and _literal(right):
                    found.append((left.lineno, key))
    return found


def test_the_scanner_finds_a_fallback_written_either_way():
    source = ('a = settings.get("EMAIL_MAX_BYTES", 90 * 1024)\nb = self.settings.get("OUTPUT_PATH") or "output"\n'
              'c = context.setdefault("THEME_STATIC_DIR", "theme")\nd = settings.get("SITE_DOMAIN")\n'
              'e = environ.get("PATH_INFO") or "/"\nf = settings["SEND_TIMEOUT"]\n')
    assert fallbacks(source) == [(1, "EMAIL_MAX_BYTES"), (2, "OUTPUT_PATH"), (3, "THEME_STATIC_DIR")]


def test_no_setting_has_a_default_outside_settings_defaults():
    found = [f"{path.relative_to(PLUGIN)}:{line}: {key}" for path in sorted(PLUGIN.rglob("*.py"))
             if path.name != "settings.py" for line, key in fallbacks(path.read_text(encoding="utf-8"))]
    assert found == [], "defaults belong in settings.DEFAULTS (or Pelican's own): " + ", ".join(found)


def test_a_tracking_link_in_plain_text_is_caught_whatever_the_case_of_its_scheme():
    text = "Read HTTPS://Example.org/guide?utm_source=newsletter&id=3 today."
    assert "utm_source" not in clean_text_links(text)  # curation cleans it...
    assert [(line, rule) for line, rule, _ in scan_text(text, [])] == [
        (1, "tracking-param")
    ]  # ...and the check sees it


def test_every_command_names_an_unknown_niche_the_same_way():
    assert no_such_niche("--niche", "dentl", "content/niches", {"dental": 1, "cafe": 2}) == (
        "--niche dentl: no such niche in content/niches (known: cafe, dental)")
    assert no_such_niche("--forget", "x", "content/niches", {}).endswith("(known: none yet)")
