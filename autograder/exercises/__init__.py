"""Every exercise the checks know, from one explicit list of units.

Each ``unit<N>.py`` defines its :class:`~autograder.registry.Exercise` objects and lists them in
``EXERCISES``; adding a unit means writing its module (with its ``alternatives`` and
``misconceptions``) and adding it to ``UNITS`` below. Nothing registers itself on import.
"""

from __future__ import annotations

import functools

from autograder.exercises import unit0, unit1, unit2, unit3, unit4, unit5, unit6
from autograder.registry import Exercise
from autograder_kernel.runners import spec_of

__all__ = ["UNITS", "get_exercise", "all_exercises"]

UNITS = (unit0, unit1, unit2, unit3, unit4, unit5, unit6)


@functools.lru_cache(maxsize=1)
def _catalog() -> dict[str, Exercise]:
    catalog: dict[str, Exercise] = {}
    for unit in UNITS:
        for exercise in unit.EXERCISES:
            if exercise.id in catalog:
                raise ValueError(f"exercise id {exercise.id!r} is defined twice ({unit.__name__})")
            spec_of(exercise.run)  # the sandboxed kernel must be able to rebuild the runner by name
            catalog[exercise.id] = exercise
    return catalog


def get_exercise(exercise_id: str) -> Exercise:
    try:
        return _catalog()[exercise_id]
    except KeyError:
        known = ", ".join(sorted(_catalog())) or "none"
        raise KeyError(f"unknown exercise id {exercise_id!r}; known: {known}") from None


def all_exercises() -> dict[str, Exercise]:
    return dict(_catalog())
