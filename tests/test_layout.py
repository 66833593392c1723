"""The plugin stays readable: modules of at most 400 lines, functions of at most 60 unless a
`# long:` comment in their first lines says why, and plugins/curator/README.md names every module
(and nothing that is gone), so a newcomer's map of the code is the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PLUGIN = Path(__file__).resolve().parent.parent / "plugins" / "curator"
MODULE_LINES, FUNCTION_LINES = 400, 60
LISTED = re.compile(r"^- `([\w/]+\.py)`:", re.M)


def modules() -> list[Path]:
    return sorted(PLUGIN.rglob("*.py"))


def long_functions(source: str) -> list[tuple[str, int, int]]:
    """(name, first line, length) of every function over FUNCTION_LINES without a `# long:` reason
    in its first three lines."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            head = lines[node.lineno - 1:node.lineno + 2]
            if length > FUNCTION_LINES and not any("# long:" in line for line in head):
                found.append((node.name, node.lineno, length))
    return found


def test_the_length_check_finds_a_long_function_and_accepts_a_reason():
    body = "".join(f"    x{i} = {i}\n" for i in range(FUNCTION_LINES))
    assert long_functions(f"def short():\n    return 1\n\ndef too_long():\n{body}") == [("too_long", 4, 61)]
    assert long_functions(f"def explained():  # long: one table of options\n{body}") == []


def test_no_module_is_over_400_lines():
    sizes = {str(p.relative_to(PLUGIN)): len(p.read_text(encoding="utf-8").splitlines()) for p in modules()}
    assert {name: n for name, n in sizes.items() if n > MODULE_LINES} == {}


def test_no_function_is_over_60_lines_unless_a_comment_says_why():
    found = [f"{p.relative_to(PLUGIN)}:{line} {name} ({length} lines)" for p in modules()
             for name, line, length in long_functions(p.read_text(encoding="utf-8"))]
    assert found == []


def test_the_readme_names_every_module_and_nothing_else():
    listed = LISTED.findall((PLUGIN / "README.md").read_text(encoding="utf-8"))
    actual = {str(p.relative_to(PLUGIN)) for p in modules()
              if not (p.name == "__init__.py" and p.parent != PLUGIN)}  # a stage's __init__ is only its docstring
    assert len(listed) == len(set(listed)), "a module is listed twice"
    assert sorted(set(listed) - actual) == [], "listed in plugins/curator/README.md but gone"
    assert sorted(actual - set(listed)) == [], "missing from plugins/curator/README.md"


def test_a_stage_package_imports_nothing_of_its_own():
    for init in PLUGIN.glob("*/__init__.py"):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert all(isinstance(node, ast.Expr) for node in tree.body), f"{init} should hold only its docstring"
