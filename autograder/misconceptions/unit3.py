"""Unit 3's known mistakes: a name, a one-line hint and an implementation that makes exactly that
mistake, for each exercise (see :class:`autograder.registry.Misconception`). Trusted side only."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.misconceptions import mistakes
from autograder.registry import Misconception


def _onehot(a, k):
    return F.one_hot(a, k).to(torch.float32)


def _rewards(actions, labels, reward, dtype):
    return torch.where(actions == labels, reward[0], reward[1]).to(dtype)


def _mistake(slip):
    """A correct step (log_softmax + gather, mean) with one slip."""

    def step(policy, optimizer, x, labels, gumbel, baseline, reward=(1.0, 0.0)):
        logits = policy(x)
        if slip == "own random actions":
            actions = torch.multinomial(torch.softmax(logits.detach(), -1), gumbel.shape[0],
                                        replacement=True).T
        elif slip == "greedy action":
            actions = logits.detach().argmax(-1).expand(gumbel.shape[0], -1)
        elif slip == "noise added to the probabilities":
            actions = (torch.softmax(logits.detach(), -1) + gumbel).argmax(-1)
        else:
            actions = (logits.detach() + gumbel).argmax(-1)
        rewarded = logits.detach().argmax(-1).expand_as(actions) if slip == "reward of the greedy action" \
            else actions
        r = _rewards(rewarded, labels, reward, logits.dtype)
        b = baseline(x, actions, r)
        if slip != "baseline not detached":
            b = b.detach()
        adv = {"baseline ignored": r, "baseline added": r + b}.get(slip, r - b)
        if slip == "probability instead of its log":
            chosen = torch.softmax(logits, -1).gather(1, actions.T).T
        else:
            chosen = torch.log_softmax(logits, -1).gather(1, actions.T).T
        loss = (adv * chosen).sum() if slip == "sum instead of mean" else (adv * chosen).mean()
        loss = loss if slip == "sign" else -loss
        if slip != "no zero_grad":
            optimizer.zero_grad()
        loss.backward()
        if slip != "no optimizer step":
            optimizer.step()
        return loss.detach(), r.mean()

    return step



MISCONCEPTIONS: dict[str, tuple[Misconception, ...]] = {
    "unit3.score_function_logits": mistakes(
        ("sign", "the score is onehot(a) - softmax(logits), not the reverse",
         lambda l, a: torch.softmax(l, -1) - _onehot(a, l.shape[-1])),
        ("one-hot alone", "subtract the probabilities softmax(logits): d log softmax_a / d z_k = [k = a] - y_k",
         lambda l, a: _onehot(a, l.shape[-1])),
        ("softmax over the batch", "take the softmax over the K actions of each row (dim=-1), not over the batch",
         lambda l, a: _onehot(a, l.shape[-1]) - torch.softmax(l, 0)),
        ("log-softmax", "subtract the probabilities softmax(logits), not their logs",
         lambda l, a: _onehot(a, l.shape[-1]) - torch.log_softmax(l, -1)),
    ),
    "unit3.reinforce_loss": mistakes(
        ("sign", "the loss is minus the mean of weights * log_probs: minimizing it raises rewarded log-probabilities",
         lambda lp, w: (w.detach() * lp).mean()),
        ("sum", "average over the batch (mean), not sum", lambda lp, w: -(w.detach() * lp).sum()),
        ("weights not detached", "detach the weights: they are constants, no gradient may flow into them",
         lambda lp, w: -(w * lp).mean()),
        ("log-probs detached", "the gradient flows through log_probs: detach only the weights",
         lambda lp, w: -(w.detach() * lp.detach()).mean()),
    ),
    "unit3.leave_one_out_advantages": mistakes(
        ("own reward included", "the baseline of sample i is the mean of the other S - 1 rewards, without r_i",
         lambda r: r - r.mean(0, keepdim=True)),
        ("mean over the batch", "average over the S samples of the same input (dim 0), not over the batch",
         lambda r: r - (r.sum(1, keepdim=True) - r) / (r.shape[1] - 1)),
        ("divides by S", "the other rewards are S - 1: divide their sum by S - 1",
         lambda r: r - (r.sum(0, keepdim=True) - r) / r.shape[0]),
    ),
    "unit3.optimal_constant_baseline": mistakes(
        ("mean reward", "weight each reward by its score's squared norm: sum(r |g|^2) / sum(|g|^2)",
         lambda r, g2: r.mean()),
        ("unweighted", "b = sum(r |g|^2) / sum(|g|^2), a weighted mean of the rewards",
         lambda r, g2: r.mean() * g2.mean()),
        ("inverted weights", "the weights are the squared norms |g|^2 themselves, not their inverses",
         lambda r, g2: (r / g2).sum() / (1 / g2).sum()),
    ),
    "unit3.reinforce_step": mistakes(
        ("sign", "minimize minus the mean of (r - b) log pi(a|x): the loss has a minus sign", _mistake("sign")),
        ("baseline not detached", "treat the baseline as a constant: detach it", _mistake("baseline not detached")),
        ("baseline ignored", "weight each log-probability by r - b, not by r alone", _mistake("baseline ignored")),
        ("baseline added", "subtract the baseline: r - b", _mistake("baseline added")),
        ("own random actions", "sample with the given Gumbel noise: a = argmax(logits + gumbel)",
         _mistake("own random actions")),
        ("greedy action", "sample the actions with the Gumbel noise, do not take the argmax of the logits",
         _mistake("greedy action")),
        ("noise added to the probabilities", "add the Gumbel noise to the logits, not to the probabilities",
         _mistake("noise added to the probabilities")),
        ("reward of the greedy action", "the reward is that of the sampled action",
         _mistake("reward of the greedy action")),
        ("probability instead of its log", "the score function needs log pi(a|x): use log_softmax",
         _mistake("probability instead of its log")),
        ("sum instead of mean", "average the loss over the S * B samples", _mistake("sum instead of mean")),
        ("no zero_grad", "zero the gradients each step, or they add up over steps", _mistake("no zero_grad")),
        ("no optimizer step", "call optimizer.step() after backward()", _mistake("no optimizer step")),
    ),
}
