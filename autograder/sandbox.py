"""The sandbox a submission's kernel runs in during trusted grading: an allow-list.

Each kernel is started through :func:`kernel_argv`: ``bwrap`` (bubblewrap) builds a file system
that holds *only* what the kernel needs, every piece of it named here
(:func:`runtime_mounts`), and nothing else of the host:

- read-only: the Python installation and the course's virtual environment (with the course's
  own packages masked when they are installed there, not linked), the system's shared
  libraries and programs (``/usr/lib``, ``/usr/bin``), ``/etc/ld.so.cache`` and two-line
  ``/etc/passwd`` and ``/etc/group``;
  at ``/course/lib`` the kernel-side half of the checks (``autograder_kernel``: no exercise,
  no reference, no judge) and a copy of ``lecture_lib`` whose graded functions only raise
  (:func:`build_packages`); at ``/course/data`` the data folder (MNIST); at
  ``/course/submission`` the grader's pristine copy of the submission; at ``/course/grading``
  the folder where the grader puts each check's inputs; at ``/course/sockets`` the kernel's
  socket folder;
- writable: a tmpfs of ``Limits.disk`` bytes at ``/tmp`` (holding the working folder
  ``/tmp/work``, which is ``HOME`` and the kernel's cwd, and the fresh configuration folders
  in ``/tmp/config``; it is mounted first, so a runtime folder that lives under the host's
  ``/tmp`` is mounted into it, read-only), a 256 MiB ``/dev/shm``, and the kernel's own socket folder (sealed by
  the grader once the kernel is up, when the grader runs as root: see
  :mod:`autograder.executor`);
- fresh ``/proc`` (own PID namespace), minimal ``/dev`` (plus ``/dev/nvidia*`` and ``/sys``
  read-only on a GPU machine); no network, IPC or UTS of the host.

The first process inside (:mod:`autograder_kernel.launch`) copies the submission into the
tmpfs, then, when the grader runs as root, becomes ``nobody`` (uid/gid 65534) with no
capabilities and ``no_new_privs`` before the kernel starts; a grader started as another user
runs bubblewrap with a user namespace instead, mapping itself to 65534.

Limits: ``ulimit -v`` (address space: allocations beyond it raise ``MemoryError`` in the
student's code and the kernel survives), a memory and a process-count cgroup when the
machine lets us create them (a fork bomb stops at ``max_procs`` tasks), the disk quota
(the tmpfs is full at ``Limits.disk``) and the per-cell and per-submission time limits that
:mod:`autograder.executor` enforces by interrupting, then killing, the kernel.

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
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["Limits", "add_limit_options", "limits_from_args", "Sandbox", "probe", "build_packages", "kernel_argv", "parse_size", "runtime_mounts"]

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


def _limit(default, kind: str, help: str):
    return dataclasses.field(default=default, metadata={"kind": kind, "help": help})


@dataclasses.dataclass
class Limits:
    """Every limit on grading one submission, declared once: ``python -m autograder grade`` makes
    one option of each (``--cell-timeout``, ``--memory``, ...; :func:`add_limit_options`)."""
    cell_timeout: float = _limit(600.0, "seconds", "seconds per cell")
    timeout: float = _limit(3600.0, "seconds", "seconds per submission (all its notebooks)")
    memory: int = _limit(4 * 2**30, "size", "memory per submission: address space and memory cgroup")
    max_procs: int = _limit(256, "count", "processes+threads per submission (process cgroup)")
    max_output: int = _limit(2 * 2**20, "size", "output kept per cell")
    max_files: int = _limit(200 * 2**20, "size", "what a submission folder may hold when read")
    disk: int = _limit(1 * 2**30, "size", "what a submission's kernel may write in all (its tmpfs)")
    max_total_output: int = _limit(20 * 2**20, "size", "output kept per notebook")
    grader_memory: int = _limit(8 * 2**30, "size", "memory of each local grading worker process itself; "
                                                    "its nanny restarts it beyond this")


def _shown(value, kind: str) -> str:
    if kind == "size":
        for unit, size in (("G", 2**30), ("M", 2**20), ("K", 2**10)):
            if value >= size and value % size == 0:
                return f"{value // size}{unit}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def add_limit_options(parser) -> None:
    """One ``--option`` per :class:`Limits` field, its default shown (sizes as 4G, 512M, ...)."""
    import argparse

    def typed(kind: str):
        def parse(text: str):
            try:
                value = parse_size(text) if kind == "size" else (float(text) if kind == "seconds" else int(text))
            except ValueError as exc:
                raise argparse.ArgumentTypeError(str(exc) if kind == "size" else f"not a number: {text!r}") from None
            if value <= 0:
                raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
            return value
        parse.__name__ = kind
        return parse

    for f in dataclasses.fields(Limits):
        kind = f.metadata["kind"]
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=typed(kind), default=None,
                            metavar={"size": "SIZE", "seconds": "SECONDS", "count": "N"}[kind],
                            help=f"{f.metadata['help']} (default {_shown(f.default, kind)})")


def limits_from_args(args) -> dict:
    """The limits given on the command line (the others keep :class:`Limits`' defaults)."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(Limits) if getattr(args, f.name, None) is not None}


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


KERNEL_PACKAGES = ("lecture_lib", "autograder_kernel")  # what /course/lib holds in the sandbox


def build_packages(withheld: list[str], dest: Path) -> Path:
    """``dest`` filled with copies of the packages the sandbox may import (``lecture_lib``
    with the ``withheld`` functions replaced by a ``raise``, and ``autograder_kernel``);
    returns ``dest``. Raises ValueError naming a withheld function that does not exist (a
    typo in an exercise's ``withholds``) or one outside ``lecture_lib``."""
    by_file: dict[Path, set[str]] = {}
    src = package_dir("lecture_lib")
    for name in withheld:
        if name.split(".")[0] != "lecture_lib":
            raise ValueError(f"withheld function {name}: only lecture_lib functions can be withheld")
        found = _module_file(src, name)
        if found is None:
            raise ValueError(f"withheld function {name}: no such module")
        by_file.setdefault(found[0], set()).add(found[1])
    dest.mkdir(parents=True, exist_ok=True)
    for package in KERNEL_PACKAGES:
        shutil.copytree(package_dir(package), dest / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path, quals in by_file.items():
        rel = path.relative_to(src)
        module = ".".join(["lecture_lib", *rel.with_suffix("").parts]).removesuffix(".__init__")
        text, done = _withhold_in_module(path.read_text(encoding="utf-8"), quals, module)
        missing = quals - done
        if missing:
            raise ValueError(f"withheld function(s) not found in {module}: {', '.join(sorted(missing))}")
        (dest / "lecture_lib" / rel).write_text(text, encoding="utf-8")
    for root, dirs, files in os.walk(dest):  # readable by the kernel's unprivileged user
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    return dest


# ----------------------------------------------------------------- cgroups

class Cgroups:
    """Memory and process-count cgroups for one kernel, where this machine lets us make them:
    cgroup v1 controllers mounted under /sys/fs/cgroup/<controller> (cgroup v2 is not
    supported yet: there the process-count limit is missing and memory is limited by
    ``ulimit -v`` alone). ``procs_files`` are what the launcher writes its PID into."""

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

SANDBOX_UID = SANDBOX_GID = 65534   # nobody / nogroup
INSIDE_LIB = Path("/course/lib")
INSIDE_DATA = Path("/course/data")
INSIDE_SUBMISSION = Path("/course/submission")
INSIDE_GRADING = Path("/course/grading")
INSIDE_SOCKETS = Path("/course/sockets")
INSIDE_BOX = Path("/tmp")
INSIDE_WORK = INSIDE_BOX / "work"
SHM_BYTES = 256 * 2**20


@dataclasses.dataclass
class Sandbox:
    """Where a kernel may look, and how it is contained. Every path here is a host path."""

    submission: Path                    # the grader's pristine copy of the submission (read-only inside)
    grading: Path                       # where the grader writes each check's inputs (read-only inside)
    lib: Path                           # the packages the kernel may import (build_packages)
    data: Path                          # the data folder (read-only inside)
    scratch: Path                       # the grader's own folder for this submission (never mounted)
    limits: Limits
    isolate: bool = True                # False: no bubblewrap (loudly reported by the caller)
    cgroups: Cgroups | None = None

    # where the kernel sees things
    @property
    def inside_grading(self) -> Path:
        return INSIDE_GRADING if self.isolate else self.grading

    def kernel_env(self, env: dict[str, str]) -> dict[str, str]:
        """The kernel's environment: ``env`` plus its paths. Every configuration folder that
        Python, IPython, Jupyter or matplotlib would read at start-up is a fresh one outside the
        working folder, and user site-packages and the working folder stay off ``sys.path``:
        nothing handed in (``.ipython/.../startup/*.py``, ``.local/.../usercustomize.py``, a
        ``*.pth`` file, an ``ipykernel_launcher.py``) runs before the grader has sealed the
        kernel's socket folder."""
        if self.isolate:
            home, tmp, data, lib, config = INSIDE_WORK, INSIDE_BOX, INSIDE_DATA, INSIDE_LIB, INSIDE_BOX / "config"
        else:
            home, tmp, data, lib = self.scratch / "home", self.scratch / "tmp", self.data, self.lib
            config = self.scratch / "config"
        return dict(env, HOME=str(home), TMPDIR=str(tmp), COURSE_DATA=str(data), PYTHONPATH=str(lib),
                    PYTHONNOUSERSITE="1", PYTHONSAFEPATH="1",
                    IPYTHONDIR=str(config / "ipython"), MPLCONFIGDIR=str(config / "matplotlib"),
                    JUPYTER_CONFIG_DIR=str(config / "jupyter"), JUPYTER_DATA_DIR=str(config / "jupyter-data"),
                    JUPYTER_RUNTIME_DIR=str(config / "jupyter-runtime"), XDG_CONFIG_HOME=str(config / "xdg-config"),
                    XDG_CACHE_HOME=str(config / "xdg-cache"), USER="nobody", LOGNAME="nobody")

    def prepare_unisolated(self) -> Path:
        """Without bubblewrap: a fresh working copy of the submission in the scratch folder (a new
        folder for every kernel start: the kernel could have replaced the old one by a link)."""
        work = self.scratch / f"work-{secrets.token_hex(4)}"
        shutil.copytree(self.submission, work)
        for name in ("home", "tmp", "config"):
            (self.scratch / name).mkdir(exist_ok=True)
        return work


def _chain(path: Path) -> list[Path]:
    """``path`` and every symlink it resolves through, up to the real file."""
    out, seen = [], set()
    p = Path(os.path.abspath(path))
    while p not in seen:
        seen.add(p)
        out.append(p)
        if not p.is_symlink():
            break
        p = Path(os.path.normpath(p.parent / os.readlink(p)))
    return out


def _masked_course_packages(bound: list[Path]) -> list[Path]:
    """Folders of the course's own packages installed (copied, not linked) inside a bound
    folder such as the environment's site-packages: they are hidden by an empty tmpfs (the
    kernel imports its withheld copies from /course/lib)."""
    out = []
    for name in ("autograder", "lecture_lib", "autograder_kernel"):
        try:
            folder = package_dir(name).resolve()
        except ValueError:
            continue
        if any(b == folder or b in folder.parents for b in bound):
            out.append(folder)
    return out


@functools.lru_cache(maxsize=1)
def runtime_mounts() -> list[str]:
    """The bwrap arguments that give a kernel the Python runtime, read-only."""
    args: list[str] = []
    bound: list[Path] = []

    def ro(path: Path) -> None:
        path = Path(path)
        if not path.exists() or any(b == path or b in path.parents for b in bound):
            return
        args.extend(["--ro-bind", str(path), str(path)])
        bound.append(path)

    for top in ("lib", "lib64", "lib32", "libx32", "bin"):  # merged-/usr systems: symlinks into /usr
        p = Path("/") / top
        if p.is_symlink():
            args.extend(["--symlink", os.readlink(p), str(p)])
    for d in ("/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32", "/lib", "/lib64", "/usr/bin", "/bin"):
        if Path(d).is_dir() and not Path(d).is_symlink():
            ro(Path(d))
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    ro(Path(sys.prefix))                                    # the virtual environment
    for prefix in dict.fromkeys([Path(sys.base_prefix), Path(sys.exec_prefix)]):
        ro(prefix / "lib" / version)                        # the standard library
        for lib in sorted((prefix / "lib").glob("libpython*")):
            ro(lib)
    for link in _chain(Path(sys.executable)):               # python -> python3 -> python3.11
        ro(link.parent)
    if Path("/etc/ld.so.cache").is_file():
        args.extend(["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"])
    for masked in _masked_course_packages(bound):
        args.extend(["--tmpfs", str(masked), "--remount-ro", str(masked)])
    return args


_TARGET_ARGS = {"--ro-bind": 2, "--bind": 2, "--dev-bind": 2, "--symlink": 2, "--tmpfs": 1, "--dev": 1,
                "--proc": 1, "--dir": 1, "--remount-ro": 1}


_MODIFIERS = ("--perms", "--size")   # options that apply to the operation right after them


def _with_parent_dirs(bw: list[str]) -> list[str]:
    """``bw`` with ``--perms 0755 --dir`` before each mount for every folder on the way to its
    mount point that does not exist at that moment (bubblewrap would otherwise create it
    itself, with mode 0700, and the unprivileged kernel could not walk through it). Inside a
    host folder bound earlier, folders exist; inside a tmpfs, only those made here do."""
    out: list[str] = []
    pending: list[str] = []      # --perms/--size waiting for their operation
    trees: list[Path] = []       # host folders bound so far: everything below them exists
    empties: list[Path] = []     # tmpfs and made folders: only what was made below them exists
    made: set[Path] = set()
    i = 0
    while i < len(bw):
        if bw[i] in _MODIFIERS:
            pending += bw[i:i + 2]
            i += 2
            continue
        n = _TARGET_ARGS.get(bw[i])
        if n is None:
            out.append(bw[i])
            i += 1
            continue
        op, args = bw[i], bw[i + 1:i + 1 + n]
        target = Path(args[-1])
        if op != "--remount-ro":
            for parent in reversed(target.parents):
                if parent == Path("/") or parent in made:
                    continue
                inner = max((m for m in trees + empties if m in parent.parents), key=lambda m: len(m.parts),
                            default=None)
                if inner is not None and inner in trees:
                    continue  # a folder of a bound host folder exists
                out += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
                empties.append(parent)
            if op in ("--ro-bind", "--bind", "--dev-bind") and Path(args[0]).is_dir():
                trees.append(target)
            elif op in ("--tmpfs", "--dev", "--proc", "--dir"):
                empties.append(target)
            made.add(target)
        out += [*pending, op, *args]
        pending = []
        i += 1 + n
    return out + pending


_PASSWD = "root:x:0:0:root:/nonexistent:/nonexistent\nnobody:x:65534:65534:nobody:/tmp/work:/nonexistent\n"
_GROUP = "root:x:0:\nnogroup:x:65534:\n"


def kernel_argv(box: Sandbox, sockets: Path) -> list[str]:
    """argv for the kernelspec: a shell that joins the cgroups, sets ulimits and execs the
    kernel (inside bwrap when isolating); ``{connection_file}`` is filled in by jupyter_client.
    ``sockets``: the host folder of the kernel's ipc sockets and connection file."""
    python = sys.executable
    if box.isolate:
        etc = box.scratch / "etc"
        etc.mkdir(exist_ok=True)
        (etc / "passwd").write_text(_PASSWD)
        (etc / "group").write_text(_GROUP)
        mounts = runtime_mounts()
        rootless = os.getuid() != 0
        bw = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session",
              "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if rootless:  # no root to drop: a user namespace maps us to nobody, with no capabilities
            bw += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID), "--cap-drop", "ALL"]
        bw += ["--perms", "0755", "--size", str(box.limits.disk), "--tmpfs", str(INSIDE_BOX),  # first: see above
               *mounts, "--dev", "/dev", "--proc", "/proc",
               "--ro-bind", str(etc / "passwd"), "/etc/passwd", "--ro-bind", str(etc / "group"), "/etc/group",
               "--perms", "1777", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm",
               "--ro-bind", str(box.lib), str(INSIDE_LIB),
               "--ro-bind", str(box.submission), str(INSIDE_SUBMISSION),
               "--ro-bind", str(box.grading), str(INSIDE_GRADING),
               "--bind", str(sockets), str(INSIDE_SOCKETS)]
        if box.data.is_dir():
            bw += ["--ro-bind", str(box.data), str(INSIDE_DATA)]
        gpus = sorted(Path("/dev").glob("nvidia*"))
        for dev in gpus:  # GPUs stay usable
            bw += ["--dev-bind", str(dev), str(dev)]
        if gpus:
            bw += ["--ro-bind", "/sys", "/sys"]
        bw = _with_parent_dirs(bw)
        bw += ["--chdir", "/", "--unsetenv", "JPY_PARENT_PID", "--"]
        inner = bw + [python, "-P", "-s", "-m", "autograder_kernel.launch", "--submission", str(INSIDE_SUBMISSION),
                      "--box", str(INSIDE_BOX), "--connection", "CONNECTION_FILE",
                      "--sockets", str(INSIDE_SOCKETS),
                      "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID)]
    else:
        inner = [python, "-P", "-s", "-m", "ipykernel_launcher", "-f", "CONNECTION_FILE"]
    lines = ["set -e"]
    for procs in (box.cgroups.procs_files if box.cgroups else []):
        lines.append(f"echo $$ > {shlex.quote(procs)} 2>/dev/null || true")
    limits = box.limits
    if not any(Path("/dev").glob("nvidia*")):  # CUDA reserves far more address space than it uses
        lines.append(f"ulimit -v {max(1, limits.memory // 1024)}")
    else:  # not the grading worker's own limit either
        lines.append("ulimit -S -v unlimited 2>/dev/null || true")
    lines.append("ulimit -c 0")
    # the largest file a cell may write (ulimit -f counts 512-byte blocks in sh)
    lines.append(f"ulimit -f {max(1, min(limits.max_files, limits.disk) // 512)}")
    lines.append("exec " + " ".join(shlex.quote(a) for a in inner).replace("CONNECTION_FILE", '"$1"'))
    return ["/bin/sh", "-c", "\n".join(lines), "autograder-kernel", "{connection_file}"]
