"""Unit 3's correct alternatives (see :mod:`autograder.alternatives`).

``unit3.reinforce_step``: each alternative reads the contract another way (cross-entropy of
the sampled digit or ``Categorical.log_prob`` instead of ``log_softmax.gather``; sum / (S B)
instead of mean; the baseline subtracted inside the loss; ``zero_grad`` at the end or on
the module; the logits of S repeated copies of the batch). Each mistake is one slip inside
an otherwise correct step.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _onehot(a, k):
    return F.one_hot(a, k).to(torch.float32)


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


ALTERNATIVES = {
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
    "unit3.reinforce_step": [step_gather, step_cross_entropy, step_distribution],
}
