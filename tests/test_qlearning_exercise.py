"""``unit5.q_learning`` is graded by behaviour: the greedy path the student's Q-learning learns
on CliffWalking-v1 must be the optimal one. Correct alternatives pass both suites; each listed
mistake fails the hidden suite; the runner's contract checks (whole episodes, true returns)
name what is wrong. Measured false-failure rates are in ``autograder/exercises/unit5.py``."""

from __future__ import annotations

import pytest

from autograder import CheckFailed, check
from autograder.exercises import all_exercises


EXERCISE = all_exercises()["unit5.q_learning"]
CORRECT = list(EXERCISE.alternatives)   # autograder/alternatives/unit5.py
MISTAKES = {m.name: m.fn for m in EXERCISE.misconceptions}   # autograder/misconceptions/unit5.py


@pytest.mark.parametrize("index", range(len(CORRECT)))
def test_correct_agents_pass(index):
    for suite in ("visible", "hidden"):
        check("unit5.q_learning", CORRECT[index], suite=suite, quiet=True)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_fails(mistake):
    with pytest.raises(CheckFailed) as info:
        check("unit5.q_learning", MISTAKES[mistake], suite="hidden")
    msg = str(info.value)
    assert "problem:" in msg and "input:" in msg and "expected:" in msg and "got:" in msg
    assert "-13" in msg or "episode" in msg or "returns" in msg


def test_the_exercise_is_registered_and_behavioural():
    exercise = all_exercises()["unit5.q_learning"]
    assert exercise.criterion and "-13" in exercise.criterion
    assert len(exercise.cases("hidden")[0].args[0]) == 3
