"""Trusted grading of one submission: merge over the plan, run sandboxed, judge outside.

The plan comes from the instructor's *source* notebook (:func:`autograder.plan.plan_notebook`:
every test cell as its points and ``check("<exercise>", <function>, suite=...)`` calls). :func:`merge` lays the
student's cells over it the way nbgrader does: the student's order, solution cells as the
student wrote them, test cells and locked cells as the source has them (restored when edited,
deleted or duplicated, each noted as a problem).

:func:`grade_submission` first copies the submission into the grader's own folder (regular
files with one name only: :mod:`autograder.safe_files`) and reads every notebook from that
pristine copy, before any student code runs; nothing the kernel writes is ever read back.
Then, for each notebook, it starts a sandboxed kernel (:mod:`autograder.sandbox`) and runs
the cells; a test cell runs no test code in the kernel: for each of its checks the grader
draws the inputs (the hidden suite from the secret seed the client drew), writes them to a folder the
kernel can only read, and has the kernel call the student's function on them
(:mod:`autograder_kernel.collect`); the outputs come back on the kernel's output channel as a
record that is checked for bounds and judged here (:func:`autograder.checks.judge`), with the
real ``lecture_lib``.
A test cell earns its points when every check in it passes. A kernel that dies or is killed is
restarted, the cells that had run are replayed, and grading goes on after the cell that killed
it: the parts that ran keep their credit.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import difflib
import functools
import inspect
import io
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
import tokenize
import traceback
from pathlib import Path

import nbformat

from autograder.notebooks import NotebookError, read_notebook
from autograder.plan import TestCell, nbgrader_meta, plan_notebook
from autograder.results import PartResult, SubmissionResult
from autograder.safe_files import Bundle

__all__ = ["merge", "grade_submission", "Job", "InfrastructureError", "draw_seeds", "zero_parts", "near_copies",
           "kernel_env"]

COPY_THRESHOLD = 0.85       # similarity at or above which a solution is flagged as a near-copy
COPY_PASTE_THRESHOLD = 0.9  # shorter references: similarity as written, docstring included
COPY_MIN_TOKENS = 60        # shorter references: a correct solution is often token-for-token the same
MAX_RESTARTS = 3


# ----------------------------------------------------------------- merging

@dataclasses.dataclass
class PlannedCell:
    kind: str                    # "code", "markdown", "raw", "test"
    source: str
    grade_id: str | None = None
    metadata: dict = dataclasses.field(default_factory=dict)


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in str(text).strip().splitlines())


def merge(student: nbformat.NotebookNode, source: nbformat.NotebookNode,
          tests: dict[str, TestCell]) -> tuple[list[PlannedCell], list[str]]:
    """The cells to run: the student's, with test and locked cells taken from the source."""
    problems: list[str] = []
    src_cells = {(nbgrader_meta(c).get("grade_id")): c for c in source.cells if nbgrader_meta(c).get("grade_id")}
    protected = {gid for gid, c in src_cells.items()
                 if gid in tests or (nbgrader_meta(c).get("locked") and not nbgrader_meta(c).get("solution"))}
    solution_ids = {gid for gid, c in src_cells.items() if nbgrader_meta(c).get("solution")}
    planned: list[PlannedCell] = []
    placed: dict[str, int] = {}
    seen_solution: set[str] = set()

    def source_cell(gid: str) -> PlannedCell:
        c = src_cells[gid]
        meta = {"nbgrader": dict(nbgrader_meta(c))}
        if gid in tests:
            return PlannedCell("test", tests[gid].visible_source, gid, meta)
        return PlannedCell(c.cell_type, c.source, gid, meta)

    for cell in student.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in protected:
            if gid in placed:
                problems.append(f"duplicate of the protected cell {gid!r} ignored")
                continue
            allowed = {_norm(src_cells[gid].source)}
            if gid in tests:
                allowed.add(_norm(tests[gid].visible_source))
            if _norm(cell.get("source", "")) not in allowed:
                problems.append(f"{'test' if gid in tests else 'locked'} cell {gid!r} was edited; "
                                "the original was used")
            placed[gid] = len(planned)
            planned.append(source_cell(gid))
            continue
        if gid in solution_ids:
            if gid in seen_solution:
                problems.append(f"duplicate grade_id {gid!r}: both cells were run, in order")
            seen_solution.add(gid)
            placed.setdefault(gid, len(planned))
        kind = cell.get("cell_type", "code")
        if kind not in ("code", "markdown", "raw"):
            continue
        planned.append(PlannedCell(kind, str(cell.get("source", "")), gid if gid in solution_ids else None,
                                   {"nbgrader": dict(nbgrader_meta(cell))} if gid in solution_ids else {}))
    # restore what is missing, after the source cell before it that is present
    order = [(nbgrader_meta(c).get("grade_id")) for c in source.cells]
    for i, gid in enumerate(order):
        if gid is None or gid in placed or gid not in protected:
            continue
        anchor = next((placed[g] for g in reversed(order[:i]) if g in placed), -1)
        cell = source_cell(gid)
        planned.insert(anchor + 1, cell)
        placed = {g: (p + 1 if p > anchor else p) for g, p in placed.items()}
        placed[gid] = anchor + 1
        problems.append(f"{'test' if gid in tests else 'locked'} cell {gid!r} was missing; restored")
    for gid in sorted(solution_ids - seen_solution):
        if src_cells[gid].cell_type == "code":
            problems.append(f"solution cell {gid!r} is missing")
    return planned, problems


