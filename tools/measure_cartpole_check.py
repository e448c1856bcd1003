"""Measure the false-failure probability of the behavioural CartPole check (unit 4).

For each correct implementation (the reference ``lecture_lib.rl.reinforce_iteration`` and the
alternatives of ``autograder/alternatives/unit4.py``), train from ``--seeds`` seeds exactly as
the check does (``autograder_kernel.unit4_runners.cartpole_run``: the check's budget and
evaluation) and count the seeds solved. With p the share solved, a correct agent fails the
visible check (1 seed) with probability 1 - p and the hidden one (>= 2 of 3 seeds) with
probability (1 - p)^3 + 3 p (1 - p)^2; the upper 95% bound uses the Wilson interval for p.

    .venv/bin/python tools/measure_cartpole_check.py --seeds 20      # about 1-2 minutes per 10 seeds
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from autograder.exercises.unit4 import CARTPOLE_BUDGET, CARTPOLE_EVAL  # noqa: E402
from autograder_kernel.cases import Case  # noqa: E402
from autograder_kernel.unit4_runners import cartpole_run  # noqa: E402


def wilson_low(k: int, n: int, z: float = 1.96) -> float:
    if n == 0:
        return 0.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half)


def hidden_fail(p: float) -> float:
    return (1 - p) ** 3 + 3 * p * (1 - p) ** 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from lecture_lib.rl import reinforce_iteration
    from autograder.exercises import get_exercise

    implementations = {"reference": reinforce_iteration}
    implementations.update({f"alternative {i}": fn for i, fn in enumerate(get_exercise("unit4.reinforce_iteration").alternatives)})
    seeds = tuple(range(args.first_seed, args.first_seed + args.seeds))
    for name, fn in implementations.items():
        start = time.perf_counter()
        results = cartpole_run(fn, Case((seeds, CARTPOLE_BUDGET), dict(CARTPOLE_EVAL)))
        steps = [r["steps_to_solve"] for r in results]
        k = sum(s is not None for s in steps)
        p, p_low = k / len(seeds), wilson_low(k, len(seeds))
        print(json.dumps({
            "implementation": name, "seeds": len(seeds), "solved": k, "budget": CARTPOLE_BUDGET,
            "steps_to_solve": steps, "max_steps_to_solve": max((s for s in steps if s), default=None),
            "visible_fail": round(1 - p, 4), "visible_fail_95": round(1 - p_low, 4),
            "hidden_fail": round(hidden_fail(p), 6), "hidden_fail_95": round(hidden_fail(p_low), 6),
            "seconds": round(time.perf_counter() - start, 1)}), flush=True)


if __name__ == "__main__":
    main()
