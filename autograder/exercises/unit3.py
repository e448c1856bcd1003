"""Unit 3 (REINFORCE, MNIST classification as RL): graded functions and rejected mistakes.

``unit3.score_function_logits``: ``score_function_logits(logits, actions) -> (B, K)``:
    ``d log pi(a|x) / d logits = onehot(a) - softmax(logits)``. Mistakes: the sign
    (``softmax - onehot``); the one-hot alone; softmax over the batch dimension; log-softmax
    instead of softmax.
``unit3.reinforce_update``: ``reinforce_update(logits, actions, rewards) -> (B, K)``: each
    sample's REINFORCE step on its logits, ``r (onehot(a) - softmax(logits))``. Mistakes: the
    reward left out; the sign; the supervised target used in place of the action; one
    batch-average instead of per-sample rows.
``unit3.reinforce_loss``: ``reinforce_loss(log_probs, weights) -> scalar``: ``-mean(w * log_probs)``
    with the weights treated as constants; value and gradients w.r.t. both inputs are
    checked (the gradient w.r.t. the weights must be zero). Mistakes: the sign; sum instead
    of mean; weights (e.g. a learned baseline inside them) not detached; log-probs detached.
``unit3.leave_one_out_advantages``: ``leave_one_out_advantages(rewards) -> (S, B)``: with
    rewards ``(S, B)`` for S >= 2 sampled actions per input, ``r_i - mean of the other
    S - 1 rewards for the same input``. Mistakes: the sample's own reward included in the
    baseline; averaging over the batch instead of the samples; dividing by S instead of S - 1.
``unit3.optimal_constant_baseline``: ``optimal_constant_baseline(rewards, score_sq_norms) ->
    scalar``: ``sum(r |g|^2) / sum(|g|^2)``. Mistakes: the plain mean reward; the norms not
    used as weights (mean of r times mean of norms); inverted weights.
"""

from __future__ import annotations

import torch

from autograder.compare import compare_tensors, compare_tuple
from autograder.registry import Case, Exercise, register
from autograder_kernel.runners import with_grads
from lecture_lib.policy_gradient import (leave_one_out_baseline, optimal_constant_baseline,
                                         reinforce_loss, score_function_logits)


def _logits_cases(gen: torch.Generator, hidden: bool, with_rewards: bool) -> list[Case]:
    def case(b, k, note, scale=2.0, rewards=None):
        logits = scale * torch.randn(b, k, generator=gen)
        actions = torch.randint(0, k, (b,), generator=gen)
        args = (logits, actions)
        if with_rewards:
            r = rewards if rewards is not None else torch.randint(0, 2, (b,), generator=gen).float()
            args = (*args, r)
        return Case(args, note=note)

    cases = [case(4, 10, "4 images, 10 digits"), case(6, 3, "6 states, 3 actions")]
    if hidden:
        cases += [case(1, 2, "a single sample, 2 actions"), case(128, 10, "a batch of 128"),
                  case(5, 4, "confident policy (logits scaled by 20)", scale=20.0),
                  case(7, 10, "rewards 10 or 11", rewards=torch.randint(10, 12, (7,), generator=gen).float()),
                  case(7, 10, "rewards -10 or -9", rewards=torch.randint(-10, -8, (7,), generator=gen).float())]
    return cases


SCORE_FUNCTION = register(Exercise(
    id="unit3.score_function_logits",
    withholds=('lecture_lib.policy_gradient.score_function_logits',),
    signature="score_function_logits(logits: (B, K), actions: (B,) int64) -> (B, K): "
              "d log pi(a|x) / d logits = onehot(a) - softmax(logits)",
    reference=score_function_logits,
    make_cases=lambda gen, hidden: _logits_cases(gen, hidden, with_rewards=False),
    compare=lambda case, e, g: compare_tensors(e, g, name="the score", rtol=1e-5, atol=1e-6),
))


def _reinforce_update(logits, actions, rewards):
    return rewards[:, None] * score_function_logits(logits, actions)


