"""REINFORCE: the score-function gradient for a categorical policy, and reward baselines.

A policy ``pi_theta(a | x) = softmax(z(x))_a`` over K actions (``z``: the logits of an MLP).
For one sampled action ``a`` with reward ``r``, REINFORCE ascends

    r * d/dtheta log pi(a | x) = r * sum_k (a_k - y_k) dz_k/dtheta,

with ``a`` one-hot and ``y = softmax(z)``: the supervised cross-entropy update
``(t_k - y_k)`` with the sampled action in place of the target and the reward as weight.
Subtracting a baseline ``b`` that does not depend on the action keeps the estimator
unbiased (``E[grad log pi] = 0``) and can cut its variance (measured with
:func:`lecture_lib.estimators.gradient_variance` over repeated :func:`flat_grad` estimates).

MNIST classification as a one-step environment: the state is an image, the action a
digit, the reward ``r_correct`` if it is the label and ``r_wrong`` otherwise (1 and 0, or
shifted by a constant offset: 11 and 10, -9 and -10).

Baselines: none, the batch mean, a moving average over batches, a learned per-input
estimate ``b(x)`` of the expected reward, the variance-minimizing constant, and, with
several sampled actions per input, leave-one-out.

Sampling by the Gumbel-max trick: ``argmax_k (z_k + G_k)`` with ``G_k`` independent
Gumbel(0, 1) noise (:func:`gumbel_noise`) is distributed exactly as ``softmax(z)``. Passing
the noise in (:func:`reinforce_step`) makes a whole REINFORCE training step a deterministic
function of its inputs, so it can be compared exactly with another implementation.

Defined in: unit 3.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lecture_lib.runtime import rand

__all__ = [
    "CategoricalPolicy", "gumbel_noise", "sample_actions", "score_function_logits", "exact_policy_gradient",
    "reinforce_step",
    "reinforce_loss", "MNISTBandit", "batch_mean_baseline", "MovingAverageBaseline",
    "optimal_constant_baseline", "leave_one_out_baseline", "LearnedBaseline", "flat_grad",
]


class CategoricalPolicy(nn.Module):
    """MLP ``D -> hidden... -> K`` logits; ``forward(x)`` returns the logits ``(B, K)``."""

    def __init__(self, in_dim: int = 784, n_actions: int = 10, hidden: tuple[int, ...] = (256,)):
        super().__init__()
        dims = [in_dim, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(dims[-1], n_actions))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def gumbel_noise(shape, generator: torch.Generator | None = None, device=None,
                 dtype: torch.dtype | None = None) -> torch.Tensor:
    """Gumbel(0, 1) noise of ``shape``: ``-log(-log U)`` with ``U ~ Uniform(0, 1)``.

    ``argmax(z + gumbel_noise(z.shape))`` is one sample of ``softmax(z)`` (Gumbel-max)."""
    u = rand(shape, generator=generator, device=device, dtype=dtype)
    exponential = -torch.log(u.clamp_min(1e-20))          # Exp(1) noise, > 0
    return -torch.log(exponential.clamp_min(1e-20))       # Gumbel(0, 1) noise


def sample_actions(logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One action per row from ``softmax(logits)``: ``(B, K) -> (B,)`` int64 (Gumbel-max)."""
    gumbel = gumbel_noise(logits.shape, generator=generator, device=logits.device, dtype=logits.dtype)
    return (logits.detach() + gumbel).argmax(dim=-1)


