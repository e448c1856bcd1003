"""The tests every unit's exercise catalogue gets: its correct alternatives pass both suites,
each listed common mistake fails the hidden suite with a full message, and every registered
exercise of those units has both lists. A few secret seeds each, serialized as in grading;
``python -m autograder audit`` (``tests/test_audit.py``) runs the same lists over 200."""

from __future__ import annotations

import pytest

from autograder import CheckFailed, check, dumps, loads
from autograder.checks import collect, judge
from autograder.exercises import get_exercise

#: A secret seed beyond each suite's fixed public one: trusted grading draws every hidden suite
#: from a fresh secret seed, so a check must hold on any seed, not only the public one (a case
#: that failed the reference on 11 of 400 seeds once went unnoticed this way). The audit
#: (``python -m autograder audit``, run by tests/test_audit.py) tries 200.
SECRET_SEEDS = (20261207,)


def catalogue(prefixes: tuple[str, ...]) -> tuple[dict, dict, dict]:
    """``(correct, mistakes, regression_seeds)`` for the exercises of those units that have a
    reference (behavioural exercises have their own test modules): the product's alternatives
    (``Exercise.alternatives``), its listed mistakes by name, and the secret seeds on which an
    alternative once failed."""
    from autograder.alternatives import regression_seeds
    from autograder.exercises import all_exercises

    chosen = {e: ex for e, ex in all_exercises().items() if e.startswith(prefixes) and not ex.criterion}
    return ({e: list(ex.alternatives) for e, ex in chosen.items() if ex.alternatives},
            {e: {m.name: m.fn for m in ex.misconceptions} for e, ex in chosen.items() if ex.misconceptions},
            {e: regression_seeds(e) for e in chosen if regression_seeds(e)})


def verdict_on_seed(exercise: str, fn, seed: int):
    """The verdict of the hidden suite drawn from ``seed``, as the grading CLI reaches it."""
    cases = get_exercise(exercise).cases("hidden", seed=seed)
    record = loads(dumps(collect(exercise, fn, suite="hidden", cases=cases)))
    return judge(record, exercise_id=exercise, suite="hidden", cases=cases)


def catalogue_tests(correct: dict, mistakes: dict, prefixes: tuple[str, ...], regression_seeds: dict | None = None):
    """Return the three test functions for ``correct`` / ``mistakes`` (exercise id -> ...).
    ``regression_seeds`` (exercise id -> seeds): secret seeds on which a correct alternative
    once failed, tried for every alternative of that exercise besides ``SECRET_SEEDS``."""
    regression_seeds = regression_seeds or {}

    @pytest.mark.parametrize("exercise,index", [(e, i) for e, fns in correct.items() for i in range(len(fns))])
    def test_correct_implementations_pass(exercise, index):
        for suite in ("visible", "hidden"):
            check(exercise, correct[exercise][index], suite=suite, quiet=True)

        # One secret seed (and the regression seeds) with the record serialized as in grading; the
        # audit (tests/test_audit.py) runs 200 more, judging records as collect() makes them.
        for seed in (*SECRET_SEEDS, *regression_seeds.get(exercise, ())):
            verdict = verdict_on_seed(exercise, correct[exercise][index], seed)
            assert verdict.passed, f"secret seed {seed}: {verdict.message}"

    @pytest.mark.parametrize("exercise,mistake", [(e, m) for e, ms in mistakes.items() for m in ms])
    def test_each_common_mistake_fails(exercise, mistake):
        with pytest.raises(CheckFailed) as info:
            check(exercise, mistakes[exercise][mistake], suite="hidden")
        msg = str(info.value)
        assert "problem:" in msg and "input:" in msg and "expected:" in msg and "got:" in msg

    def test_every_exercise_has_mistakes_listed():
        from autograder.exercises import all_exercises

        # Behavioural exercises (a criterion instead of a reference) train agents: each has
        # its own, separately measured catalogue module (e.g. tests/test_cartpole_exercise.py).
        ids = {e for e, ex in all_exercises().items() if e.startswith(prefixes) and not ex.criterion}
        assert ids == set(mistakes) == set(correct)

    return test_correct_implementations_pass, test_each_common_mistake_fails, test_every_exercise_has_mistakes_listed
