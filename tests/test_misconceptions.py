"""Named misconceptions: when a student's output fails a case and equals what a known mistake
gives there, the message names that mistake and its hint, in the visible message and in the
hidden brief; a correct solution, or a wrong one that is no listed mistake, is never diagnosed.

``diagnosis_rates`` is the measurement the README quotes: over every listed mistake and every
failing case of both public suites, how often the diagnosis names exactly that mistake."""

from __future__ import annotations

import pytest
import torch

from autograder.checks import collect, judge
from autograder.exercises import all_exercises

# Behavioural exercises (an agent must learn) list mistakes too, but have no reference output to
# tell one by: never diagnosed (tests/test_cartpole_exercise.py, test_qlearning_exercise.py).
WITH_MISCONCEPTIONS = sorted(e for e, ex in all_exercises().items() if ex.misconceptions and not ex.criterion)

#: Mistakes whose output cannot be reproduced, so the check cannot recognize them (they still
#: fail): they draw their own random numbers, or diverge to NaN.
NOT_TOLD_APART = {
    "own random actions",                                              # unit3.reinforce_step
    "fresh noise",                                                     # unit2.reparameterize
    "own noise, not eps",                                              # unit2.vae_forward, vae_train_step
    "sampled codes",                                                   # unit2.interpolate
    "SGD with momentum 0.9 instead of Adam (diverges at this lr)",     # unit1.train_linear_ae
}


_CACHE: dict = {}


def _verdicts(exercise_id: str, fn, key=None):
    """The verdicts of both public suites (cached per listed mistake: several tests read them)."""
    if key is None:
        return [judge(collect(exercise_id, fn, suite=suite)) for suite in ("visible", "hidden")]
    if key not in _CACHE:
        _CACHE[key] = _verdicts(exercise_id, fn)
    return _CACHE[key]


def _mistake_verdicts(exercise_id: str):
    for mistake in all_exercises()[exercise_id].misconceptions:
        yield mistake, _verdicts(exercise_id, mistake.fn, key=(exercise_id, mistake.name))


def diagnosis_rates() -> dict[str, tuple[int, int, int]]:
    """exercise id -> (verdicts of its mistakes whose first failing case has an output to
    examine, those whose diagnosis names the mistake alone, those that name it among others)."""
    rates = {}
    for exercise_id in WITH_MISCONCEPTIONS:
        failing = alone = among = 0
        for mistake, verdicts in _mistake_verdicts(exercise_id):
            for verdict in verdicts:
                names = verdict.diagnoses[0] if verdict.diagnoses else None
                if names is None:   # passed, or the first failing case raised: no output to examine
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
    print(f"\ndiagnosis of the listed mistakes, public suites: {total[2]} of {total[0]} verdicts name the "
          f"mistake ({total[1]} name it alone)")
    for exercise_id, (failing, alone, among) in rates.items():
        print(f"  {exercise_id:<32} {among:>3} / {failing:<3} named ({alone} alone)")
        assert failing > 0
    # Nearly every verdict on a listed mistake names it.
    assert total[2] >= 0.9 * total[0], rates
    told = [m for e in WITH_MISCONCEPTIONS for m in all_exercises()[e].misconceptions if m.name not in NOT_TOLD_APART]
    print(f"  {len(told)} of {sum(len(all_exercises()[e].misconceptions) for e in WITH_MISCONCEPTIONS)} listed "
          f"mistakes are reproducible (the others draw their own noise or diverge)")


@pytest.mark.parametrize("exercise_id", WITH_MISCONCEPTIONS)
def test_each_mistake_is_named_at_least_once_in_each_suite(exercise_id):
    for mistake, (visible, hidden) in _mistake_verdicts(exercise_id):
        assert not hidden.passed   # a listed mistake may pass the visible suite, never the hidden one
        for verdict in (visible, hidden) if not visible.passed else (hidden,):
            if verdict.diagnoses[0] is None or mistake.name in NOT_TOLD_APART:
                continue   # the first failing case raised (e.g. no autograd graph), or not reproducible
            # The first failing case (the one the message shows) is diagnosed; the others are not.
            assert mistake.name in verdict.diagnoses[0], (mistake.name, verdict.diagnoses)
            assert all(names is None for names in verdict.diagnoses[1:])
            likely = next(line for line in verdict.failures[0].splitlines() if line.startswith("  likely:   "))
            assert f"{mistake.name}: {mistake.hint}" in likely
            # The hidden brief carries the name and the hint.
            assert f"{mistake.name}: {mistake.hint}" in verdict.briefs[0] and mistake.name in verdict.brief()


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
