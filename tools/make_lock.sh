#!/usr/bin/env bash
# Re-resolve requirements-lock.txt from requirements.txt in a scratch venv (make lock).
set -euo pipefail
PYTHON=${1:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check "torch==2.13.0"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
{
    echo "# Full set of versions resolved from requirements.txt on Python 3.11 (pip freeze --all),"
    echo "# used as constraints by tools/setup_venv.sh. Regenerate with: make lock"
    # The local label (+cpu) is dropped so that the same lock serves CPU and GPU machines.
    "$tmp/venv/bin/python" -m pip freeze --all | grep -v '^pip==' | sed -E 's/^(torch==[0-9.]+)\+[a-z0-9]+$/\1/'
} > requirements-lock.txt
echo "wrote requirements-lock.txt"
