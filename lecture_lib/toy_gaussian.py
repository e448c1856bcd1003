"""A 1-D latent-variable model where everything is exact: the ELBO and its gap.

    z ~ N(0, 1),    x | z ~ N(w z + b, eta)

Then ``p(x) = N(x; b, w^2 + eta)`` and the posterior is ``p(z|x) = N(m, s^2)`` with
``s^2 = eta / (w^2 + eta)`` and ``m = w (x - b) / (w^2 + eta)``. For any Gaussian
``q(z) = N(mu, sigma^2)`` the ELBO has a closed form, and

    log p(x) - ELBO(q) = KL(q || p(z|x)) >= 0,

with equality exactly at q = p(z|x). All functions broadcast over tensors.

Defined in: unit 2.
"""

from __future__ import annotations

import math

import torch

__all__ = ["log_evidence", "posterior", "elbo", "kl_normal"]

_LOG_2PI = math.log(2 * math.pi)


def log_evidence(x, w: float, b: float, eta: float) -> torch.Tensor:
    """``log p(x) = log N(x; b, w^2 + eta)``."""
    x = torch.as_tensor(x, dtype=torch.float64)
    var = w * w + eta
    return -0.5 * (_LOG_2PI + math.log(var) + (x - b) ** 2 / var)


def posterior(x, w: float, b: float, eta: float) -> tuple[torch.Tensor, float]:
    """The exact posterior ``p(z|x) = N(m, s2)``: returns ``(m, s2)``."""
    x = torch.as_tensor(x, dtype=torch.float64)
    var = w * w + eta
    return w * (x - b) / var, eta / var


def elbo(x, mu, sigma2, w: float, b: float, eta: float) -> torch.Tensor:
    """``E_q[log p(x|z)] - KL(q || N(0, 1))`` for ``q = N(mu, sigma2)``, in closed form.

    ``E_q[(x - w z - b)^2] = (x - w mu - b)^2 + w^2 sigma2``.
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    mu = torch.as_tensor(mu, dtype=torch.float64)
    sigma2 = torch.as_tensor(sigma2, dtype=torch.float64)
    expected_loglik = -0.5 * (_LOG_2PI + math.log(eta) + ((x - w * mu - b) ** 2 + w * w * sigma2) / eta)
    return expected_loglik - kl_normal(mu, sigma2, 0.0, 1.0)


def kl_normal(mu1, var1, mu2, var2) -> torch.Tensor:
    """``KL(N(mu1, var1) || N(mu2, var2))`` for 1-D Gaussians."""
    mu1, var1, mu2, var2 = (torch.as_tensor(v, dtype=torch.float64) for v in (mu1, var1, mu2, var2))
    return 0.5 * (torch.log(var2 / var1) + (var1 + (mu1 - mu2) ** 2) / var2 - 1.0)
