"""Unit 5's tabular quality bar.

Value iteration on FrozenLake-v1 (4x4, slippery, gymnasium's own transition table): V*(start)
at gamma 1, 0.99 and 0.9 (known: 0.8235, 0.542, 0.0689), with the sweeps it took and whether
policy iteration agrees. SARSA and Q-learning on CliffWalking-v1 (epsilon 0.1, alpha 0.2,
gamma 1, 500 episodes) over 5 seeds: the return of the greedy path each learned (-13 is the
optimal path along the cliff's edge, -17 the safe path along the top; null: the greedy policy
loops) and the mean online return of the last 100 episodes (what the agent earned while
exploring).
"""

from __future__ import annotations

import statistics
import time

import gymnasium as gym
import torch
from common import QUICK, emit

from lecture_lib.mdp import frozen_lake, policy_iteration, value_iteration
from lecture_lib.td import greedy_path, td_control


def main() -> None:
    lake = frozen_lake()
    v_star, sweeps, agree = {}, {}, {}
    t0 = time.perf_counter()
    for gamma in (1.0, 0.99, 0.9):
        V, _, n = value_iteration(lake, gamma)
        _, V_pi, _ = policy_iteration(lake, gamma)
        v_star[str(gamma)] = round(V[0].item(), 6)
        sweeps[str(gamma)] = n
        agree[str(gamma)] = bool(torch.allclose(V, V_pi, atol=1e-7))
    dp_seconds = time.perf_counter() - t0

    env = gym.make("CliffWalking-v1")
    seeds = range(2 if QUICK else 5)
    episodes = 100 if QUICK else 500
    greedy, online, seconds = {}, {}, {}
    for method in ("sarsa", "q_learning"):
        greedy[method], online[method] = [], []
        t0 = time.perf_counter()
        for seed in seeds:
            Q, returns = td_control(env, method, episodes, alpha=0.2, epsilon=0.1, gamma=1.0, seed=seed)
            _, total, terminated = greedy_path(env, Q)
            greedy[method].append(total if terminated else None)
            online[method].append(round(statistics.fmean(returns[-100:]), 2))
        seconds[method] = round((time.perf_counter() - t0) / len(seeds), 2)
    emit(name="tabular", frozen_lake_v_star_start=v_star, value_iteration_sweeps=sweeps,
         policy_iteration_agrees=agree, dp_seconds=round(dp_seconds, 3), cliff_seeds=len(seeds),
         cliff_episodes=episodes, sarsa_greedy_returns=greedy["sarsa"],
         q_learning_greedy_returns=greedy["q_learning"], sarsa_online_last100=online["sarsa"],
         q_learning_online_last100=online["q_learning"], seconds_per_run=seconds)


if __name__ == "__main__":
    main()
