"""Unit 5's tabular reference code: dynamic programming against known optima and exact
solves, Monte Carlo / TD prediction on hand-worked episodes, SARSA and Q-learning."""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch

from lecture_lib.mdp import (TabularMDP, bellman_expectation_backup, bellman_optimality_backup, cliff_walking,
                             frozen_lake, policy_evaluation, policy_evaluation_exact, policy_iteration, q_from_v,
                             uniform_policy, value_iteration)
from lecture_lib.td import (Episode, epsilon_greedy_probs, greedy_path, monte_carlo_prediction, q_learning_target,
                            sarsa_target, td0_prediction, td0_target, td_control, td_targets)


@pytest.fixture(scope="module")
def lake() -> TabularMDP:
    return frozen_lake()


def test_frozen_lake_table(lake):
    assert (lake.n_states, lake.n_actions) == (16, 4)
    assert lake.desc == ("SFFF", "FHFH", "FFFH", "HFFG")
    assert lake.terminal.nonzero().flatten().tolist() == [5, 7, 11, 12, 15]   # four holes and the goal
    assert lake.start.tolist() == [1.0] + [0.0] * 15
    # slippery: from the start, "down" goes down, left (a wall: stay) or right, a third each
    assert torch.allclose(lake.P[0, 1], torch.tensor([1 / 3, 1 / 3, 0, 0, 1 / 3] + [0] * 11, dtype=torch.float64))
    # the only reward: reaching the goal (15) from 14 (moving right, or slipping right)
    assert lake.R[14].tolist() == pytest.approx([0, 1 / 3, 1 / 3, 1 / 3])
    assert (lake.R[torch.arange(16) != 14] == 0).all()


@pytest.mark.parametrize("gamma, v_start", [(1.0, 0.8235), (0.99, 0.542), (0.9, 0.0689)])
def test_value_and_policy_iteration_reach_the_known_optimum(lake, gamma, v_start):
    V, pi, sweeps = value_iteration(lake, gamma)
    assert V[0].item() == pytest.approx(v_start, abs=6e-4)
    assert sweeps > 1
    pi2, V2, improvements = policy_iteration(lake, gamma)
    assert torch.allclose(V, V2, atol=1e-7)
    # the two greedy policies may differ only where actions tie; their values agree
    q = q_from_v(lake, V, gamma)
    assert torch.allclose(q.gather(1, pi2[:, None]).squeeze(1), q.max(1).values, atol=1e-7)
    assert improvements >= 1
    assert torch.allclose(bellman_optimality_backup(lake, V, gamma), V, atol=1e-9)   # a fixed point
    assert (V[lake.terminal] == 0).all()


def test_exact_optimum_at_gamma_one_is_14_over_17(lake):
    V, _, _ = value_iteration(lake, 1.0)
    assert V[0].item() == pytest.approx(14 / 17, abs=1e-8)


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_iterative_and_exact_policy_evaluation_agree(lake, gamma):
    gen = torch.Generator().manual_seed(0)
    for policy in (uniform_policy(lake), torch.softmax(torch.randn(16, 4, generator=gen, dtype=torch.float64), 1),
                   torch.randint(0, 4, (16,), generator=gen)):
        V_iter, sweeps = policy_evaluation(lake, policy, gamma)
        V_exact = policy_evaluation_exact(lake, policy, gamma)
        assert torch.allclose(V_iter, V_exact, atol=1e-8)
        assert torch.allclose(bellman_expectation_backup(lake, V_exact, policy, gamma), V_exact, atol=1e-12)


def test_exact_evaluation_explains_a_singular_system(lake):
    always_up = torch.full((16,), 3)   # the top row never leaves the top row: no terminal state reached
    with pytest.raises(ValueError, match="singular"):
        policy_evaluation_exact(lake, always_up, 1.0)
    V, _ = policy_evaluation(lake, always_up, 1.0)   # iterative evaluation: those states are worth 0
    assert V[:4].abs().max().item() == 0.0


def test_a_hand_worked_two_state_chain():
    # s0 --a0 (reward 1)--> s1 --a0 (reward 2)--> terminal s2; a1 stays in place with reward 0
    P = torch.zeros(3, 2, 3, dtype=torch.float64)
    P[0, 0, 1] = P[1, 0, 2] = P[0, 1, 0] = P[1, 1, 1] = 1.0
    P[2, :, 2] = 1.0
    R = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    mdp = TabularMDP(P=P, R=R, terminal=torch.tensor([False, False, True]),
                     start=torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64))
    V, pi, _ = value_iteration(mdp, 0.5)
    assert V.tolist() == pytest.approx([1 + 0.5 * 2, 2.0, 0.0])
    assert pi[:2].tolist() == [0, 0]
    half = torch.tensor([[0.5, 0.5]] * 3, dtype=torch.float64)
    # V1 = 0.5 (2) + 0.5 (0.5 V1) -> V1 = 4/3; V0 = 0.5 (1 + 0.5 V1) + 0.5 (0.5 V0) -> V0 = (0.5 + 1/3) / 0.75
    assert policy_evaluation_exact(mdp, half, 0.5).tolist() == pytest.approx([(0.5 + 1 / 3) / 0.75, 4 / 3, 0.0])


def test_cliff_walking_table():
    cliff = cliff_walking()
    assert cliff.start.nonzero().flatten().tolist() == [36]
    assert cliff.terminal.nonzero().flatten().tolist() == [47]
    assert cliff.R[36].tolist() == [-1.0, -100.0, -1.0, -1.0]     # right from the start: into the cliff
    assert cliff.P[36, 1, 36] == 1.0                                 # ... and back to the start
    V, _, _ = value_iteration(cliff, 1.0)
    assert V[36].item() == -13.0                                     # the 13-step path along the edge


