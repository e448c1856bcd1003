"""What trusted grading runs inside the student's (sandboxed) kernel: nothing but collecting.

For each ``check(...)`` of a test cell, the grader writes the inputs it drew to a file in the
submission's private folder and executes
``autograder._kernel.collect_to_file(exercise_id, lambda: <function>, suite, cases, record)``.
The record (the function's outputs, or the exceptions it raised) is written next to it and
judged by the grader, outside the kernel. Nothing here decides a score: student code that
patches this module can only change what the record claims its function returned.
"""

from __future__ import annotations

import os

from autograder.checks import RECORD_VERSION, _error_record, collect
from autograder.registry import Case
from autograder.serialize import dumps, loads

__all__ = ["collect_to_file"]


def _read_cases(path: str) -> list[Case]:
    with open(path, "rb") as f:
        raw = loads(f.read())
    return [Case(tuple(args), dict(kwargs), str(note)) for args, kwargs, note in raw]


def collect_to_file(exercise_id: str, get_fn, suite: str, cases_path: str, record_path: str) -> None:
    cases = _read_cases(cases_path)
    try:
        fn = get_fn()
        record = collect(exercise_id, fn, suite=suite, cases=cases)
    except Exception as exc:  # the function is missing or not callable: every case fails
        error = _error_record(exc)
        record = {"version": RECORD_VERSION, "exercise": exercise_id, "suite": suite, "device": "cpu",
                  "cases": [{"args": c.args, "kwargs": c.kwargs, "output": None, "error": error,
                             "output_devices": []} for c in cases]}
    data = dumps(record)
    tmp = record_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, record_path)
    print(f"collected {exercise_id} ({suite}): {len(cases)} cases")