# ----------------------------------------------------------------- near copies

class _Canon(ast.NodeTransformer):
    """Names -> v0, v1, ... in order of first use; docstrings dropped."""

    def __init__(self):
        self.names: dict[str, str] = {}

    def _n(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node):
        node.id = self._n(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self._n(node.arg)
        node.annotation = None
        return node

    def visit_FunctionDef(self, node):
        if _has_docstring(node):
            node.body = node.body[1:] or [ast.Pass()]
        node.name = "f"
        node.returns = None
        node.decorator_list = []
        self.generic_visit(node)
        return node


def _code_tokens(text: str) -> list[str]:
    """The significant tokens of Python source (no layout, no comments)."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                tokenize.COMMENT, tokenize.ENDMARKER):
                out.append(tok.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def _tokens(func: ast.FunctionDef) -> list[str]:
    """Tokens of the function with variables renamed and the docstring dropped."""
    return _code_tokens(ast.unparse(_Canon().visit(ast.parse(ast.unparse(func)))))


def _raw_tokens(func: ast.FunctionDef) -> list[str]:
    """Tokens of the function as written (names and docstring kept): a pasted copy matches."""
    return _code_tokens(ast.unparse(func))


def _has_docstring(func: ast.FunctionDef) -> bool:
    return bool(func.body) and isinstance(func.body[0], ast.Expr) and isinstance(func.body[0].value, ast.Constant) \
        and isinstance(func.body[0].value.value, str)


def _ratio(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


MAX_COPY_SOURCE = 200_000  # characters of a solution cell compared with the references at most


def _functions(source: str) -> list[ast.FunctionDef]:
    if len(source) > MAX_COPY_SOURCE:
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


@dataclasses.dataclass(frozen=True)
class _Reference:
    name: str
    tokens: tuple[str, ...]        # variables renamed, docstring dropped
    raw_tokens: tuple[str, ...]    # as written
    has_docstring: bool


@functools.lru_cache(maxsize=None)
def _reference_functions(names: tuple[str, ...]) -> list[_Reference]:
    """Each reference's tokens; parsed and tokenized once per process."""
    import importlib

    out = []
    for name in names:
        parts = name.split(".")
        for split in range(len(parts) - 1, 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:split]))
            except ImportError:
                continue
            try:
                for attr in parts[split:]:
                    obj = getattr(obj, attr)
                src = inspect.getsource(obj)
            except (AttributeError, OSError, TypeError):
                break
            funcs = _functions(inspect.cleandoc("\n" + src) if src.startswith((" ", "\t")) else src)
            if funcs:
                f = funcs[0]
                out.append(_Reference(name, tuple(_tokens(f)), tuple(_raw_tokens(f)), _has_docstring(f)))
            break
    return out


