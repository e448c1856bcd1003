"""Plan: what grading will do, read from the instructor's source notebook only.

:func:`plan_notebook` turns every test cell of a source notebook into a :class:`TestCell`: its
points and the ``check("<exercise>", <function>, suite=...)`` calls it holds (the only
statements a test cell may hold: :func:`parse_checks`). :func:`validate_source` is what
``python -m autograder release`` runs first: invalid JSON or notebook format, duplicated grade
ids, graded cells without points, unbalanced solution or hidden-test markers, hidden tests
outside graded cells, unlocked test cells, committed outputs, and test cells the trusted grader
could not run.

The steps of grading a class, in the order they happen: plan (here), merge the student's
notebook over the plan and run it in the sandbox (:mod:`autograder.grading`), judge the
records (:mod:`autograder.checks`), fan out and record (:mod:`autograder.cluster`,
:mod:`autograder.batch`), report (:mod:`autograder.reports`).
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import nbformat

from autograder.exercises import get_exercise
from autograder.notebooks import NotebookError, read_notebook
from autograder.registry import SUITES

__all__ = ["PlanError", "CheckSpec", "TestCell", "plan_notebook", "parse_checks", "strip_hidden",
           "validate_source", "nbgrader_meta", "HIDDEN_BEGIN", "HIDDEN_END"]

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


class PlanError(ValueError):
    """The instructor's source notebook cannot be graded by the trusted grader."""


@dataclasses.dataclass(frozen=True)
class CheckSpec:
    exercise: str
    function: str   # the expression naming the student's function, e.g. "standardize"
    suite: str


@dataclasses.dataclass
class TestCell:
    grade_id: str
    points: float
    checks: list[CheckSpec]
    visible_source: str   # what the student's notebook shows (hidden tests stripped)


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata; a ``grade_id`` that is not a string (a student's cell can hold
    anything) is left out, so the cell counts as the student's own."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if not isinstance(meta, dict):
        return {}
    if "grade_id" in meta and not isinstance(meta["grade_id"], str):
        meta = {k: v for k, v in meta.items() if k != "grade_id"}
    return meta


def strip_hidden(source: str) -> str:
    out, hiding = [], False
    for line in source.splitlines():
        if line.strip() == HIDDEN_BEGIN:
            hiding = True
        elif line.strip() == HIDDEN_END:
            hiding = False
        elif not hiding:
            out.append(line)
    return "\n".join(out).rstrip()


def parse_checks(source: str, where: str) -> list[CheckSpec]:
    """The ``check(...)`` calls of a test cell; anything else in it is a PlanError."""
    code = "\n".join(line for line in source.splitlines()
                     if line.strip() not in (HIDDEN_BEGIN, HIDDEN_END))
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise PlanError(f"{where}: the test cell is not valid Python ({exc})") from None
    checks = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "autograder":
            continue
        if isinstance(node, ast.Import) and all(a.name == "autograder" for a in node.names):
            continue
        call = node.value if isinstance(node, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, (ast.Name, ast.Attribute))
                and (getattr(call.func, "id", None) or getattr(call.func, "attr", None)) == "check"
                and len(call.args) == 2 and isinstance(call.args[0], ast.Constant)
                and isinstance(call.args[0].value, str)):
            raise PlanError(f"{where}: line {node.lineno}: a test cell may hold only imports of "
                            "autograder and check(\"<exercise>\", <function>[, suite=...]) calls")
        suite = "visible"
        for kw in call.keywords:
            if kw.arg == "suite" and isinstance(kw.value, ast.Constant) and kw.value.value in SUITES:
                suite = kw.value.value
            elif kw.arg not in ("quiet",):
                raise PlanError(f"{where}: line {node.lineno}: unsupported check argument {kw.arg!r}")
        exercise = call.args[0].value
        try:
            get_exercise(exercise)
        except KeyError as exc:
            raise PlanError(f"{where}: {exc.args[0]}") from None
        checks.append(CheckSpec(exercise, ast.unparse(call.args[1]), suite))
    if not checks:
        raise PlanError(f"{where}: the test cell has no check(...) call")
    return checks


def plan_notebook(source_path: Path) -> tuple[nbformat.NotebookNode, dict[str, TestCell]]:
    nb = read_notebook(source_path)
    tests: dict[str, TestCell] = {}
    for index, cell in enumerate(nb.cells, 1):
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            gid = meta["grade_id"]
            tests[gid] = TestCell(gid, float(meta.get("points", 0)),
                                  parse_checks(cell.source, f"{source_path.name} cell {index} ({gid})"),
                                  strip_hidden(cell.source))
    return nb, tests



# ----------------------------------------------------------------- validating before release

def _count(source: str, marker: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip() == marker)


def validate_source(path: Path) -> list[str]:
    """Problems with an nbgrader source (solution) notebook; empty list when it is fine."""
    try:
        nb = read_notebook(path)
    except NotebookError as exc:
        return [str(exc)]
    problems = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells, 1):
        meta = cell.metadata.get("nbgrader", {})
        where = f"{path.name} cell {index}"
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"{where}: has outputs; commit notebooks without outputs")
        hidden_begin = _count(cell.source, "### BEGIN HIDDEN TESTS")
        hidden_end = _count(cell.source, "### END HIDDEN TESTS")
        if hidden_begin != hidden_end:
            problems.append(f"{where}: unbalanced BEGIN/END HIDDEN TESTS markers")
        if hidden_begin and not (meta.get("grade") and not meta.get("solution")):
            problems.append(f"{where}: hidden tests outside a graded test cell would be released")
        if not meta:
            if _count(cell.source, "### BEGIN SOLUTION"):
                problems.append(f"{where}: has solution markers but no nbgrader metadata (the "
                                "solution would be released)")
            continue
        grade_id = meta.get("grade_id")
        if not grade_id and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            problems.append(f"{where}: nbgrader cell without a grade_id")
        if grade_id:
            if grade_id in seen:
                problems.append(f"{where}: grade_id {grade_id!r} already used by cell {seen[grade_id]}")
            seen[grade_id] = index
        if meta.get("grade"):
            points = meta.get("points")
            if not isinstance(points, (int, float)) or points <= 0:
                problems.append(f"{where}: graded cell {grade_id!r} needs points > 0")
        if meta.get("solution") and cell.cell_type == "code":
            begin, end = _count(cell.source, "### BEGIN SOLUTION"), _count(cell.source, "### END SOLUTION")
            if begin == 0 or begin != end:
                problems.append(f"{where}: solution cell {grade_id!r} needs balanced "
                                "### BEGIN SOLUTION / ### END SOLUTION markers")
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code" \
                and not meta.get("locked"):
            problems.append(f"{where}: test cell {grade_id!r} must be locked")
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
            try:
                parse_checks(cell.source, where)
            except PlanError as exc:  # trusted grading runs check() calls only
                problems.append(str(exc))
    return problems
