"""Grading a class: every submission of an assignment, in parallel, into the gradebook and a CSV.

``python -m autograder grade ASSIGNMENT --submissions DIR --csv OUT.csv [--workers N]``

- Submissions are ``DIR/submitted/<student>/<assignment>/*.ipynb`` (or ``DIR/<student>/...``
  when ``DIR`` is the ``submitted`` folder itself: :func:`find_submissions`). Each is graded by
  :func:`autograder.grading.grade_submission` in a worker process, in its own sandbox; an
  entry that is not a plain folder gets a row saying why.
- Only this process writes the gradebook (``course/gradebook.db``), one submission at a time
  as results arrive: parallel grading cannot lose a write or lock the database. Students not
  in the gradebook are added. A re-grade overwrites every grade of the submission, including
  with 0 for every part the new grading did not reach, so an old grade never survives
  silently and the gradebook always agrees with the CSV; a gradebook that cannot be written
  is reported per submission and in the summary.
- The CSV has one row per submission found: ``student_id, assignment, score, max_score,
  status`` (``graded`` or ``failed: <reason>``), ``problems`` (what went wrong but was graded
  around: dead kernels, timeouts, edited or missing test cells...), ``flags`` (near-copies of
  the reference), ``parts`` and ``seconds``. Cells are spreadsheet-safe (:func:`csv_safe`) and
  the console shows student-controlled text with control characters escaped.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import os
import re
import signal
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from autograder.notebooks import COURSE, SOLUTIONS, assignments, run_nbgrader, tool_env
from autograder.results import SubmissionResult
from autograder.safe_files import printable, read_regular

__all__ = ["grade_assignment", "CSV_COLUMNS", "find_submissions", "csv_safe", "open_gradebook", "gradebook_url",
           "shown_url"]

CSV_COLUMNS = ["student_id", "assignment", "score", "max_score", "status", "problems", "flags", "parts",
               "seconds"]


def find_submissions(root: Path, assignment: str) -> list[tuple[str, Path, str | None]]:
    """``(student id, folder, why it cannot be graded or None)`` for every student entry.

    ``root`` is a course folder holding ``submitted/`` or the ``submitted`` folder itself. It
    is the submitted folder when ``root/submitted/<assignment>`` is a folder (a student named
    ``submitted`` handed in the assignment), or when ``root`` has no ``submitted`` folder.
    Every entry of it is a student (any name): a folder without the assignment did not hand it
    in (no row); an entry that is a symbolic link, a file or anything else, or an assignment
    entry that is not a plain folder, gets a row saying so. Only hidden files such as
    ``.DS_Store`` are skipped.
    """
    import stat

    nested = root / "submitted"
    if nested.is_dir() and not nested.is_symlink() and not (nested / assignment).is_dir():
        root = nested
    if not root.is_dir():
        raise FileNotFoundError(f"no submissions folder {root}")
    out = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        st = entry.stat(follow_symlinks=False)
        folder = Path(entry.path) / assignment
        if stat.S_ISLNK(st.st_mode):
            out.append((entry.name, folder, "refused: the student's folder is a symbolic link"))
            continue
        if not stat.S_ISDIR(st.st_mode):
            if not entry.name.startswith("."):
                out.append((entry.name, folder, "refused: the student's entry is a file, not a folder"))
            continue
        try:
            sub = os.stat(folder, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(sub.st_mode):
            out.append((entry.name, folder, None))
        elif stat.S_ISLNK(sub.st_mode):
            out.append((entry.name, folder, f"refused: {assignment} is a symbolic link, not a folder"))
        else:
            out.append((entry.name, folder, f"refused: {assignment} is a file, not a folder (hand in the folder)"))
    return out


def _fmt(x: float) -> str:
    return f"{x:g}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def csv_safe(value) -> str:
    """A CSV cell no spreadsheet runs as a formula: text whose first visible character is one
    of ``= + - @`` (after any spaces or invisible format characters), or that starts with a
    tab or a carriage return, gets a leading apostrophe (OWASP's advice); plain numbers stay
    numbers. Control characters are shown as escapes."""
    text = str(value)
    if _NUMBER.fullmatch(text):
        return text
    text = printable(text, limit=10_000)
    visible = text.lstrip("".join(ch for ch in set(text[:50]) if ch.isspace() or unicodedata.category(ch) == "Cf"))
    if text.startswith(_FORMULA_START) or visible.startswith(_FORMULA_START):
        return "'" + text
    return text


def _row(result: SubmissionResult, max_score: float) -> dict:
    lost = result.not_gradable is not None  # no score: the gradebook keeps the earlier grade, if any
    return {
        "student_id": result.student, "assignment": result.assignment,
        "score": "" if lost else _fmt(result.score), "max_score": _fmt(max_score),
        "status": " ".join(result.status.split())[:1000],
        "problems": " | ".join(" ".join(p.split()) for p in result.problems)[:4000],
        "flags": " | ".join(result.flags),
        "parts": "; ".join(f"{p.grade_id}={_fmt(p.score)}/{_fmt(p.points)}" for p in result.parts.values()),
        "seconds": f"{result.seconds:.1f}",
    }


def _write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in sorted(rows, key=lambda r: r["student_id"]):
            writer.writerow({k: csv_safe(v) for k, v in row.items()})
    os.replace(tmp, path)


# ----------------------------------------------------------------- gradebook

GRADEBOOK_SCHEMES = ("sqlite://", "postgresql://", "postgresql+psycopg://")  # psycopg 3 is the driver installed


def gradebook_url(course: Path, db_url: str | None = None) -> str:
    """The gradebook's SQLAlchemy URL: ``db_url`` (the CLI's ``--db-url``), else
    ``$COURSE_DB_URL`` (which ``course/nbgrader_config.py`` gives nbgrader too), else the SQLite
    file ``course/gradebook.db``. SQLite suits one grader on one machine; a class graded from
    several machines, or with the formgrader open at the same time, wants PostgreSQL:
    ``postgresql://USER:PASSWORD@HOST:PORT/DATABASE``."""
    url = (db_url or os.environ.get("COURSE_DB_URL", "")).strip()
    if not url:
        return "sqlite:///" + str(Path(course) / "gradebook.db")
    if not url.startswith(GRADEBOOK_SCHEMES):
        raise ValueError(f"gradebook URL {shown_url(url)!r}: use sqlite:///PATH or "
                         "postgresql://USER:PASSWORD@HOST:PORT/DATABASE")
    return url


