"""Autoencoders: the linear one that rediscovers PCA, and a deep (MLP) one.

A linear autoencoder maps a centred image ``x`` (``(D,)``) to a code ``z = V x`` (``V``:
``(K, D)``) and back to ``x~ = U z = U V x`` (``U``: ``(D, K)``). Minimizing the squared
reconstruction error ``||x - U V x||^2`` over U and V makes ``U V`` the projection onto the
PCA subspace: the column space of U converges to the span of the K leading principal
components, while U and V themselves are not unique (``U A``, ``A^-1 V`` is as good for any
invertible A).

Defined in: unit 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from lecture_lib.pca import principal_angles

__all__ = ["linear_ae_loss", "linear_ae_loss_from_covariance", "LinearAETrace",
           "train_linear_autoencoder", "MLPAutoencoder", "reconstruction_error"]


def linear_ae_loss(x: torch.Tensor, U: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """``mean over the batch of ||x - U V x||^2`` (squared error summed over the D pixels).

    x: ``(B, D)`` centred data (one example per row), U: ``(D, K)``, V: ``(K, D)`` -> scalar.
    """
    recon = x @ V.T @ U.T            # row b is U V x_b
    return (x - recon).pow(2).sum(dim=1).mean()


def reconstruction_error(x: torch.Tensor, recon: torch.Tensor) -> torch.Tensor:
    """Mean over examples of the squared error summed over pixels: ``(N, D), (N, D) -> scalar``."""
    return (x - recon).pow(2).sum(dim=1).mean()


@dataclass
class LinearAETrace:
    """What :func:`train_linear_autoencoder` recorded at each logged step."""

    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    max_angle: list[float] = field(default_factory=list)   # largest principal angle to PCA, radians


def linear_ae_loss_from_covariance(C: torch.Tensor, U: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """The full-data :func:`linear_ae_loss` from the covariance ``C = X^T X / N`` alone.

    ``mean_n ||x_n - U V x_n||^2 = tr((I - U V) C (I - U V)^T)
                                 = tr(C) - 2 tr(V C U) + tr(U^T U  V C V^T)``;
    C: ``(D, D)`` -> scalar. With ``V C`` computed once (``(K, D)``), each evaluation costs
    O(D^2 K) whatever N is, which makes exact gradient descent cheap.
    """
    VC = V @ C                                   # (K, D)
    return torch.trace(C) - 2 * torch.trace(VC @ U) + torch.sum((U.T @ U) * (VC @ V.T))


def train_linear_autoencoder(x: torch.Tensor, k: int, steps: int, *, lr: float = 3e-3,
                             reference: torch.Tensor | None = None, log_every: int = 25,
                             seed: int = 0):
    """Fit ``x~ = U V x`` to centred data ``x`` (``(N, D)``) by full-batch Adam.

    The loss is the exact mean squared reconstruction error over all of ``x`` (computed from
    its covariance), the learning rate decays on a cosine schedule, and U, V start small and
    random. reference: a ``(D, K)`` basis (e.g. the PCA components, transposed) to which the
    largest principal angle of U's column space is logged. Returns ``(U, V, trace)``.
    """
    gen = torch.Generator().manual_seed(seed)
    n, d = x.shape
    C = x.T @ x / n
    U = (torch.randn(d, k, generator=gen) * 0.01).to(x.device, x.dtype).requires_grad_()
    V = (torch.randn(k, d, generator=gen) * 0.01).to(x.device, x.dtype).requires_grad_()
    opt = torch.optim.Adam([U, V], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    trace = LinearAETrace()
    for step in range(steps + 1):
        loss = linear_ae_loss_from_covariance(C, U, V)
        if step % log_every == 0 or step == steps:
            trace.steps.append(step)
            trace.loss.append(loss.item())
            if reference is not None:
                trace.max_angle.append(principal_angles(U.detach(), reference).max().item())
        if step == steps:
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
    return U.detach(), V.detach(), trace


class MLPAutoencoder(nn.Module):
    """A deep autoencoder ``D -> hidden... -> K -> ...hidden -> D`` with ReLUs.

    The decoder ends in a sigmoid, so reconstructions are pixel intensities in [0, 1].
    """

    def __init__(self, data_dim: int = 784, code_dim: int = 2, hidden: tuple[int, ...] = (512, 128)):
        super().__init__()
        dims = [data_dim, *hidden, code_dim]
        enc: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:]):
            enc += [nn.Linear(a, b), nn.ReLU()]
        self.encoder = nn.Sequential(*enc[:-1])           # a linear code layer
        rdims = dims[::-1]
        dec: list[nn.Module] = []
        for a, b in zip(rdims[:-1], rdims[1:]):
            dec += [nn.Linear(a, b), nn.ReLU()]
        self.decoder = nn.Sequential(*dec[:-1], nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x: ``(B, D)`` -> code ``(B, K)``."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: ``(B, K)`` -> reconstruction ``(B, D)`` in [0, 1]."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean over the batch of the squared error summed over pixels."""
        return reconstruction_error(x, self(x))
