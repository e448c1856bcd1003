"""How grading scales: submissions per minute for one class of unit 1 notebooks, graded by
``python -m autograder grade`` with 1 and 2 local workers, through a real 2-worker Dask cluster
(``dask scheduler`` + two ``dask worker`` processes on 127.0.0.1, as on several machines), and by
plain sequential ``nbgrader autograde``, one after the other in this run (same machine load).

The class: 20 submissions of unit 1 (autoencoders, fast setting), half the instructor's solution,
half the released stub; every grader gets a fresh course whose gradebook already holds the
assignment (set-up not timed; the Dask cluster is started before the clock too, as it would be
running already). One JSON line per grader::

    {"name": "grading_scale", "grader": "local"|"dask"|"nbgrader", "workers": N, "submissions": 20,
     "seconds": ..., "per_minute": ..., "full_marks": ...}

``BENCH_QUICK=1``: 2 unit 0 submissions, 1 local worker and the Dask cluster (a smoke run, not a
figure).
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import QUICK, emit

import bench_grading
from autograder.notebooks import REPO_ROOT, tool_env

sys.path.insert(0, str(REPO_ROOT / "tests"))
from dask_cluster import dask_cluster  # noqa: E402  (the tests' real-cluster helper)

ASSIGNMENT = "unit0_mnist" if QUICK else "unit1_autoencoders"


def ours(course: Path, n: int, *extra: str) -> tuple[float, int]:
    out = course / "grades.csv"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(course),
                           "--csv", str(out), "--course", str(course), "--no-progress", *extra],
                          capture_output=True, text=True, env=tool_env(COURSE_PROGRESS="0"))
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"autograder grade {' '.join(extra)} failed:\n{proc.stdout}\n{proc.stderr}")
    print(proc.stdout, file=sys.stderr)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != n:
        raise SystemExit(f"{len(rows)} rows for {n} submissions")
    return seconds, sum(1 for r in rows if r["score"] == r["max_score"])


def main() -> None:
    n = 2 if QUICK else 20
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        tmp = Path(tmp)
        results = []
        for workers in ((1,) if QUICK else (1, 2)):
            seconds, full = ours(bench_grading.make_course(tmp / f"local{workers}", n, ASSIGNMENT), n, "--workers", str(workers))
            results.append(("local", workers, seconds, full))
        course = bench_grading.make_course(tmp / "dask", n, ASSIGNMENT)
        with dask_cluster(tmp / "cluster", workers=2) as cluster:
            seconds, full = ours(course, n, "--cluster", cluster.address)
        results.append(("dask", 2, seconds, full))
        if not QUICK:  # (bench_grading's smoke run covers nbgrader)
            theirs = bench_grading.make_course(tmp / "nbgrader", n, ASSIGNMENT)
            t0 = time.perf_counter()
            bench_grading.nbgrader(theirs, "autograde", ASSIGNMENT, "--force")
            seconds = time.perf_counter() - t0
            from nbgrader.api import Gradebook
            with Gradebook(f"sqlite:///{theirs / 'gradebook.db'}") as gb:
                full = sum(1 for s in gb.find_assignment(ASSIGNMENT).submissions if s.score == s.max_score)
            results.append(("nbgrader", 1, seconds, full))
    for grader, workers, seconds, full in results:
        emit(name="grading_scale", grader=grader, workers=workers, assignment=ASSIGNMENT, submissions=n,
             seconds=round(seconds, 1), per_minute=round(60 * n / seconds, 2), full_marks=full)


if __name__ == "__main__":
    main()
