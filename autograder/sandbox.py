"""The sandbox a submission's kernel runs in during trusted grading.

Each submission gets a private writable folder (a copy of what the student submitted) and a
kernel started through :func:`kernel_argv`:

- ``bwrap`` (bubblewrap) gives it its own mount, PID, network, IPC and UTS namespaces: the
  network is gone (the kernel talks to the grader over ipc sockets in the private folder),
  the repository, the course folder with ``gradebook.db``, ``solutions/``, the submissions
  folder, the grader's scratch folder (other students' copies), ``$HOME`` and ``/tmp`` are
  replaced by empty folders, and only the Python installation, the data folder, and copies of
  ``autograder`` and ``lecture_lib`` with the graded functions withheld (:func:`build_packages`)
  are mounted back, read-only. No capabilities are left inside.
- Limits: ``ulimit -v`` (address space: allocations beyond it raise ``MemoryError`` in the
  student's code and the kernel survives), a memory and a process-count cgroup when the
  machine lets us create them (a fork bomb stops at ``max_procs`` tasks), and the per-cell and
  per-submission time limits that :mod:`autograder.executor` enforces by interrupting, then
  killing, the kernel.

Where bubblewrap is missing or does not work (:func:`probe`), grading still runs, with the
limits but without the isolation, and says so loudly: student code can then read and write
anything the grader's user can.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib.util
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["Limits", "Sandbox", "probe", "build_packages", "kernel_argv", "parse_size"]

WITHHELD_MESSAGE = ("{name} is withheld while grading: a graded function must be your own code, not a "
                    "call to lecture_lib's reference")


def parse_size(text: str) -> int:
    """``"4G"``, ``"512M"``, ``"1000000"`` -> bytes."""
    text = str(text).strip().upper().removesuffix("B")
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (use e.g. 4G or 512M)") from None


@dataclasses.dataclass
class Limits:
    cell_timeout: float = 600.0      # seconds per cell
    timeout: float = 3600.0          # seconds per submission (all its notebooks)
    memory: int = 4 * 2**30          # bytes of address space (and of the memory cgroup)
    max_procs: int = 256             # tasks (processes and threads) in the process cgroup
    max_output: int = 2 * 2**20      # bytes of outputs kept per cell
    max_files: int = 200 * 2**20     # bytes a submission folder may hold when copied


# ----------------------------------------------------------------- probing bubblewrap

@functools.lru_cache(maxsize=1)
def probe() -> tuple[bool, str]:
    """(works, why not): can bwrap start a process with the namespaces we use?"""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed (the set-up installs it: apt-get install bubblewrap)"
    cmd = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid",
           "--unshare-net", "--die-with-parent", "true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap failed to start: {exc}"
    if proc.returncode != 0:
        return False, f"bwrap does not work here: {proc.stderr.strip()[:300]}"
    return True, ""


# ----------------------------------------------------------------- withheld packages

def _withheld_body(name: str) -> list[ast.stmt]:
    msg = WITHHELD_MESSAGE.format(name=name)
    return ast.parse(f"raise RuntimeError({msg!r})").body


def _withhold_in_module(source: str, qualnames: set[str], module: str) -> tuple[str, set[str]]:
    """Replace the bodies of the functions ``qualnames`` (``f`` or ``Class.f``) with a raise."""
    tree = ast.parse(source)
    done: set[str] = set()

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                q = prefix + node.name
                if q in qualnames:
                    node.body = _withheld_body(f"{module}.{q}")
                    node.decorator_list = [d for d in node.decorator_list
                                           if isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod")]
                    done.add(q)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")

    visit(tree.body, "")
    return ast.unparse(tree) + "\n", done


def _module_file(package_dir: Path, dotted: str) -> tuple[Path, str] | None:
    """``lecture_lib.returns.standardize`` -> (path of returns.py, "standardize")."""
    parts = dotted.split(".")[1:]
    for split in range(len(parts) - 1, 0, -1):
        mod, qual = parts[:split], parts[split:]
        path = package_dir.joinpath(*mod).with_suffix(".py")
        if path.is_file():
            return path, ".".join(qual)
    return None


def package_dir(package: str) -> Path:
    """The folder a package is imported from (for ours, the editable install's source)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"cannot find the package {package}")
    return Path(list(spec.submodule_search_locations)[0])


def build_packages(withheld: list[str], dest: Path) -> dict[str, Path]:
    """Copies of ``autograder`` and ``lecture_lib`` in ``dest`` with ``withheld`` functions
    replaced by a ``raise``; returns ``{package name: copy}``. Raises ValueError naming a
    withheld function that does not exist (a typo in an exercise's ``withholds``)."""
    out: dict[str, Path] = {}
    by_file: dict[tuple[str, Path], set[str]] = {}
    for package in ("autograder", "lecture_lib"):
        src = package_dir(package)
        copy = dest / package
        shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        out[package] = copy
        for name in withheld:
            if name.split(".")[0] != package:
                continue
            found = _module_file(src, name)
            if found is None:
                raise ValueError(f"withheld function {name}: no such module")
            by_file.setdefault((package, found[0]), set()).add(found[1])
    for (package, path), quals in by_file.items():
        rel = path.relative_to(package_dir(package))
        module = ".".join([package, *rel.with_suffix("").parts]).removesuffix(".__init__")
        text, done = _withhold_in_module(path.read_text(encoding="utf-8"), quals, module)
        missing = quals - done
        if missing:
            raise ValueError(f"withheld function(s) not found in {module}: {', '.join(sorted(missing))}")
        (out[package] / rel).write_text(text, encoding="utf-8")
    return out


# ----------------------------------------------------------------- cgroups

class Cgroups:
    """Memory and process-count cgroups for one kernel, where this machine lets us make them
    (cgroup v1 controllers mounted under /sys/fs/cgroup/<controller>, or a cgroup v2 tree
    delegated to us). ``procs_files`` are what the launcher writes its PID into."""

    def __init__(self, name: str, memory: int, max_procs: int):
        self.dirs: list[Path] = []
        self.kinds: list[str] = []
        for controller, setting, value in (("pids", "pids.max", max_procs),
                                           ("memory", "memory.limit_in_bytes", memory)):
            d = self._make_v1(controller, name)
            if d is not None:
                try:
                    (d / setting).write_text(str(value))
                    self.dirs.append(d)
                    self.kinds.append(controller)
                except OSError:
                    self._remove(d)

    @staticmethod
    def _own_path(controller: str) -> str | None:
        try:
            for line in Path("/proc/self/cgroup").read_text().splitlines():
                _, ctrls, path = line.split(":", 2)
                if controller in ctrls.split(","):
                    return path
        except OSError:
            return None
        return None

    def _make_v1(self, controller: str, name: str) -> Path | None:
        root = Path("/sys/fs/cgroup") / controller
        own = self._own_path(controller)
        if own is None or not root.is_dir():
            return None
        d = root / own.lstrip("/") / name
        try:
            d.mkdir()
        except OSError:
            return None
        return d

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def kill_all(self) -> None:
        for d in self.dirs:
            for _ in range(50):
                try:
                    pids = [int(p) for p in (d / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.02)

    @staticmethod
    def _remove(d: Path) -> None:
        for _ in range(50):
            try:
                d.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.05)

    def close(self) -> None:
        self.kill_all()
        for d in self.dirs:
            self._remove(d)
        self.dirs = []


# ----------------------------------------------------------------- the kernel command

@dataclasses.dataclass
class Sandbox:
    """Where a kernel may look, and how it is contained."""

    workdir: Path                       # the private writable copy (becomes the kernel's cwd and HOME)
    packages: dict[str, Path]           # package name -> withheld copy to mount in its place
    hide: list[Path]                    # folders replaced by empty ones
    expose: list[Path]                  # folders mounted back read-only (inside hidden ones)
    limits: Limits
    isolate: bool = True                # False: no bubblewrap (loudly reported by the caller)
    cgroups: Cgroups | None = None

    def package_targets(self) -> dict[Path, Path]:
        """Where each package is imported from (the editable install's path) -> its copy."""
        return {package_dir(name): copy for name, copy in self.packages.items()}


def _existing_dirs(paths) -> list[Path]:
    out = []
    for p in paths:
        p = Path(p).resolve()
        if p.is_dir() and p not in out and p != Path("/"):
            out.append(p)
    return out


def kernel_argv(box: Sandbox) -> list[str]:
    """argv for the kernelspec: a shell that joins the cgroups, sets ulimits and execs the
    kernel (inside bwrap when isolating); ``{connection_file}`` is filled in by jupyter_client."""
    python = sys.executable
    inner = [python, "-m", "ipykernel_launcher", "-f", "CONNECTION_FILE"]
    if box.isolate:
        bw = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session",
              "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
              "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        for dev in sorted(Path("/dev").glob("nvidia*")):  # GPUs stay usable
            bw += ["--dev-bind", str(dev), str(dev)]
        hidden = _existing_dirs([*box.hide, "/tmp"])
        # parents before children; a folder inside another hidden one needs no mount of its own,
        # except inside /tmp, whose tmpfs is writable (there it gets its own read-only one)
        hidden = sorted((d for d in hidden if not any(h in d.parents and h != Path("/tmp") for h in hidden)),
                        key=lambda d: len(d.parts))
        for d in hidden:  # /tmp: a private scratch of bounded size; the others: empty
            size = box.limits.memory if d == Path("/tmp") else 2**20
            bw += ["--size", str(size), "--tmpfs", str(d)]
        for d in _existing_dirs(box.expose):
            if any(d == h or h in d.parents for h in hidden):
                bw += ["--ro-bind", str(d), str(d)]
        for target, copy in box.package_targets().items():
            bw += ["--ro-bind", str(copy), str(target)]
        bw += ["--bind", str(box.workdir), str(box.workdir)]
        for d in hidden:  # the empty stand-ins are read-only too (/tmp stays a private scratch)
            if d != Path("/tmp"):
                bw += ["--remount-ro", str(d)]
        bw += ["--chdir", str(box.workdir),
               "--unsetenv", "JPY_PARENT_PID", "--"]
        inner = bw + inner
    lines = ["set -e"]
    for procs in (box.cgroups.procs_files if box.cgroups else []):
        lines.append(f"echo $$ > {shlex.quote(procs)} 2>/dev/null || true")
    limits = box.limits
    if not any(Path("/dev").glob("nvidia*")):  # CUDA reserves far more address space than it uses
        lines.append(f"ulimit -v {max(1, limits.memory // 1024)}")
    lines.append("ulimit -c 0")
    lines.append(f"ulimit -f {max(1, limits.max_files // 1024)}")  # largest file a cell may write
    lines.append("exec " + " ".join(shlex.quote(a) for a in inner).replace("CONNECTION_FILE", '"$1"'))
    return ["/bin/sh", "-c", "\n".join(lines), "autograder-kernel", "{connection_file}"]
