#!/usr/bin/env python
"""``make bench``: run every ``benchmarks/bench_*.py`` and print one JSON object per line.

Each benchmark runs in its own process and prints JSON lines on stdout (progress goes to
stderr). A benchmark that fails prints ``{"name": <file>, "error": ...}`` and makes the exit
status non-zero. ``--only NAME`` runs ``bench_NAME.py`` when it exists, else every file whose name contains NAME; ``BENCH_QUICK=1`` asks every
benchmark for a short smoke run (used by the tests, not for figures).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=None, help="substring of the benchmark file names to run")
    args = parser.parse_args(argv)
    files = sorted(HERE.glob("bench_*.py"))
    if args.only:
        exact = [f for f in files if f.stem.removeprefix("bench_") == args.only]  # ONLY=grading: not grading_scale
        files = exact or [f for f in files if args.only in f.stem]
    if not files:
        print(json.dumps({"name": "bench", "error": f"no benchmark matches {args.only!r}"}))
        return 1
    failed = 0
    for f in files:
        proc = subprocess.run([sys.executable, str(f)], stdout=subprocess.PIPE, text=True)
        for line in proc.stdout.splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                json.loads(line)
            except json.JSONDecodeError:
                print(line, file=sys.stderr)  # stray non-JSON output goes to stderr
                continue
            print(line, flush=True)
        if proc.returncode != 0:
            failed += 1
            print(json.dumps({"name": f.stem.removeprefix("bench_"), "error": f"exit {proc.returncode}"}),
                  flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
