#!/usr/bin/env bash
# Create the course's virtual environment and install the pinned dependencies.
# Called by `make setup` (and so by every make target) only when the venv's stamp file
# is missing or older than requirements*.txt / pyproject.toml.
#
#   tools/setup_venv.sh PYTHON VENV
set -euo pipefail
PYTHON=${1:-python3}
VENV=${2:-.venv}
start=$(date +%s)

"$PYTHON" - <<'PY'
import sys
if sys.version_info[:2] != (3, 11):
    sys.exit(f"The course needs Python 3.11 (torch 2.13.0 wheels); {sys.executable} is "
             f"{sys.version.split()[0]}. Run e.g. `make PYTHON=python3.11 setup`.")
PY

# System packages, installed with apt when we may (root and apt-get), else a warning saying what
# is missing and what it costs. Usage: system_package COMMAND PACKAGE WHAT-FAILS-WITHOUT-IT
system_package() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing $2 (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends "$2" >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends "$2" >/dev/null 2>&1; } \
            || echo "setup: WARNING: could not install $2; $3"
    else
        echo "setup: WARNING: $2 ($1) is missing and cannot be installed here (needs root and apt);"
        echo "       install it (e.g. sudo apt-get install $2): $3"
    fi
}

# bubblewrap: the sandbox `python -m autograder grade` runs each submission in; grading warns
# loudly and runs unisolated without it.
system_package bwrap bubblewrap "grading will run without a sandbox"
# Chromium: the browser the tests drive JupyterLab in (Playwright launches this system copy;
# `playwright install` would download its own).
system_package chromium chromium "the browser tests will fail"
# PostgreSQL: the server the gradebook test starts on 127.0.0.1 (a shared gradebook for a class graded
# from several machines: --db-url postgresql://...). Debian keeps its programs in
# /usr/lib/postgresql/<version>/bin, off PATH.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
    || system_package initdb postgresql "the PostgreSQL gradebook test will fail"

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
pip_() {
    # This machine kind's pip config lists extra index folders that do not all exist;
    # drop pip's "Location ... is ignored" warnings about them and keep everything else.
    "$VENV/bin/python" -m pip --disable-pip-version-check "$@" 2> >(grep -v "is ignored: it is neither" >&2)
}

# torch first and alone, pinned exactly: on a CPU machine of this kind pip takes the CPU
# wheel 2.13.0+cpu from local disk; an unpinned torch would pull a CUDA build.
echo "setup: installing torch==2.13.0"
pip_ install -q "torch==2.13.0" -c requirements-lock.txt
echo "setup: installing the pinned course dependencies"
pip_ install -q -r requirements.txt -c requirements-lock.txt
# The course's own packages (lecture_lib, autograder), editable, no dependency resolution.
pip_ install -q --no-deps --no-build-isolation -e .

"$VENV/bin/python" - <<'PY'
import shutil, torch
v = torch.__version__
if not v.startswith("2.13.0"):
    raise SystemExit(f"setup: expected torch 2.13.0, got {v}")
gpu_here = shutil.which("nvidia-smi") is not None
if torch.version.cuda and not gpu_here:
    print(f"setup: WARNING: torch {v} is a CUDA build but this machine shows no NVIDIA GPU")
print(f"setup: torch {v} (CUDA build: {torch.version.cuda or 'no'}, CUDA available: "
      f"{torch.cuda.is_available()})")
PY
pip_ check >/dev/null || { pip_ check; exit 1; }
echo "setup: done in $(( $(date +%s) - start )) s"
