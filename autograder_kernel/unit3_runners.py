"""Unit 3's runners for exercises that train (a step or a loop called on a model the runner
builds), by name: ``RUNNERS`` maps a name to a factory, as in :mod:`autograder_kernel.runners`
(each runner carries ``.spec = (name, args)``). Merged by ``runners.all_runners``.

``reinforce_steps`` builds ``lecture_lib.policy_gradient.CategoricalPolicy`` from a state dict,
its optimizer and the case's baseline (:func:`make_baseline`, written here: trusted grading
withholds the library's baselines), then calls the REINFORCE step k times.
"""

from __future__ import annotations

from typing import Callable

import torch

from autograder_kernel.cases import Case
from autograder_kernel.runners import ContractError

BASELINES = ("none", "mean of the others", "leave-one-out", "moving average", "per-image values",
             "expected reward, not detached", "score-weighted mean of the others")


def policy_from_state(state: dict):
    """``CategoricalPolicy`` with the weights ``state`` (layer sizes, dtype, device from them)."""
    from lecture_lib.policy_gradient import CategoricalPolicy

    weights = [state[k] for k in sorted((k for k in state if k.endswith(".weight")),
                                        key=lambda k: int(k.split(".")[1]))]
    with torch.device("meta"):      # no initialization drawn from torch's global generator
        policy = CategoricalPolicy(in_dim=weights[0].shape[1], n_actions=weights[-1].shape[0],
                                   hidden=tuple(w.shape[0] for w in weights[:-1]))
    policy = policy.to_empty(device=weights[0].device).to(dtype=weights[0].dtype)
    policy.load_state_dict(state)
    return policy


def make_optimizer(kind: str, params, lr: float) -> torch.optim.Optimizer:
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind == "sgd momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    raise ValueError(f"unknown optimizer {kind!r}")


def make_baseline(name: str, policy, labels: torch.Tensor, values: torch.Tensor, reward) -> Callable:
    """The baseline function ``(x, actions (S, B), rewards (S, B)) -> b`` of a case, by name.

    "none": 0; "mean of the others": each sample's b is the mean reward of the batch's other
    S * B - 1 samples; "leave-one-out": the mean of the other S - 1 samples of the same image;
    "moving average": starts at ``values[0, 0]``, then ``0.9 b + 0.1 mean(r)`` after each call;
    "per-image values": ``values[step]`` ``(B,)``; "expected reward, not detached": the
    policy's expected reward for each image, ``r_wrong + (r_correct - r_wrong) pi(label | x)``
    ``(B,)``, *with* its autograd graph (the step must treat b as a constant); "score-weighted
    mean of the others": ``sum_{j != i} r_j |g_j|^2 / sum_{j != i} |g_j|^2`` over the batch's
    other samples, ``|g|^2 = |onehot(a) - softmax(logits)|^2`` (the variance-minimizing
    constant with the logits' score, leaving each sample out). ``labels``:
    ``(k, B)``, one row per step, for the last one.
    """
    state = {"step": 0, "moving": None}
    r_correct, r_wrong = float(reward[0]), float(reward[1])

    def baseline(x, actions, rewards):
        step = state["step"]
        state["step"] += 1
        if name == "none":
            return torch.zeros((), dtype=rewards.dtype, device=rewards.device)
        if name == "mean of the others":
            return (rewards.sum() - rewards) / (rewards.numel() - 1)
        if name == "leave-one-out":
            return (rewards.sum(0, keepdim=True) - rewards) / (rewards.shape[0] - 1)
        if name == "moving average":
            if state["moving"] is None:
                state["moving"] = values[0, 0].to(rewards.dtype)
            b = state["moving"]
            state["moving"] = 0.9 * b + 0.1 * rewards.mean()
            return b
        if name == "per-image values":
            return values[step].to(rewards.dtype)
        if name == "expected reward, not detached":
            p_label = torch.softmax(policy(x), -1).gather(1, labels[step][:, None])[:, 0]
            return r_wrong + (r_correct - r_wrong) * p_label
        if name == "score-weighted mean of the others":
            with torch.no_grad():
                y = torch.softmax(policy(x), -1)
                k = y.shape[-1]
                g2 = (torch.nn.functional.one_hot(actions, k).to(y.dtype) - y).pow(2).sum(-1)   # (S, B)
                return ((rewards * g2).sum() - rewards * g2) / (g2.sum() - g2)
        raise ValueError(f"unknown baseline {name!r}")

    baseline.calls = state
    return baseline