def score_function_logits(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """``d log pi(a | x) / d z = onehot(a) - softmax(z)``: ``(B, K), (B,) -> (B, K)``."""
    return F.one_hot(actions, logits.shape[-1]).to(logits.dtype) - torch.softmax(logits, dim=-1)


def exact_policy_gradient(logits: torch.Tensor, rewards: torch.Tensor) -> torch.Tensor:
    """``d/dz E_{a ~ softmax(z)}[r(a)] = y * (r - E[r])`` for a table of rewards per action.

    logits, rewards: ``(..., K)`` -> ``(..., K)``. The exact gradient that REINFORCE estimates.
    """
    y = torch.softmax(logits, dim=-1)
    return y * (rewards - (y * rewards).sum(dim=-1, keepdim=True))


def reinforce_loss(log_probs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """The surrogate ``-mean_i w_i log pi(a_i | x_i)`` whose gradient is the REINFORCE estimate.

    log_probs: ``(B,)`` log-probabilities of the sampled actions (differentiable); weights:
    ``(B,)`` rewards, returns or advantages, treated as constants (detached). -> scalar.
    """
    return -(weights.detach() * log_probs).mean()


def reinforce_step(policy: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor,
                   labels: torch.Tensor, gumbel: torch.Tensor, baseline, reward=(1.0, 0.0)):
    """One REINFORCE training step on a batch of images (MNIST as a one-step game).

    x: ``(B, D)``; labels: ``(B,)`` int64; gumbel: ``(S, B, K)`` Gumbel(0, 1) noise, S >= 1
    sampled digits per image; baseline: a function ``(x, actions (S, B), rewards (S, B)) -> b``
    with ``b`` broadcastable to ``(S, B)``, called once per step and treated as a constant (it
    may use the other samples' actions, not a sample's own, to stay unbiased); reward:
    ``(r_correct, r_wrong)``.

    ``a = argmax(policy(x) + gumbel)`` ``(S, B)``; ``r = r_correct if a == label else r_wrong``;
    loss ``= -mean_{s,i} (r - b) log pi(a_si | x_i)`` over all S * B samples; then
    ``zero_grad``, ``backward``, ``optimizer.step()``. Returns ``(loss, mean reward)``, two
    detached scalar tensors.
    """
    logits = policy(x)                                                  # (B, K)
    actions = (logits.detach() + gumbel).argmax(dim=-1)                 # (S, B)
    r_correct, r_wrong = reward
    rewards = torch.where(actions == labels, r_correct, r_wrong).to(logits.dtype)
    advantages = (rewards - baseline(x, actions, rewards)).detach()
    log_probs = torch.log_softmax(logits, dim=-1)                       # (B, K)
    chosen = log_probs.gather(1, actions.T).T                           # (S, B)
    loss = -(advantages * chosen).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach(), rewards.mean()


@dataclass
class MNISTBandit:
    """MNIST classification as a batched one-step environment, entirely on the device.

    images: ``(N, D)`` float, labels: ``(N,)``. ``reward(actions, idx)``: ``r_correct`` where
    the action is the label of image ``idx``, else ``r_wrong``.
    """

    images: torch.Tensor
    labels: torch.Tensor
    r_correct: float = 1.0
    r_wrong: float = 0.0

    def states(self, idx: torch.Tensor) -> torch.Tensor:
        return self.images[idx]

    def reward(self, actions: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        correct = actions == self.labels[idx]
        return torch.where(correct, self.r_correct, self.r_wrong).to(self.images.dtype)


def batch_mean_baseline(rewards: torch.Tensor) -> torch.Tensor:
    """``b = mean(r)`` over the batch (a scalar, the same for every sample)."""
    return rewards.mean()


class MovingAverageBaseline:
    """``b <- beta * b + (1 - beta) * mean(r)`` after each batch; use ``value`` before updating."""

    def __init__(self, beta: float = 0.9, initial: float = 0.0):
        self.beta, self.value = beta, initial

    def update(self, rewards: torch.Tensor) -> None:
        self.value = self.beta * self.value + (1 - self.beta) * rewards.mean().item()


def optimal_constant_baseline(rewards: torch.Tensor, score_sq_norms: torch.Tensor) -> torch.Tensor:
    """The constant ``b`` minimizing the estimator's variance: ``E[r |g|^2] / E[|g|^2]``, with
    ``|g|^2`` the squared norm of each sample's score ``d log pi(a|x) / d theta``.

    rewards, score_sq_norms: ``(B,)`` -> scalar. (Often the norm w.r.t. the logits,
    ``|onehot(a) - y|^2``, stands in for the norm w.r.t. all parameters.)
    """
    return (rewards * score_sq_norms).sum() / score_sq_norms.sum().clamp_min(1e-12)


def leave_one_out_baseline(rewards: torch.Tensor) -> torch.Tensor:
    """With S >= 2 samples per input (``rewards``: ``(S, B)``), sample i's baseline is the mean
    of the *other* S - 1 rewards for the same input: unbiased, and per input."""
    s = rewards.shape[0]
    if s < 2:
        raise ValueError("leave-one-out needs at least 2 samples per input")
    return (rewards.sum(dim=0, keepdim=True) - rewards) / (s - 1)


class LearnedBaseline(nn.Module):
    """A learned per-input baseline ``b(x)``: a small MLP regressed onto the rewards.

    ``forward(x)`` gives ``(B,)``; ``loss(x, rewards)`` is the regression loss to add to the
    policy's, and returns the baseline *detached* for the advantages, so the policy's loss
    does not train it and the advantage ``r - b(x)`` stays a constant for the policy::

        b, b_loss = baseline.loss(x, rewards)
        total = reinforce_loss(log_probs, rewards - b) + b_loss

    Unbiased because ``b(x)`` does not depend on the sampled action. The step into
    actor-critic: a learned value of the state instead of a constant.
    """

    def __init__(self, in_dim: int = 784, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[:, 0]

    def loss(self, x: torch.Tensor, rewards: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(b(x).detach(), mean squared error of b(x) against the rewards)``."""
        b = self(x)
        return b.detach(), F.mse_loss(b, rewards.to(b.dtype))


def flat_grad(loss: torch.Tensor, params: list[torch.Tensor], retain_graph: bool = False) -> torch.Tensor:
    """The gradient of ``loss`` w.r.t. ``params`` as one flat vector (no .grad side effects)."""
    grads = torch.autograd.grad(loss, params, allow_unused=True, retain_graph=retain_graph)
    return torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(params, grads)])
