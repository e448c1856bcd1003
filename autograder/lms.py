"""Submissions downloaded from a learning platform, imported into ``submitted/`` for grading.

``python -m autograder import-zip ASSIGNMENT ZIP --lms canvas`` checks the archive (a zip,
no absolute or ``..`` paths, no links, bounded size and member count), puts it where nbgrader's
``zip_collect`` looks for it (``<course>/downloaded/<assignment>/archive/``) and runs
``nbgrader zip_collect`` with a file-name pattern for the platform, which writes
``<course>/submitted/<student_id>/<assignment>/<notebook>.ipynb``: what ``grade`` reads.
``--regexp`` takes any other pattern with nbgrader's named groups (``student_id``,
``file_id``, optionally ``timestamp``, ``first_name``, ``last_name``, ``email``); it is
matched against each extracted file's absolute path, from the start.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

from autograder.notebooks import COURSE, RELEASE, tool_env

#: File-name conventions of "download all submissions" archives.
PATTERNS = {
    # Canvas: <name>[_LATE]_<user id>_<submission id>_<file>[-<n>].ipynb (-<n>: a resubmission's copy)
    "canvas": r".*/(?P<student_id>[^/_]+)(?:_LATE)?_\d+_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$",
    # Moodle: <Full Name>_<participant id>_assignsubmission_file_[/]<file>.ipynb (in folders or not)
    "moodle": r".*/[^/]*_(?P<student_id>\d+)_assignsubmission_file_/?(?P<file_id>[^/]+)\.ipynb$",
    # Blackboard: <assignment>_<username>_attempt_<yyyy-mm-dd-hh-mm-ss>_<file>.ipynb
    "blackboard": r".*_(?P<student_id>[^_/]+)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file_id>[^/]+)\.ipynb$",
}
MAX_MEMBERS = 100_000
MAX_UNPACKED = 4 << 30   # bytes, all members together


class ArchiveRefused(ValueError):
    """The archive is not one this command will unpack; the message says why."""


def check_archive(path: Path, max_members: int = MAX_MEMBERS, max_unpacked: int = MAX_UNPACKED) -> int:
    """Raise :class:`ArchiveRefused` unless ``path`` is a zip whose members all unpack inside
    the extraction folder, none is a link, and their count and total size are bounded; return
    the number of files."""
    if not path.is_file():
        raise ArchiveRefused(f"{path} is not a file")
    if not zipfile.is_zipfile(path):
        raise ArchiveRefused(f"{path} is not a zip archive (download the submissions as one .zip)")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > max_members:
            raise ArchiveRefused(f"{len(members):,} members (at most {max_members:,})")
        total = 0
        for info in members:
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or ".." in parts or (parts and parts[0].endswith(":")):
                raise ArchiveRefused(f"member {name!r} would unpack outside its folder")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ArchiveRefused(f"member {name!r} is a symbolic link")
            total += info.file_size
            if total > max_unpacked:
                raise ArchiveRefused(f"it unpacks to more than {max_unpacked:,} bytes")
        return sum(1 for info in members if not info.is_dir())


def import_zip(assignment: str, archive: Path, course: Path = COURSE, lms: str | None = None,
               regexp: str | None = None) -> int:
    """Import one platform download; 0 when at least one submission was imported."""
    if (lms is None) == (regexp is None):
        print("error: give the platform (--lms " + "|".join(PATTERNS) + ") or a --regexp", file=sys.stderr)
        return 2
    pattern = regexp if regexp is not None else PATTERNS[lms]
    try:
        files = check_archive(archive)
    except ArchiveRefused as exc:
        print(f"error: refused {archive}: {exc}; nothing was imported", file=sys.stderr)
        return 2
    course = course.resolve()
    inbox = course / "downloaded" / assignment / "archive"
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(archive, inbox / archive.name)
    submitted = course / "submitted"
    before = {p.parent.parent.name for p in submitted.glob(f"*/{assignment}/*.ipynb")}
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", "zip_collect", assignment, "--force",
         f"--FileNameCollectorPlugin.named_regexp={pattern}",
         f"--NbGrader.config_file={COURSE / 'nbgrader_config.py'}", f"--CourseDirectory.root={course}",
         f"--CourseDirectory.release_directory={RELEASE}",
         f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"],
        cwd=course, capture_output=True, text=True, env=tool_env())
    if proc.returncode != 0:
        print(f"error: nbgrader zip_collect failed:\n{proc.stdout}{proc.stderr}", file=sys.stderr)
        return 1
    students = sorted({p.parent.parent.name for p in submitted.glob(f"*/{assignment}/*.ipynb")})
    unmatched = [line.split(" in: ", 1)[-1] for line in (proc.stdout + proc.stderr).splitlines()
                 if "did not match anything in:" in line and line.rstrip().endswith(".ipynb")]
    new = [s for s in students if s not in before]
    print(f"{archive.name}: {files} file(s); {len(students)} student(s) now have {assignment} in "
          f"{submitted} ({len(new)} new)")
    for path in unmatched:
        print(f"  not imported (its name does not follow the pattern): {path}", file=sys.stderr)
    return 0 if students else 1
