"""A small graded assignment and a class of adversarial submissions for the grading CLI tests.

The assignment ``mini`` has three parts graded by real checks: ``standardize`` (2 points),
``total_returns`` (3 points) and ``discounted_returns`` (1 point), an untouchable setup cell,
and an exploration cell between the parts that some submissions turn into an attack.
"""

from __future__ import annotations

import copy
import inspect
import json
from pathlib import Path

import nbformat

ASSIGNMENT = "mini"
MAX_SCORE = 6.0

STANDARDIZE = '''def standardize(x):
    ### BEGIN SOLUTION
    return (x - x.mean()) / (x.std(unbiased=False) + 1e-8)
    ### END SOLUTION'''

TOTAL = '''def total_returns(rewards, dones):
    ### BEGIN SOLUTION
    out = torch.empty_like(rewards)
    flat_r, flat_d = rewards.reshape(len(rewards), -1), dones.reshape(len(dones), -1)
    flat_o = out.reshape(len(out), -1)
    for j in range(flat_r.shape[1]):
        start = 0
        for t in range(len(flat_r)):
            if flat_d[t, j] or t == len(flat_r) - 1:
                flat_o[start:t + 1, j] = flat_r[start:t + 1, j].sum()
                start = t + 1
    return out
    ### END SOLUTION'''

DISCOUNTED = '''def discounted_returns(rewards, dones, gamma):
    ### BEGIN SOLUTION
    out = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[0])
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * (1 - dones[t].to(rewards.dtype)) * running
        out[t] = running
    return out
    ### END SOLUTION'''


def _test(exercise: str, function: str) -> str:
    return (f'from autograder import check\n\ncheck("{exercise}", {function})\n'
            f'### BEGIN HIDDEN TESTS\ncheck("{exercise}", {function}, suite="hidden")\n### END HIDDEN TESTS')


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [
        nbformat.v4.new_markdown_cell("# Mini assignment"),
        nbformat.v4.new_code_cell("import torch", metadata=_meta("setup", locked=True)),
        nbformat.v4.new_code_cell(STANDARDIZE, metadata=_meta("standardize", solution=True)),
        nbformat.v4.new_code_cell(_test("unit4.standardize", "standardize"),
                                  metadata=_meta("test_standardize", grade=True, locked=True, points=2)),
        nbformat.v4.new_code_cell("print('exploring')"),
        nbformat.v4.new_code_cell(TOTAL, metadata=_meta("total", solution=True)),
        nbformat.v4.new_code_cell(_test("unit4.total_returns", "total_returns"),
                                  metadata=_meta("test_total", grade=True, locked=True, points=3)),
        nbformat.v4.new_code_cell(DISCOUNTED, metadata=_meta("discounted", solution=True)),
        nbformat.v4.new_code_cell(_test("unit4.discounted_returns", "discounted_returns"),
                                  metadata=_meta("test_discounted", grade=True, locked=True, points=1)),
    ]
    nb.cells = cells
    return nb


def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if "### " not in line)


def student_notebook() -> nbformat.NotebookNode:
    """What a student who solved everything hands in: solutions in, hidden tests out."""
    nb = source_notebook()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            lines, hide = [], False
            for line in cell.source.splitlines():
                if line.strip() == "### BEGIN HIDDEN TESTS":
                    hide = True
                elif line.strip() == "### END HIDDEN TESTS":
                    hide = False
                elif not hide:
                    lines.append(line)
            cell.source = "\n".join(lines).rstrip()
        else:
            cell.source = _strip_markers(cell.source)
    return nb


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _exploration(nb):
    return next(c for c in nb.cells if c.source == "print('exploring')")


# (student, code of the exploration cell between the parts, expected score): every part still counts
EXPLORATION_ATTACKS = [
    ("swallows_interrupt", "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n"
                           "    except KeyboardInterrupt:\n        pass", 6),
    ("kills_kernel", "import os\nos._exit(1)", 6),
    ("eats_memory", "hog = []\nwhile True:\n    hog.append(bytearray(2**28))", 6),
    ("fork_bomb", "import os, time\nfor i in range(10_000):\n    try:\n        if os.fork() == 0:\n"
                  "            time.sleep(1); os._exit(0)\n    except OSError:\n        break\n"
                  "print('forks stopped at', i)\n"
                  "while True:\n    try:\n        os.wait()\n    except ChildProcessError:\n        break", 6),
    ("huge_output", "print('x' * 30_000_000)", 6),
]


