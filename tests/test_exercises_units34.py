"""Units 3-4 exercises: correct alternatives pass, every listed common mistake fails."""

from __future__ import annotations

import torch
import torch.nn.functional as F

import catalog_methods_unit3
import catalog_methods_unit4
from exercise_catalog import catalogue_tests


def _onehot(a, k):
    return F.one_hot(a, k).to(torch.float32)


def _returns_loop(r, d, gamma):
    """A straightforward per-column loop, as many students write it."""
    if r.dim() == 2:
        return torch.stack([_returns_loop(r[:, j], d[:, j], gamma) for j in range(r.shape[1])], 1)
    out, g = torch.zeros_like(r), 0.0
    for t in reversed(range(len(r))):
        if d[t]:
            g = 0.0
        g = r[t] + gamma * g
        out[t] = g
    return out


def _returns_wrong(r, d, gamma, *, mistake):
    if r.dim() == 2:
        return torch.stack([_returns_wrong(r[:, j], d[:, j], gamma, mistake=mistake) for j in range(r.shape[1])], 1)
    out, g = torch.zeros_like(r), 0.0
    order = range(len(r)) if mistake == "forwards" else reversed(range(len(r)))
    for t in order:
        if d[t] and mistake != "leak":
            g = 0.0
        if mistake == "off by one":
            g = gamma * (r[t] + g)
        else:
            g = r[t] + gamma * g
        out[t] = g
    return out


def _total_loop(r, d):
    if r.dim() == 2:
        return torch.stack([_total_loop(r[:, j], d[:, j]) for j in range(r.shape[1])], 1)
    out, start = torch.zeros_like(r), 0
    for t in range(len(r)):
        if d[t] or t == len(r) - 1:
            out[start:t + 1] = r[start:t + 1].sum()
            start = t + 1
    return out


CORRECT = {
    "unit3.score_function_logits": [
        lambda l, a: _onehot(a, l.shape[-1]) - torch.softmax(l, -1),
        lambda l, a: torch.autograd.functional.jacobian(
            lambda z: torch.log_softmax(z, -1).gather(1, a[:, None]).sum(), l)],
    "unit3.reinforce_loss": [lambda lp, w: -(w.detach() * lp).mean(),
                             lambda lp, w: -torch.mean(lp * w.detach().clone())],
    "unit3.leave_one_out_advantages": [
        lambda r: r - (r.sum(0, keepdim=True) - r) / (r.shape[0] - 1),
        lambda r: r.shape[0] / (r.shape[0] - 1) * (r - r.mean(0, keepdim=True))],
    "unit3.optimal_constant_baseline": [lambda r, g2: (r * g2).sum() / g2.sum(),
                                        lambda r, g2: torch.dot(r, g2) / g2.sum()],
    "unit4.discounted_returns": [_returns_loop],
    "unit4.total_returns": [_total_loop],
    "unit4.standardize": [lambda x: (x - x.mean()) / (x.std(unbiased=False) + 1e-8),
                          lambda x: (x - x.mean()) / (x.var(unbiased=False).sqrt() + 1e-8)],
}

MISTAKES = {
    "unit3.score_function_logits": {
        "sign": lambda l, a: torch.softmax(l, -1) - _onehot(a, l.shape[-1]),
        "one-hot alone": lambda l, a: _onehot(a, l.shape[-1]),
        "softmax over the batch": lambda l, a: _onehot(a, l.shape[-1]) - torch.softmax(l, 0),
        "log-softmax": lambda l, a: _onehot(a, l.shape[-1]) - torch.log_softmax(l, -1),
    },
    "unit3.reinforce_loss": {
        "sign": lambda lp, w: (w.detach() * lp).mean(),
        "sum": lambda lp, w: -(w.detach() * lp).sum(),
        "weights not detached": lambda lp, w: -(w * lp).mean(),
        "log-probs detached": lambda lp, w: -(w.detach() * lp.detach()).mean(),
    },
    "unit3.leave_one_out_advantages": {
        "own reward included": lambda r: r - r.mean(0, keepdim=True),
        "mean over the batch": lambda r: r - (r.sum(1, keepdim=True) - r) / (r.shape[1] - 1),
        "divides by S": lambda r: r - (r.sum(0, keepdim=True) - r) / r.shape[0],
    },
    "unit3.optimal_constant_baseline": {
        "mean reward": lambda r, g2: r.mean(),
        "unweighted": lambda r, g2: r.mean() * g2.mean(),
        "inverted weights": lambda r, g2: (r / g2).sum() / (1 / g2).sum(),
    },
    "unit4.discounted_returns": {
        "reward instead of return": lambda r, d, gamma: r.clone(),
        "discount off by one": lambda r, d, gamma: _returns_wrong(r, d, gamma, mistake="off by one"),
        "leaks across episodes": lambda r, d, gamma: _returns_wrong(r, d, gamma, mistake="leak"),
        "forwards in time": lambda r, d, gamma: _returns_wrong(r, d, gamma, mistake="forwards"),
        "total return": lambda r, d, gamma: _total_loop(r, d),
    },
    "unit4.total_returns": {
        "reward-to-go": lambda r, d: _returns_loop(r, d, 1.0),
        "the batch's total": lambda r, d: r.sum(0, keepdim=True).expand_as(r).clone(),
        "merged episodes": lambda r, d: _total_loop(r, torch.zeros_like(d)),
    },
    "unit4.standardize": {
        "not centred": lambda x: x / (x.std(unbiased=False) + 1e-8),
        "divides by the variance": lambda x: (x - x.mean()) / (x.var(unbiased=False) + 1e-8),
        "per column": lambda x: (x - x.mean(0)) / (x.std(0, unbiased=False) + 1e-8),
    },
}

# The training-method exercises keep their catalogues beside (one module per unit).
for _module in (catalog_methods_unit3, catalog_methods_unit4):
    assert not set(_module.CORRECT) & set(CORRECT), "an exercise catalogued twice"
    CORRECT.update(_module.CORRECT)
    MISTAKES.update(_module.MISTAKES)

(test_correct_implementations_pass, test_each_common_mistake_fails,
 test_every_exercise_has_mistakes_listed) = catalogue_tests(CORRECT, MISTAKES, ("unit3.", "unit4."))
