"""What grading produces: one :class:`SubmissionResult` per submission, one :class:`PartResult`
per graded test cell. Made by the worker (:mod:`autograder.grading`) or, for a submission that
could not be graded at all, by the client (:mod:`autograder.batch`); read by the CSV, the
gradebook and the summary."""

from __future__ import annotations

import dataclasses

__all__ = ["PartResult", "SubmissionResult"]


@dataclasses.dataclass
class PartResult:
    notebook: str          # the notebook's file name
    grade_id: str          # the test cell's nbgrader grade id
    points: float
    score: float = 0.0
    passed: bool = False
    message: str = ""      # the verdicts, one line per check (or why the part was not graded)

    @property
    def key(self) -> str:
        return f"{self.notebook}:{self.grade_id}"


@dataclasses.dataclass
class SubmissionResult:
    student: str
    assignment: str
    parts: dict[str, PartResult] = dataclasses.field(default_factory=dict)   # by PartResult.key
    problems: list[str] = dataclasses.field(default_factory=list)  # graded around: timeouts, dead kernels...
    flags: list[str] = dataclasses.field(default_factory=list)     # near-copies of the reference
    failures: list[str] = dataclasses.field(default_factory=list)  # why (part of) it could not be graded: 0
    seconds: float = 0.0
    notebooks: dict[str, str] = dataclasses.field(default_factory=dict)  # graded notebooks, name -> JSON
    not_gradable: str | None = None   # the machine failed, not the submission: no score is recorded
    traceback: str | None = None      # a grader error's traceback, for the instructor
    student_code_ran: bool = False    # whether any kernel started (so any code handed in could run)

    @classmethod
    def failed(cls, student: str, assignment: str, why: str, traceback: str | None = None) -> "SubmissionResult":
        return cls(student, assignment, failures=[why], traceback=traceback)

    @classmethod
    def lost(cls, student: str, assignment: str, why: str) -> "SubmissionResult":
        return cls(student, assignment, not_gradable=why)

    @property
    def score(self) -> float:
        return sum(p.score for p in self.parts.values())

    @property
    def status(self) -> str:
        if self.not_gradable is not None:
            return "not gradable: " + self.not_gradable
        return "graded" if not self.failures else "failed: " + "; ".join(self.failures)
