"""Units 3-4 exercises: correct alternatives pass, every listed common mistake (the exercises'
misconceptions, ``autograder/misconceptions/``) fails."""

from __future__ import annotations

import torch
import torch.nn.functional as F

import catalog_methods_unit3
import catalog_methods_unit4
from autograder.misconceptions.unit4 import _returns_loop, _total_loop
from autograder.registry import all_exercises
from exercise_catalog import catalogue_tests


def _onehot(a, k):
    return F.one_hot(a, k).to(torch.float32)


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

MISTAKES = {e: {m.name: m.fn for m in ex.misconceptions} for e, ex in all_exercises().items()
            if e.startswith(("unit3.", "unit4.")) and ex.misconceptions}

# The training-method exercises keep their catalogues beside (one module per unit).
for _module in (catalog_methods_unit3, catalog_methods_unit4):
    assert not set(_module.CORRECT) & set(CORRECT), "an exercise catalogued twice"
    CORRECT.update(_module.CORRECT)

(test_correct_implementations_pass, test_each_common_mistake_fails,
 test_every_exercise_has_mistakes_listed) = catalogue_tests(CORRECT, MISTAKES, ("unit3.", "unit4."))
