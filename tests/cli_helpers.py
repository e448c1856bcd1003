"""Running ``python -m autograder`` from the tests, and reading the CSV it writes."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

from autograder.notebooks import REPO_ROOT, tool_env

VENV_BIN = str(Path(sys.executable).parent)
BARE_PATH = "/usr/local/bin:/usr/bin:/bin"


def run_cli(*args, timeout=900, activated: bool = True):
    """``.venv/bin/python -m autograder ARGS``; ``activated=False``: as a cron job would start
    it, without the environment's ``bin/`` on PATH."""
    if activated:
        env = tool_env(COURSE_PROGRESS="0")
    else:
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        env.update(PATH=BARE_PATH, COURSE_PROGRESS="0")
        assert VENV_BIN not in BARE_PATH
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


def read_csv(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


UNIT0 = "unit0_mnist"
UNIT0_SOLUTION = REPO_ROOT / "solutions" / UNIT0 / f"{UNIT0}.ipynb"
UNIT0_STUB = REPO_ROOT / "notebooks" / UNIT0 / f"{UNIT0}.ipynb"


def unit0_class(root: Path, students: dict[str, Path]) -> Path:
    """``root/submitted/<student>/unit0_mnist/`` holding each student's notebook (a copy)."""
    import shutil

    for student, notebook in students.items():
        folder = root / "submitted" / student / UNIT0
        folder.mkdir(parents=True)
        shutil.copy(notebook, folder)
    return root


def gradebook_scores(db_url: str, assignment: str = UNIT0) -> dict[str, float]:
    """Every student's total for ``assignment`` in the gradebook at ``db_url``."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {s.student.id: s.score for s in gb.find_assignment(assignment).submissions}


def stop_process_group(proc: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a server started with ``start_new_session=True`` and everything it started (kernels):
    SIGTERM to its process group, SIGKILL if it has not exited within ``timeout`` seconds."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
