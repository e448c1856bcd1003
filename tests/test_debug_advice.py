"""The "to debug" lines of a failed check run as they are printed: pasted into a cell where the
student's function is defined, they rerun the failing case, for every exercise, with a wrong
solution (the same failure comes back) and with the reference (no error, the right output)."""

from __future__ import annotations

import re

import pytest
import torch

from autograder import CheckFailed, check
from autograder.exercises import all_exercises, get_exercise
from autograder_kernel.runners import default_run

#: Behavioural exercises whose reference run is a whole training run (minutes): their advice is
#: run with the wrong solution only, which goes through the same runner and the same lines.
LONG_REFERENCE_RUNS = {"unit4.reinforce_iteration"}


def _function_name(exercise_id: str) -> str:
    return get_exercise(exercise_id).signature.split("(", 1)[0].strip()


def _advice(message: str) -> str:
    """The pasteable lines of the first failure's advice."""
    lines = message.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("to debug:"))
    code = [lines[start].split("to debug:", 1)[1].strip()]
    for line in lines[start + 1:]:
        if not line.startswith("            "):
            break
        code.append(line.strip())
    return "\n".join(code)


class Wrong(Exception):
    pass


@pytest.mark.parametrize("exercise_id", sorted(all_exercises()))
def test_the_advice_reruns_the_failing_case_verbatim(exercise_id):
    torch.manual_seed(0)
    name = _function_name(exercise_id)
    assert name.isidentifier(), exercise_id
    def wrong(*args, **kwargs):
        raise Wrong("a deliberately wrong solution")

    wrong.__name__ = name   # as `def <name>(...)` in the notebook
    with pytest.raises(CheckFailed) as failed:
        check(exercise_id, wrong)
    advice = _advice(str(failed.value))
    assert f", {name})" in advice and "your_function" not in advice, advice
    index = int(re.search(r"'visible', (\d+)", advice).group(1))

    # With the wrong solution, the advice raises what the check reported.
    with pytest.raises(Wrong):
        exec(advice, {name: wrong})

    if exercise_id in LONG_REFERENCE_RUNS:
        return
    # With the reference bound to that name, the advice runs and gives the reference's output.
    exercise = get_exercise(exercise_id)
    namespace = {name: exercise.reference}
    exec(advice, namespace)
    case = exercise.cases("visible")[index - 1]
    if exercise.criterion:   # behavioural: judged by the criterion, not against a reference output
        assert exercise.compare(case, None, namespace["out"]) is None
    else:
        assert exercise.compare(case, exercise.run(exercise.reference, case), namespace["out"]) is None
    if exercise.run is default_run:
        args, kwargs = namespace["args"], namespace["kwargs"]
        assert exercise.compare(case, namespace["out"], exercise.reference(*args, **kwargs)) is None


def test_a_function_without_a_plain_name_gets_a_placeholder_and_a_hint():
    with pytest.raises(CheckFailed) as failed:
        check("unit0.images_to_vectors", lambda images: images)
    advice = _advice(str(failed.value))
    assert "run_case('unit0.images_to_vectors', 'visible', 1, your_function)" in advice
    assert "replace your_function by the name of your function" in advice
