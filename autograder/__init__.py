"""The course's autograder: checks that compare students' functions with ``lecture_lib``.

Test cells use :func:`check`; the instructor CLI is ``python -m autograder``.
"""

from autograder.checks import CheckFailed, Verdict, case_inputs, check, collect, judge, run_case
from autograder.exercises import all_exercises, get_exercise
from autograder.registry import Case, Exercise
from autograder_kernel.serialize import dumps, loads

__all__ = ["check", "collect", "judge", "Verdict", "CheckFailed", "case_inputs", "run_case", "Case",
           "Exercise", "get_exercise", "all_exercises", "dumps", "loads"]