def shown_url(url: str) -> str:
    """The URL as it may be printed: any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def open_gradebook(course: Path, url: str | None = None):
    """The course's gradebook (:func:`gradebook_url`), created when missing. Creating one runs
    nbgrader's ``alembic`` from PATH, so this environment's ``bin/`` goes on PATH however the CLI
    was started. A new SQLite gradebook is built under a temporary name and renamed into place
    only when complete, so a failure leaves nothing half-built; a PostgreSQL database must exist
    (nbgrader makes its tables on first use)."""
    from nbgrader.api import Gradebook

    os.environ["PATH"] = tool_env()["PATH"]
    url = url or gradebook_url(course)
    if not url.startswith("sqlite:///"):
        try:
            return Gradebook(url)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0]
            raise RuntimeError(f"the gradebook at {shown_url(url)} could not be opened: "
                               f"{type(exc).__name__}: {shown_url(first)[:300]}") from None
    db = Path(url[len("sqlite:///"):])
    if not db.exists():
        tmp = db.with_name(f".gradebook-{os.getpid()}-{time.monotonic_ns()}.db")
        try:
            Gradebook("sqlite:///" + str(tmp)).close()
            os.replace(tmp, db)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, Exception):
                raise RuntimeError(f"the gradebook {db} could not be created: {type(exc).__name__}: {exc}") from None
            raise
    return Gradebook(url)


def ensure_assignment(assignment: str, course: Path, source: Path = SOLUTIONS, url: str | None = None) -> None:
    """Make sure the gradebook knows the assignment (``nbgrader generate_assignment`` into a
    throw-away release folder, so ``notebooks/`` is not touched)."""
    from nbgrader.api import MissingEntry

    url = url or gradebook_url(course)
    with open_gradebook(course, url) as gb:
        try:
            gb.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        proc = run_nbgrader("generate_assignment", assignment, "--force", "--log-level=WARN",
                            f"--CourseDirectory.release_directory={tmp}",
                            f"--CourseDirectory.root={course.resolve()}",
                            f"--CourseDirectory.source_directory={source.resolve()}", db_url=url)
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n"
                               + shown_url(proc.stdout + proc.stderr))


def record_grades(gb, result: SubmissionResult, timestamp: str | None = None) -> None:
    """Write one submission's scores (every grade cell: a re-grade replaces them all)."""
    import warnings

    from sqlalchemy.exc import SAWarning

    student, assignment = result.student, result.assignment
    with warnings.catch_warnings():  # nbgrader's own autoflush notices on a fresh gradebook
        warnings.simplefilter("ignore", SAWarning)
        _record_grades(gb, student, assignment, result, timestamp)


def _record_grades(gb, student: str, assignment: str, result: SubmissionResult, timestamp: str | None) -> None:
    from nbgrader.api import MissingEntry

    gb.update_or_create_student(student)
    kwargs = {"timestamp": timestamp} if timestamp else {}
    gb.update_or_create_submission(assignment, student, **kwargs)
    for part in result.parts.values():
        notebook = Path(part.notebook).stem
        try:
            grade = gb.find_grade(part.grade_id, notebook, assignment, student)
        except MissingEntry:
            raise RuntimeError(f"the gradebook has no grade cell {part.grade_id!r} in {notebook}: re-run "
                               "`python -m autograder release` after changing the source") from None
        grade.auto_score = float(part.score)
        grade.needs_manual_grade = False
    gb.db.commit()


