"""Generative adversarial networks: the value function, the optimal discriminator, the losses.

Notation of unit 6 (the course notes, section 5.2). A generator ``G`` maps noise
``z ~ p(z) = N(0, I)`` to a sample ``G(z)`` whose distribution is ``p_g``; a discriminator
``D(x) = sigmoid(l(x))`` says how likely ``x`` came from the data ``p_data``. Everything here
takes the discriminator's **logits** ``l``, never probabilities: ``log D = logsigmoid(l)`` and
``log(1 - D) = logsigmoid(-l)`` are exact for every finite logit, while ``log(sigmoid(l))``
is ``-inf`` once ``sigmoid(l)`` is 0 (``l < -88.7`` in float32, measured) and ``log(1 - sigmoid(l))``
once it rounds to 1 (``l > 16.6``).

- value  ``V(G, D) = E_data[log D(x)] + E_z[log(1 - D(G(z)))]``, maximized by D;
- ``discriminator_loss = -V`` (estimated on a batch of real and one of generated samples);
- minimax ("saturating") generator loss ``E_z[log(1 - D(G(z)))]`` (G minimizes V);
- non-saturating generator loss ``-E_z[log D(G(z))]`` (same fixed point, strong gradients
  when D wins);
- optimal discriminator ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``, and
  ``V(G, D*) = -log 4 + 2 JS(p_data || p_g)``.

Defined in: unit 6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lecture_lib.runtime import randn

__all__ = [
    "discriminator_loss", "generator_loss_minimax", "generator_loss_nonsaturating", "optimal_discriminator",
    "gan_value", "js_divergence", "kl_divergence", "mixture_log_density", "sample_mixture",
    "ring_modes", "sample_ring", "mode_coverage", "MLPGenerator", "MLPDiscriminator",
    "gan_train_step", "GANConfig", "train_gan",
]


# ----------------------------------------------------------------------------- losses from logits

def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """``-V``: ``-mean log D(x_real) - mean log(1 - D(x_fake))`` from the logits.

    real_logits: ``(B_real,)``, fake_logits: ``(B_fake,)`` -> scalar (nats). Each mean is over
    its own batch, so the two batches may differ in size.
    """
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())


def generator_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """The minimax (saturating) generator loss ``mean log(1 - D(G(z)))``: G minimizes V.

    fake_logits: ``(B,)`` -> scalar. Its gradient with respect to a logit is
    ``-sigmoid(l) / B``: close to 0 where D confidently rejects the sample (``l << 0``).
    """
    return F.logsigmoid(-fake_logits).mean()


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss ``-mean log D(G(z))``.

    fake_logits: ``(B,)`` -> scalar. Its gradient with respect to a logit is
    ``-(1 - sigmoid(l)) / B``: close to ``-1/B`` where D confidently rejects the sample.
    """
    return -F.logsigmoid(fake_logits).mean()


# ----------------------------------------------------------------------------- the optimal discriminator

def optimal_discriminator(log_p_data: torch.Tensor, log_p_g: torch.Tensor) -> torch.Tensor:
    """``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` from the two log densities at the same points.

    log_p_data, log_p_g: the same shape ``(...)`` -> ``(...)`` in [0, 1]. Written as
    ``sigmoid(log p_data - log p_g)``: finite where both densities underflow to 0 (far in the
    tails, where ``p / (p + q)`` would be 0/0). Where one log density is ``-inf`` and the other
    finite, D* is 0 or 1; where both are ``-inf`` (neither distribution can produce x) it is
    undefined and returned as NaN.
    """
    return torch.sigmoid(log_p_data - log_p_g)


