"""lecture_lib.rl: rollouts in vector environments, evaluation, and CartPole training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lecture_lib.rl import (CartPoleConfig, collect_rollout, evaluate_policy, make_vector_env, mlp,
                            train_cartpole)


class Constant(torch.nn.Module):
    """Always prefers one action."""

    def __init__(self, action: int):
        super().__init__()
        self.action = action

    def forward(self, obs):
        logits = torch.full((obs.shape[0], 2), -20.0)
        logits[:, self.action] = 20.0
        return logits


def test_rollout_shapes_and_episode_bookkeeping():
    envs = make_vector_env("CartPole-v1", 3, seed=0)
    obs, _ = envs.reset(seed=0)
    batch, obs, running = collect_rollout(envs, Constant(0), obs, 40, torch.device("cpu"))
    envs.close()
    assert batch.obs.shape == (40, 3, 4) and batch.actions.shape == batch.rewards.shape == batch.dones.shape == (40, 3)
    assert (batch.actions == 0).all() and (batch.rewards == 1).all()
    # Always pushing left ends an episode within about 10 steps: every column has several,
    # and each finished episode's return is the number of steps it lasted.
    per_column = batch.dones.sum(0)
    assert (per_column >= 2).all()
    assert len(batch.episode_returns) == int(per_column.sum())
    for j in range(3):
        ends = torch.nonzero(batch.dones[:, j])[:, 0].tolist()
        lengths = np.diff([-1] + ends).tolist()
        assert all(5 <= n <= 20 for n in lengths)
    assert running.shape == (3,)


def test_evaluation_of_fixed_policies():
    left = evaluate_policy(Constant(0), episodes=20)
    assert 5 <= left <= 20
    torch.manual_seed(0)
    random_policy = mlp([4, 8, 2])
    with torch.no_grad():
        random_policy[-1].weight.zero_()
        random_policy[-1].bias.zero_()
    stochastic = evaluate_policy(random_policy, episodes=50, greedy=False)
    assert 10 <= stochastic <= 40   # a uniformly random policy lasts about 22 steps


def test_cartpole_training_improves_and_respects_the_budget():
    cfg = CartPoleConfig(max_steps=12_288, eval_every=4_096, eval_episodes=20, stop_when_solved=False)
    result = train_cartpole(cfg, seed=3)
    assert [s for s, _ in result.evaluations] == [4096, 8192, 12288]
    first_returns = [r for s, r in result.episode_returns if s <= 1024]
    assert result.evaluations[-1][1] > 2 * np.mean(first_returns)


def test_unknown_variant():
    with pytest.raises(ValueError, match="variant"):
        train_cartpole(CartPoleConfig(variant="magic"), seed=0)
