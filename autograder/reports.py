"""Feedback HTML, grade export and the student's self-check.

- :func:`feedback`: one HTML page per graded notebook, from the graded notebooks that
  ``grade`` wrote to ``course/autograded/<student>/<assignment>/``. Those notebooks never held
  hidden test code: their test cells show the visible part of the test and the verdicts, and
  a hidden suite's verdict names the failing case and the problem, not its inputs, values or
  a traceback.
- :func:`export`: ``nbgrader export`` of the gradebook (every assignment, every student).
- :func:`self_check`: run a notebook top to bottom (visible tests only, as the student has
  them) and report each test cell: unlike ``nbgrader validate``, the exit status says whether
  everything passed.
"""

from __future__ import annotations

import asyncio
import html
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.notebooks import COURSE, NotebookError, read_notebook, run_nbgrader, tool_env

__all__ = ["feedback", "export", "self_check"]


def _summary_cell(nb) -> nbformat.NotebookNode:
    rows, total, got = [], 0.0, 0.0
    for cell in nb.cells:
        info = cell.get("metadata", {}).get("autograder")
        if not info:
            continue
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        total += float(info["points"])
        got += float(info["score"])
        rows.append(f"| {html.escape(gid)} | {info['score']:g} / {info['points']:g} | "
                    f"{'passed' if info['passed'] else 'failed'} |")
    text = [f"## Autograder feedback: {got:g} / {total:g} points", "",
            "| test | points | result |", "|---|---|---|", *rows, "",
            "Hidden tests draw fresh inputs when grading; when one fails, its message names the case "
            "and the problem. Run `python -m autograder check <notebook>` to re-run the visible tests."]
    withheld = nb.metadata.get("autograder", {}).get("withheld", [])
    if withheld:
        text += ["", "While grading, lecture_lib's own versions of the graded functions are withheld ("
                 + ", ".join(f"`{n}`" for n in withheld) + "): cells that use them, directly or through "
                 "library code such as the training loops, show an error here that they do not show when "
                 "you run the notebook yourself. Only the test cells count."]
    return nbformat.v4.new_markdown_cell("\n".join(text))


def feedback(assignment: str, course: Path = COURSE, out: Path | None = None,
             students: list[str] | None = None) -> int:
    from nbconvert import HTMLExporter

    graded_root = course / "autograded"
    out = out or course / "feedback"
    if not graded_root.is_dir():
        print(f"error: nothing graded yet ({graded_root} does not exist); run `grade` first", file=sys.stderr)
        return 2
    exporter = HTMLExporter(template_name="lab")
    written = 0
    for student_dir in sorted(graded_root.iterdir()):
        if students and student_dir.name not in students:
            continue
        folder = student_dir / assignment
        for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
            try:
                nb = read_notebook(path)
            except NotebookError as exc:
                print(f"skipped {path}: {exc}", file=sys.stderr)
                continue
            nb.cells.insert(0, _summary_cell(nb))
            body, _ = exporter.from_notebook_node(nb)
            dest = out / student_dir.name / assignment / (path.stem + ".html")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(body, encoding="utf-8")
            written += 1
    print(f"wrote {written} feedback page(s) under {out}")
    return 0 if written else 1


def export(to: Path, course: Path = COURSE) -> int:
    db = course / "gradebook.db"
    if not db.is_file():
        print(f"error: no gradebook at {db}", file=sys.stderr)
        return 2
    proc = run_nbgrader("export", f"--to={to.resolve()}", "--log-level=WARN",
                        f"--CourseDirectory.db_url=sqlite:///{db}", f"--CourseDirectory.root={course.resolve()}")
    if proc.returncode != 0:
        print(f"error: nbgrader export failed:\n{proc.stdout}{proc.stderr}", file=sys.stderr)
        return 1
    print(f"exported the gradebook to {to}")
    return 0


async def _self_check(path: Path, cell_timeout: float) -> int:
    from autograder.executor import Kernel
    from autograder.sandbox import Limits, Sandbox

    nb = read_notebook(path)
    env = dict(tool_env())
    env.setdefault("COURSE_FAST", "1")
    env.setdefault("COURSE_PROGRESS", "0")
    env["MPLBACKEND"] = "Agg"
    results = []
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as tmp:
        box = Sandbox(workdir=Path(tmp), packages={}, hide=[], expose=[], limits=Limits(), isolate=False)
        kernel = Kernel(box, env, max_output=2**20, cwd=path.resolve().parent)
        await kernel.start()
        try:
            for index, cell in enumerate(nb.cells, 1):
                if cell.cell_type != "code":
                    continue
                if not await kernel.alive():
                    await kernel.start()
                meta = cell.metadata.get("nbgrader", {})
                is_test = bool(meta.get("grade")) and not meta.get("solution")
                r = await kernel.run(cell.source, cell_timeout, keep_outputs=False)
                if is_test:
                    if r.status == "ok":
                        message = ""
                    elif r.error:
                        message = f"{r.error[0]}: {r.error[1]}"
                    else:
                        message = r.detail
                    results.append((meta.get("grade_id", f"cell {index}"), meta.get("points", 0),
                                    r.status == "ok", message))
                elif r.status in ("timeout", "dead"):
                    print(f"cell {index}: {r.detail}")
        finally:
            await kernel.kill()
    if not results:
        print(f"{path}: no test cells")
        return 1
    for gid, points, passed, message in results:
        print(f"{'PASS' if passed else 'FAIL'}  {gid} ({points:g} points)")
        if not passed:
            for line in message.splitlines()[:12]:
                print(f"      {line}")
    n_pass = sum(1 for r in results if r[2])
    got = sum(r[1] for r in results if r[2])
    total = sum(r[1] for r in results)
    print(f"{n_pass} of {len(results)} tests pass ({got:g} of {total:g} visible-test points)")
    return 0 if n_pass == len(results) else 1


def self_check(path: Path, cell_timeout: float = 600.0) -> int:
    try:
        return asyncio.run(_self_check(Path(path), cell_timeout))
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
