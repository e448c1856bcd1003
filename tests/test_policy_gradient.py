"""lecture_lib.returns and lecture_lib.policy_gradient against hand-worked episodes, exact
gradients and Monte Carlo."""

from __future__ import annotations

import pytest
import torch

from lecture_lib.policy_gradient import (CategoricalPolicy, LearnedBaseline, MNISTBandit, gumbel_noise, reinforce_step,
                                         MovingAverageBaseline, batch_mean_baseline, exact_policy_gradient,
                                         flat_grad, leave_one_out_baseline, optimal_constant_baseline,
                                         reinforce_loss, sample_actions, score_function_logits)
from lecture_lib.estimators import gradient_variance
from lecture_lib.returns import (discounted_returns, gae_advantages, reward_to_go, standardize,
                                 total_returns)

# Two episodes in one batch: [1, 2, 3] then [4, 5] (done after steps 2 and 4), then an
# unfinished one [6].
R = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
D = torch.tensor([0, 0, 1, 0, 1, 0])


def test_hand_worked_returns():
    assert reward_to_go(R, D).tolist() == [6.0, 5.0, 3.0, 9.0, 5.0, 6.0]
    assert total_returns(R, D).tolist() == [6.0, 6.0, 6.0, 9.0, 9.0, 6.0]
    g = 0.5
    expected = [1 + g * 2 + g * g * 3, 2 + g * 3, 3.0, 4 + g * 5, 5.0, 6.0]
    assert torch.allclose(discounted_returns(R, D, g), torch.tensor(expected))
    # Bootstrapping only reaches the unfinished last episode.
    boot = discounted_returns(R, D, g, bootstrap=10.0)
    assert torch.allclose(boot[:5], torch.tensor(expected[:5])) and boot[5].item() == 6 + g * 10


def test_returns_for_parallel_environments_match_each_column():
    g = torch.Generator().manual_seed(0)
    rewards = torch.rand(7, 3, generator=g)
    dones = (torch.rand(7, 3, generator=g) < 0.3).long()
    for fn in (lambda r, d: discounted_returns(r, d, 0.9), reward_to_go, total_returns):
        batched = fn(rewards, dones)
        for j in range(3):
            assert torch.allclose(batched[:, j], fn(rewards[:, j], dones[:, j]))


