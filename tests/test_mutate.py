"""`make mutate`'s runner (tools/mutate.py) on a tiny package whose mutants are known by hand.

The full run is too slow for `make test`; this checks that the runner makes the mutants it says, that a
test which notices a change kills it, that one which does not lets it survive, that a mutant which never
ends is stopped by the timeout, that `from .core import clamp` elsewhere in the package sees the mutant,
and that listed equivalent mutants are counted apart.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import mutate  # noqa: E402

CORE = '''
"""A tiny module."""
import time


def clamp(x, lo, hi):
    """Keep x within [lo, hi]."""
    if x < lo:
        return lo
    return min(x, hi)


def nap():
    time.sleep(0 * 3600)
    return 1
'''
USE = "from .core import clamp\n\n\ndef percent(x):\n    return clamp(x, 0, 100)\n"
STRONG = "from tinypkg.core import nap\nfrom tinypkg.use import percent\n\n\ndef test_it():\n" \
         "    assert (percent(-1), percent(5), percent(101), nap()) == (0, 5, 100, 1)\n"
WEAK = "from tinypkg.use import percent\n\n\ndef test_it():\n    assert percent(5) == 5\n"


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    package = tmp_path / "tinypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "core.py").write_text(CORE)
    (package / "use.py").write_text(USE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [n for n in sys.modules if n.split(".")[0] in ("tinypkg", "test_strong", "test_weak")]:
        del sys.modules[name]


def test_the_runner_makes_one_mutant_per_change_and_none_in_docstrings():
    kinds = [(m.where, m.kind) for m in mutate.mutants(CORE)]
    assert kinds == [
        ("clamp", "condition -> False"), ("clamp", "condition -> True"), ("clamp", "< -> <="),
        ("clamp", "return x -> return None"), ("clamp", "return x -> return None"),
        ("nap", "statement removed"), ("nap", "* -> /"), ("nap", "0 -> 1"), ("nap", "3600 -> 3601"),
        ("nap", "return x -> return None"), ("nap", "1 -> 2"),
    ]
    for m in mutate.mutants(CORE):
        assert ast.dump(ast.parse(CORE)) != ast.dump(mutate.mutated_tree(CORE, m)), m.key


def kinds(found) -> list[tuple[str, str]]:
    return sorted((m.where, m.kind) for m in found)


HANG_TIMEOUT = 5.0


def test_a_test_that_notices_kills_one_that_does_not_lets_survive_and_a_hang_times_out(tiny):
    (tiny / "test_strong.py").write_text(STRONG)
    (tiny / "test_weak.py").write_text(WEAK)
    path = tiny / "tinypkg" / "core.py"
    # 0 * 3600 -> 1 * 3600 sleeps an hour; every other mutant's run takes a fraction of a second, but over
    # 2 s on a loaded machine (one was timed out at 2 s in a full run there): HANG_TIMEOUT leaves room.
    strong = mutate.run_module("tinypkg.core", path, [str(tiny / "test_strong.py")], jobs=2, timeout=HANG_TIMEOUT)
    assert kinds(strong.timed_out) == [("nap", "0 -> 1")]
    assert kinds(strong.survived) == [("clamp", "< -> <="), ("nap", "* -> /"), ("nap", "3600 -> 3601"),
                                      ("nap", "statement removed")]  # none changes what the test sees
    assert kinds(strong.killed) == [("clamp", "condition -> False"), ("clamp", "condition -> True"),
                                    ("clamp", "return x -> return None"), ("clamp", "return x -> return None"),
                                    ("nap", "1 -> 2"), ("nap", "return x -> return None")]
    assert strong.rate == pytest.approx(7 / 11)

    equivalent = {m.key: "the same behaviour" for m in strong.survived}
    equivalent.update({m.key: "sleeps" for m in strong.timed_out})
    weak = mutate.run_module("tinypkg.core", path, [str(tiny / "test_weak.py")], jobs=2, timeout=HANG_TIMEOUT,
                             equivalent=equivalent)
    assert len(weak.equivalent) == 5
    # percent(5) == 5 never reaches the lower bound, and nap() is not called at all.
    assert kinds(weak.survived) == [("clamp", "condition -> False"), ("clamp", "return x -> return None"),
                                    ("nap", "1 -> 2"), ("nap", "return x -> return None")]
    assert kinds(weak.killed) == [("clamp", "condition -> True"), ("clamp", "return x -> return None")]
    assert weak.rate == pytest.approx(2 / 6)


def test_equivalent_mutants_are_read_with_their_reason_and_a_line_without_one_is_refused(tmp_path):
    good = tmp_path / "eq.txt"
    good.write_text("# comment\n\nm.x | f: | -> &: a | b | the same bits\n")
    assert mutate.read_equivalent(good) == {"m.x": {"f: | -> &: a | b": "the same bits"}}
    bad = tmp_path / "bad.txt"
    bad.write_text("m.x | f: < -> <=: x < y\n")
    with pytest.raises(SystemExit, match=r"bad.txt:1: write `module \| key \| reason`"):
        mutate.read_equivalent(bad)


def test_every_listed_equivalent_mutant_is_one_the_runner_still_makes():
    listed = mutate.read_equivalent()
    for module, keys in listed.items():
        path = mutate.ROOT / "plugins" / (module.replace(".", "/") + ".py")
        made = {m.key for m in mutate.mutants(path.read_text(encoding="utf-8"))}
        assert set(keys) <= made, f"{module}: no longer made: {sorted(set(keys) - made)}"
        assert module in mutate.config()["modules"]
