"""Grading through a real Dask cluster: ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1.

A worker killed while it grades loses nothing and doubles nothing; a worker that cannot start a
sandbox makes its submissions "not gradable" and never writes a 0 over an earlier grade. (The
same CSV as local grading, for the adversarial class: tests/test_grading.py.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.notebooks import REPO_ROOT, tool_env
from autograder.sandbox import probe
from cli_helpers import (UNIT0, UNIT0_SOLUTION, UNIT0_STUB, VENV_BIN, gradebook_scores, read_csv, run_cli,
                         unit0_class)
from dask_cluster import dask_cluster

ASSIGNMENT, SOLUTION, STUB = UNIT0, UNIT0_SOLUTION, UNIT0_STUB


def _class(root: Path, students: dict[str, Path]) -> Path:
    unit0_class(root, students)
    (root / "course").mkdir()
    return root


def _gradebook_scores(course: Path) -> dict[str, float]:
    return gradebook_scores("sqlite:///" + str(course / "gradebook.db"))


def _processing_on(address: str, worker_name: str) -> bool:
    from distributed import Client

    with Client(address, timeout="10s") as client:
        info = client.scheduler_info(n_workers=-1)["workers"]
        addrs = [a for a, w in info.items() if w.get("name") == worker_name]
        return bool(addrs) and bool(client.processing(workers=addrs).get(addrs[0]))


@pytest.mark.timeout(600)
def test_a_worker_killed_while_grading_loses_and_doubles_nothing(tmp_path):
    students = {"ada": SOLUTION, "bo": STUB, "cy": SOLUTION, "di": STUB}
    root = _class(tmp_path / "class", students)
    out = root / "grades.csv"
    with dask_cluster(tmp_path / "cluster", workers=2) as cluster:
        proc = subprocess.Popen(
            [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(root), "--csv", str(out),
             "--course", str(root / "course"), "--cluster", cluster.address, "--cell-timeout", "120"],
            cwd=REPO_ROOT, env=tool_env(COURSE_PROGRESS="0"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        try:
            deadline = time.monotonic() + 180
            while not _processing_on(cluster.address, "w0"):
                assert proc.poll() is None, proc.communicate()[0]
                assert time.monotonic() < deadline, "worker w0 never got a submission\n" + cluster.logs()
                time.sleep(0.3)
            os.killpg(cluster.workers["w0"].pid, signal.SIGKILL)  # the whole machine's worker, mid-grading
            output, _ = proc.communicate(timeout=480)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, output + cluster.logs()
    rows = read_csv(out)
    assert sorted(rows) == sorted(students)
    lines = out.read_text().splitlines()
    assert len(lines) == 1 + len(students)          # one row each, none twice
    for student, notebook in students.items():
        expected = "2" if notebook == SOLUTION else "0"
        assert (rows[student]["status"], rows[student]["score"]) == ("graded", expected), rows[student]
        assert (root / "course" / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert _gradebook_scores(root / "course") == {s: (2.0 if n == SOLUTION else 0.0) for s, n in students.items()}
    assert "Dask cluster" in output and "4 submissions" in output


@pytest.mark.skipif(not probe()[0], reason="needs a working bubblewrap on this machine to grade the first time")
@pytest.mark.timeout(600)
def test_a_worker_without_a_sandbox_is_not_gradable_and_keeps_the_earlier_grade(tmp_path):
    root = _class(tmp_path / "class", {"ada": SOLUTION})
    course = root / "course"
    first = run_cli("grade", ASSIGNMENT, "--submissions", root, "--csv", root / "first.csv", "--course", course,
                    "--workers", 1)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _gradebook_scores(course) == {"ada": 2.0}
    # a worker machine without bubblewrap: every try fails before any student code runs
    with dask_cluster(tmp_path / "cluster", workers=1, worker_env={"PATH": VENV_BIN}) as cluster:
        second = run_cli("grade", ASSIGNMENT, "--submissions", root, "--csv", root / "second.csv",
                         "--course", course, "--cluster", cluster.address, "--sandbox", "bwrap")
    assert second.returncode == 1, second.stdout + second.stderr
    row = read_csv(root / "second.csv")["ada"]
    assert row["status"].startswith("not gradable: the sandbox cannot start on"), row
    assert "bubblewrap" in row["status"] and "tried 3 times" in row["status"], row
    assert row["score"] == "" and row["parts"] == ""
    assert "NOT GRADABLE 1 (their earlier grades were kept)" in second.stdout
    assert _gradebook_scores(course) == {"ada": 2.0}          # no 0 over the earlier grade


def test_a_scheduler_that_does_not_answer_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "3s")
    root = _class(tmp_path / "class", {"ada": SOLUTION})
    proc = run_cli("grade", ASSIGNMENT, "--submissions", root, "--csv", root / "g.csv", "--course", root / "course",
                   "--cluster", "tcp://127.0.0.1:9", timeout=120)
    assert proc.returncode == 2
    assert "no Dask scheduler answers at tcp://127.0.0.1:9" in proc.stderr
    assert not (root / "g.csv").exists()
    proc = run_cli("grade", ASSIGNMENT, "--submissions", root, "--csv", root / "g.csv", "--course", root / "course",
                   "--cluster", "nowhere", timeout=120)
    assert proc.returncode == 2 and "use 'local' or a scheduler address" in proc.stderr
