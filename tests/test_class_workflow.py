"""A class on one machine through nbgrader's exchange, with the real commands: the instructor
releases, a student (configured as ``make lab`` configures students: ``course/student`` on
``JUPYTER_CONFIG_PATH``) fetches, fills in the exercise and submits, the instructor collects,
grades with ``python -m autograder grade``, writes feedback and releases it, and the student
fetches feedback that shows the score."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader_helpers import TempCourse

from autograder.notebooks import COURSE, SOLUTIONS, tool_env

ASSIGNMENT = "unit0_mnist"
RELEASE_NB = COURSE.parent / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def _run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _fill_in(path: Path) -> None:
    """The student's work: each solution cell written (here: the instructor's solution)."""
    solution = nbformat.read(SOLUTIONS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers and cell.metadata["nbgrader"].get("solution"):
            cell.source = "\n".join(line for line in answers[gid].splitlines()
                                    if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    nbformat.write(nb, path)


@pytest.mark.slow
def test_release_fetch_submit_collect_grade_feedback_on_one_machine(tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir(mode=0o777)
    course = TempCourse(tmp_path / "course")
    teacher = tool_env(COURSE_EXCHANGE=str(exchange), COURSE_FAST="1", COURSE_PROGRESS="0")
    student_env = tool_env(COURSE_EXCHANGE=str(exchange), COURSE_FAST="1", COURSE_PROGRESS="0",
                           JUPYTER_CONFIG_PATH=str(COURSE / "student"))
    nbgrader = [sys.executable, "-m", "nbgrader"]
    home = tmp_path / "student"
    home.mkdir()

    course.generate(ASSIGNMENT)
    _run([*nbgrader, "release_assignment", ASSIGNMENT, *course.config_args()], course.root, teacher)
    listed = _run([*nbgrader, "list"], home, student_env)
    assert f"genpg {ASSIGNMENT}" in listed.stdout + listed.stderr

    _run([*nbgrader, "fetch_assignment", ASSIGNMENT], home, student_env)
    notebook = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert "raise NotImplementedError()" in notebook.read_text()
    _fill_in(notebook)
    _run([*nbgrader, "submit", ASSIGNMENT], home, student_env)

    _run([*nbgrader, "collect", ASSIGNMENT, *course.config_args()], course.root, teacher)
    student = getpass.getuser()
    assert (course.root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    csv_path = tmp_path / "grades.csv"
    _run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(course.root),
          "--csv", str(csv_path), "--course", str(course.root), "--workers", "1"], COURSE.parent, teacher)
    header, row = csv_path.read_text().splitlines()[:2]
    assert row.startswith(f"{student},{ASSIGNMENT},2,2,graded,,"), row
    _run([sys.executable, "-m", "autograder", "feedback", ASSIGNMENT, "--course", str(course.root)],
         COURSE.parent, teacher)
    _run([*nbgrader, "release_feedback", ASSIGNMENT, *course.config_args()], course.root, teacher)

    _run([*nbgrader, "fetch_feedback", ASSIGNMENT], home, student_env)
    [page] = (home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")
    text = page.read_text()
    assert "Autograder feedback: 2 / 2 points" in text
    assert "BEGIN HIDDEN TESTS" not in text


def test_students_get_no_instructor_tools():
    """``make lab``'s configuration for students: the Formgrader, Course List and Create
    Assignment are off (server and JupyterLab), the Assignment List and Validate are on, and
    the exchange is the course's."""
    import json

    server = json.loads((COURSE / "student" / "jupyter_server_config.json").read_text())
    off = {k for k, v in server["ServerApp"]["jpserver_extensions"].items() if v is False}
    assert off == {"nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"}
    page = json.loads((COURSE / "student" / "labconfig" / "page_config.json").read_text())
    assert set(page["disabledExtensions"]) == {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                                               "@jupyter/nbgrader:create-assignment"}
    code = ("from nbgrader.apps import NbGraderAPI\nfrom traitlets.config import Config\n"
            "from nbgrader.apps.baseapp import NbGrader\n"
            "app = NbGrader(); app.load_config_file()\n"
            "print(app.config.CourseDirectory.course_id, app.config.Exchange.root)")
    out = _run([sys.executable, "-c", code], COURSE.parent / "notebooks",
               tool_env(JUPYTER_CONFIG_PATH=str(COURSE / "student"), COURSE_EXCHANGE=""))
    assert out.stdout.split() == ["genpg", str(COURSE / "exchange")]


