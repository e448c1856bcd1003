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
  exception raised). :func:`autograder_kernel.serialize.dumps` turns a record into bytes.
- :func:`judge` is a pure function of the record: it draws the suite's inputs again and
  refuses a record whose inputs differ, computes the reference on them, compares, and
  returns a :class:`Verdict`. Given the bytes of a record, it can run in any process.

Where it runs matters. :func:`check` collects *and* judges inside the student's kernel, so
under plain ``nbgrader autograde`` a student's code that monkeypatches this module (or
returns the reference's own result) can fool it: that is fine for feedback, not for grades.
Trustworthy grading runs only :func:`collect` in the (sandboxed) kernel and calls
``judge(record, exercise_id=..., suite=...)`` in a separate, trusted process that names the
exercise and suite it expects; that is the autograder CLI's job.

:func:`check` does both in the kernel, for the student's own feedback, and raises
:class:`CheckFailed` (an ``AssertionError``) naming the input, the expected and the got
value. :func:`case_inputs` gives a student the exact failing input to debug with.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

import torch

from autograder.compare import agree, describe
from autograder.exercises import get_exercise
from autograder.registry import Case, Exercise
from autograder_kernel.collect import RECORD_VERSION, changed_inputs, collect_cases, to_device
from autograder_kernel.runners import default_run
from autograder_kernel.serialize import sanitize

__all__ = ["check", "collect", "judge", "Verdict", "CheckFailed", "case_inputs", "run_case", "RECORD_VERSION"]



class CheckFailed(AssertionError):
    """A check found a wrong answer; the message says on which input and how.

    Jupyter shows the message alone (IPython's ``_render_traceback_`` hook), in the notebook
    and in nbgrader's Validate dialog: the frames inside the checker say nothing to a student
    and pushed the ``problem:`` line below the fold."""

    def _render_traceback_(self) -> list[str]:
        first, *rest = str(self).splitlines() or [""]
        return [f"CheckFailed: {first}", *rest]


@dataclass
class Verdict:
    exercise: str
    suite: str
    passed: bool
    n_cases: int
    failures: list[str] = field(default_factory=list)  # one message per failing case
    briefs: list[str] = field(default_factory=list)  # the same, the kind of problem only (hidden_problem)
    diagnoses: list = field(default_factory=list)  # per failing case: the known mistakes it matches (None: not examined)

    def brief(self) -> str:
        """The verdict without inputs, expected or got values: which case (and its note) and
        what kind of problem (for hidden suites)."""
        if self.passed:
            return f"passed: {self.exercise} ({self.suite}), all {self.n_cases} cases correct"
        more = len(self.briefs) - 1
        return (f"{self.exercise} ({self.suite}): {self.briefs[0] if self.briefs else 'failed'}"
                + (f" ({more} more of the {self.n_cases} cases fail too)" if more > 0 else ""))

    @property
    def message(self) -> str:
        if self.passed:
            return f"passed: {self.exercise} ({self.suite}), all {self.n_cases} cases correct"
        more = len(self.failures) - 1
        tail = (f"\n({more} more of the {self.n_cases} cases fail too; fix this one first)"
                if more > 0 else "")
        return self.failures[0] + tail


def collect(exercise_id: str, fn, *, suite: str = "visible", device=None, cases=None) -> dict:
    """Run ``fn`` on every input of the suite (or on ``cases``, a list of :class:`Case`);
    return the record (plain data, CPU tensors)."""
    from lecture_lib.runtime import get_device

    exercise = get_exercise(exercise_id)
    if not callable(fn):
        raise TypeError(f"check({exercise_id!r}, ...) needs your function as its second "
                        f"argument, got {describe(fn)}")
    return collect_cases(exercise_id, suite, fn, exercise.cases(suite) if cases is None else cases,
                         exercise.run, torch.device(device) if device is not None else get_device())


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dtype == b.dtype
                and a.shape == b.shape):
            return False
        if a.dtype.is_floating_point:  # NaN inputs are legitimate: equal where both are NaN
            return bool(((a == b) | (a.isnan() & b.isnan())).all())
        return bool(torch.equal(a, b))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(_same(a[k], b[k]) for k in a))
    return type(a) is type(b) and a == b


