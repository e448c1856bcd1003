"""Instructor CLI: ``python -m autograder <command>`` (also installed as ``autograder``).

Commands:
  release [ASSIGNMENT ...] [--out DIR]   regenerate the student notebooks from solutions/
  list                                   the exercises the checks know
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.notebooks import COURSE, RELEASE, SOLUTIONS, assignments, tool_env, validate_source


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
            cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force",
                   "--log-level=WARN", *extra]
            proc = subprocess.run(cmd, cwd=COURSE, capture_output=True, text=True, env=tool_env())
            if proc.returncode != 0:
                print(f"error: nbgrader generate_assignment {name} failed:\n{proc.stdout}{proc.stderr}",
                      file=sys.stderr)
                return 1
            if not quiet:
                print(f"released {name} -> {(out or RELEASE) / name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="regenerate notebooks/ from solutions/")
    p.add_argument("assignments", nargs="*", help="default: every folder of solutions/")
    p.add_argument("--out", type=Path, default=None, help="write here instead of notebooks/")
    sub.add_parser("list", help="list the exercises the checks know")
    args = parser.parse_args(argv)
    if args.command == "release":
        return release(args.assignments, args.out)
    if args.command == "list":
        from autograder.registry import all_exercises
        for ex in all_exercises().values():
            print(f"{ex.id}: {ex.signature}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
