"""The grader against hostile submissions (tests/hostile_fixture.py) and its parts in isolation.

One ``python -m autograder grade`` run, started without an activated environment (PATH
without the venv's ``bin/``) on a fresh course folder, grades a two-notebook assignment for a
class of hostile submissions while two other checkouts of the course lie elsewhere on disk;
the tests read its exit status, console output, CSV, gradebook, graded notebooks, feedback
pages and export. The unit tests below check each safeguard on its own.
"""

from __future__ import annotations

import csv
import html.parser
import json
import os
import re
import secrets
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

import hostile_fixture as hx
from cli_helpers import read_csv
from cli_helpers import run_cli as _run_cli
from autograder.notebooks import REPO_ROOT

def run_cli(*args, timeout=900):
    """Every CLI run here is started as a cron job would: no venv on PATH."""
    return _run_cli(*args, timeout=timeout, activated=False)


def _other_checkouts() -> list[Path]:
    """Two more copies of the course's solutions and grader elsewhere on disk."""
    token = secrets.token_hex(4)
    places = [Path("/srv") / f"course-copy-{token}", Path.home() / f"course-copy-{token}"]
    for place in places:
        for folder in ("solutions", "autograder"):
            shutil.copytree(REPO_ROOT / folder, place / folder,
                            ignore=shutil.ignore_patterns("__pycache__"))
        (place / "solutions" / "marker.txt").write_text(hx.MARKER)
    return places


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    course = root / "course"
    course.mkdir()
    others = _other_checkouts()
    try:
        source, expected = hx.write_class(root, REPO_ROOT, others)
        out = root / "grades.csv"
        start = time.monotonic()
        proc = run_cli("grade", hx.ASSIGNMENT, "--submissions", root / "submissions", "--csv", out,
                       "--workers", 2, "--cell-timeout", 60, "--timeout", 300, "--memory", "3G",
                       "--disk", "150M", "--course", course, "--source", source)
        seconds = time.monotonic() - start
        feedback = run_cli("feedback", hx.ASSIGNMENT, "--course", course)
        export_csv = root / "export.csv"
        export = run_cli("export", "--to", export_csv, "--course", course)
        from autograder.batch import csv_safe

        by_cell = read_csv(out) if out.exists() else {}
        rows = {s: by_cell[csv_safe(s)] for s in expected if csv_safe(s) in by_cell}  # keyed by the real id
        assert len(rows) == len(by_cell), (sorted(by_cell), sorted(expected))
        yield {"root": root, "course": course, "source": source, "csv": out, "proc": proc, "seconds": seconds,
               "rows": rows, "expected": expected, "feedback": feedback,
               "export": export, "export_csv": export_csv, "others": others}
    finally:
        for place in others:
            shutil.rmtree(place, ignore_errors=True)


def outputs_text(hostile, student, notebook) -> str:
    path = hostile["course"] / "autograded" / student / hx.ASSIGNMENT / notebook
    texts = []
    for cell in json.loads(path.read_text())["cells"]:
        for out in cell.get("outputs", []):
            text = out.get("text", "") or out.get("evalue", "")
            texts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(texts)


# ----------------------------------------------------------------- the class run