def near_copies(solution_sources: dict[str, str], reference_names) -> list[str]:
    """Flags: solution cells holding a function that is a near-copy of a reference's source."""
    refs = _reference_functions(tuple(reference_names))
    flags = []
    for gid, source in solution_sources.items():
        for func in _functions(source):
            try:
                tokens = _tokens(func)
                raw_tokens = _raw_tokens(func) if _has_docstring(func) else None
            except (RecursionError, MemoryError, ValueError, SyntaxError):
                continue  # a function too deep to compare is not looked at (it still runs and is graded)
            for ref in refs:
                score = _ratio(tokens, ref.tokens) if len(ref.tokens) >= COPY_MIN_TOKENS else 0.0
                if score < COPY_THRESHOLD and ref.has_docstring and raw_tokens is not None:
                    # short references: only a paste (the reference's own docstring and names) counts
                    raw = _ratio(raw_tokens, ref.raw_tokens)
                    score = raw if raw >= COPY_PASTE_THRESHOLD else 0.0
                if score >= min(COPY_THRESHOLD, COPY_PASTE_THRESHOLD):
                    flags.append(f"near-copy of {ref.name} in {gid} (similarity {score:.2f})")
                    break
    return flags


# ----------------------------------------------------------------- grading one submission

class InfrastructureError(RuntimeError):
    """Grading could not start on this machine (no working sandbox, a kernel that would not
    launch before anything handed in ran): not the student's doing, so the fan-out retries the
    submission and, if it persists, records it as not gradable (never as a 0)."""


@dataclasses.dataclass
class Job:
    """Everything a worker needs to grade one submission, on any machine with the course
    installed: the submission's files and the source notebooks travel inside it; the secret
    hidden-test seeds are drawn by the client (:func:`draw_seeds`)."""
    student: str
    assignment: str
    bundle: Bundle              # the submission as the client read it (safe_files.read_submission)
    sources: dict[str, str]     # source notebook file name -> its text, in the assignment's order
    seeds: dict[str, int]       # "<notebook>:<grade_id>:<check>" -> secret seed of a hidden suite
    withheld: list[str]         # lecture_lib functions replaced by a raise inside the sandbox
    limits: dict
    isolate: bool
    fast: bool = True
    threads: int = 1            # OMP/MKL threads of the kernel


def seed_key(nb_name: str, grade_id: str, index: int) -> str:
    return f"{nb_name}:{grade_id}:{index}"


def draw_seeds(plans: dict[str, dict[str, "TestCell"]]) -> dict[str, int]:
    """A fresh secret seed for every hidden check of every notebook (``{notebook: tests}``)."""
    return {seed_key(nb, t.grade_id, i): secrets.randbits(62)
            for nb, tests in plans.items() for t in tests.values()
            for i, chk in enumerate(t.checks) if chk.suite == "hidden"}


def _cases_blob(cases, runner) -> bytes:
    from autograder_kernel.runners import spec_of
    from autograder_kernel.serialize import dumps, sanitize

    # plain, contiguous copies: what the kernel reads back passes the same bounds as a record
    return dumps({"cases": [(sanitize(c.args), sanitize(c.kwargs), c.note) for c in cases],
                  "runner": spec_of(runner)})


def zero_parts(nb_name: str, tests: dict[str, TestCell], message: str) -> dict[str, PartResult]:
    """Every test cell of the notebook as a part with 0 points, keyed ``"<notebook>:<grade_id>"``."""
    parts = (PartResult(nb_name, t.grade_id, t.points, message=message) for t in tests.values())
    return {p.key: p for p in parts}


def _zero_parts(result: SubmissionResult, nb_name: str, tests: dict[str, TestCell], message: str) -> dict:
    """Enter every test cell of the notebook in ``result.parts`` with 0 points so far."""
    result.parts.update(zero_parts(nb_name, tests, message))
    return result.parts