def submissions(repo: Path, course: Path) -> dict[str, tuple[object, float]]:
    """{student: (notebook or raw text, expected score)}."""
    import lecture_lib.returns as returns

    out: dict[str, tuple[object, float]] = {}
    good = student_notebook()
    out["good"] = (good, 6)

    nb = student_notebook()
    for gid in ("standardize", "total", "discounted"):
        _cell(nb, gid).source = _cell(nb, gid).source.split(":", 1)[0] + ":\n    raise NotImplementedError()"
    out["stub"] = (nb, 0)

    nb = student_notebook()
    _cell(nb, "standardize").source = ("import lecture_lib.returns\n"
                                       "def standardize(x):\n    return lecture_lib.returns.standardize(x)")
    out["calls_reference"] = (nb, 4)

    nb = student_notebook()
    _cell(nb, "total").source = ("from lecture_lib.returns import total_returns as _t\n"
                                 "total_returns = _t")
    out["aliases_reference"] = (nb, 3)

    nb = student_notebook()  # wrong answers + every patch a kernel can make
    _cell(nb, "standardize").source = "def standardize(x):\n    return x * 0"
    _exploration(nb).source = """
import torch, autograder_kernel.collect as _c
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.Tensor.__eq__ = lambda *a, **k: True
_orig = _c.collect_and_send
def _forge(exercise, get_fn, suite, cases_path):
    _orig(exercise, lambda: (lambda *a, **k: a[0]), suite, cases_path)
_c.collect_and_send = _forge
try:
    import autograder.checks
    from autograder.checks import Verdict
    autograder.checks.judge = lambda *a, **k: Verdict("x", "visible", True, 1)
    print("IMPORTED autograder")
except ImportError as e:
    print("no autograder here:", type(e).__name__)
"""
    _cell(nb, "total").source = "def total_returns(rewards, dones):\n    return rewards"
    out["patches_everything"] = (nb, 0)  # the forged records claim wrong outputs for every part

    nb = student_notebook()
    secret_paths = [str(course / "gradebook.db"), str(repo / "solutions"), str(repo / "tests"),
                    str(course / "submitted")]
    _exploration(nb).source = f"""
import os, socket, glob
for p in {secret_paths!r}:
    print("SEES" if os.path.exists(p) else "hidden", p)
for p in {[str(course / "pwned.txt"), str(repo / "pwned.txt")]!r}:
    try:
        open(p, "w").write("x"); print("WROTE", p)
    except OSError as e:
        print("cannot write", p)
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3); print("NETWORK")
except OSError as e:
    print("no network", type(e).__name__)
print("found", [p for p in glob.glob("/tmp/**/*.ipynb", recursive=True)])
print("HISTORY", [h for h in In if "collect" + "_to_file" in h or "suite" + "=" in h])
"""
    out["snoops"] = (nb, 6)

    for student, code, score in EXPLORATION_ATTACKS:  # the cell between the parts misbehaves
        nb = student_notebook()
        _exploration(nb).source = code
        out[student] = (nb, score)

    nb = student_notebook()
    _cell(nb, "total").source = "import os\nos._exit(1)\n" + _cell(nb, "total").source
    out["dies_in_solution"] = (nb, 3)

    nb = student_notebook()
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_total"]
    _cell(nb, "total").source = "def total_returns(rewards, dones):\n    return rewards"
    out["deletes_test"] = (nb, 3)

    nb = student_notebook()
    _cell(nb, "test_standardize").source = "print('all good')"
    _cell(nb, "standardize").source = "def standardize(x):\n    return x"
    out["edits_test"] = (nb, 4)

    nb = student_notebook()
    dup = copy.deepcopy(_cell(nb, "standardize"))
    dup.source = "def standardize(x):\n    return x - x.mean()"
    nb.cells.insert(nb.cells.index(_cell(nb, "standardize")) + 1, dup)
    nb.cells.insert(nb.cells.index(_cell(nb, "test_standardize")) + 1, copy.deepcopy(_cell(nb, "test_standardize")))
    out["duplicates_grade_id"] = (nb, 4)

    nb = student_notebook()
    _cell(nb, "total").source = inspect.getsource(returns.total_returns)
    _cell(nb, "total").source = ("from lecture_lib.returns import _check\n"
                                 "def reward_to_go(rewards, dones):\n"
                                 "    out, running = torch.zeros_like(rewards), torch.zeros_like(rewards[0])\n"
                                 "    for t in reversed(range(len(rewards))):\n"
                                 "        running = rewards[t] + (1 - dones[t].to(rewards.dtype)) * running\n"
                                 "        out[t] = running\n"
                                 "    return out\n" + _cell(nb, "total").source)
    out["copies_reference"] = (nb, 6)

    nb = student_notebook()  # a short reference pasted as is (docstring and all)
    _cell(nb, "standardize").source = inspect.getsource(returns.standardize)
    out["pastes_short_reference"] = (nb, 6)

    nb = student_notebook()  # hard-codes answers for the (public) visible inputs only
    from autograder.exercises import get_exercise
    ex = get_exercise("unit4.standardize")
    table = [(c.args[0].tolist(), returns.standardize(c.args[0]).tolist()) for c in ex.cases("visible")]
    _cell(nb, "standardize").source = (f"_TABLE = {table!r}\n"
                                       "def standardize(x):\n"
                                       "    for inp, outp in _TABLE:\n"
                                       "        if x.tolist() == inp:\n"
                                       "            return torch.tensor(outp, dtype=x.dtype)\n"
                                       "    return x")
    out["lookup_table"] = (nb, 4)

    out["corrupt_json"] = ('{"cells": [', 0)
    out["not_a_notebook"] = (json.dumps({"hello": "world"}), 0)
    out["binary_garbage"] = (bytes(range(256)) * 10, 0)
    return out


def write_class(root: Path, repo: Path, course: Path) -> tuple[Path, dict[str, float]]:
    """Write the source assignment and the submissions; return (source folder, expected scores)."""
    source = root / "source"
    (source / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), str(source / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
    submitted = root / "submissions" / "submitted"
    expected = {}
    for student, (content, score) in submissions(repo, course).items():
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        path = folder / f"{ASSIGNMENT}.ipynb"
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content)
        else:
            nbformat.write(content, str(path))
        expected[student] = score
    (submitted / "no_notebook" / ASSIGNMENT).mkdir(parents=True)
    (submitted / "no_notebook" / ASSIGNMENT / "notes.txt").write_text("forgot it")
    expected["no_notebook"] = 0
    return source, expected
