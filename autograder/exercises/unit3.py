"""Unit 3 (REINFORCE, MNIST classification as RL): graded functions and rejected mistakes.

``unit3.score_function_logits``: ``score_function_logits(logits, actions) -> (B, K)``:
    ``d log pi(a|x) / d logits = onehot(a) - softmax(logits)``. Mistakes: the sign
    (``softmax - onehot``); the one-hot alone; softmax over the batch dimension; log-softmax
    instead of softmax.
``unit3.reinforce_loss``: ``reinforce_loss(log_probs, weights) -> scalar``: ``-mean(w * log_probs)``
    with the weights treated as constants; value and gradients w.r.t. both inputs are
    checked (the gradient w.r.t. the weights must be zero). Mistakes: the sign; sum instead
    of mean; weights (e.g. a learned baseline inside them) not detached; log-probs detached.
``unit3.reinforce_step``: ``reinforce_step(policy, optimizer, x, labels, gumbel, baseline, reward)
    -> (loss, mean reward)``: one REINFORCE training step with S sampled digits per image, the
    sampling noise passed in (``actions = argmax(policy(x) + gumbel)``), the baseline a function
    ``(x, actions, rewards) -> b`` called once and treated as a constant. The runner builds the policy,
    the optimizer and the baseline and calls the step k times; the k losses, mean rewards and
    the final parameters are compared. The Gumbel noise is redrawn where the reference's two
    best scores ``logits + gumbel`` lie within 1e-3 of each other, so rounding (another
    reduction order, another device) never flips a sampled action. Adam is used only with
    baselines whose advantages do not cancel exactly (Adam would blow rounding noise in an
    exactly-zero gradient up to a step of size ~lr). Mistakes: the sign; the
    baseline not detached; the baseline ignored or added; own random actions instead of the
    noise; the greedy action (noise left out); the noise added to the probabilities; the
    reward of the greedy action; the probability instead of its log; the sum instead of the
    mean; no ``zero_grad``; no optimizer step.
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
from autograder.alternatives.unit3 import ALTERNATIVES
from autograder.misconceptions.unit3 import MISCONCEPTIONS
from autograder.registry import Case, Exercise
from autograder_kernel.runners import with_grads
from autograder_kernel.unit3_runners import (make_baseline, make_optimizer, policy_from_state,
                                             reinforce_steps_run)
from lecture_lib.policy_gradient import (leave_one_out_baseline, optimal_constant_baseline,
                                         reinforce_loss, reinforce_step, score_function_logits)


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


SCORE_FUNCTION = Exercise(
    id="unit3.score_function_logits",
    misconceptions=MISCONCEPTIONS["unit3.score_function_logits"],
    alternatives=tuple(ALTERNATIVES["unit3.score_function_logits"]),
    withholds=('lecture_lib.policy_gradient.score_function_logits',),
    signature="score_function_logits(logits: (B, K), actions: (B,) int64) -> (B, K): "
              "d log pi(a|x) / d logits = onehot(a) - softmax(logits)",
    reference=score_function_logits,
    make_cases=lambda gen, hidden: _logits_cases(gen, hidden, with_rewards=False),
    compare=lambda case, e, g: compare_tensors(e, g, name="the score", rtol=1e-5, atol=1e-6),
)


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


REINFORCE_LOSS = Exercise(
    id="unit3.reinforce_loss",
    misconceptions=MISCONCEPTIONS["unit3.reinforce_loss"],
    alternatives=tuple(ALTERNATIVES["unit3.reinforce_loss"]),
    withholds=('lecture_lib.policy_gradient.reinforce_loss',),
    signature="reinforce_loss(log_probs: (B,), weights: (B,)) -> scalar: -mean(weights * log_probs), "
              "weights treated as constants (no gradient flows into them)",
    reference=reinforce_loss,
    make_cases=_loss_cases,
    compare=lambda case, e, g: compare_tuple(e, g, ["the loss", "the gradient w.r.t. log_probs",
                                                    "the gradient w.r.t. weights"], rtol=1e-5, atol=1e-6),
    run=with_grads(0, 1),
)


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


LEAVE_ONE_OUT = Exercise(
    id="unit3.leave_one_out_advantages",
    misconceptions=MISCONCEPTIONS["unit3.leave_one_out_advantages"],
    alternatives=tuple(ALTERNATIVES["unit3.leave_one_out_advantages"]),
    withholds=('lecture_lib.policy_gradient.leave_one_out_baseline',),
    signature="leave_one_out_advantages(rewards: (S, B), S >= 2) -> (S, B): r[i, b] minus the mean of the "
              "other S - 1 rewards for input b",
    reference=_loo_reference,
    make_cases=_loo_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the advantages", rtol=1e-5, atol=1e-6),
)


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


OPTIMAL_CONSTANT = Exercise(
    id="unit3.optimal_constant_baseline",
    misconceptions=MISCONCEPTIONS["unit3.optimal_constant_baseline"],
    alternatives=tuple(ALTERNATIVES["unit3.optimal_constant_baseline"]),
    withholds=('lecture_lib.policy_gradient.optimal_constant_baseline',),
    signature="optimal_constant_baseline(rewards: (B,), score_sq_norms: (B,)) -> scalar: "
              "sum(r * |g|^2) / sum(|g|^2)",
    reference=optimal_constant_baseline,
    make_cases=_optimal_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the baseline", rtol=1e-5, atol=1e-6),
)



TIE_MARGIN = 1e-3   # the reference's two best scores logits + gumbel are at least this far apart


def _gumbel(shape, gen):
    u = torch.rand(shape, generator=gen).clamp_min(1e-20)
    return -torch.log((-torch.log(u)).clamp_min(1e-20))


def _step_case(gen, note, *, d=12, hidden=(16,), k_actions=5, b=8, s=1, steps=3, baseline="none",
               optimizer="adam", lr=1e-2, reward=(1.0, 0.0), init=0.5):
    """A policy, k batches and their noise; the noise is redrawn, step by step along the
    reference's run, wherever two sampled scores would nearly tie."""
    state, dims = {}, [d, *hidden, k_actions]        # CategoricalPolicy's layers, PyTorch's init scale
    for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:])):
        bound = fan_in ** -0.5
        state[f"net.{2 * i}.weight"] = (2 * torch.rand(fan_out, fan_in, generator=gen) - 1) * bound
        state[f"net.{2 * i}.bias"] = (2 * torch.rand(fan_out, generator=gen) - 1) * bound
    xs = torch.rand(steps, b, d, generator=gen)
    labels = torch.randint(0, k_actions, (steps, b), generator=gen)
    if baseline == "moving average":
        values = torch.full((1, 1), init)
    elif baseline == "per-image values":
        values = reward[1] + (reward[0] - reward[1]) * torch.rand(steps, b, generator=gen)
    else:
        values = torch.zeros(1, 1)
    gumbels = torch.empty(steps, s, b, k_actions)
    run_policy = policy_from_state(state)
    opt = make_optimizer(optimizer, run_policy.parameters(), lr)
    base = make_baseline(baseline, run_policy, labels, values, reward)
    for i in range(steps):
        with torch.no_grad():
            logits = run_policy(xs[i])
        g = _gumbel((s, b, k_actions), gen)
        while True:
            top2 = (logits + g).topk(2, dim=-1).values
            close = (top2[..., 0] - top2[..., 1]) < TIE_MARGIN
            if not close.any():
                break
            g[close] = _gumbel((int(close.sum()), k_actions), gen)
        gumbels[i] = g
        reinforce_step(run_policy, opt, xs[i], labels[i], g, base, reward)
    kwargs = {"baseline": baseline, "optimizer": optimizer, "lr": lr, "reward": reward}
    return Case((state, xs, labels, gumbels, values), kwargs,
                note=f"{note} ({steps} steps, {s} sampled digit{'s' if s > 1 else ''} per image, "
                     f"baseline: {baseline}, {optimizer} lr {lr}, rewards {reward[0]:g}/{reward[1]:g})")


