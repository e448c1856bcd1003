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


def main() -> None:
    n = 4 if QUICK else 20
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        ours, theirs = make_course(tmp / "ours", n), make_course(tmp / "nbgrader", n)
        out = tmp / "grades.csv"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(ours),
                               "--csv", str(out), "--course", str(ours), "--no-progress"],
                              capture_output=True, text=True, env=tool_env(COURSE_PROGRESS="0"))
        ours_s = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"autograder grade failed:\n{proc.stdout}\n{proc.stderr}")
        print(proc.stdout, file=sys.stderr)
        with open(out, newline="") as f:
            rows = list(csv.DictReader(f))
        ours_full = sum(1 for r in rows if r["score"] == r["max_score"])
        t0 = time.perf_counter()
        nbgrader(theirs, "autograde", ASSIGNMENT, "--force")
        theirs_s = time.perf_counter() - t0
        from nbgrader.api import Gradebook
        with Gradebook(f"sqlite:///{theirs / 'gradebook.db'}") as gb:
            theirs_full = sum(1 for s in gb.find_assignment(ASSIGNMENT).submissions if s.score == s.max_score)
    emit(name="grading", submissions=n, workers=workers, ours_seconds=round(ours_s, 2),
         nbgrader_seconds=round(theirs_s, 2), speedup=round(theirs_s / ours_s, 2),
         ours_full_marks=ours_full, nbgrader_full_marks=theirs_full, sandboxed="(sandboxed)" in proc.stdout)


if __name__ == "__main__":
    main()
