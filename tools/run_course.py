#!/usr/bin/env python
"""``make course``: execute every lecture notebook in solutions/ headless, top to bottom.

Each notebook runs in a fresh kernel in fast mode (``COURSE_FAST=1``; ``--full`` for the
full setting) inside ``build/executed/<assignment>/`` (a copy, so nothing lands in
solutions/), and is saved there executed, with an HTML copy under ``build/html/``. A
summary table (notebook, seconds, status) ends the run; the exit status is non-zero when
any notebook failed, and the failing cell's error is printed.

    python tools/run_course.py [--full] [--only PATTERN] [--jobs N] [--timeout S]
                               [--build DIR] [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build"


def notebooks(only: str | None) -> list[Path]:
    found = sorted(p for p in (REPO / "solutions").glob("*/*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
    if only:
        found = [p for p in found if fnmatch.fnmatch(p.stem, only) or fnmatch.fnmatch(p.parent.name, only)
                 or only in str(p.relative_to(REPO))]
    return found


def execute(source: Path, full: bool, timeout: int, build: Path = BUILD) -> tuple[str, float, str, str]:
    """Run one notebook; return (name, seconds, status, detail)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from nbconvert import HTMLExporter

    sys.path.insert(0, str(REPO))
    from autograder.notebooks import NotebookError, ipc_kernel_manager, read_notebook

    name = f"{source.parent.name}/{source.name}"
    workdir = build / "executed" / source.parent.name
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / source.name
    os.environ["COURSE_FAST"] = "0" if full else "1"
    os.environ.pop("MPLBACKEND", None)  # kernels use the inline backend, so figures are kept
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    start = time.perf_counter()
    try:
        nb = read_notebook(source)
    except NotebookError as exc:
        return name, 0.0, "error", str(exc)
    status, detail = "ok", ""
    try:
        with ipc_kernel_manager() as km:
            NotebookClient(nb, timeout=timeout, km=km,
                           resources={"metadata": {"path": str(workdir)}}).execute()
    except CellTimeoutError as exc:
        status, detail = "timeout", str(exc).strip().splitlines()[0]
    except DeadKernelError as exc:
        status, detail = "kernel died", str(exc).strip()
    except CellExecutionError as exc:
        status = "failed"
        lines = [l for l in str(exc).splitlines() if l.strip()]
        detail = "\n".join(lines[-12:])
    except Exception as exc:  # kernel failed to start, etc.
        status, detail = "error", "".join(traceback.format_exception_only(exc)).strip()
    seconds = time.perf_counter() - start
    nbformat.write(nb, target)
    html_dir = build / "html" / source.parent.name
    html_dir.mkdir(parents=True, exist_ok=True)
    try:
        body, _ = HTMLExporter().from_notebook_node(nb)
        (html_dir / (source.stem + ".html")).write_text(body, encoding="utf-8")
    except Exception as exc:
        detail += f"\n(HTML export failed: {exc})"
    return name, seconds, status, detail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="full setting (COURSE_FAST=0)")
    parser.add_argument("--only", default=None, help="glob or substring selecting notebooks")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed at once")
    parser.add_argument("--timeout", type=int, default=None,
                        help="seconds per cell (default 900 fast, 7200 full)")
    parser.add_argument("--build", type=Path, default=BUILD, help="output folder (default build/)")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks to run (default: solutions/*/*.ipynb)")
    args = parser.parse_args(argv)
    todo = [p.resolve() for p in args.paths] if args.paths else notebooks(args.only)
    build = args.build.resolve()
    if not todo:
        print(f"no notebooks found in {REPO / 'solutions'}" + (f" matching {args.only!r}" if args.only else ""),
              file=sys.stderr)
        return 1
    timeout = args.timeout or (7200 if args.full else 900)
    mode = "full" if args.full else "fast"
    print(f"executing {len(todo)} notebook(s) in {mode} mode -> {build}/", flush=True)
    start = time.perf_counter()
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            n = len(todo)
            results = list(pool.map(execute, todo, [args.full] * n, [timeout] * n, [build] * n))
    else:
        results = []
        for nb in todo:
            results.append(execute(nb, args.full, timeout, build))
            print(f"  {results[-1][0]}: {results[-1][2]} ({results[-1][1]:.1f} s)", flush=True)
    width = max(len("notebook"), *(len(r[0]) for r in results))
    print()
    print(f"{'notebook':<{width}}  {'seconds':>8}  status")
    print(f"{'-' * width}  {'-' * 8}  {'-' * 11}")
    for name, seconds, status, _ in results:
        print(f"{name:<{width}}  {seconds:8.1f}  {status}")
    failed = [r for r in results if r[2] != "ok"]
    print(f"\n{len(results) - len(failed)} of {len(results)} notebooks ok in "
          f"{time.perf_counter() - start:.1f} s ({mode} mode); executed copies in {build}/executed/, "
          f"HTML in {build}/html/")
    for name, _, status, detail in failed:
        print(f"\n{name}: {status}\n{detail}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