def _stream(text: str, name: str = "stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


async def _grade_notebook(job: Job, box, source_path: Path, plan, student_nb, deadline: float,
                          result: SubmissionResult) -> None:
    from autograder.checks import judge
    from autograder.executor import Kernel, KernelDied
    from autograder.exercises import get_exercise
    from autograder_kernel.serialize import RecordError, loads

    limits = box.limits
    nb_name = source_path.name
    source_nb, tests = plan
    parts = _zero_parts(result, nb_name, tests, "not run")
    planned, problems = merge(student_nb, source_nb, tests)
    result.problems += [f"{nb_name}: {p}" for p in problems]
    solution_sources = {c.grade_id: c.source for c in planned if c.grade_id and c.kind == "code"}
    withheld = sorted({n for t in tests.values() for chk in t.checks for n in get_exercise(chk.exercise).withholds})
    result.flags += [f"{nb_name}: {f}" for f in near_copies(solution_sources, withheld)]

    out_nb = nbformat.v4.new_notebook(metadata=source_nb.metadata)
    out_nb.metadata["autograder"] = {"withheld": withheld}
    kernel = Kernel(box, box.kernel_env(kernel_env(job)), limits.max_output, max_total_output=limits.max_total_output)
    replay: list[str] = []
    restarts = 0
    started = False

    async def ensure_kernel() -> bool:
        nonlocal started, restarts
        if started and await kernel.alive():
            return True
        if restarts > MAX_RESTARTS:
            return False
        if started:
            await kernel.kill()  # its socket folder goes; a fresh one comes with the new kernel
            restarts += 1
            if restarts > MAX_RESTARTS:
                return False
        try:
            await kernel.start()
        except KernelDied as exc:
            if exc.infrastructure and not started and not result.student_code_ran:
                raise InfrastructureError(str(exc)) from None
            restarts = MAX_RESTARTS + 1  # do not try again for every cell
            result.failures.append(f"{nb_name}: {exc}")
            return False
        started = True
        result.student_code_ran = True
        for code in replay:  # the state the cells before had built
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            r = await kernel.run(code, min(limits.cell_timeout, remaining), keep_outputs=False)
            if r.status in ("dead", "timeout"):
                return await kernel.alive()
        return True

    try:
        for index, cell in enumerate(planned, 1):
            if cell.kind in ("markdown", "raw"):
                new = (nbformat.v4.new_markdown_cell if cell.kind == "markdown" else nbformat.v4.new_raw_cell)(cell.source)
                new.metadata.update(cell.metadata)
                out_nb.cells.append(new)
                continue
            new = nbformat.v4.new_code_cell(cell.source)
            new.metadata.update(cell.metadata)
            out_nb.cells.append(new)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                new.outputs.append(_stream(f"[autograder: not run: the submission's limit of "
                                           f"{limits.timeout:.0f} s was reached]\n", "stderr"))
                if "time limit" not in " ".join(result.problems):
                    result.problems.append(f"{nb_name}: the time limit of {limits.timeout:.0f} s was "
                                              f"reached at cell {index}; later cells did not run")
                continue
            if not await ensure_kernel():
                new.outputs.append(_stream("[autograder: not run: the kernel could not be restarted]\n", "stderr"))
                continue
            if cell.kind == "code":
                r = await kernel.run(cell.source, min(limits.cell_timeout, remaining))
                new.outputs.extend(r.outputs)
                if r.truncated:
                    result.problems.append(f"{nb_name}: cell {index} printed too much; "
                                              f"{r.truncated:,} bytes of output were dropped")
                if r.status in ("timeout", "dead"):
                    new.outputs.append(_stream(f"[autograder: {r.detail}]\n", "stderr"))
                    result.problems.append(f"{nb_name}: cell {index} {r.detail}")
                    if r.status == "dead" or not await kernel.alive():
                        result.problems[-1] += "; later cells ran in a fresh kernel after replaying the earlier ones"
                elif r.status == "ok":
                    replay.append(cell.source)
                continue
            # a test cell: collect in the kernel, judge here
            test = tests[cell.grade_id]
            verdicts, lines = [], []
            for check_index, chk in enumerate(test.checks):
                exercise = get_exercise(chk.exercise)
                seed = job.seeds[seed_key(nb_name, cell.grade_id, check_index)] if chk.suite == "hidden" else None
                cases = exercise.cases(chk.suite, seed=seed)
                name = f"cases-{secrets.token_hex(8)}.pt"
                cases_path = box.grading / name
                fd = os.open(cases_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
                with os.fdopen(fd, "wb") as f:
                    f.write(_cases_blob(cases, exercise.run))
                code = ("import autograder_kernel.collect as _autograder_collect\n"
                        f"_autograder_collect.collect_and_send({chk.exercise!r}, lambda: ({chk.function}), "
                        f"{chk.suite!r}, {str(box.inside_grading / name)!r})")
                remaining = deadline - time.monotonic()
                try:
                    r = await kernel.run(code, max(1.0, min(limits.cell_timeout, remaining)), keep_outputs=False,
                                         store_history=False, capture_record=True)
                finally:
                    cases_path.unlink(missing_ok=True)
                verdict_text, passed = None, False
                where = f"{chk.exercise} ({chk.suite})"
                if r.status in ("timeout", "dead"):
                    verdict_text = f"{where}: not graded: {r.detail}"
                    result.problems.append(f"{nb_name}: test {cell.grade_id}: {r.detail}")
                    await ensure_kernel()  # for the next check or cell; a failure shows there
                elif r.record is None:
                    why = r.record_error or (f"{r.error[0]}: {r.error[1][:300]}" if r.error else "no result came back")
                    verdict_text = f"{where}: your function could not be checked ({why})"
                else:
                    try:
                        record = loads(r.record)
                        verdict = judge(record, exercise_id=chk.exercise, suite=chk.suite, cases=cases)
                    except (RecordError, ValueError) as exc:  # forged, corrupt or malformed: no credit
                        verdict_text = f"{where}: the result was refused ({str(exc)[:300]}); nothing is credited"
                        result.problems.append(f"{nb_name}: test {cell.grade_id}: a refused record "
                                                  f"({str(exc)[:200]})")
                    except Exception as exc:  # judging a valid record failed: the grader's own bug
                        verdict_text = f"{where}: not graded (a grader error; your instructor has the details)"
                        result.problems.append(f"{nb_name}: test {cell.grade_id}: grader error while judging: "
                                                  f"{type(exc).__name__}: {str(exc)[:200]}")
                        result.traceback = result.traceback or traceback.format_exc()
                    else:
                        passed = verdict.passed
                        if chk.suite == "visible":
                            verdict_text = verdict.message
                        elif passed:
                            verdict_text = f"hidden tests: passed ({verdict.n_cases} cases)"
                        else:
                            verdict_text = f"hidden tests: {verdict.brief()}"
                verdicts.append(passed)
                lines.append(("\u2713 " if passed else "\u2717 ") + verdict_text)
            passed = bool(verdicts) and all(verdicts)
            part = parts[f"{nb_name}:{cell.grade_id}"]
            part.score, part.passed, part.message = (test.points if passed else 0.0), passed, "\n".join(lines)
            new.outputs.append(_stream("\n".join(lines) + "\n", "stdout" if passed else "stderr"))
            new.metadata["autograder"] = {"score": part.score, "points": test.points, "passed": passed}
    finally:
        await kernel.kill()  # nothing in a grading kernel is worth a graceful shutdown
        result.notebooks[nb_name] = nbformat.writes(out_nb)


def kernel_env(job: Job) -> dict[str, str]:
    """The grading kernel's whole environment, from this (the worker's) installation."""
    threads = str(max(1, job.threads))
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "COURSE_FAST": "1" if job.fast else "0", "COURSE_PROGRESS": "0",
           "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
           "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    if os.environ.get("COURSE_DEVICE"):
        env["COURSE_DEVICE"] = os.environ["COURSE_DEVICE"]
    return env


def scratch_root() -> Path:
    """A new private folder (mode 0700) for one submission: short, so that socket paths stay far
    below the 107-byte limit whatever the student ids are."""
    base = Path(tempfile.gettempdir())
    if len(str(base)) > 40:
        base = Path("/tmp")
    return Path(tempfile.mkdtemp(prefix="ag-", dir=base))


def _prepare_worker(job: Job, scratch: Path) -> tuple[list[Path], Path, Path]:
    """What this machine needs before any student code runs: a working sandbox, the source
    notebooks, the packages the kernel may import and the data folder. Failures here are the
    machine's: :class:`InfrastructureError`."""
    from autograder.sandbox import build_packages, probe
    from lecture_lib.data import data_dir

    if job.isolate:
        works, why = probe()
        if not works:
            raise InfrastructureError(f"the sandbox cannot start on {socket.gethostname()}: {why}")
    sources = scratch / "source"
    sources.mkdir(mode=0o700)
    paths = []
    for name, text in job.sources.items():
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"not a notebook file name: {name!r}")
        (sources / name).write_text(text, encoding="utf-8")
        paths.append(sources / name)
    try:
        lib = build_packages(sorted(job.withheld), scratch / "lib")
    except OSError as exc:
        raise InfrastructureError(f"the kernel's packages could not be prepared: {exc}") from None
    return paths, lib, data_dir()


async def _grade(job: Job) -> SubmissionResult:
    from autograder.safe_files import write_bundle
    from autograder.sandbox import Cgroups, Limits, Sandbox

    limits = Limits(**job.limits)
    result = SubmissionResult(job.student, job.assignment)
    start = time.monotonic()
    deadline = start + limits.timeout
    # this submission's folder: named by a token, never by the student id (any length, any characters)
    scratch = scratch_root()
    cgroups = None
    try:
        sources, lib, data = _prepare_worker(job, scratch)
        cgroups = Cgroups(f"autograder-{os.getpid()}-{secrets.token_hex(4)}", limits.memory, limits.max_procs)
        plans = [(path, plan_notebook(path)) for path in sources]
        for source, (_, tests) in plans:  # every part is in the result from the start, at 0
            _zero_parts(result, source.name, tests, "not graded")
        pristine = scratch / "submission"
        write_bundle(job.bundle, pristine)
        result.problems += job.bundle.problems
        refused = job.bundle.refused
        grading = scratch / "grading"
        grading.mkdir(mode=0o755)
        os.chmod(grading, 0o755)
        box = Sandbox(submission=pristine, grading=grading, lib=lib, data=data,
                      scratch=scratch, limits=limits, isolate=job.isolate, cgroups=cgroups)
        # every notebook is read now, from the pristine copy, before any student code runs
        students = []
        for source, plan in plans:
            tests = plan[1]
            name = source.name
            if name in refused:
                result.failures.append(f"{name}: refused: {refused[name]}")
                _zero_parts(result, name, tests, "refused")
                continue
            if not (pristine / name).is_file():
                result.failures.append(f"{name}: not submitted")
                _zero_parts(result, name, tests, "not submitted")
                continue
            notes: list[str] = []
            try:
                students.append((source, plan, read_notebook(pristine / name, notes=notes)))
            except NotebookError as exc:
                result.failures.append(str(exc).replace(str(pristine / name), name))
                _zero_parts(result, name, tests, "unreadable")
                continue
            result.problems += [f"{name}: {n}" for n in notes]
        for source, plan, student_nb in students:
            await _grade_notebook(job, box, source, plan, student_nb, deadline, result)
    finally:
        if cgroups is not None:
            cgroups.close()
        shutil.rmtree(scratch, ignore_errors=True)
    result.seconds = round(time.monotonic() - start, 2)
    return result


def grade_submission(job: Job) -> SubmissionResult:
    """Grade one submission (a task of :mod:`autograder.cluster`). Raises only
    :class:`InfrastructureError` (the machine could not grade it: retried elsewhere); every other
    problem, the student's or the grader's, is a failure in the result."""
    try:
        return asyncio.run(_grade(job))
    except InfrastructureError:
        raise
    except Exception as exc:
        return SubmissionResult.failed(job.student, job.assignment,
                                       f"internal grader error: {type(exc).__name__}: {exc}", traceback.format_exc())
