"""Checks that test cells call: the student's function against the ``lecture_lib`` reference.

A test cell reads::

    from autograder import check
    check("unit0.images_to_vectors", images_to_vectors)                  # visible
    ### BEGIN HIDDEN TESTS
    check("unit0.images_to_vectors", images_to_vectors, suite="hidden")  # more cases
    ### END HIDDEN TESTS

A check has two halves, so that grading can run them in different processes:

- :func:`collect` runs in the student's kernel: it draws the suite's inputs from a fixed
  seed, calls the student's function on copies of them (on the device in use) and returns
  a *record* of plain data: the exercise id, the suite, the inputs and the outputs (or the
  exception raised). :func:`autograder.serialize.dumps` turns a record into bytes.
- :func:`judge` is a pure function of the record: it draws the suite's inputs again and
  refuses a record whose inputs differ, computes the reference on them, compares, and
  returns a :class:`Verdict`. At grading time it runs in a trusted process outside the
  student's kernel, where nothing the student's code patched can change it.

:func:`check` does both in the kernel, for the student's own feedback, and raises
:class:`CheckFailed` (an ``AssertionError``) naming the input, the expected and the got
value. :func:`case_inputs` gives a student the exact failing input to debug with.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import torch

from autograder.compare import describe
from autograder.registry import Case, Exercise, get_exercise
from autograder.serialize import ERROR_KEY, sanitize

__all__ = ["check", "collect", "judge", "Verdict", "CheckFailed", "case_inputs", "RECORD_VERSION"]

RECORD_VERSION = 1


class CheckFailed(AssertionError):
    """A check found a wrong answer; the message says on which input and how."""


@dataclass
class Verdict:
    exercise: str
    suite: str
    passed: bool
    n_cases: int
    failures: list[str] = field(default_factory=list)  # one message per failing case

    @property
    def message(self) -> str:
        if self.passed:
            return f"passed: {self.exercise} ({self.suite}), all {self.n_cases} cases correct"
        more = len(self.failures) - 1
        tail = (f"\n({more} more of the {self.n_cases} cases fail too; fix this one first)"
                if more > 0 else "")
        return self.failures[0] + tail


def _to_device(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device, copy=True)
    if isinstance(obj, tuple):
        return tuple(_to_device(x, device) for x in obj)
    if isinstance(obj, list):
        return [_to_device(x, device) for x in obj]
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


def _resolved(device: torch.device) -> torch.device:
    """``cuda`` -> ``cuda:<current>`` so that it compares equal to the tensors' devices."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


def _error_record(exc: BaseException) -> dict:
    """The exception, with the line of the student's code it came from (no test source)."""
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if "/autograder/" not in f.filename.replace("\\", "/")]
    where = ""
    if user:
        f = user[-1]
        where = f"line {f.lineno}" + (f": {f.line.strip()}" if f.line else "")
    message = str(exc)
    return {ERROR_KEY: {"type": type(exc).__name__, "message": message[:2000], "where": where}}


def collect(exercise_id: str, fn, *, suite: str = "visible", device=None) -> dict:
    """Run ``fn`` on every input of the suite; return the record (plain data, CPU tensors)."""
    from lecture_lib.runtime import get_device

    exercise = get_exercise(exercise_id)
    device = _resolved(torch.device(device) if device is not None else get_device())
    if not callable(fn):
        raise TypeError(f"check({exercise_id!r}, ...) needs your function as its second "
                        f"argument, got {describe(fn)}")
    cases = []
    for case in exercise.cases(suite):
        on_device = Case(_to_device(case.args, device), _to_device(case.kwargs, device), case.note)
        devices: list[str] = []
        try:
            output = sanitize(exercise.run(fn, on_device), devices)
        except Exception as exc:  # the student's bug, reported as the case's output
            output, devices = _error_record(exc), []
        cases.append({"args": case.args, "kwargs": case.kwargs, "output": output,
                      "output_devices": devices})
    return {"version": RECORD_VERSION, "exercise": exercise_id, "suite": suite,
            "device": str(device), "cases": cases}


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dtype == b.dtype
                and a.shape == b.shape and bool(torch.equal(a, b)))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(_same(a[k], b[k]) for k in a))
    return type(a) is type(b) and a == b


