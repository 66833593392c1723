"""How many examples a property test tries: a quarter of its budget in `make test`, all of it in `make fuzz`.

Each test states its full budget (`examples(1500)`): what it takes to find the rare input that
the property is about. `make test` runs every property on a quarter of that, so a change that
breaks one is caught within two minutes; `make fuzz` (and CI, after `make test`) runs the whole
budget, OPENHAND_FUZZ=1.
"""

from __future__ import annotations

import os

FULL = os.environ.get("OPENHAND_FUZZ") == "1"
FLOOR = 50  # hypothesis's own default is 100; below 50 the shrunk edge cases crowd out the rest


def examples(budget: int) -> int:
    """The max_examples of a property test whose full budget is `budget`."""
    return budget if FULL else max(FLOOR, budget // 4)
