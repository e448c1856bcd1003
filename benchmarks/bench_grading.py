"""Grading a class: ``python -m autograder grade`` (default workers, sandboxed) against plain
sequential ``nbgrader autograde``, on the same 20 submissions of a real lecture notebook.

The submissions are unit 0 (MNIST) notebooks: half the instructor's solution, half the released
stub. Both graders get a fresh course whose gradebook already holds the assignment (set-up not
timed), and run one after the other in this process's run, so the ratio is measured under the
same machine load. Prints::

    {"name": "grading", "submissions": 20, "workers": W, "ours_seconds": ..., "nbgrader_seconds": ...,
     "speedup": ..., "ours_full_marks": ..., "nbgrader_full_marks": ...}

``BENCH_QUICK=1``: 4 submissions (a smoke run, not a figure).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import QUICK, emit

from autograder.notebooks import COURSE, RELEASE, SOLUTIONS, tool_env

ASSIGNMENT = "unit0_mnist"


def nbgrader(course: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--NbGrader.config_file={COURSE / 'nbgrader_config.py'}",
           f"--CourseDirectory.root={course}", f"--CourseDirectory.source_directory={SOLUTIONS}",
           f"--CourseDirectory.release_directory={course / 'release'}",
           f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}", "--log-level=ERROR"]
    proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True,
                          env=tool_env(COURSE_FAST="1", COURSE_PROGRESS="0"))
    if proc.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def make_course(root: Path, n: int, assignment: str = ASSIGNMENT) -> Path:
    """A fresh course at ``root`` whose gradebook holds ``assignment``, with ``n`` submissions:
    the even ones the instructor's solution, the odd ones the released stub."""
    course = root
    course.mkdir(parents=True)
    nbgrader(course, "generate_assignment", assignment, "--force")
    for i in range(n):
        folder = course / "submitted" / f"s{i:02d}" / assignment
        folder.mkdir(parents=True)
        src = SOLUTIONS if i % 2 == 0 else RELEASE
        for nb in (src / assignment).glob("*.ipynb"):
            shutil.copy(nb, folder / nb.name)
    return course


def grade_ours(course: Path, assignment: str, *extra: str) -> tuple[float, list[dict], str]:
    """``python -m autograder grade`` on ``course``'s submissions (into its own gradebook): the
    seconds it took, the CSV's rows and its console summary (also echoed to stderr)."""
    out = course / "grades.csv"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, "--submissions", str(course),
                           "--csv", str(out), "--course", str(course), "--no-progress", *extra],
                          capture_output=True, text=True, env=tool_env(COURSE_PROGRESS="0"))
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"autograder grade {' '.join(extra)} failed:\n{proc.stdout}\n{proc.stderr}")
    print(proc.stdout, file=sys.stderr)
    with open(out, newline="") as f:
        return seconds, list(csv.DictReader(f)), proc.stdout


def full_marks(rows: list[dict]) -> int:
    return sum(1 for r in rows if r["score"] == r["max_score"])


def grade_nbgrader(course: Path, assignment: str) -> tuple[float, int]:
    """Sequential ``nbgrader autograde``: the seconds it took and the full marks in its gradebook."""
    from nbgrader.api import Gradebook

    t0 = time.perf_counter()
    nbgrader(course, "autograde", assignment, "--force")
    seconds = time.perf_counter() - t0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return seconds, sum(1 for s in gb.find_assignment(assignment).submissions if s.score == s.max_score)


def main() -> None:
    n = 4 if QUICK else 20
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        ours, theirs = make_course(tmp / "ours", n), make_course(tmp / "nbgrader", n)
        ours_s, rows, summary = grade_ours(ours, ASSIGNMENT)
        theirs_s, theirs_full = grade_nbgrader(theirs, ASSIGNMENT)
    emit(name="grading", submissions=n, workers=workers, ours_seconds=round(ours_s, 2),
         nbgrader_seconds=round(theirs_s, 2), speedup=round(theirs_s / ours_s, 2),
         ours_full_marks=full_marks(rows), nbgrader_full_marks=theirs_full, sandboxed="(sandboxed)" in summary)


if __name__ == "__main__":
    main()
