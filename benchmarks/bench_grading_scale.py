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

import sys
import tempfile
from pathlib import Path

from common import QUICK, emit

import bench_grading
from autograder.notebooks import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests"))
from dask_cluster import dask_cluster  # noqa: E402  (the tests' real-cluster helper)

ASSIGNMENT = "unit0_mnist" if QUICK else "unit1_autoencoders"


def ours(course: Path, n: int, *extra: str) -> tuple[float, int]:
    seconds, rows, _ = bench_grading.grade_ours(course, ASSIGNMENT, *extra)
    if len(rows) != n:
        raise SystemExit(f"{len(rows)} rows for {n} submissions")
    return seconds, bench_grading.full_marks(rows)


def main() -> None:
    n = 2 if QUICK else 20
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        tmp = Path(tmp)
        results = []
        for workers in ((1,) if QUICK else (1, 2)):
            course = bench_grading.make_course(tmp / f"local{workers}", n, ASSIGNMENT)
            results.append(("local", workers, *ours(course, n, "--workers", str(workers))))
        course = bench_grading.make_course(tmp / "dask", n, ASSIGNMENT)
        with dask_cluster(tmp / "cluster", workers=2) as cluster:
            results.append(("dask", 2, *ours(course, n, "--cluster", cluster.address)))
        if not QUICK:  # (bench_grading's smoke run covers nbgrader)
            theirs = bench_grading.make_course(tmp / "nbgrader", n, ASSIGNMENT)
            results.append(("nbgrader", 1, *bench_grading.grade_nbgrader(theirs, ASSIGNMENT)))
    for grader, workers, seconds, full in results:
        emit(name="grading_scale", grader=grader, workers=workers, assignment=ASSIGNMENT, submissions=n,
             seconds=round(seconds, 1), per_minute=round(60 * n / seconds, 2), full_marks=full)


if __name__ == "__main__":
    main()
