"""Unit 3's training-method exercises: correct alternatives (``CORRECT``: exercise id -> list
of functions), merged into the unit's catalogue test (``tests/test_exercises_units34.py``); the
listed mistakes live in the product (``autograder/misconceptions/unit3.py``).

``unit3.reinforce_step``: each alternative reads the contract another way (cross-entropy of
the sampled digit or ``Categorical.log_prob`` instead of ``log_softmax.gather``; sum / (S B)
instead of mean; the baseline subtracted inside the loss; ``zero_grad`` at the end or on
the module; the logits of S repeated copies of the batch). Each mistake is one slip inside
an otherwise correct step.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _rewards(actions, labels, reward, dtype):
    return torch.where(actions == labels, reward[0], reward[1]).to(dtype)


def step_gather(policy, optimizer, x, labels, gumbel, baseline, reward=(1.0, 0.0)):
    """log_softmax + gather, mean, zero_grad first."""
    optimizer.zero_grad()
    logits = policy(x)
    actions = (logits.detach() + gumbel).argmax(-1)                       # (S, B)
    r = _rewards(actions, labels, reward, logits.dtype)
    adv = r - baseline(x, actions, r).detach()
    log_p = torch.log_softmax(logits, -1).gather(1, actions.T).T
    loss = -(adv * log_p).mean()
    loss.backward()
    optimizer.step()
    return loss.detach(), r.mean()


def step_cross_entropy(policy, optimizer, x, labels, gumbel, baseline, reward=(1.0, 0.0)):
    """The sampled digit as a target of the cross-entropy; sum / (S B); zero_grad last."""
    logits = policy(x)
    s = gumbel.shape[0]
    actions = torch.argmax(logits.detach().unsqueeze(0) + gumbel, dim=2)
    r = _rewards(actions, labels, reward, logits.dtype)
    with torch.no_grad():
        adv = r - baseline(x, actions, r)
    nll = F.cross_entropy(logits.repeat(s, 1), actions.reshape(-1), reduction="none")   # -log pi, (S B,)
    loss = (adv.reshape(-1) * nll).sum() / adv.numel()
    loss.backward()
    optimizer.step()
    policy.zero_grad(set_to_none=False)
    return float(loss.detach()), float(r.mean())


def step_distribution(policy, optimizer, x, labels, gumbel, baseline, reward=(1.0, 0.0)):
    """torch.distributions, the baseline subtracted inside the loss, S copies of the batch."""
    s = gumbel.shape[0]
    logits = policy(x.repeat(s, 1)).reshape(s, x.shape[0], -1)                # (S, B, K)
    actions = (logits + gumbel).argmax(-1).detach()
    r = _rewards(actions, labels, reward, logits.dtype)
    b = baseline(x, actions, r)
    log_p = torch.distributions.Categorical(logits=logits).log_prob(actions)
    loss = -(r * log_p).mean() + (b.detach() * log_p).mean()
    for p in policy.parameters():
        p.grad = None
    loss.backward()
    optimizer.step()
    return loss.detach(), r.mean()


CORRECT: dict = {
    "unit3.reinforce_step": [step_gather, step_cross_entropy, step_distribution],
}
