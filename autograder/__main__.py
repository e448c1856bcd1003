"""Instructor CLI: ``python -m autograder <command>`` (also installed as ``autograder``).

Commands:
  release [ASSIGNMENT ...] [--out DIR]   regenerate the student notebooks from solutions/
  grade ASSIGNMENT --submissions DIR --csv OUT.csv [--workers N | --cluster tcp://HOST:PORT]
                                         grade every submission, sandboxed, in parallel (Dask)
  feedback ASSIGNMENT [--out DIR]        per-student HTML (no hidden test code or tracebacks)
  import-zip ASSIGNMENT ZIP --lms canvas|moodle|blackboard
                                         a platform's zip of submissions -> submitted/ (zip_collect)
  export [--to grades.csv] [--db-url URL]
                                         the whole gradebook as CSV (nbgrader export)
  check NOTEBOOK                         a student's self-check: visible tests, exit 1 on failure
  list                                   the exercises the checks know
  audit [EXERCISE ...] [--seeds 200]     every check over many secret seeds: correct
                                         alternatives pass, listed mistakes are caught
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from autograder.notebooks import RELEASE, SOLUTIONS, assignments, run_nbgrader
from autograder.plan import validate_source


def release(names: list[str] | None, out: Path | None = None, quiet: bool = False) -> int:
    """Validate the source notebooks, then ``nbgrader generate_assignment`` each assignment.

    Writes ``notebooks/<assignment>/`` (or ``out/<assignment>/``). The gradebook used is the
    course's, or a temporary one when ``out`` is given, so a dry run touches nothing.
    """
    known = assignments()
    names = names or known
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"error: no assignment {', '.join(unknown)} in {SOLUTIONS} (have: "
              f"{', '.join(known) or 'none'})", file=sys.stderr)
        return 2
    problems = [p for n in names for nb in sorted((SOLUTIONS / n).glob("*.ipynb"))
                for p in validate_source(nb)]
    if problems:
        print("error: the source notebooks are inconsistent; nothing was released:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        extra = []
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            extra = [f"--CourseDirectory.release_directory={out.resolve()}",
                     f"--CourseDirectory.db_url=sqlite:///{Path(tmp) / 'gradebook.db'}"]
        for name in names:
            proc = run_nbgrader("generate_assignment", name, "--force", "--log-level=WARN", *extra)
            if proc.returncode != 0:
                print(f"error: nbgrader generate_assignment {name} failed:\n{proc.stdout}{proc.stderr}",
                      file=sys.stderr)
                return 1
            if not quiet:
                print(f"released {name} -> {(out or RELEASE) / name}")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="regenerate notebooks/ from solutions/")
    p.add_argument("assignments", nargs="*", help="default: every folder of solutions/")
    p.add_argument("--out", type=Path, default=None, help="write here instead of notebooks/")
    p = sub.add_parser("grade", help="grade every submission of an assignment")
    p.add_argument("assignment")
    p.add_argument("--submissions", type=Path, required=True,
                   help="folder holding submitted/<student_id>/<assignment>/*.ipynb (or the submitted folder)")
    p.add_argument("--csv", type=Path, required=True, help="where to write one row per submission")
    p.add_argument("--workers", type=_positive, default=None,
                   help="local worker processes, one submission each at a time (default: CPU count)")
    p.add_argument("--cluster", default=None, metavar="local|tcp://HOST:PORT",
                   help="where submissions are graded: 'local' (a Dask LocalCluster of --workers processes) "
                        "or a running Dask scheduler whose workers have sandbox=1 resources "
                        "(default: $DASK_SCHEDULER_ADDRESS, else local)")
    from autograder.sandbox import add_limit_options
    add_limit_options(p)
    p.add_argument("--sandbox", choices=["auto", "bwrap", "none"], default="auto",
                   help="auto: bubblewrap when it works, else run unisolated with a warning")
    p.add_argument("--full", action="store_true", help="run the notebooks' full settings (default: fast)")
    p.add_argument("--no-gradebook", action="store_true", help="write the CSV only")
    p.add_argument("--db-url", default=None, metavar="URL",
                   help="the gradebook: sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DB "
                        "(default: $COURSE_DB_URL, else COURSE/gradebook.db)")
    p.add_argument("--course", type=Path, default=None,
                   help="nbgrader course folder with gradebook.db (default: course/)")
    p.add_argument("--source", type=Path, default=None,
                   help="folder of source assignments (default: solutions/)")
    p.add_argument("--no-progress", action="store_true")
    p = sub.add_parser("feedback", help="per-student feedback HTML from the graded notebooks")
    p.add_argument("assignment")
    p.add_argument("--out", type=Path, default=None, help="default: course/feedback")
    p.add_argument("--student", action="append", default=None, help="only these students")
    p.add_argument("--course", type=Path, default=None, help="default: course/")
    p = sub.add_parser("import-zip", help="import a learning platform's zip of submissions into submitted/")
    p.add_argument("assignment")
    p.add_argument("zip", type=Path, help="the platform's 'download all submissions' archive")
    p.add_argument("--lms", choices=["canvas", "moodle", "blackboard"], default=None,
                   help="the platform's file-name convention")
    p.add_argument("--regexp", default=None,
                   help="or a pattern with nbgrader's named groups student_id and file_id (zip_collect)")
    p.add_argument("--course", type=Path, default=None, help="default: course/")
    p = sub.add_parser("export", help="export the gradebook to CSV (nbgrader export)")
    p.add_argument("--to", type=Path, default=Path("grades.csv"))
    p.add_argument("--db-url", default=None, metavar="URL",
                   help="the gradebook (default: $COURSE_DB_URL, else COURSE/gradebook.db)")
    p.add_argument("--course", type=Path, default=None, help="default: course/")
    p = sub.add_parser("check", help="run a notebook's visible tests; exit 1 unless all pass")
    p.add_argument("notebook", type=Path)
    p.add_argument("--cell-timeout", type=float, default=600.0)
    sub.add_parser("list", help="list the exercises the checks know")
    p = sub.add_parser("audit", help="run every exercise's correct alternatives and listed mistakes over "
                                     "many secret seeds; exit 1 if a grade could depend on the seed")
    p.add_argument("exercises", nargs="*", help="exercise ids (default: every exercise)")
    p.add_argument("--seeds", type=_positive, default=200,
                   help="secret seeds per exercise (default 200; the same seeds on every run)")
    p.add_argument("--seed", type=int, action="append", default=None,
                   help="judge on this secret seed only (repeatable): to rerun a finding")
    p.add_argument("--fresh", action="store_true", help="draw new random secret seeds instead of the fixed ones")
    p.add_argument("--behavioural", action="store_true",
                   help="also audit the behavioural exercises (agents trained per seed: hours)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: CPU count; 0: this process)")
    p.add_argument("--json", default=None, help="also write one JSON object per exercise to this file")
    args = parser.parse_args(argv)
    if args.command == "release":
        return release(args.assignments, args.out)
    if args.command == "grade":
        from autograder.batch import grade_assignment
        from autograder.sandbox import limits_from_args
        limits = limits_from_args(args)
        return grade_assignment(args.assignment, args.submissions, args.csv, workers=args.workers,
                                limits=limits, sandbox=args.sandbox, fast=not args.full,
                                progress=not args.no_progress, update_gradebook=not args.no_gradebook,
                                cluster=args.cluster, db_url=args.db_url,
                                **({"course": args.course.resolve()} if args.course else {}),
                                **({"source": args.source.resolve()} if args.source else {}))
    if args.command == "import-zip":
        from autograder.lms import import_zip
        return import_zip(args.assignment, args.zip, **({"course": args.course} if args.course else {}),
                          lms=args.lms, regexp=args.regexp)
    if args.command == "feedback":
        from autograder.reports import feedback
        kw = {"course": args.course.resolve()} if args.course else {}
        return feedback(args.assignment, out=args.out, students=args.student, **kw)
    if args.command == "export":
        from autograder.reports import export
        return export(args.to, db_url=args.db_url, **({"course": args.course.resolve()} if args.course else {}))
    if args.command == "check":
        from autograder.reports import self_check
        return self_check(args.notebook, args.cell_timeout)
    if args.command == "audit":
        from autograder.audit import main as audit_main
        return audit_main(args)
    if args.command == "list":
        from autograder.exercises import all_exercises
        for ex in all_exercises().values():
            print(f"{ex.id}: {ex.signature}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
