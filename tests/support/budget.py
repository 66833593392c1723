"""How many tries a randomised test makes: a quarter of its budget in `make test`, all of it in `make fuzz`.

Each test states its full budget: `examples(1500)` for a property test (what it takes to find the rare
input the property is about), `rounds(20)` for a fault loop that kills a run at a random point (marked
`@pytest.mark.fuzz` so `make fuzz` picks it up). `make test` runs every one on a quarter of that, so a
change that breaks one is caught within two minutes; `make fuzz` (and CI, after `make test`) runs the
whole budget, OPENHAND_FUZZ=1.
"""

from __future__ import annotations

import os

FULL = os.environ.get("OPENHAND_FUZZ") == "1"
FLOOR = 50  # hypothesis's own default is 100; below 50 the shrunk edge cases crowd out the rest
ROUNDS_FLOOR = 5  # a kill loop of five still lands kills before, during and after the writes


def _share(budget: int, floor: int) -> int:
    """All of `budget` under make fuzz; a quarter of it, at least `floor`, under make test."""
    return budget if FULL else max(floor, budget // 4)


def examples(budget: int) -> int:
    """The max_examples of a property test whose full budget is `budget`."""
    return _share(budget, FLOOR)


def rounds(budget: int) -> int:
    """How many times a fault loop (kill -9 at a random point, then check) goes round; its full budget is `budget`."""
    return _share(budget, ROUNDS_FLOOR)
