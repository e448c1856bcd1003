"""lecture_lib.rl: whole-episode batches, truncation vs termination, evaluation, CartPole training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gymnasium as gym

from lecture_lib.returns import discounted_returns
from lecture_lib.rl import (CartPoleConfig, StepCounter, collect_episodes, evaluate_policy, mlp, policy_weights,
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


def test_batches_hold_whole_episodes_with_their_true_totals():
    env = StepCounter(gym.make("CartPole-v1"))
    env.reset(seed=0)
    batch = collect_episodes(env, Constant(0), 40)
    assert len(batch) >= 40 and batch.dones[-1]                      # the last episode is finished
    assert batch.obs.shape == batch.next_obs.shape == (len(batch), 4)
    assert (batch.actions == 0).all() and (batch.rewards == 1).all()
    ends = torch.nonzero(batch.dones)[:, 0].tolist()
    lengths = np.diff([-1] + ends).tolist()
    assert batch.episode_returns == [float(n) for n in lengths] == env.episode_returns
    assert all(5 <= n <= 20 for n in lengths) and not batch.truncated.any()
    assert env.steps == len(batch)
    # next_obs is the state after each step; inside an episode it is the next step's obs
    inside = ~batch.dones[:-1]
    assert torch.equal(batch.next_obs[:-1][inside], batch.obs[1:][inside])


def test_the_time_limit_is_truncation_and_bootstrapped():
    """A policy that balances forever is stopped at 500 steps: truncated, not terminated; the
    value variants fold gamma * V(next_obs) into the last reward, the others do not."""

    class Balance(torch.nn.Module):
        def forward(self, obs):   # push towards the side the pole leans to
            right = (obs[:, 2] + 0.5 * obs[:, 3] > 0).float()
            return torch.stack([-20 * right, 20 * right - 10], 1) * 2

    env = gym.make("CartPole-v1")
    env.reset(seed=1)
    batch = collect_episodes(env, Balance(), 1)
    assert len(batch) == 500 and batch.truncated[-1] and batch.truncated.sum() == 1
    value = torch.nn.Sequential(torch.nn.Linear(4, 1))
    with torch.no_grad():
        value[0].weight.zero_()
        value[0].bias.fill_(50.0)
    gamma = 0.99
    weights, targets = policy_weights(batch, "baseline", gamma, value)
    expected = discounted_returns(batch.rewards, batch.dones, gamma)
    expected = expected + gamma ** torch.arange(500, 0, -1, dtype=torch.float32) * 50.0
    assert torch.allclose(targets, expected, rtol=1e-5)
    assert torch.allclose(weights, targets - 50.0, rtol=1e-5, atol=1e-4)
    totals, none = policy_weights(batch, "total_return", gamma)
    assert none is None and (totals == 500).all()
    to_go, _ = policy_weights(batch, "reward_to_go", gamma)
    assert to_go[0] == 500 and to_go[-1] == 1


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
    assert 12_288 <= result.steps < 12_288 + 512 + 500   # the last iteration finishes its episodes
    first_returns = [r for s, r in result.episode_returns if s <= 1024]
    assert result.evaluations[-1][1] > 2 * np.mean(first_returns)


def test_unknown_variant():
    with pytest.raises(ValueError, match="variant"):
        train_cartpole(CartPoleConfig(variant="magic"), seed=0)


@pytest.mark.parametrize("trainer", ["cartpole", "dqn"])
def test_cartpole_trainers_show_a_progress_bar_that_changes_nothing(trainer, capsys, monkeypatch):
    """A bar over environment steps (on by default, off with COURSE_PROGRESS=0 or bar=False);
    the run itself is the same with or without it."""
    from lecture_lib.dqn import DQNConfig, train_dqn

    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    if trainer == "cartpole":
        run = lambda bar: train_cartpole(CartPoleConfig(max_steps=3000, eval_every=1024, eval_episodes=2,
                                                        stop_when_solved=False), 0, bar=bar)
        label = "CartPole, seed 0"
    else:
        run = lambda bar: train_dqn(DQNConfig(max_steps=2048, eval_every=1024, eval_episodes=2), 0, bar=bar)
        label = "DQN, seed 0"
    shown = run(None)
    err = capsys.readouterr().err
    assert label in err and "step" in err
    hidden = run(False)
    assert label not in capsys.readouterr().err
    assert shown.evaluations == hidden.evaluations and shown.steps == hidden.steps
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    run(None)
    assert label not in capsys.readouterr().err
