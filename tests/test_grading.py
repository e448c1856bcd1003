"""The grading CLI against a class of adversarial submissions (tests/grading_fixture.py).

One ``python -m autograder grade`` run grades every submission in parallel (module fixture);
the tests read its exit status, CSV, gradebook, graded notebooks and feedback pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.notebooks import REPO_ROOT
from autograder.sandbox import probe
import grading_fixture as fx
from cli_helpers import read_csv, run_cli
from dask_cluster import dask_cluster


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    course = root / "course"
    course.mkdir()
    source, expected = fx.write_class(root, REPO_ROOT, course)
    out = root / "grades.csv"
    proc = run_cli("grade", fx.ASSIGNMENT, "--submissions", root / "submissions", "--csv", out,
                   "--workers", 2, "--cell-timeout", 15, "--timeout", 300, "--memory", "3G",
                   "--max-procs", 64, "--course", course, "--source", source)
    return {"root": root, "course": course, "source": source, "csv": out, "proc": proc,
            "rows": read_csv(out) if out.exists() else {}, "expected": expected}


def notebook_text(graded, student) -> str:
    path = graded["course"] / "autograded" / student / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb"
    return path.read_text()


def outputs_text(graded, student) -> str:
    """Everything the graded notebook's cells printed (not their source)."""
    import json

    nb = json.loads(notebook_text(graded, student))
    texts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            text = out.get("text", "") or out.get("evalue", "")
            texts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(texts)