def _timestamp(folder: Path) -> str | None:
    try:
        text = read_regular(folder / "timestamp.txt", max_bytes=200).decode("utf-8").strip()
        from nbgrader.utils import parse_utc
        parse_utc(text)
        return text
    except Exception:
        return None


# ----------------------------------------------------------------- the batch

def _sandbox_setting(mode: str, fanout=None) -> tuple[bool, str]:
    """(isolate, why not). Local workers share this machine's answer; on a Dask cluster every
    worker is asked, and a worker whose sandbox fails makes its tasks not gradable there."""
    from autograder.sandbox import probe

    if mode == "none":
        return False, "isolation disabled (--sandbox none)"
    if fanout is not None and not fanout.local:
        answers = fanout.client.run(probe)
        if mode == "bwrap" or any(works for works, _ in answers.values()):
            return True, ""
        return False, "no worker of the cluster can start bubblewrap: " + next(iter(answers.values()))[1]
    works, why = probe()
    if works:
        return True, ""
    if mode == "bwrap":
        raise RuntimeError(f"--sandbox bwrap: {why}")
    return False, why


def _warn(text: str) -> None:
    bar = "!" * 78
    print(f"{bar}\nWARNING: {text}\n{bar}", file=sys.stderr, flush=True)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _write_autograded(course: Path, student: str, assignment: str, notebooks: dict[str, str]) -> None:
    """The graded notebooks, written here by the client (the worker may be another machine)."""
    if not notebooks:
        return
    dest = course / "autograded" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in notebooks.items():
        (dest / Path(name).name).write_text(text, encoding="utf-8")


