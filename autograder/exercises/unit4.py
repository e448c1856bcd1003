"""Unit 4 (policy gradients on sequential tasks): graded functions and rejected mistakes.

All take a batch of T steps (``(T,)``, or ``(T, N)`` for N environments side by side)
with ``dones[t] = 1`` when an episode ends after step t; several episodes follow each
other in one batch, and the last may be unfinished.

``unit4.discounted_returns``: ``discounted_returns(rewards, dones, gamma) -> like rewards``:
    ``G_t = r_t + gamma (1 - done_t) G_{t+1}`` (gamma = 1: reward-to-go). Mistakes: the reward
    instead of the return; a discount off by one (``gamma^(k+1)``, or ``gamma`` applied to
    ``r_t``); returns leaking across episode boundaries; accumulating forwards in time;
    the episode's total return at every step.
``unit4.total_returns``: ``total_returns(rewards, dones) -> like rewards``: every step gets the
    sum of its episode's rewards. Mistakes: the reward-to-go; the batch's total; episodes
    merged across boundaries.
``unit4.standardize``: ``standardize(x) -> like x``: ``(x - mean) / (std + 1e-8)`` over all
    elements, population std. Mistakes: no centring; dividing by the variance; per-column
    statistics for ``(T, N)``.
``unit4.policy_gradient_loss``: ``policy_gradient_loss(log_probs, advantages) -> scalar``:
    ``-mean over all T*N steps of A * log pi``, advantages treated as constants; value and
    gradients checked. Mistakes: the sign; a sum instead of the mean; advantages (a value
    baseline inside them) not detached; a mean over environments only.
"""

from __future__ import annotations

import torch

from autograder.compare import compare_tensors, compare_tuple
from autograder.registry import Case, Exercise, register
from autograder_kernel.runners import with_grads
from lecture_lib.policy_gradient import reinforce_loss
from lecture_lib.returns import discounted_returns, standardize, total_returns


def _episodes(gen: torch.Generator, shape, p_done: float = 0.25):
    rewards = torch.randint(-2, 4, shape, generator=gen).float() + torch.rand(shape, generator=gen)
    dones = (torch.rand(shape, generator=gen) < p_done).long()
    return rewards, dones


def _return_cases(gen: torch.Generator, hidden: bool, with_gamma: bool) -> list[Case]:
    def case(shape, note, gamma=0.9, p_done=0.25, rewards=None, dones=None):
        r, d = _episodes(gen, shape, p_done)
        r = r if rewards is None else rewards
        d = d if dones is None else dones
        return Case((r, d, gamma) if with_gamma else (r, d), note=note)

    cases = [
        case((8,), "8 steps, several episodes"),
        case((6,), "two episodes of 3 steps", rewards=torch.arange(1.0, 7.0),
             dones=torch.tensor([0, 0, 1, 0, 0, 1])),
        case((10, 3), "10 steps of 3 environments"),
    ]
    if hidden:
        cases += [
            case((12,), "one unfinished episode", dones=torch.zeros(12, dtype=torch.long)),
            case((7,), "one-step episodes", dones=torch.ones(7, dtype=torch.long)),
            case((200, 8), "200 steps of 8 environments", p_done=0.05),
            case((9,), "episodes of 1, 3 and 5 steps", dones=torch.tensor([1, 0, 0, 1, 0, 0, 0, 0, 1])),
        ]
        if with_gamma:
            cases += [case((8,), "gamma = 1: reward-to-go", gamma=1.0),
                      case((8,), "gamma = 0: the reward itself", gamma=0.0),
                      case((30, 2), "gamma = 0.99, long episodes", gamma=0.99, p_done=0.05)]
    return cases


DISCOUNTED = register(Exercise(
    id="unit4.discounted_returns",
    withholds=('lecture_lib.returns.discounted_returns', 'lecture_lib.returns.reward_to_go'),
    signature="discounted_returns(rewards: (T,) or (T, N), dones: same shape, gamma) -> same shape: "
              "G_t = r_t + gamma * (1 - done_t) * G_{t+1}",
    reference=lambda r, d, gamma: discounted_returns(r, d, gamma),
    make_cases=lambda gen, hidden: _return_cases(gen, hidden, with_gamma=True),
    compare=lambda case, e, g: compare_tensors(e, g, name="the returns", rtol=1e-5, atol=1e-5),
))

TOTAL = register(Exercise(
    id="unit4.total_returns",
    withholds=('lecture_lib.returns.total_returns',),
    signature="total_returns(rewards: (T,) or (T, N), dones: same shape) -> same shape: every step gets "
              "the sum of its episode's rewards",
    reference=total_returns,
    make_cases=lambda gen, hidden: _return_cases(gen, hidden, with_gamma=False),
    compare=lambda case, e, g: compare_tensors(e, g, name="the returns", rtol=1e-5, atol=1e-5),
))


def _standardize_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [Case((torch.randn(10, generator=gen) * 5 + 3,), note="10 values"),
             Case((torch.randn(6, 4, generator=gen) * 2 - 7,), note="a (6, 4) batch")]
    if hidden:
        cases += [Case((torch.tensor([1.0, 1.0, 1.0]),), note="all equal: zeros, no NaN"),
                  Case((torch.randn(500, 8, generator=gen) * 100,), note="a large batch"),
                  Case((torch.tensor([0.0, 10.0]),), note="two values")]
    return cases


STANDARDIZE = register(Exercise(
    id="unit4.standardize",
    withholds=('lecture_lib.returns.standardize',),
    signature="standardize(x) -> like x: (x - mean) / (std + 1e-8) over all elements, population std "
              "(unbiased=False)",
    reference=standardize,
    make_cases=_standardize_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the standardized values", rtol=1e-4, atol=1e-4),
))


def _pg_loss_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(shape, note):
        log_probs = torch.log(torch.rand(shape, generator=gen) * 0.9 + 0.05)
        return Case((log_probs, torch.randn(shape, generator=gen)), note=note)

    cases = [case((8,), "8 steps"), case((5, 3), "5 steps of 3 environments")]
    if hidden:
        cases += [case((1,), "one step"), case((128, 8), "128 steps of 8 environments"),
                  case((3, 1), "one environment")]
    return cases


PG_LOSS = register(Exercise(
    id="unit4.policy_gradient_loss",
    withholds=('lecture_lib.policy_gradient.reinforce_loss',),
    signature="policy_gradient_loss(log_probs: (T,) or (T, N), advantages: same shape) -> scalar: "
              "-mean over all steps of advantages * log_probs, advantages treated as constants",
    reference=lambda lp, adv: reinforce_loss(lp.reshape(-1), adv.reshape(-1)),
    make_cases=_pg_loss_cases,
    compare=lambda case, e, g: compare_tuple(e, g, ["the loss", "the gradient w.r.t. log_probs",
                                                    "the gradient w.r.t. advantages"], rtol=1e-5, atol=1e-6),
    run=with_grads(0, 1),
))
