"""What a check enforces is written where the student reads the exercise: every shape of the
contract, the output's dtype, and (once per notebook, before the first exercise) the device
rule and the rule that inputs are left unchanged. Checks compare dtypes and devices exactly, so a rule missing from the text would fail a
student for something the notebook never asked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autograder.exercises import all_exercises

REPO = Path(__file__).resolve().parents[1]
EXERCISES = all_exercises()
DTYPE_WORDS = re.compile(r"dtype|float32|float64|int64|\blong\b|\bbool\b|Python floats?|a float\b")
SHAPE = re.compile(r"(?<![A-Za-z])\((?:[A-Z0-9][A-Za-z0-9]*)(?:, ?[A-Z0-9][A-Za-z0-9]*)*,?\)")


def _notebook(unit: str) -> list[dict]:
    [path] = REPO.glob(f"solutions/{unit}_*/{unit}_*.ipynb")
    return json.loads(path.read_text())["cells"]


def _function(exercise_id: str) -> str:
    return EXERCISES[exercise_id].signature.split("(", 1)[0].strip()


def exercise_text(cells: list[dict], name: str) -> str:
    """The markdown a student reads for the exercise ``name``: from its heading ("### Exercise
    k ...: `name`") to the next heading, plus any markdown between there and the cell that
    defines the function."""
    src = ["".join(c["source"]) for c in cells]
    solution = next(i for i, c in enumerate(cells)
                    if c["cell_type"] == "code" and re.search(rf"^def {name}\(", src[i], re.M))
    heading = re.compile(rf"^#+ .*Exercise.*`{name}`.*$", re.M)
    start = max(i for i in range(solution) if cells[i]["cell_type"] == "markdown" and heading.search(src[i]))
    first = src[start][heading.search(src[start]).start():]
    body = first.find("\n") + 1 if "\n" in first else len(first)
    following = re.search(r"^#+ ", first[body:], re.M)
    parts = [first if following is None else first[:body + following.start()]]
    parts += [src[i] for i in range(start + 1, solution) if cells[i]["cell_type"] == "markdown"]
    return "\n".join(parts)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_text_states_the_shapes_and_the_dtype(exercise_id):
    name = _function(exercise_id)
    text = exercise_text(_notebook(exercise_id.split(".")[0]), name)
    squeezed = re.sub(r"[\s`]", "", text)
    missing = [s for s in SHAPE.findall(EXERCISES[exercise_id].signature) if re.sub(r"\s", "", s) not in squeezed]
    assert not missing, f"{exercise_id}: shapes of the contract not in the exercise's text: {missing}\n{text}"
    assert DTYPE_WORDS.search(text), f"{exercise_id}: the exercise's text does not say what dtype to return\n{text}"


@pytest.mark.parametrize("unit", sorted({e.split(".")[0] for e in EXERCISES}))
def test_each_notebook_states_the_device_rule_before_its_first_exercise(unit):
    cells = _notebook(unit)
    names = [_function(e) for e in EXERCISES if e.startswith(unit + ".")]
    first = min(i for i, c in enumerate(cells) if c["cell_type"] == "code"
                and any(re.search(rf"^def {n}\(", "".join(c["source"]), re.M) for n in names))
    before = "\n".join("".join(c["source"]) for c in cells[:first] if c["cell_type"] == "markdown")
    assert re.search(r"device", before), f"{unit}: no word on devices before the first exercise"
    # The checks fail a function that changes its inputs in place (Exercise.inputs_unchanged).
    assert re.search(r"unchanged", before) and re.search(r"in-place|in place", before), \
        f"{unit}: no word before the first exercise on leaving inputs unchanged (no in-place changes)"


def test_an_exercise_that_may_change_its_inputs_says_so():
    for exercise_id, exercise in EXERCISES.items():
        if exercise.criterion or exercise.inputs_unchanged:
            continue
        text = exercise_text(_notebook(exercise_id.split(".")[0]), _function(exercise_id))
        assert re.search(r"in place", text), f"{exercise_id} may change its inputs, but its text does not say so"
