"""A two-notebook assignment and a class of hostile submissions for the grader-hardening tests.

The assignment ``duo`` has ``part1.ipynb`` (``standardize``, 2 points) and ``part2.ipynb``
(``total_returns``, 3 points), each with an exploration cell that some submissions turn into
an attack at run time: links and special files planted in the working folder, a filled disk,
snooping for other checkouts of the course, forged records, hostile outputs. Other
submissions are hostile as handed in: links, hard links, FIFOs, odd student ids, old or
absurd notebook formats. :func:`write_class` writes it all; :data:`EXPECTED` says what each
submission should score.
"""

from __future__ import annotations

import copy
import os
import secrets
from pathlib import Path

import nbformat

import grading_fixture as fx

ASSIGNMENT = "duo"
MARKER = "SECRET-" + secrets.token_hex(6)  # in the source's hidden tests only
EXPLORE = "print('exploring')"
HOSTILE_ID = "=1+2\x1b[31mred@SUM(A1)"
LONG_ID = "s" * 200


def _part(grade_ids: tuple[str, ...]) -> nbformat.NotebookNode:
    nb = fx.source_notebook()
    keep = []
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "markdown" or gid == "setup" or gid in grade_ids or cell.source == EXPLORE:
            keep.append(cell)
    nb.cells = keep
    for cell in nb.cells:  # a marker a snooping student could only find in the source
        if "### END HIDDEN TESTS" in cell.source:
            cell.source = cell.source.replace("### END HIDDEN TESTS", f"# {MARKER}\n### END HIDDEN TESTS")
    return nb


def source_notebooks() -> dict[str, nbformat.NotebookNode]:
    """Each part: a title, the set-up cell, an exploration cell, the solution, its test."""
    part1, part2 = _part(("standardize", "test_standardize")), _part(("total", "test_total"))
    for nb in (part1, part2):
        nb.cells = [c for c in nb.cells if c.source != EXPLORE]
        nb.cells.insert(2, nbformat.v4.new_code_cell(EXPLORE))
    return {"part1.ipynb": part1, "part2.ipynb": part2}


