"""Unit 4's correct alternatives (see :mod:`autograder.alternatives`). ``weights_loop`` of
:mod:`autograder.misconceptions.unit4` with its default switches is one of the correct readings.

``unit4.reinforce_iteration`` is behavioural (each run trains CartPole on up to three seeds):
its alternatives are tested by ``tests/test_cartpole_exercise.py`` and its false-failure rate is
measured by ``tools/measure_cartpole_check.py``.
"""

from __future__ import annotations

import torch

from autograder.misconceptions.unit4 import _returns_loop, _total_loop, cartpole_iteration, weights_loop


def weights_vectorized(batch, variant, gamma, value):
    """Another correct reading: a bootstrapped discounted sum by episode with torch ops."""
    from lecture_lib.returns import discounted_returns  # not the graded function: returns only

    r, d = batch.rewards, batch.dones.float()
    if variant == "total_return":
        to_go = discounted_returns(r, d, 1.0)
        starts = torch.cat([torch.ones(1, dtype=torch.bool), batch.dones[:-1]])
        episode = starts.long().cumsum(0) - 1
        return to_go[starts][episode], None
    if variant in ("reward_to_go", "discounted"):
        return discounted_returns(r, d, 1.0 if variant == "reward_to_go" else gamma), None
    with torch.no_grad():
        v = value(batch.obs)[:, 0]
        boot = torch.where(batch.truncated, value(batch.next_obs)[:, 0], torch.zeros_like(v))
        g = discounted_returns(r + gamma * boot, d, gamma)
        adv = g - v
        if variant == "standardized":
            adv = (adv - adv.mean()) / (adv.var(unbiased=False).sqrt() + 1e-8)
    return adv.clone(), g.clone()


ALTERNATIVES = {
    "unit4.discounted_returns": [_returns_loop],
    "unit4.total_returns": [_total_loop],
    "unit4.standardize": [lambda x: (x - x.mean()) / (x.std(unbiased=False) + 1e-8),
                          lambda x: (x - x.mean()) / (x.var(unbiased=False).sqrt() + 1e-8)],
    "unit4.policy_weights": [weights_loop, weights_vectorized],
    "unit4.reinforce_iteration": [lambda *a: cartpole_iteration(*a),
                                   lambda *a: cartpole_iteration(*a, sum_loss=True)],
}
