"""Correct alternatives per exercise: implementations that read the exercise's contract in
another correct way (another algorithm, another dtype inside, a loop instead of a vectorized
expression, in place or on copies where the contract allows both). A fair check passes every
one of them on every secret seed; ``python -m autograder audit`` measures that, and that each
listed mistake (:mod:`autograder.misconceptions`) fails on every seed.

One module per unit, each with an ``ALTERNATIVES`` dict (exercise id -> tuple of functions)
that the unit's exercise definitions attach (``Exercise.alternatives``), and optionally
``REGRESSION_SEEDS`` (exercise id -> secret seeds on which an alternative once failed; the
audit always tries them). Trusted side only: nothing here is copied into a sandbox.
"""

from __future__ import annotations

import importlib

__all__ = ["regression_seeds"]


def regression_seeds(exercise_id: str) -> tuple[int, ...]:
    """The secret seeds on which a correct alternative of this exercise once failed."""
    unit = exercise_id.split(".", 1)[0]
    try:
        module = importlib.import_module(f"autograder.alternatives.{unit}")
    except ModuleNotFoundError:
        return ()
    return tuple(getattr(module, "REGRESSION_SEEDS", {}).get(exercise_id, ()))