REINFORCE_UPDATE = register(Exercise(
    id="unit3.reinforce_update",
    withholds=('lecture_lib.policy_gradient.score_function_logits',),
    signature="reinforce_update(logits: (B, K), actions: (B,), rewards: (B,)) -> (B, K): "
              "r * (onehot(a) - softmax(logits)) per sample",
    reference=_reinforce_update,
    make_cases=lambda gen, hidden: _logits_cases(gen, hidden, with_rewards=True),
    compare=lambda case, e, g: compare_tensors(e, g, name="the update", rtol=1e-5, atol=1e-5),
))


def _loss_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(b, note, offset=0.0):
        log_probs = torch.log_softmax(torch.randn(b, 5, generator=gen), -1)[:, 0]
        return Case((log_probs, torch.randn(b, generator=gen) + offset), note=note)

    cases = [case(4, "4 samples"), case(16, "16 samples")]
    if hidden:
        cases += [case(1, "a single sample"), case(200, "200 samples, weights around 10", offset=10.0),
                  Case((torch.log(torch.tensor([0.5, 0.25, 1e-6])), torch.tensor([1.0, -1.0, 0.0])),
                       note="a nearly impossible action with weight 0")]
    return cases


REINFORCE_LOSS = register(Exercise(
    id="unit3.reinforce_loss",
    withholds=('lecture_lib.policy_gradient.reinforce_loss',),
    signature="reinforce_loss(log_probs: (B,), weights: (B,)) -> scalar: -mean(weights * log_probs), "
              "weights treated as constants (no gradient flows into them)",
    reference=reinforce_loss,
    make_cases=_loss_cases,
    compare=lambda case, e, g: compare_tuple(e, g, ["the loss", "the gradient w.r.t. log_probs",
                                                    "the gradient w.r.t. weights"], rtol=1e-5, atol=1e-6),
    run=with_grads(0, 1),
))


def _loo_reference(rewards):
    return rewards - leave_one_out_baseline(rewards)


def _loo_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [Case((torch.randint(0, 2, (4, 3), generator=gen).float(),), note="4 samples for 3 images, 0/1 rewards"),
             Case((torch.randn(2, 5, generator=gen),), note="2 samples for 5 inputs")]
    if hidden:
        cases += [Case((torch.randint(0, 2, (8, 128), generator=gen).float(),), note="8 samples, batch of 128"),
                  Case((torch.randn(3, 1, generator=gen),), note="3 samples, one input"),
                  Case((torch.ones(5, 4),), note="every sample right: advantages 0")]
    return cases


LEAVE_ONE_OUT = register(Exercise(
    id="unit3.leave_one_out_advantages",
    withholds=('lecture_lib.policy_gradient.leave_one_out_baseline',),
    signature="leave_one_out_advantages(rewards: (S, B), S >= 2) -> (S, B): r[i, b] minus the mean of the "
              "other S - 1 rewards for input b",
    reference=_loo_reference,
    make_cases=_loo_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the advantages", rtol=1e-5, atol=1e-6),
))


def _optimal_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(b, note):
        r = torch.randint(0, 2, (b,), generator=gen).float()
        return Case((r, torch.rand(b, generator=gen) * 2), note=note)

    cases = [case(8, "8 samples"), case(32, "32 samples")]
    if hidden:
        cases += [case(1, "a single sample"), case(500, "500 samples"),
                  Case((torch.tensor([1.0, 0.0, 1.0]), torch.tensor([0.1, 5.0, 0.1])),
                       note="the wrong action has a large score")]
    return cases


OPTIMAL_CONSTANT = register(Exercise(
    id="unit3.optimal_constant_baseline",
    withholds=('lecture_lib.policy_gradient.optimal_constant_baseline',),
    signature="optimal_constant_baseline(rewards: (B,), score_sq_norms: (B,)) -> scalar: "
              "sum(r * |g|^2) / sum(|g|^2)",
    reference=optimal_constant_baseline,
    make_cases=_optimal_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the baseline", rtol=1e-5, atol=1e-6),
))

