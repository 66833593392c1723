"""support/budget.py: make test tries a quarter of each randomised test's budget, make fuzz all of it."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import support.budget as budget

TESTS = Path(__file__).resolve().parent


def test_make_test_runs_a_quarter_of_each_budget_and_make_fuzz_all_of_it(monkeypatch):
    try:
        monkeypatch.delenv("OPENHAND_FUZZ", raising=False)
        quarter = importlib.reload(budget)
        assert (quarter.examples(1000), quarter.examples(100), quarter.rounds(20), quarter.rounds(8)) == (
            250, 50, 5, 5)
        monkeypatch.setenv("OPENHAND_FUZZ", "1")
        full = importlib.reload(budget)
        assert (full.examples(1000), full.examples(100), full.rounds(20), full.rounds(8)) == (1000, 100, 20, 8)
    finally:
        monkeypatch.undo()
        importlib.reload(budget)  # as the run was started


def _marked_fuzz(node: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Attribute) and d.attr == "fuzz" for d in node.decorator_list)


def test_every_test_on_a_budget_of_rounds_is_marked_for_make_fuzz():
    """make fuzz selects `-m "hypothesis or fuzz"`: a kill loop without the mark would never run its whole budget."""
    unmarked, found = [], 0
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            calls = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            if "rounds" in calls:
                found += 1
                if not _marked_fuzz(node):
                    unmarked.append(f"{path.name}::{node.name}")
    assert found >= 3 and not unmarked, unmarked
