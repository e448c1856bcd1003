"""The lecture notebooks: clean sources, released student versions in sync, execution,
and real nbgrader grading (solutions score full marks, student versions 0)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.__main__ import release
from autograder.notebooks import RELEASE, SOLUTIONS, assignments, ipc_kernel_manager, tool_env
from autograder.plan import validate_source
from nbgrader_helpers import TempCourse

ASSIGNMENTS = assignments()
SOURCES = sorted(SOLUTIONS.glob("*/*.ipynb"))


def test_there_is_at_least_one_assignment():
    assert "unit0_mnist" in ASSIGNMENTS


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*/*.ipynb")) + sorted(RELEASE.glob("*/*.ipynb")),
                         ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path}: outputs"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_sources_are_consistent(path):
    assert validate_source(path) == []


def test_validation_catches_inconsistent_cells(tmp_path):
    nb = nbformat.read(SOURCES[0], as_version=4)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    solution = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    graded[0].metadata["nbgrader"]["grade_id"] = solution[0].metadata["nbgrader"]["grade_id"]
    del graded[0].metadata["nbgrader"]["points"]
    solution[0].source = solution[0].source.replace("### END SOLUTION", "")
    nb.cells[0].source += "\n### BEGIN HIDDEN TESTS\nsecret\n### END HIDDEN TESTS"
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="x")]
    bad = tmp_path / "bad.ipynb"
    nbformat.write(nb, bad)
    problems = "\n".join(validate_source(bad))
    for expected in ("already used", "needs points", "BEGIN SOLUTION", "hidden tests outside",
                     "has outputs"):
        assert expected in problems, problems
    (tmp_path / "junk.ipynb").write_text("{not json")
    assert "not valid JSON" in validate_source(tmp_path / "junk.ipynb")[0]
    (tmp_path / "list.ipynb").write_text("[1, 2]")
    assert "not a Jupyter notebook" in validate_source(tmp_path / "list.ipynb")[0]


def test_released_notebooks_are_in_sync_with_solutions(tmp_path):
    """Regenerating notebooks/ from solutions/ must reproduce the committed files exactly."""
    assert release(None, out=tmp_path, quiet=True) == 0
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.glob("*/*.ipynb"))
    committed = sorted(p.relative_to(RELEASE) for p in RELEASE.glob("*/*.ipynb"))
    assert generated == committed, "run `make release` and commit notebooks/"
    for rel in generated:
        assert json.loads((tmp_path / rel).read_text()) == json.loads((RELEASE / rel).read_text()), \
            f"notebooks/{rel} is out of date: run `make release` and commit it"


def test_release_refuses_unknown_assignments(capsys):
    assert release(["no_such_unit"], quiet=True) == 2
    assert "no assignment no_such_unit" in capsys.readouterr().err


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_hides_solutions_and_hidden_tests(assignment):
    for student_nb in (RELEASE / assignment).glob("*.ipynb"):
        text = student_nb.read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert 'suite=\\"hidden\\"' not in text
        assert "raise NotImplementedError()" in text


def _execute(path: Path, cwd: Path):
    nb = nbformat.read(path, as_version=4)
    error = None
    with ipc_kernel_manager() as km:
        try:
            NotebookClient(nb, timeout=600, km=km, resources={"metadata": {"path": str(cwd)}}).execute()
        except CellExecutionError as exc:
            error = exc
    return nb, error


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_runs_until_the_first_exercise(assignment, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    for path in (RELEASE / assignment).glob("*.ipynb"):
        nb, error = _execute(path, tmp_path)
        assert error is not None, "the student version should stop at the first unimplemented exercise"
        assert "NotImplementedError" in str(error)
        assert "Run All stops here, at the first unfinished exercise" in str(error)
        failed = [c for c in nb.cells if c.cell_type == "code"
                  and any(o.get("output_type") == "error" for o in c.outputs)]
        meta = failed[0].metadata.get("nbgrader", {})
        assert meta.get("grade") or meta.get("solution"), "the first error must be in an exercise cell"
        # Every cell before it ran.
        index = nb.cells.index(failed[0])
        assert all(c.execution_count for c in nb.cells[:index] if c.cell_type == "code")


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_gives_solutions_full_marks_and_stubs_zero(assignment, tmp_path):
    course = TempCourse(tmp_path / "course")
    released = course.generate(assignment)
    course.submit("solution_author", assignment, sorted((SOLUTIONS / assignment).glob("*.ipynb")))
    course.submit("blank_student", assignment, sorted(released.glob("*.ipynb")))
    scores = course.autograde(assignment)
    full, max_score = scores["solution_author"]
    assert max_score > 0 and full == max_score, scores
    assert scores["blank_student"] == (0, max_score), scores


def test_the_course_configuration_reaches_nbgrader(tmp_path):
    """The throw-away course runs nbgrader with course/nbgrader_config.py (a wrong flag once left
    nbgrader on its 30 s per-cell default, which the CartPole check outlives)."""
    code = ("import sys; from nbgrader.apps.autogradeapp import AutogradeApp; app = AutogradeApp.instance(); "
            "app.initialize(sys.argv[1:]); from nbgrader.preprocessors import Execute; "
            "print(Execute(parent=app).timeout, app.config.OverwriteCells.add_missing_cells)")
    course = TempCourse(tmp_path / "course")
    proc = subprocess.run([sys.executable, "-c", code, *course.config_args()], capture_output=True, text=True,
                          env=tool_env(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["600", "True"], proc.stdout + proc.stderr


@pytest.mark.slow
def test_make_course_runner_executes_and_summarizes(repo, tmp_path):
    proc = subprocess.run([sys.executable, "tools/run_course.py", "--only", "unit0_mnist"], cwd=repo,
                          capture_output=True, text=True, env=tool_env(COURSE_PROGRESS="0"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "notebook" in proc.stdout and "seconds" in proc.stdout and "status" in proc.stdout
    assert "unit0_mnist/unit0_mnist.ipynb" in proc.stdout and "1 of 1 notebooks ok" in proc.stdout
    executed = nbformat.read(repo / "build/executed/unit0_mnist/unit0_mnist.ipynb", as_version=4)
    outputs = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "setting:   fast (COURSE_FAST=1)" in outputs and "first training labels: [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]" in outputs
    assert any("image/png" in o.get("data", {}) for c in executed.cells if c.cell_type == "code"
               for o in c.outputs), "the digit grid is missing"
    assert (repo / "build/html/unit0_mnist/unit0_mnist.html").stat().st_size > 10_000


def test_make_course_runner_reports_failures(repo, tmp_path):
    proc = subprocess.run([sys.executable, "tools/run_course.py", "--only", "no-such-notebook"],
                          cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 1 and "no notebooks found" in proc.stderr


@pytest.mark.slow
def test_make_course_runner_survives_bad_notebooks(repo, tmp_path):
    """A failing cell, broken JSON, a non-notebook and an endless loop each get a status (the
    loop is stopped by the per-cell timeout); the others still run."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    good = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('fine')")])
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                          nbformat.v4.new_code_cell("1 / 0"),
                                          nbformat.v4.new_code_cell("print('never')")])
    nbformat.write(good, folder / "a_good.ipynb")
    nbformat.write(bad, folder / "b_bad.ipynb")
    (folder / "c_corrupt.ipynb").write_text('{"cells": [')
    (folder / "d_not_a_notebook.ipynb").write_text('{"hello": 1}')
    loop = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("while True:\n    pass")])
    nbformat.write(loop, folder / "e_loops_forever.ipynb")
    paths = sorted(str(p) for p in folder.glob("*.ipynb"))
    proc = subprocess.run([sys.executable, "tools/run_course.py", "--timeout", "5", "--build",
                           str(tmp_path / "build"), *paths],
                          cwd=repo, capture_output=True, text=True, env=tool_env(), timeout=300)
    assert proc.returncode == 1
    table = {line.split()[0]: line.split()[-1] for line in proc.stdout.splitlines()
             if line.startswith("nbs/")}
    assert table == {"nbs/a_good.ipynb": "ok", "nbs/b_bad.ipynb": "failed",
                     "nbs/c_corrupt.ipynb": "error", "nbs/d_not_a_notebook.ipynb": "error",
                     "nbs/e_loops_forever.ipynb": "timeout"}, proc.stdout
    assert "ZeroDivisionError" in proc.stderr and "not valid JSON" in proc.stderr
    assert "not a Jupyter notebook" in proc.stderr
    executed = nbformat.read(tmp_path / "build/executed/nbs/b_bad.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["ename"] == "ZeroDivisionError"
    assert (folder / "c_corrupt.ipynb").read_text() == '{"cells": [', "inputs are never modified"