def test_a_function_that_was_never_defined_is_judged_not_refused():
    """A submission whose exercise cell failed (e.g. an IndentationError) leaves the function
    undefined: every case gets the NameError, in a record the grader accepts (it once shared one
    error dict between cases and was refused as forged, shown to instructors as tampering)."""
    from autograder import judge
    from autograder.exercises import get_exercise
    from autograder_kernel.collect import failed_record
    from autograder_kernel.serialize import dumps, loads

    cases = get_exercise("unit0.images_to_vectors").cases("hidden", seed=7)
    try:
        images_to_vectors  # noqa: B018,F821  (what the test cell's lookup does)
    except NameError as exc:
        record = loads(dumps(failed_record("unit0.images_to_vectors", "hidden", "cpu", cases, exc)))
    verdict = judge(record, exercise_id="unit0.images_to_vectors", suite="hidden", cases=cases)
    assert not verdict.passed and len(verdict.briefs) == len(cases)
    assert "the cell that defines it did not run to the end" in verdict.failures[0]
    assert "raised at" not in verdict.failures[0]


@pytest.mark.slow
@pytest.mark.parametrize("lms,names", [
    ("canvas", {"smithjane": "smithjane_12345_67890_unit0_mnist.ipynb",
                "doejohn": "doejohn_LATE_23456_78901_unit0_mnist-1.ipynb"}),
    ("moodle", {"123456": "Jane Smith_123456_assignsubmission_file_/unit0_mnist.ipynb",
                "234567": "John Doe_234567_assignsubmission_file_unit0_mnist.ipynb"}),
])
def test_a_learning_platforms_zip_is_imported_and_graded(tmp_path, lms, names):
    """The LMS route: a 'download all submissions' zip in the platform's naming is imported into
    submitted/ (nbgrader zip_collect) and graded: the right score per student; a file that does
    not follow the convention is reported, not imported; a hostile archive is refused whole."""
    import zipfile

    course = tmp_path / "course"
    course.mkdir()
    solved = tmp_path / "solved.ipynb"
    shutil.copy(RELEASE_NB, solved)
    _fill_in(solved)
    archive = tmp_path / "submissions.zip"
    (good, good_name), (stub, stub_name) = names.items()
    with zipfile.ZipFile(archive, "w") as z:
        z.write(solved, good_name)
        z.write(RELEASE_NB, stub_name)
        z.writestr("readme.ipynb", "{}")
    env = tool_env(COURSE_FAST="1", COURSE_PROGRESS="0")
    out = _run([sys.executable, "-m", "autograder", "import-zip", ASSIGNMENT, str(archive), "--lms", lms,
                "--course", str(course)], COURSE.parent, env)
    assert "2 student(s) now have unit0_mnist" in out.stdout and "readme.ipynb" in out.stderr
    for student in (good, stub):
        assert (course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    if lms == "canvas":   # grading is the same for every platform once the files are in submitted/
        csv_path = tmp_path / "grades.csv"
        _run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(course), "--csv",
              str(csv_path), "--course", str(course), "--workers", "2"], COURSE.parent, env)
        rows = {line.split(",")[0]: line.split(",")[2] for line in csv_path.read_text().splitlines()[1:]}
        assert rows == {good: "2", stub: "0"}

    hostile = tmp_path / "hostile.zip"
    with zipfile.ZipFile(hostile, "w") as z:
        z.writestr("../../evil_12345_67890_unit0_mnist.ipynb", "{}")
    proc = subprocess.run([sys.executable, "-m", "autograder", "import-zip", ASSIGNMENT, str(hostile), "--lms", lms,
                           "--course", str(tmp_path / "other")], cwd=COURSE.parent, capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 2 and "would unpack outside its folder" in proc.stderr
    assert not (tmp_path / "other").exists()
