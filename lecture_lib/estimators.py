"""Two Monte Carlo estimators of the gradient of an expectation under a Gaussian.

Objective: ``L(mu, log_sigma) = E_{z ~ N(mu, sigma^2)}[f(z)]`` for a scalar function f of
``z``: ``(K,)`` (applied row-wise to ``(n, K)``).

- score function (REINFORCE, log-derivative trick):
  ``grad L = E[f(z) grad log q(z)]`` with ``d log q / d mu = (z - mu) / sigma^2`` and
  ``d log q / d log_sigma = (z - mu)^2 / sigma^2 - 1``;
- reparameterization: ``z = mu + sigma eps``, ``grad L = E[grad_theta f(mu + sigma eps)]``,
  i.e. ``d/d mu = f'(z)`` and ``d/d log_sigma = f'(z) * sigma * eps``.

Both are unbiased; their variances differ, usually by orders of magnitude.

Defined in: unit 2.
"""

from __future__ import annotations

from typing import Callable

import torch

from lecture_lib.runtime import randn

__all__ = ["score_function_grads", "reparameterization_grads", "gradient_variance"]


def score_function_grads(f: Callable[[torch.Tensor], torch.Tensor], mu: torch.Tensor,
                         log_sigma: torch.Tensor, n: int,
                         generator: torch.Generator | None = None) -> torch.Tensor:
    """n single-sample score-function estimates of ``grad (mu, log_sigma)``: ``(n, 2K)``."""
    sigma = log_sigma.exp()
    eps = randn((n, mu.shape[-1]), generator=generator, device=mu.device, dtype=mu.dtype)
    z = mu + sigma * eps
    fz = f(z).detach().unsqueeze(1)                      # (n, 1)
    d_mu = eps / sigma                                   # (z - mu) / sigma^2
    d_log_sigma = eps.pow(2) - 1.0                       # (z - mu)^2 / sigma^2 - 1
    return torch.cat([fz * d_mu, fz * d_log_sigma], dim=1)


def reparameterization_grads(f: Callable[[torch.Tensor], torch.Tensor], mu: torch.Tensor,
                             log_sigma: torch.Tensor, n: int,
                             generator: torch.Generator | None = None) -> torch.Tensor:
    """n single-sample reparameterization estimates of ``grad (mu, log_sigma)``: ``(n, 2K)``."""
    eps = randn((n, mu.shape[-1]), generator=generator, device=mu.device, dtype=mu.dtype)
    mu_ = mu.detach().expand(n, -1).clone().requires_grad_()
    ls_ = log_sigma.detach().expand(n, -1).clone().requires_grad_()
    z = mu_ + ls_.exp() * eps
    f(z).sum().backward()                                # rows are independent samples
    return torch.cat([mu_.grad, ls_.grad], dim=1)


def gradient_variance(grads: torch.Tensor) -> dict:
    """Summary of ``(n, P)`` per-sample gradient estimates: their mean and the total variance
    ``sum_p Var[g_p]`` (the expected squared distance of one estimate from the mean)."""
    return {"mean": grads.mean(0), "total_variance": grads.var(0).sum().item()}