def _step_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [_step_case(gen, "8 images, 5 digits"),
             _step_case(gen, "8 images", s=4, baseline="leave-one-out", optimizer="sgd", lr=0.5)]
    if hidden:
        cases += [
            _step_case(gen, "16 images", b=16, baseline="mean of the others", optimizer="sgd momentum", lr=0.2),
            _step_case(gen, "a moving average that changes on each call", s=2, baseline="moving average",
                       init=0.3),
            _step_case(gen, "a baseline per image, (B,) against (S, B) rewards", s=3, b=6,
                       baseline="per-image values", optimizer="sgd", lr=0.5),
            _step_case(gen, "a baseline that carries a gradient: treat it as a constant", b=16,
                       baseline="expected reward, not detached", optimizer="sgd", lr=0.5),
            _step_case(gen, "rewards 11/10", b=16, reward=(11.0, 10.0)),
            _step_case(gen, "rewards -9/-10", s=2, baseline="per-image values", optimizer="sgd", lr=0.1,
                       reward=(-9.0, -10.0)),
            _step_case(gen, "MNIST-sized images, 10 digits", d=784, hidden=(32,), k_actions=10, b=32, s=2,
                       baseline="leave-one-out", optimizer="sgd", lr=0.1),
            _step_case(gen, "two hidden layers", hidden=(16, 8), b=12, baseline="mean of the others",
                       optimizer="sgd momentum", lr=0.3),
            _step_case(gen, "a baseline that looks at the other samples' actions", b=16, s=2,
                       baseline="score-weighted mean of the others", optimizer="sgd", lr=0.5),
        ]
    return cases


def _step_compare(case, expected, got):
    names = ["the losses returned by the k steps", "the mean rewards returned by the k steps"]
    names += [f"the parameter {n} after the k steps" for n in case.args[0]]
    return compare_tuple(expected, got, names, rtol=1e-4, atol=1e-5)


REINFORCE_STEP = Exercise(
    id="unit3.reinforce_step",
    misconceptions=MISCONCEPTIONS["unit3.reinforce_step"],
    alternatives=tuple(ALTERNATIVES["unit3.reinforce_step"]),
    withholds=('lecture_lib.policy_gradient.reinforce_step',),
    signature="reinforce_step(policy, optimizer, x: (B, D), labels: (B,), gumbel: (S, B, K), baseline, "
              "reward=(r_correct, r_wrong)) -> (loss, mean reward): a = argmax(policy(x) + gumbel) (S, B); "
              "r = r_correct where a == label else r_wrong; b = baseline(x, a, r) called once, a constant; "
              "loss = -mean((r - b) log pi(a|x)) over the S * B samples; zero_grad, backward, optimizer step",
    reference=reinforce_step,
    make_cases=_step_cases,
    compare=_step_compare,
    run=reinforce_steps_run,
)


EXERCISES = (SCORE_FUNCTION, REINFORCE_LOSS, LEAVE_ONE_OUT, OPTIMAL_CONSTANT, REINFORCE_STEP,)
