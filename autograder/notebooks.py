"""Notebooks and the course's folders: reading a notebook safely (:func:`read_notebook`), the
assignments, and running nbgrader and kernels with this environment. (Validating a source
notebook before release: :func:`autograder.plan.validate_source`.)"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat

__all__ = ["read_notebook", "NotebookError", "REPO_ROOT", "SOLUTIONS",
           "RELEASE", "COURSE", "assignments", "tool_env", "run_nbgrader", "ipc_kernel_manager"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO_ROOT / "solutions"
RELEASE = REPO_ROOT / "notebooks"
COURSE = REPO_ROOT / "course"


class NotebookError(ValueError):
    """A file that is not a readable Jupyter notebook."""


MAX_NOTEBOOK_BYTES = 32 * 2**20


def read_notebook(path: Path, notes: list[str] | None = None) -> nbformat.NotebookNode:
    """Read and validate a notebook; raise :class:`NotebookError` saying what is wrong.

    nbformat 3 notebooks are upgraded to version 4 (``notes`` gets a line saying so);
    anything larger than ``MAX_NOTEBOOK_BYTES`` or nested too deeply to parse is refused.
    """
    try:
        if Path(path).stat().st_size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(f"{path}: larger than {MAX_NOTEBOOK_BYTES:,} bytes")
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{path}: cannot read it ({exc})") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{path}: not valid JSON ({exc})") from exc
    except RecursionError:
        raise NotebookError(f"{path}: JSON nested too deeply to be a notebook") from None
    if not isinstance(raw, dict) or "nbformat" not in raw or not ("cells" in raw or "worksheets" in raw):
        raise NotebookError(f"{path}: JSON, but not a Jupyter notebook (no cells/nbformat)")
    version = raw.get("nbformat")
    if version not in (3, 4):
        raise NotebookError(f"{path}: nbformat {version!r} is not supported (only 3, upgraded, and 4)")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except RecursionError:
        raise NotebookError(f"{path}: nested too deeply to be a notebook") from None
    except Exception as exc:  # nbformat raises several kinds
        raise NotebookError(f"{path}: not a valid notebook ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from exc
    if version == 3 and notes is not None:
        notes.append("an nbformat 3 notebook, upgraded to nbformat 4 for grading")
    return nb




def assignments(source: Path = SOLUTIONS) -> list[str]:
    """Assignment names: the folders of ``source`` (default ``solutions/``) that hold notebooks."""
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb")))


def run_nbgrader(*args: str, db_url: str | None = None):
    """``nbgrader ARGS`` from ``course/`` (its nbgrader_config.py applies), output captured.
    ``db_url``: the gradebook, passed in the environment (``COURSE_DB_URL``, which the config
    reads) so that a password never shows in a process list."""
    import subprocess

    extra = {"COURSE_DB_URL": db_url} if db_url else {}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=COURSE, capture_output=True,
                          text=True, env=tool_env(**extra))


def tool_env(**extra: str) -> dict[str, str]:
    """The environment for nbgrader/jupyter subprocesses: this interpreter's ``bin/`` first on
    PATH (nbgrader runs ``alembic`` from PATH, kernels resolve ``python``), plus ``extra``."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


@contextlib.contextmanager
def ipc_kernel_manager(kernel_name: str = "python3"):
    """A kernel manager whose ZMQ sockets are files in a private temporary folder (ipc), not
    TCP ports; the kernel is shut down and the folder removed on exit.

    Nothing listens on the network (ipykernel otherwise warns that TCP is unencrypted).
    nbclient leaves a kernel manager it was given running, hence the explicit shutdown. It
    must be the *async* manager nbclient expects: with the blocking one, nbclient's waiting for
    output blocks its event loop and a per-cell timeout never fires (a loop hangs forever).
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(sockets, "kernel"))
        try:
            yield km
        finally:
            if km.has_kernel:
                try:
                    run_sync(km.shutdown_kernel)(now=False)
                except Exception:
                    run_sync(km.shutdown_kernel)(now=True)
