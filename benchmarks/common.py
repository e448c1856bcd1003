"""Helpers shared by the benchmarks: timing with repeats, and one JSON line per result."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def emit(**fields) -> None:
    """Print one benchmark result as a JSON object on its own line."""
    print(json.dumps(fields), flush=True)


def timed(fn, repeats: int, warmup: int = 1, sync=None) -> dict:
    """Run ``fn`` ``warmup`` + ``repeats`` times; min/median/max seconds of the timed runs."""
    for _ in range(warmup):
        fn()
    if sync:
        sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
    return {"seconds_min": min(times), "seconds_median": statistics.median(times),
            "seconds_max": max(times), "repeats": repeats}
