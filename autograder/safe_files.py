"""Reading what a student handed in without following anything the student made.

A submission folder is data from outside: it may hold symbolic links (to the instructor's
source, to another student's files), hard links (a second name for a file elsewhere on the
same disk), FIFOs (a plain ``open`` blocks until a writer appears) or device files. The
grader reads it only through these functions, which work on file descriptors opened
relative to their folder with ``O_NOFOLLOW | O_NONBLOCK`` and check what they opened
(``fstat``) before reading: only regular files with a single name are read; everything else
is refused with a reason. No call here can block or leave the folder it was given.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

__all__ = ["Bundle", "read_submission", "write_bundle", "copy_submission", "read_regular", "Refused", "printable"]

_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class Refused(OSError):
    """A path that is not a regular file with one name; the message says what it is."""


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _open_regular(name: str, dir_fd: int | None = None) -> int:
    """An fd of ``name`` when it is a regular file with one name; else :class:`Refused`."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if not stat.S_ISREG(st.st_mode):
        raise Refused(_kind(st.st_mode))
    try:
        fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as exc:  # ELOOP: replaced by a link since the stat
        raise Refused(f"cannot be opened safely ({exc.strerror})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise Refused(_kind(st.st_mode))
    if st.st_nlink != 1:
        os.close(fd)
        raise Refused(f"a hard link (the same file has {st.st_nlink} names); hand in a copy of your own")
    return fd


def _read_fd(fd: int, max_bytes: int) -> bytes:
    chunks, total = [], 0
    while True:
        chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise Refused(f"larger than {max_bytes:,} bytes")


def read_regular(path: Path, max_bytes: int = 1 << 20) -> bytes:
    """The bytes of ``path`` if it is a regular file with one name, at most ``max_bytes``;
    :class:`Refused` otherwise (FileNotFoundError when it does not exist)."""
    fd = _open_regular(str(path))
    try:
        return _read_fd(fd, max_bytes)
    finally:
        os.close(fd)


def printable(text: str, limit: int = 300) -> str:
    """``text`` with control characters shown as escapes (safe for a terminal or a CSV)."""
    out = []
    for ch in str(text)[:limit]:
        code = ord(ch)
        if code < 32 or 0x7F <= code < 0xA0 or code in (0x2028, 0x2029) or 0x202A <= code <= 0x202E \
                or 0x2066 <= code <= 0x2069:
            out.append(ascii(ch)[1:-1] if code > 0xFF else f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out) + ("..." if len(str(text)) > limit else "")


MAX_ENTRIES = 10_000
MAX_DEPTH = 32


@dataclasses.dataclass
class Bundle:
    """A submission folder as the grader read it: its folders and regular files (relative,
    ``/``-separated paths), what was refused and why, and the problems to report. It travels to
    whichever machine grades it (:mod:`autograder.cluster`); :func:`write_bundle` lays it out."""
    folders: list[str]
    files: dict[str, bytes]
    refused: dict[str, str]
    problems: list[str]


def read_submission(src: Path, max_bytes: int, max_entries: int = MAX_ENTRIES) -> Bundle:
    """Read the regular, single-name files under ``src``: at most ``max_bytes`` and
    ``max_entries`` files and folders in all, folders at most ``MAX_DEPTH`` deep. ``refused``
    maps each path that was not read to why (the first 20 refusals are listed one by one in
    ``problems``)."""
    refused: dict[str, str] = {}
    folders: list[str] = []
    files: dict[str, bytes] = {}
    total = entries = 0
    for root, dirs, names, root_fd in os.fwalk(src, follow_symlinks=False):
        rel = Path(root).relative_to(src)
        keep = []
        for d in dirs:
            if len(rel.parts) >= MAX_DEPTH:
                refused[(rel / d).as_posix()] = f"folders nested deeper than {MAX_DEPTH}"
                continue
            entries += 1
            if entries > max_entries:
                refused[(rel / d).as_posix()] = f"more than {max_entries:,} files and folders"
                continue
            st = os.stat(d, dir_fd=root_fd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                keep.append(d)
                folders.append((rel / d).as_posix())
            else:
                refused[(rel / d).as_posix()] = _kind(st.st_mode)
        dirs[:] = keep
        for name in names:
            key = (rel / name).as_posix()
            entries += 1
            if entries > max_entries:
                refused[key] = f"more than {max_entries:,} files and folders"
                continue
            try:
                fd = _open_regular(name, dir_fd=root_fd)
            except Refused as exc:
                refused[key] = str(exc)
                continue
            except FileNotFoundError:
                continue
            try:
                size = os.fstat(fd).st_size
                if total + size > max_bytes:
                    refused[key] = f"the submission would exceed {max_bytes:,} bytes"
                    continue
                data = _read_fd(fd, max_bytes - total)
            except Refused as exc:
                refused[key] = str(exc)
                continue
            finally:
                os.close(fd)
            total += len(data)
            files[key] = data
    problems = [f"{printable(key, 120)}: refused ({why}); not copied" for key, why in list(refused.items())[:20]]
    if len(refused) > 20:
        problems.append(f"{len(refused) - 20:,} more files refused")
    return Bundle(folders, files, refused, problems)


def write_bundle(bundle: Bundle, dest: Path) -> None:
    """Lay out ``bundle`` as new folders and files (mode 0755/0644) under the new folder
    ``dest``. Paths are checked again: none may leave ``dest`` or pass through a link."""
    dest.mkdir(mode=0o755)
    os.chmod(dest, 0o755)

    def target(key: str) -> Path:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\0" in key:
            raise Refused(f"not a relative path: {printable(key, 80)}")
        return dest.joinpath(*parts)

    for key in sorted(bundle.folders, key=lambda k: k.count("/")):
        path = target(key)
        path.mkdir(mode=0o755)
        os.chmod(path, 0o755)
    for key, data in bundle.files.items():
        path = target(key)
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(out, view):]
        finally:
            os.close(out)
        os.chmod(path, 0o644)


def copy_submission(src: Path, dest: Path, max_bytes: int,
                    max_entries: int = MAX_ENTRIES) -> tuple[list[str], dict[str, str]]:
    """:func:`read_submission` then :func:`write_bundle`: copy the regular, single-name files
    under ``src`` into the new folder ``dest``. Returns (problems, refused)."""
    bundle = read_submission(src, max_bytes, max_entries)
    write_bundle(bundle, dest)
    return bundle.problems, bundle.refused