def gan_value(x: torch.Tensor, log_p_data: torch.Tensor, log_p_g: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """``V(G, D) = int p_data log D + p_g log(1 - D) dx`` on a uniform 1-D grid ``x`` (trapezoid rule).

    x: ``(N,)`` grid, log_p_data, log_p_g, d: ``(N,)`` -> scalar. Terms with a zero density
    count as 0 (``0 log 0 = 0``).
    """
    integrand = (_xlogy(log_p_data.exp(), d) + _xlogy(log_p_g.exp(), 1 - d))
    return torch.trapezoid(integrand, x)


def kl_divergence(x: torch.Tensor, log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """``KL(p || q) = int p log(p / q) dx`` on a uniform 1-D grid (trapezoid rule)."""
    p = log_p.exp()
    integrand = torch.where(p > 0, p * (log_p - log_q), torch.zeros_like(p))
    return torch.trapezoid(integrand, x)


def js_divergence(x: torch.Tensor, log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """``JS(p || q) = KL(p || m)/2 + KL(q || m)/2`` with ``m = (p + q)/2``, in nats (at most log 2)."""
    log_m = torch.logaddexp(log_p, log_q) - math.log(2)
    return 0.5 * kl_divergence(x, log_p, log_m) + 0.5 * kl_divergence(x, log_q, log_m)


def _xlogy(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.where(p > 0, p * torch.log(y), torch.zeros_like(p))


# ----------------------------------------------------------------------------- toy densities

def mixture_log_density(x: torch.Tensor, means, stds, weights=None) -> torch.Tensor:
    """Log density of a 1-D mixture of Gaussians ``sum_k w_k N(x; mu_k, s_k^2)``.

    x: ``(N,)`` -> ``(N,)``; means, stds, weights: sequences of length K (weights default to
    equal, and must sum to 1).
    """
    means = torch.as_tensor(means, dtype=x.dtype, device=x.device).reshape(1, -1)
    stds = torch.as_tensor(stds, dtype=x.dtype, device=x.device).reshape(1, -1)
    k = means.shape[1]
    weights = torch.full((1, k), 1.0 / k, dtype=x.dtype, device=x.device) if weights is None \
        else torch.as_tensor(weights, dtype=x.dtype, device=x.device).reshape(1, -1)
    z = (x.reshape(-1, 1) - means) / stds
    log_comp = -0.5 * z.pow(2) - torch.log(stds) - 0.5 * math.log(2 * math.pi) + torch.log(weights)
    return torch.logsumexp(log_comp, dim=1)


def sample_mixture(n: int, means, stds, weights=None, generator: torch.Generator | None = None) -> torch.Tensor:
    """n draws ``(n,)`` from the mixture of :func:`mixture_log_density` (on the CPU, float32)."""
    means, stds = torch.as_tensor(means, dtype=torch.float32), torch.as_tensor(stds, dtype=torch.float32)
    weights = torch.full_like(means, 1.0 / len(means)) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
    component = torch.multinomial(weights, n, replacement=True, generator=generator)
    return means[component] + stds[component] * torch.randn(n, generator=generator)


def ring_modes(modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The centres ``(modes, 2)`` of the ring-of-Gaussians toy problem, evenly spaced on a circle."""
    angle = 2 * math.pi * torch.arange(modes, dtype=torch.float32) / modes
    return radius * torch.stack([angle.cos(), angle.sin()], dim=1)


def sample_ring(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """n points ``(n, 2)`` from an equal mixture of ``N(centre_k, std^2 I)`` over the ring's modes."""
    centres = ring_modes(modes, radius)
    k = torch.randint(modes, (n,), generator=generator)
    points = centres[k] + std * torch.randn(n, 2, generator=generator)
    return points.to(device) if device is not None else points


@torch.no_grad()
def mode_coverage(samples: torch.Tensor, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                  within: float = 3.0, min_share: float = 0.01) -> dict:
    """How well 2-D samples cover the ring: ``{"modes_covered", "good_share", "per_mode"}``.

    A sample is *good* when it lies within ``within`` standard deviations of its nearest
    mode; a mode is *covered* when at least ``min_share`` of all samples are good samples
    of that mode (the data put 1/modes there). samples: ``(n, 2)``.
    """
    centres = ring_modes(modes, radius).to(samples.device, samples.dtype)
    dist = torch.cdist(samples, centres)                       # (n, modes)
    nearest_dist, nearest = dist.min(dim=1)
    good = nearest_dist <= within * std
    per_mode = torch.bincount(nearest[good], minlength=modes).float() / max(len(samples), 1)
    return {"modes_covered": int((per_mode >= min_share).sum()), "good_share": float(good.float().mean()),
            "per_mode": per_mode.cpu().tolist()}


# ----------------------------------------------------------------------------- networks

class MLPGenerator(nn.Module):
    """``z: (B, latent) -> x: (B, data_dim)``; pixels in (0, 1) through a final sigmoid
    (``output="sigmoid"``, for MNIST) or unbounded (``output="linear"``, for 2-D toys).

    LeakyReLU(0.2) hidden layers; with ``batch_norm=True`` every hidden layer but the first
    is batch-normalized (as in the DC-GAN paper's generator: without it the MNIST GAN of
    unit 6 collapsed to one blob within 4,000 steps, measured). :meth:`sample` draws in
    evaluation mode (the running statistics), then restores the mode.
    """

    def __init__(self, latent: int = 64, hidden=(256, 512, 1024), data_dim: int = 784, output: str = "sigmoid",
                 batch_norm: bool = True):
        super().__init__()
        if output not in ("sigmoid", "linear"):
            raise ValueError(f"output must be 'sigmoid' or 'linear', got {output!r}")
        self.latent, self.data_dim, self.output = latent, data_dim, output
        layers, width = [], latent
        for i, h in enumerate(hidden):
            layers.append(nn.Linear(width, h))
            if batch_norm and i > 0:
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.LeakyReLU(0.2))
            width = h
        layers.append(nn.Linear(width, data_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = self.net(z)
        return torch.sigmoid(out) if self.output == "sigmoid" else out

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples ``(n, data_dim)`` from ``z ~ N(0, I)``."""
        weight = next(self.parameters())
        was_training = self.training
        self.eval()
        try:
            return self(randn((n, self.latent), generator=generator, device=weight.device, dtype=weight.dtype))
        finally:
            self.train(was_training)


class MLPDiscriminator(nn.Module):
    """``x: (B, data_dim) -> logits: (B,)`` (``D(x) = sigmoid(logit)``)."""

    def __init__(self, data_dim: int = 784, hidden=(512, 256)):
        super().__init__()
        layers, width = [], data_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


# ----------------------------------------------------------------------------- training

_GENERATOR_LOSSES = {"nonsaturating": generator_loss_nonsaturating, "minimax": generator_loss_minimax}


def gan_train_step(generator: nn.Module, discriminator: nn.Module, opt_g: torch.optim.Optimizer,
                   opt_d: torch.optim.Optimizer, x_real: torch.Tensor, z_d: torch.Tensor, z_g: torch.Tensor,
                   generator_loss: str = "nonsaturating") -> tuple[torch.Tensor, torch.Tensor]:
    """One alternating GAN update; returns ``(loss_d, loss_g)``, both detached scalars.

    1. Discriminator: ``loss_d = discriminator_loss(D(x_real), D(G(z_d)))`` with ``G(z_d)``
       detached (D's step must not train G); zero D's gradients, backward, ``opt_d.step()``.
    2. Generator: ``loss_g`` = the chosen generator loss of ``D(G(z_g))`` with the updated D;
       zero G's gradients, backward, ``opt_g.step()`` (D's gradients from this pass are
       left in ``.grad`` and cleared before D's next step).

    x_real: ``(B, ...)``, z_d, z_g: ``(B_z, latent)`` noise passed in (so a step is reproducible).
    """
    if generator_loss not in _GENERATOR_LOSSES:
        raise ValueError(f"generator_loss must be one of {sorted(_GENERATOR_LOSSES)}, got {generator_loss!r}")
    fake = generator(z_d).detach()
    loss_d = discriminator_loss(discriminator(x_real), discriminator(fake))
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()

    loss_g = _GENERATOR_LOSSES[generator_loss](discriminator(generator(z_g)))
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    return loss_d.detach(), loss_g.detach()


@dataclass
class GANConfig:
    """Hyper-parameters of :func:`train_gan` (defaults: the DC-GAN paper's Adam settings)."""

    steps: int = 2000
    batch_size: int = 128
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple = (0.5, 0.999)
    generator_loss: str = "nonsaturating"
    seed: int = 0


def train_gan(generator: nn.Module, discriminator: nn.Module, sample_real, config: GANConfig = GANConfig(),
              *, step_fn=gan_train_step, callback=None, every: int = 0, progress: bool | None = None) -> dict:
    """Train with Adam for ``config.steps`` alternating steps; ``sample_real(n, generator)`` gives a
    real batch ``(n, ...)`` on the models' device.

    ``step_fn`` has :func:`gan_train_step`'s signature (a notebook passes the student's).
    ``callback(step, generator)`` runs every ``every`` steps (snapshots of samples). Returns
    ``{"loss_d": [...], "loss_g": [...], "seconds": float}`` (losses per step, copied from the
    device once at the end).
    """
    import time

    from tqdm.auto import tqdm

    from lecture_lib.train import progress_enabled

    rng = torch.Generator().manual_seed(config.seed)
    weight = next(generator.parameters())
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=config.betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=config.betas)
    losses_d, losses_g = [], []
    t0 = time.perf_counter()
    for step in tqdm(range(config.steps), desc="GAN", unit="step", disable=not progress_enabled(progress),
                     dynamic_ncols=True):
        x_real = sample_real(config.batch_size, rng)
        z_d = randn((config.batch_size, generator.latent), generator=rng, device=weight.device, dtype=weight.dtype)
        z_g = randn((config.batch_size, generator.latent), generator=rng, device=weight.device, dtype=weight.dtype)
        loss_d, loss_g = step_fn(generator, discriminator, opt_g, opt_d, x_real, z_d, z_g, config.generator_loss)
        losses_d.append(torch.as_tensor(loss_d).detach().reshape(()))
        losses_g.append(torch.as_tensor(loss_g).detach().reshape(()))
        if callback is not None and every and (step + 1) % every == 0:
            callback(step + 1, generator)
    seconds = time.perf_counter() - t0
    to_list = (lambda xs: torch.stack([x.float().cpu() for x in xs]).tolist() if xs else [])
    return {"loss_d": to_list(losses_d), "loss_g": to_list(losses_g), "seconds": seconds}