def _scalar(value, what: str, step: int, like: torch.Tensor) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ContractError(f"step {step} returned {what} as a tensor of shape {tuple(value.shape)}; "
                                "return one number (a 0-dim tensor or a float)")
        return value.detach().reshape(()).to(device=like.device, dtype=like.dtype)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return torch.tensor(float(value), device=like.device, dtype=like.dtype)
    raise ContractError(f"step {step} returned {what} as a {type(value).__name__}; return one number "
                        "(a 0-dim tensor or a float)")


def reinforce_steps_run(fn, case: Case):
    """``args = (state, xs, labels, gumbels, values)`` with ``xs``: ``(k, B, D)``, ``labels``:
    ``(k, B)``, ``gumbels``: ``(k, S, B, K)``, ``values``: the baseline's numbers (see
    :func:`make_baseline`); ``kwargs = {"baseline": name, "optimizer": kind, "lr": lr,
    "reward": (r_correct, r_wrong)}``. Builds the policy, the optimizer over its parameters and
    the baseline, then calls ``fn(policy, optimizer, xs[i], labels[i], gumbels[i], baseline,
    reward)`` for i = 0 .. k-1, checking that each step calls the baseline once with the
    ``(S, B)`` actions and rewards. Output: ``(losses (k,), mean rewards (k,), *parameters after the k
    steps)``, the parameters in ``policy.named_parameters()`` order."""
    state, xs, labels, gumbels, values = case.args
    kw = case.kwargs
    policy = policy_from_state(state)
    optimizer = make_optimizer(kw["optimizer"], policy.parameters(), float(kw["lr"]))
    reward = (float(kw["reward"][0]), float(kw["reward"][1]))
    inner = make_baseline(kw["baseline"], policy, labels, values, reward)
    like = next(policy.parameters())
    s, b = gumbels.shape[1], gumbels.shape[2]
    seen: list = []

    def baseline(x, actions, rewards):
        for name, t in (("actions", actions), ("rewards", rewards)):
            if not isinstance(t, torch.Tensor) or tuple(t.shape) != (s, b):
                shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
                raise ContractError(f"baseline(x, actions, rewards) was called with {name} of shape {shape}; "
                                    f"pass the {name} of all sampled digits, shape (S, B) = {(s, b)}")
        seen.append(1)
        return inner(x, actions, rewards)

    losses, means = [], []
    with torch.enable_grad():
        for i in range(len(xs)):
            seen.clear()
            out = fn(policy, optimizer, xs[i], labels[i], gumbels[i], baseline, reward)
            if len(seen) != 1:
                raise ContractError(f"step {i + 1} called baseline(x, actions, rewards) {len(seen)} times; call it "
                                    "exactly once per step (some baselines keep a state, e.g. a moving "
                                    "average, and change it on each call)")
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise ContractError(f"step {i + 1} returned {type(out).__name__}; return the pair "
                                    "(loss, mean reward)")
            losses.append(_scalar(out[0], "the loss", i + 1, like))
            means.append(_scalar(out[1], "the mean reward", i + 1, like))
    return (torch.stack(losses), torch.stack(means), *(p.detach() for p in policy.parameters()))


reinforce_steps_run.spec = ("reinforce_steps", ())
reinforce_steps_run.input_names = (None, "x", "labels", "gumbels", None)

RUNNERS: dict[str, Callable] = {
    "reinforce_steps": lambda: reinforce_steps_run,
}
