"""Run the real nbgrader on a throw-away course built from the repository's configuration."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from autograder.notebooks import COURSE, SOLUTIONS, tool_env


class TempCourse:
    """An nbgrader course in ``root`` that uses course/nbgrader_config.py and solutions/."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.release = root / "release"
        self.db_url = f"sqlite:///{root / 'gradebook.db'}"

    def config_args(self) -> list[str]:
        """The course's configuration file (nbgrader has no ``--config`` flag: that one was
        silently ignored), with this course's folders in place of the real course's."""
        return [f"--NbGrader.config_file={COURSE / 'nbgrader_config.py'}",
                f"--CourseDirectory.root={self.root}",
                f"--CourseDirectory.source_directory={SOLUTIONS}",
                f"--CourseDirectory.release_directory={self.release}",
                f"--CourseDirectory.db_url={self.db_url}"]

    def nbgrader(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "nbgrader", *args, *self.config_args()]
        proc = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True,
                              env=tool_env(COURSE_FAST="1", COURSE_PROGRESS="0"))
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def generate(self, assignment: str) -> Path:
        self.nbgrader("generate_assignment", assignment, "--force")
        return self.release / assignment

    def submit(self, student: str, assignment: str, notebooks: list[Path]) -> None:
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for nb in notebooks:
            shutil.copy(nb, folder / nb.name)

    def autograde(self, assignment: str) -> dict[str, tuple[float, float]]:
        """Autograde every submission; return {student: (score, max_score)}."""
        from nbgrader.api import Gradebook

        self.nbgrader("autograde", assignment, "--force")
        with Gradebook(self.db_url) as gb:
            return {s.student.id: (s.score, s.max_score)
                    for s in gb.find_assignment(assignment).submissions}
