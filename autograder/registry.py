"""The exercises the checks know: one :class:`Exercise` per graded function.

An exercise says how to draw its inputs from a seeded generator, which ``lecture_lib``
function is the reference, how to run a function on one input (plain call, or a call plus
a backward pass when gradients are graded) and how to compare an output with the
reference's. Each unit lists its exercises in ``autograder/exercises/<unit>.py``
(``EXERCISES``); :mod:`autograder.exercises` holds the list of units.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable

import torch

from autograder_kernel.cases import Case
from autograder_kernel.runners import default_run

__all__ = ["Case", "Exercise", "Misconception", "SUITES", "suite_seed"]

SUITES = ("visible", "hidden")


@dataclass(frozen=True)
class Misconception:
    """A known mistake on an exercise: ``name`` (what the student did, in a few words), ``hint``
    (one line on what to do instead) and ``fn``, an implementation that makes exactly that
    mistake. When a student's output fails a case and equals ``fn``'s output there, the
    check's message names the mistake and gives the hint."""

    name: str
    hint: str
    fn: Callable


@dataclass(frozen=True)
class Exercise:
    """A graded function.

    id: ``"<unit>.<function>"``, e.g. ``"unit0.images_to_vectors"``.
    signature: the contract in one line, shown in messages.
    reference: the ``lecture_lib`` function.
    make_cases: ``(generator, hidden) -> list[Case]``; must draw all randomness from
        ``generator`` (a seeded CPU ``torch.Generator``) so that every process draws the
        same inputs.
    compare: ``(case, expected, got) -> None | str``; ``None`` when ``got`` is right, else
        a sentence saying what is wrong (the caller adds the input, expected and got).
    run: ``(fn, case) -> output``: how to call a function on a case (the same for the
        student's function and the reference); a runner of :mod:`autograder_kernel.runners`
        (the sandboxed kernel rebuilds it from its name); default ``fn(*args, **kwargs)``.
    withholds: the dotted names of the ``lecture_lib`` functions that implement the graded
        function (``"lecture_lib.returns.standardize"``, ``"lecture_lib.vae.VAE.sample"``).
        Trusted grading (``python -m autograder grade``) runs submissions against a copy of
        ``lecture_lib`` whose withheld functions only raise, so a submission that calls the
        reference scores 0 on that part; they are also what near-copies are looked for.
    misconceptions: the known mistakes (:class:`Misconception`) a failing output is compared with.
    alternatives: correct readings of the contract other than the reference (other algorithms,
        loops, dtypes inside), which the check must accept on every seed; with the
        misconceptions, what ``python -m autograder audit`` runs over many secret seeds.
    expected_shown: what failure messages show as "expected" where the reference's output is
        only one of many right answers (e.g. masks for degrees the reference drew at random);
        default: the reference's output.
    inputs_unchanged: the function must leave its inputs as it found them (the check fails a
        correct output when an argument was changed in place); False where the contract lets
        the function work in place (e.g. train the tensors it is given).
    """

    id: str
    signature: str
    reference: Callable
    make_cases: Callable[[torch.Generator, bool], list]
    compare: Callable[[Case, Any, Any], str | None]
    run: Callable[[Callable, Case], Any] = default_run
    withholds: tuple[str, ...] = ()
    criterion: str | None = None
    misconceptions: tuple[Misconception, ...] = ()
    alternatives: tuple[Callable, ...] = ()
    inputs_unchanged: bool = True
    expected_shown: str | None = None

    def cases(self, suite: str, seed: int | None = None) -> list[Case]:
        """The suite's cases, drawn from its fixed public seed, or from ``seed`` when given
        (trusted grading draws hidden cases from a fresh secret seed per submission)."""
        if suite not in SUITES:
            raise ValueError(f"suite must be one of {SUITES}, got {suite!r}")
        gen = torch.Generator().manual_seed(suite_seed(self.id, suite) if seed is None else seed)
        return list(self.make_cases(gen, suite == "hidden"))


def suite_seed(exercise_id: str, suite: str) -> int:
    """A fixed seed per (exercise, suite), the same in every process and on every machine."""
    digest = hashlib.sha256(f"{exercise_id}/{suite}".encode()).digest()
    return int.from_bytes(digest[:7], "little")
