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

import torch
from torch import nn

__all__ = ["linear_ae_loss", "linear_ae_loss_from_covariance", "train_linear_ae", "MLPAutoencoder",
           "reconstruction_error"]


def linear_ae_loss(x: torch.Tensor, U: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """``mean over the batch of ||x - U V x||^2`` (squared error summed over the D pixels).

    x: ``(B, D)`` centred data (one example per row), U: ``(D, K)``, V: ``(K, D)`` -> scalar.
    """
    recon = x @ V.T @ U.T            # row b is U V x_b
    return (x - recon).pow(2).sum(dim=1).mean()


def reconstruction_error(x: torch.Tensor, recon: torch.Tensor) -> torch.Tensor:
    """Mean over examples of the squared error summed over pixels: ``(N, D), (N, D) -> scalar``."""
    return (x - recon).pow(2).sum(dim=1).mean()


def linear_ae_loss_from_covariance(C: torch.Tensor, U: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """The full-data :func:`linear_ae_loss` from the covariance ``C = X^T X / N`` alone.

    ``mean_n ||x_n - U V x_n||^2 = tr((I - U V) C (I - U V)^T)
                                 = tr(C) - 2 tr(V C U) + tr(U^T U  V C V^T)``;
    C: ``(D, D)`` -> scalar. With ``V C`` computed once (``(K, D)``), each evaluation costs
    O(D^2 K) whatever N is, which makes exact gradient descent cheap.
    """
    VC = V @ C                                   # (K, D)
    return torch.trace(C) - 2 * torch.trace(VC @ U) + torch.sum((U.T @ U) * (VC @ V.T))


def train_linear_ae(x: torch.Tensor, U0: torch.Tensor, V0: torch.Tensor, steps: int, lr: float):
    """Fit ``x~ = U V x`` to centred data by full-batch Adam, starting from ``(U0, V0)``.

    x: ``(N, D)`` centred, U0: ``(D, K)``, V0: ``(K, D)``. Each of the ``steps`` steps
    evaluates :func:`linear_ae_loss` on all of x, backpropagates and takes one
    ``torch.optim.Adam`` step (constant ``lr``, default betas). U0 and V0 are left unchanged.
    Returns ``(U, V, losses)``: the trained U ``(D, K)`` and V ``(K, D)``, detached, on x's
    device and in x's dtype, and ``losses``, a list of ``steps`` Python floats, ``losses[t]``
    the loss before update t (so ``losses[0]`` is the loss at the start).
    The exercise ``unit1.train_linear_ae`` judges a loop by what it finds (the PCA subspace,
    PCA's error), not by matching these numbers.
    """
    U = U0.detach().clone().requires_grad_(True)
    V = V0.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([U, V], lr=lr)
    losses = []
    for _ in range(steps):
        loss = linear_ae_loss(x, U, V)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return U.detach(), V.detach(), losses


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
