"""Measure whether a grade can depend on the secret seed: run every catalogued correct
alternative and every listed mistake of the chosen exercises on many secret hidden-suite
seeds, exactly as trusted grading judges them (``tests/exercise_catalog.verdict_on_seed``).

A fair check fails no correct alternative and passes no listed mistake on any seed. The
tool prints one JSON object per (exercise, implementation): how many seeds it was judged on
and on which seeds the verdict was the unexpected one (a correct alternative failed, or a
mistake passed), with the first such message.

    .venv/bin/python tools/measure_secret_seeds.py --seeds 400 unit1.train_linear_ae
    .venv/bin/python tools/measure_secret_seeds.py --seeds 50 --prefix unit2.      # every unit-2 exercise

Seeds are ``--first``, ``--first + 1``, ... so a run is reproducible; grading's secret seeds
are 63-bit draws, and a case generator that behaves differently for large seeds would show
on them as well (use ``--first 2**40``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import torch  # noqa: E402

from exercise_catalog import verdict_on_seed  # noqa: E402


def catalogues() -> tuple[dict, dict]:
    import catalog_unit5
    import test_exercises_units12
    import test_exercises_units34

    correct, mistakes = {}, {}
    for module in (test_exercises_units12, test_exercises_units34, catalog_unit5):
        correct.update(module.CORRECT)
        mistakes.update(module.MISTAKES)
    return correct, mistakes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercises", nargs="*", help="exercise ids (default: every catalogued one, or --prefix)")
    parser.add_argument("--prefix", default="", help="every catalogued exercise whose id starts with this")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--only", choices=["correct", "mistakes", "both"], default="both")
    args = parser.parse_args()
    torch.set_num_threads(1)
    correct, mistakes = catalogues()
    chosen = args.exercises or sorted(e for e in set(correct) | set(mistakes) if e.startswith(args.prefix))
    unknown = [e for e in chosen if e not in correct and e not in mistakes]
    if unknown:
        parser.error(f"no catalogue for {', '.join(unknown)}; catalogued: {', '.join(sorted(correct))}")
    seeds = range(args.first, args.first + args.seeds)
    for exercise in chosen:
        jobs = []
        if args.only in ("correct", "both"):
            jobs += [(f"correct #{i}", fn, True) for i, fn in enumerate(correct.get(exercise, []))]
        if args.only in ("mistakes", "both"):
            jobs += [(name, fn, False) for name, fn in mistakes.get(exercise, {}).items()]
        for name, fn, should_pass in jobs:
            start, unexpected, first_message = time.perf_counter(), [], None
            for seed in seeds:
                verdict = verdict_on_seed(exercise, fn, seed)
                if verdict.passed != should_pass:
                    unexpected.append(seed)
                    first_message = first_message or (verdict.message or "passed")[:300]
            print(json.dumps({
                "exercise": exercise, "implementation": name, "kind": "correct" if should_pass else "mistake",
                "seeds": len(seeds), "unexpected": len(unexpected), "unexpected_seeds": unexpected[:20],
                "first_message": first_message, "seconds": round(time.perf_counter() - start, 1),
            }), flush=True)


if __name__ == "__main__":
    main()
