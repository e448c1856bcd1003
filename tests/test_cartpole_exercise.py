"""``unit4.reinforce_iteration`` is graded by behaviour: the agent must solve CartPole.
Correct alternatives pass both suites; each listed mistake fails the hidden suite, and the
grader's contract checks (whole episodes, true totals, at least ``min_steps`` steps) name
what is wrong. Each run trains up to three seeds, so this module is the slow one of unit 4.

Measured false-failure rates (``tools/measure_cartpole_check.py`` reruns them) are in the
exercise's module docstring (``autograder/exercises/unit4.py``).
"""

from __future__ import annotations

import pytest

from autograder import CheckFailed, check
from autograder.exercises import all_exercises


EXERCISE = all_exercises()["unit4.reinforce_iteration"]
CORRECT = list(EXERCISE.alternatives)   # autograder/alternatives/unit4.py
MISTAKES = {m.name: m.fn for m in EXERCISE.misconceptions}   # autograder/misconceptions/unit4.py


@pytest.mark.parametrize("index", range(len(CORRECT)))
def test_correct_agents_pass(index):
    for suite in ("visible", "hidden"):
        check("unit4.reinforce_iteration", CORRECT[index], suite=suite, quiet=True)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_fails(mistake):
    with pytest.raises(CheckFailed) as info:
        check("unit4.reinforce_iteration", MISTAKES[mistake], suite="hidden")
    msg = str(info.value)
    assert "problem:" in msg and "input:" in msg and "expected:" in msg and "got:" in msg
    assert "475" in msg or "episode" in msg


def test_the_exercise_is_registered_and_behavioural():
    exercise = all_exercises()["unit4.reinforce_iteration"]
    assert exercise.criterion and "475" in exercise.criterion
    assert len(exercise.cases("hidden")[0].args[0]) == 3