def _describe_inputs(case: Case, run=None) -> str:
    custom = getattr(run, "describe_inputs", None)   # a runner that builds the arguments says what it passes
    if custom is not None:
        try:
            return custom(case)
        except Exception:   # a message must never fail: fall back to the raw inputs
            pass
    parts = [describe(a) for a in case.args]
    parts += [f"{k}={describe(v)}" for k, v in case.kwargs.items()]
    return "; ".join(parts) if parts else "(no arguments)"


def _validate_record(record) -> None:
    """Raise ValueError unless ``record`` has the structure :func:`collect` produces."""
    def bad(why):
        raise ValueError(f"not a check record: {why}")

    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
        bad("wrong or missing version")
    for key, kind in (("exercise", str), ("suite", str), ("device", str), ("cases", list)):
        if not isinstance(record.get(key), kind):
            bad(f"{key!r} missing or not a {kind.__name__}")
    for i, case in enumerate(record["cases"], 1):
        if not isinstance(case, dict):
            bad(f"case {i} is not a dict")
        if not isinstance(case.get("args"), tuple) or not isinstance(case.get("kwargs"), dict):
            bad(f"case {i} has no args tuple / kwargs dict")
        devices = case.get("output_devices")
        if not isinstance(devices, list) or not all(isinstance(d, str) for d in devices):
            bad(f"case {i} has no output_devices list")
        error = case.get("error")
        if error is not None and not (isinstance(error, dict) and all(
                isinstance(error.get(k), str) for k in ("type", "message", "where"))):
            bad(f"case {i} has a malformed error")
        if "output" not in case:
            bad(f"case {i} has no output")
        changed = case.get("changed_inputs", [])
        if not isinstance(changed, list) or not all(isinstance(c, str) and len(c) <= 100 for c in changed):
            bad(f"case {i} has a malformed changed_inputs list")
    if record.get("function") is not None and not isinstance(record["function"], str):
        bad("'function' is not a string")


def judge(record: dict, exercise_id: str | None = None, suite: str | None = None,
          cases: list | None = None, *, expected: list | None = None, diagnose_mistakes: bool = True,
          first_failure_only: bool = False) -> Verdict:
    """The verdict on a record: a pure function of (exercise id, suite inputs, outputs).

    ``exercise_id`` / ``suite``: what the grader expects the record to be; a record for
    another exercise or suite gets no credit. Raises ValueError for anything that is not a
    record :func:`collect` could have made. ``cases``: the inputs the record must be for,
    when the grader drew them itself (from a secret seed); default: the suite's own.
    ``expected``: the reference's outputs on those cases, when the caller computed them once
    for many records (the audit); ``diagnose_mistakes=False`` skips naming known mistakes;
    ``first_failure_only`` stops at the first failing case (the audit needs no more).
    """
    _validate_record(record)
    got_id, got_suite = record["exercise"], record["suite"]
    try:
        exercise = get_exercise(exercise_id or got_id)
        expected_cases = exercise.cases(suite or got_suite) if cases is None else list(cases)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"not a check record: {exc}") from None
    verdict = Verdict(exercise.id, suite or got_suite, passed=True, n_cases=len(expected_cases))
    if (exercise_id and got_id != exercise_id) or (suite and got_suite != suite):
        verdict.passed = False
        verdict.failures.append(f"{exercise.id} ({verdict.suite}): the record is for {got_id} "
                                f"({got_suite}); nothing is credited")
        verdict.briefs.append("the record is for another exercise or suite")
        return verdict
    got_cases = record["cases"]
    if len(got_cases) != len(expected_cases) or not all(
            _same(c.args, g["args"]) and _same(c.kwargs, g["kwargs"])
            for c, g in zip(expected_cases, got_cases)):
        verdict.passed = False
        verdict.failures.append(f"{exercise.id} ({verdict.suite}): the record's inputs are not the "
                                "check's inputs; the record was altered, so nothing is credited")
        verdict.briefs.append("the record's inputs are not the check's inputs (altered record)")
        return verdict
    if expected is not None and len(expected) != len(expected_cases):
        raise ValueError(f"{len(expected)} expected outputs for {len(expected_cases)} cases")
    for i, (case, got) in enumerate(zip(expected_cases, got_cases), 1):
        reference = (None if exercise.criterion else exercise.run(exercise.reference, case)) if expected is None \
            else expected[i - 1]
        if got["error"] is not None:
            problem, shown = _error_problem(got["error"]), {"__raised__": got["error"]}
        else:
            shown = got["output"]
            try:
                problem = exercise.compare(case, reference, shown)
            except Exception as exc:  # an output the comparison cannot handle is wrong
                problem = f"the output could not be compared ({type(exc).__name__}: {exc})"
            if problem is None:
                wrong = [d for d in got["output_devices"] if d != record["device"]]
                if wrong:
                    problem = (f"the output is on {wrong[0]} but the inputs were on {record['device']}: "
                               "create results on the input's device (e.g. torch.zeros(..., "
                               "device=x.device)) so the code runs unchanged on a GPU")
            if problem is None and exercise.inputs_unchanged and got.get("changed_inputs"):
                problem = changed_problem(exercise, got["changed_inputs"])
        if problem is not None:
            verdict.passed = False
            # Only the first failing case is diagnosed: it is the one the message shows, and a
            # diagnosis reruns every known mistake on the case (whole training runs, for some).
            examined = diagnose_mistakes and got["error"] is None and not verdict.failures
            changed = (got.get("changed_inputs") or []) if exercise.inputs_unchanged else []
            known = diagnose(exercise, case, reference, shown, changed) if examined else []
            likely = ("this matches a known mistake, " + "; or ".join(f"{m.name}: {m.hint}" for m in known)
                      if known else None)
            verdict.failures.append(_failure_message(exercise, verdict.suite, i, len(expected_cases),
                                                     case, reference, shown, problem, record.get("function"),
                                                     likely))
            note = f" ({case.note})" if case.note else ""
            verdict.briefs.append(f"case {i} of {len(expected_cases)}{note}: {hidden_problem(problem)}"
                                  + (f" ({likely})" if likely else ""))
            verdict.diagnoses.append([m.name for m in known] if examined else None)
            if first_failure_only:
                break
    return verdict