def _student(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What a student who solved everything hands in: solutions in, hidden tests out."""
    from autograder.plan import strip_hidden

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell.source = strip_hidden(cell.source)
        elif meta.get("solution"):
            cell.source = fx._strip_markers(cell.source)
    return nb


def good() -> dict[str, nbformat.NotebookNode]:
    return {name: _student(nb) for name, nb in source_notebooks().items()}


def _explore(nbs, name: str, code: str):
    cell = next(c for c in nbs[name].cells if c.source == EXPLORE)
    cell.source = code
    return nbs


def _stub(nb, grade_id: str):
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source = cell.source.split(":", 1)[0] + ":\n    raise NotImplementedError()"


SNOOP = """
import os, sys, glob
print("UID", os.getuid(), os.geteuid(), os.getgid(), os.getgroups())
caps = {{l.split(':')[0]: l.split(':')[1].strip() for l in open('/proc/self/status') if l.startswith('Cap')}}
print("CAPS", sorted(set(caps.values())))
print("ROOT", sorted(os.listdir('/')))
print("ETC", sorted(os.listdir('/etc')))
print("LIB", sorted(os.listdir('/course/lib')))
for p in {paths!r}:
    print("SEES" if os.path.exists(p) else "absent", p)
try:
    open('/etc/shadow').read(); print("READ /etc/shadow")
except OSError as e:
    print("no shadow", type(e).__name__)
for mod in ("autograder", "autograder.registry", "autograder.exercises"):
    try:
        __import__(mod); print("IMPORTED", mod)
    except Exception as e:
        print("cannot import", mod, type(e).__name__)
try:
    import lecture_lib.returns as r
    r.standardize(__import__('torch').ones(3)); print("REFERENCE RAN")
except RuntimeError as e:
    print("withheld:", str(e)[:40])
found = []
for root, dirs, files in os.walk('/'):
    if root.startswith(('/proc', '/sys', '/dev')) or 'site-packages' in root or '/lib/python3' in root:
        dirs[:] = []
        continue
    for f in files:
        p = os.path.join(root, f)
        try:
            if os.path.isfile(p) and os.path.getsize(p) < 5_000_000 and {m1!r} + {m2!r} in open(p, errors='ignore').read():
                found.append(p)
        except OSError:
            pass
print("MARKER FOUND", found)
for p in ('/course/grading/x', '/course/sockets/x', '/course/submission/x', '/course/lib/x', '/usr/lib/x'):
    try:
        open(p, 'w').write('x'); print("WROTE", p)
    except OSError as e:
        print("cannot write", p, type(e).__name__)
"""

PLANT = """
import os
# every name the grader ever used in the working folder, and the next notebook, become links
for name in ('.grading', '.kernel', 'part2.ipynb', 'timestamp.txt', 'record.pt'):
    try:
        if os.path.isdir(name) and not os.path.islink(name):
            os.rmdir(name)
        elif os.path.lexists(name):
            os.remove(name)
    except OSError:
        pass
os.symlink({source2!r}, 'part2.ipynb')
os.symlink('/course/sockets', '.kernel')
os.symlink('/', '.grading')
os.mkfifo('record.pt')
os.mkfifo('timestamp.txt')
os.link('part1.ipynb', 'hard.ipynb')
print("PLANTED", sorted(os.listdir('.')))
"""

FILL_DISK = """
import os
total = 0
for target in ('big1', '/tmp/big2', 'big3'):
    try:
        with open(target, 'wb') as f:
            while True:
                f.write(b'x' * 2**20)
                total += 2**20
    except OSError as e:
        print("stopped", target, type(e).__name__)
print("WROTE MB", total // 2**20)
try:
    with open('/dev/shm/x', 'wb') as f:
        for _ in range(200):
            f.write(b'x' * 2**20)
    print("SHM unbounded")
except OSError as e:
    print("shm stopped", type(e).__name__)
for target in ('big1', '/tmp/big2', 'big3', '/dev/shm/x'):
    if os.path.exists(target):
        os.remove(target)
"""

FORGE_EXPANDED = """
import base64, io, torch, autograder_kernel.collect as _c
from IPython.display import publish_display_data
def _forge(exercise, get_fn, suite, cases_path):
    big = torch.zeros(1).expand(2**26)  # claims 256 MiB, stores 4 bytes
    record = {"version": 1, "exercise": exercise, "suite": suite, "device": "cpu",
              "cases": [{"args": (big,), "kwargs": {}, "output": big, "error": None, "output_devices": []}]}
    buf = io.BytesIO(); torch.save(record, buf)
    publish_display_data({_c.RECORD_MIME: base64.b64encode(buf.getvalue()).decode()})
_c.collect_and_send = _forge
"""

FORGE_DEEP = """
import base64, io, torch, autograder_kernel.collect as _c
from IPython.display import publish_display_data
def _forge(exercise, get_fn, suite, cases_path):
    deep = []
    for _ in range(100):
        deep = [deep]
    record = {"version": 1, "exercise": exercise, "suite": suite, "device": "cpu",
              "cases": [{"args": (deep,), "kwargs": {}, "output": deep, "error": None, "output_devices": []}]}
    buf = io.BytesIO(); torch.save(record, buf)
    publish_display_data({_c.RECORD_MIME: base64.b64encode(buf.getvalue()).decode()})
_c.collect_and_send = _forge
"""

HOSTILE_OUTPUT = r"""
from IPython.display import HTML, Javascript, SVG, Markdown, display
display(HTML('<script>window.PWNED=1</script><img src=x onerror="window.PWNED=2"><b>bold</b>'))
display(Javascript('window.PWNED=3'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>window.PWNED=4</script></svg>'))
display(Markdown('<iframe src="javascript:window.PWNED=5"></iframe>'))
print('\x1b]0;pwned\x07\x1b[2J=HYPERLINK("http://evil")<script>window.PWNED=6</script>')
raise ValueError('<script>window.PWNED=7</script><img src=x onerror=alert(1)>')
"""

HOSTILE_MARKDOWN = ('# notes <script>window.PWNED=8</script>\n\n<img src=x onerror="window.PWNED=9">\n\n'
                    '[click](javascript:window.PWNED=10) <a href="javascript:alert(1)">x</a>\n\n'
                    '<div onmouseover="window.PWNED=11" style="width:100%">hover</div>')


STARTUP_CODE = """
import os
for target in ('/course/sockets/PWNED', '/tmp/work/STARTUP-RAN-{name}'):
    try:
        open(target, 'w').write('x')
    except OSError:
        pass
"""

STARTUP_FILES = {  # files that would run code while the kernel starts, were they honoured
    ".ipython/profile_default/startup/00-evil.py": STARTUP_CODE.format(name="ipython"),
    "ipykernel_launcher.py": STARTUP_CODE.format(name="launcher") + "\nfrom ipykernel import kernelapp as app\napp.launch_new_instance()\n",
    ".local/lib/python3.11/site-packages/usercustomize.py": STARTUP_CODE.format(name="usercustomize"),
    ".local/lib/python3.11/site-packages/evil.pth": "import os; open('/tmp/work/STARTUP-RAN-pth', 'w').write('x')\n",
    "sitecustomize.py": STARTUP_CODE.format(name="sitecustomize"),
    ".jupyter/jupyter_config.py": STARTUP_CODE.format(name="jupyter"),
    ".ipython/profile_default/ipython_kernel_config.py": STARTUP_CODE.format(name="kernelconfig"),
}

CHECK_STARTUP = """
import os, glob
print("STARTUP MARKERS", sorted(glob.glob('/tmp/work/STARTUP-RAN-*')))
"""


def submissions(source: Path, other_checkouts: list[Path], repo: Path) -> dict[str, tuple]:
    """{student: (what to write, expected score)}; what to write is a dict of file name ->
    notebook, text, bytes, or a callable (path) -> None that makes a special file."""
    out: dict[str, tuple] = {}
    out["good"] = (good(), 5)
    out["submitted"] = (good(), 5)      # a student whose id is "submitted"
    out[LONG_ID] = (good(), 5)          # 200 characters
    out[HOSTILE_ID] = (good(), 5)       # a formula and a terminal escape
    secrets_ = [str(p) for p in other_checkouts] + [str(repo / "solutions"), str(repo / "autograder"),
                                                    str(source), str(repo / "tests")]
    out["snoops"] = (_explore(good(), "part1.ipynb", SNOOP.format(paths=secrets_, m1=MARKER[:9], m2=MARKER[9:])), 5)
    nbs = good()
    _stub(nbs["part2.ipynb"], "total")   # its own part 2 is unsolved: the link must not help
    out["plants_links"] = (_explore(nbs, "part1.ipynb", PLANT.format(source2=str(source / "part2.ipynb"))), 2)
    out["fills_disk"] = (_explore(good(), "part1.ipynb", FILL_DISK), 5)
    nbs = _explore(good(), "part1.ipynb", FORGE_EXPANDED)
    out["forges_records"] = (_explore(nbs, "part2.ipynb", FORGE_DEEP), 0)
    nbs = _explore(good(), "part1.ipynb", HOSTILE_OUTPUT)
    nbs["part1.ipynb"].cells.insert(1, nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN))
    out["hostile_output"] = (nbs, 5)
    nbs = good()
    nbs["timestamp.txt"] = lambda p: os.mkfifo(p)
    nbs["data.bin"] = lambda p: os.mkfifo(p)
    out["fifos"] = (nbs, 5)
    nbs = good()
    nbs["part1.ipynb"] = lambda p: os.mkfifo(p)
    out["fifo_notebook"] = (nbs, 3)
    nbs = good()
    nbs["part1.ipynb"] = lambda p: os.symlink(source / "part1.ipynb", p)
    out["symlinked_notebook"] = (nbs, 3)
    nbs = good()
    nbs["part2.ipynb"] = "HARDLINK"      # made by write_class: a second name of the source's part 2
    out["hardlinked_notebook"] = (nbs, 2)
    nbs = good()
    nbs["part1.ipynb"] = nbformat.convert(copy.deepcopy(nbs["part1.ipynb"]), 3)
    out["nbformat3"] = (nbs, 5)
    nbs = _explore(good(), "part1.ipynb", CHECK_STARTUP)
    nbs.update(STARTUP_FILES)
    out["startup_files"] = (nbs, 5)
    nbs = _explore(good(), "part1.ipynb", "import helper, subprocess\nprint('HELPER', helper.X)\n"
                   "print(subprocess.run(['sh', '-c', 'echo SHELL-$((40 + 2))'], capture_output=True, text=True).stdout)")
    nbs["helper.py"] = "X = 42\n"   # handed in next to the notebook: importable, as in Jupyter
    out["helper_module"] = (nbs, 5)
    nbs = good()
    for _ in range(15):  # 30 MB of output over 15 cells: each within the per-cell cap
        nbs["part1.ipynb"].cells.insert(2, nbformat.v4.new_code_cell("print('x' * 2_000_000)"))
    out["floods_output"] = (nbs, 5)
    nbs = good()
    cell = next(c for c in nbs["part1.ipynb"].cells if c.source == EXPLORE)
    cell.metadata["nbgrader"] = {"grade_id": ["not", "a", "string"], "solution": True, "grade": {"x": 1}}
    nbs["part2.ipynb"].cells[0].metadata["nbgrader"] = {"grade_id": {"a": 1}, "locked": True}
    deep = "/".join(["d"] * 40)
    nbs[deep + "/notes.txt"] = "deep"
    out["odd_metadata_and_folders"] = (nbs, 5)
    nbs = good()
    nbs["part1.ipynb"] = '{"cells": ' + "[" * 200_000 + "]" * 200_000 + ', "nbformat": 4}'
    out["deep_json"] = (nbs, 3)
    return out


def write_class(root: Path, repo: Path, other_checkouts: list[Path]) -> tuple[Path, dict[str, float]]:
    """Write the source assignment and the class; return (source folder, expected scores)."""
    source = root / "source"
    (source / ASSIGNMENT).mkdir(parents=True)
    for name, nb in source_notebooks().items():
        nbformat.write(nb, str(source / ASSIGNMENT / name))
    submitted = root / "submissions" / "submitted"
    expected = {}
    for student, (files, score) in submissions(source / ASSIGNMENT, other_checkouts, repo).items():
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if content == "HARDLINK":
                os.link(source / ASSIGNMENT / name, path)
            elif callable(content):
                content(path)
            elif isinstance(content, str):
                path.write_text(content)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                nbformat.write(content, str(path), version=content.get("nbformat", 4))
        expected[student] = score
    # entries that are not submission folders
    (submitted / "loose_file").write_text("not a folder")
    expected["loose_file"] = 0
    (submitted / "file_not_folder").mkdir()
    (submitted / "file_not_folder" / ASSIGNMENT).write_text("a zip, say")
    expected["file_not_folder"] = 0
    os.symlink(submitted / "good", submitted / "linked_student")
    expected["linked_student"] = 0
    return source, expected
