"""Unit 4's training-method exercises: correct alternatives (``CORRECT``: exercise id -> list
of functions), merged into the unit's catalogue test (``tests/test_exercises_units34.py``); the
listed mistakes live in the product (``autograder/misconceptions/unit4.py``), whose
``weights_loop`` with its default switches is also one of the correct readings.

``unit4.reinforce_iteration`` is behavioural (each run trains CartPole on up to three seeds),
so its catalogue lives in ``tests/test_cartpole_exercise.py``, which measures it separately.
"""

from __future__ import annotations

import torch

from autograder.misconceptions.unit4 import weights_loop


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


CORRECT = {"unit4.policy_weights": [weights_loop, weights_vectorized]}
