"""Start a grading kernel inside the sandbox: ``python -m autograder_kernel.launch ...``.

Bubblewrap has already built the sandbox's file system (see ``autograder.sandbox``): the
runtime read-only, the submission as submitted read-only at ``--submission``, a size-capped
tmpfs at ``--box`` (the only writable place besides the kernel's socket folder). This
launcher, the first process inside, then

1. copies the submission into ``<box>/work`` (the kernel's working folder and ``HOME``) and
   makes ``<box>/config`` (``<box>`` is the sandbox's ``/tmp``);
2. copies the connection file the grader wrote into ``<box>``, with the socket folder as
   the kernel sees it (``--sockets``);
3. when started as root: hands ``<box>`` and what it made there to ``--uid``/``--gid``, drops every capability
   (bounding, inheritable, permitted, effective, ambient), becomes that unprivileged user
   with no supplementary groups and sets ``no_new_privs``; it refuses to go on if any
   capability or root id is left;
4. execs ``python -P -s -m ipykernel_launcher -f <box>/kernel.json`` (neither the working
   folder nor a user site-packages folder on ``sys.path``; the grader's environment points
   IPython, Jupyter and matplotlib at fresh folders in ``<box>/config``), so nothing handed
   in runs before the first cell.

Nothing here imports torch or any course code; it runs before any student code does.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import sys

__all__ = ["main", "drop_privileges"]

_PR_SET_NO_NEW_PRIVS = 38
_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _status_caps() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.startswith("Cap"):
                out[key] = int(value.strip(), 16)
    return out


def drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` with no groups and no capabilities, for good."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):  # the bounding set: no exec can ever regain these
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    left = {k: v for k, v in _status_caps().items() if v}
    if left or 0 in os.getresuid() or 0 in os.getresgid() or os.getgroups():
        raise SystemExit(f"autograder sandbox: could not drop privileges ({left}, uid {os.getresuid()})")


def _copy_tree(src: str, dest: str) -> None:
    """Copy the (grader-made, regular files only) submission into the writable box."""
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        target = os.path.normpath(os.path.join(dest, rel))
        os.makedirs(target, exist_ok=True)
        for name in files:
            shutil.copyfile(os.path.join(root, name), os.path.join(target, name), follow_symlinks=False)


def _chown_tree(path: str, uid: int, gid: int) -> None:
    os.chown(path, uid, gid, follow_symlinks=False)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder_kernel.launch")
    parser.add_argument("--submission", required=True, help="the submission, read-only")
    parser.add_argument("--box", required=True, help="the writable, size-capped folder")
    parser.add_argument("--connection", required=True, help="the connection file the grader wrote "
                        "(its host path: it is read from the socket folder)")
    parser.add_argument("--sockets", required=True, help="the socket folder, as mounted here")
    parser.add_argument("--uid", type=int, default=65534)
    parser.add_argument("--gid", type=int, default=65534)
    args = parser.parse_args(argv)
    work, config = os.path.join(args.box, "work"), os.path.join(args.box, "config")
    os.makedirs(work, exist_ok=True)
    os.makedirs(config, exist_ok=True)  # fresh configuration folders
    _copy_tree(args.submission, work)
    connection = os.path.join(args.box, "kernel.json")
    # the grader names the file by its host path; here it is in the socket folder
    with open(os.path.join(args.sockets, os.path.basename(args.connection))) as f:
        info = json.load(f)
    info["ip"] = os.path.join(args.sockets, os.path.basename(info["ip"]))
    with open(connection, "w") as f:
        json.dump(info, f)
    if os.getuid() == 0:  # the box and what was made in it (not the runtime mounted into it)
        os.chown(args.box, args.uid, args.gid)
        os.chown(connection, args.uid, args.gid)
        _chown_tree(work, args.uid, args.gid)
        _chown_tree(config, args.uid, args.gid)
        drop_privileges(args.uid, args.gid)
    os.chdir(work)
    # -P: the working folder (the student's files) stays off sys.path; -s: no user site-packages
    os.execv(sys.executable, [sys.executable, "-P", "-s", "-m", "ipykernel_launcher", "-f", connection])


if __name__ == "__main__":
    main()
