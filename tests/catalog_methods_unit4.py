"""Unit 4's training-method exercises: correct alternatives (``CORRECT``: exercise id -> list
of functions) and listed mistakes (``MISTAKES``: exercise id -> {name: function}), merged into
the unit's catalogue test (``tests/test_exercises_units34.py``).

``unit4.reinforce_iteration`` is behavioural (each run trains CartPole on up to three seeds),
so its catalogue lives in ``tests/test_cartpole_exercise.py``, which measures it separately.
"""

from __future__ import annotations

import torch


def _returns(r, d, gamma):
    out, running = torch.zeros_like(r), torch.zeros(())
    for t in range(len(r) - 1, -1, -1):
        running = r[t] + gamma * (~d[t]) * running
        out[t] = running
    return out


def _totals(r, d):
    out, start = torch.zeros_like(r), 0
    for t in range(len(r)):
        if d[t]:
            out[start:t + 1] = r[start:t + 1].sum()
            start = t + 1
    out[start:] = r[start:].sum()
    return out


def weights_loop(batch, variant, gamma, value, *, bootstrap=True, boot_gamma=True, boot_next=True,
                 totals_as_to_go=False, std_first=False, targets_are_adv=False, rtg_gamma=False,
                 boot_all=False):
    """A loop-based reading of the contract, with switches that make each listed mistake."""
    r, d = batch.rewards.clone(), batch.dones
    if variant == "total_return":
        return (_returns(r, d, 1.0) if totals_as_to_go else _totals(r, d)), None
    if variant == "reward_to_go":
        return _returns(r, d, gamma if rtg_gamma else 1.0), None
    if variant == "discounted":
        return _returns(r, d, gamma), None
    with torch.no_grad():
        v = value(batch.obs).squeeze(-1)
        nxt = value(batch.next_obs if boot_next else batch.obs).squeeze(-1)
        cut = batch.truncated if not boot_all else batch.dones
        if bootstrap:
            r = r + (gamma if boot_gamma else 1.0) * cut.float() * nxt
        g = _returns(r, d, gamma)
        if std_first:
            gs = (g - g.mean()) / (g.std(unbiased=False) + 1e-8)
            adv = gs - v
        else:
            adv = g - v
            if variant == "standardized":
                adv = (adv - adv.mean()) / (adv.std(unbiased=False) + 1e-8)
    return adv, (adv if targets_are_adv else g)


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

MISTAKES = {"unit4.policy_weights": {
    "truncation treated as terminal (no bootstrap)": lambda b, v, g, val: weights_loop(b, v, g, val, bootstrap=False),
    "every episode end bootstrapped": lambda b, v, g, val: weights_loop(b, v, g, val, boot_all=True),
    "bootstrap not discounted": lambda b, v, g, val: weights_loop(b, v, g, val, boot_gamma=False),
    "bootstrap from V(s_t) instead of V(s_t+1)": lambda b, v, g, val: weights_loop(b, v, g, val, boot_next=False),
    "total return = reward-to-go": lambda b, v, g, val: weights_loop(b, v, g, val, totals_as_to_go=True),
    "reward-to-go discounted": lambda b, v, g, val: weights_loop(b, v, g, val, rtg_gamma=True),
    "returns standardized before the baseline": lambda b, v, g, val: weights_loop(b, v, g, val, std_first=True),
    "value targets are the advantages": lambda b, v, g, val: weights_loop(b, v, g, val, targets_are_adv=True),
}}
