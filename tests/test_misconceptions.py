"""Named misconceptions: when a student's output fails a case and equals what a known mistake
gives there, the message names that mistake and its hint, in the visible message and in the
hidden brief; a correct solution, or a wrong one that is no listed mistake, is never diagnosed.

``diagnosis_rates`` is the measurement the README quotes: over every listed mistake and every
failing case of both public suites, how often the diagnosis names exactly that mistake."""

from __future__ import annotations

import pytest
import torch

from autograder.checks import collect, judge
from autograder.registry import all_exercises

WITH_MISCONCEPTIONS = sorted(e for e, ex in all_exercises().items() if ex.misconceptions)

#: Mistakes whose output cannot be reproduced, so the check cannot recognize them (they still fail).
NOT_TOLD_APART = {"own random actions"}   # unit3.reinforce_step: draws its own random actions


def _verdicts(exercise_id: str, fn):
    return [judge(collect(exercise_id, fn, suite=suite)) for suite in ("visible", "hidden")]


def diagnosis_rates() -> dict[str, tuple[int, int, int]]:
    """exercise id -> (failing cases of all its mistakes, cases where the diagnosis names the
    mistake alone, cases where it names the mistake among others)."""
    rates = {}
    for exercise_id in WITH_MISCONCEPTIONS:
        failing = alone = among = 0
        for mistake in all_exercises()[exercise_id].misconceptions:
            for verdict in _verdicts(exercise_id, mistake.fn):
                for names in verdict.diagnoses:
                    if names is None:   # the case raised: there is no output to tell a mistake by
                        continue
                    failing += 1
                    alone += names == [mistake.name]
                    among += mistake.name in names
        rates[exercise_id] = (failing, alone, among)
    return rates


def test_every_listed_mistake_is_named_on_its_failing_cases():
    torch.manual_seed(0)
    rates = diagnosis_rates()
    total = [sum(r[i] for r in rates.values()) for i in range(3)]
    print(f"\ndiagnosis of the listed mistakes, public suites: {total[2]} of {total[0]} failing cases name the "
          f"mistake ({total[1]} name it alone)")
    for exercise_id, (failing, alone, among) in rates.items():
        print(f"  {exercise_id:<32} {among:>3} / {failing:<3} named ({alone} alone)")
        assert failing > 0
    # Every mistake is told apart on most of the cases where it fails.
    assert total[2] >= 0.9 * total[0], rates


@pytest.mark.parametrize("exercise_id", WITH_MISCONCEPTIONS)
def test_each_mistake_is_named_at_least_once_in_each_suite(exercise_id):
    for mistake in all_exercises()[exercise_id].misconceptions:
        visible, hidden = _verdicts(exercise_id, mistake.fn)
        assert not hidden.passed   # a listed mistake may pass the visible suite, never the hidden one
        for verdict in (visible, hidden) if not visible.passed else (hidden,):
            if all(names is None for names in verdict.diagnoses):
                continue   # every failing case raised (e.g. no autograd graph): nothing to compare
            if mistake.name in NOT_TOLD_APART:
                continue
            assert any(names and mistake.name in names for names in verdict.diagnoses), (mistake.name, verdict.diagnoses)
            i = next(i for i, names in enumerate(verdict.diagnoses) if names and mistake.name in names)
            likely = next(line for line in verdict.failures[i].splitlines() if line.startswith("  likely:   "))
            assert f"{mistake.name}: {mistake.hint}" in likely
            # The hidden brief carries the name and the hint.
            assert f"{mistake.name}: {mistake.hint}" in verdict.briefs[i]


@pytest.mark.parametrize("exercise_id", WITH_MISCONCEPTIONS)
def test_no_diagnosis_for_the_reference_or_for_an_unlisted_mistake(exercise_id):
    exercise = all_exercises()[exercise_id]
    for verdict in _verdicts(exercise_id, exercise.reference):
        assert verdict.passed and verdict.diagnoses == []

    def unlisted(*args, **kwargs):   # right structure, wrong numbers: a mistake nobody listed
        out = exercise.reference(*args, **kwargs)
        if isinstance(out, torch.Tensor) and out.is_floating_point():
            return out * 1.5 + 0.25
        if isinstance(out, tuple) and isinstance(out[0], torch.Tensor) and out[0].is_floating_point():
            return (out[0] * 1.5 + 0.25, *out[1:])
        raise ValueError("not a float output")

    for verdict in _verdicts(exercise_id, unlisted):
        assert not verdict.passed
        assert all(not names for names in verdict.diagnoses), verdict.diagnoses
