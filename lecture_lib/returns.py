"""Returns for policy gradients over trajectories, with episode boundaries inside a batch.

A batch of experience is a sequence of T time steps (optionally for N parallel
environments: shape ``(T, N)``) with rewards ``r_t`` and flags ``done_t = 1`` when the
episode ends *after* step t (terminated or truncated). Several episodes can follow each
other in one sequence; nothing may leak from one episode into the one before it.

- total return: every step of an episode gets ``R = sum of the episode's rewards``;
- reward-to-go: ``G_t = sum_{k >= t, same episode} r_k``;
- discounted return: ``G_t = r_t + gamma * G_{t+1} * (1 - done_t)``;
- standardized: ``(G - mean) / (std + eps)`` over the whole batch.

A sequence may end in the middle of an episode (the last ``done`` is 0): that episode's
returns then count only the rewards seen (or add ``gamma^k * last_value`` with ``bootstrap``).

Defined in: unit 4.
"""

from __future__ import annotations

import torch

__all__ = ["discounted_returns", "reward_to_go", "total_returns", "standardize", "gae_advantages"]


def _check(rewards: torch.Tensor, dones: torch.Tensor) -> None:
    if rewards.shape != dones.shape:
        raise ValueError(f"rewards {tuple(rewards.shape)} and dones {tuple(dones.shape)} must have the same shape")
    if rewards.dim() not in (1, 2):
        raise ValueError(f"expected (T,) or (T, N) tensors, got {tuple(rewards.shape)}")


def discounted_returns(rewards: torch.Tensor, dones: torch.Tensor, gamma: float,
                       bootstrap: torch.Tensor | float = 0.0) -> torch.Tensor:
    """``G_t = r_t + gamma * (1 - done_t) * G_{t+1}``, computed backwards from ``t = T - 1``.

    rewards, dones: ``(T,)`` or ``(T, N)``; bootstrap: the value of the state after the last
    step (scalar or ``(N,)``), used only where the sequence stops mid-episode. -> like rewards.
    """
    _check(rewards, dones)
    not_done = 1.0 - dones.to(rewards.dtype)
    out = torch.empty_like(rewards)
    running = torch.as_tensor(bootstrap, dtype=rewards.dtype, device=rewards.device).expand_as(rewards[0]).clone()
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = rewards[t] + gamma * not_done[t] * running
        out[t] = running
    return out


def reward_to_go(rewards: torch.Tensor, dones: torch.Tensor) -> torch.Tensor:
    """``G_t = sum of r_k for k >= t in the same episode`` (discounted returns with gamma = 1)."""
    return discounted_returns(rewards, dones, 1.0)


def total_returns(rewards: torch.Tensor, dones: torch.Tensor) -> torch.Tensor:
    """Every step gets the total reward of its whole episode: ``(T,)`` or ``(T, N)``."""
    _check(rewards, dones)
    to_go = reward_to_go(rewards, dones)
    out = torch.empty_like(rewards)
    # The episode's total is the reward-to-go at its first step; carry it forward.
    start = torch.ones_like(rewards[0], dtype=torch.bool)
    current = to_go[0].clone()
    for t in range(rewards.shape[0]):
        current = torch.where(start, to_go[t], current)
        out[t] = current
        start = dones[t].bool()
    return out


def standardize(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``(x - mean(x)) / (std(x) + eps)`` over all elements (population std)."""
    return (x - x.mean()) / (x.std(unbiased=False) + eps)


def gae_advantages(rewards: torch.Tensor, values: torch.Tensor, dones: torch.Tensor, gamma: float,
                   lam: float, last_value: torch.Tensor | float = 0.0) -> torch.Tensor:
    """Generalized advantage estimation: ``A_t = sum_k (gamma lam)^k delta_{t+k}`` within an
    episode, ``delta_t = r_t + gamma (1 - done_t) V(s_{t+1}) - V(s_t)``.

    values: ``V(s_t)``, like rewards; last_value: ``V`` of the state after the last step.
    ``lam = 1`` gives discounted returns minus values; ``lam = 0`` the one-step TD error.
    """
    _check(rewards, dones)
    not_done = 1.0 - dones.to(rewards.dtype)
    last = torch.as_tensor(last_value, dtype=rewards.dtype, device=rewards.device).expand_as(rewards[0])
    next_values = torch.cat([values[1:], last.unsqueeze(0)])
    deltas = rewards + gamma * not_done * next_values - values
    return discounted_returns(deltas, dones, gamma * lam)