def test_standardize_and_gae():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    s = standardize(x)
    assert abs(s.mean()) < 1e-6 and abs(s.std(unbiased=False) - 1) < 1e-6
    values = torch.tensor([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    # lam = 1: discounted returns minus values; lam = 0: one-step TD errors.
    assert torch.allclose(gae_advantages(R, values, D, 0.9, 1.0), discounted_returns(R, D, 0.9) - values)
    td = R + 0.9 * (1 - D.float()) * torch.cat([values[1:], torch.zeros(1)]) - values
    assert torch.allclose(gae_advantages(R, values, D, 0.9, 0.0), td)
    with pytest.raises(ValueError):
        reward_to_go(R, D[:3])


def test_score_function_of_the_logits_is_onehot_minus_softmax():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 5, generator=g, requires_grad=True)
    actions = torch.tensor([0, 3, 4, 1])
    torch.log_softmax(logits, -1).gather(1, actions[:, None]).sum().backward()
    assert torch.allclose(logits.grad, score_function_logits(logits.detach(), actions), atol=1e-6)


def test_reinforce_estimator_mean_matches_the_exact_gradient():
    logits = torch.tensor([0.5, -1.0, 0.2, 1.0])
    rewards = torch.tensor([1.0, 3.0, -2.0, 0.5])
    exact = exact_policy_gradient(logits, rewards)
    l = logits.clone().requires_grad_()
    probs = torch.softmax(l, -1)
    (probs * rewards).sum().backward()
    assert torch.allclose(exact, l.grad, atol=1e-6)
    g = torch.Generator().manual_seed(2)
    a = sample_actions(logits.expand(400_000, 4), generator=g)
    estimate = (rewards[a, None] * score_function_logits(logits.expand(len(a), 4), a)).mean(0)
    assert torch.allclose(estimate, exact, atol=0.01)


def test_a_baseline_leaves_the_gradient_unbiased_and_reduces_variance():
    logits = torch.tensor([0.5, -1.0, 0.2, 1.0])
    rewards = torch.tensor([1.0, 3.0, -2.0, 0.5]) + 10.0     # a large offset
    g = torch.Generator().manual_seed(3)
    a = sample_actions(logits.expand(400_000, 4), generator=g)
    score = score_function_logits(logits.expand(len(a), 4), a)
    r = rewards[a, None]
    plain, based = r * score, (r - 10.0) * score
    exact = exact_policy_gradient(logits, rewards)
    assert torch.allclose(plain.mean(0), exact, atol=0.05) and torch.allclose(based.mean(0), exact, atol=0.01)
    assert based.var(0).sum() < 0.1 * plain.var(0).sum()
    b_star = optimal_constant_baseline(r[:, 0], score.pow(2).sum(-1))
    best = ((r - b_star) * score).var(0).sum()
    for b in (0.0, 10.0, 11.0, b_star.item() + 1):
        assert best <= ((r - b) * score).var(0).sum() + 1e-4


def test_baselines():
    r = torch.tensor([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])    # (S=3, B=2)
    assert torch.allclose(leave_one_out_baseline(r), torch.tensor([[0.5, 0.5], [1.0, 0.5], [0.5, 0.0]]))
    with pytest.raises(ValueError):
        leave_one_out_baseline(r[:1])
    assert batch_mean_baseline(torch.tensor([1.0, 3.0])).item() == 2.0
    m = MovingAverageBaseline(0.5)
    m.update(torch.tensor([2.0]))
    m.update(torch.tensor([4.0]))
    assert m.value == 0.5 * (0.5 * 2.0) + 0.5 * 4.0


def test_learned_baseline_fits_the_expected_reward_per_input_and_stays_out_of_the_policy_loss():
    torch.manual_seed(0)
    # Two kinds of input; the reward is 1 with probability 0.2 for one kind, 0.9 for the other.
    kind = torch.randint(0, 2, (4096,))
    x = torch.nn.functional.one_hot(kind, 2).float() + 0.05 * torch.randn(4096, 2)
    p_reward = torch.tensor([0.2, 0.9])[kind]
    baseline = LearnedBaseline(in_dim=2, hidden=16)
    opt = torch.optim.Adam(baseline.parameters(), lr=3e-3)
    for step in range(800):
        idx = torch.randint(0, 4096, (1024,))
        rewards = torch.bernoulli(p_reward[idx])
        b, b_loss = baseline.loss(x[idx], rewards)
        assert b.shape == (1024,) and not b.requires_grad and b_loss.ndim == 0
        opt.zero_grad()
        b_loss.backward()
        opt.step()
    with torch.no_grad():
        fitted = baseline(x)
    for k, p in ((0, 0.2), (1, 0.9)):
        assert abs(fitted[kind == k].mean().item() - p) < 0.05
    # The baseline handed back is detached (an advantage r - b(x) is a constant for the
    # policy), while the regression loss trains the baseline and nothing else.
    opt.zero_grad(set_to_none=True)
    policy_logits = torch.randn(8, 2, requires_grad=True)
    b, b_loss = baseline.loss(x[:8], torch.ones(8))
    assert b.grad_fn is None and torch.allclose(b, baseline(x[:8]).detach())
    (b_loss + (torch.ones(8) - b).sum() * policy_logits.sum()).backward()
    assert all(param.grad is not None and param.grad.any() for param in baseline.parameters())
    assert torch.allclose(policy_logits.grad, (torch.ones(8) - b).sum().expand(8, 2))


def test_reinforce_loss_gradient_is_weighted_supervised_gradient():
    torch.manual_seed(0)
    policy = CategoricalPolicy(6, 3, hidden=(5,))
    x = torch.randn(4, 6)
    actions, w = torch.tensor([0, 2, 1, 2]), torch.tensor([1.0, -0.5, 2.0, 0.0], requires_grad=True)
    params = list(policy.parameters())
    logp = torch.log_softmax(policy(x), -1).gather(1, actions[:, None])[:, 0]
    g = flat_grad(reinforce_loss(logp, w), params, retain_graph=True)
    expected = flat_grad(-(w.detach() * logp).mean(), params)
    assert torch.allclose(g, expected)
    assert w.grad is None, "the weights must be treated as constants"
    stats = gradient_variance(torch.stack([g, 2 * g]))
    assert torch.allclose(stats["mean"], 1.5 * g)


def test_mnist_bandit_rewards():
    images, labels = torch.rand(5, 4), torch.tensor([3, 1, 4, 1, 5])
    env = MNISTBandit(images, labels, r_correct=11.0, r_wrong=10.0)
    idx = torch.tensor([0, 2, 4])
    assert torch.equal(env.states(idx), images[idx])
    assert env.reward(torch.tensor([3, 0, 5]), idx).tolist() == [11.0, 10.0, 11.0]


def test_gumbel_max_samples_the_softmax_and_sample_actions_uses_it():
    z = torch.tensor([1.0, 0.0, -1.0, 2.0])
    n = 200_000
    g = gumbel_noise((n, 4), generator=torch.Generator().manual_seed(5))
    freq = torch.bincount((z + g).argmax(-1), minlength=4) / n
    p = torch.softmax(z, -1)
    assert ((freq - p).abs() < 5 * (p * (1 - p) / n).sqrt()).all()
    # sample_actions is argmax(logits + the same noise, drawn from the same generator state)
    a = sample_actions(z.expand(16, 4), generator=torch.Generator().manual_seed(6))
    same = (z + gumbel_noise((16, 4), generator=torch.Generator().manual_seed(6))).argmax(-1)
    assert torch.equal(a, same)


@pytest.mark.parametrize("samples", [1, 3])
def test_reinforce_step_is_one_sgd_step_on_the_surrogate_loss(samples):
    torch.manual_seed(0)
    policy = CategoricalPolicy(6, 4, hidden=(5,))
    twin = CategoricalPolicy(6, 4, hidden=(5,))
    twin.load_state_dict(policy.state_dict())
    x, labels = torch.randn(7, 6), torch.randint(0, 4, (7,))
    gumbel = gumbel_noise((samples, 7, 4), generator=torch.Generator().manual_seed(1))
    calls = []

    def baseline(x_, actions, rewards):
        calls.append((actions.shape, rewards.shape))
        return torch.full((7,), 0.25, requires_grad=True)      # a gradient the step must ignore

    loss, mean_reward = reinforce_step(policy, torch.optim.SGD(policy.parameters(), lr=0.1), x, labels,
                                       gumbel, baseline, reward=(2.0, -1.0))
    assert calls == [((samples, 7), (samples, 7))]
    # The same step by hand.
    logits = twin(x)
    actions = (logits.detach() + gumbel).argmax(-1)
    rewards = torch.where(actions == labels, 2.0, -1.0)
    log_p = torch.log_softmax(logits, -1).gather(1, actions.T).T
    manual = -((rewards - 0.25) * log_p).mean()
    manual.backward()
    with torch.no_grad():
        for p_twin in twin.parameters():
            p_twin -= 0.1 * p_twin.grad
    assert torch.allclose(loss, manual.detach()) and torch.allclose(mean_reward, rewards.mean())
    for a_, b_ in zip(policy.parameters(), twin.parameters()):
        assert torch.allclose(a_, b_, atol=1e-6)


def test_reinforce_step_mean_update_is_the_exact_gradient():
    """Averaged over many noise draws, the step's logit gradient is the exact gradient of E[r]."""
    logits0 = torch.tensor([[0.5, -1.0, 0.2, 1.0]])
    bias = torch.nn.Parameter(logits0.clone()[0])
    policy = lambda x: bias.expand(x.shape[0], -1)             # noqa: E731  (logits = a free parameter)
    recorder = torch.optim.SGD([bias], lr=0.0)
    labels = torch.tensor([3])
    gumbel = gumbel_noise((100_000, 1, 4), generator=torch.Generator().manual_seed(2))
    reinforce_step(policy, recorder, torch.zeros(1, 1), labels, gumbel, lambda x, a, r: torch.zeros(()))
    exact = exact_policy_gradient(logits0[0], torch.tensor([0.0, 0.0, 0.0, 1.0]))
    assert torch.allclose(-bias.grad, exact, atol=0.01)
