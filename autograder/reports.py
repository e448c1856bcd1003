"""Feedback HTML, grade export and the student's self-check.

- :func:`feedback`: one HTML page per graded notebook, from the graded notebooks that
  ``grade`` wrote to ``course/autograded/<student>/<assignment>/``. Those notebooks never held
  hidden test code: their test cells show the visible part of the test and the verdicts, and
  a hidden suite's verdict names the failing case and the kind of problem, not its inputs,
  values or a traceback. Everything in them came from a submission, so the page is built to be
  safe to open: outputs are reduced to text and PNG/JPEG images (HTML, JavaScript, SVG,
  Markdown, LaTeX and widget outputs are dropped), Markdown cells are sanitized
  (nbconvert's ``sanitize_html``), every ``<script>`` element is removed, and the page carries
  a Content-Security-Policy that forbids scripts, plugins, frames and remote loads.
- :func:`export`: ``nbgrader export`` of the gradebook (every assignment, every student),
  with every cell that a spreadsheet would run as a formula neutralized.
- :func:`self_check`: run a notebook top to bottom (visible tests only, as the student has
  them) and report each test cell: unlike ``nbgrader validate``, the exit status says whether
  everything passed.
"""

from __future__ import annotations

import asyncio
import csv
import html
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.notebooks import COURSE, NotebookError, read_notebook, run_nbgrader, tool_env
from autograder.safe_files import printable

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


SAFE_MIME = ("text/plain", "image/png", "image/jpeg")
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
       "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.S | re.I)
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_SGR = re.compile(r"\x1b\[[0-9;]*m")  # colours: nbconvert renders these as styled spans
_TERMINAL = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b.?|[\x00-\x08\x0b-\x1f\x7f]")


def _terminal_text(text) -> str:
    """Terminal output without control sequences other than colours (titles, clears, bells)."""
    text = "".join(text) if isinstance(text, list) else str(text)
    pieces, colours = _SGR.split(text), _SGR.findall(text)
    out = [_TERMINAL.sub("", pieces[0])]
    for colour, piece in zip(colours, pieces[1:]):
        out += [colour, _TERMINAL.sub("", piece)]
    return "".join(out)


def safe_for_html(nb) -> nbformat.NotebookNode:
    """The notebook reduced to what a feedback page may show (see the module docstring)."""
    for cell in nb.cells:
        cell.pop("attachments", None)
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in ("nbgrader", "autograder")}
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                out["text"] = _terminal_text(out.get("text", ""))
                kept.append(out)
                continue
            if kind == "error":
                out["ename"], out["evalue"] = _terminal_text(out.get("ename", "")), _terminal_text(out.get("evalue", ""))
                out["traceback"] = [_terminal_text(t) for t in out.get("traceback", [])]
                kept.append(out)
                continue
            data = {k: v for k, v in out.get("data", {}).items() if k in SAFE_MIME}
            if "text/plain" in data:
                data["text/plain"] = _terminal_text(data["text/plain"])
            for k in ("image/png", "image/jpeg"):
                if k in data and not (isinstance(data[k], str) and _BASE64.match(data[k])):
                    del data[k]
            if data:
                out["data"] = data
                out["metadata"] = {}
                kept.append(out)
        cell.outputs = kept
    return nb


def safe_page(body: str) -> str:
    """No script elements, and a policy that forbids any that slipped through."""
    body = _SCRIPT.sub("", body)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    head = re.search(r"<head\b[^>]*>", body, re.I)
    return body[:head.end()] + meta + body[head.end():] if head else meta + body


def feedback(assignment: str, course: Path = COURSE, out: Path | None = None,
             students: list[str] | None = None) -> int:
    from nbconvert import HTMLExporter

    graded_root = course / "autograded"
    out = out or course / "feedback"
    if not graded_root.is_dir():
        print(f"error: nothing graded yet ({graded_root} does not exist); run `grade` first", file=sys.stderr)
        return 2
    exporter = HTMLExporter(template_name="lab", sanitize_html=True)
    written = 0
    for student_dir in sorted(graded_root.iterdir()):
        if students and student_dir.name not in students:
            continue
        folder = student_dir / assignment
        for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
            try:
                nb = read_notebook(path)
            except NotebookError as exc:
                print(f"skipped {printable(str(path))}: {printable(str(exc))}", file=sys.stderr)
                continue
            nb.cells.insert(0, _summary_cell(nb))
            body, _ = exporter.from_notebook_node(safe_for_html(nb))
            body = safe_page(body)
            dest = out / student_dir.name / assignment / (path.stem + ".html")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(body, encoding="utf-8")
            _copy_submission_stamps(course / "submitted" / student_dir.name / assignment, dest.parent)
            written += 1
    print(f"wrote {written} feedback page(s) under {out}")
    return 0 if written else 1


def _copy_submission_stamps(submitted: Path, dest: Path) -> None:
    """What ``nbgrader release_feedback`` needs beside a feedback page to address it to the
    student's own submission through the exchange: the submission's ``timestamp.txt`` and
    ``submission_secret.txt`` (written by ``nbgrader collect``); regular files only, small."""
    from autograder.safe_files import Refused, read_regular

    for name in ("timestamp.txt", "submission_secret.txt"):
        try:
            data = read_regular(submitted / name, max_bytes=4096)
        except (FileNotFoundError, NotADirectoryError, Refused, OSError):
            continue
        (dest / name).write_bytes(data)


def export(to: Path, course: Path = COURSE, db_url: str | None = None) -> int:
    """The whole gradebook (:func:`autograder.batch.gradebook_url`) as CSV, through ``nbgrader export``."""
    from autograder.batch import gradebook_url, shown_url

    try:
        url = gradebook_url(course, db_url)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        print(f"error: no gradebook at {url[len('sqlite:///'):]}", file=sys.stderr)
        return 2
    proc = run_nbgrader("export", f"--to={to.resolve()}", "--log-level=WARN",
                        f"--CourseDirectory.root={course.resolve()}", db_url=url)
    if proc.returncode != 0:
        print(f"error: nbgrader export from {shown_url(url)} failed:\n{shown_url(proc.stdout + proc.stderr)}",
              file=sys.stderr)
        return 1
    _neutralize_csv(to.resolve())
    print(f"exported the gradebook to {to}")
    return 0


def _neutralize_csv(path: Path) -> None:
    """Rewrite a CSV so that no cell starts a spreadsheet formula (see ``batch.csv_safe``)."""
    from autograder.batch import csv_safe

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([[csv_safe(cell) for cell in row] for row in rows])
    os.replace(tmp, path)


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
        tmp = Path(tmp)
        box = Sandbox(submission=tmp, grading=tmp, lib=tmp, data=tmp, scratch=tmp, limits=Limits(), isolate=False)
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
