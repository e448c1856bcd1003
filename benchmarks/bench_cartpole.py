"""Unit 4's quality bar: REINFORCE on CartPole-v1 with the course's best variant, 5 seeds.

Variant ``standardized`` (lecture_lib.rl.CartPoleConfig defaults): whole episodes, at least
512 steps per update; discounted reward-to-go (gamma 0.99, time-limit truncation
bootstrapped from the value) minus a learned value, standardized over the batch; policy and
value MLPs 4-64-64 (tanh), Adam 3e-3 / 1e-2. Every 4,096 training steps the greedy policy
plays 100 evaluation episodes (not counted as training steps). Each seed trains for the full
150,000 steps. A seed is *solved* at its first evaluation with mean return >= 475 and
*stable* when its last five evaluations average >= 475 (it stayed solved). Reports the
median training steps and wall seconds at the first solve, ``seeds_solved`` and
``seeds_stable``.
"""

from __future__ import annotations

import statistics

from common import QUICK, emit

from lecture_lib.rl import CartPoleConfig, train_cartpole


def main() -> None:
    seeds = 1 if QUICK else 5
    cfg = CartPoleConfig(max_steps=8_192 if QUICK else 150_000, stop_when_solved=False)
    results = [train_cartpole(cfg, seed) for seed in range(seeds)]
    solved = [r for r in results if r.steps_to_solve is not None]
    emit(name="cartpole", variant=cfg.variant, seeds=seeds, max_steps=cfg.max_steps, seeds_solved=len(solved),
         seeds_stable=sum(r.stable() for r in results),
         median_env_steps=int(statistics.median([r.steps_to_solve for r in solved])) if solved else None,
         median_seconds=statistics.median([r.seconds_to_solve for r in solved]) if solved else None,
         env_steps_per_seed=[r.steps_to_solve for r in results],
         seconds_per_seed=[r.seconds_to_solve for r in results],
         last5_mean_per_seed=[r.last_mean() for r in results])


if __name__ == "__main__":
    main()
