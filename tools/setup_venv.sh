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

# bubblewrap: the sandbox `python -m autograder grade` runs each submission in. A system
# package, so installed with apt when we may; grading warns loudly and runs unisolated without it.
if ! command -v bwrap >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing bubblewrap (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends bubblewrap >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends bubblewrap >/dev/null 2>&1; } \
            || echo "setup: WARNING: could not install bubblewrap; grading will run without a sandbox"
    else
        echo "setup: WARNING: bubblewrap (bwrap) is missing and cannot be installed here (needs root and apt);"
        echo "       install it (e.g. sudo apt-get install bubblewrap) before grading submissions"
    fi
fi

# Chromium: the browser the tests drive JupyterLab in (Playwright launches this system copy;
# `playwright install` would download its own). A system package, installed like bubblewrap.
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing chromium (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; } \
            || echo "setup: WARNING: could not install chromium; the browser tests will fail"
    else
        echo "setup: WARNING: chromium is missing and cannot be installed here (needs root and apt);"
        echo "       install it (e.g. sudo apt-get install chromium) for the browser tests"
    fi
fi

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