def _describe_inputs(case: Case) -> str:
    parts = [describe(a) for a in case.args]
    parts += [f"{k}={describe(v)}" for k, v in case.kwargs.items()]
    return "; ".join(parts) if parts else "(no arguments)"


def judge(record: dict) -> Verdict:
    """The verdict on a record: a pure function of (exercise id, suite inputs, outputs)."""
    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
        raise ValueError("not a check record (wrong or missing version)")
    exercise_id, suite = record["exercise"], record["suite"]
    exercise = get_exercise(exercise_id)
    expected_cases = exercise.cases(suite)
    got_cases = record["cases"]
    verdict = Verdict(exercise_id, suite, passed=True, n_cases=len(expected_cases))
    if len(got_cases) != len(expected_cases) or not all(
            _same(c.args, g["args"]) and _same(c.kwargs, g["kwargs"])
            for c, g in zip(expected_cases, got_cases)):
        verdict.passed = False
        verdict.failures.append(f"{exercise_id} ({suite}): the record's inputs are not the "
                                "check's inputs; the record was altered, so nothing is credited")
        return verdict
    for i, (case, got) in enumerate(zip(expected_cases, got_cases), 1):
        expected = exercise.run(exercise.reference, case)
        output = got["output"]
        problem = exercise.compare(case, expected, output)
        if problem is None and not isinstance(output, dict):
            wrong = [d for d in got["output_devices"] if d != record["device"]]
            if wrong:
                problem = (f"the output is on {wrong[0]} but the inputs were on {record['device']}: "
                           "create results on the input's device (e.g. torch.zeros(..., "
                           "device=x.device)) so the code runs unchanged on a GPU")
        if problem is not None:
            verdict.passed = False
            verdict.failures.append(_failure_message(exercise, suite, i, len(expected_cases), case,
                                                     expected, output, problem))
    return verdict


def _failure_message(exercise: Exercise, suite: str, index: int, total: int, case: Case,
                     expected, got, problem: str) -> str:
    note = f" ({case.note})" if case.note else ""
    lines = [
        f"{exercise.id}: {suite} case {index} of {total}{note} is wrong.",
        f"  problem:  {problem}",
        f"  contract: {exercise.signature}",
        f"  input:    {_describe_inputs(case)}",
        f"  expected: {describe(expected)}",
        f"  got:      {describe(got)}",
    ]
    if isinstance(got, dict) and ERROR_KEY in got and got[ERROR_KEY].get("where"):
        lines.append(f"  raised at {got[ERROR_KEY]['where']}")
    lines.append(f"  to debug: args, kwargs = autograder.case_inputs({exercise.id!r}, {suite!r}, "
                 f"{index}); then call your function on them")
    return "\n".join(lines)


def check(exercise_id: str, fn, *, suite: str = "visible", device=None, quiet: bool = False) -> None:
    """Collect and judge in this process; raise :class:`CheckFailed` if any case is wrong.

    Returns nothing (so a test cell shows only the one line it prints); use
    ``judge(collect(...))`` for the :class:`Verdict` itself.
    """
    verdict = judge(collect(exercise_id, fn, suite=suite, device=device))
    if not verdict.passed:
        raise CheckFailed(verdict.message)
    if not quiet:
        print(f"\u2713 {verdict.message}")


def case_inputs(exercise_id: str, suite: str, index: int, device=None):
    """The ``index``-th (1-based, as in messages) input of a suite: ``(args, kwargs)`` on the device."""
    from lecture_lib.runtime import get_device

    cases = get_exercise(exercise_id).cases(suite)
    if not 1 <= index <= len(cases):
        raise IndexError(f"{exercise_id} ({suite}) has cases 1..{len(cases)}, not {index}")
    device = torch.device(device) if device is not None else get_device()
    case = cases[index - 1]
    return _to_device(case.args, device), _to_device(case.kwargs, device)
