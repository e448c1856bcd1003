"""Measure the false-failure probability of the behavioural Q-learning check (unit 5).

For each correct implementation (the reference ``lecture_lib.td.q_learning`` and the
alternatives of ``autograder/alternatives/unit5.py``), run the check's runner
(``autograder_kernel.unit5_runners.cliff_run``: its episodes, alpha, epsilon and greedy
path) on ``--seeds`` seeds and count the seeds whose greedy path is the optimal one. With p
that share, a correct agent fails the visible check (1 seed) with probability 1 - p and the
hidden one (>= 2 of 3 seeds) with (1 - p)^3 + 3 p (1 - p)^2; the 95% bounds use the Wilson
interval for p (``tools/measure_cartpole_check.py``).

    .venv/bin/python tools/measure_cliff_check.py --seeds 100     # about 3-4 s per seed and implementation
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tools")]

from autograder.exercises.unit5 import CLIFF_ALPHA, CLIFF_EPISODES, CLIFF_EPSILON  # noqa: E402
from autograder_kernel.cases import Case  # noqa: E402
from autograder_kernel.unit5_runners import cliff_run  # noqa: E402
from measure_cartpole_check import hidden_fail, wilson_low  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--only", choices=["reference", "all"], default="all")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from lecture_lib.td import q_learning
    from autograder.exercises import get_exercise

    implementations = {"reference": q_learning}
    if args.only == "all":
        implementations.update({f"alternative {i}": fn for i, fn in enumerate(get_exercise("unit5.q_learning").alternatives)})
    seeds = tuple(range(args.first_seed, args.first_seed + args.seeds))
    settings = {"alpha": CLIFF_ALPHA, "epsilon": CLIFF_EPSILON, "gamma": 1.0}
    for name, fn in implementations.items():
        start = time.perf_counter()
        results = cliff_run(fn, Case((seeds, CLIFF_EPISODES), settings))
        k = sum(r["reached_goal"] and r["greedy_return"] == -13.0 for r in results)
        p_low = wilson_low(k, len(seeds))
        print(json.dumps({
            "implementation": name, "seeds": len(seeds), "optimal": k,
            "not_optimal": [r for r in results if not (r["reached_goal"] and r["greedy_return"] == -13.0)][:10],
            "visible_fail_95": round(1 - p_low, 4), "hidden_fail_95": round(hidden_fail(p_low), 6),
            "seconds": round(time.perf_counter() - start, 1)}), flush=True)


if __name__ == "__main__":
    main()