def grade_assignment(assignment: str, submissions: Path, csv_path: Path, *, workers: int | None = None,
                     limits: dict | None = None, sandbox: str = "auto", fast: bool = True,
                     course: Path = COURSE, source: Path = SOLUTIONS, progress: bool = True,
                     update_gradebook: bool = True, cluster: str | None = None, db_url: str | None = None) -> int:
    from autograder.cluster import open_fanout
    from autograder.grading import Job, draw_seeds, grade_submission, zero_parts
    from autograder.plan import PlanError, plan_notebook
    from autograder.exercises import get_exercise
    from autograder.safe_files import read_submission
    from autograder.sandbox import Limits

    submissions, csv_path, course, source = (Path(p).resolve() for p in (submissions, csv_path, course, source))
    if not source.is_dir():
        print(f"error: no source folder {source}", file=sys.stderr)
        return 2
    known = assignments(source)
    if assignment not in known:
        print(f"error: no assignment {assignment!r} in {source} (have: {', '.join(known) or 'none'})",
              file=sys.stderr)
        return 2
    notebooks = sorted((source / assignment).glob("*.ipynb"))
    max_score, withheld = 0.0, set()
    all_parts: dict = {}  # every part of the assignment, at 0: what a failed grading records
    plans: dict[str, dict] = {}
    try:
        for nb in notebooks:
            _, tests = plan_notebook(nb)
            plans[nb.name] = tests
            max_score += sum(t.points for t in tests.values())
            withheld |= {n for t in tests.values() for c in t.checks for n in get_exercise(c.exercise).withholds}
            all_parts.update(zero_parts(nb.name, tests, "not graded"))
    except (PlanError, ValueError) as exc:
        print(f"error: cannot grade {assignment}: {exc}", file=sys.stderr)
        return 2
    sources = {nb.name: nb.read_text(encoding="utf-8") for nb in notebooks}
    try:
        jobs_found = find_submissions(submissions, assignment)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    lim = Limits(**(limits or {}))
    if update_gradebook:
        try:
            db_url = gradebook_url(course, db_url)
            ensure_assignment(assignment, course, source, db_url)
        except (RuntimeError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:  # the kernels read MNIST read-only: make sure the cache exists
        from lecture_lib.data import prepare_mnist
        prepare_mnist()
    except Exception as exc:
        print(f"note: the MNIST cache could not be prepared ({exc}); notebooks that load MNIST will fail",
              file=sys.stderr)
    try:
        signal.signal(signal.SIGTERM, _interrupt)  # a killed run still stops its local cluster
    except ValueError:  # not the main thread
        pass
    rows: list[dict] = []
    gradebook_errors: list[str] = []
    grader_errors: list[str] = []
    start = time.monotonic()
    stack = contextlib.ExitStack()  # the cluster (local: its processes) is stopped however this ends
    try:
        fanout = stack.enter_context(open_fanout(cluster, workers, lim.grader_memory))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with stack:
        try:
            isolate, why = _sandbox_setting(sandbox, fanout)
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if not isolate:
            _warn(f"submissions run WITHOUT a sandbox: {why}. Student code can read and write "
                  "everything this user can (the gradebook, the solutions, other submissions). Time, "
                  "memory and output limits still apply.")
        folders = {student: folder for student, folder, _ in jobs_found}
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=len(jobs_found), desc=f"grading {assignment}", unit="submission", file=sys.stderr)
        gb = open_gradebook(course, db_url) if update_gradebook else None

        def finish(result: SubmissionResult) -> None:
            if result.traceback:  # the grader's own error: the instructor gets the details
                grader_errors.append(f"{result.student}:\n{result.traceback}")
            if result.not_gradable is None:  # (the machine's failure: the gradebook keeps what it had)
                # every part of the assignment is recorded: what grading did not reach counts 0, so a
                # failed re-grade replaces an old score in the gradebook exactly as in the CSV
                result.parts = {**{k: dataclasses.replace(v) for k, v in all_parts.items()}, **result.parts}
                _write_autograded(course, result.student, assignment, result.notebooks)
                if gb is not None:
                    try:
                        record_grades(gb, result, _timestamp(folders[result.student]))
                    except Exception as exc:
                        try:
                            gb.db.rollback()
                        except Exception:
                            pass
                        msg = f"the gradebook was not updated: {exc}"
                        gradebook_errors.append(f"{result.student}: {msg}")
                        result.problems.append(msg)
            rows.append(_row(result, max_score))
            _write_csv(csv_path, rows)
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{printable(result.student, 40)}: {rows[-1]['score']}/{rows[-1]['max_score']}")

        jobs = {}
        for student, folder, problem in jobs_found:
            if problem is not None:
                finish(SubmissionResult.failed(student, assignment, problem))
                continue
            try:
                bundle = read_submission(folder, lim.max_files)
            except OSError as exc:
                finish(SubmissionResult.failed(student, assignment, f"the submission could not be read: {exc}"))
                continue
            jobs[student] = Job(student=student, assignment=assignment, bundle=bundle, sources=sources,
                                seeds=draw_seeds(plans), withheld=sorted(withheld), limits=vars(lim),
                                isolate=isolate, fast=fast, threads=fanout.threads)
        for student, outcome in fanout.run(grade_submission, jobs):
            jobs.pop(student, None)  # the submission's files are no longer needed here
            finish(outcome.result if outcome.result is not None
                   else SubmissionResult.lost(student, assignment, outcome.not_gradable))
        if bar is not None:
            bar.close()
        if gb is not None:
            gb.close()
    elapsed = time.monotonic() - start
    for e in grader_errors:
        print("grader error while grading " + "\n".join(printable(line, 300) for line in e.splitlines()[:80]),
              file=sys.stderr)
    _summary(rows, assignment, max_score, elapsed, fanout.description, isolate, gradebook_errors, csv_path)
    return 0 if len(rows) == len(jobs_found) and not any(r["status"].startswith("not gradable") for r in rows) else 1


def _summary(rows, assignment, max_score, elapsed, where, isolate, gradebook_errors, csv_path) -> None:
    """The console summary; every student-controlled text is shown with escapes, never raw."""
    graded = [r for r in rows if r["status"] == "graded"]
    lost = [r for r in rows if r["status"].startswith("not gradable")]
    failed = [r for r in rows if r["status"].startswith("failed")]
    problems = [r for r in rows if r["problems"]]
    flagged = [r for r in rows if r["flags"]]
    full = sum(1 for r in graded if float(r["score"]) == max_score)
    print(f"\n{assignment}: {len(rows)} submissions in {elapsed:.1f} s on {where} "
          f"({'sandboxed' if isolate else 'NOT sandboxed'})")
    print(f"  graded {len(graded)} (full marks {full}), failed {len(failed)}, with problems {len(problems)}, "
          f"flagged {len(flagged)}" + (f", NOT GRADABLE {len(lost)} (their earlier grades were kept)" if lost else ""))
    scores = sorted(float(r["score"]) for r in rows if r["score"] != "")
    if scores:
        print(f"  scores: min {scores[0]:g}, median {scores[len(scores) // 2]:g}, max {scores[-1]:g} "
              f"of {max_score:g}")
    for label, group, key in (("NOT GRADABLE", lost, "status"), ("FAILED  ", failed, "status"), ("problems", problems, "problems"),
                              ("flagged ", flagged, "flags")):
        for r in group:
            print(f"  {label} {printable(r['student_id'], 80)}: {printable(r[key], 300)}")
    for e in gradebook_errors:
        print(f"  GRADEBOOK {printable(e, 300)}")
    print(f"  CSV: {csv_path}")