def test_every_submission_gets_a_row_and_the_cli_exits_0(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(graded["rows"]) == set(graded["expected"])
    for row in graded["rows"].values():
        assert row["assignment"] == fx.ASSIGNMENT
        assert float(row["max_score"]) == fx.MAX_SCORE
        assert row["status"] == "graded" or row["status"].startswith("failed: ")
    assert "submissions in" in proc.stdout  # the summary
    assert "grading mini" in proc.stderr  # the progress bar


def test_sandbox_is_used_when_available(graded):
    works, why = probe()
    assert works, f"bubblewrap should work on this machine: {why}"
    assert "(sandboxed)" in graded["proc"].stdout
    assert "WARNING" not in graded["proc"].stderr


@pytest.mark.parametrize("student", list(fx.submissions(REPO_ROOT, Path("/nonexistent")).keys()) + ["no_notebook"])
def test_score(graded, student):
    row = graded["rows"][student]
    assert float(row["score"]) == graded["expected"][student], row


def test_statuses_say_what_went_wrong(graded):
    rows = graded["rows"]
    for student in ("corrupt_json", "not_a_notebook", "binary_garbage"):
        assert rows[student]["status"].startswith("failed: "), rows[student]
        assert "not valid JSON" in rows[student]["status"] or "not a Jupyter notebook" in rows[student]["status"] \
            or "cannot read" in rows[student]["status"]
    assert "not submitted" in rows["no_notebook"]["status"]
    for student in ("good", "stub", "calls_reference", "swallows_interrupt", "kills_kernel", "eats_memory",
                    "fork_bomb", "huge_output", "deletes_test", "edits_test", "duplicates_grade_id"):
        assert rows[student]["status"] == "graded", rows[student]
    assert rows["good"]["problems"] == "" and rows["good"]["flags"] == ""
    assert "ignored the interrupt" in rows["swallows_interrupt"]["problems"]
    assert "died" in rows["kills_kernel"]["problems"]
    assert "died" in rows["dies_in_solution"]["problems"]
    assert "output were dropped" in rows["huge_output"]["problems"]
    assert "'test_total' was missing; restored" in rows["deletes_test"]["problems"]
    assert "'test_standardize' was edited" in rows["edits_test"]["problems"]
    assert "duplicate" in rows["duplicates_grade_id"]["problems"]
    assert "test_standardize=2/2" in rows["good"]["parts"]


def test_near_copy_of_the_reference_is_flagged(graded):
    rows = graded["rows"]
    assert "near-copy of lecture_lib.returns.total_returns" in rows["copies_reference"]["flags"]
    assert "near-copy of lecture_lib.returns.standardize" in rows["pastes_short_reference"]["flags"]
    flagged = sorted(s for s, r in rows.items() if r["flags"])
    assert flagged == ["copies_reference", "pastes_short_reference"]


def test_fork_bomb_stops_at_the_process_limit(graded):
    text = outputs_text(graded, "fork_bomb")
    stopped = int(text.split("forks stopped at ", 1)[1].split()[0])
    assert 10 < stopped < 64


def test_calling_the_reference_is_reported_to_the_student(graded):
    text = outputs_text(graded, "calls_reference")
    assert "lecture_lib.returns.standardize is withheld while grading" in text


def test_student_code_sees_no_secrets_and_cannot_write_or_connect(graded):
    text = outputs_text(graded, "snoops")
    assert "SEES" not in text and "WROTE" not in text and "NETWORK" not in text
    assert text.count("hidden /") == 4 and "cannot write" in text and "no network" in text
    assert "HISTORY []" in text
    others = [s for s in graded["expected"] if s != "snoops"]
    found = next(line for line in text.splitlines() if "found [" in line)
    assert not any(f"/{s}-" in found for s in others), found
    assert not (graded["course"] / "pwned.txt").exists() and not (REPO_ROOT / "pwned.txt").exists()


def test_graded_notebooks_and_feedback_hold_no_hidden_tests(graded):
    proc = run_cli("feedback", fx.ASSIGNMENT, "--course", graded["course"])
    assert proc.returncode == 0, proc.stderr
    pages = list((graded["course"] / "feedback").rglob("*.html"))
    assert len(pages) >= len([s for s, e in graded["rows"].items() if not e["status"].startswith("failed")])
    texts = [p.read_text() for p in pages]
    texts += [p.read_text() for p in (graded["course"] / "autograded").rglob("*.ipynb")]
    for text in texts:
        assert "HIDDEN TESTS" not in text
        assert 'suite="hidden"' not in text and "suite=&quot;hidden&quot;" not in text
    import json
    for path in (graded["course"] / "autograded").rglob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            for out in cell.get("outputs", []):
                if out["output_type"] == "error":  # the student's own code's tracebacks only
                    assert "autograder" not in "".join(out["traceback"]), (path, out)
    good = (graded["course"] / "feedback" / "good" / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.html").read_text()
    assert "6 / 6 points" in good
    lookup = outputs_text(graded, "lookup_table")
    assert "hidden tests: unit4.standardize (hidden): case" in lookup


def test_gradebook_matches_the_csv_and_export_works(graded):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.score for s in gb.find_assignment(fx.ASSIGNMENT).submissions}
    assert scores == {s: float(r["score"]) for s, r in graded["rows"].items()}
    out = graded["root"] / "export.csv"
    proc = run_cli("export", "--to", out, "--course", graded["course"])
    assert proc.returncode == 0, proc.stderr
    exported = read_csv(out)
    assert float(exported["good"]["raw_score"]) == 6.0


@pytest.mark.timeout(900)
def test_a_dask_cluster_of_worker_processes_gives_the_same_csv(graded, tmp_path):
    """The same class through `dask scheduler` + two `dask worker` processes on 127.0.0.1: the same
    scores, statuses, parts and flags as the local run (the fixture), into its own gradebook."""
    course = tmp_path / "course"
    course.mkdir()
    out = tmp_path / "grades.csv"
    with dask_cluster(tmp_path / "cluster", workers=2) as cluster:
        proc = run_cli("grade", fx.ASSIGNMENT, "--submissions", graded["root"] / "submissions", "--csv", out,
                       "--cluster", cluster.address, "--cell-timeout", 15, "--timeout", 300, "--memory", "3G",
                       "--max-procs", 64, "--course", course, "--source", graded["source"])
    assert proc.returncode == 0, proc.stderr[-3000:] + cluster.logs()
    assert "Dask cluster tcp://127.0.0.1:" in proc.stdout and "(2 sandbox slots on 1 machine)" in proc.stdout
    rows = read_csv(out)
    assert set(rows) == set(graded["rows"])
    keys = ("score", "max_score", "status", "parts", "flags")
    for student, local in graded["rows"].items():
        assert {k: rows[student][k] for k in keys} == {k: local[k] for k in keys}, student


def test_regrade_replaces_old_grades(graded):
    from nbgrader.api import Gradebook

    subs = graded["root"] / "regrade" / "submitted" / "good" / fx.ASSIGNMENT
    subs.mkdir(parents=True)
    (subs / f"{fx.ASSIGNMENT}.ipynb").write_text("{ broken")
    out = graded["root"] / "regrade.csv"
    proc = run_cli("grade", fx.ASSIGNMENT, "--submissions", graded["root"] / "regrade", "--csv", out,
                   "--course", graded["course"], "--source", graded["source"], "--workers", 1)
    assert proc.returncode == 0, proc.stderr
    row = read_csv(out)["good"]
    assert row["status"].startswith("failed: ") and float(row["score"]) == 0
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        assert gb.find_submission(fx.ASSIGNMENT, "good").score == 0


def test_self_check(graded, tmp_path):
    good = graded["root"] / "submissions" / "submitted" / "good" / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb"
    proc = run_cli("check", good)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS  test_standardize (2 points)" in proc.stdout and "3 of 3 tests pass" in proc.stdout
    stub = graded["root"] / "submissions" / "submitted" / "edits_test" / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb"
    loop = tmp_path / "loop.ipynb"
    import nbformat
    nb = nbformat.read(str(stub.parent.parent.parent / "stub" / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb"), 4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import time\nwhile True:\n    try:\n        time.sleep(0.05)\n"
                                                 "    except KeyboardInterrupt:\n        pass"))
    nbformat.write(nb, str(loop))
    proc = run_cli("check", loop, "--cell-timeout", 5)
    assert proc.returncode == 1
    assert "FAIL  test_standardize" in proc.stdout and "NotImplementedError" in proc.stdout
    assert "0 of 3 tests pass" in proc.stdout
    bad = tmp_path / "bad.ipynb"
    bad.write_text("nope")
    assert run_cli("check", bad).returncode == 2


def test_lecture_solutions_score_full_marks_and_stubs_zero_through_the_cli(tmp_path):
    """Every lecture assignment graded by the CLI: the solution notebook (hidden tests and all)
    scores full marks with no problems and no flags; the released student version scores 0."""
    import shutil

    from autograder.notebooks import RELEASE, SOLUTIONS, assignments

    course = tmp_path / "course"
    course.mkdir()
    for assignment in assignments():
        for student, folder in (("solution", SOLUTIONS), ("stub", RELEASE)):
            dest = tmp_path / "subs" / "submitted" / student / assignment
            dest.mkdir(parents=True)
            for nb in (folder / assignment).glob("*.ipynb"):
                shutil.copy(nb, dest / nb.name)
        out = tmp_path / f"{assignment}.csv"
        proc = run_cli("grade", assignment, "--submissions", tmp_path / "subs", "--csv", out,
                       "--course", course, "--workers", 2)
        assert proc.returncode == 0, proc.stderr[-3000:]
        rows = read_csv(out)
        sol, stub = rows["solution"], rows["stub"]
        assert sol["status"] == "graded" and sol["score"] == sol["max_score"], sol
        assert sol["problems"] == "", sol
        # the instructor's solutions may be flagged: some mirror lecture_lib, docstrings included
        assert all(f.strip().startswith(f"{assignment}.ipynb: near-copy of lecture_lib.")
                   for f in sol["flags"].split("|") if f.strip()), sol
        assert stub["flags"] == "", stub
        assert stub["status"] == "graded" and float(stub["score"]) == 0, stub


def test_without_sandbox_warns_and_time_limit_per_submission(tmp_path):
    """--sandbox none: a loud warning, grading still works; --timeout stops a slow submission
    after the parts that ran (DIR may also be the submitted/ folder itself)."""
    import nbformat

    course = tmp_path / "course"
    course.mkdir()
    source = tmp_path / "source" / fx.ASSIGNMENT
    source.mkdir(parents=True)
    nbformat.write(fx.source_notebook(), str(source / f"{fx.ASSIGNMENT}.ipynb"))
    submitted = tmp_path / "submitted"
    for student in ("good", "sleeper"):
        nb = fx.student_notebook()
        if student == "sleeper":
            next(c for c in nb.cells if c.source == "print('exploring')").source = "import time\ntime.sleep(120)"
        (submitted / student / fx.ASSIGNMENT).mkdir(parents=True)
        nbformat.write(nb, str(submitted / student / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb"))
    out = tmp_path / "grades.csv"
    proc = run_cli("grade", fx.ASSIGNMENT, "--submissions", submitted, "--csv", out, "--course", course,
                   "--source", source.parent, "--sandbox", "none", "--timeout", 25, "--workers", 2)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "WARNING: submissions run WITHOUT a sandbox" in proc.stderr
    assert "NOT sandboxed" in proc.stdout
    rows = read_csv(out)
    assert float(rows["good"]["score"]) == 6
    sleeper = rows["sleeper"]
    assert float(sleeper["score"]) == 2 and sleeper["status"] == "graded", sleeper
    assert "time limit of 25 s was reached" in sleeper["problems"]


def test_release_refuses_test_cells_the_grader_cannot_run(tmp_path):
    import nbformat

    from autograder.plan import validate_source

    nb = fx.source_notebook()
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_total")
    cell.source += "\nassert total_returns is not None"
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, str(path))
    problems = validate_source(path)
    assert any("may hold only" in p for p in problems), problems
    cell.source = 'check("unit9.nope", total_returns)'
    nbformat.write(nb, str(path))
    assert any("unknown exercise id" in p for p in validate_source(path))
