"""Unit 5's deep RL quality bar on CartPole-v1, defined exactly as the REINFORCE line of
``bench_cartpole``: every seed trains 150,000 environment steps; the greedy policy is
evaluated on 100 episodes every 4,096 steps; *solved* = an evaluation reaches a mean of 475;
*stable* = the last five evaluations average >= 475.

- ``dqn_cartpole``: ``lecture_lib.dqn.train_dqn`` with ``DQNConfig(train_every=2)`` (the
  notebook's setting);
- ``a2c_cartpole``: ``lecture_lib.actor_critic.train_actor_critic`` with
  ``actor_critic_config()``.

One JSON line each: seeds, seeds_solved, seeds_stable, median_env_steps (to the first solved
evaluation; over the solved seeds), median_seconds (wall time to it), and the per-seed steps.
``BENCH_QUICK=1``: 2 seeds, 8,192 steps, 10 evaluation episodes (a smoke run, no figures).
"""

from __future__ import annotations

import statistics
import time

from common import QUICK, emit

from lecture_lib.actor_critic import actor_critic_config, train_actor_critic
from lecture_lib.dqn import DQNConfig, train_dqn

SEEDS = (0, 1) if QUICK else (0, 1, 2, 3, 4)
STEPS = 8_192 if QUICK else 150_000
EPISODES = 10 if QUICK else 100


def summarize(name: str, runs: list, seconds: list[float]) -> None:
    steps = [r.steps_to_solve for r in runs]
    solved = [s for s in steps if s is not None]
    to_solve = [r.seconds_to_solve for r in runs if r.seconds_to_solve is not None]
    emit(name=name, seeds=len(runs), seeds_solved=len(solved), seeds_stable=sum(r.stable() for r in runs),
         median_env_steps=statistics.median(solved) if solved else None,
         median_seconds=round(statistics.median(to_solve), 1) if to_solve else None,
         steps_to_solve=steps, last5_means=[round(r.last_mean() or 0.0, 1) for r in runs],
         train_seconds=[round(s, 1) for s in seconds], max_steps=STEPS)


def main() -> None:
    runs, seconds = [], []
    for seed in SEEDS:
        t0 = time.perf_counter()
        runs.append(train_dqn(DQNConfig(max_steps=STEPS, train_every=2, eval_episodes=EPISODES), seed))
        seconds.append(time.perf_counter() - t0)
    summarize("dqn_cartpole", runs, seconds)
    runs, seconds = [], []
    for seed in SEEDS:
        t0 = time.perf_counter()
        runs.append(train_actor_critic(actor_critic_config(max_steps=STEPS, eval_episodes=EPISODES), seed))
        seconds.append(time.perf_counter() - t0)
    summarize("a2c_cartpole", runs, seconds)


if __name__ == "__main__":
    main()