def test_epsilon_greedy_probs_split_ties():
    q = torch.tensor([[1.0, 3.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0], [5.0, 1.0, 2.0, 3.0]])
    p = epsilon_greedy_probs(q, 0.2)
    assert torch.allclose(p.sum(1), torch.ones(3))
    assert p[0].tolist() == pytest.approx([0.05, 0.45, 0.45, 0.05])
    assert p[1].tolist() == pytest.approx([0.25] * 4)
    assert p[2].tolist() == pytest.approx([0.85, 0.05, 0.05, 0.05])
    with pytest.raises(ValueError, match="epsilon"):
        epsilon_greedy_probs(q, 1.5)


def test_targets():
    q_next = torch.tensor([1.0, 4.0, -2.0])
    assert td0_target(1.0, 3.0, False, 0.9) == pytest.approx(1 + 0.9 * 3)
    assert td0_target(1.0, 3.0, True, 0.9) == 1.0
    assert sarsa_target(-1.0, q_next, 2, False, 0.5) == pytest.approx(-1 - 1.0)
    assert q_learning_target(-1.0, q_next, False, 0.5) == pytest.approx(-1 + 2.0)
    assert sarsa_target(-1.0, q_next, 2, True, 0.5) == q_learning_target(-1.0, q_next, True, 0.5) == -1.0


def test_batched_targets_agree_with_the_single_transition_ones():
    gen = torch.Generator().manual_seed(0)
    rewards, q_next = torch.randn(7, generator=gen), torch.randn(7, 3, generator=gen)
    next_actions = torch.randint(0, 3, (7,), generator=gen)
    terminated = torch.tensor([0, 1, 0, 0, 1, 0, 0], dtype=torch.bool)
    sarsa_y = td_targets(rewards, q_next, next_actions, terminated, 0.9, "sarsa")
    q_y = td_targets(rewards, q_next, next_actions, terminated.float(), 0.9, "q_learning")
    for i in range(7):
        r, t = float(rewards[i]), bool(terminated[i])
        assert float(sarsa_y[i]) == pytest.approx(sarsa_target(r, q_next[i], int(next_actions[i]), t, 0.9), abs=1e-6)
        assert float(q_y[i]) == pytest.approx(q_learning_target(r, q_next[i], t, 0.9), abs=1e-6)
    with pytest.raises(ValueError, match="sarsa"):
        td_targets(rewards, q_next, next_actions, terminated, 0.9, "expected_sarsa")


def _episodes():
    # states 0, 1, 2; state 3 terminal. Rewards chosen so that every estimate is worked by hand.
    return [Episode(states=[0, 1, 0, 2], actions=[0] * 4, rewards=[1.0, 0.0, 2.0, 4.0], final_state=3, terminated=True),
            Episode(states=[1, 2], actions=[0, 0], rewards=[3.0, 5.0], final_state=0, terminated=False)]


def test_monte_carlo_first_and_every_visit_by_hand():
    eps = _episodes()
    # episode 1 with gamma = 0.5, backwards: G3 = 4, G2 = 2 + 0.5 * 4 = 4, G1 = 0 + 0.5 * 4 = 2, G0 = 1 + 0.5 * 2 = 2
    first = monte_carlo_prediction(eps, 4, 0.5, first_visit=True)
    every = monte_carlo_prediction(eps, 4, 0.5, first_visit=False)
    assert first[0].tolist() == pytest.approx([2.0, 2.0, 4.0, 0.0])
    assert every[0].tolist() == pytest.approx([(2.0 + 4.0) / 2, 2.0, 4.0, 0.0])   # state 0 visited at t = 0 and 2
    # episode 2 (truncated, no bootstrap): G = [3 + 0.5 * 5, 5] = [5.5, 5]
    assert first[1].tolist() == pytest.approx([2.0, (2.0 + 5.5) / 2, (4.0 + 5.0) / 2, 0.0])
    assert every[1].tolist() == pytest.approx([3.0, (2.0 + 5.5) / 2, (4.0 + 5.0) / 2, 0.0])


def test_td0_by_hand_bootstraps_after_truncation_only():
    eps = _episodes()
    h = td0_prediction(eps, 4, gamma=1.0, alpha=0.5)
    # ep 1: V0 = 0.5; V1 = 0.5 (0 + V0) = 0.25; V0 += 0.5 (2 + V2 - V0) = 0.5 + 0.75 = 1.25; V2 = 0.5 * 4 = 2
    assert h[0].tolist() == pytest.approx([1.25, 0.25, 2.0, 0.0])
    # ep 2: V1 += 0.5 (3 + V2 - V1) = 0.25 + 2.375; V2 += 0.5 (5 + V0 - V2) (truncated: V0 = 1.25 bootstrapped)
    assert h[1].tolist() == pytest.approx([1.25, 2.625, 2.0 + 0.5 * (5 + 1.25 - 2.0), 0.0])


def test_sarsa_is_safe_and_q_learning_takes_the_edge():
    env = gym.make("CliffWalking-v1")
    Q, online = td_control(env, "q_learning", 500, alpha=0.2, epsilon=0.1, seed=1)
    path, total, terminated = greedy_path(env, Q)
    assert terminated and total == -13.0 and len(path) == 14
    Q_s, online_s = td_control(env, "sarsa", 500, alpha=0.2, epsilon=0.1, seed=1)
    path_s, total_s, terminated_s = greedy_path(env, Q_s)
    assert terminated_s and total_s < -13.0       # a longer path away from the edge
    # while exploring, SARSA earns more per episode: Q-learning's path makes epsilon fall off the cliff
    assert sum(online_s[-100:]) > sum(online[-100:])
