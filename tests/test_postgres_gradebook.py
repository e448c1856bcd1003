"""The gradebook in a real PostgreSQL server (tests/postgres_server.py starts one on 127.0.0.1):
grading, re-grading and export through `--db-url` and through `COURSE_DB_URL`, the variable the
nbgrader configuration reads too. SQLite stays the default (every other grading test)."""

from __future__ import annotations

import csv

import pytest

from cli_helpers import UNIT0, UNIT0_SOLUTION, UNIT0_STUB, gradebook_scores, read_csv, run_cli, unit0_class
from postgres_server import PASSWORD, postgres_server

ASSIGNMENT, SOLUTION, STUB = UNIT0, UNIT0_SOLUTION, UNIT0_STUB


@pytest.mark.timeout(600)
def test_grading_regrading_and_export_against_postgresql(tmp_path, monkeypatch):
    course = tmp_path / "course"
    course.mkdir()
    first = unit0_class(tmp_path / "first", {"ada": SOLUTION, "bo": STUB})
    again = unit0_class(tmp_path / "again", {"bo": SOLUTION})  # bo hands in a corrected notebook
    with postgres_server() as url:
        proc = run_cli("grade", ASSIGNMENT, "--submissions", first, "--csv", tmp_path / "first.csv",
                       "--course", course, "--db-url", url, "--workers", 2)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert gradebook_scores(url) == {"ada": 2.0, "bo": 0.0}
        assert not (course / "gradebook.db").exists()      # nothing went to SQLite
        # re-grade through the variable the nbgrader config reads
        monkeypatch.setenv("COURSE_DB_URL", url)
        proc2 = run_cli("grade", ASSIGNMENT, "--submissions", again, "--csv", tmp_path / "again.csv",
                        "--course", course, "--workers", 1)
        assert proc2.returncode == 0, proc2.stdout + proc2.stderr
        assert gradebook_scores(url) == {"ada": 2.0, "bo": 2.0}      # replaced, not added
        proc3 = run_cli("export", "--to", tmp_path / "grades.csv", "--course", course)
        assert proc3.returncode == 0, proc3.stdout + proc3.stderr
        with open(tmp_path / "grades.csv", newline="") as f:
            exported = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f) if r["assignment"] == ASSIGNMENT}
        assert exported == {"ada": 2.0, "bo": 2.0}
        # a wrong password: a clear error, nothing graded, the password never printed
        monkeypatch.delenv("COURSE_DB_URL")
        wrong = url.replace(PASSWORD, "not-the-" + PASSWORD)
        proc4 = run_cli("grade", ASSIGNMENT, "--submissions", again, "--csv", tmp_path / "wrong.csv",
                        "--course", course, "--db-url", wrong, "--workers", 1)
        assert proc4.returncode == 2
        assert "the gradebook at postgresql://grader:***@127.0.0.1:" in proc4.stderr
        assert "could not be opened" in proc4.stderr
        assert not (tmp_path / "wrong.csv").exists()
    for p in (proc, proc2, proc3, proc4):
        assert PASSWORD not in p.stdout + p.stderr
    assert read_csv(tmp_path / "again.csv")["bo"]["score"] == "2"


def test_a_gradebook_url_of_another_kind_is_refused(tmp_path):
    proc = run_cli("export", "--to", tmp_path / "g.csv", "--course", tmp_path, "--db-url", "mysql://u:pw@h/db")
    assert proc.returncode == 2
    assert "use sqlite:///PATH or postgresql://" in proc.stderr and ":pw@" not in proc.stderr