def test_cli_works_without_an_activated_environment_and_grades_everyone(hostile):
    proc = hostile["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (hostile["course"] / "gradebook.db").is_file()
    assert not list(hostile["course"].glob(".gradebook-*"))
    assert set(hostile["rows"]) == set(hostile["expected"])
    assert "(sandboxed)" in proc.stdout


@pytest.mark.parametrize("student", sorted(hx.submissions(Path("/x"), [], REPO_ROOT)) +
                         ["loose_file", "file_not_folder", "linked_student"])
def test_score(hostile, student):
    row = hostile["rows"][student]
    assert float(row["score"]) == hostile["expected"][student], row


def test_no_internal_errors_and_every_refusal_says_why(hostile):
    rows = hostile["rows"]
    for row in rows.values():
        assert "internal grader error" not in row["status"], row
        assert "grader error" not in row["problems"], row
    assert rows["loose_file"]["status"] == "failed: refused: the student's entry is a file, not a folder"
    assert "duo is a file, not a folder" in rows["file_not_folder"]["status"]
    assert "symbolic link" in rows["linked_student"]["status"]
    assert "part1.ipynb: refused: a FIFO" in rows["fifo_notebook"]["status"]
    assert "part1.ipynb: refused: a symbolic link" in rows["symlinked_notebook"]["status"]
    assert "part2.ipynb: refused: a hard link" in rows["hardlinked_notebook"]["status"]
    assert "nested too deeply" in rows["deep_json"]["status"]
    assert rows["fifos"]["status"] == "graded"
    assert "timestamp.txt: refused (a FIFO" in rows["fifos"]["problems"]
    assert rows["nbformat3"]["status"] == "graded"
    assert "nbformat 3 notebook, upgraded" in rows["nbformat3"]["problems"]
    for student in ("good", "submitted", hx.LONG_ID, "snoops", "plants_links", "fills_disk", "hostile_output",
                    "startup_files", "odd_metadata_and_folders"):
        assert rows[student]["status"] == "graded", rows[student]
    assert "folders nested deeper than 32" in rows["odd_metadata_and_folders"]["problems"]


def test_nothing_handed_in_runs_while_the_kernel_starts(hostile):
    text = outputs_text(hostile, "startup_files", "part1.ipynb")
    assert "STARTUP MARKERS []" in text, text
    assert "socket folder" not in hostile["rows"]["startup_files"]["status"]
    text = outputs_text(hostile, "helper_module", "part1.ipynb")
    assert "HELPER 42" in text and "SHELL-42" in text  # a helper module and a shell work as in Jupyter


def test_output_is_capped_per_notebook(hostile):
    row = hostile["rows"]["floods_output"]
    assert row["status"] == "graded" and float(row["score"]) == 5, row
    assert "output were dropped" in row["problems"]
    graded = hostile["course"] / "autograded" / "floods_output" / hx.ASSIGNMENT / "part1.ipynb"
    assert graded.stat().st_size < 25 * 2**20


def test_forged_records_are_refused_quickly(hostile):
    row = hostile["rows"]["forges_records"]
    assert row["status"] == "graded" and float(row["score"]) == 0, row
    assert "a refused record (a tensor that claims more elements than it stores" in row["problems"]
    assert "a refused record (nested deeper than" in row["problems"]
    assert float(row["seconds"]) < 120, row


def test_the_sandbox_holds_only_what_the_kernel_needs(hostile):
    text = outputs_text(hostile, "snoops", "part1.ipynb")
    assert "UID 65534 65534 65534 []" in text
    assert "CAPS ['0000000000000000']" in text
    assert "SEES" not in text and text.count("absent ") == 6, text  # other checkouts, the repository
    assert "no shadow FileNotFoundError" in text
    assert "IMPORTED" not in text and text.count("cannot import") == 3
    assert "withheld: lecture_lib.returns.standardize" in text
    assert "MARKER FOUND []" in text
    assert "WROTE" not in text and text.count("cannot write") == 5
    lib = re.search(r"LIB (\[.*\])", text).group(1)
    assert sorted(eval(lib)) == ["autograder_kernel", "lecture_lib"]
    assert set(eval(re.search(r"ETC (\[.*\])", text).group(1))) <= {"ld.so.cache", "passwd", "group"}
    top = set(eval(re.search(r"ROOT (\[.*\])", text).group(1)))
    allowed = {"usr", "lib", "lib64", "lib32", "libx32", "bin", "etc", "course", "tmp", "dev", "proc",
               "sys"} | {Path(p).parts[1] for p in (sys.prefix, sys.base_prefix, os.path.realpath(sys.executable))}
    assert top <= allowed, top - allowed


def test_student_made_links_and_fifos_change_nothing_outside(hostile):
    text = outputs_text(hostile, "plants_links", "part1.ipynb")
    assert "PLANTED" in text  # the attack ran
    row = hostile["rows"]["plants_links"]
    assert row["parts"] == "test_standardize=2/2; test_total=0/3", row
    assert hostile["source"].joinpath(hx.ASSIGNMENT, "part2.ipynb").is_file()
    # the other students' submissions are intact
    for student in ("good", "submitted"):
        folder = hostile["root"] / "submissions" / "submitted" / student / hx.ASSIGNMENT
        assert sorted(p.name for p in folder.iterdir()) == ["part1.ipynb", "part2.ipynb"]


def test_disk_quota_is_per_submission_in_total(hostile):
    text = outputs_text(hostile, "fills_disk", "part1.ipynb")
    written = int(re.search(r"WROTE MB (\d+)", text).group(1))
    assert 100 <= written <= 150, text
    assert "shm stopped OSError" in text


def test_feedback_pages_are_safe_to_open(hostile):
    assert hostile["feedback"].returncode == 0, hostile["feedback"].stderr
    pages = list((hostile["course"] / "feedback").rglob("*.html"))
    assert pages
    page = next(p for p in pages if p.parent.parent.name == "hostile_output" and p.name == "part1.html")
    for path in pages:
        text = path.read_text()
        tags = _tags(text)
        assert not [t for t in tags if t[0] in ("script", "iframe", "object", "embed", "svg")], path
        handlers = [(t, a) for t, attrs in tags for a, v in attrs if a.startswith("on")]
        assert not handlers, (path, handlers[:3])
        urls = [v for t, attrs in tags for a, v in attrs if a in ("href", "src") and v]
        assert not [u for u in urls if u.strip().lower().startswith(("javascript:", "http:", "https:"))], path
        assert "Content-Security-Policy" in text and "default-src 'none'" in text
        assert "\x1b" not in text
    text = page.read_text()
    assert "&lt;script&gt;window.PWNED=7" in text  # the exception message, shown as text
    assert "hover" in text                          # the student's markdown, sanitized but there


def test_hidden_verdicts_show_no_values(hostile):
    # hostile_output passes; run a wrong submission's hidden verdict through the notebook text
    for student in hostile["rows"]:
        for nb in ("part1.ipynb", "part2.ipynb"):
            path = hostile["course"] / "autograded" / student / hx.ASSIGNMENT / nb
            if not path.is_file():
                continue
            for line in outputs_text(hostile, student, nb).splitlines():
                if line.startswith("\u2717 hidden tests:"):
                    assert "expected" not in line and "got" not in line, line


def test_csv_and_export_neutralize_formulas_and_console_stays_clean(hostile):
    raw = hostile["csv"].read_text(encoding="utf-8")
    assert "\x1b" not in raw
    ids = list(read_csv(hostile["csv"]))
    hostile_row = next(i for i in ids if "SUM" in i)
    assert hostile_row.startswith("'=1+2\\x1b[31mred"), hostile_row
    for row in read_csv(hostile["csv"]).values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    for stream in (hostile["proc"].stdout, hostile["proc"].stderr, hostile["feedback"].stdout,
                   hostile["feedback"].stderr):
        assert "\x1b" not in stream and "\x07" not in stream
    assert hostile["export"].returncode == 0, hostile["export"].stderr
    exported = hostile["export_csv"].read_text(encoding="utf-8")
    assert "\x1b" not in exported
    with open(hostile["export_csv"], newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            for value in row:
                assert not value.startswith(("=", "+", "@")), value
                assert not value.startswith("-") or re.fullmatch(r"-\d+(\.\d+)?", value), value


def test_gradebook_agrees_with_the_csv(hostile):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hostile['course'] / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.score for s in gb.find_assignment(hx.ASSIGNMENT).submissions}
    assert scores == {s: float(r["score"]) for s, r in hostile["rows"].items()}


# ----------------------------------------------------------------- the safeguards on their own

def test_records_beyond_their_storage_or_too_deep_are_refused():
    from autograder_kernel.serialize import RecordError, dumps, loads, sanitize

    ok = {"a": sanitize(torch.arange(12.0).reshape(3, 4).T), "b": sanitize(torch.ones(1, 5)[:, 1:]),
          "c": [sanitize(torch.zeros(0, 3)), 1, 2.5, None, "s", (True,)]}
    assert loads(dumps(ok))["a"].shape == (4, 3)
    forged = [torch.zeros(1).expand(10**6), torch.arange(10.0)[2:5], torch.arange(10.0)[::2],
              torch.zeros(4, 4).T, torch.zeros(3).as_strided((1000, 1000), (0, 0))]
    for bad in forged:
        with pytest.raises(RecordError):
            loads(dumps({"x": bad}))
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(RecordError, match="nested deeper"):
        loads(dumps(deep))
    with pytest.raises(RecordError, match="claim more than"):
        loads(dumps([torch.zeros(2**20)] * 200))  # one stored tensor, counted each time it is named
    with pytest.raises(RecordError, match="not a string"):
        loads(dumps({1: 2}))
    with pytest.raises(RecordError, match="storage is not the size"):
        loads(dumps({"x": torch.zeros(10**6)[:10]}))  # 4 MB stored behind a 40-byte claim
    shared = [1]
    for _ in range(25):  # 10^25 paths through a 2 KB record
        shared = [shared] * 10
    start = time.monotonic()
    with pytest.raises(RecordError, match="more than once"):
        loads(dumps(shared))
    assert time.monotonic() - start < 1
    with pytest.raises(RecordError, match="more than 1,000,000 values"):
        loads(dumps(["s"] * 1_000_001))
    import io
    import zipfile

    plain = dumps({"x": torch.zeros(10**5)})
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as zin, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zout:
        for member in zin.infolist():
            zout.writestr(member.filename, zin.read(member.filename))
    with pytest.raises(RecordError, match="compressed member"):
        loads(packed.getvalue())
    with pytest.raises(RecordError, match="a string of more than"):
        loads(dumps({"error": {"message": " has shape " * 30_000}}))
    with pytest.raises(RecordError, match="structure takes more than"):
        loads(dumps([0.5 + i for i in range(600_000)]))  # refused before unpickling


def test_copy_submission_refuses_links_fifos_and_hard_links(tmp_path):
    from autograder.safe_files import copy_submission, read_regular, Refused

    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.ipynb").write_text("{}")
    (src / "sub" / "b.txt").write_text("b")
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    os.symlink(outside, src / "link.txt")
    os.symlink(tmp_path, src / "dirlink")
    os.mkfifo(src / "pipe")
    os.link(outside, src / "hard.txt")
    (src / "big.bin").write_bytes(b"x" * 5000)
    problems, refused = copy_submission(src, tmp_path / "dest", max_bytes=3000)
    dest = tmp_path / "dest"
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == ["a.ipynb", "sub", "sub/b.txt"]
    assert refused["link.txt"] == "a symbolic link" and refused["dirlink"] == "a symbolic link"
    assert refused["pipe"] == "a FIFO (named pipe)"
    assert refused["hard.txt"].startswith("a hard link")
    assert "exceed 3,000 bytes" in refused["big.bin"]
    assert len(problems) == 5
    # a FIFO is refused at once, never opened for a blocking read
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", _refusal(read_regular, src / "pipe")))
    t.start()
    t.join(5)
    assert result.get("r") == "a FIFO (named pipe)"
    with pytest.raises(Refused):
        read_regular(src / "link.txt")
    _, refused = copy_submission(src, tmp_path / "dest2", max_bytes=10**6, max_entries=3)
    assert sum("more than 3 files" in why for why in refused.values()) == 5


def _refusal(fn, path):
    try:
        fn(path)
    except OSError as exc:
        return str(exc)
    return None


def test_csv_safe_and_printable():
    from autograder.batch import csv_safe
    from autograder.safe_files import printable

    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    for start in ("+", "-", "@", "\t", "\r", "\n"):
        assert not csv_safe(start + "x").startswith(("=", "+", "-", "@", "\t", "\r", "\n")), start
    assert csv_safe("-3.5") == "-3.5" and csv_safe("12") == "12" and csv_safe("graded") == "graded"
    assert printable("a\x1b[2Jb\x07\u202e") == "a\\x1b[2Jb\\x07\\u202e"


def test_find_submissions_layout(tmp_path):
    from autograder.batch import find_submissions

    sub = tmp_path / "submitted"
    (sub / "submitted" / "a1").mkdir(parents=True)   # a student called "submitted"
    (sub / "alice" / "a1").mkdir(parents=True)
    (sub / "bob").mkdir()                            # did not hand in a1: no row
    (sub / ".DS_Store").write_text("")
    found = {s: why for s, _, why in find_submissions(sub, "a1")}
    assert found == {"submitted": None, "alice": None}
    found = {s: why for s, _, why in find_submissions(tmp_path, "a1")}
    assert found == {"submitted": None, "alice": None}


def test_a_failed_gradebook_creation_leaves_nothing(tmp_path, monkeypatch):
    import nbgrader.api

    from autograder.batch import open_gradebook

    def broken(url, *a, **k):
        Path(url.removeprefix("sqlite:///")).write_text("half")
        raise FileNotFoundError("alembic")

    monkeypatch.setattr(nbgrader.api, "Gradebook", broken)
    with pytest.raises(RuntimeError, match="could not be created"):
        open_gradebook(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_hostile_text_costs_linear_time():
    from autograder.checks import hidden_problem
    from autograder.grading import near_copies

    start = time.monotonic()
    assert hidden_problem(" has shape " * 30_000).startswith("the output is wrong")
    deep = "def standardize(x):\n    return " + " + ".join(["0 * x"] * 3000) + "\n"
    assert near_copies({"standardize": deep}, ["lecture_lib.returns.standardize"]) == []
    assert near_copies({"big": "x = 1\n" * 100_000}, ["lecture_lib.returns.standardize"]) == []
    assert time.monotonic() - start < 10


def test_hidden_briefs_name_the_kind_of_problem_only():
    from autograder.checks import collect, judge

    wrong = {
        "unit4.standardize": lambda x: x * 0 + 1.5,
        "unit4.total_returns": lambda r, d: r.double(),
        "unit0.images_to_vectors": lambda x: x.reshape(len(x), -1) / 256.0,
    }
    for ex, fn in wrong.items():
        verdict = judge(collect(ex, fn, suite="hidden"))
        assert not verdict.passed
        brief = verdict.brief()
        assert "expected" not in brief and "got" not in brief and "largest difference" not in brief, brief
        assert "case " in brief


class _TagCollector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag.lower(), [(a.lower(), v or "") for a, v in attrs]))


def _tags(text: str):
    """Every start tag of a page (tag, [(attribute, value)]), as a browser's parser sees them."""
    parser = _TagCollector()
    parser.feed(text)
    return parser.tags
