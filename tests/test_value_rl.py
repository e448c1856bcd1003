"""Unit 5's deep RL reference code: the replay buffer, DQN targets and loss (termination vs
truncation, no gradient through the target), and the actor-critic iteration."""

from __future__ import annotations

import copy

import gymnasium as gym
import numpy as np
import pytest
import torch

from lecture_lib.actor_critic import ActorCriticIteration
from lecture_lib.dqn import DQNConfig, ReplayBuffer, dqn_loss, dqn_targets, train_dqn
from lecture_lib.rl import StepCounter, mlp


def test_replay_buffer_is_a_ring_and_latest_is_in_order():
    buf = ReplayBuffer(3, obs_dim=2)
    for i in range(5):
        buf.add(np.array([i, -i]), i % 2, float(i), np.array([i + 1, 0]), i == 4)
    assert len(buf) == 3
    assert sorted(buf.rewards.tolist()) == [2.0, 3.0, 4.0]          # 0 and 1 overwritten
    latest = buf.latest(2)
    assert latest["rewards"].tolist() == [3.0, 4.0]
    assert latest["terminated"].tolist() == [0.0, 1.0]
    batch = buf.sample(10, torch.Generator().manual_seed(0))
    assert batch["obs"].shape == (10, 2) and batch["actions"].dtype == torch.long
    assert set(batch["rewards"].tolist()) <= {2.0, 3.0, 4.0}
    assert torch.equal(batch["obs"][:, 0] + 1, batch["next_obs"][:, 0])   # rows stay together
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, 2)


def _nets():
    torch.manual_seed(0)
    q = mlp([4, 8, 2])
    return q, copy.deepcopy(q)


def test_dqn_targets_do_not_bootstrap_after_termination():
    q, target = _nets()
    next_obs = torch.randn(3, 4)
    r = torch.tensor([1.0, 2.0, 3.0])
    y = dqn_targets(target, r, next_obs, torch.tensor([0.0, 1.0, 0.0]), 0.9)
    best = target(next_obs).max(-1).values.detach()
    assert torch.allclose(y, torch.tensor([1 + 0.9 * best[0], 2.0, 3 + 0.9 * best[2]]))
    assert not y.requires_grad


@pytest.mark.parametrize("separate_target", [True, False])
def test_dqn_loss_sends_gradients_into_the_online_network_only(separate_target):
    q, target = _nets()
    target = target if separate_target else q
    batch = {"obs": torch.randn(5, 4), "actions": torch.tensor([0, 1, 1, 0, 1]), "rewards": torch.ones(5),
             "next_obs": torch.randn(5, 4), "terminated": torch.zeros(5)}
    loss = dqn_loss(q, target, batch, 0.99, huber=False)
    loss.backward()
    # by hand: the mean squared error against a constant target
    with torch.no_grad():
        y = 1 + 0.99 * target(batch["next_obs"]).max(-1).values
        pred = q(batch["obs"]).gather(1, batch["actions"][:, None])[:, 0]
    assert loss.item() == pytest.approx((pred - y).pow(2).mean().item(), rel=1e-6)
    ref = copy.deepcopy(q)
    for p in ref.parameters():
        p.grad = None
    expected = (ref(batch["obs"]).gather(1, batch["actions"][:, None])[:, 0] - y).pow(2).mean()
    expected.backward()
    for p, p_ref in zip(q.parameters(), ref.parameters()):
        assert torch.allclose(p.grad, p_ref.grad, atol=1e-6)        # nothing flowed through the target
    if separate_target:
        assert all(p.grad is None for p in target.parameters())


def test_truncation_is_stored_as_not_terminal():
    # a 5-step time limit truncates nearly every episode before the pole can fall
    cfg = DQNConfig(max_steps=300, time_limit=5, learning_starts=50, eval_every=10**9)
    result = train_dqn(cfg, seed=0)
    buf = result.buffer
    assert result.steps == 300 and len(buf) == 300
    assert buf.terminated.sum().item() == 0        # truncated, not terminated: every target bootstraps
    wrong = train_dqn(DQNConfig(max_steps=300, time_limit=5, learning_starts=50, eval_every=10**9,
                                treat_truncation_as_terminal=True), seed=0)
    assert wrong.buffer.terminated.sum().item() == 60   # the mistake marks every 5th step terminal


def test_actor_critic_iteration_plays_a_fixed_window_across_episodes():
    env = StepCounter(gym.make("CartPole-v1"))
    env.reset(seed=0)
    torch.manual_seed(0)
    policy, value = mlp([4, 16, 2]), mlp([4, 16, 1])
    p_opt, v_opt = torch.optim.Adam(policy.parameters(), 1e-3), torch.optim.Adam(value.parameters(), 1e-3)
    it = ActorCriticIteration(lam=0.95)
    before = [p.detach().clone() for p in policy.parameters()] + [p.detach().clone() for p in value.parameters()]
    finished = it(env, policy, value, p_opt, v_opt, 0.99, 100)
    finished += it(env, policy, value, p_opt, v_opt, 0.99, 100)
    assert env.steps == 200                                   # exactly the windows, episodes carried over
    assert finished == env.episode_returns                    # the totals of the episodes that ended
    after = list(policy.parameters()) + list(value.parameters())
    assert all(not torch.equal(a, b) for a, b in zip(before, after))