def argument_names(signature: str) -> list[str]:
    """The parameter names of a contract line ``"name(a: (N, D), b, c=1) -> ..."``."""
    start = signature.find("(")
    depth, part, parts = 0, "", []
    for ch in signature[start + 1:] if start >= 0 else "":
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(part)
            part = ""
        else:
            part += ch
    parts.append(part)
    names = [re.match(r"\s*\**([A-Za-z_]\w*)", p) for p in parts]
    return [m.group(1) for m in names if m]


def changed_problem(exercise: Exercise, changed: list[str]) -> str:
    """The sentence for a function that changed its inputs in place."""
    # Positions count the case's inputs: they are the function's own arguments only when the
    # runner passes them through (a plain call, or with_grads); other runners build what the
    # function gets (a model from a state dict, an optimizer), so no name is given there.
    # A runner that builds the function's arguments may name the case inputs it passes on
    # (``input_names``: one entry per case argument, None for what it builds from them).
    built = getattr(exercise.run, "input_names", None)
    names = argument_names(exercise.signature) if getattr(exercise.run, "spec", ("",))[0] in ("call", "with_grads") else []
    try:   # a contract line whose text has commas of its own ("dict of a, b") names no arguments
        import inspect
        if len(names) > len(inspect.signature(exercise.reference).parameters):
            names = []
    except (TypeError, ValueError):
        names = []
    shown = []
    for c in changed[:5]:
        position = c.isascii() and c.isdigit() and len(c) <= 3
        if position and built is not None and 1 <= int(c) <= len(built):
            name = built[int(c) - 1]
            shown.append(f"`{name}`" if name else f"an input the check built for your function (case input {c})")
        elif position and 1 <= int(c) <= len(names):
            shown.append(f"`{names[int(c) - 1]}` (argument {c})")
        elif position:
            shown.append(f"argument {c}")
        else:
            shown.append(f"`{c}`" if c.isascii() and c.isidentifier() else "(one of them)")
    what = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return (f"your function changed its input{'s' if len(shown) > 1 else ''} {what} in place: the caller's data is no longer what it "
            "passed. Leave inputs unchanged: compute new tensors (x = x - m, not x -= m) or work on a "
            "copy (x.clone()) before writing into it")


