"""Known mistakes per exercise (see :class:`autograder.registry.Misconception`), one module per
unit, each with a ``MISCONCEPTIONS`` dict (exercise id -> tuple of misconceptions)."""

from __future__ import annotations

from typing import Callable

from autograder.registry import Misconception

__all__ = ["mistakes", "with_hints"]


def mistakes(*items: tuple[str, str, Callable]) -> tuple[Misconception, ...]:
    """``(name, hint, fn)`` triples as misconceptions."""
    return tuple(Misconception(name, hint, fn) for name, hint, fn in items)


def with_hints(implementations: dict[str, dict[str, Callable]],
               hints: dict[str, dict[str, str]]) -> dict[str, tuple[Misconception, ...]]:
    """``{exercise id: {name: fn}}`` and ``{exercise id: {name: hint}}`` (same names) as
    ``MISCONCEPTIONS``."""
    return {exercise_id: mistakes(*((name, hints[exercise_id][name], fn) for name, fn in fns.items()))
            for exercise_id, fns in implementations.items()}