def diagnose(exercise: Exercise, case: Case, expected, got, changed: list | tuple = ()) -> list:
    """The exercise's known mistakes (:class:`autograder.registry.Misconception`) whose output on
    ``case`` equals ``got`` and that change the same inputs in place as the student's function
    did (``changed``), among those that are wrong on this case (a mistake that happens to give
    the right answer here, leaving the inputs alone, says nothing). Only called for an output
    that failed the case, so a correct solution is never diagnosed. Each mistake runs on copies
    of the inputs."""
    if expected is None:   # behavioural checks have no reference output to tell a mistake by
        return []
    matches = []
    for mistake in exercise.misconceptions:
        try:
            copy = Case(to_device(case.args, "cpu"), to_device(case.kwargs, "cpu"), case.note)
            out = sanitize(exercise.run(mistake.fn, copy), [])   # as the record holds the student's output
            its_changes = changed_inputs(case, copy) if exercise.inputs_unchanged else []
            if exercise.compare(case, expected, out) is None and not its_changes:
                continue
            if sorted(its_changes) == sorted(changed) and (_close(out, got) or exercise.compare(case, out, got) is None):
                matches.append(mistake)
        except Exception:   # a mistake that cannot run on this case tells nothing
            continue
    return matches


def _close(a, b) -> bool:
    """The same output up to float rounding (for comparisons that are not symmetric, such as
    a greedy policy judged against the expected values)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.is_floating_point:
            return bool(torch.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))
        return bool(torch.equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return (a != a and b != b) or abs(a - b) <= 1e-9 + 1e-6 * abs(a)
    return type(a) is type(b) and a == b


_KINDS = [  # (pattern in a problem sentence, the kind of problem it is), first match wins
    (re.compile(r"^your function raised NotImplementedError: replace"), None),
    (re.compile(r"^your function raised (\w{1,80})"), "your function raised {0}"),
    (re.compile(r"^your function returned (an? \w{1,80})"), "your function returned {0}, not a torch.Tensor"),
    (re.compile(r"^([^\n]{1,80}?) should be a torch\.Tensor"), "{0} is not a torch.Tensor"),
    (re.compile(r"^([^\n]{1,80}?) should be a tuple"), "{0} is not the tuple the contract asks for"),
    (re.compile(r"^([^\n]{1,80}?) (?:has|have) shape [^\n]{0,200}? but should have shape"), "{0} {has} the wrong shape"),
    (re.compile(r"^([^\n]{1,80}?) (?:has|have) dtype [^\n]{0,80}? but should have dtype"), "{0} {has} the wrong dtype"),
    (re.compile(r"^the output is on [^\n]{0,200}? but the inputs were on"), "the output is on the wrong device"),
    (re.compile(r"^your function changed its (inputs? [^\n]{1,200}?) in place"), "your function changed its {0} in place"),
    (re.compile(r"^([^\n]{1,80}?) contains? \d{1,12} non-finite"), "{0} {contains} NaN or infinite values"),
    (re.compile(r"^([^\n]{1,80}?) (?:is|are) wrong\b"), "{0} {has} wrong values"),
]


def hidden_problem(problem: str) -> str:
    """The kind of problem, without any value: what a hidden suite's verdict may say. Every
    pattern is bounded (the text may come from a forged record): linear time."""
    problem = problem[:600]
    for pattern, kind in _KINDS:
        m = pattern.search(problem)
        if m:
            if kind is None:
                return problem
            groups = [g[:80] for g in m.groups()]
            subject = groups[0] if groups else ""
            return kind.format(*groups, has=agree(subject, "has", "have"),
                               contains=agree(subject, "contains", "contain"))
    if not re.search(r"\d", problem) and len(problem) <= 300:
        return problem  # a sentence without numbers names no value
    return "the output is wrong (the details are shown for visible tests only)"


def _error_problem(error: dict) -> str:
    if error["type"] == "ContractError":  # raised by a runner, not by the student's code
        return error["message"]
    if error["type"] == "NotImplementedError" and not error["message"].strip():
        return ("your function raised NotImplementedError: replace the "
                "`raise NotImplementedError()` line with your code")
    return f"your function raised {error['type']}" + (f": {error['message']}" if error["message"] else "")


def _failure_message(exercise: Exercise, suite: str, index: int, total: int, case: Case,
                     expected, got, problem: str, function: str | None = None, likely: str | None = None) -> str:
    note = f" ({case.note})" if case.note else ""
    lines = [
        f"{exercise.id}: {suite} case {index} of {total}{note} is wrong.",
        f"  problem:  {problem}",
        *([f"  likely:   {likely}"] if likely else []),
        f"  contract: {exercise.signature}",
        f"  input:    {_describe_inputs(case, exercise.run)}",
        f"  expected: {exercise.criterion or exercise.expected_shown or describe(expected)}",
        f"  got:      {describe(got)}",
    ]
    raised = got.get("__raised__") if isinstance(got, dict) and len(got) == 1 else None
    if isinstance(raised, dict) and isinstance(raised.get("where"), str) and raised["where"]:
        lines.append(f"  raised at {raised['where']}")
    lines += debug_advice(exercise, suite, index, function)
    return "\n".join(lines)


def debug_advice(exercise: Exercise, suite: str, index: int, function: str | None) -> list[str]:
    """Lines a student can paste into a cell as they are, to rerun the failing case.
    ``function``: the name the function is bound to (``None``: a placeholder the student fills)."""
    plain = isinstance(function, str) and function.isidentifier() and not keyword.iskeyword(function) and len(function) <= 80
    fn = function if plain else "your_function"
    where = f"{exercise.id!r}, {suite!r}, {index}"
    lines = [f"  to debug: from autograder import case_inputs, run_case",
             f"            out = run_case({where}, {fn})   # this case, run exactly as the check runs it"]
    if exercise.run is default_run:
        lines.append(f"            args, kwargs = case_inputs({where})   # its inputs: out is {fn}(*args, **kwargs)")
    else:  # the case goes through a runner (a model built, gradients taken, the function called k times)
        lines.append(f"            args, kwargs = case_inputs({where})   # the inputs the check's runner starts from")
    if fn != function:
        lines.append(f"            (replace your_function by the name of your function)")
    return lines


def check(exercise_id: str, fn, *, suite: str = "visible", device=None, quiet: bool = False) -> None:
    """Collect and judge in this process; raise :class:`CheckFailed` if any case is wrong.

    Returns nothing (so a test cell shows only the one line it prints); use
    ``judge(collect(...))`` for the :class:`Verdict` itself.
    """
    record = collect(exercise_id, fn, suite=suite, device=device)
    verdict = judge(record)
    if not verdict.passed:
        if record["cases"] and all((c.get("error") or {}).get("type") == "NotImplementedError" for c in record["cases"]):
            raise CheckFailed(not_written_message(exercise_id, record.get("function")))
        raise CheckFailed(verdict.message)
    if not quiet:
        print(f"\u2713 {verdict.message}")


def not_written_message(exercise_id: str, function: str | None) -> str:
    """The message for a function that raised NotImplementedError on every case: a stub (or a
    function that calls one). Short, because nothing was wrong yet: nothing was written."""
    name = f"`{function}`" if isinstance(function, str) and function.isidentifier() else "your function"
    return (f"{exercise_id}: {name} is not written yet: it raised NotImplementedError on every case (it, or an "
            "exercise it calls, still has `raise NotImplementedError()`).\n"
            "  Run All stops here, at the first unfinished exercise. Write the function in its cell above, "
            "run that cell, then run this check again (or Run All).")


def run_case(exercise_id: str, suite: str, index: int, fn, device=None):
    """Run ``fn`` on the ``index``-th (1-based) case of a suite exactly as the check does
    (through the exercise's runner, on the device) and return what it returned."""
    args, kwargs = case_inputs(exercise_id, suite, index, device=device)
    return get_exercise(exercise_id).run(fn, Case(args, kwargs))


def case_inputs(exercise_id: str, suite: str, index: int, device=None):
    """The ``index``-th (1-based, as in messages) input of a suite: ``(args, kwargs)`` on the device."""
    from lecture_lib.runtime import get_device

    cases = get_exercise(exercise_id).cases(suite)
    if not 1 <= index <= len(cases):
        raise IndexError(f"{exercise_id} ({suite}) has cases 1..{len(cases)}, not {index}")
    device = torch.device(device) if device is not None else get_device()
    case = cases[index - 1]
    return to_device(case.args, device), to_device(case.kwargs, device)
